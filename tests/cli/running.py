"""Running the installed ``permanence`` command as a user would, for the command-line tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PERMANENCE = shutil.which("permanence", path=str(Path(sys.executable).parent)) or "permanence"


# The machine's own locale never chooses the refusals' language (cli/language.py): English
# unless a test asks for another.
_LOCALE = ("LC_ALL", "LC_MESSAGES", "LANG")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("PERMANENCE_") and k not in _LOCALE
    }
    return subprocess.run(
        [PERMANENCE, *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=60,
        check=False,
    )


def assert_one_clear_sentence(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("permanence: ")
