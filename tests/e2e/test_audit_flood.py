"""A real flood of failed sign-ins against a live server: the audit log barely grows.

One anonymous client (one address, 8 connections in parallel, a new name each time)
hammers ``POST /login`` until it has had 400 refusals. Before the fix every refusal was one
``login.failed`` entry (180 to 260 a second). Now only the evaluated attempts are
entries; the throttled refusals are counted, and once the window has closed the server's
sweeper appends the count, which must equal the number of 429 answers exactly.
"""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor

from audit.entry import AuditEntry, decode
from tests.e2e.accounts_server import AccountsVault, accounts_vault_fixture  # noqa: F401 - fixture
from tests.e2e.test_throttling import guess
from vault.identity import refusals

REFUSALS = 400  # the flood goes on until this many 429s (or FLOOD_LIMIT_SECONDS)
FLOOD_LIMIT_SECONDS = 30.0
ATTACKER = "127.0.9.1"


def _entries(vault: AccountsVault, start: int) -> list[AuditEntry]:
    env = vault.env
    return env.db.read(lambda c: [decode(leaf).entry for leaf in env.log.leaves(c, start)])


def _size(vault: AccountsVault) -> int:
    return vault.env.db.read(vault.env.log.size)


def test_a_flood_of_failed_sign_ins_adds_a_few_entries_and_one_count(
    accounts_vault: AccountsVault,
) -> None:
    vault = accounts_vault
    start = _size(vault)
    names = itertools.count()
    started = time.monotonic()
    deadline = started + FLOOD_LIMIT_SECONDS
    refusals_seen = itertools.count(1)

    def hammer(_: int) -> list[int]:
        statuses = []
        while time.monotonic() < deadline:
            status = guess(vault, f"flood{next(names)}", ATTACKER).status
            statuses.append(status)
            if status == 429 and next(refusals_seen) >= REFUSALS:
                break
        return statuses

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [s for batch in pool.map(hammer, range(8)) for s in batch]
    seconds = time.monotonic() - started
    refused, evaluated = statuses.count(429), statuses.count(401)
    assert refused + evaluated == len(statuses)
    assert refused >= REFUSALS, f"only {refused} refusals in {seconds:.1f} s: no flood"
    during = _size(vault) - start
    # Each evaluated attempt is one entry, plus at most one count it closed before it.
    assert during <= 2 * evaluated, (during, evaluated, refused)

    vault.clock.advance(refusals.WINDOW.total_seconds())
    waited = 0.0
    while vault.env.db.read(lambda c: c.execute("SELECT count(*) FROM refusal_count").fetchone())[
        0
    ]:
        assert waited < 4 * refusals.SWEEP_SECONDS, "the sweeper never appended the count"
        time.sleep(0.2)
        waited += 0.2
    entries = _entries(vault, start)
    counted = [e for e in entries if "count" in e.detail]
    assert sum(int(str(e.detail["count"])) for e in counted) == refused
    assert {(e.action, e.outcome, e.ip, e.detail["subject"]) for e in counted} == {
        ("login.failed", "denied", ATTACKER, "ip")
    }
    assert len(entries) == evaluated + len(counted) <= 2 * evaluated + 1
    print(  # the measure, shown with -s
        f"\n{len(statuses)} attempts in {seconds:.1f} s ({refused} refused):"
        f" {len(entries)} audit entries"
    )
