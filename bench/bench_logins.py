"""Sign-ins per second a real server sustains, and what they cost other requests' latency.

A fresh vault (``permanence init``) gets N secretary accounts enrolled through the
vault's own enrolment code (all with one KDF salt and password, so the client derives
Argon2id once: the server still stores one Argon2 hash per account). Then
``permanence serve`` runs in a subprocess (uvicorn, one worker) and this script:

1. baseline: a probe client sends GET /health and GET /login one after the other,
   alone, and records their latencies;
2. load: T client threads sign in as fast as the server answers (precomputed auth
   key, a TOTP code of a step each account has not used yet: every sign-in is meant
   to succeed), while the probe keeps measuring the same requests.

A sign-in costs the server an Argon2id verify of the auth key (m=19 MiB, t=2), the
TOTP check, and one group-committed transaction (session row, audit entry). Each
client thread has its own loopback address so the per-IP throttle is not involved.

    .venv/bin/python bench/bench_logins.py [--accounts 400] [--threads 8] [--seconds 10]

Prints a markdown section. Measures and reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.config import load_settings
from crypto import totp
from crypto.encoding import b64url_encode
from crypto.kdf import KdfParams, PasswordKeys, derive_password_keys
from crypto.recovery import RecoveryCode
from crypto.secret import Secret
from crypto.user_keys import UserKeyPair, WrapPurpose, wrap_user_keys
from tests.factories import open_test_vault
from vault.env import RequestInfo
from vault.errors import SecondFactorRequired
from vault.identity import accounts, enrolment
from vault.identity.keymaterial import EnrolmentMaterial
from vault.identity.roles import Role

PASSWORD = "bench password for sign-ins"  # noqa: S105 - a throw-away vault
ARRANGE = RequestInfo(request_id="bench-arrange")
PROBES = ("/health", "/login")


@dataclass
class Account:
    username: str
    secret: Secret
    last_step: int


def _permanence(data_dir: Path, *args: str) -> list[str]:
    exe = Path(sys.executable).with_name("permanence")
    return [str(exe), "--data-dir", str(data_dir), *args]


def enrol_accounts(data_dir: Path, count: int, keys: PasswordKeys, kdf: KdfParams) -> list[Account]:
    """Invite and enrol ``count`` secretaries in-process, before the server starts."""
    settings = load_settings({}, data_dir=str(data_dir), overrides={})
    vault = open_test_vault(settings)
    db = vault.db
    env = vault.env

    def one(n: int) -> Account:
        name = f"bench{n:04d}"
        token = accounts.invite(
            env, ARRANGE, None, username=name, display_name=f"Bench {n}", role=Role.SECRETARY
        ).token
        offer = enrolment.offer(env, token)
        secret = totp.new_totp_secret()  # drawn by the enrolling side
        pair = UserKeyPair.generate()
        uid = offer.account_id
        body: dict[str, Any] = {
            "kdf": kdf.to_json(),
            "auth_key": b64url_encode(keys.auth_key.value),
            "x25519_pk": b64url_encode(pair.public_keys.x25519),
            "ed25519_pk": b64url_encode(pair.public_keys.ed25519),
            "wrapped_kek": b64url_encode(
                wrap_user_keys(pair, keys.kek, WrapPurpose.PASSWORD, uuid.UUID(uid))
            ),
            "wrapped_recovery": b64url_encode(
                wrap_user_keys(
                    pair, RecoveryCode.generate().key, WrapPurpose.RECOVERY, uuid.UUID(uid)
                )
            ),
            "totp_secret": b64url_encode(secret.value),
        }
        # Enrol with the previous step's code, so this step and the next are free to sign in.
        # (If a step boundary passes meanwhile, that code is too old: enrol with the current one.)
        material = EnrolmentMaterial.parse(body)
        step = totp.step_at() - 1
        try:
            code = totp.code_at_step(secret, step)
            enrolment.enrol(env, ARRANGE, token, material, code)
        except SecondFactorRequired:
            step = totp.step_at()
            code = totp.code_at_step(secret, step)
            enrolment.enrol(env, ARRANGE, token, material, code)
        return Account(name, secret, step)

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(one, range(count)))
    finally:
        db.close()


class Tickets:
    """Hands out (account, TOTP step) pairs no sign-in has used: steps only go up per account."""

    def __init__(self, pool: list[Account]) -> None:
        self.pool = pool
        self.lock = threading.Lock()
        self.next = 0

    def take(self) -> tuple[Account, str] | None:
        with self.lock:
            current = totp.step_at()
            for _ in range(len(self.pool)):
                account = self.pool[self.next]
                self.next = (self.next + 1) % len(self.pool)
                step = max(account.last_step + 1, current)
                if step <= current + 1:
                    account.last_step = step
                    return account, totp.code_at_step(account.secret, step)
            return None


def _connection(port: int, source: str) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))


def _request(
    conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None
) -> int:
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


@dataclass
class Probe:
    latencies: dict[str, list[float]]


def probe(port: int, stop: threading.Event) -> Probe:
    """GET each probe path in turn, one at a time, until ``stop``; latencies in ms."""
    conn = _connection(port, "127.0.9.1")
    found: dict[str, list[float]] = {p: [] for p in PROBES}
    while not stop.is_set():
        for path in PROBES:
            start = time.perf_counter()
            status = _request(conn, "GET", path)
            found[path].append((time.perf_counter() - start) * 1000)
            assert status == 200, (path, status)
        time.sleep(0.005)
    conn.close()
    return Probe(found)


def run_probe(
    port: int, seconds: float, during: Callable[[], Any] | None = None
) -> tuple[Probe, Any]:
    stop = threading.Event()
    result: list[Probe] = []
    thread = threading.Thread(target=lambda: result.append(probe(port, stop)))
    thread.start()
    outcome = None
    if during is None:
        time.sleep(seconds)
    else:
        outcome = during()
    stop.set()
    thread.join()
    return result[0], outcome


@dataclass
class Load:
    ok: int
    refused: dict[int, int]
    elapsed: float
    starved: int


def sign_in_load(port: int, auth_key: str, threads: int, seconds: float, tickets: Tickets) -> Load:
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    ok = 0
    starved = 0
    refused: dict[int, int] = {}

    def client(n: int) -> None:
        nonlocal ok, starved
        conn = _connection(port, f"127.0.8.{n + 1}")
        while time.perf_counter() < deadline:
            ticket = tickets.take()
            if ticket is None:
                with lock:
                    starved += 1
                time.sleep(0.05)
                continue
            account, code = ticket
            body = json.dumps({"username": account.username, "auth_key": auth_key, "code": code})
            status = _request(conn, "POST", "/login", body.encode())
            with lock:
                if status == 200:
                    ok += 1
                else:
                    refused[status] = refused.get(status, 0) + 1
        conn.close()

    start = time.perf_counter()
    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return Load(ok, refused, time.perf_counter() - start, starved)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            conn = _connection(port, "127.0.0.1")
            if _request(conn, "GET", "/health") == 200:
                conn.close()
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "vault"
        subprocess.run(_permanence(data_dir, "init"), check=True, capture_output=True)
        kdf = KdfParams.generate()
        keys = derive_password_keys(PASSWORD, kdf)  # once: every account shares salt and password
        start = time.perf_counter()
        pool = enrol_accounts(data_dir, args.accounts, keys, kdf)
        enrol_seconds = time.perf_counter() - start

        port = _free_port()
        server = subprocess.Popen(
            _permanence(data_dir, "serve", "--port", str(port)),
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            _wait_up(port, server)
            baseline, _ = run_probe(port, 5.0)
            auth_key = b64url_encode(keys.auth_key.value)
            tickets = Tickets(pool)
            loaded, load = run_probe(
                port,
                args.seconds,
                lambda: sign_in_load(port, auth_key, args.threads, args.seconds, tickets),
            )
        finally:
            server.terminate()
            server.wait(timeout=30)

    rate = load.ok / load.elapsed
    print("## Sign-ins per second (bench/bench_logins.py)\n")
    print(
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()};"
        f" `permanence serve` (uvicorn, one worker, Starlette threadpool of 40 threads);"
        f" {args.accounts} enrolled accounts ({enrol_seconds:.1f} s to enrol),"
        f" {args.threads} client threads for {load.elapsed:.1f} s, on the same machine.\n"
    )
    refused = ", ".join(f"{n} x {s}" for s, n in sorted(load.refused.items())) or "none"
    print(
        f"- successful sign-ins: **{load.ok}**, i.e. **{rate:.1f}/s** (refused: {refused};"
        f" waits for an unused TOTP step: {load.starved})"
    )
    print("\n| request | no load: p50 | p99 | n | under sign-ins: p50 | p99 | n |")
    print("|---|---|---|---|---|---|---|")
    for path in PROBES:
        base, busy = baseline.latencies[path], loaded.latencies[path]
        print(
            f"| GET {path} | {statistics.median(base):.1f} ms | {_pct(base, 0.99):.1f} ms"
            f" | {len(base)} | {statistics.median(busy):.1f} ms | {_pct(busy, 0.99):.1f} ms"
            f" | {len(busy)} |"
        )
    print(
        "\nGoal: ≥ 30 sign-ins/s while other requests keep p99 < 50 ms."
        f" Sign-ins: {'met' if rate >= 30 else 'NOT met'}; other requests' p99:"
        f" {'met' if all(_pct(loaded.latencies[p], 0.99) < 50 for p in PROBES) else 'NOT met'}."
    )


if __name__ == "__main__":
    main()
