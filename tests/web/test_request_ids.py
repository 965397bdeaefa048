"""Request ids: unique within a process and between processes, never a system call each."""

from __future__ import annotations

import re
import subprocess
import sys

from web.session import new_request_id


def test_request_ids_are_unique_hex() -> None:
    ids = [new_request_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)


def test_two_processes_draw_different_prefixes() -> None:
    """Two server processes on one vault do not give two requests the same id."""
    code = "from web.session import new_request_id; print(new_request_id())"
    first, second = (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    )
    assert first != second
