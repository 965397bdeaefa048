"""Several ``permanence serve`` processes on one vault, for the tests of tests/e2e/storm.py.

``ServerProcess`` runs ``permanence serve`` on a data directory in a child process,
optionally with a shorter checkpoint tick (``tick``: the checkpoint and witness jobs'
period, 15 s in production) so that the processes race to sign checkpoints many times
a test. ``Supervised`` runs ``permanence serve --workers N`` itself, the command an
operator types, and finds its workers among its children.

Run as ``python -m tests.e2e.several_processes DATA_DIR PORT TICK``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx2 as httpx

from crypto.encoding import b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, seal_item
from tests.e2e.vault_process import REPO, Arranged, free_port
from tests.objectstore import environment
from vault.settings import Settings


def backend_environment(settings: Settings) -> dict[str, str]:
    """The variables that put a ``permanence`` command on ``settings``' database and blob
    store."""
    variables = environment(settings.blob_store) if settings.blob_store.url else {}
    if settings.distributed_database:
        variables["PERMANENCE_DATABASE_URL"] = settings.database_url.value.decode()
    return variables


def _environment(settings: Settings, base_url: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PERMANENCE_")} | {
        "PYTHONPATH": str(REPO),
        "PERMANENCE_BASE_URL": base_url,
        **backend_environment(settings),
    }


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(base_url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the server did not start")


class ServerProcess:
    """``permanence serve`` on the vault of ``settings`` in a child process of its own."""

    def __init__(self, settings: Settings, *, tick: float = 15.0) -> None:
        self.settings = settings
        self.tick = tick
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        args = [sys.executable, "-m", "tests.e2e.several_processes"]
        args += [str(self.settings.data_dir), str(port), str(self.tick)]
        self.process = subprocess.Popen(
            args,
            env=_environment(self.settings, self.base_url),
            stdout=subprocess.DEVNULL,
            cwd=REPO,
        )
        wait_healthy(self.base_url, self.process)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


class Supervised:
    """``permanence serve --workers N`` on the vault of ``settings``, as an operator runs it."""

    def __init__(self, settings: Settings, workers: int, *, cwd: Path | None = None) -> None:
        self.settings = settings
        self.workers = workers
        # Started elsewhere than the repository: through the installed ``permanence``
        # script, as an operator types it (``-m cli.main`` would look in ``cwd`` first).
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def start(self) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        data_dir = str(self.settings.data_dir)
        program = [sys.executable, "-m", "cli.main"]
        if self.cwd is not None:
            program = [str(Path(sys.executable).parent / "permanence")]
        args = [*program, "--data-dir", data_dir, "serve"]
        args += ["--port", str(port), "--workers", str(self.workers)]
        environment = _environment(self.settings, self.base_url)
        if self.cwd is not None:
            environment.pop("PYTHONPATH", None)
        self.process = subprocess.Popen(
            args,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.cwd or REPO,
        )
        wait_healthy(self.base_url, self.process)

    def worker_pids(self) -> list[int]:
        """The supervisor's children (its workers), from /proc."""
        assert self.process is not None
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                found.append(int(entry.name))
        return sorted(found)


def deposit(arranged: Arranged, text: str, *, urgent: bool = False) -> dict[str, Any]:
    """The JSON of a deposit of a signed, sealed message (urgent or normal)."""
    item_id = uuid.uuid4()
    header = ItemHeader(
        kind=ItemKind.MESSAGE,
        urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
        item_id=item_id,
        client_id=uuid.UUID(arranged.practice.id),
        author_id=uuid.UUID(arranged.secretary.id),
    )
    body = encode_body({"subject": "Several processes", "text": text})
    envelope = seal_item(
        header, body, arranged.practice.keys.public_key, arranged.secretary.keys.signing_key
    )
    return {
        "item_id": str(item_id),
        "practice_id": arranged.practice.id,
        "envelope": b64url_encode(envelope),
    }


def _serve(argv: list[str]) -> int:
    data_dir, port, tick = argv[0], argv[1], float(argv[2])
    from vault import lifecycle

    vars(lifecycle)["TICK_SECONDS"] = tick  # the checkpoint and witness jobs' period
    from cli.main import main

    return main(["--data-dir", data_dir, "serve", "--port", port])


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1:]))
