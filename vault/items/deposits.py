"""Depositing items: resumable uploads of extract streams, then the signed envelope.

The server sees ciphertext and the metadata of docs/design.md §4 only. It checks what
it can without any secret — the envelope's structure, version, size and
author's signature (``crypto.check_envelope``), that the signed ids name this
item, an assigned practice and the signed-in secretary — and refuses anything
else with one clear sentence. A deposit is idempotent by item id: the same
envelope sent again (a retry after a dropped connection) is answered as a
success; a different one under a used id is a conflict.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from anyio import to_thread

from audit.entry import Action
from crypto.envelope import (
    MIN_ENVELOPE_BYTES,
    ItemHeader,
    ItemKind,
    Urgency,
    check_envelope,
    read_unverified_header,
)
from crypto.errors import CryptoError, UnsupportedVersion
from crypto.signing import VerifyKey
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import BlobExists, Conflict, InvalidInput
from vault.ids import is_uuid
from vault.items.access import (
    Denied,
    assigned,
    deny,
    read_or_deny,
    record_access,
    write_or_deny,
    write_or_deny_async,
)
from vault.items.calltime import check_call_time, stored_call_time, vault_created_at_known
from vault.items.uploads import (
    DUPLICATE,
    Upload,
    blob_store,
    upload_status,
)
from vault.items.vocabulary import Kind, UrgencyLevel
from vault.notify import engine
from vault.storage.store import Connection

MAX_ENVELOPE_BYTES = 256 * 1024
# An envelope up to this size has its signature checked on the event loop (a call note's,
# about 600 bytes, in about 75 µs here): handing the check to a worker thread and back
# costs more than the check (docs/performance.md, "Deposits", session 6).
CHECK_ON_LOOP_BYTES = 16 * 1024

BAD_ENVELOPE = "The envelope is not valid: its structure, size or signature is wrong."
MISMATCH = "The envelope does not match this deposit: item, practice or author differ."
BAD_VERSION = "This format version is not supported."
INCOMPLETE = "The upload is not complete yet."
FILE_RULE = "An extract needs its uploaded file, and only an extract has one."
FORM_RULE = "A form names the id of its template, and only a form does."

_publish_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Deposit:
    """What a secretary's browser sends once the envelope is sealed and signed."""

    item_id: str
    practice_id: str
    envelope: bytes
    upload_id: str | None = None
    call_started_at: datetime | None = None
    call_seconds: int | None = None
    # A form's template id in clear (docs/format.md §5): server metadata for reports and
    # records, not signed apart from the body's template_id, which the practice compares.
    form_template: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    item_id: str
    created: bool  # False: the very same deposit had already been stored


@dataclass(frozen=True, slots=True)
class _Checked:
    """A deposit checked before writing: what the row takes from its verified header."""

    kind: int
    urgency: int
    call_started_at: datetime | None = None  # the signed call time (``stored_call_time``)
    call_seconds: int | None = None
    stored: bool = False  # True: this very deposit is stored already (a retry)

    @classmethod
    def of(cls, header: ItemHeader, *, stored: bool = False) -> _Checked:
        started, seconds = stored_call_time(header)
        return cls(int(header.kind), int(header.urgency), started, seconds, stored)


# -- the deposit -----------------------------------------------------------------


def _check_envelope(
    env: Env, deposit: Deposit, principal: Principal, author_key: bytes
) -> _Checked:
    """The kind and urgency of a valid envelope for this deposit, else a clear refusal."""
    envelope = deposit.envelope
    if len(envelope) > MAX_ENVELOPE_BYTES or len(envelope) < MIN_ENVELOPE_BYTES:
        if envelope[:1] not in (b"", b"\x01"):
            raise InvalidInput(BAD_VERSION)
        raise InvalidInput(BAD_ENVELOPE)
    try:
        header = check_envelope(envelope, VerifyKey(author_key))
    except UnsupportedVersion:
        raise InvalidInput(BAD_VERSION) from None
    except CryptoError:
        raise InvalidInput(BAD_ENVELOPE) from None
    expected = (
        uuid.UUID(deposit.item_id),
        uuid.UUID(deposit.practice_id),
        uuid.UUID(principal.account_id),
    )
    if (header.item_id, header.client_id, header.author_id) != expected:
        raise InvalidInput(MISMATCH)
    if (header.kind == ItemKind.EXTRACT) != (deposit.upload_id is not None):
        raise InvalidInput(FILE_RULE)
    if (header.kind == ItemKind.FORM) != (deposit.form_template is not None) or (
        deposit.form_template is not None and not is_uuid(deposit.form_template)
    ):
        raise InvalidInput(FORM_RULE)
    check_call_time(env, header, deposit.call_started_at, deposit.call_seconds)
    return _Checked.of(header)


