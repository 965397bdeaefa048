"""Several server processes on one vault (issue 16): real ``permanence serve`` processes
on one data directory, real HTTP from threads to each, a real SMTP server (aiosmtpd).

- Two processes under concurrent deposits from both: every acknowledged deposit is there
  once (one item row, one ``item.deposited`` entry), the audit log is dense and verifies
  (``permanence audit verify``), no two checkpoints have the same tree size though both
  processes race to sign one every quarter of a second, and each notification of the
  urgent deposits arrives once.
- A SIGKILL of one process mid-storm: every deposit it or the other acknowledged is read
  back and decrypted, the other served every request during and after the kill, and the
  log verifies.
- A session signed out through one process is refused by the other within the session
  cache's bound (2 s, vault/identity/session_cache.py).
- ``permanence serve --workers 2``: both workers accept connections, a worker killed is
  started again, and SIGTERM stops every process.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import pytest
from aiosmtpd.controller import Controller

from audit.verify import verify_database
from tests.backends import settings_for
from tests.cli.running import run
from tests.e2e.several_processes import ServerProcess, Supervised, backend_environment, deposit
from tests.e2e.vault_process import SESSION_COOKIE, Arranged, extract_parts, read_item
from tests.factories import add_account, add_practice, assign, open_test_vault, session_for
from tests.people import Person as People
from tests.people import enrol
from tests.vault.notify.receivers import Inbox, free_port, mail_text
from vault.auditing.checkpoints import load_signer
from vault.clock import iso, utc_now
from vault.identity import session_cache, sessions
from vault.identity.roles import Role
from vault.settings import Settings
from vault.storage.datadir import initialise

pytestmark = pytest.mark.slow

MEMBER = "dr.workers@example.org"
SECRETARY = "sophie.workers@example.org"
PER_SERVER = 200
CLIENTS_PER_SERVER = 4
URGENT_EVERY = 10  # one deposit in ten is urgent: its escalation's first step is one mail
TICK = 0.25  # the checkpoint job's period in these servers (15 s in production)


@pytest.fixture
def mailbox() -> Iterator[Inbox]:
    handler = Inbox(free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def _headers(token: str, csrf: str) -> dict[str, str]:
    return {
        "cookie": f"{SESSION_COOKIE}={token}",
        "x-csrf-token": csrf,
        "accept": "application/json",
    }


def _arrange(data_dir: Path, smtp_port: int) -> Arranged:
    """A practice with one member on call (an hour between steps: each urgent deposit
    makes exactly one mail while the test runs), an assigned secretary, checkpoints due
    every 5 entries."""
    settings = settings_for(data_dir)
    initialise(settings)
    (data_dir / "permanence.toml").write_text(
        "checkpoint_every_entries = 5\n"
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsender = "vault@example.org"\n'
    )
    vault = open_test_vault(settings)
    try:
        env = vault.env
        practice = add_practice(env, "Cabinet Plusieurs")
        member = add_account(env, Role.MEMBER, MEMBER, practice)
        secretary = add_account(env, Role.SECRETARY, SECRETARY)
        assign(env, secretary, practice)

        def ladder(conn: object) -> None:
            conn.execute(  # type: ignore[attr-defined]
                "INSERT INTO oncall_ladder VALUES (?, 3600, 'Europe/Paris', ?, ?)",
                (practice.id, iso(utc_now()), member.id),
            )
            conn.execute(  # type: ignore[attr-defined]
                "INSERT INTO oncall_rung VALUES (?, 0, ?, '1234567', 0, 0)",
                (practice.id, member.id),
            )

        env.db.write(ladder)
        member_headers = _headers(*session_for(env, member))
        secretary_headers = _headers(*session_for(env, secretary))
    finally:
        vault.db.close()
    return Arranged(settings, practice, member, secretary, member_headers, secretary_headers)


@dataclass
class Storm:
    """Secretaries' clients depositing messages through one server each."""

    arranged: Arranged
    acknowledged: dict[str, bool] = field(default_factory=dict)  # item id -> urgent
    refused: list[str] = field(default_factory=list)  # an answer other than 201
    broken: list[str] = field(default_factory=list)  # a connection that failed
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, base_url: str, name: str, count: int, *, until_gone: bool = False) -> None:
        headers = self.arranged.secretary_headers
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
            for n in range(count):
                urgent = n % URGENT_EVERY == 0
                body = deposit(self.arranged, f"{name} {n}", urgent=urgent)
                try:
                    answer = http.post("/items", json=body)
                except httpx.TransportError as e:
                    if until_gone:
                        return  # the server was killed: this deposit's fate is unknown
                    self.broken.append(f"{base_url} {type(e).__name__}")
                    continue
                with self._lock:
                    if answer.status_code == 201:
                        self.acknowledged[body["item_id"]] = urgent
                    else:
                        self.refused.append(f"{answer.status_code} {answer.text[:200]}")

    def threads(
        self, base_url: str, count: int, *, until_gone: bool = False
    ) -> list[threading.Thread]:
        per_client = count // CLIENTS_PER_SERVER
        return [
            threading.Thread(
                target=self.client,
                args=(base_url, f"{base_url} client {c}", per_client),
                kwargs={"until_gone": until_gone},
            )
            for c in range(CLIENTS_PER_SERVER)
        ]


