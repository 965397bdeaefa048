"""Identifiers: UUIDs in their canonical lowercase text form (docs/format.md §1)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable


def new_uuid(randbytes: Callable[[int], bytes] = os.urandom) -> str:
    return str(uuid.UUID(bytes=randbytes(16), version=4))


# The canonical form: what ``str(uuid.UUID(...))`` writes (any 32 hex digits are a UUID).
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_uuid(text: str) -> bool:
    """True for the canonical lowercase form only (what ``new_uuid`` produces)."""
    return isinstance(text, str) and _CANONICAL.fullmatch(text) is not None
