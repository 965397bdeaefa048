"""``permanence backup`` and ``permanence restore``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli.operator import command_line
from vault.settings import Settings
from vault.storage import backup


def register(
    commands: argparse._SubParsersAction[Any], settings_of: Callable[[argparse.Namespace], Settings]
) -> None:
    make = commands.add_parser(
        "backup", help="copy the (running) vault's database and files into a new folder"
    )
    make.add_argument("--out", required=True, type=Path, help="a new, empty folder")
    make.set_defaults(run=lambda args: _backup(settings_of(args), args.out))

    put = commands.add_parser(
        "restore", help="restore a backup into a data directory holding only its keys"
    )
    put.add_argument("--from", dest="source", required=True, type=Path, help="a backup folder")
    put.set_defaults(run=lambda args: _restore(settings_of(args), args.source))


def _backup(settings: Settings, out: Path) -> int:
    from cli.context import open_env

    backup.refuse_distributed(settings, "backup")
    with open_env(settings) as env:
        result = backup.create(env, command_line("backup"), out)
    print(
        f"Backed up to {result.folder}: database {result.database_bytes:,} bytes (encrypted),"
        f" {result.blobs} file(s). Keys are not in it: keep {settings.layout.keys_dir}"
        " backed up separately."
    )
    return 0


def _restore(settings: Settings, source: Path) -> int:
    from cli.context import open_env

    result = backup.restore(settings, source)
    with open_env(settings) as env:
        backup.record_restore(env, command_line("restore"), source)
    print(f"Restored {result.blobs} file(s) and the database into {settings.layout.root}.")
    return 0
