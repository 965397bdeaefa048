"""Publishing checkpoints to the witnesses of the policy (C2SP ``tlog-witness``).

For the latest checkpoint, each witness of the policy that has not cosigned
it yet gets an ``add-checkpoint`` request: the old size is the size of the
latest checkpoint that witness cosigned here (0 if none), with the
consistency proof from it. A ``409 Conflict`` names the size the witness
really holds: the request is sent again from that size, with that proof (at
most three times). A cosignature returned is checked against exactly the
checkpoint's body and the witness's key from the policy, and stored in
``audit_cosignatures`` (append-only, verified before storing) without an
audit entry of its own: the stored line is the evidence, and an entry per
cosignature would keep the log growing for its own witnesses.

With several server processes on one vault, a round runs in one process at a time
(``publish_round``, under the lease ``audit witnesses``, vault/leases.py): a witness
gets each checkpoint once, not once per process.

A checkpoint is **published** once the cosignatures stored for it meet the
policy's quorum (``is_published``). The network calls run outside any
database transaction; each cosignature is stored in its own write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from audit import note as notes
from audit.checkpoint import StoredCheckpoint
from audit.cosignature import CosignatureVerifier, timestamp_of
from audit.entry import format_time
from audit.errors import AuditError
from audit.issuer import add_cosignature, latest_checkpoint
from audit.keys import NoteVerifier
from audit.witness_client import TIMEOUT_SECONDS, Reply, add_checkpoint_body, post
from audit.witness_policy import PolicyWitness, WitnessPolicy, parse_policy
from vault import leases
from vault.env import Env
from vault.errors import ConfigError
from vault.settings import Settings
from vault.storage.store import Connection

ATTEMPTS = 3
LEASE = "audit witnesses"
Post = Callable[[str, bytes], Reply]


def load_policy(settings: Settings) -> WitnessPolicy | None:
    """The policy file the setting ``witness_policy`` names (relative: to the data directory)."""
    if not settings.witness_policy:
        return None
    path = Path(settings.witness_policy)
    if not path.is_absolute():
        path = settings.data_dir / path
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise ConfigError(f"the witness policy file {path} cannot be read") from None
    try:
        return parse_policy(text)
    except AuditError as e:
        raise ConfigError(f"the witness policy file {path} is wrong: {e}") from None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one witness did with a checkpoint: ``cosigned``, ``already``, ``refused``,
    ``unreachable`` or ``invalid`` (a cosignature that does not verify), and why."""

    witness: str
    state: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Publication:
    seq: int
    size: int
    outcomes: tuple[Outcome, ...]
    published: bool


@dataclass(frozen=True, slots=True)
class WitnessStatus:
    """One witness of the policy beside one checkpoint, for the console."""

    name: str
    key: str
    url: str
    cosigned: bool
    valid: bool
    timestamp: int | None  # the cosignature's own time (POSIX seconds)

    @property
    def at(self) -> str | None:
        """The cosignature's time, RFC 3339 UTC (for the pages' date filters)."""
        if self.timestamp is None:
            return None
        try:
            return format_time(datetime.fromtimestamp(self.timestamp, UTC))
        except (ValueError, OverflowError, OSError):
            return None


@dataclass(frozen=True, slots=True)
class CheckpointWitnessing:
    """One stored checkpoint and what the policy's witnesses did with it."""

    seq: int
    size: int
    issued_at: str
    witnesses: tuple[WitnessStatus, ...]
    published: bool


def cosigned_by(conn: Connection, seq: int, key: CosignatureVerifier) -> str | None:
    row = conn.execute(
        "SELECT line FROM audit_cosignatures WHERE seq = ? AND verifier = ?", (seq, str(key))
    ).fetchone()
    return None if row is None else str(row[0])


def last_cosigned_size(conn: Connection, key: CosignatureVerifier) -> int:
    """The size of the largest checkpoint ``key`` cosigned here (0 if none)."""
    row = conn.execute(
        "SELECT max(c.size) FROM audit_cosignatures s JOIN audit_checkpoints c USING (seq)"
        " WHERE s.verifier = ?",
        (str(key),),
    ).fetchone()
    return 0 if row is None or row[0] is None else int(row[0])


def witness_statuses(
    conn: Connection, policy: WitnessPolicy, seq: int, body: str
) -> list[WitnessStatus]:
    """Each witness of ``policy`` beside checkpoint ``seq`` (body ``body``), checked again."""
    out: list[WitnessStatus] = []
    for w in policy.witnesses:
        line = cosigned_by(conn, seq, w.key)
        if line is None:
            out.append(WitnessStatus(w.name, str(w.key), w.url, False, False, None))
            continue
        try:
            opened = notes.open_note(body + "\n" + line, [w.key])
            sig = next(s for s in opened.verified)
            out.append(
                WitnessStatus(w.name, str(w.key), w.url, True, True, timestamp_of(sig.signature))
            )
        except (AuditError, StopIteration):
            out.append(WitnessStatus(w.name, str(w.key), w.url, True, False, None))
    return out


