"""Resumable uploads of extract streams, before their envelope is deposited.

An upload grows in the blob store (``vault/storage/blobs/``) part by part; each part
is idempotent by offset, so a browser whose connection dropped asks where the
upload stands (``upload_status``) and resumes from there.

A part may arrive before the one it continues has been stored (a browser keeps two on
the wire, so the next body crosses the network while the server writes, fsyncs and
records the previous one): it waits, a bounded time (``upload_part_wait_seconds``), until
the acknowledged offset reaches its own, then is written. The web route waits
(``admit``) *before* reading the body, so a waiting part holds no body in memory, and
only a part at most one part ahead may wait, two per account and sixteen per process.
Nothing is acknowledged before it is durable and contiguous; a part still waiting when
the time is up is refused (``OUT_OF_ORDER``, 409) and the browser resumes from the
server's offset. The wait is woken by the part it waits for when both reach the same
process, and reads the offset again every ``_POLL_SECONDS`` otherwise (the distributed
backend: parts may reach different processes, and nothing about an upload is kept in
memory but who waits on it).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from crypto.stream import CHUNK_OVERHEAD, CIPHER_CHUNK_BYTES, PREFIX_BYTES, stream_length
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import Conflict, InvalidInput
from vault.identity.roles import Role
from vault.ids import is_uuid, new_uuid
from vault.items.access import Denied, assigned, deny, read_or_deny
from vault.storage.blobs import BlobStore, open_blob_store
from vault.storage.store import Connection

DUPLICATE = "This item id is already used by another item."
TOO_LARGE = "The file is larger than this vault accepts."
BAD_STREAM = "The uploaded file stream is not valid."
OUT_OF_ORDER = "This part does not continue the upload: resume from the server's offset."

# How often a waiting part reads the acknowledged offset again (another process may have
# stored the part it waits for); a part of this process wakes it at once.
_POLL_SECONDS = 0.25
# The largest part the web route reads (the browser sends parts of this size, the last
# shorter): fewer round trips and fsyncs.
MAX_PART_BYTES = 8 * 1024 * 1024
# Parts that may wait at once for their turn, per upload, per account and in the whole
# process (each holds a thread while it waits): more are refused at once, as before
# waiting. Two per account is what a browser with two parts in flight needs (one waiting)
# with a resend, or two tabs; one account cannot fill the process's slots.
MAX_WAITING_PER_UPLOAD = 3
MAX_WAITING_PER_ACCOUNT = 2
MAX_WAITING = 16
# How far ahead of the acknowledged offset a part may wait: the browser keeps two parts in
# flight, so a part arrives at most one part ahead; anything further is refused at once.
MAX_AHEAD_BYTES = MAX_PART_BYTES


@dataclass(eq=False)
class _Turn:
    """Who writes an upload now (the lock), and the parts waiting for their offset."""

    ready: threading.Condition = field(default_factory=threading.Condition)
    waiting: int = 0


# One turn per upload in progress; forgotten as soon as no request holds it.
_turns: weakref.WeakValueDictionary[str, _Turn] = weakref.WeakValueDictionary()
_turns_guard = threading.Lock()
_all = _Turn()  # its ``waiting``: the parts waiting in this whole process, under _turns_guard
# Parts waiting per account, under _turns_guard; an account waiting on nothing has no key.
_waiting_by_account: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class Upload:
    id: str
    item_id: str
    total: int
    received: int


def stream_limit(plain_limit: int) -> int:
    """Largest file stream for a plaintext limit (lengths grow with sizes)."""
    return stream_length(plain_limit)


def valid_stream_length(total: int) -> bool:
    """Whether a writer makes streams of ``total`` bytes (docs/format.md §6): full chunks,
    then a last one of 1..65536 plaintext bytes; a lone empty chunk only for an empty file."""
    body = total - PREFIX_BYTES
    if body == CHUNK_OVERHEAD:  # an empty file
        return True
    last = body % CIPHER_CHUNK_BYTES
    return body > CHUNK_OVERHEAD and (last == 0 or last > CHUNK_OVERHEAD)


def blob_store(env: Env) -> BlobStore:
    """The vault's blob store (the blob directory or the object store), opened once."""
    return open_blob_store(env.settings)


