"""The PostgreSQL connection: the write lock every process takes, read snapshots, errors,
values as SQLite gives them, and the writer's change watch."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit.entry import Action, AuditEntry
from audit.errors import AppendRefused
from audit.log import AuditLog
from crypto.secret import Secret
from tests.backends.postgres import SUPERUSER, Cluster
from vault.errors import StoreError, WriteFailed
from vault.storage.database import Database
from vault.storage.postgres import connection as pg_connection
from vault.storage.postgres.connection import PostgresConnection, connect
from vault.storage.store import Connection, integrity_check

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def url(cluster: Cluster) -> Secret:
    return cluster.new_database()


def test_a_write_transaction_waits_for_another_process_s(url: Secret) -> None:
    """BEGIN IMMEDIATE holds the vault's write lock until COMMIT: a second connection's
    BEGIN IMMEDIATE (another process) waits for it, as SQLite's writers wait."""
    first, second = connect(url), connect(url)
    entered = threading.Event()

    def other() -> None:
        second.execute("BEGIN IMMEDIATE")
        entered.set()
        second.execute("COMMIT")

    try:
        first.execute("BEGIN IMMEDIATE")
        thread = threading.Thread(target=other)
        thread.start()
        assert not entered.wait(0.5)
        first.execute("COMMIT")
        assert entered.wait(10)
        thread.join(10)
    finally:
        first.close()
        second.close()


def _append(n: int) -> Callable[[Connection], None]:
    def job(conn: Connection) -> None:
        AuditLog().append(
            conn, AuditEntry.new(Action.ITEM_READ, now=T0 + timedelta(seconds=n), request=f"r{n}")
        )

    return job


def test_two_processes_appending_at_once_keep_the_log_dense(url: Secret) -> None:
    """Two databases (two server processes) group-commit audit appends concurrently:
    every append commits, and the log's indexes are 0..n-1 with its tree stored whole."""
    one, two = (Database(None, None, url=url, max_group=4) for _ in range(2))
    try:
        futures = [(one if n % 2 else two).writer.submit(_append(n)) for n in range(400)]
        for future in futures:
            future.result(timeout=60)
        indexes = one.read(
            lambda c: [r[0] for r in c.execute("SELECT idx FROM audit_entries ORDER BY idx")]
        )
        assert indexes == list(range(400))
        assert one.read(AuditLog().size) == 400
    finally:
        one.close()
        two.close()