def deposit(env: Env, request: RequestInfo, principal: Principal, d: Deposit) -> Receipt:
    """Check and store one item; for an extract, its finished upload becomes the item's blob.

    The one way to deposit (``deposit_async`` is the same for a coroutine). Ids the
    principal may not reach are an audited 404; the identical deposit sent again is
    a success (``Receipt.created`` False); a different one under a used id a conflict.
    """
    checked = _check(env, request, principal, d)
    if checked.stored:
        return Receipt(d.item_id, created=False)
    if d.upload_id is None:
        return write_or_deny(
            env, request, principal, _note_transaction(env, request, principal, d, checked)
        )
    return _publish(env, request, principal, d, checked)


async def deposit_async(
    env: Env, request: RequestInfo, principal: Principal, d: Deposit
) -> Receipt:
    """``deposit`` for the web server: a note or message waiting for its commit costs a
    coroutine, not a thread (group commit at its best); an extract runs in a thread."""
    if d.upload_id is not None:
        return await to_thread.run_sync(deposit, env, request, principal, d)
    checked = _check_on_loop(env, principal, d)
    if checked is None:  # a refusal (which may be an audited 404), or not checkable here
        checked = await to_thread.run_sync(_check, env, request, principal, d)
    if checked.stored:
        return Receipt(d.item_id, created=False)
    tx = _note_transaction(env, request, principal, d, checked)
    return await write_or_deny_async(env, request, principal, tx)


def _note_transaction(
    env: Env, request: RequestInfo, principal: Principal, d: Deposit, checked: _Checked
) -> Callable[[Connection], Receipt]:
    """The writer transaction that stores a checked deposit without a file."""

    def tx(conn: Connection) -> Receipt:
        if not assigned(conn, principal, d.practice_id):
            raise Denied(practice=d.practice_id, item=d.item_id)
        return _insert(env, conn, request, principal, d, checked)

    return tx


def _check_on_loop(env: Env, principal: Principal, d: Deposit) -> _Checked | None:
    """``_check``'s fast path where it reads nothing and costs little: a note or message
    under ``CHECK_ON_LOOP_BYTES`` whose author key the session gave. None for anything
    else, and for any refusal: ``_check`` then decides it (the 404 of a practice the
    secretary does not serve takes a read, and an audit entry)."""
    key = principal.ed25519_public_key
    if (
        key is None
        or d.upload_id is not None
        or len(d.envelope) > CHECK_ON_LOOP_BYTES
        or not vault_created_at_known(env)
        or not is_uuid(d.item_id)
        or not is_uuid(d.practice_id)
    ):
        return None
    try:
        return _check_envelope(env, d, principal, key)
    except InvalidInput:
        return None


def _check(env: Env, request: RequestInfo, principal: Principal, d: Deposit) -> _Checked:
    """Everything checked before writing: assignment, author key, duplicates, envelope.

    An identical deposit already stored is ``stored`` (a retry after a dropped
    connection is a success, not an error).
    """
    if not is_uuid(d.item_id) or not is_uuid(d.practice_id):
        raise InvalidInput()
    if principal.ed25519_public_key is not None and d.upload_id is None:
        # Fast path (the web server): the session gave the key; assignment and duplicate
        # checks happen inside the writer's transaction (``_note_transaction``).
        try:
            return _check_envelope(env, d, principal, principal.ed25519_public_key)
        except InvalidInput:
            # Ids of a practice one does not serve are a 404 whatever the envelope holds.
            if not env.db.read(lambda c: assigned(c, principal, d.practice_id)):
                raise deny(
                    env, request, principal, practice=d.practice_id, item=d.item_id
                ) from None
            raise

    def look(conn: Connection) -> tuple[bool, bytes | None, bytes | None]:
        serves = assigned(conn, principal, d.practice_id)
        key = conn.execute(
            "SELECT ed25519_pk FROM account WHERE id = ?", (principal.account_id,)
        ).fetchone()
        stored = conn.execute(
            "SELECT envelope, author_id FROM item WHERE id = ?", (d.item_id,)
        ).fetchone()
        same = None
        if stored is not None:
            same = bytes(stored[0]) if stored[1] == principal.account_id else b""
        return serves, None if key is None or key[0] is None else bytes(key[0]), same

    serves, author_key, stored = env.db.read(look)
    if not serves or author_key is None or stored == b"":
        # stored == b"": another author's item id, not confirmed to exist (404 as any foreign id)
        raise deny(env, request, principal, practice=d.practice_id, item=d.item_id)
    if stored is not None:
        if stored == d.envelope:
            # The very envelope stored (checked when it was): its header is sound.
            return _Checked.of(read_unverified_header(d.envelope), stored=True)
        raise Conflict(DUPLICATE)
    return _check_envelope(env, d, principal, author_key)


def _publish(
    env: Env, request: RequestInfo, principal: Principal, d: Deposit, checked: _Checked
) -> Receipt:
    assert d.upload_id is not None  # noqa: S101 - only called for extracts
    with _publish_lock:  # no two deposits of one item id publish over each other
        upload = upload_status(env, request, principal, d.upload_id)
        if upload.item_id != d.item_id:
            raise InvalidInput(MISMATCH)
        if upload.received != upload.total:
            raise Conflict(INCOMPLETE)
        blobs = blob_store(env)
        if blobs.read_head(d.upload_id, d.item_id, 1) != b"\x01":
            raise InvalidInput(BAD_VERSION)
        if blobs.has_item(d.item_id) and env.db.read(
            lambda c: c.execute("SELECT 1 FROM item WHERE id = ?", (d.item_id,)).fetchone()
        ):
            raise Conflict(DUPLICATE)
        try:
            blobs.publish(d.upload_id, d.item_id, upload.total)  # durable BEFORE the row commits
        except BlobExists:  # another upload's blob under this id (a concurrent twin's)
            raise Conflict(DUPLICATE) from None
        return write_or_deny(
            env,
            request,
            principal,
            lambda conn: _insert(env, conn, request, principal, d, checked, upload),
        )