def _turn(upload_id: str) -> _Turn:
    with _turns_guard:
        turn = _turns.get(upload_id)
        if turn is None:
            turn = _turns[upload_id] = _Turn()
        return turn


def start_upload(
    env: Env, request: RequestInfo, principal: Principal, practice_id: str, item_id: str, total: int
) -> Upload:
    """Open (or resume) the upload of an extract's stream of ``total`` bytes."""
    if not env.db.read(lambda c: assigned(c, principal, practice_id)):
        raise deny(env, request, principal, practice=practice_id)
    if not is_uuid(item_id):
        raise InvalidInput()
    if total > stream_limit(env.settings.upload_limit_bytes):
        raise InvalidInput(TOO_LARGE)
    if not valid_stream_length(total):
        raise InvalidInput(BAD_STREAM)
    blobs = blob_store(env)
    upload_id = new_uuid(env.randbytes)

    def existing(conn: Connection) -> Upload | None:
        """The upload to resume, if there is one for this very stream."""
        owner = conn.execute("SELECT author_id FROM item WHERE id = ?", (item_id,)).fetchone()
        if owner is not None:
            if owner[0] == principal.account_id:
                raise Conflict(DUPLICATE)
            # Someone else's item id is not confirmed to exist (404, like any foreign id).
            raise Denied(practice=practice_id, item=item_id)
        row = conn.execute(
            "SELECT id, total, received FROM upload WHERE author_id = ? AND item_id = ?",
            (principal.account_id, item_id),
        ).fetchone()
        if row is None or int(row[1]) != total:
            return None
        return Upload(str(row[0]), item_id, int(row[1]), int(row[2]))

    found = read_or_deny(env, request, principal, existing)
    if found is not None:
        return found
    blobs.create_upload(upload_id)  # before the row: a failed insert leaves an orphan file only

    def tx(conn: Connection) -> Upload:
        old = conn.execute(
            "SELECT id FROM upload WHERE author_id = ? AND item_id = ?",
            (principal.account_id, item_id),
        ).fetchone()
        if old is not None:  # restarted with another file for the same item: start afresh
            conn.execute("DELETE FROM upload WHERE id = ?", (old[0],))
        conn.execute(
            "INSERT INTO upload (id, item_id, practice_id, author_id, total, received, created_at)"
            " VALUES (?, ?, ?, ?, ?, 0, ?)",
            (upload_id, item_id, practice_id, principal.account_id, total, iso(env.now())),
        )
        return Upload(upload_id, item_id, total, 0)

    return env.db.write(tx)


def _own_upload(conn: Connection, principal: Principal, upload_id: str) -> Upload:
    """The principal's own upload ``upload_id``; ``Denied`` for anyone else's or none."""
    if principal.role != Role.SECRETARY or not is_uuid(upload_id):
        raise Denied(upload=upload_id)
    row = conn.execute(
        "SELECT u.item_id, u.total, u.received FROM upload u JOIN assignment s"
        " ON s.secretary_id = u.author_id AND s.practice_id = u.practice_id"
        " WHERE u.id = ? AND u.author_id = ?",
        (upload_id, principal.account_id),
    ).fetchone()
    if row is None:
        raise Denied(upload=upload_id)
    return Upload(upload_id, str(row[0]), int(row[1]), int(row[2]))


def upload_status(env: Env, request: RequestInfo, principal: Principal, upload_id: str) -> Upload:
    """Where an upload stands: the browser resumes from ``received``."""
    return read_or_deny(env, request, principal, lambda c: _own_upload(c, principal, upload_id))


def admit(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    upload_id: str,
    offset: int,
    length: int | None,
    *,
    wait: float | None = None,
) -> Upload:
    """Before a part's body is read: the upload, once the part's turn has come.

    Refuses at once what could never go in (``length``, the declared body size, past the
    end; a part more than one part ahead; too many waiting), and otherwise waits like
    ``append``, so the body stays in the network's buffers rather than in memory."""
    turn = _turn(upload_id)
    with turn.ready:
        return _await_offset(env, request, principal, upload_id, offset, turn, wait, length)


