"""Command groups beyond init/serve/demo: users, backup, items, audit."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from vault.settings import Settings


def register(
    commands: argparse._SubParsersAction[Any], settings_of: Callable[[argparse.Namespace], Settings]
) -> None:
    from cli import audit_cmd, backup_cmd, demo, items_cmd, users_cmd
    from cli.context import audit_context_opener

    users_cmd.register(commands, settings_of)
    backup_cmd.register(commands, settings_of)
    demo.register(commands, settings_of)
    items_cmd.register(commands, settings_of)
    audit_cmd.register(commands, audit_context_opener(settings_of))  # type: ignore[arg-type]
