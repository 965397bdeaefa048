"""Identifiers: UUIDs in their canonical lowercase text form (docs/format.md §1)."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable


def new_uuid(randbytes: Callable[[int], bytes] = os.urandom) -> str:
    return str(uuid.UUID(bytes=randbytes(16), version=4))


def _unix_ms() -> int:
    return time.time_ns() // 1_000_000


def new_item_id(
    now_ms: Callable[[], int] = _unix_ms, randbytes: Callable[[int], bytes] = os.urandom
) -> str:
    """A UUID version 7 (RFC 9562 §5.7): Unix milliseconds, then random bits.

    Item ids drawn one after another sort together, so each new row lands at the end of
    the indexes on item ids instead of on a random page (the browser's ``newItemId``).
    """
    ms = now_ms()
    if not isinstance(ms, int) or not 0 <= ms < 1 << 48:
        raise ValueError("a UUIDv7 time is 0 to 2^48 - 1 milliseconds")
    b = bytearray(ms.to_bytes(6, "big") + randbytes(10))
    b[6] = 0x70 | (b[6] & 0x0F)  # version 7 (``uuid.UUID`` of Python 3.11 knows 1 to 5 only)
    b[8] = 0x80 | (b[8] & 0x3F)  # variant 10
    return str(uuid.UUID(bytes=bytes(b)))


def random_digits(item_id: str, n: int) -> str:
    """``n`` hex digits of a canonical id that are random whatever its version, to spread
    files over directories or to tell items apart at a glance: the first ones of a random
    (version 4) id, as before UUIDv7, and the last ones of a version 7 id, whose first
    digits are its time (in the browser: ``shortItemId``)."""
    return item_id[-n:] if item_id[14:15] == "7" else item_id[:n]


# The canonical form: what ``str(uuid.UUID(...))`` writes (any 32 hex digits are a UUID).
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_uuid(text: str) -> bool:
    """True for the canonical lowercase form only (what ``new_uuid`` produces)."""
    return isinstance(text, str) and _CANONICAL.fullmatch(text) is not None
