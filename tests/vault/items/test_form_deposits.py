"""Form items (kind 0x04): a form names its template in clear, and only a form does
(docs/format.md §5); the template id is stored as the item's metadata, the body stays
ciphertext."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from audit.log import AuditLog
from crypto.envelope import ItemKind, encode_body
from tests.factories import REQ, World, deposit_as_secretary, seal
from vault.errors import InvalidInput
from vault.items import deposits, inbox, listing

TEMPLATE = "0f8fad5b-d9cb-469f-a165-70867728950e"


def _form(world: World, canary: str = "x") -> tuple[str, bytes]:
    body = {
        "template_id": TEMPLATE,
        "template_version": 1,
        "template_name": "Fiche",
        "values": {"last_name": canary},
    }
    return seal(world.secretary, world.practice, kind=ItemKind.FORM, body=encode_body(body))


def test_a_form_is_stored_with_its_template_id(world: World) -> None:
    iid, envelope = _form(world)
    receipt = deposit_as_secretary(world, envelope, iid, form_template=TEMPLATE)
    assert receipt == deposits.Receipt(iid, created=True)
    row = world.env.db.read(
        lambda c: c.execute(
            "SELECT kind, form_template_id, call_started_at FROM item WHERE id = ?", (iid,)
        ).fetchone()
    )
    assert tuple(row) == ("form", TEMPLATE, None)
    page = inbox.inbox(world.env, world.member.principal, inbox.InboxFilter(), None)
    assert [s.kind for s in page.items] == ["form"]
    # The same deposit again is one success.
    again = deposit_as_secretary(world, envelope, iid, form_template=TEMPLATE)
    assert again == deposits.Receipt(iid, created=False)


@pytest.mark.parametrize("template", [None, "not-a-uuid", TEMPLATE.upper(), ""])
def test_a_form_without_a_valid_template_id_is_refused(world: World, template: str | None) -> None:
    iid, envelope = _form(world)
    with pytest.raises(InvalidInput, match="names the id of its template"):
        deposit_as_secretary(world, envelope, iid, form_template=template)
    assert world.env.db.read(lambda c: c.execute("SELECT count(*) FROM item").fetchone()) == (0,)


def test_only_a_form_names_a_template(world: World) -> None:
    iid, envelope = seal(world.secretary, world.practice, kind=ItemKind.MESSAGE)
    with pytest.raises(InvalidInput, match="names the id of its template"):
        deposit_as_secretary(world, envelope, iid, form_template=str(uuid.uuid4()))


def test_a_templates_records_are_its_forms_only_in_one_audited_batch(world: World) -> None:
    """``searched(template=…)``: the forms of that template, newest first, with the
    template id; the audit entry names the template; a malformed id is a 400."""
    other = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    mine = []
    for n in range(3):
        iid, envelope = _form(world, f"v{n}")
        deposit_as_secretary(world, envelope, iid, form_template=TEMPLATE)
        mine.append(iid)
        world.clock.at += timedelta(seconds=1)
    body = {"template_id": other, "template_version": 1, "template_name": "x", "values": {}}
    iid, envelope = seal(
        world.secretary, world.practice, kind=ItemKind.FORM, body=encode_body(body)
    )
    deposit_as_secretary(world, envelope, iid, form_template=other)
    note, envelope = seal(world.secretary, world.practice)
    deposit_as_secretary(world, envelope, note)

    batch = listing.searched(world.env, REQ, world.member.principal, None, template=TEMPLATE)
    assert [e.id for e in batch.items] == mine[::-1]
    assert {e.form_template_id for e in batch.items} == {TEMPLATE}
    assert batch.total == 3
    everything = listing.searched(world.env, REQ, world.member.principal, None)
    assert everything.total == 5
    assert {e.form_template_id for e in everything.items} == {TEMPLATE, other, None}
    leaves = world.env.db.read(lambda c: list(AuditLog().leaves(c)))
    searched = [json.loads(x) for x in leaves]
    searched = [e for e in searched if e["action"] == "items.searched"]
    assert searched[0]["targets"]["template"] == TEMPLATE
    assert "template" not in searched[1]["targets"]
    with pytest.raises(InvalidInput):
        listing.searched(world.env, REQ, world.member.principal, None, template="x")