def recent_witnessing(
    conn: Connection, policy: WitnessPolicy, limit: int = 10
) -> list[CheckpointWitnessing]:
    """The latest ``limit`` checkpoints, newest first, each with its witnesses' cosignatures."""
    out: list[CheckpointWitnessing] = []
    for seq, size, note, issued_at in conn.execute(
        "SELECT seq, size, note, issued_at FROM audit_checkpoints ORDER BY seq DESC LIMIT ?",
        (limit,),
    ).fetchall():
        try:
            body = notes.split(str(note))[0]
        except AuditError:
            body = str(note)
        statuses = tuple(witness_statuses(conn, policy, int(seq), body))
        published = policy.satisfied(s.name for s in statuses if s.valid)
        out.append(CheckpointWitnessing(int(seq), int(size), str(issued_at), statuses, published))
    return out


def is_published(conn: Connection, policy: WitnessPolicy, seq: int, body: str) -> bool:
    """Whether the valid cosignatures stored for checkpoint ``seq`` meet the quorum."""
    statuses = witness_statuses(conn, policy, seq, body)
    return policy.satisfied(s.name for s in statuses if s.valid)


def publish_latest(
    env: Env, server: NoteVerifier, policy: WitnessPolicy, *, send: Post = post
) -> Publication | None:
    """Ask every witness that has not cosigned the latest checkpoint; None before the first."""
    latest = env.db.read(lambda conn: latest_checkpoint(conn, server))
    if latest is None:
        return None
    outcomes = tuple(_ask(env, server, latest, w, send) for w in policy.witnesses)
    body = latest.checkpoint.body()
    published = env.db.read(lambda conn: is_published(conn, policy, latest.seq, body))
    return Publication(latest.seq, latest.checkpoint.size, outcomes, published)


def publish_round(
    env: Env,
    server: NoteVerifier,
    policy: WitnessPolicy,
    *,
    send: Post = post,
    holder: str = leases.PROCESS,
) -> Publication | None:
    """The server's round: ``publish_latest`` unless another process's round is running
    (None then, as before the first checkpoint)."""
    # Long enough for every request of the round (each witness, each attempt, timed out).
    seconds = (len(policy.witnesses) * ATTEMPTS + 1) * (TIMEOUT_SECONDS + 5)
    with leases.hold(env, LEASE, seconds, holder=holder) as held:
        return publish_latest(env, server, policy, send=send) if held else None


def _ask(
    env: Env, server: NoteVerifier, latest: StoredCheckpoint, w: PolicyWitness, send: Post
) -> Outcome:
    seq, size = latest.seq, latest.checkpoint.size
    if env.db.read(lambda conn: cosigned_by(conn, seq, w.key)) is not None:
        return Outcome(w.name, "already")
    old = env.db.read(lambda conn: last_cosigned_size(conn, w.key))
    for _ in range(ATTEMPTS):
        if old > size:
            return Outcome(w.name, "refused", f"the witness holds size {old}, beyond {size}")
        reply = send(w.url, add_checkpoint_body(old, _proof(env, old, size), latest.note))
        if reply.status == 200:
            return _store(env, server, latest, w, reply.body)
        text = reply.body.strip()
        if reply.status != 409:
            state = "unreachable" if reply.status == 0 else "refused"
            return Outcome(w.name, state, f"{reply.status}: {text[:200]}")
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            return Outcome(w.name, "refused", "409 without a size")
        old = int(text)  # the size the witness really holds: again, from there
    return Outcome(w.name, "refused", "the witness kept answering 409")


def _proof(env: Env, old: int, size: int) -> tuple[bytes, ...]:
    """The consistency proof from ``old`` to ``size`` (none from 0 or to the same size)."""
    if old in (0, size):
        return ()
    return env.db.read(lambda conn: env.log.consistency_proof(conn, old, size).hashes)


def _store(
    env: Env, server: NoteVerifier, latest: StoredCheckpoint, w: PolicyWitness, lines: str
) -> Outcome:
    ours = "".join(
        line + "\n" for line in lines.splitlines() if line.startswith(f"\u2014 {w.key.name} ")
    )
    if not ours:
        return Outcome(w.name, "invalid", "no cosignature line by the witness's key")
    cosigned = latest.checkpoint.body() + "\n" + ours
    now = env.now()
    try:
        env.db.write(
            lambda conn: add_cosignature(conn, latest.seq, cosigned, w.key, server, now=now)
        )
    except AuditError as e:
        return Outcome(w.name, "invalid", str(e))
    return Outcome(w.name, "cosigned")
