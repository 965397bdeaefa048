"""Every route as every role, on a real vault: the world the fuzz and event-loop tests share.

``route_world`` builds an initialised vault (real SQLCipher) whose database refuses
to be read or written synchronously from a thread running an event loop
(``LoopGuardedDatabase``), one account per role enrolled as a browser enrols
(``tests.people.enrol``: password, keys, authenticator), a practice with an assigned
secretary, one real deposit signed by the secretary's own key (unlocked by a real
sign-in), and the app with its lifespan running.
``request`` sends one request as any role, each time with a fresh session, so that
a request that signs out, revokes a session or changes a password cannot spoil the
next one.
"""

from __future__ import annotations

import asyncio
import math
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx2 as httpx
from starlette.routing import Route
from starlette.testclient import TestClient

from cli.client import sign_in
from crypto.encoding import b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, seal_item
from tests.factories import call_note_body, encrypted_file, open_test_vault
from tests.people import ARRANGE, Person, TestClientTransport, enrol
from vault.auditing.checkpoints import load_signer
from vault.env import Env, Principal
from vault.identity import accounts, practices, sessions
from vault.identity.roles import Role
from vault.requests import state
from vault.settings import Settings
from vault.storage.database import Database
from vault.storage.datadir import initialise
from vault.storage.store import Connection
from web import permissions
from web.app import create_app
from web.session import COOKIE

T = TypeVar("T")
ROLES = (permissions.ANONYMOUS, *(str(r) for r in Role))


class BlockingCallOnLoop(RuntimeError):
    """The database was used synchronously from the event loop's own thread."""


