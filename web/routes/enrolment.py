"""Enrolment from an invitation link: password, keys and authenticator in one step."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crypto import totp
from crypto.encoding import b64url_encode
from crypto.secret import Secret
from vault.identity import enrolment, keymaterial
from vault.identity.keymaterial import EnrolmentMaterial
from web.context import env_of, json_body, request_info, text_field
from web.hashing_pool import run_hashing
from web.qr import qr_svg
from web.rendering import render
from web.responses import json_ok
from web.routing import route


async def enrolment_page(request: Request) -> Response:
    """The enrolment page: names and public values only (a GET reveals no secret)."""
    token = request.path_params["token"]
    offer = await run_in_threadpool(enrolment.offer, env_of(request), token)
    return render(
        request,
        "enrolment.html",
        {
            "offer": offer,
            "token": token,
            "practice_pk": b64url_encode(offer.practice_pk) if offer.practice_pk else "",
        },
    )


async def enrol_authenticator(request: Request) -> Response:
    """The QR code of the TOTP secret the enrolling browser drew; stores nothing."""
    data = await json_body(request)
    secret = Secret(keymaterial.totp_secret(data))
    uri = await run_in_threadpool(
        enrolment.authenticator_uri, env_of(request), request.path_params["token"], secret
    )
    return json_ok({"svg": str(qr_svg(uri)), "text": totp.secret_base32(secret)})


async def enrol(request: Request) -> Response:
    data = await json_body(request)
    result = await run_hashing(
        enrolment.enrol,
        env_of(request),
        request_info(request),
        request.path_params["token"],
        EnrolmentMaterial.parse(data),
        text_field(data, "code", 20),
    )
    return json_ok({"backup_codes": result.backup_codes, "next": "/login"})


async def invitation_link_before_renaming(request: Request) -> Response:
    """Invitations sent before the route was spelt ``/enrol/`` still lead to the page."""
    token = request.path_params["token"]
    return RedirectResponse(request.url_for("enrolment_page", token=token).path, status_code=308)


def routes() -> list[Route]:
    return [
        route("/enrol/{token}", enrolment_page, "enrolment_page"),
        route("/enrol/{token}", enrol, "enrol", ["POST"]),
        route(
            "/enrol/{token}/authenticator",
            enrol_authenticator,
            "enrol_authenticator",
            ["POST"],
        ),
        route("/enroll/{token}", invitation_link_before_renaming, "enrolment_old_link"),
    ]
