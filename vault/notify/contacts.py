"""Whom to tell, and how: a member's verified contact details and chosen channels.

A member has at most one verified e-mail address and one verified phone number
(table ``contact``), each confirmed by a code sent through that channel
(``vault.notify.verification``), and chooses which channels tell her of an urgent
item and of a normal one (the daily digest) (table ``contact_choice``).

``reachable`` is what the notification engine and the digest ask: the (channel,
address) pairs to use for an urgency, verified details only. Until a member has
verified anything she keeps being told at the old address, her username when it is
an e-mail address, so that nobody stops being told when this arrived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from vault.clock import parse_iso
from vault.env import Env
from vault.errors import InvalidInput
from vault.storage.store import Connection

EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)
URGENT, NORMAL = "urgent", "normal"
URGENCIES = (URGENT, NORMAL)
# What a member who chose nothing for an urgency is told through (verified details only).
DEFAULT_CHOICE = {URGENT: (EMAIL, SMS), NORMAL: (EMAIL,)}

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
_FALLBACK_RE = re.compile(r"^.+@.+$")  # the old rule: a username with an @ was the address
BAD_EMAIL = "Type an e-mail address such as name@example.fr."
BAD_PHONE = (
    "Type a phone number such as 06 12 34 56 78 or +33 6 12 34 56 78 (digits, spaces, dots,"
    " dashes; a leading + for an international number)."
)
BAD_URGENCY = "The urgency is urgent or normal."
BAD_CHANNEL = "A channel is e-mail or SMS."


@dataclass(frozen=True, slots=True)
class Detail:
    channel: str
    address: str
    verified_at: datetime


@dataclass(frozen=True, slots=True)
class Contacts:
    """What ``/account`` shows of a member's details, pending codes and choices."""

    verified: dict[str, Detail]
    pending: dict[str, str]  # channel -> address a code was sent to, not yet typed
    choice: dict[str, tuple[str, ...]]  # urgency -> chosen channels (default if none chosen)
    chosen: dict[str, bool]  # urgency -> the member chose (else the default applies)
    fallback: str | None  # the old address, used while nothing is verified


def check_urgency(urgency: str) -> str:
    if urgency not in URGENCIES:
        raise InvalidInput(BAD_URGENCY, field="urgency")
    return urgency


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise InvalidInput(BAD_CHANNEL, field="channel")
    return channel


def normal_email(typed: str) -> str:
    """An e-mail address as stored (trimmed, domain in lower case), else a 400."""
    text = typed.strip()
    if len(text) > 254 or not _EMAIL_RE.match(text):
        raise InvalidInput(BAD_EMAIL, field="address")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normal_phone(typed: str, country_code: str = "33") -> str:
    """A phone number in E.164 (``+33612345678``), else a 400. A national number (leading
    0) is taken in ``country_code`` (France by default)."""
    text = re.sub(r"[\s.\-()\u00a0\u202f]", "", typed.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("0") and len(text) == 10 and text.isdigit():
        text = f"+{country_code}{text[1:]}"
    if not (text.startswith("+") and text[1:].isdigit() and 8 <= len(text) - 1 <= 15):
        raise InvalidInput(BAD_PHONE, field="address")
    if text[1] == "0":
        raise InvalidInput(BAD_PHONE, field="address")
    return text


def shown(address: str) -> str:
    """An address as a person reads it: a French number ``+33612345678`` as
    "06 12 34 56 78", another number in E.164 as stored, an e-mail address as it is."""
    if address.startswith("+33") and len(address) == 12 and address[1:].isdigit():
        national = "0" + address[3:]
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    return address


def normal_address(channel: str, typed: str) -> str:
    return normal_email(typed) if check_channel(channel) == EMAIL else normal_phone(typed)


def verified(conn: Connection, account_id: str) -> dict[str, Detail]:
    return {
        str(ch): Detail(str(ch), str(addr), parse_iso(str(at)))
        for ch, addr, at in conn.execute(
            "SELECT channel, address, verified_at FROM contact WHERE account_id = ?",
            (account_id,),
        )
    }


def chosen(conn: Connection, account_id: str) -> dict[str, tuple[str, ...]]:
    """The channels the member chose per urgency (only the urgencies she chose for)."""
    return {
        str(u): tuple(c for c in str(chs).split(",") if c)
        for u, chs in conn.execute(
            "SELECT urgency, channels FROM contact_choice WHERE account_id = ?", (account_id,)
        )
    }


def fallback_address(conn: Connection, account_id: str) -> str | None:
    """The old address: the username, when it looks like an e-mail address."""
    row = conn.execute("SELECT username FROM account WHERE id = ?", (account_id,)).fetchone()
    if row is None or not _FALLBACK_RE.match(str(row[0])):
        return None
    return str(row[0])


def reachable(conn: Connection, account_id: str, urgency: str) -> list[tuple[str, str]]:
    """The (channel, address) pairs telling ``account_id`` of something of ``urgency``
    (``urgent`` or ``normal``): her verified details through the channels she chose for
    it (or the default), e-mail first; while she has verified nothing,
    ``[("email", username)]`` when her username is an e-mail address, else nothing."""
    check_urgency(urgency)
    details = verified(conn, account_id)
    if not details:
        old = fallback_address(conn, account_id)
        return [] if old is None else [(EMAIL, old)]
    channels = chosen(conn, account_id).get(urgency, DEFAULT_CHOICE[urgency])
    return [(ch, details[ch].address) for ch in CHANNELS if ch in channels and ch in details]


def contacts_of(conn: Connection, account_id: str) -> Contacts:
    details = verified(conn, account_id)
    pending = {
        str(ch): str(addr)
        for ch, addr in conn.execute(
            "SELECT channel, address FROM contact_code WHERE account_id = ?", (account_id,)
        )
    }
    picked = chosen(conn, account_id)
    return Contacts(
        verified=details,
        pending=pending,
        choice={u: picked.get(u, DEFAULT_CHOICE[u]) for u in URGENCIES},
        chosen={u: u in picked for u in URGENCIES},
        fallback=None if details else fallback_address(conn, account_id),
    )


def of_account(env: Env, account_id: str) -> Contacts:
    """What ``/account`` shows of one's own details and choices."""
    return env.db.read(lambda c: contacts_of(c, account_id))


__all__ = [
    "CHANNELS",
    "DEFAULT_CHOICE",
    "EMAIL",
    "NORMAL",
    "SMS",
    "URGENCIES",
    "URGENT",
    "Contacts",
    "Detail",
    "check_channel",
    "check_urgency",
    "contacts_of",
    "normal_address",
    "normal_email",
    "normal_phone",
    "of_account",
    "reachable",
]