def _run(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)


def _wait_for_mails(mailbox: Inbox, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(mailbox.mails) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(mailbox.mails)} mails of {count} after {timeout} s")
        time.sleep(0.1)


@dataclass(frozen=True, slots=True)
class Found:
    deposited: Counter[str]  # item id -> item.deposited entries
    items: set[str]
    indexes: list[int]
    checkpoint_sizes: list[int]
    sent: Counter[int]  # delivery id -> notification.sent entries
    deliveries: dict[int, str]  # delivery id -> state


def _look(settings: Settings) -> Found:
    vault = open_test_vault(settings)
    try:
        with vault.db.reading() as conn:
            verify_database(conn, load_signer(settings).verifier)
            deposited: Counter[str] = Counter()
            sent: Counter[int] = Counter()
            indexes = []
            for idx, leaf in conn.execute("SELECT idx, leaf FROM audit_entries ORDER BY idx"):
                indexes.append(int(idx))
                entry = json.loads(bytes(leaf))
                if entry["action"] == "item.deposited":
                    deposited[entry["targets"]["item"]] += 1
                elif entry["action"] == "notification.sent":
                    sent[int(entry["detail"]["delivery"])] += 1
            items = {str(r[0]) for r in conn.execute("SELECT id FROM item")}
            sizes = [
                int(r[0]) for r in conn.execute("SELECT size FROM audit_checkpoints ORDER BY seq")
            ]
            deliveries = {
                int(r[0]): str(r[1]) for r in conn.execute("SELECT id, state FROM delivery")
            }
    finally:
        vault.close()
    return Found(deposited, items, indexes, sizes, sent, deliveries)


