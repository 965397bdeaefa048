"""The team key and team documents over HTTP: the journey of a removed secretary, refusals
in both languages, and the 404 for everyone outside the practice's team."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from crypto.encoding import b64url_decode, b64url_encode
from crypto.errors import DecryptionFailed
from crypto.instruction import DocType, open_instruction
from crypto.secret import Secret
from crypto.signing import VerifyKey
from crypto.teamkey import open_team_key
from tests.factories import (
    REQ,
    Person,
    World,
    add_account,
    audit_actions,
    deposit_item,
    seal,
)
from tests.teamkeys import Made, document, make_version
from tests.web.json_clients import Clients, open_clients
from vault.identity.roles import Role
from vault.items import deposits
from vault.opening import Vault
from web.routes import team as team_routes


@pytest.fixture
def clients(world: World, vault: Vault) -> Iterator[Clients]:
    yield from open_clients(world, vault)


def _version_json(made: Made, documents: Sequence[tuple[str, bytes]] = ()) -> dict[str, Any]:
    return {
        "version": made.new.version,
        "record": b64url_encode(made.new.record),
        "signature": b64url_encode(made.new.signature),
        "grants": {k: b64url_encode(v) for k, v in made.new.grants.items()},
        "documents": [{"document_id": d, "envelope": b64url_encode(e)} for d, e in documents],
    }


def _open_my_key(state: dict[str, Any], me: Person, practice_id: str, version: int) -> Secret:
    v = next(v for v in state["versions"] if v["version"] == version)
    return open_team_key(
        b64url_decode(v["grant"]),
        record=b64url_decode(v["record"]),
        signature=b64url_decode(v["signature"]),
        creator_verify_key=VerifyKey(b64url_decode(v["creator"]["ed25519_pk"])),
        creator_id=uuid.UUID(v["creator"]["id"]),
        client_id=uuid.UUID(practice_id),
        version=version,
        recipient_id=uuid.UUID(me.id),
        recipient_secret_key=me.keys.x25519_secret,
    )


def test_a_removed_secretary_cannot_open_what_is_written_after(clients: Clients) -> None:
    w = clients.world
    pid = w.practice.id
    base = f"/practices/{pid}"
    member = clients.as_(w.member)
    state = member.get(f"{base}/team").json()
    assert state["current_version"] is None and state["rekey_due"] is False
    assert {r["id"] for r in state["recipients"]} == {w.member.id, w.secretary.id}
    v1 = make_version(w.env, pid, w.member, 1)
    r = member.post(f"{base}/team/versions", json=_version_json(v1))
    assert r.status_code == 201 and r.json() == {"version": 1}, r.text
    doc_id, env1 = document(v1.key, w.member, pid, version=1, doc_type=DocType.ON_CALL)
    r = member.put(f"{base}/documents/{doc_id}", json={"envelope": b64url_encode(env1)})
    assert r.status_code == 201 and r.json()["revision"] == 1, r.text

    secretary = clients.as_(w.secretary)
    her_state = secretary.get(f"{base}/team").json()
    assert her_state["recipients"] == [] and her_state["missing"] == []
    her_v1 = _open_my_key(her_state, w.secretary, pid, 1)
    listed = secretary.get(f"{base}/documents", params={"type": "5"}).json()["documents"]
    assert [d["document_id"] for d in listed] == [doc_id]
    assert listed[0]["author"]["id"] == w.member.id and listed[0]["type"] == 5

    # Her assignment ends: re-keying is due, writing under version 1 is refused.
    admin = add_account(w.env, Role.ADMIN, "root")
    r = clients.as_(admin).post(
        "/admin/assignments/remove",
        data={"secretary_id": w.secretary.id, "practice_id": pid},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 200, r.text
    member = clients.as_(w.member)
    state = member.get(f"{base}/team").json()
    assert state["rekey_due"] is True and [a["id"] for a in state["recipients"]] == [w.member.id]
    _, env1b = document(v1.key, w.member, pid, version=1, revision=2, document_id=doc_id)
    for language, words in (("en", "lost access"), ("fr", "perdu l'acc\u00e8s")):
        r = clients.as_(w.member, language).put(
            f"{base}/documents/{doc_id}", json={"envelope": b64url_encode(env1b)}
        )
        assert r.status_code == 409 and words in r.json()["error"], r.text

    v2 = make_version(w.env, pid, w.member, 2)
    _, env2 = document(
        v2.key, w.member, pid, version=2, revision=2, document_id=doc_id, doc_type=DocType.ON_CALL
    )
    r = clients.as_(w.member).post(
        f"{base}/team/versions", json=_version_json(v2, [(doc_id, env2)])
    )
    assert r.status_code == 201, r.text
    assert set(v2.new.grants) == {w.member.id}
    state = clients.as_(w.member).get(f"{base}/team").json()
    assert (state["current_version"], state["rekey_due"]) == (2, False)
    latest = clients.as_(w.member).get(f"{base}/documents/{doc_id}").json()["document"]
    assert (latest["version"], latest["revision"]) == (2, 2)
    with pytest.raises(DecryptionFailed):  # her only key does not open what was written after
        open_instruction(
            b64url_decode(latest["envelope"]),
            her_v1,
            w.member.keys.public_keys.verify_key,
            client_id=uuid.UUID(pid),
            document_id=uuid.UUID(doc_id),
            author_id=uuid.UUID(w.member.id),
            version=2,
        )
    secretary = clients.as_(w.secretary)
    for method, path in _every_team_path(pid, doc_id):
        body = {"envelope": b64url_encode(env2)} if method == "PUT" else _version_json(v2)
        assert secretary.request(method, path, json=body).status_code == 404, (method, path)


def _every_team_path(pid: str, doc_id: str) -> list[tuple[str, str]]:
    paths = []
    for r in team_routes.routes():
        for method in sorted((r.methods or {"GET"}) - {"HEAD"}):
            paths.append((method, r.path.format(practice_id=pid, document_id=doc_id)))
    return paths


def test_outsiders_get_a_404_on_every_team_route(clients: Clients) -> None:
    """A member of another practice and an unassigned secretary, with the practice's ids."""
    w = clients.world
    pid = w.practice.id
    v1 = make_version(w.env, pid, w.member, 1)
    assert (
        clients.as_(w.member)
        .post(f"/practices/{pid}/team/versions", json=_version_json(v1))
        .status_code
        == 201
    )
    doc_id, env = document(v1.key, w.member, pid, version=1)
    clients.as_(w.member).put(
        f"/practices/{pid}/documents/{doc_id}", json={"envelope": b64url_encode(env)}
    )
    assert len(team_routes.routes()) == 6  # a new team route must be walked here
    for outsider in (w.outsider, w.stranger):
        client = clients.as_(outsider)
        for method, path in _every_team_path(pid, doc_id):
            body = {"envelope": b64url_encode(env)} if method == "PUT" else _version_json(v1)
            got = client.request(method, path, json=body)
            assert got.status_code == 404, (outsider.principal.username, method, path, got.text)


