"""Commands that later capabilities add (audit, users, deposit, fetch) register here."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Attach the optional command groups that exist in this installation."""
