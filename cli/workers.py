"""``permanence serve --workers N``: N server processes on one listening socket.

The supervisor (this process) binds the address once and starts N workers, each a
``permanence serve`` of its own given the socket's descriptor: each opens its own
database and runs its own background jobs (``vault/lifecycle.py``), which are safe
to run in several processes at once (docs/operations.md, "Several processes"). The
kernel hands each new connection to one of the workers. A worker that dies is started
again after ``RESTART_DELAY`` seconds (doubled, up to ``MAX_RESTART_DELAY``, while it
keeps dying within ``STABLE_SECONDS`` of its start: a vault that cannot be reached).
SIGTERM or SIGINT to the supervisor stops every worker with one SIGTERM (they finish
their requests and stop their jobs), then the supervisor returns. Workers run in their
own process group, so a Ctrl-C at the terminal reaches them once, through the
supervisor, and a worker whose supervisor is gone (killed with SIGKILL) stops by itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
STABLE_SECONDS = 10.0
STOP_TIMEOUT = 30.0
BACKLOG = 2048
_POLL = 0.1


def bind(host: str, port: int) -> socket.socket:
    """The listening socket every worker accepts on, inheritable by the workers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


@dataclass
class _Worker:
    number: int
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    died_at: float | None = None
    delay: float = RESTART_DELAY
    quick_deaths: int = 0  # in a row, each within STABLE_SECONDS of its start


class Supervisor:
    """Starts ``count`` workers with ``command(fd)``, restarts those that die, stops them all."""

    def __init__(
        self,
        command: Callable[[int], Sequence[str]],
        count: int,
        sock: socket.socket,
        *,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self._command = command
        self._sock = sock
        self._workers = [_Worker(n) for n in range(count)]
        self._stop = threading.Event()
        self._log = log or _to_stderr

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process is not None]

    def request_stop(self, signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        self._stop.set()

    def run(self) -> int:
        """Serve until asked to stop (``request_stop``, or SIGTERM/SIGINT in the main thread)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.request_stop)
            signal.signal(signal.SIGINT, self.request_stop)
        try:
            for worker in self._workers:
                self._start(worker)
            while not self._stop.wait(_POLL):
                self._restart_the_dead()
        finally:
            self._stop_all()
        return 0

    def _start(self, worker: _Worker) -> None:
        fd = self._sock.fileno()
        worker.process = subprocess.Popen(  # noqa: S603 - our own command line, no shell
            list(self._command(fd)), pass_fds=(fd,), process_group=0
        )
        worker.started_at, worker.died_at = time.monotonic(), None

    def _restart_the_dead(self) -> None:
        now = time.monotonic()
        for worker in self._workers:
            process = worker.process
            if process is None or process.poll() is None:
                continue
            if worker.died_at is None:
                worker.died_at = now
                quick = now - worker.started_at < STABLE_SECONDS
                worker.quick_deaths = worker.quick_deaths + 1 if quick else 0
                worker.delay = min(
                    RESTART_DELAY * 2 ** max(worker.quick_deaths - 1, 0), MAX_RESTART_DELAY
                )
                self._log(
                    f"permanence: worker {worker.number} (pid {process.pid}) stopped with"
                    f" {_how(process.returncode)}; starting it again in {worker.delay:g} s"
                )
            if now - worker.died_at >= worker.delay:
                self._start(worker)

    def _stop_all(self) -> None:
        alive = [w.process for w in self._workers if w.process and w.process.poll() is None]
        for process in alive:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in alive:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._sock.close()


def _how(code: int) -> str:
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _to_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def worker_socket(fd: int) -> socket.socket:
    """In a worker: the supervisor's listening socket, from its descriptor."""
    return socket.socket(fileno=fd)


def stop_when_orphaned(supervisor: int, interval: float = 1.0) -> None:
    """In a worker: SIGTERM to itself once its parent is no longer ``supervisor`` (gone,
    even before this worker got this far), checked by a thread."""

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="permanence-orphan-watch", daemon=True).start()
