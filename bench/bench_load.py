"""Mixed traffic from 64 clients for 60 s against a real server: 5xx count, p50/p99 per type.

A fresh vault (one practice, its member, an assigned secretary, N enrolled accounts
for sign-ins) is served by ``permanence serve`` (uvicorn, one worker) in a child
process. Before the clock starts, this script seals every envelope it will deposit
(messages, and extracts that share one encrypted stream, each with its own signed
envelope) and deposits a few hundred items for the member to page through and read.

1. baseline: one client alone sends ``GET /health`` (a trivial endpoint) for a few
   seconds;
2. load: 64 asyncio clients (httpx, keep-alive) for 60 s. Four sign in over and over
   (``POST /login/prelogin`` then ``POST /login``: Argon2id verification on the
   server, TOTP, session and audit writes), each from its own loopback address so that
   the per-address throttle is not what is measured; one keeps sending ``GET /health``
   (the baseline under load); the others draw, per request, a deposit of a message
   (``POST /items``), the inbox's first page (``GET /inbox``), an item read
   (``GET /items/{id}/envelope``) or an extract upload (``POST /uploads``, one ``PUT``
   of the stream, ``POST /items``).

The load generator runs on the same machine as the server and competes with it for
the CPU. Prints a markdown section; it measures and reports, it asserts nothing.

    PYTHONPATH=. .venv/bin/python bench/bench_load.py [--clients 64] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx2 as httpx

from bench.bench_logins import PASSWORD, Account, Tickets, enrol_accounts
from crypto.encoding import b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, seal_item
from crypto.kdf import KdfParams, derive_password_keys
from crypto.stream import FileManifest, encrypt_stream, new_file_key
from tests.e2e.vault_process import Arranged, VaultServer, arrange, message_deposit

SIGN_IN_CLIENTS = 4
MIX = {"deposit": 35, "inbox": 25, "item": 35, "extract": 5}
EXTRACT_BYTES = 96 * 1024
SEEDED_ITEMS = 300


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def record(self, kind: str, started: float, response: httpx.Response) -> None:
        self.latencies[kind].append((time.perf_counter() - started) * 1000)
        self.statuses[kind][response.status_code] += 1


@dataclass
class Workload:
    """Everything sealed before the clock starts."""

    arranged: Arranged
    messages: list[dict[str, Any]]
    extracts: list[dict[str, Any]]
    stream: bytes
    readable: list[str]


def _extracts(arranged: Arranged, count: int) -> tuple[bytes, list[dict[str, Any]]]:
    """One encrypted stream and ``count`` deposits of it, each with its own item id."""
    key = new_file_key()
    out = BytesIO()
    info = encrypt_stream(BytesIO(os.urandom(EXTRACT_BYTES)), out, key)
    manifest = FileManifest("extract.csv", "text/csv", info.size, key, info.stream_hash)
    deposits = []
    for _ in range(count):
        item_id = uuid.uuid4()
        header = ItemHeader(
            kind=ItemKind.EXTRACT,
            urgency=Urgency.NORMAL,
            item_id=item_id,
            client_id=uuid.UUID(arranged.practice.id),
            author_id=uuid.UUID(arranged.secretary.id),
        )
        envelope = seal_item(
            header,
            manifest.to_body(),
            arranged.practice.keys.public_key,
            arranged.secretary.keys.signing_key,
        )
        deposits.append(
            {
                "item_id": str(item_id),
                "practice_id": arranged.practice.id,
                "envelope": b64url_encode(envelope),
            }
        )
    return out.getvalue(), deposits


async def _extract(client: httpx.AsyncClient, work: Workload, stats: Stats) -> None:
    deposit = work.extracts.pop()
    size = len(work.stream)
    t0 = time.perf_counter()
    started = await client.post(
        "/uploads",
        json={"practice_id": deposit["practice_id"], "item_id": deposit["item_id"], "size": size},
    )
    stats.record("POST /uploads", t0, started)
    if started.status_code not in (200, 201):
        return
    upload_id = started.json()["upload_id"]
    t0 = time.perf_counter()
    put = await client.put(f"/uploads/{upload_id}/0", content=work.stream)
    stats.record("PUT /uploads/{id}/0", t0, put)
    t0 = time.perf_counter()
    done = await client.post("/items", json={**deposit, "upload_id": upload_id})
    stats.record("POST /items (extract)", t0, done)


async def _mixed(
    client: httpx.AsyncClient,
    member: httpx.AsyncClient,
    work: Workload,
    stats: Stats,
    stop: float,
    rng: random.Random,
) -> None:
    kinds, weights = list(MIX), list(MIX.values())
    while time.perf_counter() < stop:
        kind = rng.choices(kinds, weights)[0]
        if (kind == "deposit" and not work.messages) or (kind == "extract" and not work.extracts):
            stats.errors[f"{kind}s sealed in advance ran out"] += 1
            kind = "inbox"
        try:
            if kind == "deposit":
                deposit = work.messages.pop()
                t0 = time.perf_counter()
                answer = await client.post("/items", json=deposit)
                stats.record("POST /items (message)", t0, answer)
                if answer.status_code == 201:
                    work.readable.append(deposit["item_id"])
            elif kind == "inbox":
                t0 = time.perf_counter()
                stats.record("GET /inbox", t0, await member.get("/inbox"))
            elif kind == "item":
                item_id = rng.choice(work.readable)
                t0 = time.perf_counter()
                stats.record(
                    "GET /items/{id}/envelope", t0, await member.get(f"/items/{item_id}/envelope")
                )
            else:
                await _extract(client, work, stats)
        except httpx.TransportError as e:
            stats.errors[f"{kind}: {type(e).__name__}"] += 1


async def _signing_in(
    base_url: str, source: str, tickets: Tickets, auth_key: str, stats: Stats, stop: float
) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(
        base_url=base_url, transport=transport, headers={"accept": "application/json"}, timeout=60
    ) as client:
        while time.perf_counter() < stop:
            ticket = tickets.take()
            if ticket is None:
                stats.errors["waits for an unused TOTP step"] += 1
                await asyncio.sleep(0.2)
                continue
            account, code = ticket
            client.cookies.clear()
            try:
                t0 = time.perf_counter()
                pre = await client.post("/login/prelogin", json={"username": account.username})
                stats.record("POST /login/prelogin", t0, pre)
                t0 = time.perf_counter()
                body = {"username": account.username, "auth_key": auth_key, "code": code}
                stats.record("POST /login", t0, await client.post("/login", json=body))
            except httpx.TransportError as e:
                stats.errors[f"sign-in: {type(e).__name__}"] += 1


async def _health(client: httpx.AsyncClient, stats: Stats, stop: float, label: str) -> None:
    while time.perf_counter() < stop:
        t0 = time.perf_counter()
        stats.record(label, t0, await client.get("/health"))


def _client(base_url: str, headers: dict[str, str], connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60)


async def _run(
    base_url: str, work: Workload, tickets: Tickets, auth_key: str, clients: int, seconds: float
) -> tuple[Stats, Stats, float]:
    baseline = Stats()
    async with _client(base_url, {}, 1) as alone:
        await _health(alone, baseline, time.perf_counter() + 5, "GET /health (alone)")
    stats = Stats()
    others = clients - SIGN_IN_CLIENTS - 1
    rng = random.Random(1)
    async with (
        _client(base_url, work.arranged.secretary_headers, others) as secretary,
        _client(base_url, work.arranged.member_headers, others) as member,
        _client(base_url, {}, 1) as probe,
    ):
        start = time.perf_counter()
        stop = start + seconds
        await asyncio.gather(
            _health(probe, stats, stop, "GET /health (under load)"),
            *(
                _signing_in(base_url, f"127.0.8.{n + 1}", tickets, auth_key, stats, stop)
                for n in range(SIGN_IN_CLIENTS)
            ),
            *(
                _mixed(secretary, member, work, stats, stop, random.Random(rng.getrandbits(32)))
                for _ in range(others)
            ),
        )
        elapsed = time.perf_counter() - start
    return baseline, stats, elapsed


def _busy_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from ``/proc/stat``."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def _process_ticks(pid: int) -> int:
    """User plus system CPU ticks of one process (all its threads)."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(after_name[11]) + int(after_name[12])


