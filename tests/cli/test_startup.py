"""Start-up weight: ``permanence --help`` loads neither the database driver nor libsodium."""

from __future__ import annotations

import argparse
import subprocess
import sys

from cli.commands import COMMANDS
from cli.main import build_parser

_PROBE = """
import sys
from cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(",".join(sorted(m for m in ("sqlcipher3", "nacl") if m in sys.modules)), file=sys.stderr)
"""


def _heavy_modules_loaded(*args: str) -> tuple[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout, result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""


def test_help_imports_neither_sqlcipher3_nor_nacl() -> None:
    """The help lists every command, yet loads no command module's heavy imports."""
    out, loaded = _heavy_modules_loaded("--help")
    assert "audit" in out and "deposit" in out
    assert loaded == ""


def test_the_probe_sees_a_command_that_does_load_them() -> None:
    """The check can fail: a command's own help loads its group (and the driver with it)."""
    _, loaded = _heavy_modules_loaded("users", "--help")
    assert "sqlcipher3" in loaded


def _listed(parser: argparse.ArgumentParser) -> dict[str, str | None]:
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {c.dest: c.help for c in commands._choices_actions}


def test_the_quick_listing_matches_the_commands_themselves() -> None:
    """Names and help in ``cli.commands.COMMANDS`` are those the command groups register."""
    full = _listed(build_parser())
    quick = _listed(build_parser(["--help"]))
    assert quick == full
    assert {name: help_ for name, (_, help_) in COMMANDS.items()}.items() <= full.items()
