"""The edges of HTTP: Host, Origin, the session cookie's name, body sizes, odd input.

Each case is a regression of a finding of issue 10 (a 500, a body held whole, a
foreign ``Host`` served, an ``http://`` Origin accepted behind TLS); each answer is a
4xx with one sentence, in English and in French.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from crypto.encoding import b64url_encode
from crypto.kdf import KdfParams, derive_password_keys
from tests.factories import Person as ItemsPerson
from tests.factories import session_for
from tests.people import Person, enrol
from tests.web.every_route import RouteWorld, route_world
from vault.env import Principal
from vault.identity.roles import Role
from vault.opening import Vault
from web.app import create_app
from web.session import COOKIE, TLS_COOKIE

REPO = Path(__file__).resolve().parents[2]
JSON = {"accept": "application/json", "content-type": "application/json"}
EN, FR = {"accept-language": "en"}, {"accept-language": "fr"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RouteWorld]:
    with route_world(tmp_path_factory.mktemp("edges") / "data") as w:
        yield w


def _error(response: object) -> str:
    return str(response.json()["error"])  # type: ignore[attr-defined]


# --- Host (DNS rebinding) ---------------------------------------------------------------


def test_a_foreign_host_header_is_refused_in_one_sentence(world: RouteWorld) -> None:
    """A name the vault does not own (a rebinding attacker's) gets a 400 and nothing else."""
    page = world.request("anonymous", "GET", "/login", headers={"host": "evil.example", **EN})
    assert page.status_code == 400
    assert "does not answer to this address" in page.text
    assert "content-security-policy" in page.headers
    api = world.request(
        "anonymous",
        "POST",
        "/login/prelogin",
        json={"username": "doctor"},
        headers={"host": "evil.example:8000", **JSON, **FR},
    )
    assert api.status_code == 400
    assert _error(api).startswith("Ce coffre ne répond pas à cette adresse")
    signed_in = world.request("member", "GET", "/inbox", headers={"host": "rebind.evil.example"})
    assert signed_in.status_code == 400 and "Cabinet Martin" not in signed_in.text


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000"])
def test_loopback_names_are_served_by_default(world: RouteWorld, host: str) -> None:
    assert world.request("anonymous", "GET", "/login", headers={"host": host}).status_code == 200


def test_the_host_of_base_url_and_allowed_hosts_are_served(vault: Vault) -> None:
    """A deployment names itself once (``base_url``); more names go in ``allowed_hosts``."""
    settings = replace(
        vault.settings, base_url="https://Vault.Example.fr", allowed_hosts=("intranet.example",)
    )
    with TestClient(create_app(vault.with_env(settings=settings))) as client:
        for host, status in [
            ("vault.example.fr", 200),
            ("VAULT.example.fr:443", 200),
            ("intranet.example", 200),
            ("localhost", 400),  # an explicit list replaces the loopback default
            ("vault.example.fr.evil.example", 400),
            ("vault.example.fr:²", 400),
            ("vault.example.fr:443:1", 400),
            ("", 400),
        ]:
            assert (
                client.get("/login", headers={b"host": host.encode("latin-1")}).status_code
                == status
            ), host


# --- Origin scheme and the __Host- cookie ----------------------------------------------


def test_origin_must_have_the_scheme_the_browser_speaks(vault: Vault) -> None:
    """Same host but another scheme is another origin: refused as cross-site."""
    body = {"username": "nobody"}
    with TestClient(create_app(vault)) as plain:
        assert plain.post(
            "/login/prelogin", json=body, headers={"origin": "http://localhost"}
        ).is_success
        refused = plain.post(
            "/login/prelogin", json=body, headers={"origin": "https://localhost", **JSON, **EN}
        )
        assert refused.status_code == 403 and "did not come from a Permanence page" in refused.text
    tls = replace(vault.settings, behind_tls=True)
    with TestClient(create_app(vault.with_env(settings=tls))) as behind:
        ok = behind.post("/login/prelogin", json=body, headers={"origin": "https://localhost"})
        assert ok.is_success
        refused = behind.post("/login/prelogin", json=body, headers={"origin": "http://localhost"})
        assert refused.status_code == 403


def test_behind_tls_the_session_cookie_has_the_host_prefix(vault: Vault) -> None:
    """Behind TLS the sign-in sets ``__Host-permanence_session`` (Secure, Path=/, no Domain),
    and only that name signs in: the plain name, which a sibling domain or a plain-HTTP
    page could plant, is ignored."""
    vault = vault.with_env(settings=replace(vault.settings, behind_tls=True))
    env = vault.env
    admin = enrol(env, Role.ADMIN, "root")
    with TestClient(create_app(vault), base_url="https://localhost") as c:
        kdf = c.post("/login/prelogin", json={"username": "root"}).json()["kdf"]
        keys = derive_password_keys(admin.password, KdfParams.from_json(kdf))
        answer = c.post(
            "/login",
            json={
                "username": "root",
                "auth_key": b64url_encode(keys.auth_key.value),
                "code": admin.code(),
            },
        )
        assert answer.status_code == 200, answer.text
        set_cookie = answer.headers["set-cookie"]
        assert set_cookie.startswith(f"{TLS_COOKIE}=")
        attributes = {a.strip().split("=")[0].lower() for a in set_cookie.split(";")[1:]}
        assert {"secure", "path", "httponly", "samesite"} <= attributes
        assert "domain" not in attributes and "path=/" in set_cookie.lower()
        token, _ = session_for(env, _principal_of(admin))
        c.cookies.clear()
        as_prefixed = c.get("/account", headers={"cookie": f"{TLS_COOKIE}={token}"})
        as_plain = c.get(
            "/account", headers={"cookie": f"{COOKIE}={token}"}, follow_redirects=False
        )
    assert as_prefixed.status_code == 200
    assert as_plain.status_code == 303 and as_plain.headers["location"].startswith("/login")


def _principal_of(person: Person) -> ItemsPerson:
    """The shape ``session_for`` takes (an account id is all it reads)."""
    return ItemsPerson(Principal(person.account_id, person.username, person.role, None), None)  # type: ignore[arg-type]


# --- Body sizes ---------------------------------------------------------------------------

MIB = 1024 * 1024


def _multipart(fields: dict[str, str], boundary: str = "edgesboundary") -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def test_a_form_of_many_large_fields_is_refused_before_it_is_held(world: RouteWorld) -> None:
    """Three fields of almost 1 MiB each (Starlette's own limit is per field): 413, and
    nothing is done with them; the same as URL-encoded and as chunks without a length."""
    fields = {"username": "bulky", "display_name": "B", "role": "secretary"}
    fields |= {f"padding{i}": "x" * (MIB - 100) for i in range(3)}
    multipart = world.request(
        "admin",
        "POST",
        "/admin/invitations",
        content=_multipart(fields),
        headers={"content-type": "multipart/form-data; boundary=edgesboundary", **EN},
    )
    assert multipart.status_code == 413
    assert "larger than this vault accepts" in multipart.text
    urlencoded = world.request(
        "admin",
        "POST",
        "/admin/invitations",
        data=fields,
        headers={**FR},
    )
    assert urlencoded.status_code == 413 and "dépasse la taille acceptée" in urlencoded.text

    def chunks() -> Iterator[bytes]:
        yield b"username=chunky&role=secretary&display_name=C&padding="
        for _ in range(4):
            yield b"x" * (256 * 1024)

    chunked = world.request(
        "admin",
        "POST",
        "/admin/invitations",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 413
    listed = world.request("admin", "GET", "/admin/accounts").text
    assert "bulky" not in listed and "chunky" not in listed


def test_a_json_body_without_a_length_is_bounded_too(world: RouteWorld) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(3):
            yield b"x" * (64 * 1024)
        yield b'"}'

    r = world.request(
        "anonymous", "POST", "/login/prelogin", content=chunks(), headers={**JSON, **EN}
    )
    assert r.status_code == 413 and _error(r) == "What you sent is larger than this vault accepts."


def test_a_small_form_still_works(world: RouteWorld) -> None:
    """The bounded parser reads what browsers send: URL-encoded and multipart forms."""
    for name, kwargs in [
        ("formal", {"data": {"username": "formal", "display_name": "F", "role": "secretary"}}),
        (
            "multi",
            {
                "content": _multipart(
                    {"username": "multi", "display_name": "M", "role": "auditor"}
                ),
                "headers": {"content-type": "multipart/form-data; boundary=edgesboundary"},
            },
        ),
    ]:
        r = world.request("admin", "POST", "/admin/invitations", **kwargs)  # type: ignore[arg-type]
        assert r.status_code == 200 and "/enrol/" in r.text, name


def test_no_route_reads_a_body_around_the_bounded_parsers() -> None:
    """Only ``web/context.py`` touches ``request.body/json/form/stream``: every route's body
    goes through ``read_body``, so none can be held unbounded."""
    pattern = re.compile(r"\brequest\.(body|json|form|stream)\(")
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for path in (REPO / "web").rglob("*.py")
        if path.name != "context.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


# --- 500s found by fuzzing ------------------------------------------------------------------

DEEP = b"[" * 20_000 + b"]" * 20_000  # 40 KB: under the size bound, far over any nesting
JSON_ROUTES = [
    ("anonymous", "/login/prelogin"),
    ("anonymous", "/login"),
    ("anonymous", "/recover/start"),
    ("anonymous", "/recover/finish"),
    ("anonymous", "/enrol/not-a-real-token"),
    ("anonymous", "/enrol/not-a-real-token/authenticator"),
    ("member", "/account/password"),
    ("member", "/practice/grants/{account}"),
    ("member", "/items/{item}/status"),
    ("secretary", "/items"),
    ("secretary", "/uploads"),
    ("member", "/practices/{practice}/team/versions"),
    ("member", "/practices/{practice}/team/recipients"),
    ("member", "PUT /practices/{practice}/documents/{item}"),
    ("member", "/inbox/envelopes"),
    ("member", "/inbox/search"),
    ("member", "/practices/{practice}/requests"),
    ("secretary", "/practices/{practice}/requests/{item}/done"),
    ("member", "/practices/{practice}/requests/{item}/replies"),
    ("member", "/items/{item}/replies"),
    ("secretary", "PUT /workspace/deposits/{item}/label"),
    ("member", "PUT /practice/oncall"),
    ("secretary", "/practices/{practice}/appointments"),
    ("member", "/practices/{practice}/appointments/{item}"),
]


@pytest.mark.parametrize(("who", "path"), JSON_ROUTES)
@pytest.mark.parametrize(
    "body", [DEEP, b'{"username": ' + DEEP + b"}", b'{"a":' * 10_000 + b"1" + b"}" * 10_000]
)
def test_deeply_nested_json_is_a_400_on_every_json_route(
    world: RouteWorld, who: str, path: str, body: bytes
) -> None:
    """Too deep for the parser (a RecursionError was a 500): a 400, or a 413 where the
    route's bound is smaller than the body (an item's status takes 1 KiB)."""
    method, _, path = path.rpartition(" ")
    path = path.format(account=world.spare_account, item=world.item_id, practice=world.practice_id)
    r = world.request(who, method or "POST", path, content=body, headers={**JSON, **EN})
    assert (r.status_code, _error(r)) in {
        (400, "Some of the information sent is missing or invalid."),
        (413, "What you sent is larger than this vault accepts."),
    }, r.text


def test_every_json_route_is_in_the_nesting_regression() -> None:
    """A new route reading JSON must join ``JSON_ROUTES`` (found by its ``json_body`` call)."""
    handlers = 0
    for path in (REPO / "web" / "routes").glob("*.py"):
        handlers += len(re.findall(r"await json_body\(request", path.read_text()))
    assert handlers == len(JSON_ROUTES)


LONE_SURROGATE = b'"\\ud800"'


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/login/prelogin", b'{"username": ' + LONE_SURROGATE + b"}"),
        (
            "/login",
            b'{"username": ' + LONE_SURROGATE + b', "auth_key": "' + b"A" * 43 + b'", "code": "1"}',
        ),
        ("/recover/start", b'{"username": ' + LONE_SURROGATE + b"}"),
        (
            "/recover/finish",
            b'{"username": ' + LONE_SURROGATE + b', "signature": "AAAA", "code": "123456"}',
        ),
        ("/login/prelogin", b'{"username": "doctor", "x\\udfff": 1}'),
    ],
)
def test_a_lone_surrogate_is_refused_by_the_shared_parsing(
    world: RouteWorld, path: str, body: bytes
) -> None:
    """``\\ud800`` is valid JSON but no text: refused before any use case (which would hash,
    store or log it) sees it."""
    for language, sentence in [
        (EN, "Some of the information sent is missing or invalid."),
        (FR, "Certaines informations envoyées sont manquantes ou invalides."),
    ]:
        r = world.request("anonymous", "POST", path, content=body, headers={**JSON, **language})
        assert r.status_code == 400 and _error(r) == sentence