def test_an_admin_never_receives_a_grant(clients: Clients) -> None:
    """Admins and auditors are never recipients, and the role guard keeps them out."""
    w = clients.world
    pid = w.practice.id
    admin = add_account(w.env, Role.ADMIN, "root")
    auditor = add_account(w.env, Role.AUDITOR, "auditor")
    state = clients.as_(w.member).get(f"/practices/{pid}/team").json()
    assert {r["role"] for r in state["recipients"]} == {"member", "secretary"}
    with_admin = make_version(w.env, pid, w.member, 1)
    body = _version_json(with_admin)
    body["grants"][admin.id] = body["grants"][w.member.id]
    r = clients.as_(w.member).post(f"/practices/{pid}/team/versions", json=body)
    assert r.status_code == 409
    for person in (admin, auditor):
        assert clients.as_(person).get(f"/practices/{pid}/team").status_code == 403
    count = w.env.db.read(lambda c: c.execute("SELECT count(*) FROM team_key_grant").fetchone()[0])
    assert count == 0


def test_bad_input_is_a_clear_400(clients: Clients) -> None:
    w = clients.world
    pid = w.practice.id
    member = clients.as_(w.member)
    for body in (
        {"version": "1"},
        {"version": 1, "record": "!!", "signature": "", "grants": {}},
        {"version": 1, "record": "AQ", "signature": "AQ", "grants": {"x": "AQ"}},
        {"version": 1, "record": "AQ", "signature": "AQ", "grants": {}, "documents": [{}]},
    ):
        r = member.post(f"/practices/{pid}/team/versions", json=body)
        assert r.status_code == 400 and r.json()["error"], r.text
    assert member.get(f"/practices/{pid}/documents", params={"type": "15"}).status_code == 400
    assert member.get(f"/practices/{pid}/documents", params={"subject": "x"}).status_code == 400
    r = member.put(f"/practices/{pid}/documents/{uuid.uuid4()}", json={"envelope": "AQ"})
    assert r.status_code in (400, 409), r.text


