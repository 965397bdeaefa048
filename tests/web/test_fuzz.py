"""The standing fuzz suite: every route, as every role, with malformed input; never a 5xx.

Hypothesis draws a route, a role (anonymous, member, secretary, auditor, admin — each
request with a fresh session of that role) and one kind of malformation: JSON
bodies (plausible fields with wrong types, odd text, deep nesting, broken syntax),
forms and content types, path segments, query strings, and headers. Every answer
must be below 500. The database refuses blocking calls on the event loop
(``LoopGuardedDatabase``), so a handler that blocks the loop fails here too.
Afterwards the server still answers and the audit log verifies against the pinned key.

The run is bounded: ``MAX_EXAMPLES`` examples per test, no deadline (a shared 2-core
machine makes timings noisy), about a minute in all. ``PERMANENCE_FUZZ_EXAMPLES``
raises the count for a longer hunt; it is read by this test module only.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx2 as httpx
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from starlette.routing import Route

from crypto.encoding import b64url_encode
from crypto.user_keys import WRAPPED_BYTES, WrapPurpose
from tests.web.every_route import ROLES, RouteWorld, methods_of, route_world
from web import permissions

REPO = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = int(os.environ.get("PERMANENCE_FUZZ_EXAMPLES", "600"))
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

# Text that has broken parsers somewhere: calendar ends, surrogates, separators, digits
# that are not ASCII, path tricks, huge numbers, markup.
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "1e999",
    "NaN",
    "9" * 30,
    "²",
    "٣",
    "\ud800",
    "\udfff",
    "\x00",
    "\u202e",
    "é",
    "日本",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "9999-12",
    "0001-01",
    "0001-01-01T00:00+05:00",
    "9999-12-31T23:59:59-14:00",
    "..",
    "../../etc/passwd",
    "%2e%2e%2f",
    "%00",
    "%ff",
    "/",
    "//evil.example",
    "\t/evil.example",
    "<script>",
    "' OR 1=1 --",
    "A" * 300,
    "x" * 5000,
]
KEYS = [
    "rungs",
    "delay_minutes",
    "timezone",
    "username",
    "code",
    "auth_key",
    "signature",
    "kdf",
    "current",
    "wrapped_kek",
    "wrapped_recovery",
    "x25519_pk",
    "ed25519_pk",
    "practice_pk",
    "practice_grant",
    "grant",
    "envelope",
    "item_id",
    "practice_id",
    "upload_id",
    "size",
    "status",
    "call_started_at",
    "call_seconds",
    "display_name",
    "role",
    "practice",
    "secretary_id",
    "verifier_key",
    "note",
]
QUERY_KEYS = [
    "next",
    "before",
    "after",
    "since",
    "until",
    "start",
    "end",
    "status",
    "urgency",
    "kind",
    "from",
    "to",
    "practice",
    "days",
    "purpose",
    "role",
    "outcome",
    "account",
    "action",
]
HEADER_NAMES = [
    "accept",
    "accept-language",
    "content-type",
    "content-length",
    "cookie",
    "x-csrf-token",
    "origin",
    "sec-fetch-site",
    "host",
    "hx-request",
    "range",
    "if-range",
    "if-none-match",
    "if-modified-since",
    "user-agent",
    "x-forwarded-for",
    "x-forwarded-proto",
    "referer",
]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=latin-1",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=fuzz",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=fuzz; charset=utf-16",
    "multipart/form-data; boundary=fuzz; charset=x-unknown",
    "application/x-www-form-urlencoded; charset=utf-16",
    "text/plain",
    "application/octet-stream",
    "",
    "é/é",
]


def _b64(n: int, first: bytes = b"") -> str:
    return b64url_encode(first + b"\x01" * (n - len(first)))


def plausible_body(world: RouteWorld) -> dict[str, Any]:
    """Well-shaped values for every field some route reads, so mutations reach deep."""
    return {
        "username": "doctor",
        "code": "123456",
        "auth_key": _b64(32),
        "signature": _b64(64),
        "kdf": {"alg": "argon2id13", "ops": 3, "mem": 64 * 1024 * 1024, "salt": _b64(16)},
        "current": {"auth_key": _b64(32)},
        "wrapped_kek": _b64(WRAPPED_BYTES, bytes([1, WrapPurpose.PASSWORD])),
        "wrapped_recovery": _b64(WRAPPED_BYTES, bytes([1, WrapPurpose.RECOVERY])),
        "x25519_pk": _b64(32),
        "ed25519_pk": _b64(32),
        "envelope": _b64(300, b"\x01"),
        "item_id": world.item_id,
        "practice_id": world.practice_id,
        "size": 100,
        "status": "handled",
        "call_started_at": "2026-11-28T08:55:00Z",
        "call_seconds": 60,
        "display_name": "Fuzzy",
        "role": "secretary",
        "secretary_id": world.people["secretary"].account_id,
        "note": "note",
        "version": 1,
        "record": _b64(111, b"\x01"),
        "grants": {world.people["member"].account_id: _b64(99, b"\x01")},
        "documents": [],
    }


text = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    text,
)
json_values = st.recursive(
    scalars,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(text, kids, max_size=4),
    max_leaves=10,
)
RANGES = [
    "bytes=0-",
    "bytes=-1",
    "bytes=5-1",
    "bytes=0-0,2-2,4-4",
    "bytes=99999999999-",
    "bytes=a-b",
    "bytes=-0",
    "items=0-1",
    "bytes=0-1,",
]
header_text = st.one_of(
    st.sampled_from(RANGES),
    st.sampled_from([n for n in NASTY if n.isprintable() and n.isascii()]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60),
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RouteWorld]:
    with route_world(tmp_path_factory.mktemp("fuzz") / "data") as w:
        yield w


def _send(world: RouteWorld, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request; a request the HTTP client itself cannot build is not an example."""
    try:
        response = world.request(who, method, path, **kwargs)
    except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError, ValueError):
        reject()
    assert response.status_code < 500, (
        f"{method} {path} as {who} -> {response.status_code}\n{response.text[:500]}"
    )
    return response