class LoopGuardedDatabase(Database):
    """A database whose synchronous reads and writes fail when called on an event loop.

    In the app, a thread with a running loop is the loop's thread: there a blocking
    call stalls every other request. ``write_async`` is the one way a coroutine may
    write; reads belong in the thread pool.
    """

    def __init__(self, path: Path, key: Any, **options: Any) -> None:
        super().__init__(path, key, **options)
        self.violations: list[str] = []

    def _refuse_on_loop(self, what: str) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread (or the test's own thread): blocking is fine here
        self.violations.append(f"{what} on the event loop\n" + "".join(traceback.format_stack()))
        raise BlockingCallOnLoop(what)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        self._refuse_on_loop("database read")
        with super().reading() as conn:
            yield conn

    def write(self, fn: Callable[[Connection], T]) -> T:
        self._refuse_on_loop("database write")
        return super().write(fn)


@dataclass
class RouteWorld:
    env: Env
    db: LoopGuardedDatabase
    client: TestClient
    routes: list[Route]
    people: dict[str, Person]
    practice_id: str
    item_id: str  # a call note
    extract_id: str  # an extract, with its file
    spare_account: str  # an account any fuzzed admin action may disable
    params: dict[str, list[str]] = field(default_factory=dict)

    def __repr__(self) -> str:  # Hypothesis prints the arguments of a failing example
        return "RouteWorld(...)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def headers_for(self, who: str) -> dict[str, str]:
        """A fresh session's cookie and CSRF header for ``who`` (none for anonymous)."""
        if who == permissions.ANONYMOUS:
            return {}
        account = self.people[who].account_id
        token, csrf = self.env.db.write(
            lambda conn: sessions.create(self.env, conn, account, "127.0.0.1", "fuzz")
        )
        return {"cookie": f"{COOKIE}={token}", "x-csrf-token": csrf}

    def request(
        self,
        who: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        self.client.cookies.clear()
        sent = {**self.headers_for(who), **(headers or {})}
        return self.client.request(method, path, headers=sent, follow_redirects=False, **kwargs)

    def path(self, r: Route, values: dict[str, str] | None = None) -> str:
        """The route's path with real ids where there are some (or ``values``)."""
        chosen = {
            name: (values or {}).get(name) or self.params[name][0] for name in r.param_convertors
        }
        return r.url_path_for(r.name, **chosen)

    def audit_verifies(self) -> int:
        """Sign a checkpoint now and verify the whole log with the pinned key; its size."""
        from audit.verify import verify_database

        checkpointing = self.client.app.state.vault.checkpointing  # type: ignore[attr-defined]
        checkpointing.issue_now(self.env)
        verifier = load_signer(self.env.settings).verifier
        report = self.env.db.read(lambda conn: verify_database(conn, verifier))
        return int(report.size)


def methods_of(r: Route) -> list[str]:
    return sorted(m for m in (r.methods or {"GET"}) if m != "HEAD")


@contextmanager
def route_world(data_dir: Path) -> Iterator[RouteWorld]:
    settings = Settings(data_dir=data_dir, default_language="en")
    initialise(settings)
    vault = open_test_vault(settings, database_type=LoopGuardedDatabase)
    db = vault.db
    assert isinstance(db, LoopGuardedDatabase)
    env = vault.env
    people = {
        str(Role.MEMBER): enrol(env, Role.MEMBER, "doctor", practice="Cabinet Martin"),
        str(Role.SECRETARY): enrol(env, Role.SECRETARY, "secretary"),
        str(Role.AUDITOR): enrol(env, Role.AUDITOR, "auditor"),
        str(Role.ADMIN): enrol(env, Role.ADMIN, "root"),
    }
    secretary, member = people[str(Role.SECRETARY)], people[str(Role.MEMBER)]
    practice_id = str(member.practice_id)
    practices.set_assignment(env, ARRANGE, None, secretary.account_id, practice_id, True)
    spare = accounts.invite(
        env, ARRANGE, None, username="spare", display_name="Spare", role=Role.SECRETARY
    )
    app = create_app(vault)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            world = RouteWorld(
                env,
                db,
                client,
                [r for r in app.routes if isinstance(r, Route)],
                people,
                practice_id,
                str(uuid.uuid4()),
                str(uuid.uuid4()),
                spare.account_id,
            )
            _deposit(world, secretary)
            request_id = str(uuid.uuid4())  # an open request (its state; no document needed)
            doctor = Principal(member.account_id, member.username, Role.MEMBER, practice_id)
            env.db.write(
                lambda c: state.open_request(env, c, ARRANGE, doctor, practice_id, request_id)
            )
            world.params = {
                "request_id": [request_id, str(uuid.uuid4())],
                "item_id": [world.extract_id, world.item_id, str(uuid.uuid4())],
                "practice_id": [practice_id, str(uuid.uuid4())],
                "account_id": [spare.account_id, str(uuid.uuid4())],
                "upload_id": [str(uuid.uuid4())],
                "offset": ["0", "65536"],
                "index": ["0", "1", "999999"],
                "handle": ["0011223344556677"],
                "token": ["not-a-real-token"],
                "code": ["en", "fr"],
                "document_id": [str(uuid.uuid4())],
                "path": ["0/000.p/1", "000.p/1", "0/000", "1/x001/002.p/3"],  # tlog tiles
            }
            yield world
    finally:
        db.close()


def _deposit(world: RouteWorld, secretary: Person) -> None:
    """Sign in as the secretary (unlocking her keys), seal a call note and an extract with its
    uploaded file, deposit both."""
    transport = TestClientTransport(world.client)
    unlocked = sign_in(transport, secretary.username, secretary.password, secretary.code())
    world.client.cookies.clear()
    practice_pk = world.env.db.read(
        lambda c: bytes(
            c.execute(
                "SELECT public_key FROM practice WHERE id = ?", (world.practice_id,)
            ).fetchone()[0]
        )
    )

    def sealed(item_id: str, kind: ItemKind, body: bytes) -> str:
        is_call = kind == ItemKind.CALL_NOTE
        header = ItemHeader(
            kind=kind,
            urgency=Urgency.NORMAL,
            item_id=uuid.UUID(item_id),
            client_id=uuid.UUID(world.practice_id),
            author_id=uuid.UUID(secretary.account_id),
            # the vault was made just now: a call starting at the next whole second is plausible
            call_started_at=math.ceil(world.env.now().timestamp()) if is_call else 0,
            call_seconds=30 if is_call else 0,
        )
        return b64url_encode(seal_item(header, body, practice_pk, unlocked.keys.signing_key))

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = world.request(str(Role.SECRETARY), "POST", path, json=body)
        assert answer.status_code in (200, 201), answer.text
        data: dict[str, Any] = answer.json()
        return data

    note = sealed(world.item_id, ItemKind.CALL_NOTE, encode_body(call_note_body()))
    post("/items", {"item_id": world.item_id, "practice_id": world.practice_id, "envelope": note})
    stream, manifest = encrypted_file(b"name;phone\n" * 2000)
    upload = post(
        "/uploads",
        {"practice_id": world.practice_id, "item_id": world.extract_id, "size": len(stream)},
    )
    put = world.request(
        str(Role.SECRETARY), "PUT", f"/uploads/{upload['upload_id']}/0", content=stream
    )
    assert put.status_code == 200, put.text
    extract = sealed(world.extract_id, ItemKind.EXTRACT, manifest.to_body())
    post(
        "/items",
        {
            "item_id": world.extract_id,
            "practice_id": world.practice_id,
            "envelope": extract,
            "upload_id": upload["upload_id"],
        },
    )
