"""The supervisor of ``serve --workers`` (cli/workers.py) on real processes: a worker that
keeps dying at once is started again less and less often, and a stop ends them all."""

from __future__ import annotations

import sys
import threading
import time

from cli.workers import Supervisor, bind


def test_a_worker_that_keeps_dying_is_restarted_ever_more_slowly() -> None:
    said: list[str] = []
    sock = bind("127.0.0.1", 0)

    def command(fd: int) -> list[str]:
        return [sys.executable, "-c", "import sys; sys.exit(3)"]

    supervisor = Supervisor(command, 1, sock, log=said.append)
    running = threading.Thread(target=supervisor.run)
    running.start()
    try:
        time.sleep(5.0)  # deaths at about 0 s, 1 s, 3 s (then 7 s): delays 1 s, 2 s, 4 s
    finally:
        supervisor.request_stop()
        running.join(10)
    assert not running.is_alive()
    assert [line.rsplit(" in ", 1)[1] for line in said] == ["1 s", "2 s", "4 s"]
    assert all("stopped with exit code 3; starting it again" in line for line in said)
    assert sock.fileno() == -1  # closed with the supervisor


def test_stopping_ends_every_worker() -> None:
    sock = bind("127.0.0.1", 0)

    def command(fd: int) -> list[str]:
        return [sys.executable, "-c", "import time; time.sleep(600)"]

    supervisor = Supervisor(command, 3, sock, log=lambda text: None)
    running = threading.Thread(target=supervisor.run)
    running.start()
    deadline = time.monotonic() + 10
    while len(supervisor.pids) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pids = supervisor.pids
    supervisor.request_stop()
    running.join(40)
    assert not running.is_alive()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                assert stat.read().rsplit(")", 1)[1].split()[0] == "Z"
        except FileNotFoundError:
            pass  # reaped: gone
