"""bench/bench_crypto.py runs on a machine set up by scripts/setup and keeps its age row."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_compares_with_age_on_a_set_up_machine() -> None:
    """`scripts/setup --dev` installs age, so the comparison row is never silently dropped
    (it was, on a fresh machine, before age joined the setup's Debian packages)."""
    out = subprocess.run(
        [
            sys.executable,
            "bench/bench_crypto.py",
            "--size-mib",
            "1",
            "--small-mib",
            "1",
            "--rounds",
            "2",
        ],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    names = [row.split("|")[1].strip() for row in rows]
    assert "age (X25519 recipient, /usr/bin/age)" in names
    assert "crypto.stream (64 KiB chunks + stream hash)" in names
    assert "raw PyNaCl secretstream (64 KiB chunks, no hash)" in names
    # the format's own ceiling is measured beside them, and the ratios are printed
    assert any(name.startswith("format v1's stream hash alone") for name in names)
    assert any(name == "ceiling: the stream hash alone, on its own core" for name in names)