def append(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    upload_id: str,
    offset: int,
    parts: Iterable[bytes],
    length: int,
    *,
    wait: float | None = None,
) -> Upload:
    """Write ``length`` bytes at ``offset``; idempotent for a part already acknowledged.

    A part beyond the acknowledged offset waits up to ``wait`` seconds (default: the
    settings' ``upload_part_wait_seconds``) for the parts before it, then is refused. A part
    overlapping acknowledged bytes adds only what lies beyond them: acknowledged bytes are
    never rewritten (the stream hash, checked at every read, answers for their content)."""
    turn = _turn(upload_id)
    with turn.ready:
        upload = _await_offset(env, request, principal, upload_id, offset, turn, wait, length)
        if offset + length <= upload.received:
            return upload  # a retried part the server already holds
        held = upload.received - offset  # > 0: the part starts inside what is acknowledged
        try:
            if held > 0:
                received = blob_store(env).write_at(upload_id, upload.received, _after(parts, held))
            else:
                received = blob_store(env).write_at(upload_id, offset, parts)
            if received != offset + length:
                raise InvalidInput(BAD_STREAM)
            acknowledge(env, upload_id, received)
        finally:
            turn.ready.notify_all()  # the next part, or one retried after this one failed
        return Upload(upload_id, upload.item_id, upload.total, received)


def _after(parts: Iterable[bytes], skip: int) -> Iterator[bytes]:
    """``parts`` without their first ``skip`` bytes."""
    for part in parts:
        if skip >= len(part):
            skip -= len(part)
            continue
        yield part[skip:] if skip else part
        skip = 0


def _await_offset(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    upload_id: str,
    offset: int,
    turn: _Turn,
    wait: float | None = None,
    length: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Upload:
    """The upload once its acknowledged offset reaches ``offset`` (``turn.ready`` held);
    ``Conflict(OUT_OF_ORDER)`` when it has not within ``wait`` seconds, or when the part may
    not wait (too far ahead, or too many parts wait already); ``TOO_LARGE`` at once for a
    part of ``length`` bytes that would end past the stream."""
    upload = upload_status(env, request, principal, upload_id)
    if offset < 0:
        raise Conflict(OUT_OF_ORDER)
    if length is not None and offset + length > upload.total:
        raise InvalidInput(TOO_LARGE)
    if offset <= upload.received:
        return upload
    if offset >= upload.total or offset - upload.received > MAX_AHEAD_BYTES:
        raise Conflict(OUT_OF_ORDER)  # no part in flight before it could bring the offset there
    account = principal.account_id
    with _turns_guard:
        if (
            turn.waiting >= MAX_WAITING_PER_UPLOAD
            or _waiting_by_account.get(account, 0) >= MAX_WAITING_PER_ACCOUNT
            or _all.waiting >= MAX_WAITING
        ):
            raise Conflict(OUT_OF_ORDER)
        turn.waiting += 1
        _all.waiting += 1
        _waiting_by_account[account] = _waiting_by_account.get(account, 0) + 1
    try:
        limit = env.settings.upload_part_wait_seconds if wait is None else wait
        deadline = clock() + limit
        while offset > upload.received:
            left = deadline - clock()
            if left <= 0:
                raise Conflict(OUT_OF_ORDER)
            turn.ready.wait(min(left, _POLL_SECONDS))
            upload = upload_status(env, request, principal, upload_id)
        return upload
    finally:
        with _turns_guard:
            turn.waiting -= 1
            _all.waiting -= 1
            left_waiting = _waiting_by_account[account] - 1
            if left_waiting:
                _waiting_by_account[account] = left_waiting
            else:
                del _waiting_by_account[account]


def acknowledge(env: Env, upload_id: str, received: int) -> None:
    """Record that the first ``received`` bytes are stored. Never backwards: another
    process may have acknowledged more of the same bytes meanwhile (a client retrying on
    another server), and what was acknowledged stays stored (the object store never cuts
    an upload; the blob directory serves one process, whose upload lock orders parts)."""
    env.db.write(
        lambda c: c.execute(
            "UPDATE upload SET received = ? WHERE id = ? AND received < ?",
            (received, upload_id, received),
        )
    )