def test_outsiders_get_the_audited_404_whatever_body_they_send(clients: Clients) -> None:
    """Before the fix the body was checked before access: an outsider's empty or malformed
    body got a 400 from /team/versions and /team/recipients, telling the practice exists."""
    w = clients.world
    pid = w.practice.id
    v1 = make_version(w.env, pid, w.member, 1)
    well_formed = _version_json(v1)
    assert "access.denied" not in audit_actions(w.env)
    for outsider in (w.outsider, w.stranger):
        client = clients.as_(outsider)
        for path in (f"/practices/{pid}/team/versions", f"/practices/{pid}/team/recipients"):
            for body in (well_formed, {}, None):
                got = (
                    client.post(path, content=b"") if body is None else client.post(path, json=body)
                )
                assert got.status_code == 404, (outsider.principal.username, path, body, got.text)
    assert "access.denied" in audit_actions(w.env)  # repeats are counted per window
    assert clients.as_(w.member).post(f"/practices/{pid}/team/versions", json={}).status_code == 400


def test_a_secretary_replies_over_http_only_about_her_own_deposit(clients: Clients) -> None:
    """Before the fix PUT /documents stored her REPLY about any id but another secretary's
    item: an unknown id, another practice's item."""
    w = clients.world
    pid = w.practice.id
    v1 = make_version(w.env, pid, w.member, 1)
    assert (
        clients.as_(w.member)
        .post(f"/practices/{pid}/team/versions", json=_version_json(v1))
        .status_code
        == 201
    )
    own = deposit_item(w)
    foreign, envelope = seal(w.stranger, w.other)
    deposits.deposit(
        w.env,
        REQ,
        w.stranger.principal,
        deposits.Deposit(item_id=foreign, practice_id=w.other.id, envelope=envelope),
    )
    secretary = clients.as_(w.secretary)
    for subject in (str(uuid.uuid4()), foreign):
        doc_id, env = document(
            v1.key,
            w.secretary,
            pid,
            version=1,
            doc_type=DocType.REPLY,
            subject_id=uuid.UUID(subject),
        )
        r = secretary.put(
            f"/practices/{pid}/documents/{doc_id}", json={"envelope": b64url_encode(env)}
        )
        assert r.status_code == 404, (subject, r.text)
    doc_id, env = document(
        v1.key, w.secretary, pid, version=1, doc_type=DocType.REPLY, subject_id=uuid.UUID(own)
    )
    r = secretary.put(f"/practices/{pid}/documents/{doc_id}", json={"envelope": b64url_encode(env)})
    assert r.status_code == 201, r.text
    count = w.env.db.read(
        lambda c: c.execute("SELECT count(*) FROM team_document WHERE type = 17").fetchone()[0]
    )
    assert count == 1