@dataclass
class CpuShare:
    """Who used the machine's CPU while the load ran, in cores."""

    server: float
    clients: float
    others: float


def _measure_cpu(server_pid: int, run: Any) -> tuple[Any, CpuShare]:
    busy0, total0 = _busy_ticks()
    server0, clients0 = _process_ticks(server_pid), _process_ticks(os.getpid())
    outcome = run()
    busy1, total1 = _busy_ticks()
    server1, clients1 = _process_ticks(server_pid), _process_ticks(os.getpid())
    cores = os.cpu_count() or 1
    per_core = (total1 - total0) / cores  # ticks of one core over the run
    server, clients = (server1 - server0) / per_core, (clients1 - clients0) / per_core
    return outcome, CpuShare(server, clients, (busy1 - busy0) / per_core - server - clients)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _seed_items(server: VaultServer, work: Workload) -> None:
    """Items for the member to page through and read, deposited before the clock starts."""
    with httpx.Client(
        base_url=server.base_url, headers=work.arranged.secretary_headers, timeout=60
    ) as client:
        for _ in range(SEEDED_ITEMS):
            deposit = work.messages.pop()
            client.post("/items", json=deposit).raise_for_status()
            work.readable.append(deposit["item_id"])


def _report(
    args: argparse.Namespace,
    baseline: Stats,
    stats: Stats,
    elapsed: float,
    enrolled: int,
    cpu: CpuShare,
) -> None:
    print(f"## Mixed load: {args.clients} clients (bench/bench_load.py)\n")
    print(
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()};"
        f" `permanence serve` (uvicorn, one worker) in a child process; {args.clients} clients"
        f" for {elapsed:.1f} s from one asyncio process on the same machine;"
        f" {enrolled} accounts for sign-ins.\n"
    )
    total = sum(sum(s.values()) for s in stats.statuses.values())
    fives = sum(n for s in stats.statuses.values() for code, n in s.items() if code >= 500)
    print(f"- requests answered: {total:,} ({total / elapsed:,.0f}/s); **5xx: {fives}**")
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(stats.errors.items())) or "none"
    print(f"- transport errors and waits: {errors}")
    print(
        f"- CPU used during the run, in cores (of {os.cpu_count()}): server {cpu.server:.2f},"
        f" load generator {cpu.clients:.2f}, other processes {cpu.others:.2f}\n"
    )
    print("| request | n | p50 ms | p99 ms | statuses |\n|---|---:|---:|---:|---|")
    rows = {**baseline.latencies, **stats.latencies}
    codes = {**baseline.statuses, **stats.statuses}
    for kind in sorted(rows, key=lambda k: (not k.startswith("GET /health"), k)):
        values = rows[kind]
        statuses = ", ".join(f"{c}: {n}" for c, n in sorted(codes[kind].items()))
        print(
            f"| {kind} | {len(values):,} | {_pct(values, 0.5):.1f} | {_pct(values, 0.99):.1f}"
            f" | {statuses} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--accounts", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        arranged = arrange(Path(tmp) / "vault")
        kdf = KdfParams.generate()
        keys = derive_password_keys(PASSWORD, kdf)  # every sign-in account shares it
        pool: list[Account] = enrol_accounts(arranged.settings.data_dir, args.accounts, keys, kdf)
        messages = [message_deposit(arranged, f"load message {n}") for n in range(40_000)]
        stream, extracts = _extracts(arranged, 3_000)
        work = Workload(arranged, messages, extracts, stream, [])
        server = VaultServer(arranged.settings.data_dir)
        server.start()
        try:
            _seed_items(server, work)
            (baseline, stats, elapsed), cpu = _measure_cpu(
                server.pid,
                lambda: asyncio.run(
                    _run(
                        server.base_url,
                        work,
                        Tickets(pool),
                        b64url_encode(keys.auth_key.value),
                        args.clients,
                        args.seconds,
                    )
                ),
            )
        finally:
            server.stop()
    _report(args, baseline, stats, elapsed, len(pool), cpu)
    print(json.dumps({"left": {"messages": len(messages), "extracts": len(extracts)}}))


if __name__ == "__main__":
    main()
