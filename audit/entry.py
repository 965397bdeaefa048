"""Audit entries: who did what to which ids, when, with what outcome — never content.

An entry's leaf bytes (what the Merkle tree commits to) are its canonical
encoding: compact JSON, UTF-8, with the top-level fields in the fixed order
below and the keys of nested objects sorted. ``index`` comes first so that a
verifier can check an entry's position without parsing it.

    {"index":N,"v":1,"at":"2026-11-27T23:44:00.123Z","action":"item.read",
     "outcome":"ok","actor":{...},"targets":{...},"request":"...","ip":"...",
     "detail":{...}}

``decode`` accepts any well-formed action name, so that a log written by a
newer version still verifies; ``AuditEntry`` refuses an action that is not in
``Action`` when an entry is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from audit.errors import EntryTooLarge, InvalidEntry

FORMAT_VERSION = 1
MAX_LEAF_BYTES = 64 * 1024 - 1  # an encoded entry is strictly under 64 KiB
_MAX_TEXT = 256  # ids, names, request ids, IPs
_MAX_DETAIL = 8192  # one detail value (a reason code, a user agent); the whole entry is capped
_MAX_FIELDS = 32
MAX_INTEGER = 2**53 - 1  # exact in every JSON reader (JavaScript's Number.MAX_SAFE_INTEGER)
_ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")

Scalar = str | int | bool | None


class Action(StrEnum):
    """Every action the vault records. Add a member (and a line in docs/audit.md) to extend."""

    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGOUT = "session.ended"
    SESSION_REVOKED = "session.revoked"
    ACCOUNT_INVITED = "account.invited"
    ACCOUNT_ENROLLED = "account.enrolled"
    ACCOUNT_DISABLED = "account.disabled"
    ACCOUNT_ENABLED = "account.enabled"
    PASSWORD_CHANGED = "password.changed"  # noqa: S105 - an action name, not a password
    RECOVERY_USED = "recovery.used"
    TOTP_ENROLLED = "totp.enrolled"
    TOTP_RESET = "totp.reset"
    KEY_REGISTERED = "key.registered"
    KEY_GRANTED = "key.granted"
    KEY_ROTATED = "key.rotated"
    CLIENT_CREATED = "client.created"
    ASSIGNMENT_ADDED = "assignment.added"
    ASSIGNMENT_REMOVED = "assignment.removed"
    ITEM_DEPOSITED = "item.deposited"
    ITEM_READ = "item.read"
    ITEM_DOWNLOADED = "item.downloaded"
    ITEM_STATUS_CHANGED = "item.status_changed"
    INSTRUCTION_WRITTEN = "instruction.written"
    INSTRUCTION_READ = "instruction.read"
    REPORT_VIEWED = "report.viewed"
    AUDIT_VIEWED = "audit.viewed"
    AUDIT_EXPORTED = "audit.exported"
    AUDIT_VERIFIED = "audit.verified"
    AUDIT_CHECKPOINT = "audit.checkpoint"
    AUDIT_COSIGNED = "audit.cosigned"
    NOTIFICATION_SENT = "notification.sent"
    NOTIFICATION_FAILED = "notification.failed"
    ACCESS_DENIED = "access.denied"
    BACKUP_CREATED = "backup.created"
    BACKUP_RESTORED = "backup.restored"
    VAULT_INITIALISED = "vault.initialised"
    TEAM_KEY_CREATED = "team.key_created"
    TEAM_RECIPIENTS_ADDED = "team.recipients_added"
    ACCOUNT_REINVITED = "account.reinvited"
    ITEM_STATUS_UNDONE = "item.status_undone"
    ITEMS_LISTED = "items.listed"
    ITEMS_SEARCHED = "items.searched"
    REQUEST_OPENED = "request.opened"
    REQUEST_TAKEN = "request.taken"
    REQUEST_DONE = "request.done"
    DEPOSIT_LABELLED = "deposit.labelled"
    AUDIT_PRUNED = "audit.pruned"
    APPOINTMENT_REQUESTED = "appointment.requested"
    APPOINTMENT_CONFIRMED = "appointment.confirmed"
    APPOINTMENT_MOVED = "appointment.moved"
    APPOINTMENT_DECLINED = "appointment.declined"
    ORDER_PLACED = "order.placed"
    ORDER_APPROVED = "order.approved"
    ORDER_DELIVERED = "order.delivered"
    LADDER_CHANGED = "ladder.changed"
    ESCALATION_STARTED = "escalation.started"
    ESCALATION_STEP = "escalation.step"
    ESCALATION_ENDED = "escalation.ended"
    NOTIFICATION_OPENED = "notification.opened"
    CONTACT_CODE_SENT = "contact.code_sent"
    CONTACT_VERIFIED = "contact.verified"
    CONTACT_REMOVED = "contact.removed"
    CONTACT_CHANNELS_CHOSEN = "contact.channels_chosen"
    DIGEST_CHANGED = "digest.changed"
    DIGEST_SENT = "digest.sent"
    DIGEST_FAILED = "digest.failed"


class Outcome(StrEnum):
    OK = "ok"
    DENIED = "denied"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: an account id, its username and role; all empty for the system itself."""

    account: str | None = None
    name: str | None = None
    role: str | None = None

    def _fields(self) -> dict[str, Scalar]:
        return {"account": self.account, "name": self.name, "role": self.role}


_OUTCOMES = frozenset(Outcome)  # members hash and compare as their text

