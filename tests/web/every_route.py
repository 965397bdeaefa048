"""Every route as every role, on a real vault: the world the fuzz and event-loop tests share.

``route_world`` builds an initialised vault (real SQLCipher) whose database refuses
to be read or written synchronously from a thread running an event loop
(``LoopGuardedDatabase``), one account per role written with real keys
(``tests.vault.test_items_support``, no Argon2 at each enrolment), a practice with
an assigned secretary and one real deposit, and the app with its lifespan running.
``request`` sends one request as any role, each time with a fresh session, so that
a request that signs out, revokes a session or changes a password cannot spoil the
next one.
"""

from __future__ import annotations

import asyncio
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

from crypto.encoding import b64url_encode
from tests.vault.test_items_support import (
    Person,
    PracticeKeys,
    add_account,
    add_practice,
    assign,
    seal,
    session_for,
)
from vault.checkpoints import load_signer
from vault.database import Database
from vault.datadir import database_key, initialise
from vault.env import Env
from vault.roles import Role
from vault.settings import Settings
from vault.store import Connection, read_key_file
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

    def __init__(self, path: Path, key: Any) -> None:
        super().__init__(path, key)
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
    practice: PracticeKeys
    item_id: str
    spare_account: str  # an account any fuzzed admin action may disable
    params: dict[str, list[str]] = field(default_factory=dict)

    def headers_for(self, who: str) -> dict[str, str]:
        """A fresh session's cookie and CSRF header for ``who`` (none for anonymous)."""
        if who == permissions.ANONYMOUS:
            return {}
        token, csrf = session_for(self.env, self.people[who])
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

        checkpointing = self.client.app.state.checkpointing  # type: ignore[attr-defined]
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
    db = LoopGuardedDatabase(settings.layout.database, database_key(settings))
    env = Env(
        db=db, settings=settings, server_secret=read_key_file(settings.layout.server_secret_file)
    )
    practice = add_practice(env, "Cabinet Martin")
    people = {
        str(Role.MEMBER): add_account(env, Role.MEMBER, "doctor", practice),
        str(Role.SECRETARY): add_account(env, Role.SECRETARY, "secretary"),
        str(Role.AUDITOR): add_account(env, Role.AUDITOR, "auditor"),
        str(Role.ADMIN): add_account(env, Role.ADMIN, "root"),
    }
    spare = add_account(env, Role.SECRETARY, "spare")
    assign(env, people[str(Role.SECRETARY)], practice)
    app = create_app(settings, db, env=env)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            item_id, envelope = seal(people[str(Role.SECRETARY)], practice)
            world = RouteWorld(
                env,
                db,
                client,
                [r for r in app.routes if isinstance(r, Route)],
                people,
                practice,
                item_id,
                spare.id,
            )
            deposited = world.request(
                str(Role.SECRETARY),
                "POST",
                "/items",
                json={
                    "item_id": item_id,
                    "practice_id": practice.id,
                    "envelope": b64url_encode(envelope),
                },
            )
            assert deposited.status_code == 201, deposited.text
            world.params = {
                "item_id": [item_id, str(uuid.uuid4())],
                "practice_id": [practice.id, str(uuid.uuid4())],
                "account_id": [spare.id, str(uuid.uuid4())],
                "upload_id": [str(uuid.uuid4())],
                "offset": ["0", "65536"],
                "index": ["0", "1", "999999"],
                "handle": ["0011223344556677"],
                "token": ["not-a-real-token"],
                "code": ["en", "fr"],
            }
            yield world
    finally:
        db.close()
