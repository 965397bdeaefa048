"""What tests arrange, in one place: open vaults, practices, accounts with real keys,
sessions, sealed envelopes, and the items ``world`` fixture (registered in conftest.py).

Vaults are opened as the server and the commands open them (``open_test_vault``
is ``vault.opening.open_vault`` with a test's clock). Accounts are written
straight into the database (keys made here with ``crypto/``, as a browser would
make them) so that tests do not pay for Argon2 at every enrolment; sign-in
itself is tested elsewhere (``tests/people.py`` enrols as a browser does).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest

from audit.log import AuditLog
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, seal_item
from crypto.grants import GrantKind, PracticeKeyPair, seal_grant
from crypto.secret import Secret
from crypto.signing import SigningKey
from crypto.stream import FileManifest, encrypt_stream, new_file_key
from crypto.user_keys import UserKeyPair
from vault.clock import Clock as ClockType
from vault.clock import iso, utc_now
from vault.env import Env, Principal, RequestInfo
from vault.identity import sessions
from vault.identity.roles import Role
from vault.ids import new_uuid
from vault.items import deposits, uploads
from vault.opening import Vault, open_vault
from vault.settings import Settings
from vault.storage.database import Database
from vault.storage.store import Connection

REQ = RequestInfo(request_id="test", ip="127.0.0.1")


def open_test_vault(
    settings: Settings,
    *,
    now: ClockType = utc_now,
    database_type: type[Database] = Database,
) -> Vault:
    """An initialised vault opened the one way there is; the caller closes it."""
    return open_vault(settings, now=now, database_type=database_type)


class Clock:
    """A settable clock for ``Env.now``."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class Person:
    principal: Principal
    keys: UserKeyPair

    @property
    def id(self) -> str:
        return self.principal.account_id


@dataclass
class PracticeKeys:
    id: str
    keys: PracticeKeyPair
    members: list[Person] = field(default_factory=list)


def add_practice(env: Env, name: str) -> PracticeKeys:
    keys = PracticeKeyPair.generate()
    pid = new_uuid()
    env.db.write(
        lambda c: c.execute(
            "INSERT INTO practice (id, name, public_key, created_at) VALUES (?, ?, ?, ?)",
            (pid, name, keys.public_key, iso(env.now())),
        )
    )
    return PracticeKeys(pid, keys)


def add_account(
    env: Env,
    role: Role,
    username: str,
    practice: PracticeKeys | None = None,
    *,
    granted: bool = True,
) -> Person:
    """An active account; a member of ``practice`` holds its key unless ``granted=False``
    (a member no colleague has approved yet)."""
    keys = UserKeyPair.generate()
    aid = new_uuid()
    pid = practice.id if practice else None
    public = keys.public_keys

    def tx(conn: Connection) -> None:
        conn.execute(
            "INSERT INTO account (id, username, display_name, role, practice_id, status,"
            " x25519_pk, ed25519_pk, created_at, enrolled_at)"
            " VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?)",
            (
                aid,
                username,
                username.title(),
                str(role),
                pid,
                public.x25519,
                public.ed25519,
                iso(env.now()),
                iso(env.now()),
            ),
        )
        if practice is not None and granted:
            sealed = seal_grant(
                GrantKind.PRACTICE_SECRET_KEY,
                uuid.UUID(practice.id),
                practice.keys.secret_key,
                public.x25519,
            )
            conn.execute(
                "INSERT INTO practice_grant (practice_id, account_id, sealed, created_at)"
                " VALUES (?, ?, ?, ?)",
                (practice.id, aid, sealed, iso(env.now())),
            )

    env.db.write(tx)
    person = Person(Principal(aid, username, role, pid), keys)
    if practice is not None:
        practice.members.append(person)
    return person


def assign(env: Env, secretary: Person, practice: PracticeKeys) -> None:
    env.db.write(
        lambda c: c.execute(
            "INSERT INTO assignment (secretary_id, practice_id, created_at) VALUES (?, ?, ?)",
            (secretary.id, practice.id, iso(env.now())),
        )
    )


def session_for(env: Env, person: Person) -> tuple[str, str]:
    """A signed-in session (cookie token, CSRF token), as a successful login leaves."""
    return env.db.write(lambda c: sessions.create(env, c, person.id, "127.0.0.1", "test"))


