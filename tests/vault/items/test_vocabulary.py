"""The item vocabulary (vault/items/vocabulary.py) pairs every envelope code with one name."""

from __future__ import annotations

from crypto.envelope import ItemKind, Urgency
from vault.items.vocabulary import FORWARD, Kind, Status, UrgencyLevel


def test_every_envelope_code_has_one_name_and_back() -> None:
    assert {Kind.of(k): k for k in ItemKind} == {k: k.code for k in Kind}
    assert {UrgencyLevel.of(u): u for u in Urgency} == {u: u.code for u in UrgencyLevel}
    assert [str(k) for k in Kind] == ["call_note", "message", "extract", "form"]
    assert [str(u) for u in UrgencyLevel] == ["low", "normal", "urgent"]


def test_statuses_only_move_forward() -> None:
    order = list(Status)
    assert {(a, b) for a in order for b in order if order.index(a) < order.index(b)} == FORWARD
