"""Audit console benchmark: first-page and filtered-page latency at 10^6 entries.

Run: ``PYTHONPATH=. .venv/bin/python bench/bench_console.py [--entries 1000000]``.

Builds a real vault (SQLCipher, every migration, the ``audit_index`` trigger)
holding a year of synthetic entries (200 accounts, 40 practices, a realistic
mix of actions), then times, for each kind of page, many calls of
``vault.auditing.console.entry_page`` (index query + 50 leaves read and decoded) and
of the console route over Starlette's TestClient (the htmx partial: query,
decode, template). Also reports what the index trigger costs per append.
Prints a markdown section; ratios matter more than absolute figures.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.entry import Action, Actor, AuditEntry, Outcome
from audit.log import AuditLog
from tests.factories import open_test_vault
from vault.auditing.entries import EntryFilter, entry_page
from vault.opening import Vault
from vault.settings import Settings
from vault.storage.database import Database
from vault.storage.datadir import initialise
from vault.storage.store import Connection

T0 = datetime(2025, 11, 28, tzinfo=UTC)
MIX = [  # (action, share, outcome)
    (Action.ITEM_READ, 55, Outcome.OK),
    (Action.ITEM_DEPOSITED, 15, Outcome.OK),
    (Action.ITEM_STATUS_CHANGED, 10, Outcome.OK),
    (Action.LOGIN_SUCCEEDED, 10, Outcome.OK),
    (Action.ITEM_DOWNLOADED, 5, Outcome.OK),
    (Action.LOGIN_FAILED, 3, Outcome.DENIED),
    (Action.ACCESS_DENIED, 1, Outcome.DENIED),
    (Action.AUDIT_VIEWED, 1, Outcome.OK),
]
ROLES = ["member"] * 5 + ["secretary"] * 4 + ["auditor", "admin"]


def _entries(total: int, seed: int = 7) -> Callable[[int], AuditEntry]:
    rng = random.Random(seed)
    table = [(a, o) for a, share, o in MIX for _ in range(share)]
    span = timedelta(days=365).total_seconds() * 1000 / total

    def make(i: int) -> AuditEntry:
        action, outcome = table[rng.randrange(len(table))]
        who = rng.randrange(200)
        practice = f"{rng.randrange(40):08d}-0000-4000-8000-000000000000"
        return AuditEntry.new(
            action,
            now=T0 + timedelta(milliseconds=int(i * span)),
            actor=Actor(
                account=f"{who:08d}-1111-4000-8000-000000000000",
                name=f"user{who}",
                role=ROLES[who % len(ROLES)],
            ),
            outcome=outcome,
            targets={"practice": practice, "item": f"{i:032x}"},
            request=f"{i:016x}",
            ip="192.0.2.10",
        )

    return make


def build(db: Database, total: int, per_commit: int = 20_000) -> float:
    """Append ``total`` entries; return appends per second."""
    make = _entries(total)
    log = AuditLog()
    start = time.perf_counter()
    for lo in range(0, total, per_commit):
        hi = min(lo + per_commit, total)

        def batch(conn: Connection, lo: int = lo, hi: int = hi) -> None:
            for i in range(lo, hi):
                log.append(conn, make(i))

        db.write(batch)
    return total / (time.perf_counter() - start)


def trigger_cost(db: Database, n: int = 5_000, rounds: int = 3) -> tuple[float, float]:
    """Best appends per second with the index trigger and without it, alternating rounds."""
    make = _entries(n * rounds * 2, seed=11)
    entries = iter([make(i) for i in range(n * rounds * 2)])
    log = AuditLog()
    sql = db.read(
        lambda c: c.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'audit_entries_index'"
        ).fetchone()[0]
    )

    def run() -> float:
        batch = [next(entries) for _ in range(n)]
        start = time.perf_counter()
        db.write(lambda c: [log.append(c, e) for e in batch])
        return n / (time.perf_counter() - start)

    with_index, without = 0.0, 0.0
    for _ in range(rounds):
        with_index = max(with_index, run())
        db.write(lambda c: c.execute("DROP TRIGGER audit_entries_index"))
        without = max(without, run())
        db.write(lambda c: c.execute(sql))
    return with_index, without


def _times(fn: Callable[[], Any], runs: int) -> tuple[float, float, float]:
    fn()  # warm the page cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return (
        statistics.median(samples),
        samples[int(0.95 * (len(samples) - 1))],
        samples[-1],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", default_language="en")
        initialise(settings)
        vault = open_test_vault(settings)
        db = vault.db
        rate = build(db, args.entries)
        size = db.read(AuditLog().size)
        middle = size // 2
        day = (T0 + timedelta(days=180)).date()
        mid_day = datetime.combine(day, datetime.min.time(), UTC)
        practice = f"{3:08d}-0000-4000-8000-000000000000"
        cases: list[tuple[str, EntryFilter, int | None]] = [
            ("first page, no filter", EntryFilter(), None),
            ("page deep in the log (before = n/2)", EntryFilter(), middle),
            ("one account (of 200)", EntryFilter(account="user17"), None),
            ("one practice (of 40)", EntryFilter(practice=practice), None),
            ("role = admin", EntryFilter(role="admin"), None),
            ("action = login.failed (3 %)", EntryFilter(action="login.failed"), None),
            ("outcome = denied (4 %)", EntryFilter(outcome="denied"), None),
            (
                "one day, six months ago",
                EntryFilter(start=mid_day, end=mid_day + timedelta(days=1)),
                None,
            ),
            (
                "one practice, one week, six months ago",
                EntryFilter(practice=practice, start=mid_day, end=mid_day + timedelta(days=7)),
                None,
            ),
            (
                "account + access.denied (rare combination)",
                EntryFilter(account="user17", action="access.denied"),
                None,
            ),
        ]
        print(f"## Audit console ({size:,} entries)\n")
        print(
            f"Built by appending through the writer at {rate:,.0f} entries/s"
            " (20,000 per commit, index trigger on).\n"
        )
        print(
            "`vault.auditing.console.entry_page` (index query, 50 leaves read and decoded),"
            f" {args.runs} runs each, milliseconds:\n"
        )
        print("| page | rows | p50 | p95 | max |")
        print("|---|---|---|---|---|")
        for name, f, before in cases:

            def page(f: EntryFilter = f, b: int | None = before) -> int:
                return len(db.read(lambda c: entry_page(c, f, before=b)).rows)

            rows = page()
            p50, p95, top = _times(page, args.runs)
            print(f"| {name} | {rows} | {p50:.2f} | {p95:.2f} | {top:.2f} |")
        _http(vault, practice, args.runs)
        with_index, without = trigger_cost(db)
        print(
            f"\nIndex trigger on append (5,000 per commit, best of 3): {with_index:,.0f}/s with,"
            f" {without:,.0f}/s without."
        )
        db.close()


def _http(vault: Vault, practice: str, runs: int) -> None:
    """The console's htmx partial over the real app (no network): query + decode + template."""
    from starlette.testclient import TestClient

    from tests.people import enrol
    from vault.identity.roles import Role
    from vault.identity.sessions import create
    from web.app import create_app
    from web.session import COOKIE

    env, db = vault.env, vault.db
    auditor = enrol(env, Role.AUDITOR, "bench.auditor")
    token, _ = db.write(lambda c: create(env, c, auditor.account_id, "127.0.0.1", "bench"))
    # A loopback name: the app refuses any Host it does not own (Starlette's "testserver").
    with TestClient(create_app(vault), base_url="http://localhost") as client:
        client.cookies.set(COOKIE, token)
        print(f"\nThe console route, htmx partial over TestClient, {runs} runs, milliseconds:\n")
        print("| request | p50 | p95 | max |")
        print("|---|---|---|---|")
        for name, url in (
            ("GET /audit (first page)", "/audit"),
            ("GET /audit?practice=…", f"/audit?practice={practice}"),
            (
                "GET /audit?account=user17&action=login.failed",
                "/audit?account=user17&action=login.failed",
            ),
        ):

            def get(url: str = url) -> None:
                assert client.get(url, headers={"hx-request": "true"}).status_code == 200

            p50, p95, top = _times(get, runs)
            print(f"| {name} | {p50:.2f} | {p95:.2f} | {top:.2f} |")
        p50, p95, top = _times(lambda: client.get("/audit"), max(20, runs // 10))
        print(
            f"| GET /audit, full page (records audit.viewed, one durable commit) "
            f"| {p50:.2f} | {p95:.2f} | {top:.2f} |"
        )


if __name__ == "__main__":
    main()