def _route(data: st.DataObject, world: RouteWorld, *, writes: bool | None = None) -> Route:
    routes = [
        r
        for r in world.routes
        if writes is None or any(m in ("POST", "PUT") for m in methods_of(r)) == writes
    ]
    return data.draw(st.sampled_from(routes), label="route")


def _path(data: st.DataObject, world: RouteWorld, r: Route) -> str:
    """The route's path with one of the world's real values (or a random id) per parameter."""
    values = {
        name: data.draw(st.sampled_from(world.params[name]), label=name)
        for name in r.param_convertors
    }
    return world.path(r, values)


def _who(data: st.DataObject, r: Route) -> str:
    """Mostly a role the route admits (so input reaches the handler), sometimes any role."""
    allowed = sorted(permissions.ALLOWED[str(r.name)])
    pool = allowed if data.draw(st.integers(0, 4), label="admitted") else list(ROLES)
    return data.draw(st.sampled_from(pool), label="who")


def _method(data: st.DataObject, r: Route) -> str:
    return data.draw(st.sampled_from(methods_of(r)), label="method")


@FUZZ
@given(data=st.data())
def test_malformed_json_bodies(world: RouteWorld, data: st.DataObject) -> None:
    """Plausible bodies with one field dropped or replaced, any JSON value, broken syntax."""
    r = _route(data, world, writes=True)
    who = _who(data, r)
    body: Any = plausible_body(world)
    shape = data.draw(st.sampled_from(["mutate", "value", "syntax", "deep"]), label="shape")
    if shape == "mutate":
        for key in data.draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3)):
            if data.draw(st.booleans()):
                body.pop(key, None)
            else:
                body[key] = data.draw(json_values, label=key)
        raw = json.dumps(body).encode()
    elif shape == "value":
        raw = json.dumps(data.draw(json_values, label="body")).encode()
    elif shape == "syntax":
        valid = json.dumps(body).encode()
        cut = data.draw(st.integers(0, len(valid)), label="cut")
        raw = valid[:cut] + data.draw(st.binary(max_size=20), label="tail")
    else:
        depth = data.draw(st.integers(30, 5000), label="depth")
        raw = b'{"username": ' + b"[" * depth + b"]" * depth + b"}"
    _send(
        world,
        who,
        _method(data, r),
        _path(data, world, r),
        content=raw,
        headers={"content-type": "application/json", "accept": "application/json"},
    )


