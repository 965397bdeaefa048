"""Items over HTTP: pages, JSON deposit and upload, refusals, and the 404 matrix."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.testclient import TestClient

from audit.entry import Action
from audit.log import AuditLog
from crypto.encoding import b64url_encode
from crypto.envelope import ItemKind, Urgency
from tests.factories import (
    Person,
    World,
    encrypted_file,
    seal,
    session_for,
)
from vault.ids import new_item_id
from vault.opening import Vault
from vault.storage.store import Connection
from web.app import create_app
from web.routes import items as item_routes
from web.routes import workspaces
from web.session import COOKIE


@dataclass
class Clients:
    world: World
    app_client: TestClient

    def as_(self, person: Person) -> TestClient:
        token, csrf = session_for(self.world.env, person)
        self.app_client.cookies.clear()
        self.app_client.cookies.set(COOKIE, token)
        self.app_client.headers["x-csrf-token"] = csrf
        self.app_client.headers["accept"] = "application/json"
        return self.app_client


@pytest.fixture
def clients(world: World, vault: Vault) -> Iterator[Clients]:
    app = create_app(vault.with_env(now=world.clock))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield Clients(world, c)


def _deposit_json(world: World, **kw: object) -> tuple[str, dict[str, object]]:
    iid, envelope = seal(world.secretary, world.practice, **kw)  # type: ignore[arg-type]
    return iid, {
        "item_id": iid,
        "practice_id": world.practice.id,
        "envelope": b64url_encode(envelope),
    }


def _upload(client: TestClient, world: World, iid: str, stream: bytes) -> str:
    r = client.post(
        "/uploads", json={"practice_id": world.practice.id, "item_id": iid, "size": len(stream)}
    )
    assert r.status_code == 200, r.text
    upload_id = str(r.json()["upload_id"])
    half = len(stream) // 2
    for offset, part in ((0, stream[:half]), (half, stream[half:])):
        r = client.put(f"/uploads/{upload_id}/{offset}", content=part)
        assert r.status_code == 200, r.text
    return upload_id


def test_a_secretary_deposits_and_a_member_reads_over_http(clients: Clients) -> None:
    w = clients.world
    sec = clients.as_(w.secretary)
    iid, body = _deposit_json(w, urgency=Urgency.URGENT)
    body.update(call_started_at="2026-11-28T08:55:00Z", call_seconds=95)
    r = sec.post("/items", json=body)
    assert r.status_code == 201 and r.json() == {"item_id": iid, "created": True}
    assert sec.post("/items", json=body).status_code == 200  # the retry is a success
    assert "workspace" in sec.get("/workspace", headers={"accept": "text/html"}).text.lower()
    page = sec.get(f"/workspace/{w.practice.id}", headers={"accept": "text/html"})
    assert page.status_code == 200 and "call-note-form" in page.text
    member = clients.as_(w.member)
    inbox = member.get("/inbox", headers={"accept": "text/html"})
    assert inbox.status_code == 200 and iid in inbox.text
    envelope = member.get(f"/items/{iid}/envelope").json()
    assert envelope["author"]["id"] == w.secretary.id and envelope["status"] == "read"
    r = member.post(f"/items/{iid}/status", json={"status": "handled"})
    assert r.json() == {
        "item_id": iid,
        "status": "handled",
        "changed_by": "Dr.Martin@Example.Org",
        "changed_at": "2026-11-28T09:00:00+00:00",
        "undo_until": "2026-11-28T09:02:00+00:00",
    }
    assert member.get(f"/items/{iid}", headers={"accept": "text/html"}).status_code == 200
    access = member.get("/practice/access", headers={"accept": "text/html"})
    assert 'data-action="deposited"' in access.text and 'data-action="opened"' in access.text
    assert "Ouvert" in access.text
    mine = clients.as_(w.secretary).get("/workspace/deposits", headers={"accept": "text/html"})
    assert 'data-status-cell="handled"' in mine.text


def test_an_extract_uploads_in_parts_and_downloads_byte_identical(clients: Clients) -> None:
    w = clients.world
    sec = clients.as_(w.secretary)
    stream, manifest = encrypted_file(b"a;b;c\n" * 40_000)
    iid, body = _deposit_json(w, kind=ItemKind.EXTRACT, body=manifest.to_body())
    upload_id = _upload(sec, w, iid, stream)
    assert sec.get(f"/uploads/{upload_id}").json()["received"] == len(stream)
    assert sec.post("/items", json={**body, "upload_id": upload_id}).status_code == 201
    r = clients.as_(w.member).get(f"/items/{iid}/file")
    assert r.status_code == 200 and r.content == stream


@pytest.mark.parametrize(
    ("mutate", "status", "sentence"),
    [
        (lambda b: b.update(envelope="!!"), 400, "structure"),
        (lambda b: b.update(envelope=b64url_encode(b"\x09" * 300)), 400, "format version"),
        (lambda b: b.update(item_id=str(uuid.uuid4())), 400, "does not match"),
        (lambda b: b.update(call_seconds="long"), 400, "call"),
        (lambda b: b.update(call_started_at="yesterday"), 400, "call"),
        # Found by fuzzing: a start before year 1 once converted to UTC was a 500.
        (lambda b: b.update(call_started_at="0001-01-01T00:00+05:00"), 400, "call"),
        (lambda b: b.update(call_started_at="0001-01-01T00:00:00+05:00"), 400, "call"),
        (lambda b: b.update(call_started_at="9999-12-31T23:59:59-05:00"), 400, "call"),
        (lambda b: b.update(call_started_at=1764320100), 400, "call"),
        (lambda b: b.update(call_started_at="2026-11-28"), 400, "call"),
        (lambda b: b.update(call_started_at="2026-11-28T08:55:00"), 400, "call"),  # no offset
        (lambda b: b.update(call_started_at="2026-11-28T08:56:00Z"), 400, "differs"),
        (lambda b: b.update(call_seconds=94), 400, "differs"),
        # Found by fuzzing: a validly signed envelope with practice_id "garbage" was a 500.
        (lambda b: b.update(practice_id="garbage"), 400, "invalid"),
        (lambda b: b.pop("envelope"), 400, "invalid"),
    ],
)
def test_malformed_deposits_get_a_clear_400(
    clients: Clients, mutate: object, status: int, sentence: str
) -> None:
    w = clients.world
    _, body = _deposit_json(w)
    mutate(body)  # type: ignore[operator]
    r = clients.as_(w.secretary).post("/items", json=body, headers={"accept-language": "en"})
    assert r.status_code == status and sentence in r.json()["error"]


def test_the_clear_call_time_is_compared_as_an_instant(clients: Clients) -> None:
    """The same instant with another offset (08:55Z = 09:55+01:00) is the signed one."""
    w = clients.world
    _, body = _deposit_json(w)
    body.update(call_started_at="2026-11-28t09:55:00+01:00", call_seconds=95)
    assert clients.as_(w.secretary).post("/items", json=body).status_code == 201


def test_call_time_refusals_read_in_both_languages(clients: Clients) -> None:
    w = clients.world
    sec = clients.as_(w.secretary)
    _, body = _deposit_json(w)
    body.update(call_seconds=94)
    r = sec.post("/items", json=body, headers={"accept-language": "fr"})
    assert r.status_code == 400 and "diffère de celle qui est signée" in r.json()["error"]
    _, late = _deposit_json(w, call_started_at=w.clock.at + timedelta(minutes=6))
    for language, sentence in (("en", "not plausible"), ("fr", "n'est pas plausible")):
        r = sec.post("/items", json=late, headers={"accept-language": language})
        assert r.status_code == 400 and sentence in r.json()["error"]


def test_an_upload_size_no_writer_produces_is_refused(clients: Clients) -> None:
    """One encoding per file: 25 + 65,553 + 17 bytes (a full chunk, then an empty FINAL)
    is refused in both languages; the one-chunk form of a 65,536-byte file is accepted."""
    w = clients.world
    sec = clients.as_(w.secretary)
    start = {"practice_id": w.practice.id, "item_id": str(uuid.uuid4())}
    for language, sentence in (("en", "not valid"), ("fr", "n'est pas valide")):
        r = sec.post(
            "/uploads",
            json={**start, "size": 25 + 65553 + 17},
            headers={"accept-language": language},
        )
        assert r.status_code == 400 and sentence in r.json()["error"], r.text
    assert sec.post("/uploads", json={**start, "size": 25 + 65553}).status_code == 200


def test_refusals_read_in_french(clients: Clients) -> None:
    w = clients.world
    iid, body = _deposit_json(w)
    sec = clients.as_(w.secretary)
    sec.post("/items", json=body)
    _, other = _deposit_json(w, item_id=iid)
    r = sec.post("/items", json=other, headers={"accept-language": "fr"})
    assert r.status_code == 409 and "déjà" in r.json()["error"]


def test_an_oversized_body_or_part_is_refused(clients: Clients) -> None:
    w = clients.world
    sec = clients.as_(w.secretary)
    r = sec.post("/items", content=b"{" + b" " * (item_routes.MAX_DEPOSIT_BODY + 1) + b"}")
    assert r.status_code == 413
    r = sec.post(
        "/uploads",
        json={"practice_id": w.practice.id, "item_id": str(uuid.uuid4()), "size": 10**12},
    )
    assert r.status_code == 400
    assert "larger" in r.json()["error"] or "volumineux" in r.json()["error"]


ID_ROUTES = {
    "deposit_page",
    "upload_status",
    "upload_part",
    "item_page",
    "item_envelope",
    "item_file",
    "item_status",
    "item_status_undo",
    "deposit_label",
}


def test_every_item_route_with_an_id_is_a_404_for_outsiders(clients: Clients) -> None:
    """A member of another practice and an unassigned secretary get 404 on every route that
    takes one of the first practice's ids (and on the JSON posts naming them)."""
    w = clients.world
    sec = clients.as_(w.secretary)
    stream, manifest = encrypted_file(b"x" * 1000)
    iid, body = _deposit_json(w, kind=ItemKind.EXTRACT, body=manifest.to_body())
    assert sec.post("/items", json={**body, "upload_id": _upload(sec, w, iid, stream)}).is_success
    pending = sec.post(
        "/uploads", json={"practice_id": w.practice.id, "item_id": str(uuid.uuid4()), "size": 60}
    ).json()["upload_id"]
    routes = [
        r
        for r in [*item_routes.routes(), *workspaces.routes()]
        if isinstance(r, Route) and "{" in r.path
    ]
    assert {r.name for r in routes} == ID_ROUTES  # a new id route must join this test
    ids = {"practice_id": w.practice.id, "item_id": iid, "upload_id": pending, "offset": "0"}
    for outsider in (w.outsider, w.stranger):
        client = clients.as_(outsider)
        for r in routes:
            path = r.path.format(**{k: v for k, v in ids.items() if "{" + k + "}" in r.path})
            for method in sorted(r.methods or {"GET"}):
                if method == "HEAD":
                    continue
                kwargs: dict[str, object] = {}
                if method == "POST":
                    kwargs["json"] = {"status": "handled"}
                if method == "PUT":  # a part of an upload, or a label removed
                    kwargs["content"] = b'{"label": null}'
                got = client.request(method, path, **kwargs)  # type: ignore[arg-type]
                assert got.status_code == 404, (outsider.principal.username, method, path)
        fresh = str(uuid.uuid4())
        assert (
            client.post(
                "/uploads", json={"practice_id": w.practice.id, "item_id": fresh, "size": 60}
            ).status_code
            == 404
        )
        _, other_body = _deposit_json(w)
        assert client.post("/items", json=other_body).status_code == 404


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_TIMES = st.one_of(
    _JSON_VALUES,
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(
        ["0001-01-01T00:00+05:00", "9999-12-31T23:59:59-05:00", "2026-11-28T08:55:00Z"]
    ),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "item_id": _JSON_VALUES,
            "practice_id": st.one_of(_JSON_VALUES, st.just("garbage")),
            "upload_id": _JSON_VALUES,
            "call_started_at": _TIMES,
            "call_seconds": st.one_of(_JSON_VALUES, st.integers(-(2**70), 2**70)),
        },
    ),
    st.sampled_from([ItemKind.CALL_NOTE, ItemKind.MESSAGE, ItemKind.EXTRACT]),
)
def test_no_deposit_is_a_server_error(
    clients: Clients, changes: dict[str, object], kind: ItemKind
) -> None:
    """Fuzzed deposits around a validly signed envelope: always a clear 4xx or a success."""
    w = clients.world
    _, body = _deposit_json(w, kind=kind)
    body.update(changes)
    r = clients.as_(w.secretary).post("/items", json=body)
    assert r.status_code < 500, (body, r.text)
    if r.status_code >= 400:
        assert r.json()["error"]


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "Deposited <time"), ("fr", "Déposé <time")],
)
def test_the_item_page_shows_the_deposit_time_in_the_practices_zone(
    clients: Clients, language: str, shown: str
) -> None:
    """Deposited 22:14 UTC on 1 December in Europe/Paris is 23:14 local, in the long form the
    call time beside it is written in (web/local_dates.py); the page said "2026-12-01 22:14 UTC"."""
    w = clients.world
    w.clock.at = datetime(2026, 12, 1, 22, 14, 30, tzinfo=UTC)
    iid, body = _deposit_json(w)
    assert clients.as_(w.secretary).post("/items", json=body).status_code == 201
    page = clients.as_(w.member).get(
        f"/items/{iid}", headers={"accept": "text/html", "accept-language": language}
    )
    expected = {
        "en": "Tuesday 1 December 2026, 11:14 pm",
        "fr": "mardi 1 décembre 2026, 23 h 14",
    }[language]
    assert page.status_code == 200
    text = page.text.replace("\u00a0", " ")
    assert f'datetime="2026-12-01T22:14:30Z" data-deposited>{expected}</time>' in text
    assert f"{shown} datetime" in page.text


