"""Deposits over HTTP, inbox latency by practice size, server memory for a 1 GiB extract.

1. Deposits/s (signed call notes, full checks, audit entry, group commit) through
   uvicorn at 1, 16 and 64 concurrent clients, p50/p99 — against, in the same run,
   a bare Starlette endpoint under uvicorn doing one raw SQLCipher insert and
   durable commit per request. Servers run in their own process; envelopes are
   sealed before the clock starts. Each row measures both servers ``--rounds`` times,
   interleaved (A B B A ...), and reports the median of the rounds' ratios: on a shared
   machine the bare endpoint alone moves by a factor of two from one run to the next.
2. Inbox first page (50 items, urgent first, keyset) for a practice holding
   10^3, 10^5 and 10^6 items: the use case alone and the whole app (in-process ASGI).
3. Peak resident memory (VmHWM) of the server process while a file goes up and
   comes down, for a 64 MiB and a 1 GiB stream.

    PYTHONPATH=. .venv/bin/python bench/bench_deposits.py [--seconds 5] [--rounds 3] [--only inbox]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import httpx2 as httpx

from cli.main import SERVE_HTTP, SERVE_LOOP, uvicorn_options
from crypto.encoding import b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, seal_item
from crypto.stream import stream_length
from tests.factories import (
    add_account,
    add_practice,
    assign,
    call_note_body,
    open_test_vault,
    session_for,
)
from vault.clock import iso
from vault.identity.roles import Role
from vault.ids import new_item_id
from vault.items import inbox
from vault.settings import Settings
from vault.storage.datadir import initialise
from vault.storage.store import Connection, connect, new_key

GIB = 1024**3


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_bare(path: str, port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    conn = connect(Path(path), new_key(), create=True)
    conn.execute("CREATE TABLE deposit (id TEXT PRIMARY KEY, body BLOB NOT NULL)")
    lock = threading.Lock()

    def insert(body: bytes) -> None:
        with lock:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO deposit VALUES (?, ?)", (new_item_id(), body))  # same ids
            conn.execute("COMMIT")

    async def endpoint(request: Request) -> JSONResponse:
        await run_in_threadpool(insert, await request.body())
        return JSONResponse({"ok": True}, status_code=201)

    app = Starlette(routes=[Route("/items", endpoint, methods=["POST"])])
    # The same HTTP parser and event loop as ``permanence serve`` (cli/main.py).
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        http=SERVE_HTTP,
        loop=SERVE_LOOP,
    )


def _serve_vault(data_dir: str, limit: int, port: int) -> None:
    import uvicorn

    from web.app import create_app

    settings = replace(
        Settings(data_dir=Path(data_dir)), upload_limit_bytes=limit, port=port, host="127.0.0.1"
    )
    with open_test_vault(settings) as vault:
        uvicorn.run(create_app(vault), **uvicorn_options(settings))  # as ``permanence serve``


def _start(target: Any, *args: Any) -> tuple[Any, str]:
    port = _port()
    process = multiprocessing.get_context("spawn").Process(target=target, args=(*args, port))
    process.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/health", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _vault(data_dir: Path) -> tuple[Settings, dict[str, Any]]:
    settings = Settings(data_dir=data_dir)
    initialise(settings)
    vault = open_test_vault(settings)
    db = vault.db
    env = vault.env
    practice = add_practice(env, "Bench")
    add_account(env, Role.MEMBER, "member", practice)
    secretary = add_account(env, Role.SECRETARY, "secretary")
    assign(env, secretary, practice)
    token, csrf = session_for(env, secretary)
    db.close()
    return settings, {"practice": practice, "secretary": secretary, "token": token, "csrf": csrf}


def _envelopes(arr: dict[str, Any], n: int) -> list[dict[str, Any]]:
    body = encode_body(call_note_body())
    started = int(time.time())  # the vault was created just before: calls start after it
    clear_started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
    out = []
    for _ in range(n):
        iid = uuid.UUID(new_item_id())  # as the browser draws them (time-ordered)
        header = ItemHeader(
            ItemKind.CALL_NOTE,
            Urgency.NORMAL,
            iid,
            uuid.UUID(arr["practice"].id),
            uuid.UUID(arr["secretary"].id),
            call_started_at=started,
            call_seconds=95,
        )
        env = seal_item(
            header, body, arr["practice"].keys.public_key, arr["secretary"].keys.signing_key
        )
        out.append(
            {
                "item_id": str(iid),
                "practice_id": arr["practice"].id,
                "envelope": b64url_encode(env),
                "call_started_at": clear_started,
                "call_seconds": 95,
            }
        )
    return out


async def _load(
    url: str, clients: int, seconds: float, bodies: list[dict[str, Any]], headers: dict[str, str]
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    it = iter(bodies)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=60
    ) as client:

        async def worker() -> None:
            while time.perf_counter() < stop:
                body = next(it)
                t0 = time.perf_counter()
                r = await client.post("/items", json=body)
                if r.status_code != 201:
                    raise RuntimeError(f"{r.status_code} {r.text[:200]}")
                latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return int(len(latencies) / elapsed), latencies


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000


# Bodies sealed per second of each deposit run: above the highest rate seen here (about 1,300/s);
# a run that finds none left fails loudly (StopIteration, or wrk's 409s).
DEPOSITS_PER_RUN_SECOND = 2_500
WRK_MAX_RATE = 6000  # bodies given to a wrk run per second: more than any server here answers


def _wrk(
    url: str,
    clients: int,
    seconds: float,
    bodies: list[dict[str, Any]],
    headers: dict[str, str],
    tmp: Path,
) -> tuple[int, float, float, int]:
    """(deposits/s, p50 ms, p99 ms, bodies used) with wrk (C, its own process and threads)
    sending pre-built bodies; a non-2xx answer or a socket error fails the run. Thread k
    sends lines k, k + T, ...: the bodies used are the first T times the most one sent."""
    path = tmp / "bodies.jsonl"
    path.write_text("".join(json.dumps(b, separators=(",", ":")) + "\n" for b in bodies))
    threads = min(2, clients)
    command = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds:g}s"]
    command += ["-s", str(Path(__file__).with_name("deposits.lua"))]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += [url, "--", str(path), str(threads)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.split("RESULT ", 1)[1])
    if result["non2xx"] or result["errors"]:
        raise RuntimeError(f"wrk: {result['non2xx']} non-2xx answers, {result['errors']} errors")
    rate = int(result["requests"] / (result["duration_us"] / 1e6))
    used = threads * int(result["most_per_thread"])
    return rate, result["p50_us"] / 1000, result["p99_us"] / 1000, used


BARE, DEPOSIT = "bare SQLCipher insert", "Permanence deposit"
GENERATORS = ("wrk", "httpx (Python, asyncio)")


def round_order(rounds: int) -> list[str]:
    """Which server each measurement of one row goes to: A B B A A B ... so that a drift
    of the machine during the row (another process, the disk) weighs on both alike."""
    order: list[str] = []
    for n in range(rounds):
        order += [BARE, DEPOSIT] if n % 2 == 0 else [DEPOSIT, BARE]
    return order


def summary(rates: dict[str, list[int]]) -> tuple[int, int, float, float, float]:
    """(bare median, deposit median, median of the rounds' ratios, lowest, highest).

    Round n's ratio pairs the n-th deposit run with the n-th bare run, measured next to it.
    """
    ratios = sorted(d / b for b, d in zip(rates[BARE], rates[DEPOSIT], strict=True))
    return (
        int(statistics.median(rates[BARE])),
        int(statistics.median(rates[DEPOSIT])),
        statistics.median(ratios),
        ratios[0],
        ratios[-1],
    )


def bench_deposits(
    tmp: Path, seconds: float, client_counts: Sequence[int] = (1, 16, 64), rounds: int = 3
) -> None:
    """Both servers under both load generators, at 1, 16 and 64 clients, in one run:
    ``rounds`` measurements of each server per row, interleaved (``round_order``)."""
    settings, arr = _vault(tmp / "vault")
    runs = rounds * len(GENERATORS) * len(client_counts)
    bodies = _envelopes(arr, int(seconds * DEPOSITS_PER_RUN_SECOND) * runs)
    headers = {
        "cookie": f"permanence_session={arr['token']}",
        "x-csrf-token": arr["csrf"],
        "accept": "application/json",
        "content-type": "application/json",
    }
    vault_proc, vault_url = _start(_serve_vault, str(settings.data_dir), 100 * 1024 * 1024)
    bare_proc, bare_url = _start(_serve_bare, str(tmp / "bare.db"))
    urls = {BARE: bare_url, DEPOSIT: vault_url}
    results: list[tuple[int, str, dict[str, list[int]]]] = []
    print("| clients | load generator | round | server | deposits/s | p50 ms | p99 ms |")
    print("|---:|---|---:|---|---:|---:|---:|")
    try:
        for clients in client_counts:
            for generator in GENERATORS:
                rates: dict[str, list[int]] = {BARE: [], DEPOSIT: []}
                for name in round_order(rounds):
                    url = urls[name]
                    if generator == "wrk":
                        batch = bodies[: int(seconds * WRK_MAX_RATE)]
                        rate, p50, p99, used = _wrk(url, clients, seconds, batch, headers, tmp)
                    else:
                        rate, lat = asyncio.run(_load(url, clients, seconds, bodies, headers))
                        p50, p99, used = _pct(lat, 50), _pct(lat, 99), len(lat)
                    rates[name].append(rate)
                    print(
                        f"| {clients} | {generator} | {len(rates[name])} | {name} | {rate:,} |"
                        f" {p50:.1f} | {p99:.1f} |",
                        flush=True,
                    )
                    if name == DEPOSIT:
                        bodies = bodies[used + clients :]  # never the same item twice
                results.append((clients, generator, rates))
    finally:
        vault_proc.terminate()
        bare_proc.terminate()
    print(
        f"\n| clients | load generator | bare deposits/s | Permanence deposits/s |"
        f" vs bare (median of {rounds} rounds) | lowest to highest round |"
        "\n|---:|---|---:|---:|---:|---|"
    )
    for clients, generator, rates in results:
        bare, deposit, ratio, low, high = summary(rates)
        print(
            f"| {clients} | {generator} | {bare:,} | {deposit:,} | {ratio:.2f}\u00d7 |"
            f" {low:.2f}\u2013{high:.2f}\u00d7 |"
        )


_INSERT = (
    "INSERT INTO item (id, practice_id, author_id, kind, urgency, pinned, status,"
    " deposited_at, envelope, size) VALUES (?,?,?,?,?,?,?,?,?,?)"
)


def _insert_items(conn: Connection, rows: Sequence[tuple[object, ...]]) -> None:
    conn.executemany(_INSERT, rows)


def bench_inbox(tmp: Path, sizes: list[int]) -> None:
    print(
        "\n| items in the practice | use case p50 ms | p95 ms | whole app p50 ms | p95 ms |"
        "\n|---:|---:|---:|---:|---:|"
    )
    for size in sizes:
        settings, arr = _vault(tmp / f"inbox{size}")
        vault = open_test_vault(settings)
        db = vault.db
        env = vault.env
        practice, author = arr["practice"], arr["secretary"]
        member = add_account(env, Role.MEMBER, "reader", practice)
        envelope = os.urandom(600)
        now = time.time()
        batch = 20_000
        for start in range(0, size, batch):
            rows = []
            for n in range(start, min(size, start + batch)):
                at = iso(env.now().fromtimestamp(now - (size - n), env.now().tzinfo))
                urgent = n % 50 == 0
                rows.append(
                    (
                        new_item_id(partial(int, (now - (size - n)) * 1000)),
                        practice.id,
                        author.id,
                        "call_note",
                        2 if urgent else 1,
                        int(urgent and n > size - 500),
                        "new",
                        at,
                        envelope,
                        600,
                    )
                )
            db.write(partial(_insert_items, rows=rows))
        timings: list[float] = []
        for _ in range(300):
            t0 = time.perf_counter()
            inbox.inbox(env, member.principal, inbox.InboxFilter(), None)
            timings.append(time.perf_counter() - t0)
        from web.app import create_app

        app = create_app(vault)
        token, _ = session_for(env, member)
        http: list[float] = []

        async def run(app: Any = app, token: str = token, http: list[float] = http) -> None:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://localhost"
            ) as client:
                client.cookies.set("permanence_session", token)
                for _ in range(300):
                    t0 = time.perf_counter()
                    r = await client.get("/inbox", headers={"accept": "application/json"})
                    assert r.status_code == 200 and len(r.json()["items"]) == 50
                    http.append(time.perf_counter() - t0)

        asyncio.run(run())
        print(
            f"| {size:,} | {_pct(timings, 50):.2f} | {_pct(timings, 95):.2f} |"
            f" {_pct(http, 50):.2f} | {_pct(http, 95):.2f} |",
            flush=True,
        )
        db.close()


def _hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def bench_memory(tmp: Path, sizes: list[int]) -> None:
    print("\n| stream | upload MB/s | download MB/s | server peak RSS MiB |\n|---:|---:|---:|---:|")
    for size in sizes:
        settings, arr = _vault(tmp / f"mem{size}")
        proc, url = _start(_serve_vault, str(settings.data_dir), 2 * GIB)
        headers = {
            "cookie": f"permanence_session={arr['token']}",
            "x-csrf-token": arr["csrf"],
            "accept": "application/json",
        }
        total = stream_length(size)
        piece = os.urandom(4 * 1024 * 1024)
        iid = new_item_id()
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            up = client.post(
                "/uploads", json={"practice_id": arr["practice"].id, "item_id": iid, "size": total}
            ).json()
            t0 = time.perf_counter()
            offset = 0
            while offset < total:
                part = (b"\x01" + piece[1:]) if offset == 0 else piece
                part = part[: total - offset]
                client.put(f"/uploads/{up['upload_id']}/{offset}", content=part).raise_for_status()
                offset += len(part)
            up_rate = total / (time.perf_counter() - t0) / 1e6
            header = ItemHeader(
                ItemKind.EXTRACT,
                Urgency.NORMAL,
                uuid.UUID(iid),
                uuid.UUID(arr["practice"].id),
                uuid.UUID(arr["secretary"].id),
            )
            env = seal_item(
                header, b"{}", arr["practice"].keys.public_key, arr["secretary"].keys.signing_key
            )
            client.post(
                "/items",
                json={
                    "item_id": iid,
                    "practice_id": arr["practice"].id,
                    "envelope": b64url_encode(env),
                    "upload_id": up["upload_id"],
                },
            ).raise_for_status()
        member = _member_session(settings, arr)
        t0 = time.perf_counter()
        got = 0
        with (
            httpx.Client(base_url=url, headers=member, timeout=120) as client,
            client.stream("GET", f"/items/{iid}/file") as r,
        ):
            for chunk in r.iter_bytes(1024 * 1024):
                got += len(chunk)
        down_rate = got / (time.perf_counter() - t0) / 1e6
        assert got == total
        print(
            f"| {size / 1024**2:,.0f} MiB | {up_rate:.0f} | {down_rate:.0f} |"
            f" {_hwm(int(proc.pid)) / 1024**2:.0f} |",
            flush=True,
        )
        proc.terminate()


def _member_session(settings: Settings, arr: dict[str, Any]) -> dict[str, str]:
    vault = open_test_vault(settings)
    db = vault.db
    env = vault.env
    token, csrf = session_for(env, arr["practice"].members[0])
    db.close()
    return {"cookie": f"permanence_session={token}", "x-csrf-token": csrf}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--files", default=f"{64 * 1024**2},{GIB}")
    parser.add_argument("--only", choices=["deposits", "inbox", "memory"])
    parser.add_argument("--clients", default="1,16,64", help="deposit runs' client counts")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per server per row")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.only in (None, "deposits"):
            clients = [int(c) for c in args.clients.split(",")]
            bench_deposits(tmp, args.seconds, clients, args.rounds)
        if args.only in (None, "inbox"):
            bench_inbox(tmp, [int(s) for s in args.sizes.split(",")])
        if args.only in (None, "memory"):
            bench_memory(tmp, [int(s) for s in args.files.split(",")])


if __name__ == "__main__":
    main()