@FUZZ
@given(data=st.data())
def test_forms_and_content_types(world: RouteWorld, data: st.DataObject) -> None:
    """URL-encoded and multipart forms of odd fields, or any bytes under any content type."""
    r = _route(data, world, writes=True)
    who = _who(data, r)
    fields = data.draw(
        st.dictionaries(st.one_of(st.sampled_from(KEYS), text), text, max_size=6), label="fields"
    )
    kind = data.draw(st.sampled_from(["urlencoded", "multipart", "bytes"]), label="kind")
    if kind == "urlencoded":
        raw = urlencode(fields, encoding="utf-8", errors="surrogatepass").encode()
        content_type = "application/x-www-form-urlencoded"
    elif kind == "multipart":
        parts = [
            f'--fuzz\r\nContent-Disposition: form-data; name="{quote(k, errors="surrogatepass")}"'
            + data.draw(st.sampled_from(["", '; filename="f.txt"']))
            + f"\r\n\r\n{v}\r\n"
            for k, v in fields.items()
        ]
        raw = ("".join(parts) + "--fuzz--\r\n").encode("utf-8", "surrogatepass")
        content_type = "multipart/form-data; boundary=fuzz"
    else:
        raw = data.draw(st.binary(max_size=300), label="bytes")
        content_type = data.draw(st.sampled_from(CONTENT_TYPES), label="content-type")
    _send(
        world,
        who,
        _method(data, r),
        _path(data, world, r),
        content=raw,
        headers={"content-type": content_type},
    )


@FUZZ
@given(data=st.data())
def test_path_segments(world: RouteWorld, data: st.DataObject) -> None:
    """Every route's ids replaced by odd text (quoted or not), and paths nobody declared."""
    if data.draw(st.integers(0, 9), label="undeclared") == 0:
        who = data.draw(st.sampled_from(ROLES), label="who")
        path = "/" + "/".join(data.draw(st.lists(text, max_size=4), label="segments"))
        method = data.draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]))
        if path.startswith("//"):
            reject()
        _send(world, who, method, quote(path, safe="/%", errors="surrogatepass"))
        return
    r = _route(data, world)
    who = _who(data, r)
    values = {}
    for name in r.param_convertors:
        value = data.draw(text, label=name)
        values[name] = (
            quote(value, safe="", errors="surrogatepass") if data.draw(st.booleans()) else value
        )
    try:
        path = world.path(r, values)
    except Exception:  # a value Starlette cannot put in this path
        reject()
    _send(
        world,
        who,
        _method(data, r),
        path,
        content=b"{}",
        headers={"content-type": "application/json"},
    )


@FUZZ
@given(data=st.data())
def test_query_strings(world: RouteWorld, data: st.DataObject) -> None:
    """Filters, cursors and dates of every page with odd values, repeated keys, raw bytes."""
    r = _route(data, world, writes=False)
    who = _who(data, r)
    pairs = data.draw(
        st.lists(st.tuples(st.sampled_from(QUERY_KEYS) | text, text), max_size=5), label="query"
    )
    query = urlencode(pairs, encoding="utf-8", errors="surrogatepass")
    if data.draw(st.booleans(), label="raw-bytes"):
        query += "&" + "".join(f"%{b:02x}" for b in data.draw(st.binary(max_size=8)))
    _send(world, who, "GET", _path(data, world, r) + "?" + query)


@FUZZ
@given(data=st.data())
def test_headers(world: RouteWorld, data: st.DataObject) -> None:
    """Cookies, CSRF tokens, origins, hosts, languages, ranges and lengths of any shape."""
    r = _route(data, world)
    who = _who(data, r)
    headers = data.draw(
        st.dictionaries(st.sampled_from(HEADER_NAMES), header_text, max_size=4), label="headers"
    )
    if "content-length" in headers:
        headers["content-length"] = data.draw(
            st.sampled_from(
                ["0", "2", "-1", "99999999999999999999", "²", headers["content-length"]]
            )
        )
    body = json.dumps(plausible_body(world)).encode()
    if "content-length" in headers and headers["content-length"] != str(len(body)):
        body = b"" if headers["content-length"] == "0" else body
        headers.pop("content-length")  # the client frames the body; the app sees its own
    path = _path(data, world, r)
    if data.draw(st.integers(0, 5), label="static") == 0:
        path = "/static/css/app.css"
    _send(world, who, _method(data, r), path, content=body, headers=headers)


# --- Sweeps: every field a route reads, every query a page reads, set to each odd text ------

