"""Enrolment from an invitation link: password, keys and authenticator in one step."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto import totp
from crypto.encoding import b64url_encode
from crypto.secret import Secret
from vault.identity import enrollment, keymaterial
from vault.identity.keymaterial import EnrolmentMaterial
from web.context import env_of, json_body, request_info, text_field
from web.hashing_pool import run_hashing
from web.qr import qr_svg
from web.rendering import render
from web.responses import json_ok
from web.routing import route


async def enroll_page(request: Request) -> Response:
    """The enrolment page: names and public values only (a GET reveals no secret)."""
    token = request.path_params["token"]
    offer = await run_in_threadpool(enrollment.offer, env_of(request), token)
    return render(
        request,
        "enroll.html",
        {
            "offer": offer,
            "token": token,
            "practice_pk": b64url_encode(offer.practice_pk) if offer.practice_pk else "",
        },
    )


async def enroll_authenticator(request: Request) -> Response:
    """The QR code of the TOTP secret the enrolling browser drew; stores nothing."""
    data = await json_body(request)
    secret = Secret(keymaterial.totp_secret(data))
    uri = await run_in_threadpool(
        enrollment.authenticator_uri, env_of(request), request.path_params["token"], secret
    )
    return json_ok({"svg": str(qr_svg(uri)), "text": totp.secret_base32(secret)})


async def enroll(request: Request) -> Response:
    data = await json_body(request)
    result = await run_hashing(
        enrollment.enroll,
        env_of(request),
        request_info(request),
        request.path_params["token"],
        EnrolmentMaterial.parse(data),
        text_field(data, "code", 20),
    )
    return json_ok({"backup_codes": result.backup_codes, "next": "/login"})


def routes() -> list[Route]:
    return [
        route("/enroll/{token}", enroll_page, "enroll_page"),
        route("/enroll/{token}", enroll, "enroll", ["POST"]),
        route(
            "/enroll/{token}/authenticator",
            enroll_authenticator,
            "enroll_authenticator",
            ["POST"],
        ),
    ]
