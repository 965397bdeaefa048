"""``permanence requests list|take|done`` against a real server (uvicorn, SQLCipher on disk).

The request is decrypted here under the team key opened here (its record checked); the
note of ``done`` is sealed here: the server receives neither in clear. A second
secretary is told who took it; every refusal is one sentence.
"""

from __future__ import annotations

import io
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cli.main import main
from crypto.instruction import DocType
from crypto.secret import Secret
from tests.cli.items_site import MEMBER, SECRETARY, Vault, one_sentence, vault  # noqa: F401
from tests.e2e.team_http import Client, create_team_key, open_document, seal_document, signed_in
from web.local_dates import short_time

Asked = tuple[Vault, str, tuple[Client, Secret]]
TEXT = "Rappeler Mme X pour décaler son rendez-vous de jeudi"


def _requests(v: Vault, *args: str, stdin: str = "") -> tuple[int, str, str]:
    action, *rest = args
    v.monkeypatch.setenv("PERMANENCE_PASSWORD", v.site.passwords[SECRETARY])
    v.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    v.capsys.readouterr()
    argv = ["requests", action, "--url", v.url, "--username", SECRETARY]
    code = main([*argv, "--code", v.code(SECRETARY), *rest])
    captured = v.capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def asked(vault: Vault) -> Asked:  # noqa: F811
    v = vault
    member = signed_in(v.url, MEMBER, v.site.passwords[MEMBER], v.code(MEMBER))
    key = create_team_key(member, v.practice_id)
    rid, envelope = seal_document(
        key, member, v.practice_id, DocType.REQUEST, {"text": TEXT, "due": "2026-12-03T13:00:00Z"}
    )
    member.transport.post_json(
        f"/practices/{v.practice_id}/requests", {"request_id": rid, "envelope": envelope}
    )
    return v, rid, (member, key)


def test_list_take_and_done(asked: Asked) -> None:
    v, rid, (member, key) = asked
    code, out, err = _requests(v, "list")
    assert code == 0, err
    assert rid in out and TEXT in out and "open" in out
    # Times in the practice's zone, as the pages write them (Paris: 13:00Z is 2 pm), not UTC.
    assert "due: 3 Dec 2026, 2:00 pm" in out and "Z by" not in out
    [state] = member.transport.get_json(f"/practices/{v.practice_id}/requests")["requests"]
    asked_at = datetime.fromisoformat(state["created_at"])
    shown = short_time(asked_at, ZoneInfo("Europe/Paris"), "en").replace("\u00a0", " ")
    assert f"asked {shown} by {MEMBER}" in out
    code, out, err = _requests(v, "take", rid)
    assert code == 0 and f"taken: {rid}" in out, err
    code, out, err = _requests(v, "done", rid, "--note", "-", stdin="Rappelée, RDV lundi 9 h\n")
    assert code == 0 and f"done: {rid}" in out, err
    code, out, _ = _requests(v, "list")
    assert rid not in out  # done: no longer listed
    code, out, _ = _requests(v, "list", "--all")
    assert rid in out and f"done by {SECRETARY}" in out and f"taken by {SECRETARY}" in out
    # The member opens the note the command sealed; the server never had it in clear.
    [note] = member.transport.get_json(f"/practices/{v.practice_id}/requests/{rid}/replies")[
        "replies"
    ]
    assert open_document(key, v.practice_id, note) == {"text": "Rappelée, RDV lundi 9 h"}
    assert not any(b"RDV lundi" in body or TEXT.encode() in body for body in v.site.recorder.bodies)


def test_an_empty_note_is_refused_before_signing_in(asked: Asked) -> None:
    v, rid, _ = asked
    code, _, err = _requests(v, "done", rid, "--note", "   ")
    assert code == 1 and "the note must hold 1 to 2000 characters" in one_sentence(err)


@pytest.mark.parametrize("request_id", ["not-an-id", "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_or_malformed_request_is_one_sentence(asked: Asked, request_id: str) -> None:
    v, _, _ = asked
    code, _, err = _requests(v, "take", request_id)
    assert code == 1
    sentence = one_sentence(err)
    assert "is not a request id" in sentence or "no request" in sentence


def test_times_without_the_servers_zone_are_in_this_machines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cli.requests_cmd import _when, _zone

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert _zone(None) is None and _zone("Not/AZone") is None
        assert _when("2026-12-02T01:20:14Z", None) == "1 Dec 2026, 8:20 pm"
        assert _when("2026-12-02T01:20:14+00:00", _zone("Europe/Paris")) == "2 Dec 2026, 2:20 am"
        assert _when("jeudi matin", None) == "jeudi matin"  # a due time written as text
    finally:
        monkeypatch.undo()
        time.tzset()
