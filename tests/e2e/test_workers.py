"""``permanence serve --workers N`` as an operator runs it: both workers accept
connections, a worker killed is started again while the other serves, SIGTERM stops every
process, workers whose supervisor was killed stop by themselves, and wrong counts or a
vault that does not open are one sentence.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.cli.running import run
from tests.e2e.several_processes import Supervised
from tests.e2e.storm import (
    Storm,
    arrange,
    audit_verify,
    look,
    mailbox_fixture,  # noqa: F401 - the ``mailbox`` fixture
    run_all,
)
from tests.vault.notify.receivers import Inbox

pytestmark = pytest.mark.slow


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
    arranged = arrange(tmp_path / "data", mailbox.port)
    server = Supervised(arranged.settings, 2)
    server.start()
    assert server.process is not None
    port = int(server.base_url.rsplit(":", 1)[1])
    try:
        workers = _wait_for_workers(server, 2)
        _each_accepts_connections(port, workers)
        storm = Storm(arranged)
        run_all(storm.threads(server.base_url, 40))
        assert storm.refused == [] and storm.broken == []
        assert len(storm.acknowledged) == 40
        # A worker killed is started again; the other serves meanwhile.
        os.kill(workers[0], signal.SIGKILL)
        assert httpx.get(server.base_url + "/health", timeout=10).status_code == 200
        restarted = _wait_for_workers(server, 2)
        assert workers[0] not in restarted and workers[1] in restarted
        run_all(storm.threads(server.base_url, 40))
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
    found = look(arranged.settings)
    assert set(storm.acknowledged) == found.items
    audit_verify(arranged.settings)


def test_workers_never_run_code_from_the_current_directory(tmp_path: Path, mailbox: Inbox) -> None:
    """An operator starting the server from a folder others write to (``/tmp``) ran their
    ``cli/__init__.py`` in every worker, with the vault's keys: workers ran ``-m cli.main``,
    which puts the current directory first on ``sys.path``."""
    arranged = arrange(tmp_path / "data", mailbox.port)
    planted = tmp_path / "shared-folder"
    (planted / "cli").mkdir(parents=True)
    marker = tmp_path / "planted-code-ran"
    (planted / "cli" / "__init__.py").write_text(
        f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit('planted')\n"
    )
    server = Supervised(arranged.settings, 2, cwd=planted)
    server.start()
    assert server.process is not None
    try:
        assert httpx.get(server.base_url + "/health", timeout=10).status_code == 200
    finally:
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(40)
        assert server.process.stderr is not None
        with server.process.stderr:
            said = server.process.stderr.read().decode()
    assert code == 0, (code, said)
    assert not marker.exists() and "planted" not in said


def test_serve_refuses_a_wrong_worker_count() -> None:
    for wrong in ("0", "-1", "many", "65"):
        done = run("serve", "--workers", wrong)
        assert done.returncode == 2
        assert "--workers takes a whole number from 1 to 64" in done.stderr
        assert "Traceback" not in done.stderr


def test_workers_stop_by_themselves_when_their_supervisor_is_killed(
    tmp_path: Path, mailbox: Inbox
) -> None:
    arranged = arrange(tmp_path / "data", mailbox.port)
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
    found = look(arranged.settings)  # they stopped cleanly: the vault opens and verifies
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