@pytest.mark.parametrize(
    ("who", "query"),
    [
        ("member", "/inbox?until=9999-12-31"),
        ("member", "/inbox?since=0001-01-01"),
        ("auditor", "/audit?end=9999-12-31"),
        ("auditor", "/audit?start=0001-01-01"),
        ("auditor", "/audit?start=2026-02-30"),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_a_clear_400(
    world: RouteWorld, who: str, query: str
) -> None:
    english = world.request(who, "GET", query, headers=EN)
    assert english.status_code == 400
    assert "A date must be written YYYY-MM-DD, between 1970-01-01 and 9998-12-31." in english.text
    french = world.request(who, "GET", query, headers={**FR, "hx-request": "true"})
    assert french.status_code == 400
    assert "Une date s&#39;écrit AAAA-MM-JJ" in french.text or "Une date s'écrit" in french.text


def test_dates_inside_the_range_still_filter(world: RouteWorld) -> None:
    assert world.request("member", "GET", "/inbox?until=9998-12-31").status_code == 200
    assert world.request("auditor", "GET", "/audit?start=1970-01-01").status_code == 200


@pytest.mark.parametrize("token", ["é".encode("latin-1"), b"\xff" * 43, b"ok" + b"\x80"])
def test_a_non_ascii_csrf_token_is_refused_not_a_500(world: RouteWorld, token: bytes) -> None:
    headers = world.headers_for("admin")
    world.client.cookies.clear()
    r = world.client.post(
        "/admin/invitations",
        data={"username": "csrf", "display_name": "C", "role": "secretary"},
        headers={
            b"cookie": headers["cookie"].encode(),
            b"x-csrf-token": token,
            b"accept-language": b"en",
        },
    )
    assert r.status_code == 403 and "did not come from a Permanence page" in r.text
