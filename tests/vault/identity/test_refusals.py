"""Failed sign-ins at the vault level: what they store, and what a flood costs the log.

A name typed at sign-in that is no account is stored nowhere as typed (a keyed hash
stands for it); refusals of a throttled subject are counted into one entry per subject
and window instead of one entry each, and no count is ever dropped.
"""

from __future__ import annotations

import pytest

from audit.entry import AuditEntry, decode
from crypto.pseudonym import name_pseudonym
from crypto.secret import Secret
from tests.backends import open_database, table_names
from tests.people import enrol
from tests.vault.conftest import Clock
from vault.auditing import alerts
from vault.env import Env, RequestInfo
from vault.errors import LoginFailed, Throttled
from vault.identity import authentication, refusals, throttle
from vault.identity.roles import Role
from vault.storage.store import Connection

ATTACKER = RequestInfo(request_id="r-flood", ip="203.0.113.7")
WRONG = Secret(bytes(32))
TYPED_PASSWORD = "Lune-Verte-42!x"  # typed into the username field by mistake


def _entries(env: Env, start: int = 0) -> list[AuditEntry]:
    return env.db.read(lambda c: [decode(leaf).entry for leaf in env.log.leaves(c, start)])


def _size(env: Env) -> int:
    return env.db.read(env.log.size)


def _every_stored_text(conn: Connection) -> str:
    """Every text and blob value of every table, as one string (blobs decoded leniently)."""
    tables = table_names(conn)
    values: list[str] = []
    for table in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():  # noqa: S608 - names from the catalogue
            for value in row:
                if isinstance(value, bytes):
                    values.append(value.decode("utf-8", "replace"))
                elif isinstance(value, str):
                    values.append(value)
    return "\n".join(values)


def _attempt(env: Env, name: str, request: RequestInfo = ATTACKER) -> type[Exception]:
    """One sign-in with a wrong password; the error it ends in."""
    with pytest.raises((LoginFailed, Throttled)) as caught:
        authentication.login(env, request, name, WRONG, "000000")
    return caught.type


def _lock_address(env: Env, request: RequestInfo = ATTACKER) -> None:
    """The address's daily cap of failures, one per name: it (only) is refused for a day."""
    subject = throttle.ip_subject(request.ip)
    env.db.write(
        lambda c: [
            throttle.record_failure(c, [subject], env.now())
            for _ in range(throttle.IP_LIMIT.max_failures)
        ]
    )


def test_a_typed_unknown_name_is_stored_nowhere_as_typed(env: Env, clock: Clock) -> None:
    """A password typed as a username never reaches the database, throttled or not.

    Given failed sign-ins with it (evaluated ones, then throttled ones counted and flushed),
    no table — audit leaves, the audit index, the throttle's rows, the open counts — holds
    the typed text in any case; the entries name ``unknown:`` and the pseudonym instead.
    """
    enrol(env, Role.SECRETARY, "sec")
    start = _size(env)
    assert {_attempt(env, TYPED_PASSWORD) for _ in range(6)} == {LoginFailed, Throttled}
    clock.advance(seconds=3600)
    assert _attempt(env, TYPED_PASSWORD) is LoginFailed
    clock.advance(seconds=refusals.WINDOW.total_seconds())
    refusals.flush_closed(env)
    stored = env.db.read(_every_stored_text)
    for form in (TYPED_PASSWORD, TYPED_PASSWORD.lower(), TYPED_PASSWORD.upper()):
        assert form not in stored
    pseudonym = "unknown:" + name_pseudonym(env.server_secret, TYPED_PASSWORD.lower())
    failed = [e for e in _entries(env, start) if e.action == "login.failed"]
    assert {e.actor.name for e in failed} == {pseudonym}
    assert {e.actor.account for e in failed} == {None}
    assert any(e.detail.get("count") for e in failed)  # the counted, throttled ones


