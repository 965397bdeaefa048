"""Audit entries as pages show them: local times, who, what, flags. Values only, no HTML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from vault.auditing.entries import EntryFilter, EntryRow, canonical_uuid
from vault.business_hours import BusinessHours
from vault.clock import parse_day
from vault.errors import InvalidInput

FILTER_FIELDS = ("start", "end", "account", "role", "practice", "action", "outcome")
ROLES = ("member", "secretary", "auditor", "admin", "system", "operator")
OUTCOMES = ("ok", "denied", "failed")


@dataclass(frozen=True, slots=True)
class RowView:
    index: int
    at: datetime | None  # aware; pages write it in the practice's zone (web/local_dates.py)
    action: str
    outcome: str
    actor: str
    role: str
    targets: tuple[tuple[str, str], ...]
    detail: tuple[tuple[str, str], ...]
    out_of_hours: bool
    unreadable: bool  # the leaf no longer decodes: someone altered it


def row_view(row: EntryRow, hours: BusinessHours) -> RowView:
    e = row.entry
    if e is None:
        return RowView(row.index, None, "", "", "", "", (), (), False, True)
    return RowView(
        row.index,
        e.at,
        e.action,
        e.outcome,
        e.actor.name or "",
        e.actor.role or "",
        tuple(sorted(e.targets.items())),
        tuple((k, "" if v is None else str(v)) for k, v in sorted(e.detail.items())),
        not hours.contains(e.at),
        False,
    )


def _day(text: str) -> date | None:
    return parse_day(text) if text else None


def parse_filter(
    params: Mapping[str, str], hours: BusinessHours
) -> tuple[EntryFilter, dict[str, str]]:
    """The filter a query string asks for (dates are local days, both included), and its values."""
    values = {name: str(params.get(name, "")).strip()[:100] for name in FILTER_FIELDS}
    for name in ("account", "practice"):  # ids as stored: lowercase, whatever was typed
        values[name] = canonical_uuid(values[name]) or values[name]
    start_day, end_day = _day(values["start"]), _day(values["end"])
    if values["role"] and values["role"] not in ROLES:
        raise InvalidInput()
    if values["outcome"] and values["outcome"] not in OUTCOMES:
        raise InvalidInput()
    zone = hours.zone
    f = EntryFilter(
        start=datetime.combine(start_day, time(), zone) if start_day else None,
        end=datetime.combine(end_day + timedelta(days=1), time(), zone) if end_day else None,
        account=values["account"] or None,
        role=values["role"] or None,
        practice=values["practice"] or None,
        action=values["action"] or None,
        outcome=values["outcome"] or None,
    )
    return f, values


def parse_before(params: Mapping[str, str]) -> int | None:
    text = str(params.get("before", ""))
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise InvalidInput()
    return int(text)


def parse_index(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise InvalidInput()
    return int(text)
