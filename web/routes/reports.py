"""Activity reports: a practice sees its own, admins every practice; CSV export."""

from __future__ import annotations

from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vault.business_hours import BusinessHours
from vault.identity import practices
from vault.identity.roles import Role
from vault.items import reports
from web import i18n
from web.context import env_of, request_info, require_principal
from web.rendering import render
from web.routing import route


def _period(request: Request) -> tuple[date, date, str | None]:
    env = env_of(request)
    today = BusinessHours.of(env.settings).local(env.now()).date()
    this_month = today.replace(day=1)
    year_ago = date(this_month.year - 1, this_month.month, 1)
    first = request.query_params.get("from") or year_ago.strftime("%Y-%m")
    last = request.query_params.get("to") or this_month.strftime("%Y-%m")
    practice = request.query_params.get("practice") or None
    return reports.parse_month(first[:7]), reports.parse_month(last[:7]), practice


def _context(request: Request, export: bool) -> dict[str, object]:
    env = env_of(request)
    principal = require_principal(request)
    first, last, practice = _period(request)
    report = reports.view(
        env, request_info(request), principal, first, last, practice, export=export
    )
    is_admin = principal.role == Role.ADMIN
    return {
        "report": report,
        "practices": practices.list_practices(env) if is_admin else [],
        "practice": practice or "",
        "query": request.url.query,
    }


async def activity_report(request: Request) -> Response:
    context = await run_in_threadpool(_context, request, False)
    return render(request, "report.html", context)


# The French CSV's headers and section names: the report page's own column titles.
CSV_LABELS = (
    "Section",
    "Practice",
    "Month",
    "Secretary",
    "Calls handled",
    "Call minutes",
    "Average minutes per call",
    "Urgent calls",
    "Items",
    "Median minutes to read",
    "Median minutes to handled",
    "Unread",
    "Unhandled",
)


def csv_style(language: str) -> reports.CsvStyle:
    """French Excel splits columns on ``;`` and reads ``12,5`` as a number; English keeps the
    comma and the dot (and the machine-friendly headers). Both have a BOM (docs/reports.md)."""
    if language != "fr":
        return reports.CsvStyle(bom=True)
    fr = tuple(i18n.translate(label, "fr") for label in CSV_LABELS)
    return reports.CsvStyle(
        delimiter=";",
        decimal=",",
        header=fr,
        sections=(i18n.translate("practice", "fr"), i18n.translate("secretary", "fr")),
        bom=True,
    )


async def activity_report_csv(request: Request) -> Response:
    context = await run_in_threadpool(_context, request, True)
    report: reports.ActivityReport = context["report"]  # type: ignore[assignment]
    name = f"permanence-activity-{report.first_month}-{report.last_month}.csv"
    return Response(
        reports.to_csv(report, csv_style(i18n.current_language())),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def routes() -> list[Route]:
    return [
        route("/reports", activity_report, "activity_report"),
        route("/reports.csv", activity_report_csv, "activity_report_csv"),
    ]