def _audit_verify(settings: Settings) -> None:
    done = run(
        "--data-dir", str(settings.data_dir), "audit", "verify", env=backend_environment(settings)
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _mailed_deliveries(mailbox: Inbox) -> Counter[int]:
    """Delivery id of each mail received, from its link (``/n/<id>.<mac>``)."""
    ids: Counter[int] = Counter()
    for to, mail in mailbox.mails:
        assert to == [MEMBER]
        found = re.search(r"/n/(\d+)\.", mail_text(mail))
        assert found is not None
        ids[int(found.group(1))] += 1
    return ids


def test_two_processes_under_concurrent_deposits(tmp_path: Path, mailbox: Inbox) -> None:
    arranged = _arrange(tmp_path / "data", mailbox.port)
    first = ServerProcess(arranged.settings, tick=TICK)
    second = ServerProcess(arranged.settings, tick=TICK)
    storm = Storm(arranged)
    first.start()
    second.start()
    try:
        _run(storm.threads(first.base_url, PER_SERVER) + storm.threads(second.base_url, PER_SERVER))
        urgent = sum(storm.acknowledged.values())
        _wait_for_mails(mailbox, urgent)
        time.sleep(3 * TICK + 4.0)  # both keep ticking (notifications every 2 s): no repeat
    finally:
        first.stop()
        second.stop()
    assert storm.refused == [] and storm.broken == []
    assert len(storm.acknowledged) == 2 * PER_SERVER
    found = _look(arranged.settings)
    assert found.items == set(storm.acknowledged)
    assert set(found.deposited) == set(storm.acknowledged)
    assert set(found.deposited.values()) == {1}
    assert found.indexes == list(range(len(found.indexes)))
    sizes = found.checkpoint_sizes
    assert len(sizes) >= 5  # both processes signed, racing every quarter of a second
    assert len(set(sizes)) == len(sizes) and sizes == sorted(sizes)
    mailed = _mailed_deliveries(mailbox)
    assert len(mailed) == urgent == 2 * PER_SERVER // URGENT_EVERY
    assert set(mailed.values()) == {1}
    assert set(mailed) == set(found.deliveries)
    assert set(found.deliveries.values()) == {"sent"}
    assert found.sent == Counter(dict.fromkeys(found.deliveries, 1))
    _audit_verify(arranged.settings)


def test_a_process_killed_mid_storm_loses_nothing_and_the_other_keeps_serving(
    tmp_path: Path, mailbox: Inbox
) -> None:
    arranged = _arrange(tmp_path / "data", mailbox.port)
    doomed = ServerProcess(arranged.settings, tick=TICK)
    survivor = ServerProcess(arranged.settings, tick=TICK)
    storm = Storm(arranged)
    doomed.start()
    survivor.start()
    try:
        # Far more than fit before the kill: the doomed process's clients stop at it.
        during = storm.threads(doomed.base_url, 100_000, until_gone=True)
        during += storm.threads(survivor.base_url, PER_SERVER)
        for t in during:
            t.start()
        time.sleep(2.0)
        doomed.kill()
        for t in during:
            t.join(300)
        after_kill = len(storm.acknowledged)
        _run(storm.threads(survivor.base_url, PER_SERVER))  # and after it
        assert len(storm.acknowledged) > after_kill
        urgent = sum(storm.acknowledged.values())
        _wait_for_mails(mailbox, urgent)
        with httpx.Client(
            base_url=survivor.base_url, headers=arranged.member_headers, timeout=30
        ) as member:
            for item_id in storm.acknowledged:
                body = read_item(member, arranged, item_id)
                assert body["subject"] == "Several processes"
    finally:
        survivor.stop()
        doomed.stop()
    assert storm.refused == [] and storm.broken == []  # the survivor failed nothing
    found = _look(arranged.settings)
    assert set(storm.acknowledged) <= found.items
    assert set(found.deposited.values()) == {1}
    assert found.indexes == list(range(len(found.indexes)))
    sizes = found.checkpoint_sizes
    assert len(set(sizes)) == len(sizes) and sizes == sorted(sizes)
    # Each urgent deposit's message arrived (once, unless the kill fell mid-send: then
    # the lease expires and it goes again, at least once, never lost).
    mailed = _mailed_deliveries(mailbox)
    assert set(mailed) >= {d for d, s in found.deliveries.items() if s == "sent"}
    _audit_verify(arranged.settings)


def test_a_sign_out_through_one_process_is_refused_by_the_other_within_the_bound(
    tmp_path: Path, mailbox: Inbox
) -> None:
    arranged = _arrange(tmp_path / "data", mailbox.port)
    one, other = (
        ServerProcess(arranged.settings),
        ServerProcess(arranged.settings),
    )
    one.start()
    other.start()
    try:
        with httpx.Client(headers=arranged.member_headers, timeout=10) as member:
            assert member.get(other.base_url + "/inbox").status_code == 200  # cached there
            out = member.post(one.base_url + "/logout", headers={"origin": one.base_url})
            assert out.status_code < 400, out.text
            signed_out = time.monotonic()
            while member.get(other.base_url + "/inbox").status_code == 200:
                assert time.monotonic() - signed_out < session_cache.MAX_AGE.total_seconds() + 1
                time.sleep(0.05)
    finally:
        one.stop()
        other.stop()


def test_an_upload_whose_parts_reach_both_processes(tmp_path: Path, mailbox: Inbox) -> None:
    """A resumable upload behind a load balancer: its parts alternate between the two
    processes, the deposit goes to one, the member downloads it from the other."""
    arranged = _arrange(tmp_path / "data", mailbox.port)
    one, other = ServerProcess(arranged.settings), ServerProcess(arranged.settings)
    one.start()
    other.start()
    data = random.Random(16).randbytes(5 * 64 * 1024 + 123)  # noqa: S311 - test data
    item_id, stream, body = extract_parts(arranged, data)
    part = 64 * 1024
    try:
        with httpx.Client(headers=arranged.secretary_headers, timeout=30) as secretary:
            started = secretary.post(
                one.base_url + "/uploads",
                json={"practice_id": arranged.practice.id, "item_id": item_id, "size": len(stream)},
            )
            assert started.status_code == 200, started.text
            upload_id = started.json()["upload_id"]
            for n, offset in enumerate(range(0, len(stream), part)):
                server = (one, other)[n % 2]
                put = secretary.put(
                    f"{server.base_url}/uploads/{upload_id}/{offset}",
                    content=stream[offset : offset + part],
                )
                assert put.status_code < 300, put.text
            deposited = secretary.post(
                other.base_url + "/items", json={**body, "upload_id": upload_id}
            )
            assert deposited.status_code == 201, deposited.text
        with httpx.Client(
            base_url=one.base_url, headers=arranged.member_headers, timeout=30
        ) as member:
            assert read_item(member, arranged, item_id) == data
    finally:
        one.stop()
        other.stop()


def _auditor(settings: Settings) -> tuple[dict[str, str], People]:
    """An enrolled auditor (with a second factor) signed in: (headers, the person)."""
    vault = open_test_vault(settings)
    try:
        auditor = enrol(vault.env, Role.AUDITOR, "auditor.workers")
        token, csrf = vault.env.db.write(
            lambda c: sessions.create(vault.env, c, auditor.account_id, "127.0.0.1", "test")
        )
    finally:
        vault.close()
    return {"cookie": f"{SESSION_COOKIE}={token}", "x-csrf-token": csrf}, auditor


def test_an_export_and_a_verification_started_on_one_process_are_seen_by_the_other(
    tmp_path: Path, mailbox: Inbox
) -> None:
    """The console behind a load balancer: the export's download and the "verify now"
    polling reach another process than the one the auditor's form reached."""
    arranged = _arrange(tmp_path / "data", mailbox.port)
    headers, auditor = _auditor(arranged.settings)
    one, other = ServerProcess(arranged.settings), ServerProcess(arranged.settings)
    one.start()
    other.start()
    try:
        with httpx.Client(headers=headers, timeout=30) as console:
            ready = console.post(
                one.base_url + "/audit/export",
                data={"code": auditor.code()},
                headers={"origin": one.base_url},
            )
            assert ready.status_code == 200, ready.text
            link = re.search(r'href="(/audit/export/[0-9a-f]+)"', ready.text)
            assert link is not None
            bundle = console.get(other.base_url + link.group(1))
            assert bundle.status_code == 200
            assert json.loads(bundle.content)  # the bundle, whole
            assert console.get(one.base_url + link.group(1)).status_code == 404  # once only
            assert console.get(other.base_url + link.group(1)).status_code == 404

            started = console.post(one.base_url + "/audit/verify", headers={"origin": one.base_url})
            assert started.status_code == 200, started.text
            poll = re.search(r'hx-get="(/audit/verify/[0-9a-f]+)"', started.text)
            assert poll is not None
            deadline = time.monotonic() + 30
            while (
                'data-verify="ok"' not in (page := console.get(other.base_url + poll.group(1))).text
            ):
                assert page.status_code == 200, page.text
                assert 'data-verify="failed"' not in page.text, page.text
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        one.stop()
        other.stop()


def _established_server_inodes(port: int) -> set[str]:
    """Socket inodes of the accepted connections to ``port`` (/proc/net/tcp)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # ESTABLISHED
                inodes.add(fields[9])
    return inodes


def _holds_one_of(pid: int, inodes: set[str]) -> bool:
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return True
    return False


def _each_accepts_connections(port: int, workers: list[int], timeout: float = 30) -> None:
    """Connections held open, more and more, until each worker has accepted one of them
    (the kernel hands each to one worker; a worker still starting accepts none yet)."""
    held: list[socket.socket] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            for _ in range(8):
                connection = socket.create_connection(("127.0.0.1", port))
                held.append(connection)
                connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert connection.recv(1024).startswith(b"HTTP/1.1 200")
            inodes = _established_server_inodes(port)
            if all(_holds_one_of(pid, inodes) for pid in workers):
                return
            assert time.monotonic() < deadline, f"not every worker accepted: {workers}"
            time.sleep(0.2)
    finally:
        for connection in held:
            connection.close()


def _wait_for_workers(server: Supervised, count: int, timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while len(pids := server.worker_pids()) != count:
        assert time.monotonic() < deadline, f"workers: {pids}"
        time.sleep(0.1)
    return pids


def test_serve_with_two_workers(tmp_path: Path, mailbox: Inbox) -> None:
    arranged = _arrange(tmp_path / "data", mailbox.port)
    server = Supervised(arranged.settings, 2)
    server.start()
    assert server.process is not None
    port = int(server.base_url.rsplit(":", 1)[1])
    try:
        workers = _wait_for_workers(server, 2)
        _each_accepts_connections(port, workers)
        storm = Storm(arranged)
        _run(storm.threads(server.base_url, 40))
        assert storm.refused == [] and storm.broken == []
        assert len(storm.acknowledged) == 40
        # A worker killed is started again; the other serves meanwhile.
        os.kill(workers[0], signal.SIGKILL)
        assert httpx.get(server.base_url + "/health", timeout=10).status_code == 200
        restarted = _wait_for_workers(server, 2)
        assert workers[0] not in restarted and workers[1] in restarted
        _run(storm.threads(server.base_url, 40))
        assert storm.refused == [] and storm.broken == []
        assert len(storm.acknowledged) == 80
    finally:
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(40)
        assert server.process.stderr is not None
        with server.process.stderr:
            said = server.process.stderr.read().decode()
    assert code == 0
    assert server.worker_pids() == []
    assert all(not Path(f"/proc/{pid}").exists() for pid in restarted)
    assert "Traceback" not in said
    assert re.search(
        rf"worker \d \(pid {workers[0]}\) stopped with SIGKILL; starting it again", said
    )
    found = _look(arranged.settings)
    assert set(storm.acknowledged) == found.items
    _audit_verify(arranged.settings)


def test_serve_refuses_a_wrong_worker_count() -> None:
    for wrong in ("0", "-1", "many", "65"):
        done = run("serve", "--workers", wrong)
        assert done.returncode == 2
        assert "--workers takes a whole number from 1 to 64" in done.stderr
        assert "Traceback" not in done.stderr


def test_workers_stop_by_themselves_when_their_supervisor_is_killed(
    tmp_path: Path, mailbox: Inbox
) -> None:
    arranged = _arrange(tmp_path / "data", mailbox.port)
    server = Supervised(arranged.settings, 2)
    server.start()
    assert server.process is not None
    workers = _wait_for_workers(server, 2)
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(10)
    assert server.process.stderr is not None
    server.process.stderr.close()
    deadline = time.monotonic() + 20
    while alive := [pid for pid in workers if _running(pid)]:
        assert time.monotonic() < deadline, f"workers still running: {alive}"
        time.sleep(0.1)
    found = _look(arranged.settings)  # they stopped cleanly: the vault opens and verifies
    assert found.indexes == list(range(len(found.indexes)))


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_serve_with_workers_on_a_vault_that_does_not_open_says_so_once(tmp_path: Path) -> None:
    done = run("--data-dir", str(tmp_path / "none"), "serve", "--workers", "2")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("permanence: ")
    assert "Traceback" not in done.stderr