def test_a_failed_sign_in_for_an_account_names_it(env: Env) -> None:
    """A real account's failures keep its name and id (any case typed), so an auditor sees it."""
    sec = enrol(env, Role.SECRETARY, "sec")
    start = _size(env)
    _attempt(env, " SEC")
    (entry,) = _entries(env, start)
    assert (entry.action, entry.actor.account, entry.actor.name) == (
        "login.failed",
        sec.account_id,
        "sec",
    )


def test_repeated_unknown_names_still_raise_a_burst_alert(env: Env, clock: Clock) -> None:
    """The pseudonym is stable per name: five failures for one unknown name are one burst."""
    for n in range(alerts.BURST_COUNT):
        _attempt(env, "Ghost", RequestInfo(ip=f"198.51.100.{n}"))
        clock.advance(seconds=60)
    bursts = env.db.read(lambda c: alerts.login_bursts(c, clock.now.replace(year=2000)))
    (burst,) = bursts
    assert burst.count == alerts.BURST_COUNT
    assert burst.who == "unknown:" + name_pseudonym(env.server_secret, "ghost")


def test_a_flood_from_one_address_costs_one_entry_per_window(env: Env, clock: Clock) -> None:
    """600 refused attempts in 3 seconds from one locked address: one entry, count 600.

    The client cycles through names (so no account waits, only the address). Nothing is
    appended while the window is open; once it has closed, the sweeper appends exactly one
    ``login.failed`` entry, denied, reason ``throttled``, subject ``ip``, count 600, with
    the first and last refusal times.
    """
    _lock_address(env)
    before = _size(env)
    refused = 0
    for n in range(600):
        refused += _attempt(env, f"flood{n}") is Throttled
        clock.advance(seconds=0.005)
    assert refused == 600
    assert _size(env) == before
    clock.advance(seconds=refusals.WINDOW.total_seconds())
    assert refusals.flush_closed(env) == 1
    (entry,) = _entries(env, before)
    assert (entry.action, entry.outcome, entry.ip) == ("login.failed", "denied", ATTACKER.ip)
    assert entry.detail["reason"] == "throttled" and entry.detail["subject"] == "ip"
    assert entry.detail["count"] == 600
    assert str(entry.detail["first_at"]) < str(entry.detail["last_at"])
    assert entry.actor.name is None  # the names tried are not kept, not even as pseudonyms
    assert refusals.flush_closed(env) == 0


def test_a_long_flood_is_one_entry_a_window_and_every_refusal_is_counted(
    env: Env, clock: Clock
) -> None:
    """Five minutes of refusals, 8 a second: at most one entry per started window, sum exact.

    Windows close at the next refusal after their end, so the counts are appended while
    the flood goes on; the last one by the sweeper. The counts add up to the refusals.
    """
    _lock_address(env)
    before = _size(env)
    attempts = 5 * 60 * 8
    for n in range(attempts):
        authentication_refused = _attempt(env, f"n{n % 7}")
        assert authentication_refused is Throttled
        clock.advance(seconds=1 / 8)
    clock.advance(seconds=refusals.WINDOW.total_seconds())
    refusals.flush_closed(env)
    counted = _entries(env, before)
    assert len(counted) <= 5 + 1
    assert sum(int(str(e.detail["count"])) for e in counted) == attempts


def test_a_count_is_appended_before_the_sources_next_attempt(env: Env, clock: Clock) -> None:
    """Refusals of one name from one address, then its next evaluated attempt: count first.

    Only the name waits (3 failures; the address has far fewer than its limit), yet the
    refusals are counted under the address, naming the pseudonym while they all named it.
    """
    for _ in range(throttle.ACCOUNT_LIMIT.delay_from):
        _attempt(env, "ghost")
    before = _size(env)
    for _ in range(5):
        assert _attempt(env, "ghost") is Throttled
    assert _size(env) == before
    clock.advance(seconds=1)
    assert _attempt(env, "ghost") is LoginFailed
    counted, failed = _entries(env, before)
    pseudonym = "unknown:" + name_pseudonym(env.server_secret, "ghost")
    assert counted.detail["count"] == 5 and counted.detail["subject"] == "ip"
    assert counted.actor.name == failed.actor.name == pseudonym
    assert counted.ip == failed.ip == ATTACKER.ip
    assert "count" not in failed.detail