def test_without_the_lock_concurrent_appends_collide(
    url: Secret, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the lock prevents: two processes computing the same next index."""
    monkeypatch.setattr(pg_connection, "TAKE_WRITE_LOCK", "SELECT 1")
    one, two = (Database(None, None, url=url, max_group=4) for _ in range(2))
    failed = 0
    try:
        futures = [(one if n % 2 else two).writer.submit(_append(n)) for n in range(400)]
        for future in futures:
            try:
                future.result(timeout=60)
            except (WriteFailed, AppendRefused):
                failed += 1
    finally:
        one.close()
        two.close()
    assert failed > 0


def test_a_read_is_one_snapshot(url: Secret) -> None:
    """Inside ``reading``, a commit made meanwhile is not seen (REPEATABLE READ)."""
    db = Database(None, None, url=url)
    try:
        with db.reading() as conn:
            before = conn.execute("SELECT count(*) FROM vault_meta").fetchone()
            db.write(lambda c: c.execute("INSERT INTO vault_meta VALUES ('k', 'v')"))
            assert conn.execute("SELECT count(*) FROM vault_meta").fetchone() == before
        assert db.read(lambda c: c.execute("SELECT count(*) FROM vault_meta").fetchone()) == (1,)
        db.ping()
    finally:
        db.close()


def test_errors_are_the_vault_s_and_the_connection_stays_usable(pg: PostgresConnection) -> None:
    pg.execute("INSERT INTO vault_meta VALUES ('k', 'v')")
    with pytest.raises(WriteFailed, match="duplicate key"):
        pg.execute("INSERT INTO vault_meta VALUES ('k', 'w')")
    with pytest.raises(WriteFailed, match="check constraint"):
        pg.execute(
            "INSERT INTO refusal_count (subject, action, reason, first_at, last_at, count)"
            " VALUES ('s', 'a', 'r', 't', 't', 0)"
        )
    with pytest.raises(StoreError, match="syntax error"):
        pg.execute("SELEKT 1")
    assert pg.execute("SELECT value FROM vault_meta").fetchall() == [("v",)]


def test_values_come_back_as_sqlite_gives_them(pg: PostgresConnection) -> None:
    """Booleans are stored as 1 and 0, blobs come back as bytes, rowcount counts rows."""
    pg.execute("INSERT INTO vault_meta VALUES ('a', 'x'), ('b', 'y')")
    cur = pg.execute("UPDATE vault_meta SET value = 'z'")
    assert cur.rowcount == 2
    row = pg.execute("SELECT ?, ?, ?, ?", (True, False, b"\x00\xff", None)).fetchone()
    assert row == (1, 0, b"\x00\xff", None)
    assert pg.execute("SELECT 1 WHERE false").fetchone() is None


def test_a_closed_database_is_one_sentence_without_the_password(cluster: Cluster) -> None:
    url = Secret(
        b"postgresql://permanence:hunter2secret@/nothing_here?host="
        + str(cluster.socket_dir).encode()
    )
    with pytest.raises(StoreError) as refused:
        connect(url)
    assert "hunter2secret" not in str(refused.value)
    assert "nothing_here" in str(refused.value)  # what is wrong, said once
    assert "\n" not in str(refused.value)


def test_the_writer_s_watch_sees_its_own_commits_of_the_watched_changes(url: Secret) -> None:
    """As SQLite's TEMP triggers: a commit that revokes a session moves the generation, one
    that only touches ``last_seen_at`` does not."""
    db = Database(None, None, url=url)
    try:
        watch = db.writer.watch("watched", ["AFTER UPDATE OF revoked_at ON session"])
        db.write(
            lambda c: c.execute(
                "INSERT INTO practice (id, name, created_at) VALUES ('p', 'P', 't');"
            )
        )
        assert watch.generation == 0
        db.write(lambda c: c.execute("UPDATE session SET last_seen_at = 't'"))
        assert watch.generation == 0
        db.write(lambda c: c.execute("UPDATE session SET revoked_at = 't' WHERE false"))
        assert watch.generation == 1
    finally:
        db.close()


def test_a_database_restart_costs_the_transaction_in_progress_only(
    url: Secret, cluster: Cluster
) -> None:
    """Connections cut by the server (a restart, a fail-over) are opened again at the next
    transaction: the writer keeps writing, reads keep reading."""
    db = Database(None, None, url=url, max_readers=1)
    try:
        db.write(lambda c: c.execute("INSERT INTO vault_meta VALUES ('a', '1')"))
        assert db.read(lambda c: c.execute("SELECT count(*) FROM vault_meta").fetchone()) == (1,)
        name = url.value.decode().split("/")[3].split("?")[0]
        cut = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"  # noqa: S608
        cluster.psql(cut)
        with pytest.raises(StoreError):  # the read whose connection was cut
            db.read(lambda c: c.execute("SELECT 1").fetchone())
        with pytest.raises(WriteFailed):  # the group whose connection was cut
            db.write(lambda c: c.execute("INSERT INTO vault_meta VALUES ('b', '2')"))
        db.write(lambda c: c.execute("INSERT INTO vault_meta VALUES ('c', '3')"))
        assert db.read(lambda c: c.execute("SELECT count(*) FROM vault_meta").fetchone()) == (2,)
    finally:
        db.close()


def test_the_sqlcipher_integrity_check_points_to_postgresql_s_tools(
    pg: PostgresConnection,
) -> None:
    with pytest.raises(StoreError, match=r"SQLCipher's; .*docs/operations.md"):
        integrity_check(pg)


@pytest.mark.parametrize(
    ("when", "statement", "fires"),
    [
        ("AFTER UPDATE OF revoked_at ON session", "UPDATE session SET revoked_at = ?", True),
        ("AFTER UPDATE OF revoked_at ON session", "UPDATE session SET last_seen_at = ?", False),
        ("AFTER UPDATE OF revoked_at ON session", "UPDATE sessions SET revoked_at = ?", False),
        ("AFTER DELETE ON session", "  DELETE FROM session WHERE id_hash = ?", True),
        ("AFTER INSERT ON practice_grant", "INSERT OR IGNORE INTO practice_grant VALUES (?)", True),
        ("AFTER UPDATE ON practice_grant", "INSERT INTO practice_grant VALUES (?)", False),
        (
            "AFTER UPDATE ON practice_grant",
            "INSERT INTO practice_grant VALUES (?) ON CONFLICT (a) DO UPDATE SET sealed = ?",
            True,
        ),
        ("AFTER UPDATE ON account", "SELECT * FROM account", False),
    ],
)
def test_watched_changes_are_matched_on_the_statement(
    when: str, statement: str, fires: bool
) -> None:
    fired: list[bool] = []
    watch = pg_connection.parse_watch(when, lambda: fired.append(True))
    assert watch.matches(statement) is fires


def test_a_writer_waits_for_the_lock_only_so_long(
    url: Secret, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process stuck inside a write transaction makes the others' writes fail after the
    lock timeout (SQLite's busy timeout), rather than hang."""
    monkeypatch.setattr(pg_connection, "LOCK_TIMEOUT_MS", 300)
    stuck, other = connect(url), connect(url)
    try:
        stuck.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="lock timeout"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        stuck.execute("COMMIT")
        other.execute("BEGIN IMMEDIATE")
        other.execute("COMMIT")
    finally:
        stuck.close()
        other.close()


def test_an_unreadable_address_is_one_sentence_without_the_password() -> None:
    """libpq's own message quoted the password ("invalid percent-encoded token: ...")."""
    with pytest.raises(StoreError, match="must write them %25, %40") as refused:
        connect(Secret(b"postgresql://vault:50%off!@127.0.0.1/vault"))
    assert "50%off" not in str(refused.value) and "off!" not in str(refused.value)


def test_a_password_cut_by_an_unencoded_at_sign_is_not_shown() -> None:
    """libpq took "Pass@127.0.0.1" for the host and said so: half the password."""
    with pytest.raises(StoreError) as refused:
        connect(Secret(b"postgresql://vault:My@Passw0rd@127.0.0.1:1/vault"))
    assert "Passw0rd" not in str(refused.value), str(refused.value)


def _outward_address() -> str:
    """This machine's address on its network (not the loopback): no packet is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))
        address: str = probe.getsockname()[0]
    return address


def _relay_to(unix_path: Path, address: str) -> tuple[int, list[int]]:
    """A TCP listener on ``address`` forwarding each connection to the Unix socket: a
    database on "another machine", reached in clear. Returns its port and a count."""
    server = socket.create_server((address, 0))
    seen: list[int] = []

    def pump(a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        with contextlib.suppress(OSError):
            b.shutdown(socket.SHUT_WR)

    def accept() -> None:
        while True:
            client, _ = server.accept()
            seen.append(1)
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(str(unix_path))
            threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return server.getsockname()[1], seen


def test_a_connection_libpq_made_to_another_machine_in_clear_is_refused(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The address names no host (a local socket, accepted by the settings), but libpq takes
    PGHOST from the environment: the connection itself is judged, not only the address."""
    address = _outward_address()
    assert not ipaddress.ip_address(address).is_loopback
    sockets = list(cluster.socket_dir.glob(".s.PGSQL.*"))
    port, seen = _relay_to(sockets[0], address)
    database = cluster.new_database().value.decode().partition("///")[2].partition("?")[0]
    monkeypatch.setenv("PGHOST", address)
    monkeypatch.setenv("PGPORT", str(port))
    monkeypatch.setenv("PGSSLMODE", "disable")
    url = Secret(f"postgresql:///{database}?user={SUPERUSER}".encode())
    with pytest.raises(StoreError, match="another machine without verified TLS"):
        connect(url)
    assert seen, "the relay was not used: the test proves nothing"
