"""C2SP tlog-checkpoint v1.0.0 bodies and the policy deciding when to issue one.

A checkpoint body is::

    <origin>
    <decimal tree size>
    <base64 root hash>
    [extension lines]

and is published as a signed note (``audit.note``).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from audit.errors import BadCheckpoint
from audit.merkle import HASH_BYTES

_SIZE_RE = re.compile(r"^(0|[1-9][0-9]*)$")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: which log, how many entries, which root."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise BadCheckpoint("a checkpoint needs a one-line origin")
        if self.size < 0 or len(self.root) != HASH_BYTES:
            raise BadCheckpoint("a checkpoint needs a size >= 0 and a 32-byte root")
        if any(not e or "\n" in e for e in self.extensions):
            raise BadCheckpoint("checkpoint extension lines must be non-empty single lines")

    def body(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        if not body.endswith("\n"):
            raise BadCheckpoint("a checkpoint body ends with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3 or not _SIZE_RE.match(lines[1]):
            raise BadCheckpoint("malformed checkpoint: origin, size and root lines expected")
        try:
            root = base64.b64decode(lines[2], validate=True)
        except (binascii.Error, ValueError):
            raise BadCheckpoint("malformed checkpoint root hash") from None
        checkpoint = cls(lines[0], int(lines[1]), root, tuple(lines[3:]))
        if checkpoint.body() != body:
            raise BadCheckpoint("the checkpoint body is not in canonical form")
        return checkpoint


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    """Issue a checkpoint once ``every_entries`` new entries or ``every_seconds`` have passed."""

    every_entries: int = 1000
    every_seconds: int = 300

    def due(self, size: int, last: StoredCheckpoint | None, now: datetime) -> bool:
        """Whether a checkpoint of a log of ``size`` entries should be signed at ``now``."""
        if last is None:
            return size > 0
        if size <= last.checkpoint.size:
            return False
        return size - last.checkpoint.size >= self.every_entries or now - last.issued_at >= (
            timedelta(seconds=self.every_seconds)
        )


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A checkpoint as the server signed and stored it, with the cosignatures added since."""

    seq: int
    checkpoint: Checkpoint
    note: str  # the server-signed note
    issued_at: datetime
    cosigned_note: str  # ``note`` with every stored cosignature line appended
