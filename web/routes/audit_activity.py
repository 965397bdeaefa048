"""The console's activity page: pictures of accesses and failed sign-ins, and alerts."""

from __future__ import annotations

from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vault.auditing import console
from vault.auditing.statistics import Window
from vault.business_hours import BusinessHours
from vault.errors import InvalidInput
from vault.identity import practices
from web import i18n
from web.context import env_of
from web.rendering import render
from web.routes.audit_charts import day_bars, hour_map
from web.routing import route

MAX_PRACTICE_CHARTS = 8


def _context(request: Request) -> dict[str, object]:
    env = env_of(request)
    hours = BusinessHours.of(env.settings)
    text = request.query_params.get("days", "30")
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 366:
        raise InvalidInput()
    days = int(text)
    now = env.now()
    window = Window.ending(hours.local(now).date(), days)
    stats, found = console.activity(env, window, hours, now - timedelta(days=days))
    names = {p.id: p.name for p in practices.list_practices(env)}
    busiest = sorted(stats.accesses.items(), key=lambda kv: -sum(kv[1].values()))
    practice_charts = [
        day_bars(names.get(pid, pid or i18n.gettext("no practice")), window.days(), counts)
        for pid, counts in busiest[:MAX_PRACTICE_CHARTS]
    ]
    return {
        "days": days,
        "failed_chart": day_bars(
            i18n.gettext("Failed sign-ins per day"), window.days(), stats.failed_logins
        ),
        "practice_charts": practice_charts,
        "heat": hour_map(stats.by_hour, hours),
        "off_hours": stats.off_hours,
        "alerts": found,
        "names": names,
        "business_hours": env.settings.business_hours,
        "timezone": env.settings.timezone,
    }


async def audit_activity(request: Request) -> Response:
    context = await run_in_threadpool(_context, request)
    return render(request, "audit_activity.html", context)


def routes() -> list[Route]:
    return [route("/audit/activity", audit_activity, "audit_activity")]
