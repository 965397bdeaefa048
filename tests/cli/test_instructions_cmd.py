"""``permanence instructions show|edit`` against a real server (uvicorn, SQLCipher on disk).

The member's command makes the team key when there is none (and the next version when
someone lost access), decrypts and verifies here, and edits in a private temporary file
removed afterwards; invalid JSON or a failing editor writes nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.items_site import MEMBER, SECRETARY, Vault, one_sentence, vault  # noqa: F401

EDITOR = f"{sys.executable} {Path(__file__).with_name('edit_script.py')}"
CANARY = "CANARY-consigne-4f2a"


def _editor(v: Vault, tmp_path: Path, mode: str, body: dict[str, Any] | None = None) -> Path:
    log = tmp_path / f"edit-{mode}.json"
    v.monkeypatch.setenv("EDITOR", EDITOR)
    v.monkeypatch.delenv("VISUAL", raising=False)
    v.monkeypatch.setenv("EDIT_MODE", mode)
    v.monkeypatch.setenv("EDIT_LOG", str(log))
    v.monkeypatch.setenv("EDIT_BODY", json.dumps(body or {}))
    return log


def _revisions(v: Vault) -> list[tuple[int, int]]:
    return v.site.env.db.read(
        lambda c: [
            (int(r[0]), int(r[1]))
            for r in c.execute("SELECT revision, version FROM team_revision ORDER BY rowid")
        ]
    )


def test_a_member_writes_and_reads_instructions(vault: Vault, tmp_path: Path) -> None:  # noqa: F811
    v = vault
    shown = v.run(MEMBER, "instructions", "show")
    assert shown.code == 0, shown.err
    assert json.loads(shown.out) == {"documents": []}  # and version 1 now exists
    log = _editor(v, tmp_path, "add", {"name": "Cabinet CLI", "say": CANARY})
    edited = v.run(MEMBER, "instructions", "edit")
    assert edited.code == 0, edited.err
    assert "revision 1 written" in edited.out
    seen = json.loads(log.read_text())
    assert seen["file_mode"] == 0o600 and seen["folder_mode"] == 0o700
    assert not Path(seen["path"]).exists() and not Path(seen["path"]).parent.exists()
    assert not any(CANARY.encode() in b for b in v.site.recorder.bodies)
    shown = v.run(MEMBER, "instructions", "show")
    doc = json.loads(shown.out)["documents"][0]
    assert (doc["type"], doc["revision"], doc["body"]["say"]) == ("practice_card", 1, CANARY)

    _editor(v, tmp_path, "change", {"name": "Cabinet CLI", "say": "nouveau"})
    assert v.run(MEMBER, "instructions", "edit").code == 0
    assert _revisions(v) == [(1, 1), (2, 1)]
    unchanged = _editor(v, tmp_path, "unchanged")
    again = v.run(MEMBER, "instructions", "edit")
    assert again.code == 0 and "nothing changed" in again.err
    assert '"nouveau"' in json.loads(unchanged.read_text())["text"]
    assert _revisions(v) == [(1, 1), (2, 1)]


@pytest.mark.parametrize("mode", ["invalid", "fail"])
def test_invalid_json_or_a_failing_editor_writes_nothing(
    vault: Vault,  # noqa: F811
    tmp_path: Path,
    mode: str,
) -> None:
    v = vault
    _editor(v, tmp_path, "add", {"name": "Cabinet CLI"})
    assert v.run(MEMBER, "instructions", "edit").code == 0
    before = _revisions(v)
    log = _editor(v, tmp_path, mode)
    run = v.run(MEMBER, "instructions", "edit")
    assert run.code == 1
    sentence = one_sentence(run.err)
    assert "nothing was written" in sentence
    assert ("not a valid JSON" in sentence) if mode == "invalid" else ("status 3" in sentence)
    assert _revisions(v) == before
    assert not Path(json.loads(log.read_text())["path"]).parent.exists()


def test_a_secretary_is_told_the_command_is_for_members(vault: Vault) -> None:  # noqa: F811
    run = vault.run(SECRETARY, "instructions", "show")
    assert run.code == 1 and "members" in one_sentence(run.err)


def test_after_an_assignment_ends_edit_writes_under_a_new_version_without_her(
    vault: Vault,  # noqa: F811
    tmp_path: Path,
) -> None:
    v = vault
    _editor(v, tmp_path, "add", {"name": "Cabinet CLI"})
    assert v.run(MEMBER, "instructions", "edit").code == 0
    v.sql("DELETE FROM assignment WHERE secretary_id = ?", (v.secretary_id,))
    _editor(v, tmp_path, "change", {"name": "Cabinet CLI", "say": "après son départ"})
    run = v.run(MEMBER, "instructions", "edit")
    assert run.code == 0, run.err
    # Version 2 re-encrypted revision 1 as revision 2; the edit is revision 3.
    assert _revisions(v) == [(1, 1), (2, 2), (3, 2)]
    holders = v.site.env.db.read(
        lambda c: [
            r[0] for r in c.execute("SELECT account_id FROM team_key_grant WHERE version = 2")
        ]
    )
    assert holders == [v.member_id]
