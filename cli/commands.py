"""Command groups beyond init/serve/demo: users, backup, items, audit.

Each group's module (and what it imports: the database driver, libsodium) is
loaded only when one of its commands is chosen; ``permanence --help`` lists
every command from ``COMMANDS`` alone.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from typing import Any

from vault.settings import Settings

# name: (module that registers it, its one-line help), in the order the help lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "users": ("cli.users_cmd", "invite people and list accounts"),
    "assignments": ("cli.users_cmd", "list, add or end secretaries' assignments to practices"),
    "backup": ("cli.backup_cmd", "copy the (running) vault's database and files into a new folder"),
    "restore": ("cli.backup_cmd", "restore a backup into a data directory holding only its keys"),
    "migrate-to": (
        "cli.migrate_cmd",
        "copy this embedded vault into PostgreSQL and an S3-compatible object store",
    ),
    "demo-code": (
        "cli.demo",
        "print a current authenticator code for a demo account (demo vaults only)",
    ),
    "deposit": (
        "cli.items_cmd",
        "deposit a call note, a message (stdin) or a file, encrypted here",
    ),
    "fetch": ("cli.items_cmd", "list the practice's items, or fetch and decrypt one"),
    "instructions": (
        "cli.instructions_cmd",
        "show or edit the practice's instructions (members), decrypted here",
    ),
    "requests": (
        "cli.requests_cmd",
        "a secretary's requests from her practices: list, take, mark done",
    ),
    "audit": ("cli.audit_cmd", "sign, verify, export and prove the audit log"),
    "witness": (
        "cli.witness_cmd",
        "run a standing witness that cosigns the audit log's checkpoints",
    ),
}


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names (its first word that is not a global option), if any."""
    words = iter(argv)
    for word in words:
        if word == "--data-dir":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def register(
    commands: argparse._SubParsersAction[Any],
    settings_of: Callable[[argparse.Namespace], Settings],
    chosen: str | None = None,
    *,
    every: bool = False,
) -> None:
    """Add the commands: the chosen one's group for real (all of them with ``every``), the
    others as names with their help, enough to list them and to refuse a wrong name."""
    wanted = {module for module, _ in COMMANDS.values()} if every else set()
    if chosen in COMMANDS:
        wanted.add(COMMANDS[chosen][0])
    loaded: set[str] = set()
    for name, (module, help_) in COMMANDS.items():
        if module not in wanted:
            commands.add_parser(name, help=help_)
        elif module not in loaded:
            loaded.add(module)
            _register_group(module, commands, settings_of)


def _register_group(
    module: str,
    commands: argparse._SubParsersAction[Any],
    settings_of: Callable[[argparse.Namespace], Settings],
) -> None:
    group = importlib.import_module(module)
    if module == "cli.audit_cmd":
        from cli.context import audit_context_opener

        group.register(commands, audit_context_opener(settings_of))  # type: ignore[arg-type]
    else:
        group.register(commands, settings_of)
