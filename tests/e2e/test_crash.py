"""Crash: a real server killed with SIGKILL mid-traffic, again and again, loses nothing it
acknowledged and leaves nothing behind that orphan collection does not clear.

``permanence serve`` runs in a child process. Secretaries' clients deposit messages
and upload extracts (in 64 KiB parts) concurrently; at a seeded random moment the
server is killed (no shutdown code runs), restarted on the same data directory, and
the traffic resumes. After the last restart every deposit that got its 201 is read
back over HTTP by the practice's member, verified and decrypted with the practice key;
the database passes SQLite's and SQLCipher's integrity checks, the audit log verifies,
and orphan collection (run as if two days had passed) leaves exactly one blob file
per extract and no upload file.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import pytest

from audit.verify import verify_database
from tests.blobfiles import stored_ids
from tests.e2e.vault_process import (
    Arranged,
    VaultServer,
    arrange,
    message_deposit,
    read_item,
    upload_and_deposit,
)
from tests.factories import open_test_vault
from vault.auditing.checkpoints import load_signer
from vault.clock import utc_now
from vault.items import deposits
from vault.storage.datadir import database_key
from vault.storage.store import connect, integrity_check

SEED = 20261201
KILLS = 4
MESSAGE_CLIENTS = 4
EXTRACT_CLIENTS = 2


@dataclass(frozen=True, slots=True)
class Acknowledged:
    item_id: str
    expected: object  # a message's text, or an extract's plaintext bytes


class Traffic:
    """Clients depositing until the server goes away; what was acknowledged, kept."""

    def __init__(self, arranged: Arranged, rng: random.Random) -> None:
        self.arranged = arranged
        self.rng = rng
        self.acknowledged: list[Acknowledged] = []
        self.unexpected: list[str] = []
        self._lock = threading.Lock()

    def _ack(self, response: httpx.Response, item_id: str, expected: object) -> None:
        if response.status_code == 201:
            with self._lock:
                self.acknowledged.append(Acknowledged(item_id, expected))
        else:
            self.unexpected.append(f"{response.request.url.path} {response.status_code}")

    def _messages(self, base_url: str, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - seeded test traffic, not secrets
        headers = self.arranged.secretary_headers
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            while True:
                text = f"message {rng.getrandbits(64):016x}"
                deposit = message_deposit(self.arranged, text)
                try:
                    response = client.post("/items", json=deposit)
                except httpx.TransportError:
                    return  # the server is gone: this one's fate is unknown
                self._ack(response, deposit["item_id"], text)

    def _extracts(self, base_url: str, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - seeded test traffic, not secrets
        headers = self.arranged.secretary_headers
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            while True:
                data = rng.randbytes(rng.randrange(1, 300_000))
                try:
                    item_id, response = upload_and_deposit(client, self.arranged, data)
                except httpx.TransportError:
                    return
                except httpx.HTTPStatusError as e:
                    self.unexpected.append(f"{e.request.url.path} {e.response.status_code}")
                    return
                self._ack(response, item_id, data)

    def run_until_killed(self, server: VaultServer) -> None:
        """Start every client, kill the server at a random moment, wait for the clients."""
        clients = [
            threading.Thread(
                target=self._messages, args=(server.base_url, self.rng.getrandbits(32))
            )
            for _ in range(MESSAGE_CLIENTS)
        ] + [
            threading.Thread(
                target=self._extracts, args=(server.base_url, self.rng.getrandbits(32))
            )
            for _ in range(EXTRACT_CLIENTS)
        ]
        for c in clients:
            c.start()
        time.sleep(self.rng.uniform(0.5, 2.0))  # the moment of the crash, seeded
        server.kill()
        for c in clients:
            c.join(30)


@pytest.mark.slow
def test_acknowledged_deposits_survive_repeated_sigkill(tmp_path: Path) -> None:
    """Four crashes under concurrent deposits and uploads: every acknowledged deposit is
    there and decrypts, the log verifies, and orphan collection leaves no stray file."""
    arranged = arrange(tmp_path / "data")
    settings = arranged.settings
    traffic = Traffic(arranged, random.Random(SEED))  # noqa: S311 - seeded, not secret
    server = VaultServer(settings.data_dir)
    for _ in range(KILLS):
        server.start()
        traffic.run_until_killed(server)
    assert traffic.unexpected == []
    texts = [a for a in traffic.acknowledged if isinstance(a.expected, str)]
    files = [a for a in traffic.acknowledged if isinstance(a.expected, bytes)]
    assert len(texts) >= 20 and len(files) >= 2, (len(texts), len(files))

    server.start()
    try:
        with httpx.Client(
            base_url=server.base_url, headers=arranged.member_headers, timeout=30
        ) as member:
            lost = []
            for ack in traffic.acknowledged:
                body = read_item(member, arranged, ack.item_id)
                got = body["text"] if isinstance(ack.expected, str) else body
                if got != ack.expected:
                    lost.append(ack.item_id)
            assert lost == []
    finally:
        server.stop()

    key = database_key(settings)
    conn = connect(settings.layout.database, key)
    try:
        assert integrity_check(conn) == []
        report = verify_database(conn, load_signer(settings).verifier)
        assert report.size >= len(traffic.acknowledged)
    finally:
        conn.close()

    assert stored_ids(settings)[1] != set()  # the crashes did cut uploads short
    vault = open_test_vault(settings)
    db = vault.db
    try:
        two_days_later = utc_now() + timedelta(days=2)  # uploads left by the crashes expire
        env = vault.env
        # Two hours on for the stored files: older than the collector's hour.
        deposits.collect_orphans(replace(env, now=lambda: two_days_later), now=time.time() + 7200)
        extracts = db.read(
            lambda c: {str(r[0]) for r in c.execute("SELECT id FROM item WHERE kind = 'extract'")}
        )
    finally:
        db.close()
    published, uploading = stored_ids(settings)
    assert uploading == set()
    assert published == extracts
    assert {a.item_id for a in files} <= extracts