def call_note_body(canary: str = "") -> dict[str, object]:
    return {
        "caller_name": f"Jeanne Dupont {canary}",
        "caller_is": "third_party",
        "callback_number": f"+33 6 12 34 56 78 {canary}",
        "reason": f"Renouvellement d'ordonnance {canary}",
        "best_time": f"après 17 h {canary}",
        "notes": f"Rappeler avant vendredi {canary}",
    }


CALL_STARTED_AT = datetime(2026, 11, 28, 8, 55, tzinfo=UTC)  # what ``seal`` signs by default
CALL_SECONDS = 95


def seal(
    author: Person,
    practice: PracticeKeys,
    *,
    kind: ItemKind = ItemKind.CALL_NOTE,
    urgency: Urgency = Urgency.NORMAL,
    item_id: str | None = None,
    client_id: str | None = None,
    author_id: str | None = None,
    body: bytes | None = None,
    call_started_at: datetime = CALL_STARTED_AT,
    call_seconds: int = CALL_SECONDS,
) -> tuple[str, bytes]:
    """(item id, envelope) sealed and signed by ``author`` for ``practice``; a call note
    signs ``call_started_at`` and ``call_seconds`` in its header."""
    iid = item_id or str(uuid.uuid4())
    is_call = kind == ItemKind.CALL_NOTE
    header = ItemHeader(
        kind=kind,
        urgency=urgency,
        item_id=uuid.UUID(iid),
        client_id=uuid.UUID(client_id or practice.id),
        author_id=uuid.UUID(author_id or author.id),
        call_started_at=int(call_started_at.timestamp()) if is_call else 0,
        call_seconds=call_seconds if is_call else 0,
    )
    data = body if body is not None else encode_body(call_note_body())
    return iid, seal_item(header, data, practice.keys.public_key, author.keys.signing_key)


def encrypted_file(data: bytes, name: str = "extract.csv") -> tuple[bytes, FileManifest]:
    """(stream, manifest) of a file, as the depositor's browser makes them."""
    key: Secret = new_file_key()
    out = BytesIO()
    info = encrypt_stream(BytesIO(data), out, key)
    return out.getvalue(), FileManifest(name, "text/csv", info.size, key, info.stream_hash)


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


@dataclass
class World:
    env: Env
    clock: Clock
    practice: PracticeKeys
    other: PracticeKeys
    member: Person
    outsider: Person  # a member of the other practice
    secretary: Person
    stranger: Person  # a secretary not assigned to the practice


@pytest.fixture(name="world")
def world_fixture(vault: Vault) -> World:
    clock = Clock()
    env = vault.with_env(now=clock).env
    practice = add_practice(env, "Cabinet Martin")
    other = add_practice(env, "Étude Durand")
    member = add_account(env, Role.MEMBER, "dr.martin@example.org", practice)
    outsider = add_account(env, Role.MEMBER, "me.durand@example.org", other)
    secretary = add_account(env, Role.SECRETARY, "sophie")
    stranger = add_account(env, Role.SECRETARY, "sam")
    assign(env, secretary, practice)
    assign(env, stranger, other)
    created_at(env, clock.at - timedelta(days=30))
    return World(env, clock, practice, other, member, outsider, secretary, stranger)


def created_at(env: Env, at: datetime) -> None:
    """Date the vault's creation (its first migration) ``at``: the test clock is fixed in
    the past, and a call cannot start before the vault existed."""
    env.db.write(
        lambda c: c.execute(
            "UPDATE schema_migrations SET applied_at = ? WHERE number = 1", (iso(at),)
        )
    )


def deposit_as_secretary(w: World, envelope: bytes, item_id: str, **kw: object) -> deposits.Receipt:
    d = deposits.Deposit(item_id=item_id, practice_id=w.practice.id, envelope=envelope)
    return deposits.deposit(w.env, REQ, w.secretary.principal, replace(d, **kw))  # type: ignore[arg-type]


