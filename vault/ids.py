"""Identifiers: UUIDs in their canonical lowercase text form (docs/format.md §1)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable


def new_uuid(randbytes: Callable[[int], bytes] = os.urandom) -> str:
    return str(uuid.UUID(bytes=randbytes(16), version=4))


def is_uuid(text: str) -> bool:
    """True for the canonical lowercase form only (what ``new_uuid`` produces)."""
    try:
        return str(uuid.UUID(text)) == text
    except (ValueError, AttributeError, TypeError):
        return False
