"""The distributed backend: deposits on both backends, and extract files in the object store.

1. Deposits/s (signed call notes, every check, audit entry, group commit) at 64 clients,
   p50/p99, in one run, under the same load generators (wrk with ``bench/deposits.lua``,
   then the httpx/asyncio client of ``bench_deposits.py``), against:
   - the embedded backend (SQLCipher), one server process;
   - PostgreSQL, one server process;
   - PostgreSQL, two server processes on one port: ``permanence serve --workers 2`` where
     this tree has it (``cli/workers.py``), else two server processes each listening on the
     same port with ``SO_REUSEPORT`` (the kernel spreads the connections between them).
   Each server process is run as ``permanence serve`` runs it (``uvicorn_options``). Each
   row also gives the CPU the server processes, PostgreSQL's processes and the load
   generator used (100 % = one core), and, after the table, the statements one deposit
   runs on PostgreSQL and their mean time.
2. An extract's file of ``--mib`` (100) MiB of random bytes into and out of the object
   store through the vault's ``BlobStore`` (``create_upload``, ``write_at`` in 8 MiB parts
   as the upload route writes them, ``publish``, then ``read_item`` to the end), against a
   plain copy of the same bytes to the same bucket with boto3 (``upload_fileobj``,
   ``download_fileobj``). Medians of ``--runs`` rounds, the two alternating.

3. ``permanence migrate-to``'s copy (``vault.storage.moving.move``) of an embedded vault
   holding ``--entries`` (100,000) audit entries and ``--files`` (10) extracts of 10 MiB
   into an empty PostgreSQL database and bucket: rows/s, MB/s of files, and the time of
   each step (files, rows, the comparisons, the log's verification).

PostgreSQL and SeaweedFS come from the test fixtures (``tests/backends/postgres.py``,
``tests/objectstore.py``): a throwaway cluster on a Unix socket and a local ``weed server``
with authentication, started here and removed at the end.

    PYTHONPATH=. .venv/bin/python bench/bench_distributed.py [--seconds 5] [--clients 64]
        [--only deposits|transfers|move] [--mib 100] [--runs 3] [--entries 100000] [--files 10]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import io
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx2 as httpx

from bench.bench_deposits import _envelopes, _load, _pct, _port, _wrk
from cli.main import uvicorn_options
from crypto.secret import Secret
from tests.backends.postgres import Cluster, start_cluster, stop_cluster
from tests.factories import add_account, add_practice, assign, open_test_vault, session_for
from tests.objectstore import ObjectStoreServer, fresh_bucket, start_server, stop_server
from vault.identity.roles import Role
from vault.settings import BlobStoreSettings, Settings
from vault.storage.blobs import open_blob_store
from vault.storage.datadir import initialise

MIB = 1024 * 1024
PART = 8 * MIB  # the browser's upload part (bench_transfers.py's SLICE)
WRK_RATE = 4000  # bodies per second of a wrk run: more than any server here answers
HTTPX_RATE = 3000  # and of an httpx run (it stops at the end of its time, not of its bodies)


# -- servers --------------------------------------------------------------------------------


def _settings(data_dir: str, database_url: str, store: tuple[str, ...], port: int) -> Settings:
    blob = BlobStoreSettings()
    if store:
        url, bucket, key_id, secret = store
        blob = BlobStoreSettings(url, bucket, key_id, Secret(secret.encode()))
    return replace(
        Settings(data_dir=Path(data_dir)),
        database_url=Secret(database_url.encode()),
        blob_store=blob,
        port=port,
        host="127.0.0.1",
    )


def _serve(data_dir: str, database_url: str, store: tuple[str, ...], port: int) -> None:
    """One server process, as ``permanence serve`` runs it, on a socket of its own bound with
    ``SO_REUSEPORT`` (so that a second process may listen on the same port)."""
    import uvicorn

    from web.app import create_app

    settings = _settings(data_dir, database_url, store, port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    with open_test_vault(settings) as vault:
        server = uvicorn.Server(uvicorn.Config(create_app(vault), **uvicorn_options(settings)))
        server.run(sockets=[sock])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no server answered at {url}")


def has_workers_option() -> bool:
    """Whether this tree's ``permanence serve`` takes ``--workers`` (the ``workers`` branch)."""
    return importlib.util.find_spec("cli.workers") is not None


