"""What a process holds open, read from ``/proc/<pid>/fd`` (Linux)."""

from __future__ import annotations

import os
from pathlib import Path


def open_descriptors(pid: int | None = None) -> list[str]:
    """The targets of every file descriptor the process holds (``pid`` defaults to this one)."""
    folder = Path(f"/proc/{pid or os.getpid()}/fd")
    targets = []
    for entry in folder.iterdir():
        try:
            targets.append(os.readlink(entry))
        except FileNotFoundError:  # closed while we looked
            continue
    return targets


def database_connections(database: Path, pid: int | None = None) -> int:
    """How many SQLite connections the process has open on ``database``: each holds
    one descriptor on the database file itself (the WAL and shared-memory files are
    counted apart)."""
    wanted = str(database.resolve())
    return sum(1 for target in open_descriptors(pid) if target == wanted)
