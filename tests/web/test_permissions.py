"""Every route, every role (and anonymous): exactly the declared set gets through.

The walk uses the real app on a real vault with one signed-in account per
role. A request is *refused by the guard* when an anonymous caller is sent to
sign in (303 to /login, or 401), or when a signed-in caller gets 403 **and**
an ``access.denied`` entry naming the route lands in the audit log. Anything
else means the guard let the request through (the endpoint may still refuse
it for its own reasons: a missing id is a 404, a bad body a 400).

Two more columns walk sessions the guard restricts further: a member an admin
invited into a practice that has members, whom nobody granted the practice key
(sent to /practice/waiting, or refused with that sentence), and an account signed
in with a backup code (sent to /account/totp, or refused with that sentence).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from markupsafe import escape
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from audit.entry import decode
from cli.client import sign_in
from tests.factories import open_test_vault
from tests.people import Person, TestClientTransport, enrol
from vault.env import Env
from vault.errors import AuthenticatorReenrolmentRequired, AwaitingPracticeKey
from vault.identity.roles import Role
from vault.settings import Settings
from web import i18n, permissions
from web.app import create_app
from web.routing import route

WAITING = "member waiting for the practice key"
BACKUP = "member signed in with a backup code"
RESTRICTED = {
    WAITING: ("/practice/waiting", permissions.WAITING_FOR_KEY, AwaitingPracticeKey.message),
    BACKUP: (
        "/account/totp",
        permissions.REENROLMENT,
        AuthenticatorReenrolmentRequired.message,
    ),
}
PARAM_VALUES = {"token": "not-a-real-token", "handle": "0011223344556677", "code": "en"}


@dataclass
class World:
    app_routes: list[Route]
    mounts: list[Mount]
    env: Env
    clients: dict[str, TestClient]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from vault.storage.datadir import initialise

    settings = Settings(data_dir=tmp_path_factory.mktemp("perm") / "data")
    initialise(settings)
    vault = open_test_vault(settings)
    db = vault.db
    env = vault.env
    people: dict[Role, Person] = {
        Role.ADMIN: enrol(env, Role.ADMIN, "root"),
        Role.MEMBER: enrol(env, Role.MEMBER, "doctor", practice="Cabinet A"),
        Role.SECRETARY: enrol(env, Role.SECRETARY, "secretary"),
        Role.AUDITOR: enrol(env, Role.AUDITOR, "auditor"),
    }
    # Invited by an admin into Cabinet A, which has a member: nobody granted it the key.
    planted = enrol(env, Role.MEMBER, "planted", practice="Cabinet A")
    # The first member of Cabinet B, signed in with one of its backup codes.
    backup = enrol(env, Role.MEMBER, "dr.backup", practice="Cabinet B")
    app = create_app(vault)
    clients: dict[str, TestClient] = {}
    with TestClient(app, raise_server_exceptions=False) as anonymous:
        clients[permissions.ANONYMOUS] = anonymous
        for role, person in people.items():
            client = TestClient(app, raise_server_exceptions=False)
            transport = TestClientTransport(client)
            sign_in(transport, person.username, person.password, person.code())
            client.headers["x-csrf-token"] = transport.csrf
            clients[str(role)] = client
        for who, person, code in (
            (WAITING, planted, planted.code()),
            (BACKUP, backup, backup.enrolment.backup_codes[0]),
        ):
            client = TestClient(app, raise_server_exceptions=False)
            transport = TestClientTransport(client)
            sign_in(transport, person.username, person.password, code)
            client.headers["x-csrf-token"] = transport.csrf
            clients[who] = client
        routes = [r for r in app.routes if isinstance(r, Route)]
        mounts = [r for r in app.routes if isinstance(r, Mount)]
        yield World(routes, mounts, env, clients)
    db.close()


def _path(r: Route) -> str:
    values = {name: PARAM_VALUES.get(name, str(uuid.uuid4())) for name in r.param_convertors}
    return r.url_path_for(r.name, **values)


def _denials(env: Env) -> list[str]:
    def read(conn: object) -> list[str]:
        return [
            str(decode(bytes(leaf)).entry.detail.get("route"))
            for (leaf,) in conn.execute(  # type: ignore[attr-defined]
                "SELECT leaf FROM audit_entries ORDER BY idx"
            ).fetchall()
            if b'"action":"access.denied"' in bytes(leaf)
        ]

    return env.db.read(read)


def _walk(world: World, r: Route, who: str) -> bool:
    """True when the guard let ``who`` through to the endpoint of ``r``."""
    method = sorted(m for m in (r.methods or {"GET"}) if m != "HEAD")[0]
    before = _denials(world.env).count(r.name)
    response = world.clients[who].request(
        method, _path(r), follow_redirects=False, headers={"accept": "text/html"}
    )
    if who in RESTRICTED:
        page, _, sentence = RESTRICTED[who]
        sent_away = response.status_code == 303 and response.headers.get("location") == page
        told = response.status_code == 403 and any(
            str(escape(i18n.translate(sentence, language))) in response.text
            for language in i18n.LANGUAGES
        )
        role_denied = (
            response.status_code == 403 and _denials(world.env).count(r.name) == before + 1
        )
        return not (sent_away or told or role_denied)
    if who == permissions.ANONYMOUS:
        location = response.headers.get("location", "")
        sent_to_login = response.status_code == 303 and location.startswith("/login?next=")
        return not (sent_to_login or response.status_code == 401)
    denied = response.status_code == 403 and _denials(world.env).count(r.name) == before + 1
    return not denied


def test_every_route_is_declared_and_guarded(world: World) -> None:
    """Each route has a declaration and goes through the guard; no declaration is stale."""
    names = {r.name for r in world.app_routes}
    assert names == set(permissions.ALLOWED)
    for r in world.app_routes:
        assert hasattr(r.endpoint, "__wrapped__"), f"{r.name} is not wrapped by web.routing.route"


def test_an_undeclared_route_cannot_be_added() -> None:
    """Registering a route whose name is not declared fails at start-up."""

    async def endpoint(request: object) -> None: ...

    with pytest.raises(KeyError, match="no declared permissions"):
        route("/new", endpoint, "brand_new_route")  # type: ignore[arg-type]


def test_mounts_are_only_static_files(world: World) -> None:
    """Nothing but static files is mounted outside the guard: the fingerprinted tree and
    the plain one (web/static_files.py), both the same directory."""
    from web.rendering import STATIC_DIR
    from web.static_files import CachedStatic, tree_fingerprint

    assert [m.path for m in world.mounts] == [f"/static/{tree_fingerprint(STATIC_DIR)}", "/static"]
    assert all(isinstance(m.app, CachedStatic) for m in world.mounts)


def test_each_role_reaches_exactly_its_declared_routes(world: World) -> None:
    """The matrix of route by role (and anonymous) equals web/permissions.py."""
    mismatches = []
    # Signing out ends the walker's session: walk it last.
    for r in sorted(world.app_routes, key=lambda r: r.name == "logout"):
        for who in [permissions.ANONYMOUS, *(str(role) for role in Role), *RESTRICTED]:
            if who in RESTRICTED:
                expected = permissions.MEMBER in permissions.ALLOWED[r.name] and (
                    r.name in RESTRICTED[who][1]
                )
            else:
                expected = who in permissions.ALLOWED[r.name]
            if _walk(world, r, who) != expected:
                mismatches.append(
                    f"{r.name} as {who}: expected {'allowed' if expected else 'refused'}"
                )
    assert mismatches == [], "\n".join(mismatches)