SYSTEM = Actor(account=None, name="system", role="system")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One record of the log, without its index (the log assigns it on append)."""

    at: datetime
    action: str
    actor: Actor = SYSTEM
    outcome: str = Outcome.OK
    targets: Mapping[str, str] = field(default_factory=dict)
    request: str | None = None
    ip: str | None = None
    detail: Mapping[str, Scalar] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise InvalidEntry("an entry's time must be timezone-aware")
        at = self.at.astimezone(UTC)
        object.__setattr__(self, "at", at.replace(microsecond=at.microsecond // 1000 * 1000))
        object.__setattr__(self, "targets", MappingProxyType(dict(self.targets)))
        object.__setattr__(self, "detail", MappingProxyType(dict(self.detail)))
        _check_fields(self)

    @classmethod
    def new(cls, action: Action, *, now: datetime | None = None, **fields: Any) -> AuditEntry:
        """An entry for a known ``action``, timed ``now`` (default: the current UTC time)."""
        if not isinstance(action, Action):
            raise InvalidEntry(f"unknown audit action {action!r}; add it to audit.entry.Action")
        return cls(at=now or datetime.now(UTC), action=str(action), **fields)


@dataclass(frozen=True, slots=True)
class LoggedEntry:
    """An entry as it stands in the log, at ``index``."""

    index: int
    entry: AuditEntry


def format_time(at: datetime) -> str:
    """RFC 3339 UTC with milliseconds: ``2026-11-27T23:44:00.123Z``."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def json_count(value: object) -> int | None:
    """A count read from a leaf with SQL's ``->`` (the JSON text of one value, on either
    backend): the number if it is a positive integer, else ``None``."""
    if isinstance(value, bytes | str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def parse_time(text: str) -> datetime:
    if not _TIME_RE.fullmatch(text):
        raise InvalidEntry(f"not an RFC 3339 UTC millisecond time: {text!r}")
    # The pattern fixed the shape; fromisoformat (C) reads it ten times faster than strptime.
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


# json.dumps with these options builds an encoder per call; one is enough (same bytes).
_LEAF_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode(entry: AuditEntry, index: int) -> bytes:
    """The canonical leaf bytes of ``entry`` at ``index``; raises ``EntryTooLarge``."""
    if index < 0:
        raise InvalidEntry("an entry index is never negative")
    obj: dict[str, Any] = {
        "index": index,
        "v": FORMAT_VERSION,
        "at": format_time(entry.at),
        "action": entry.action,
        "outcome": entry.outcome,
        "actor": entry.actor._fields(),
        "targets": dict(sorted(entry.targets.items())),
        "request": entry.request,
        "ip": entry.ip,
        "detail": dict(sorted(entry.detail.items())),
    }
    leaf = _LEAF_JSON.encode(obj).encode("utf-8")
    if len(leaf) > MAX_LEAF_BYTES:
        raise EntryTooLarge(f"an audit entry must stay under 64 KiB; this one is {len(leaf)} bytes")
    return leaf


def decode(leaf: bytes) -> LoggedEntry:
    """Parse leaf bytes, refusing anything that is not exactly the canonical encoding."""
    try:
        obj = json.loads(leaf.decode("utf-8"))
        entry = AuditEntry(
            at=parse_time(obj["at"]),
            action=obj["action"],
            actor=Actor(**obj["actor"]),
            outcome=obj["outcome"],
            targets=obj["targets"],
            request=obj["request"],
            ip=obj["ip"],
            detail=obj["detail"],
        )
        index = obj["index"]
        if not isinstance(index, int) or obj["v"] != FORMAT_VERSION:
            raise InvalidEntry("unsupported entry version or index")
        canonical = encode(entry, index)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        raise InvalidEntry(f"not an audit entry: {e}") from None
    if canonical != leaf:
        raise InvalidEntry("the entry is not in canonical form")
    return LoggedEntry(index, entry)


def _check_fields(entry: AuditEntry) -> None:
    actor = entry.actor._fields()
    texts = [entry.request, entry.ip, *actor.values(), *entry.targets.values()]
    texts += [v for v in entry.detail.values() if isinstance(v, str)]
    for t in texts:  # ASCII text has no surrogate: the pattern only reads the others
        if isinstance(t, str) and not t.isascii() and _SURROGATE_RE.search(t):
            raise InvalidEntry("an entry's text must be valid Unicode (no lone surrogates)")
    if not isinstance(entry.action, str) or not _ACTION_RE.match(entry.action):
        raise InvalidEntry(f"malformed action name {entry.action!r}")
    if not isinstance(entry.outcome, str) or entry.outcome not in _OUTCOMES:
        raise InvalidEntry(f"outcome must be one of {', '.join(Outcome)}")
    for name, value in (("request", entry.request), ("ip", entry.ip), *actor.items()):
        if value is not None and (not isinstance(value, str) or len(value) > _MAX_TEXT):
            raise InvalidEntry(f"{name} must be a short string")
    for what, mapping in (("targets", entry.targets), ("detail", entry.detail)):
        if len(mapping) > _MAX_FIELDS:
            raise InvalidEntry(f"at most {_MAX_FIELDS} {what}")
        for key, value in mapping.items():
            if not isinstance(key, str) or not _KEY_RE.match(key):
                raise InvalidEntry(f"malformed {what} key {key!r}")
            ok = isinstance(value, str) if what == "targets" else _is_scalar(value)
            limit = _MAX_TEXT if what == "targets" else _MAX_DETAIL
            if not ok or (isinstance(value, str) and len(value) > limit):
                raise InvalidEntry(f"{what}[{key!r}] must be a short id or number, never content")


def _is_scalar(value: object) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return -MAX_INTEGER <= value <= MAX_INTEGER
    return value is None or isinstance(value, str | bool)