# What each JSON route reads (web/routes and vault/identity/keymaterial.py).
JSON_FIELDS = {
    "prelogin": ["username"],
    "login": ["username", "auth_key", "code"],
    "recover_start": ["username"],
    "recover_finish": [
        "username",
        "code",
        "signature",
        "challenge",
        "kdf",
        "auth_key",
        "wrapped_kek",
    ],
    "enrol": ["kdf", "auth_key", "x25519_pk", "wrapped_kek", "practice_pk", "code", "totp_secret"],
    "enrol_authenticator": ["totp_secret"],
    "password_change": ["current", "code", "kdf", "auth_key", "wrapped_kek"],
    "practice_grant": ["grant", "code"],
    "item_deposit": [
        "envelope",
        "item_id",
        "practice_id",
        "upload_id",
        "call_started_at",
        "call_seconds",
    ],
    "upload_start": ["size", "practice_id", "item_id"],
    "item_status": ["status"],
    "team_version_create": ["version", "record", "signature", "grants", "documents"],
    "team_recipients_add": ["version", "record", "signature", "grants"],
    "document_write": ["envelope"],
    "inbox_envelopes": ["ids"],
    "inbox_search": ["after"],
    "practice_requests": ["request_id", "envelope"],
    "request_done": ["reply_id", "envelope"],
    "request_replies": ["reply_id", "envelope"],
    "item_replies": ["reply_id", "envelope"],
    "practice_appointments": ["item_id"],
    "appointment_decide": ["status", "reply_id", "envelope"],
    "deposit_label": ["label"],
    "ladder_write": ["rungs", "delay_minutes", "timezone"],
}
# What each page reads from its query string.
QUERY_FIELDS = {
    "inbox": ["status", "urgency", "kind", "since", "until", "after"],
    "my_deposits": ["after"],
    "practice_access": ["before", "what"],
    "item_envelope": ["purpose"],
    "audit_console": ["start", "end", "account", "role", "practice", "action", "outcome", "before"],
    "audit_activity": ["days"],
    "activity_report": ["from", "to", "practice"],
    "activity_report_csv": ["from", "to", "practice"],
    "language": ["next"],
    "document_list": ["type", "subject"],
    "document_read": ["history"],
}


def _route_named(world: RouteWorld, name: str, method: str) -> Route:
    return next(r for r in world.routes if r.name == name and method in methods_of(r))


def _sweep_cases(fields: dict[str, list[str]]) -> list[Any]:
    cases = []
    for name, keys in fields.items():
        for key in keys:
            cases.append(pytest.param(name, key, id=f"{name}.{key}"))
    return cases


@pytest.mark.parametrize(("name", "key"), _sweep_cases(JSON_FIELDS))
def test_each_json_field_with_each_odd_value(world: RouteWorld, name: str, key: str) -> None:
    """The field set to each odd text, and to each JSON type, the rest of the body well-formed."""
    method = "PUT" if name in ("document_write", "deposit_label", "ladder_write") else "POST"
    r = _route_named(world, name, method)
    who = sorted(permissions.ALLOWED[name] - {permissions.ANONYMOUS}) or [permissions.ANONYMOUS]
    odd: list[Any] = [*NASTY, None, True, 0, -1, 2**64, 1.5, [], {}, [NASTY], {"x": NASTY}]
    for value in odd:
        body = {**plausible_body(world), key: value}
        _send(
            world,
            who[0],
            method,
            world.path(r),
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json", "accept": "application/json"},
        )


@pytest.mark.parametrize(("name", "key"), _sweep_cases(QUERY_FIELDS))
def test_each_query_field_with_each_odd_value(world: RouteWorld, name: str, key: str) -> None:
    r = _route_named(world, name, "GET")
    who = sorted(permissions.ALLOWED[name] - {permissions.ANONYMOUS})[0]
    for value in NASTY:
        query = urlencode({key: value}, encoding="utf-8", errors="surrogatepass")
        _send(world, who, "GET", world.path(r) + "?" + query)


def test_the_sweeps_cover_every_route_that_reads_json_or_a_query() -> None:
    """A route that starts reading a field must be listed above (found in the source)."""
    routes = (REPO / "web" / "routes").glob("*.py")
    reads_json = sum(len(re.findall(r"await json_body\(request", p.read_text())) for p in routes)
    assert reads_json == len(JSON_FIELDS)


def test_afterwards_the_server_answers_and_the_log_verifies(world: RouteWorld) -> None:
    """After everything above: health is ok, nothing blocked the loop, the log verifies."""
    health = world.request("anonymous", "GET", "/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert world.request("member", "GET", "/inbox").status_code == 200
    assert world.db.violations == []
    assert world.audit_verifies() > 0
