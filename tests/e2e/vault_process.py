"""Permanence in a process of its own, for the soak and crash tests and the load bench.

``arrange`` makes a vault on disk (practice, member, secretary with real keys,
signed-in sessions) before any server runs. ``VaultServer`` runs
``permanence serve`` on it in a child process (so the test can read its
``/proc/<pid>/fd``, SIGKILL it, restart it), optionally with a shorter idle
expiry for the thread pool's threads (anyio retires a worker thread idle for
10 s; the soak test makes that a fraction of a second so that its quiet spells
are short). Deposits are messages and extracts, sealed and signed here with
``crypto/`` as a browser would.

Run as ``python -m tests.e2e.vault_process DATA_DIR PORT [IDLE_SECONDS]``.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx2 as httpx

from crypto.encoding import b64url_decode, b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, open_item, seal_item
from crypto.signing import VerifyKey
from crypto.stream import FileManifest, StreamDecryptor, encrypt_stream, new_file_key
from tests.factories import (
    Person,
    PracticeKeys,
    add_account,
    add_practice,
    assign,
    open_test_vault,
    session_for,
)
from vault.identity.roles import Role
from vault.settings import Settings
from vault.storage.datadir import initialise

REPO = Path(__file__).resolve().parents[2]
SESSION_COOKIE = "permanence_session"


@dataclass
class Arranged:
    """A vault on disk with one practice, its member and an assigned secretary, signed in."""

    settings: Settings
    practice: PracticeKeys
    member: Person
    secretary: Person
    member_headers: dict[str, str]
    secretary_headers: dict[str, str]


def _headers(token: str, csrf: str) -> dict[str, str]:
    return {
        "cookie": f"{SESSION_COOKIE}={token}",
        "x-csrf-token": csrf,
        "accept": "application/json",
    }


def arrange(data_dir: Path) -> Arranged:
    settings = Settings(data_dir=data_dir)
    initialise(settings)
    vault = open_test_vault(settings)
    db = vault.db
    try:
        env = vault.env
        practice = add_practice(env, "Cabinet Endurance")
        member = add_account(env, Role.MEMBER, "dr.endurance", practice)
        secretary = add_account(env, Role.SECRETARY, "sophie.endurance")
        assign(env, secretary, practice)
        member_headers = _headers(*session_for(env, member))
        secretary_headers = _headers(*session_for(env, secretary))
    finally:
        db.close()
    return Arranged(settings, practice, member, secretary, member_headers, secretary_headers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class VaultServer:
    """``permanence serve`` on a data directory, in a child process."""

    def __init__(self, data_dir: Path, *, idle_expiry: float | None = None) -> None:
        self.data_dir = data_dir
        self.idle_expiry = idle_expiry
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        args = [sys.executable, "-m", "tests.e2e.vault_process", str(self.data_dir), str(port)]
        if self.idle_expiry is not None:
            args.append(str(self.idle_expiry))
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PERMANENCE_")} | {
            "PYTHONPATH": str(REPO),
            "PERMANENCE_BASE_URL": self.base_url,
        }
        self.process = subprocess.Popen(args, env=environment, stdout=subprocess.DEVNULL, cwd=REPO)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(self.base_url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut of the process."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def message_deposit(arranged: Arranged, text: str) -> dict[str, Any]:
    """The JSON of a deposit of a signed, sealed message."""
    item_id = uuid.uuid4()
    header = ItemHeader(
        kind=ItemKind.MESSAGE,
        urgency=Urgency.NORMAL,
        item_id=item_id,
        client_id=uuid.UUID(arranged.practice.id),
        author_id=uuid.UUID(arranged.secretary.id),
    )
    body = encode_body({"subject": "Endurance", "text": text})
    envelope = seal_item(
        header, body, arranged.practice.keys.public_key, arranged.secretary.keys.signing_key
    )
    return {
        "item_id": str(item_id),
        "practice_id": arranged.practice.id,
        "envelope": b64url_encode(envelope),
    }


def extract_parts(
    arranged: Arranged, data: bytes, name: str = "extract.csv"
) -> tuple[str, bytes, dict[str, Any]]:
    """(item id, encrypted stream, deposit JSON without its ``upload_id``) for a file."""
    item_id = uuid.uuid4()
    key = new_file_key()
    out = BytesIO()
    info = encrypt_stream(BytesIO(data), out, key)
    manifest = FileManifest(name, "text/csv", info.size, key, info.stream_hash)
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
    deposit = {
        "item_id": str(item_id),
        "practice_id": arranged.practice.id,
        "envelope": b64url_encode(envelope),
    }
    return str(item_id), out.getvalue(), deposit


def upload_and_deposit(
    client: httpx.Client, arranged: Arranged, data: bytes, part: int = 64 * 1024
) -> tuple[str, httpx.Response]:
    """Upload ``data`` encrypted, in parts, then deposit it: (item id, the deposit's response).
    A refused upload step raises ``httpx.HTTPStatusError``."""
    item_id, stream, deposit = extract_parts(arranged, data)
    started = client.post(
        "/uploads",
        json={"practice_id": arranged.practice.id, "item_id": item_id, "size": len(stream)},
    )
    started.raise_for_status()
    upload_id = started.json()["upload_id"]
    for offset in range(0, len(stream), part):
        client.put(
            f"/uploads/{upload_id}/{offset}", content=stream[offset : offset + part]
        ).raise_for_status()
    return item_id, client.post("/items", json={**deposit, "upload_id": upload_id})


def read_item(client: httpx.Client, arranged: Arranged, item_id: str) -> Any:
    """Fetch an item as the member, verify and decrypt it: the body's JSON, or for an extract
    the decrypted file's bytes."""
    answer = client.get(f"/items/{item_id}/envelope")
    answer.raise_for_status()
    data = answer.json()
    author = data["author"]
    opened = open_item(
        b64url_decode(data["envelope"]),
        author_verify_key=VerifyKey(b64url_decode(author["ed25519_pk"])),
        practice_secret_key=arranged.practice.keys.secret_key,
        item_id=uuid.UUID(item_id),
        client_id=uuid.UUID(arranged.practice.id),
        author_id=uuid.UUID(author["id"]),
    )
    if opened.header.kind != ItemKind.EXTRACT:
        return opened.json()
    manifest = FileManifest.from_json(opened.json())
    stream = client.get(f"/items/{item_id}/file")
    stream.raise_for_status()
    decryptor = StreamDecryptor(manifest.file_key, manifest.stream_hash)
    return decryptor.update(stream.content) + decryptor.finish()


def seeded_bytes(rng: random.Random, size: int) -> bytes:
    return rng.randbytes(size)


def _serve(argv: list[str]) -> int:
    data_dir, port = argv[0], argv[1]
    if len(argv) > 2:
        from anyio._backends import _asyncio

        if not hasattr(_asyncio.WorkerThread, "MAX_IDLE_TIME"):  # or the soak test proves less
            raise SystemExit("anyio's worker threads no longer have MAX_IDLE_TIME to shorten")
        # anyio declares an int; it only compares it with elapsed seconds.
        _asyncio.WorkerThread.MAX_IDLE_TIME = float(argv[2])  # type: ignore[assignment]
    from cli.main import main

    return main(["--data-dir", data_dir, "serve", "--port", port])


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1:]))
