"""A container for secret bytes whose ``repr`` never shows them."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Secret:
    """Secret bytes (keys, tokens): masked in ``repr`` and ``str`` so they never reach a log."""

    value: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"Secret(<{len(self.value)} bytes>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        # Constant-time, so comparing secrets leaks no timing.
        return isinstance(other, Secret) and hmac.compare_digest(self.value, other.value)

    def __hash__(self) -> int:
        return hash(("Secret", len(self.value)))
