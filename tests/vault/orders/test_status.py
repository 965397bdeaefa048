"""The order state machine (ordered → approved → delivered), who may move it, its audit
trail, and that nobody outside the practice learns anything (audited 404)."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import (
    REQ,
    World,
    assigned_secretary,
    audit_actions,
    deposit_form,
    deposit_item,
)
from vault.errors import Conflict, Forbidden, NotFound
from vault.orders import status

TEMPLATE = "0f8fad5b-d9cb-469f-a165-70867728950e"


def _order(w: World) -> str:
    values = {"supplier": "Médical Sud", "lines": []}
    return deposit_form(w, TEMPLATE, "Bon de commande", values)


def test_an_order_is_placed_approved_and_delivered_with_who_and_when(world: World) -> None:
    w = world
    iid = _order(w)
    assert status.one(w.env, REQ, w.member.principal, iid) is None  # deposited, not placed yet
    placed = status.place(w.env, REQ, w.secretary.principal, iid)
    assert (placed.status, placed.ordered_by.id, placed.ordered_at) == (
        "ordered",
        w.secretary.id,
        w.clock.at,
    )
    assert placed.approved_by is None and placed.delivered_by is None
    assert status.place(w.env, REQ, w.secretary.principal, iid) == placed  # a retry changes nothing
    w.clock.advance(60)
    approved = status.approve(w.env, REQ, w.member.principal, iid)
    assert approved.status == "approved" and approved.approved_by is not None
    assert (approved.approved_by.id, approved.approved_at) == (w.member.id, w.clock.at)
    assert status.approve(w.env, REQ, w.member.principal, iid) == approved
    w.clock.advance(60)
    delivered = status.mark_delivered(w.env, REQ, w.secretary.principal, iid)
    assert delivered.status == "delivered" and delivered.delivered_by is not None
    assert delivered.delivered_by.id == w.secretary.id and delivered.ordered_at == placed.ordered_at
    assert [o.item_id for o in status.of_practice(w.env, REQ, w.member.principal)] == [iid]
    assert status.for_deposits(w.env, w.secretary.principal, [iid]) == {iid: delivered}
    actions = audit_actions(w.env)
    assert [a for a in actions if a.startswith("order.")] == [
        "order.placed",
        "order.approved",
        "order.delivered",
    ]


def test_the_steps_come_in_order(world: World) -> None:
    w = world
    iid = _order(w)
    status.place(w.env, REQ, w.secretary.principal, iid)
    with pytest.raises(Conflict, match="Only an approved order"):
        status.mark_delivered(w.env, REQ, w.member.principal, iid)
    status.approve(w.env, REQ, w.member.principal, iid)
    status.mark_delivered(w.env, REQ, w.member.principal, iid)
    with pytest.raises(Conflict, match="not waiting for approval"):
        status.approve(w.env, REQ, w.member.principal, iid)


def test_roles_within_the_practice(world: World) -> None:
    w = world
    iid = _order(w)
    with pytest.raises(Forbidden):
        status.place(w.env, REQ, w.member.principal, iid)
    status.place(w.env, REQ, w.secretary.principal, iid)
    with pytest.raises(Forbidden):
        status.approve(w.env, REQ, w.secretary.principal, iid)
    assert status.one(w.env, REQ, w.member.principal, iid).status == "ordered"  # type: ignore[union-attr]


def test_only_a_form_is_an_order(world: World) -> None:
    w = world
    iid = deposit_item(w)
    with pytest.raises(Conflict, match="Only a form"):
        status.place(w.env, REQ, w.secretary.principal, iid)
    assert w.env.db.read(lambda c: c.execute("SELECT count(*) FROM order_status").fetchone()) == (
        0,
    )


def test_outsiders_get_an_audited_404_and_change_nothing(world: World) -> None:
    w = world
    iid = _order(w)
    colleague = assigned_secretary(w.env, "lea", w.practice)  # did not deposit this order
    for who in (w.outsider, w.stranger, colleague):
        with pytest.raises(NotFound):
            status.place(w.env, REQ, who.principal, iid)
    status.place(w.env, REQ, w.secretary.principal, iid)
    for who in (w.outsider, w.stranger, colleague):
        for step in (status.approve, status.mark_delivered, status.one):
            with pytest.raises(NotFound):
                step(w.env, REQ, who.principal, iid)
    for bad in ("not-an-id", str(uuid.uuid4()), iid.upper()):
        with pytest.raises(NotFound):
            status.approve(w.env, REQ, w.member.principal, bad)
    assert status.one(w.env, REQ, w.member.principal, iid).status == "ordered"  # type: ignore[union-attr]
    assert audit_actions(w.env).count("access.denied") >= 1
    with pytest.raises(NotFound):
        status.of_practice(w.env, REQ, w.secretary.principal)
