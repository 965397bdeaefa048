"""Audit log benchmark: append overhead, full verification, proof time and size.

Run: ``PYTHONPATH=. .venv/bin/python bench/bench_audit.py [--entries 1000000]``.
Prints a markdown section. Ratios matter more than absolute figures.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audit import merkle
from audit.entry import Action, Actor, AuditEntry, encode
from audit.issuer import CheckpointIssuer
from audit.keys import NoteSigner
from audit.log import AuditLog
from audit.schema import SCHEMA_SQL
from crypto.secret import Secret
from crypto.signing import SigningKey
from vault.storage.migrate import Migration, all_migrations, migrate
from vault.storage.store import Connection, connect
from vault.storage.writer import Writer

KEY = Secret(bytes(range(32)))
T0 = datetime(2026, 11, 27, tzinfo=UTC)
SIGNER = NoteSigner("bench.local/audit", SigningKey(b"\x01" * 32))


def _entry(i: int) -> AuditEntry:
    return AuditEntry.new(
        Action.ITEM_READ,
        now=T0 + timedelta(milliseconds=i),
        actor=Actor(account=f"acc-{i % 50:04d}", name=f"user{i % 50}", role="client"),
        targets={"item": f"{i:032x}", "client": f"{i % 40:032x}"},
        request=f"{i:032x}",
        ip="192.0.2.10",
    )


def _open(path: Path) -> Connection:
    conn = connect(path, KEY, create=True)
    migrate(
        conn, [*(m for m in all_migrations() if m.number < 2), Migration(2, "audit", SCHEMA_SQL)]
    )
    conn.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, data BLOB NOT NULL) STRICT")
    return conn


def _rate(
    writer: Writer, total: int, per_commit: int, fn: Callable[[Connection, int], None]
) -> float:
    def batch(lo: int) -> Callable[[Connection], None]:
        def run(conn: Connection) -> None:
            for i in range(lo, lo + per_commit):
                fn(conn, i)

        return run

    start = time.perf_counter()
    for lo in range(0, total, per_commit):
        writer.run(batch(lo))  # one durable commit per call: the grouping is exact
    return total / (time.perf_counter() - start)


def bench_append(tmp: Path, rounds: int) -> list[str]:
    size = len(encode(_entry(0), 0))
    payload = b"x" * size
    log = AuditLog()
    lines = []
    for per_commit, total in ((1, 2000), (100, 40_000)):
        entries = [_entry(i) for i in range(total)]  # built outside the timing, like payload

        def raw(c: Connection, i: int) -> None:
            c.execute("INSERT INTO raw (id, data) VALUES (?, ?)", (i, payload))

        def app(c: Connection, i: int, entries: list[AuditEntry] = entries) -> None:
            log.append(c, entries[i])

        rates: dict[str, list[float]] = {"raw": [], "audit": []}
        for r in range(rounds):
            order = [("raw", raw), ("audit", app)]
            for name, fn in order if r % 2 == 0 else reversed(order):
                conn = _open(tmp / f"append-{per_commit}-{r}-{name}.db")
                writer = Writer(conn)
                rates[name].append(_rate(writer, total, per_commit, fn))
                writer.close()
                conn.close()
        a, w = statistics.median(rates["audit"]), statistics.median(rates["raw"])
        overhead = (w / a - 1) * 100
        verdict = "met" if overhead <= 10 else "not met"
        lines.append(
            f"| {per_commit} per commit | {w:,.0f}/s | {a:,.0f}/s | {overhead:+.0f}% ({verdict}) |"
        )
    return [
        f"Entry size: {size} bytes (canonical JSON); raw baseline inserts a {size}-byte blob.",
        f"Median of {rounds} rounds, each on a fresh database, order alternating.",
        "",
        "| grouping | raw SQLCipher insert | audit append | overhead (goal <= 10%) |",
        "|---|---|---|---|",
        *lines,
    ]


def build_log(path: Path, n: int) -> float:
    conn = _open(path)
    writer = Writer(conn)
    log = AuditLog()
    issuer = CheckpointIssuer(SIGNER, SIGNER.name)
    step = 5000
    start = time.perf_counter()
    for lo in range(0, n, step):
        hi = min(lo + step, n)

        def run(c: Connection, lo: int = lo, hi: int = hi) -> None:
            for i in range(lo, hi):
                log.append(c, _entry(i))
            if hi % 100_000 == 0 or hi == n:
                issuer.issue(c, now=T0 + timedelta(seconds=hi))

        writer.run(run)
    elapsed = time.perf_counter() - start
    writer.close()
    conn.close()
    return elapsed


def bench_verify_and_proofs(path: Path, n: int) -> list[str]:
    from audit.verify import verify_database

    conn = connect(path, KEY)
    start = time.perf_counter()
    report = verify_database(conn, SIGNER.verifier, origin=SIGNER.name)
    verify_s = time.perf_counter() - start
    assert report.size == n
    log = AuditLog()
    root = log.root(conn, n)
    bound = 32 * math.ceil(math.log2(n))
    inc_times, inc_sizes, con_times, con_sizes = [], [], [], []
    for k in range(200):
        i = (k * 7919 * 127) % n
        t = time.perf_counter()
        proof = log.inclusion_proof(conn, i, n)
        inc_times.append(time.perf_counter() - t)
        inc_sizes.append(32 * len(proof.hashes))
        merkle.verify_inclusion(merkle.leaf_hash(log.leaf(conn, i)), i, n, proof.hashes, root)
        m = 1 + (k * 104729) % (n - 1)
        t = time.perf_counter()
        cproof = log.consistency_proof(conn, m, n)
        con_times.append(time.perf_counter() - t)
        con_sizes.append(32 * len(cproof.hashes))
    conn.close()
    rate = n / verify_s
    return [
        "| measure | result | goal |",
        "|---|---|---|",
        f"| full verification of {n:,} entries | {verify_s:.1f} s = {rate:,.0f} entries/s |"
        f" >= 300,000/s ({'met' if rate >= 300_000 else 'not met'}) |",
        f"| inclusion proof, median / max time | {statistics.median(inc_times) * 1e3:.2f} ms /"
        f" {max(inc_times) * 1e3:.2f} ms | |",
        f"| inclusion proof size, max | {max(inc_sizes)} bytes | <= {bound}"
        f" ({'met' if max(inc_sizes) <= bound else 'not met'}) |",
        f"| consistency proof, median / max time | {statistics.median(con_times) * 1e3:.2f} ms /"
        f" {max(con_times) * 1e3:.2f} ms | |",
        f"| consistency proof size, max | {max(con_sizes)} bytes | <= {bound}"
        f" ({'met' if max(con_sizes) <= bound else 'not met'}) |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="where to put the databases (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        tmp = Path(d)
        print("## Audit log\n")
        print("### Append (durable commits, WAL, synchronous=FULL)\n")
        print("\n".join(bench_append(tmp, args.rounds)))
        path = tmp / "big.db"
        build_s = build_log(path, args.entries)
        print(f"\n### {args.entries:,}-entry log\n")
        print(
            f"Built with 5,000 appends per commit in {build_s:.0f} s"
            f" ({args.entries / build_s:,.0f} appends/s).\n"
        )
        print("\n".join(bench_verify_and_proofs(path, args.entries)))


if __name__ == "__main__":
    main()