# A download is the whole file, whatever the Range header: the audit entry committed before
@pytest.mark.parametrize(
    "headers",
    [
        {"range": "bytes=5-1"},
        {"range": "bytes=0-10"},
        {"range": "bytes=0-10,20-30"},
        {"range": "bytes=-5"},
        {"range": "bytes=99999999-"},
        {"range": "lines=1-2"},
        {"range": "bytes=0-10", "if-range": '"anything"'},
    ],
)
def test_a_range_header_still_gets_the_whole_file(
    clients: Clients,
    headers: dict[str, str],
) -> None:
    w = clients.world
    stream, manifest = encrypted_file(b"a;b;c\n" * 20)
    iid, body = _deposit_json(w, kind=ItemKind.EXTRACT, body=manifest.to_body())
    upload_id = _upload(clients.as_(w.secretary), w, iid, stream)
    assert clients.as_(w.secretary).post("/items", json={**body, "upload_id": upload_id}).is_success
    r = clients.as_(w.member).get(f"/items/{iid}/file", headers=headers)
    assert r.status_code == 200, r.text
    assert r.content == stream
    assert "content-range" not in r.headers
    assert r.headers["accept-ranges"] == "none"

    def downloads(conn: Connection) -> list[object]:
        log = AuditLog()
        entries = [log.entry(conn, i).entry for i in range(log.size(conn))]
        return [e.detail["size"] for e in entries if e.action == Action.ITEM_DOWNLOADED]

    assert w.env.db.read(downloads) == [len(stream)]


def test_the_access_page_labels_a_time_ordered_item_by_its_random_end(clients: Clients) -> None:
    """A version 7 id's first eight digits are its time, shared by items of the same minute."""
    w = clients.world
    iid, body = _deposit_json(w, item_id=new_item_id())
    assert clients.as_(w.secretary).post("/items", json=body).status_code == 201
    access = clients.as_(w.member).get("/practice/access", headers={"accept": "text/html"})
    assert f"<code>{iid[-8:]}</code>" in access.text
    assert f"<code>{iid[:8]}</code>" not in access.text
