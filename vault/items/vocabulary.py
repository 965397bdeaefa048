"""The words for items: their kinds, urgencies and statuses, as stored and shown.

The envelope carries a kind and an urgency as one-byte codes (``crypto.envelope``'s
``ItemKind`` and ``Urgency``); the database, the audit log, the web pages and the command
line use the names below, and these are the only place that pairs the two.
"""

from __future__ import annotations

from enum import StrEnum

from crypto.envelope import ItemKind, Urgency


class Kind(StrEnum):
    CALL_NOTE = "call_note"
    MESSAGE = "message"
    EXTRACT = "extract"
    FORM = "form"

    @classmethod
    def of(cls, code: ItemKind) -> Kind:
        """The name of an envelope's kind code."""
        return cls[code.name]

    @property
    def code(self) -> ItemKind:
        return ItemKind[self.name]


class UrgencyLevel(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    URGENT = "urgent"

    @classmethod
    def of(cls, code: Urgency) -> UrgencyLevel:
        """The name of an envelope's urgency code."""
        return cls[code.name]

    @property
    def code(self) -> Urgency:
        return Urgency[self.name]


class Status(StrEnum):
    """Where an item stands for its practice; it moves forward, or back by an undo
    (vault/items/history.py), which the history records as a change of its own."""

    NEW = "new"
    READ = "read"
    ACKNOWLEDGED = "acknowledged"  # "Pris en charge": a member is dealing with it
    HANDLED = "handled"


FORWARD = frozenset(
    {
        (Status.NEW, Status.READ),
        (Status.NEW, Status.ACKNOWLEDGED),
        (Status.READ, Status.ACKNOWLEDGED),
        (Status.NEW, Status.HANDLED),
        (Status.READ, Status.HANDLED),
        (Status.ACKNOWLEDGED, Status.HANDLED),
    }
)

HANDLING = frozenset({Status.ACKNOWLEDGED, Status.HANDLED})
"""The statuses a member sets by hand (reading sets ``read``); only these can be undone."""
