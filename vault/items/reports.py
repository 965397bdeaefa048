"""Activity reports, from item metadata only — never from the audit log (docs/design.md §5).

Per practice and month (local to the ``timezone`` setting):

- ``calls``: call notes, counted in the month their call started
  (``call_started_at``; the deposit time when a note has none);
- ``call_minutes`` and ``average_minutes``: the sum of their durations, and
  that sum over the calls that have one;
- ``urgent_calls``: call notes deposited as urgent;
- ``median_minutes_to_read`` / ``_to_handled``: over every item deposited
  in the month (call notes, messages, extracts), the median time from deposit
  to its first ``read`` / ``handled`` status; items not yet read (handled)
  are left out, and counted in ``unread`` (``unhandled``).

Per secretary (the author), practice and month: calls and call minutes.

Per practice, month and form template: ``forms``, the forms deposited that month from that
template (docs/items.md "Forms"), counted from the template id the item carries in clear,
never from the form's content; only the practice's browser can name the template.
Members see their own practice; admins see every practice. Viewing is recorded
(``report.viewed``). Nothing here reads ciphertext or the audit log.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from audit.entry import Action
from vault.business_hours import BusinessHours
from vault.clock import iso, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import AwaitingPracticeKey, Forbidden, InvalidInput, NotFound
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.items.access import deny, holds_practice_key
from vault.settings import Settings
from vault.storage.store import Connection

URGENT = 2
SLACK = timedelta(days=2)


@dataclass
class PracticeMonth:
    practice_id: str
    practice: str
    month: str  # YYYY-MM
    calls: int = 0
    call_seconds: int = 0
    timed_calls: int = 0
    urgent_calls: int = 0
    items: int = 0
    unread: int = 0
    unhandled: int = 0
    _to_read: list[float] = field(default_factory=list, repr=False)
    _to_handled: list[float] = field(default_factory=list, repr=False)

    @property
    def call_minutes(self) -> float:
        return round(self.call_seconds / 60, 1)

    @property
    def average_minutes(self) -> float | None:
        return round(self.call_seconds / 60 / self.timed_calls, 1) if self.timed_calls else None

    @property
    def median_minutes_to_read(self) -> float | None:
        return round(statistics.median(self._to_read), 1) if self._to_read else None

    @property
    def median_minutes_to_handled(self) -> float | None:
        return round(statistics.median(self._to_handled), 1) if self._to_handled else None


@dataclass
class SecretaryMonth:
    practice_id: str
    practice: str
    month: str
    secretary: str
    calls: int = 0
    call_seconds: int = 0

    @property
    def call_minutes(self) -> float:
        return round(self.call_seconds / 60, 1)


@dataclass
class FormMonth:
    practice_id: str
    practice: str
    month: str
    template_id: str
    forms: int = 0


@dataclass(frozen=True, slots=True)
class ActivityReport:
    first_month: str
    last_month: str
    practices: tuple[PracticeMonth, ...]
    secretaries: tuple[SecretaryMonth, ...]
    forms: tuple[FormMonth, ...] = ()


def parse_month(text: str) -> date:
    """``YYYY-MM`` of a month between 2000 and 2099 (dates outside make no report)."""
    try:
        year, month = text.split("-")
        if not (year.isascii() and month.isascii() and len(year) == 4):
            raise ValueError(text)
        parsed = date(int(year), int(month), 1)
    except ValueError:
        raise InvalidInput() from None
    if not 2000 <= parsed.year <= 2099:
        raise InvalidInput()
    return parsed


REPORT_TOO_OLD = (
    "Activity reports keep their time-tracking figures for a limited period, and this month"
    " is older: choose a more recent month."
)


def oldest_month(today: date, settings: Settings) -> date:
    """The first month a report may show: ``report_retention_months`` months back,
    counting the current month (its own retention, apart from the audit log's)."""
    months = today.year * 12 + today.month - settings.report_retention_months
    return date(months // 12, months % 12 + 1, 1)


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def compute(
    conn: Connection,
    hours: BusinessHours,
    first: date,
    last: date,
    practice_id: str | None = None,
) -> ActivityReport:
    """The report for months ``first`` .. ``last`` (first days), one practice or all."""
    zone = hours.zone
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(_next_month(last), time(), zone)
    rows = conn.execute(
        "SELECT i.id, i.practice_id, p.name, a.username, i.kind, i.urgency, i.deposited_at,"
        " i.call_started_at, i.call_seconds, i.form_template_id,"
        " (SELECT min(s.at) FROM item_status s WHERE s.item_id = i.id AND s.status = 'read'),"
        # Handled: when it was marked so, unless that was undone later (docs/items.md).
        " (SELECT min(s.at) FROM item_status s WHERE s.item_id = i.id AND s.status = 'handled'"
        " AND NOT EXISTS (SELECT 1 FROM item_status u"
        " WHERE u.item_id = i.id AND u.undo = 1 AND u.rowid > s.rowid))"
        " FROM item i JOIN practice p ON p.id = i.practice_id JOIN account a ON a.id = i.author_id"
        # A call is noted soon after it ends: items deposited within two days of the
        # period are read, then each is counted by its own time below.
        " WHERE i.deposited_at >= ? AND i.deposited_at < ? AND (? IS NULL OR i.practice_id = ?)",
        (iso(start - SLACK), iso(end + SLACK), practice_id, practice_id),
    ).fetchall()
    practices: dict[tuple[str, str], PracticeMonth] = {}
    secretaries: dict[tuple[str, str, str], SecretaryMonth] = {}
    forms: dict[tuple[str, str, str], FormMonth] = {}
    for row in rows:
        _id, pid, pname, author, kind, urgency, deposited, started, seconds, template = row[:10]
        read, handled = row[10:]
        deposited_at = parse_iso(str(deposited))
        # Items count in the month of their deposit; calls in the month their call started.
        item_month = deposited_at.astimezone(zone).strftime("%Y-%m")
        if start <= deposited_at < end:
            pm = _practice_month(practices, pid, pname, item_month)
            pm.items += 1
            for stamp, into, missing in (
                (read, pm._to_read, "unread"),
                (handled, pm._to_handled, "unhandled"),
            ):
                if stamp is None:
                    setattr(pm, missing, getattr(pm, missing) + 1)
                else:
                    into.append((parse_iso(str(stamp)) - deposited_at).total_seconds() / 60)
            if kind == "form" and template is not None:
                fkey = (str(pid), item_month, str(template))
                fm = forms.get(fkey) or FormMonth(str(pid), str(pname), item_month, str(template))
                forms[fkey] = fm
                fm.forms += 1
        if kind != "call_note":
            continue
        call_at = parse_iso(str(started)) if started else deposited_at
        if not start <= call_at < end:
            continue
        month = call_at.astimezone(zone).strftime("%Y-%m")
        pm = _practice_month(practices, pid, pname, month)
        pm.calls += 1
        pm.urgent_calls += int(urgency) == URGENT
        if seconds is not None:
            pm.call_seconds += int(seconds)
            pm.timed_calls += 1
        key = (str(pid), month, str(author))
        sm = secretaries.get(key) or SecretaryMonth(str(pid), str(pname), month, str(author))
        secretaries[key] = sm
        sm.calls += 1
        sm.call_seconds += int(seconds or 0)
    return ActivityReport(
        first.strftime("%Y-%m"),
        last.strftime("%Y-%m"),
        tuple(sorted(practices.values(), key=lambda p: (p.practice.lower(), p.month))),
        tuple(
            sorted(secretaries.values(), key=lambda s: (s.practice.lower(), s.month, s.secretary))
        ),
        tuple(sorted(forms.values(), key=lambda f: (f.practice.lower(), f.month, f.template_id))),
    )


def _practice_month(
    into: dict[tuple[str, str], PracticeMonth], pid: str, name: str, month: str
) -> PracticeMonth:
    key = (str(pid), month)
    if key not in into:
        into[key] = PracticeMonth(str(pid), str(name), month)
    return into[key]


def view(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    first: date,
    last: date,
    practice_id: str | None = None,
    *,
    export: bool = False,
) -> ActivityReport:
    """The report a principal may see: a member their practice's, an admin any (or all)."""
    if last < first or (last.year - first.year) * 12 + last.month - first.month > 35:
        raise InvalidInput()
    if practice_id is not None and not is_uuid(practice_id):
        raise NotFound()
    if principal.role == Role.MEMBER:
        if practice_id not in (None, principal.practice_id) or principal.practice_id is None:
            raise deny(env, request, principal, practice=str(practice_id))
        if not env.db.read(lambda conn: holds_practice_key(conn, principal)):
            raise AwaitingPracticeKey()
        practice_id = principal.practice_id
    elif principal.role != Role.ADMIN:
        raise Forbidden()
    hours = BusinessHours.of(env.settings)
    if first < oldest_month(env.now().astimezone(hours.zone).date(), env.settings):
        raise InvalidInput(REPORT_TOO_OLD)
    report = env.db.read(lambda conn: compute(conn, hours, first, last, practice_id))
    targets = {"practice": practice_id} if practice_id else {}
    env.db.write(
        lambda conn: env.record(
            conn,
            Action.REPORT_VIEWED,
            request,
            actor=principal.actor,
            targets=targets,
            detail={"from": report.first_month, "to": report.last_month, "csv": export},
        )
    )
    return report


CSV_HEADER = (
    "section",
    "practice",
    "month",
    "secretary",
    "calls",
    "call_minutes",
    "average_minutes",
    "urgent_calls",
    "items",
    "median_minutes_to_read",
    "median_minutes_to_handled",
    "unread",
    "unhandled",
)


@dataclass(frozen=True, slots=True)
class CsvStyle:
    """How a CSV is written for its reader: the web picks French (``;``, decimal comma, French
    headers, for French Excel) or English (``,``, dot, the headers above); both start with a
    UTF-8 byte-order mark so Excel reads the accents of names (docs/reports.md)."""

    delimiter: str = ","
    decimal: str = "."
    header: tuple[str, ...] = CSV_HEADER
    sections: tuple[str, str] = ("practice", "secretary")
    bom: bool = False


def to_csv(report: ActivityReport, style: CsvStyle = CsvStyle()) -> str:
    """Both tables in one CSV (``section`` says which), numbers with ``style.decimal``, no
    formulas."""
    out = io.StringIO()
    if style.bom:
        out.write("\ufeff")
    writer = csv.writer(out, delimiter=style.delimiter, lineterminator="\r\n")
    writer.writerow(style.header)

    def num(value: float | None) -> str:
        return "" if value is None else str(value).replace(".", style.decimal)

    for p in report.practices:
        writer.writerow(
            (
                style.sections[0],
                _cell(p.practice),
                p.month,
                "",
                p.calls,
                num(p.call_minutes),
                num(p.average_minutes),
                p.urgent_calls,
                p.items,
                num(p.median_minutes_to_read),
                num(p.median_minutes_to_handled),
                p.unread,
                p.unhandled,
            )
        )
    for s in report.secretaries:
        writer.writerow(
            (
                style.sections[1],
                _cell(s.practice),
                s.month,
                _cell(s.secretary),
                s.calls,
                num(s.call_minutes),
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            )
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """Neutralise spreadsheet formulas in names (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
