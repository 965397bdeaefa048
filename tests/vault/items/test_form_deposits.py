"""Form items (kind 0x04): a form names its template in clear, and only a form does
(docs/format.md §5); the template id is stored as the item's metadata, the body stays
ciphertext."""

from __future__ import annotations

import uuid

import pytest

from crypto.envelope import ItemKind, encode_body
from tests.factories import World, deposit_as_secretary, seal
from vault.errors import InvalidInput
from vault.items import deposits, inbox

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