def _insert(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    principal: Principal,
    d: Deposit,
    checked: _Checked,
    upload: Upload | None = None,
) -> Receipt:
    kind, urgency = checked.kind, checked.urgency
    now = iso(env.now())
    # The signed call time (_check verified this envelope and compared the clear one).
    call_started_at, call_seconds = checked.call_started_at, checked.call_seconds
    blob_size = None if upload is None else upload.total
    size = len(d.envelope) + (blob_size or 0)
    kind_name = Kind.of(ItemKind(kind)).value
    # One statement for the usual case: the id is new. A used id inserts nothing and is
    # looked at after (issue 18: no read before every insert).
    inserted = conn.execute(
        "INSERT INTO item (id, practice_id, author_id, kind, urgency, pinned, status,"
        " deposited_at, envelope, size, blob_size, call_started_at, call_seconds,"
        " form_template_id) VALUES (?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO NOTHING",
        (
            d.item_id,
            d.practice_id,
            principal.account_id,
            kind_name,
            urgency,
            int(urgency == Urgency.URGENT),
            now,
            d.envelope,
            size,
            blob_size,
            None if call_started_at is None else iso(call_started_at),
            call_seconds,
            d.form_template if kind == ItemKind.FORM else None,
        ),
    ).rowcount
    if inserted != 1:  # a retry, a concurrent twin, or someone else's id
        stored = conn.execute(
            "SELECT envelope, author_id FROM item WHERE id = ?", (d.item_id,)
        ).fetchone()
        if stored[1] != principal.account_id:
            # another author's id: not confirmed to exist (audited 404)
            raise Denied(practice=d.practice_id, item=d.item_id)
        if bytes(stored[0]) == d.envelope:
            return Receipt(d.item_id, created=False)
        raise Conflict(DUPLICATE)
    conn.execute(
        "INSERT INTO item_status (item_id, status, account_id, at) VALUES (?, 'new', ?, ?)",
        (d.item_id, principal.account_id, now),
    )
    if upload is not None:
        conn.execute("DELETE FROM upload WHERE id = ?", (upload.id,))
    record_access(
        env,
        conn,
        request,
        principal,
        Action.ITEM_DEPOSITED,
        d.practice_id,
        d.item_id,
        {"kind": kind_name, "urgency": UrgencyLevel.of(Urgency(urgency)).value, "size": size},
    )
    if urgency == Urgency.URGENT:
        engine.start(env, conn, d.item_id, d.practice_id, principal.account_id)
    return Receipt(d.item_id, created=True)


# Which ids have a row. A blob is kept while an upload still names its item: a deposit
# that published it and then failed to commit can be retried until the upload expires.
_KNOWN_ITEMS = (
    "SELECT id FROM item WHERE id IN ({0}) UNION SELECT item_id FROM upload WHERE item_id IN ({0})"
)
_KNOWN_UPLOADS = "SELECT id FROM upload WHERE id IN ({0})"


def collect_orphans(env: Env, *, now: float | None = None) -> int:
    """Remove blobs without an item (nor an upload still naming it) and upload parts
    without an upload, over an hour old; forget uploads abandoned for a day. Returns how
    many blobs and uploads went. ``now`` (seconds since the epoch, the stored files'
    clock) is for tests."""

    def known(query: str) -> Callable[[list[str]], set[str]]:
        def check(ids: list[str]) -> set[str]:
            sql = query.format(",".join("?" * len(ids)))
            args = ids * sql.count("IN (")
            return env.db.read(lambda c: {str(r[0]) for r in c.execute(sql, args)})

        return check

    cutoff = iso(env.now() - timedelta(days=1))
    env.db.write(lambda c: c.execute("DELETE FROM upload WHERE created_at < ?", (cutoff,)))
    removed = blob_store(env).collect_orphans(known(_KNOWN_ITEMS), known(_KNOWN_UPLOADS), now=now)
    return len(removed)


def assigned_practice(
    env: Env, request: RequestInfo, principal: Principal, practice_id: str
) -> tuple[str, bytes]:
    """(name, public key) of a practice the secretary serves; 404 (audited) for any other."""

    def read(conn: Connection) -> tuple[str, bytes]:
        if not assigned(conn, principal, practice_id):
            raise Denied(practice=practice_id)
        name, key = conn.execute(
            "SELECT name, public_key FROM practice WHERE id = ?", (practice_id,)
        ).fetchone()
        return str(name), bytes(key)

    return read_or_deny(env, request, principal, read)
