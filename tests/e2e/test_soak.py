"""Soak: bursts of requests with quiet spells between them leave the server's open files flat.

The server's thread pool (anyio) retires a thread after it has been idle for
``MAX_IDLE_TIME`` (10 s) and starts new ones for the next burst. When each
reading thread kept its own SQLCipher connection until shutdown, every burst
after a quiet spell opened new connections that were never closed (measured
20 → 39 → 58 connections, 52 → 90 → 128 descriptors over three bursts). Here
the child server retires threads after 0.3 s and the quiet spells last 1 s, so
six bursts take a few seconds; the server's ``/proc/<pid>/fd`` is read after
each one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.descriptors import database_connections, open_descriptors
from tests.e2e.vault_process import Arranged, VaultServer, arrange, message_deposit, read_item
from vault.storage.database import MAX_READERS

IDLE_EXPIRY = 0.3
QUIET = 1.0
BURSTS = 6
CLIENTS = 12
ROUNDS = 3


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Arranged, VaultServer]]:
    arranged = arrange(tmp_path / "data")
    server = VaultServer(arranged.settings.data_dir, idle_expiry=IDLE_EXPIRY)
    server.start()
    try:
        yield arranged, server
    finally:
        server.stop()


def _client_rounds(arranged: Arranged, base_url: str, n: int, failures: list[str]) -> None:
    """One client's share of a burst: pages, inbox, workspace, a deposit and its read."""
    with (
        httpx.Client(base_url=base_url, headers=arranged.secretary_headers, timeout=30) as sec,
        httpx.Client(base_url=base_url, headers=arranged.member_headers, timeout=30) as mem,
    ):
        for r in range(ROUNDS):
            answers = [sec.get("/health"), sec.get("/login"), sec.get("/workspace")]
            deposit = message_deposit(arranged, f"burst message {n}.{r}")
            answers.append(sec.post("/items", json=deposit))
            answers.append(mem.get("/inbox"))
            failures.extend(f"{a.request.url.path} {a.status_code}" for a in answers if a.is_error)
            if read_item(mem, arranged, deposit["item_id"])["text"] != f"burst message {n}.{r}":
                failures.append("read back a different message")


def _burst(arranged: Arranged, server: VaultServer) -> list[str]:
    failures: list[str] = []
    clients = [
        threading.Thread(target=_client_rounds, args=(arranged, server.base_url, n, failures))
        for n in range(CLIENTS)
    ]
    for c in clients:
        c.start()
    for c in clients:
        c.join(60)
    return failures


@pytest.mark.slow
def test_bursts_after_quiet_spells_keep_descriptors_and_connections_flat(
    served: tuple[Arranged, VaultServer],
) -> None:
    """Six bursts of 12 clients, each after the pool's threads have expired: every request
    succeeds; descriptors other than the database's do not grow, and database connections
    stay within what one burst's concurrency needs (the read pool grows to the traffic's
    peak, never with the number of bursts)."""
    arranged, server = served
    database = arranged.settings.layout.database
    db_files = {str(database.resolve()), str(database.resolve()) + "-wal"}
    others: list[int] = []
    connections: list[int] = []
    for _ in range(BURSTS):
        assert _burst(arranged, server) == []
        held = open_descriptors(server.pid)
        others.append(sum(1 for target in held if target not in db_files))
        connections.append(database_connections(database, server.pid))
        time.sleep(QUIET)  # longer than the idle expiry: the next burst gets new threads
    assert others[-1] <= others[0] + 2, others  # a closing socket may linger
    # Reads at once: at most one per client, plus the background tasks; plus the writer.
    assert max(connections) <= min(CLIENTS + 3, MAX_READERS) + 1, connections