@contextmanager
def servers(
    data_dir: Path, database_url: str, store: tuple[str, ...], processes: int
) -> Iterator[tuple[str, str, list[int]]]:
    """``processes`` server processes on one port; (their URL, how they were started, the
    processes that ``cpu_seconds`` counts with their children)."""
    port = _port()
    url = f"http://127.0.0.1:{port}"
    if processes > 1 and has_workers_option():
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PERMANENCE_")},
            "PERMANENCE_DATA_DIR": str(data_dir),
            "PERMANENCE_DATABASE_URL": database_url,
            "PERMANENCE_PORT": str(port),
        }
        if store:
            for name, value in zip(
                ("URL", "BUCKET", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY"), store, strict=True
            ):
                env[f"PERMANENCE_BLOB_STORE_{name}"] = value
        permanence = str(Path(sys.executable).with_name("permanence"))
        proc = subprocess.Popen(
            [permanence, "serve", "--workers", str(processes)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            _wait(url)
            yield url, f"permanence serve --workers {processes}", [proc.pid]
        finally:
            proc.terminate()
            proc.wait(30)
        return
    context = multiprocessing.get_context("spawn")
    procs = [
        context.Process(target=_serve, args=(str(data_dir), database_url, store, port))
        for _ in range(processes)
    ]
    for p in procs:
        p.start()
    try:
        _wait(url)
        how = "1 process" if processes == 1 else f"{processes} processes, SO_REUSEPORT"
        yield url, how, [int(p.pid) for p in procs if p.pid is not None]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.join(30)


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # the fields after the command's name


def cpu_seconds(roots: list[int]) -> float:
    """CPU time (user and system) of the processes ``roots`` and their descendants, now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total = 0
    todo = list(roots)
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            fields = _stat(pid)
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def postmaster(cluster: Cluster) -> int:
    return int((cluster.root / "data" / "postmaster.pid").read_text().split()[0])


# -- deposits -------------------------------------------------------------------------------


def _arrange(settings: Settings) -> dict[str, Any]:
    """A practice, its member and an assigned secretary signed in; the vault closed."""
    initialise(settings)
    with open_test_vault(settings) as vault:
        env = vault.env
        practice = add_practice(env, "Bench")
        add_account(env, Role.MEMBER, "member", practice)
        secretary = add_account(env, Role.SECRETARY, "secretary")
        assign(env, secretary, practice)
        token, csrf = session_for(env, secretary)
    return {"practice": practice, "secretary": secretary, "token": token, "csrf": csrf}


def _headers(arr: dict[str, Any]) -> dict[str, str]:
    return {
        "cookie": f"permanence_session={arr['token']}",
        "x-csrf-token": arr["csrf"],
        "accept": "application/json",
        "content-type": "application/json",
    }


def bench_deposits(
    tmp: Path, cluster: Cluster, store: tuple[str, ...], seconds: float, clients: int
) -> None:
    embedded = Settings(data_dir=tmp / "embedded")
    distributed_url = cluster.new_database(template=None).value.decode()
    distributed = _settings(str(tmp / "distributed"), distributed_url, store, 8000)
    rows: list[tuple[str, Path, str, int]] = [
        ("embedded (SQLCipher)", embedded.data_dir, "", 1),
        ("PostgreSQL", distributed.data_dir, distributed_url, 1),
        ("PostgreSQL", distributed.data_dir, distributed_url, 2),
    ]
    arranged = {"": _arrange(embedded), distributed_url: _arrange(distributed)}
    per_run = int(seconds * (WRK_RATE + HTTPX_RATE)) + 2 * clients
    bodies = {
        "": _envelopes(arranged[""], per_run),
        distributed_url: _envelopes(arranged[distributed_url], 2 * per_run),
    }
    print(f"\n{clients} clients, {seconds:g} s per row\n")
    print(
        "| backend | server processes | load generator | deposits/s | p50 ms | p99 ms |"
        " server CPU | PostgreSQL CPU | load generator CPU |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    pg = postmaster(cluster)
    for backend, data_dir, url, processes in rows:
        headers = _headers(arranged[url])
        with servers(data_dir, url, store if url else (), processes) as (base, how, pids):
            for generator in ("wrk", "httpx (Python, asyncio)"):
                left = bodies[url]
                _children_cpu()  # from here: wrk's run, once it is over
                before = (cpu_seconds(pids), cpu_seconds([pg]), time.process_time())
                t0 = time.perf_counter()
                if generator == "wrk":
                    batch = left[: int(seconds * WRK_RATE)]
                    rate, p50, p99, _ = _wrk(base, clients, seconds, batch, headers, tmp)
                    used = len(batch)
                    load_cpu = _children_cpu()
                else:
                    rate, lat = asyncio.run(_load(base, clients, seconds, left, headers))
                    p50, p99, used = _pct(lat, 50), _pct(lat, 99), len(lat)
                    load_cpu = time.process_time() - before[2]
                elapsed = time.perf_counter() - t0
                server = cpu_seconds(pids) - before[0]
                database = cpu_seconds([pg]) - before[1]
                bodies[url] = left[used + clients :]  # never the same item twice
                cores = [f"{100 * c / elapsed:.0f} %" for c in (server, database, load_cpu)]
                print(
                    f"| {backend} | {how} | {generator} | {rate:,} | {p50:.1f} | {p99:.1f} |"
                    f" {' | '.join(cores)} |",
                    flush=True,
                )


_reaped = [0.0]


def _children_cpu() -> float:
    """CPU time of the children this process reaped since the last call (wrk's run)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    now = usage.ru_utime + usage.ru_stime
    spent, _reaped[0] = now - _reaped[0], now
    return spent


def bench_statements(tmp: Path, cluster: Cluster, deposits: int = 50) -> None:
    """Statements per deposit on PostgreSQL and their mean time, one deposit at a time
    through the use case (``PostgresConnection.execute`` wrapped to count and time them)."""
    from collections import Counter
    from datetime import timedelta

    from tests.factories import Clock, World, created_at, deposit_item
    from vault.storage.postgres import connection as pg

    url = cluster.new_database(template=None).value.decode()
    settings = _settings(str(tmp / "statements"), url, (), 8000)
    initialise(settings)
    counts: Counter[str] = Counter()
    spent: list[float] = []
    plain = pg.PostgresConnection.execute

    def counted(self: pg.PostgresConnection, statement: str, parameters: Any = (), /) -> Any:
        t0 = time.perf_counter()
        try:
            return plain(self, statement, parameters)
        finally:
            spent.append(time.perf_counter() - t0)
            counts[statement.split(maxsplit=1)[0].upper()] += 1

    with open_test_vault(settings) as vault:
        clock = Clock()
        env = replace(vault.env, now=clock)
        practice = add_practice(env, "Bench")
        member = add_account(env, Role.MEMBER, "member", practice)
        secretary = add_account(env, Role.SECRETARY, "secretary")
        assign(env, secretary, practice)
        created_at(env, clock.at - timedelta(days=30))
        w = World(env, clock, practice, practice, member, member, secretary, secretary)
        deposit_item(w)  # caches warm
        pg.PostgresConnection.execute = counted  # type: ignore[method-assign]
        try:
            t0 = time.perf_counter()
            for _ in range(deposits):
                deposit_item(w)
            alone = (time.perf_counter() - t0) / deposits
        finally:
            pg.PostgresConnection.execute = plain  # type: ignore[method-assign]
    each = ", ".join(f"{k} {v / deposits:.1f}" for k, v in counts.most_common())
    print(
        f"\nPostgreSQL, one deposit at a time ({deposits}): {sum(counts.values()) / deposits:.1f}"
        f" statements per deposit ({each}), {1000 * statistics.mean(spent):.2f} ms each on"
        f" average, {1000 * alone:.1f} ms per deposit",
        flush=True,
    )


# -- extract files in the object store ------------------------------------------------------


def _through_vault(settings: Settings, data: bytes) -> tuple[float, float]:
    """(upload s, download s) of ``data`` through the vault's object store."""
    store = open_blob_store(settings)
    upload_id, item_id = str(uuid.uuid4()), str(uuid.uuid4())
    t0 = time.perf_counter()
    store.create_upload(upload_id)
    view = memoryview(data)
    for offset in range(0, len(data), PART):
        store.write_at(upload_id, offset, [view[offset : offset + PART].tobytes()])
    store.publish(upload_id, item_id, len(data))
    up = time.perf_counter() - t0
    t0 = time.perf_counter()
    got = sum(len(chunk) for chunk in store.read_item(item_id))
    down = time.perf_counter() - t0
    if got != len(data):
        raise RuntimeError(f"read {got} bytes of {len(data)}")
    return up, down


def _plain(server: ObjectStoreServer, bucket: str, data: bytes) -> tuple[float, float]:
    """(upload s, download s) of ``data`` with boto3's own transfer functions."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(s3={"addressing_style": "path"}),
    )
    key = f"plain/{uuid.uuid4()}"
    t0 = time.perf_counter()
    client.upload_fileobj(io.BytesIO(data), bucket, key)
    up = time.perf_counter() - t0
    out = io.BytesIO()
    t0 = time.perf_counter()
    client.download_fileobj(bucket, key, out)
    down = time.perf_counter() - t0
    got = out.getbuffer().nbytes  # boto3 writes the parts from several threads, seeking
    if got != len(data):
        raise RuntimeError(f"downloaded {got} bytes of {len(data)}")
    return up, down


def bench_transfers(tmp: Path, server: ObjectStoreServer, mib: int, runs: int) -> None:
    bucket = fresh_bucket(server)
    settings = replace(Settings(data_dir=tmp / "transfers"), blob_store=bucket)
    data = os.urandom(mib * MIB)
    vault: list[tuple[float, float]] = []
    plain: list[tuple[float, float]] = []
    for _ in range(runs):
        vault.append(_through_vault(settings, data))
        plain.append(_plain(server, bucket.bucket, data))
    size = len(data) / 1e6

    def rate(pairs: list[tuple[float, float]], i: int) -> float:
        return size / statistics.median(p[i] for p in pairs)

    print(f"\n{mib} MiB, median of {runs} runs\n")
    print("| transfer | upload MB/s | download MB/s |")
    print("|---|---:|---:|")
    print(
        f"| vault BlobStore (write_at {PART // MIB} MiB parts, publish, read_item) |"
        f" {rate(vault, 0):.0f} | {rate(vault, 1):.0f} |"
    )
    print(
        f"| plain boto3 (upload_fileobj, download_fileobj) | {rate(plain, 0):.0f} |"
        f" {rate(plain, 1):.0f} |"
    )
    print(
        f"| vault / plain | {rate(vault, 0) / rate(plain, 0):.2f}\u00d7 |"
        f" {rate(vault, 1) / rate(plain, 1):.2f}\u00d7 |",
        flush=True,
    )


def bench_move(
    tmp: Path, cluster: Cluster, server: ObjectStoreServer, entries: int, files: int
) -> None:
    """``migrate-to``'s copy of a vault with ``entries`` audit entries and ``files`` extracts."""
    from crypto.envelope import ItemKind
    from tests.factories import World, deposit_as_secretary, encrypted_file, seal, upload_stream
    from tests.vault.auditing.test_retention import _fill, _start
    from tests.vault.storage.moving_vault import embedded_vault
    from vault.storage import moving

    bucket = fresh_bucket(server)
    source = embedded_vault(tmp / "move", bucket)
    with open_test_vault(source) as vault:
        env = vault.env
        practice = add_practice(env, "Bench")
        member = add_account(env, Role.MEMBER, "member", practice)
        secretary = add_account(env, Role.SECRETARY, "secretary")
        assign(env, secretary, practice)
        _fill(vault, _start(), entries, checkpoints=10)
        w = World(env, None, practice, practice, member, member, secretary, secretary)  # type: ignore[arg-type]
        for _ in range(files):
            stream, manifest = encrypted_file(os.urandom(10 * MIB))
            item, envelope = seal(
                secretary, practice, kind=ItemKind.EXTRACT, body=manifest.to_body()
            )
            deposit_as_secretary(w, envelope, item, upload_id=upload_stream(w, item, stream, PART))
    url = cluster.new_database(template=None).value.decode()
    target = moving.destination(source, url, f"{bucket.url}/{bucket.bucket}")
    t0 = time.perf_counter()
    marks: list[tuple[str, float]] = [("opening both sides, checking the target is empty", t0)]
    step = moving.MoveProgress(step=lambda s: marks.append((s, time.perf_counter())))
    done = moving.move(source, target, step)
    end = time.perf_counter()
    print(
        f"\nmigrate-to: {done.rows:,} rows in {len(done.tables)} tables, {done.files} files"
        f" ({done.file_bytes / MIB:,.0f} MiB)\n"
    )
    print("| step | seconds | rate |")
    print("|---|---:|---:|")
    bounds = [t for _, t in marks] + [end]
    for (name, start), stop in zip(marks, bounds[1:], strict=True):
        rate = ""
        if name.startswith("copying the files"):
            rate = f"{done.file_bytes / 1e6 / (stop - start):,.0f} MB/s"
        elif name.startswith("copying every table"):
            rate = f"{done.rows / (stop - start):,.0f} rows/s"
        print(f"| {name} | {stop - start:.1f} | {rate} |")
    print(f"| whole move | {end - t0:.1f} | |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--mib", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--only", choices=["deposits", "transfers", "move"])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: run scripts/setup --dev")
    tmp = Path(tempfile.mkdtemp(prefix="permanence-bench-"))
    cluster = start_cluster()
    (tmp / "s3").mkdir()
    server = start_server(tmp / "s3")
    try:
        bucket = fresh_bucket(server)
        store = (
            bucket.url,
            bucket.bucket,
            bucket.access_key_id,
            bucket.secret_access_key.value.decode(),
        )
        if args.only in (None, "deposits"):
            bench_deposits(tmp, cluster, store, args.seconds, args.clients)
            bench_statements(tmp, cluster)
        if args.only in (None, "transfers"):
            bench_transfers(tmp, server, args.mib, args.runs)
        if args.only in (None, "move"):
            bench_move(tmp, cluster, server, args.entries, args.files)
    finally:
        stop_server(server)
        stop_cluster(cluster)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
