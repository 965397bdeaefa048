"""Durable writes per second through the group-commit writer vs raw SQLCipher.

Baseline, measured in the same run on the same disk: one row per durable commit
on a plain SQLCipher connection (WAL, synchronous=FULL). Then the same rows
through ``vault.storage.writer.Writer`` from 1, 16 and 64 concurrent writers, each
waiting for its commit before sending the next row: as threads, and as asyncio
coroutines (how the web server's requests call it).

    .venv/bin/python bench/bench_writer.py [--rows N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import threading
import time
from pathlib import Path

from vault.storage.database import Database
from vault.storage.store import Connection, connect, new_key

ROW_BYTES = 512
SCHEMA = "CREATE TABLE deposit (id INTEGER PRIMARY KEY, body BLOB NOT NULL)"


def raw_rate(path: Path, rows: int) -> float:
    conn = connect(path, new_key(), create=True)
    conn.execute(SCHEMA)
    payload = os.urandom(ROW_BYTES)
    start = time.perf_counter()
    for _ in range(rows):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO deposit (body) VALUES (?)", (payload,))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return rows / elapsed


def writer_rate(path: Path, rows: int, writers: int) -> tuple[float, float]:
    key = new_key()
    connect(path, key, create=True).close()
    db = Database(path, key)
    db.write(lambda c: c.execute(SCHEMA))
    payload = os.urandom(ROW_BYTES)
    per_writer = rows // writers
    commits_before = db.writer.stats.commits

    def insert(conn: Connection) -> None:
        conn.execute("INSERT INTO deposit (body) VALUES (?)", (payload,))

    def work() -> None:
        for _ in range(per_writer):
            db.write(insert)

    threads = [threading.Thread(target=work) for _ in range(writers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    commits = db.writer.stats.commits - commits_before
    db.close()
    total = per_writer * writers
    return total / elapsed, total / max(commits, 1)


def writer_rate_async(path: Path, rows: int, writers: int) -> tuple[float, float]:
    """The same through ``write_async`` from coroutines, as the web server's requests do."""
    key = new_key()
    connect(path, key, create=True).close()
    db = Database(path, key)
    db.write(lambda c: c.execute(SCHEMA))
    payload = os.urandom(ROW_BYTES)
    per_writer = rows // writers
    commits_before = db.writer.stats.commits

    def insert(conn: Connection) -> None:
        conn.execute("INSERT INTO deposit (body) VALUES (?)", (payload,))

    async def work() -> None:
        for _ in range(per_writer):
            await db.write_async(insert)

    async def all_work() -> None:
        await asyncio.gather(*(work() for _ in range(writers)))

    start = time.perf_counter()
    asyncio.run(all_work())
    elapsed = time.perf_counter() - start
    commits = db.writer.stats.commits - commits_before
    db.close()
    total = per_writer * writers
    return total / elapsed, total / max(commits, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=6400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        base = raw_rate(Path(tmp) / "raw.db", args.rows)
        results = [
            (f"{n} threads", *writer_rate(Path(tmp) / f"t{n}.db", args.rows, n))
            for n in (1, 16, 64)
        ] + [
            (f"{n} coroutines", *writer_rate_async(Path(tmp) / f"a{n}.db", args.rows, n))
            for n in (1, 16, 64)
        ]
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"Rows of {ROW_BYTES} bytes, {args.rows} per configuration.\n")
    print("| configuration | durable writes/s | rows per commit | vs raw |")
    print("|---|---:|---:|---:|")
    print(f"| raw SQLCipher, one commit per row | {base:,.0f} | 1 | 1.0 |")
    for label, rate, per_commit in results:
        print(f"| writer, {label} | {rate:,.0f} | {per_commit:.1f} | {rate / base:.1f} |")


if __name__ == "__main__":
    main()