def _lock_name(env: Env, name: str) -> None:
    """The name's daily cap of failures: refused for a day, from any address."""
    subject = throttle.account_subject(env.server_secret, name)
    env.db.write(
        lambda c: [
            throttle.record_failure(c, [subject], env.now())
            for _ in range(throttle.ACCOUNT_LIMIT.max_failures)
        ]
    )


def test_one_source_trying_many_locked_names_is_still_one_count(env: Env, clock: Clock) -> None:
    """50 locked names, each tried 4 times from one address that is not itself throttled.

    Each refusal comes from a name's limit, never the address's; still the source is one
    subject: one entry for the 200 refusals, its actor empty (several names were tried).
    """
    names = [f"victim{n}" for n in range(50)]
    for name in names:
        _lock_name(env, name)
    before = _size(env)
    for name in names * 4:
        assert _attempt(env, name) is Throttled
    clock.advance(seconds=refusals.WINDOW.total_seconds())
    assert refusals.flush_closed(env) == 1
    (entry,) = _entries(env, before)
    assert entry.detail["count"] == 200 and entry.actor == type(entry.actor)()


def test_a_locked_account_hammered_from_many_addresses_names_it_per_source(
    env: Env, clock: Clock
) -> None:
    """A locked account tried from three addresses: one count per source, naming the account."""
    sec = enrol(env, Role.SECRETARY, "sec")
    _lock_name(env, "sec")
    before = _size(env)
    for n in range(30):
        _attempt(env, "sec", RequestInfo(ip=f"198.51.100.{n % 3}"))
    clock.advance(seconds=refusals.WINDOW.total_seconds())
    assert refusals.flush_closed(env) == 3
    entries = _entries(env, before)
    assert sorted(str(e.ip) for e in entries) == [f"198.51.100.{n}" for n in range(3)]
    assert {(e.actor.account, e.actor.name, e.detail["count"]) for e in entries} == {
        (sec.account_id, "sec", 10)
    }


def test_an_open_count_survives_a_restart_and_is_appended_later(env: Env, clock: Clock) -> None:
    """The count lives in the database, written with each refusal: a new process appends it.

    Refusals are counted, the database is closed as if the server stopped, and a fresh
    ``Database`` over the same file appends the count at its first sweep.
    """
    from dataclasses import replace

    _lock_address(env)
    for n in range(7):
        _attempt(env, f"x{n}")
    before = _size(env)
    env.db.close()
    reopened = open_database(env.settings)
    try:
        later = replace(env, db=reopened)
        clock.advance(seconds=refusals.WINDOW.total_seconds())
        assert refusals.flush_closed(later) == 1
        (entry,) = _entries(later, before)
        assert entry.detail["count"] == 7
    finally:
        reopened.close()


def test_the_failed_sign_ins_chart_counts_every_refusal(env: Env, clock: Clock) -> None:
    """The activity page's failed sign-ins per day add up the counts, not the entries.

    A flood of 300 refusals is one entry; the day's figure says 300 (plus the one
    evaluated failure before it), as the old one-entry-per-refusal log did.
    """
    from vault.auditing import statistics
    from vault.business_hours import BusinessHours

    _attempt(env, "ghost")
    _lock_address(env)
    for n in range(300):
        _attempt(env, f"flood{n}")
    clock.advance(seconds=refusals.WINDOW.total_seconds())
    refusals.flush_closed(env)
    hours = BusinessHours.of(env.settings)
    window = statistics.Window.ending(hours.local(clock.now).date(), 2)  # midnight may pass
    stats = env.db.read(lambda c: statistics.activity(c, window, hours))
    assert sum(stats.failed_logins.values()) == 301
