"""Appointments over HTTP (docs/items.md "Appointments"): their state, and the agenda page.

What an appointment says travels only inside the deposited item (sealed to the practice
key) and, for a new time or a reason, inside a REPLY document under the team key; these
routes carry the state (requested, confirmed, moved, declined), who set it and when.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto.encoding import b64url_encode
from vault.errors import InvalidInput
from vault.identity import practices
from vault.planning import appointments
from web.context import env_of, json_body, request_info, require_principal
from web.rendering import render
from web.responses import json_ok
from web.routes.requests import MAX_BODY, _envelope_of
from web.routing import route


def _who(who: appointments.Who | None) -> dict[str, str] | None:
    return None if who is None else {"id": who.id, "name": who.name}


def appointment_json(a: appointments.AppointmentState) -> dict[str, Any]:
    """An appointment's state as the browser reads it (docs/items.md)."""
    return {
        "item_id": a.item_id,
        "practice_id": a.practice_id,
        "status": a.status,
        "booked_by": _who(a.booked_by),
        "booked_at": a.booked_at.isoformat(),
        "decided_by": _who(a.decided_by),
        "decided_at": None if a.decided_at is None else a.decided_at.isoformat(),
        "reply_id": a.reply_id,
        "sealed_label": None if a.label is None else b64url_encode(a.label),
    }


async def practice_appointments(request: Request) -> Response:
    """GET: the appointments one sees; POST ``{"item_id"}``: the secretary books her deposit."""
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    pid = request.path_params["practice_id"]
    if request.method == "POST":
        item_id = (await json_body(request, 4096)).get("item_id")
        if not isinstance(item_id, str) or len(item_id) > 64:
            raise InvalidInput()
        booked = await run_in_threadpool(appointments.book, env, info, principal, pid, item_id)
        response = json_ok({"appointment": appointment_json(booked)})
        response.status_code = 201
        return response
    rows = await run_in_threadpool(appointments.of_practice, env, info, principal, pid)
    return json_ok(
        {
            "practice_id": pid,
            "timezone": env.settings.timezone,
            "appointments": [appointment_json(a) for a in rows],
        }
    )


async def appointment_decide(request: Request) -> Response:
    """POST ``{"status", "reply_id"?, "envelope"?}``: a member confirms, moves or declines."""
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    pid, item_id = request.path_params["practice_id"], request.path_params["item_id"]
    data = await json_body(request, MAX_BODY)
    status = data.get("status")
    if not isinstance(status, str):
        raise InvalidInput(appointments.NOT_A_DECISION)
    reply = _envelope_of(data, "reply_id") if "envelope" in data else None
    decided = await run_in_threadpool(
        appointments.decide, env, info, principal, pid, item_id, status, reply
    )
    return json_ok({"appointment": appointment_json(decided)})


async def agenda_page(request: Request) -> Response:
    """The practice's agenda (day and week): a shell, the browser decrypts the appointments."""
    env, principal = env_of(request), require_principal(request)
    practice_id = str(principal.practice_id)
    name = await run_in_threadpool(practices.practice_name, env, practice_id)
    return render(
        request,
        "agenda.html",
        {"practice": {"id": practice_id, "name": name}, "timezone": env.settings.timezone},
    )


def routes() -> list[Route]:
    return [
        route("/practice/agenda", agenda_page, "agenda_page"),
        route(
            "/practices/{practice_id}/appointments",
            practice_appointments,
            "practice_appointments",
            ["GET", "POST"],
        ),
        route(
            "/practices/{practice_id}/appointments/{item_id}",
            appointment_decide,
            "appointment_decide",
            ["POST"],
        ),
    ]
