"""Files only their owner may read (mode 0600 in folders of mode 0700), written durably.

Key files, the audit signer key, pinned keys and exported proofs are written here, and
every rename that must survive a power cut is followed by ``fsync_dir`` of its folder.
No driver, no crypto: the command line's offline tools use it too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (files created, renamed into it) durable; or a file's data."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_parent(path: Path) -> None:
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)


def create_private(path: Path, text: str) -> None:
    """Create ``path`` (mode 0600, durable) with ``text``; refuse to overwrite anything."""
    _private_parent(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def append_private(path: Path, text: str) -> None:
    """Append ``text`` in one write to ``path``, created or made mode 0600, durably."""
    _private_parent(path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def replace_private(path: Path) -> Iterator[TextIO]:
    """Write ``path`` (mode 0600) atomically: a temporary file, fsynced, then renamed over
    it; if the writing fails, the temporary file goes and ``path`` is as it was."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
