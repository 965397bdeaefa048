"""Key names of signed notes (C2SP signed-note): checked without loading any cryptography,
so that settings can refuse a bad ``audit_origin`` on the command line's light paths."""

from __future__ import annotations


def valid_name(name: str) -> bool:
    """A key name is non-empty, has no ``+`` and no white space (C2SP signed-note)."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)
