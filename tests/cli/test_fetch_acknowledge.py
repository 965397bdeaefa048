"""``permanence fetch --item ID --acknowledge``: the fetched, verified item is acknowledged
("Pris en charge"), which stops its escalation; an item already acknowledged is left."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.items_site import MEMBER, Vault, one_sentence, vault  # noqa: F401


def _row(v: Vault, sql: str, item: str) -> tuple[object, ...]:
    return tuple(v.site.env.db.read(lambda c: c.execute(sql, (item,)).fetchone()))


def test_fetch_acknowledges_and_stops_the_escalation(vault: Vault) -> None:  # noqa: F811
    v = vault
    item = v.deposit_message("--urgency", "urgent")
    assert _row(v, "SELECT state FROM escalation WHERE item_id = ?", item) == ("running",)
    run = v.run(MEMBER, "fetch", "--item", item, "--acknowledge")
    assert run.code == 0, run.err
    assert "acknowledged (Pris en charge)" in run.err
    assert _row(v, "SELECT status FROM item WHERE id = ?", item) == ("acknowledged",)
    assert _row(v, "SELECT state, outcome FROM escalation WHERE item_id = ?", item) == (
        "ended",
        "acknowledged",
    )
    again = v.run(MEMBER, "fetch", "--item", item, "--acknowledge")
    assert again.code == 0 and "already acknowledged" in again.err


def test_fetch_without_the_flag_leaves_the_item_unacknowledged(vault: Vault) -> None:  # noqa: F811
    v = vault
    item = v.deposit_message("--urgency", "urgent")
    assert v.run(MEMBER, "fetch", "--item", item).code == 0
    assert _row(v, "SELECT status FROM item WHERE id = ?", item) == ("read",)
    assert _row(v, "SELECT state FROM escalation WHERE item_id = ?", item) == ("running",)


def test_acknowledge_without_an_item_is_one_sentence(vault: Vault) -> None:  # noqa: F811
    run = vault.run(MEMBER, "fetch", "--acknowledge")
    assert run.code != 0 and one_sentence(run.err)
    assert "--acknowledge needs --item" in run.err


def test_fetch_out_writes_a_message_s_json_into_the_folder(
    vault: Vault,  # noqa: F811
    tmp_path: Path,
) -> None:
    """``--out DIR`` for a message: DIR/ITEM_ID.json (DIR created), nothing on stdout; again
    without --force is one sentence; without --out the JSON goes to stdout."""
    v = vault
    item = v.deposit_message("--urgency", "urgent")
    out = tmp_path / "new" / "dir"
    run = v.run(MEMBER, "fetch", "--item", item, "--acknowledge", "--out", str(out))
    assert run.code == 0, run.err
    saved = out / f"{item}.json"
    assert saved.is_file() and isinstance(json.loads(saved.read_text("utf-8")), dict)
    assert "{" not in run.out and "saved" in run.out
    assert _row(v, "SELECT status FROM item WHERE id = ?", item) == ("acknowledged",)
    again = v.run(MEMBER, "fetch", "--item", item, "--out", str(out))
    assert again.code != 0 and one_sentence(again.err) and "--force" in again.err
    plain = v.run(MEMBER, "fetch", "--item", item)
    shown = plain.out[plain.out.index("{") :]
    assert plain.code == 0 and json.loads(shown) == json.loads(saved.read_text("utf-8"))