def deposit_item(
    w: World,
    *,
    kind: ItemKind = ItemKind.CALL_NOTE,
    urgency: Urgency = Urgency.NORMAL,
    body: bytes | None = None,
    form_template: str | None = None,
) -> str:
    """The id of an item ``w.secretary`` seals for ``w.practice`` (a call note with
    ``seal``'s body unless told otherwise) and deposits through the use case."""
    iid, envelope = seal(w.secretary, w.practice, kind=kind, urgency=urgency, body=body)
    deposit_as_secretary(w, envelope, iid, form_template=form_template)
    return iid


def deposit_form(
    w: World,
    template_id: str,
    template_name: str,
    values: Mapping[str, object] | None = None,
    *,
    kind: ItemKind = ItemKind.FORM,
) -> str:
    """The id of a form filled from version 1 of template ``template_id`` and deposited by
    ``w.secretary``; with another ``kind`` the same body is sealed as that kind and names
    no template (an item that is not a form)."""
    body = {
        "template_id": template_id,
        "template_version": 1,
        "template_name": template_name,
        "values": dict(values or {}),
    }
    template = template_id if kind == ItemKind.FORM else None
    return deposit_item(w, kind=kind, body=encode_body(body), form_template=template)


def assigned_secretary(env: Env, username: str, practice: PracticeKeys) -> Person:
    """Another secretary assigned to ``practice``: a colleague of the one who deposited."""
    colleague = add_account(env, Role.SECRETARY, username)
    assign(env, colleague, practice)
    return colleague


def audit_actions(env: Env) -> list[str]:
    log = AuditLog()
    return env.db.read(lambda c: [json.loads(leaf)["action"] for leaf in log.leaves(c)])


def upload_stream(w: World, item_id: str, stream: bytes, part: int = 100_000) -> str:
    up = uploads.start_upload(
        w.env, REQ, w.secretary.principal, w.practice.id, item_id, len(stream)
    )
    for offset in range(0, len(stream), part):
        piece = stream[offset : offset + part]
        uploads.append(w.env, REQ, w.secretary.principal, up.id, offset, [piece], len(piece))
    return up.id


@dataclass(frozen=True)
class Seeded:
    """One item for ``seed_items``: a call note or a message with its body and time."""

    body: dict[str, object]
    deposited_at: datetime
    kind: ItemKind = ItemKind.CALL_NOTE
    urgency: Urgency = Urgency.NORMAL


def seed_items(
    env: Env,
    practice_id: str,
    practice_public_key: bytes,
    author_id: str,
    signing_key: SigningKey,
    items: list[Seeded],
) -> list[str]:
    """Many items at once, sealed and signed as a depositor's browser does, written in one
    transaction straight into the item table (no deposit entries: arrangement, not the use
    case, which ``tests/vault/items/test_deposits.py`` covers). Returns their ids."""
    rows = []
    for s in items:
        iid = str(uuid.uuid4())
        is_call = s.kind == ItemKind.CALL_NOTE
        started = int(s.deposited_at.timestamp()) - 120 if is_call else 0
        header = ItemHeader(
            kind=s.kind,
            urgency=s.urgency,
            item_id=uuid.UUID(iid),
            client_id=uuid.UUID(practice_id),
            author_id=uuid.UUID(author_id),
            call_started_at=started,
            call_seconds=60 if is_call else 0,
        )
        envelope = seal_item(header, encode_body(s.body), practice_public_key, signing_key)
        kind = "call_note" if is_call else "message"
        at = iso(s.deposited_at)
        call_at = iso(datetime.fromtimestamp(started, UTC)) if is_call else None
        pinned = int(s.urgency == Urgency.URGENT)
        seconds = 60 if is_call else None
        size = len(envelope)
        urgency = int(s.urgency)
        rows.append(
            (
                iid,
                practice_id,
                author_id,
                kind,
                urgency,
                pinned,
                at,
                envelope,
                size,
                call_at,
                seconds,
            )
        )

    def tx(conn: Connection) -> None:
        conn.executemany(
            "INSERT INTO item (id, practice_id, author_id, kind, urgency, pinned, status,"
            " deposited_at, envelope, size, blob_size, call_started_at, call_seconds)"
            " VALUES (?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, NULL, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO item_status (item_id, status, account_id, at) VALUES (?, 'new', ?, ?)",
            [(r[0], author_id, r[6]) for r in rows],
        )

    env.db.write(tx)
    return [str(r[0]) for r in rows]
