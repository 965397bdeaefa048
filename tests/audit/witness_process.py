"""Starting ``permanence witness serve`` as a real process on a free port, for the tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from audit.cosignature import CosignatureVerifier, parse_cosignature_verifier
from tests.cli.running import PERMANENCE


@dataclass(frozen=True, slots=True)
class RunningWitness:
    url: str
    verifier: CosignatureVerifier
    key_file: Path
    state_dir: Path
    process: subprocess.Popen[str]


@contextmanager
def witness_process(
    folder: Path, name: str, *log_keys: str, port: int = 0
) -> Iterator[RunningWitness]:
    """A witness named ``name`` following ``log_keys``, its key and views in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    key_file, state = folder / "witness.key", folder / "state"
    args = ["witness", "serve", "--key", str(key_file), "--name", name]
    args += [a for k in log_keys for a in ("--log-key", k)]
    args += ["--state-dir", str(state), "--port", str(port)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PERMANENCE_")}
    process = subprocess.Popen(
        [PERMANENCE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean,
    )
    try:
        verifier, url = _started(process)
        yield RunningWitness(url, verifier, key_file, state, process)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _started(process: subprocess.Popen[str]) -> tuple[CosignatureVerifier, str]:
    """The key and URL the process prints once listening (it exits, closing stdout, if not)."""
    assert process.stdout is not None
    verifier: CosignatureVerifier | None = None
    for line in process.stdout:
        if line.startswith("witness "):
            verifier = parse_cosignature_verifier(line.split(" ", 1)[1])
        elif line.startswith("listening on ") and verifier is not None:
            return verifier, line.split(" ", 2)[2].strip()
    raise AssertionError("the witness process did not start")
