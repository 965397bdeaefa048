"""Security headers on every response (docs/design.md §2, §7), and the ``Host`` check.

A page reached under a name the vault does not own is refused: against DNS
rebinding, a foreign site's name resolving to this server must not let that
site's scripts talk to the vault as if they were same-origin.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web import errors
from web.rendering import render_refusal
from web.responses import json_error, wants_json

# No inline script or style anywhere; WebAssembly (libsodium.js) is allowed to compile.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=63072000; includeSubDomains"


_HEADER_NAMES = frozenset(name.encode("latin-1") for name in HEADERS)
_ENCODED = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in HEADERS.items()]
_HSTS = (b"strict-transport-security", HSTS.encode("latin-1"))
_NO_STORE = (b"cache-control", b"no-store")


def add_security_headers(message: Message, *, behind_tls: bool) -> None:
    """Put the security headers (HSTS behind TLS) on an ``http.response.start`` message,
    replacing any of the same name, and ``cache-control: no-store`` unless it has one."""
    raw = message["headers"] = list(message.get("headers", ()))
    names = {name for name, _ in raw}
    if names.isdisjoint(_HEADER_NAMES) and b"strict-transport-security" not in names:
        raw.extend(_ENCODED)  # the usual case: the response set none of them
        if behind_tls:
            raw.append(_HSTS)
    else:
        headers = MutableHeaders(scope=message)
        for name, value in HEADERS.items():
            headers[name] = value
        if behind_tls:
            headers["strict-transport-security"] = HSTS
    if b"cache-control" not in names:
        message["headers"].append(_NO_STORE)


class SecurityHeaders:
    """ASGI middleware adding the security headers; HSTS only when served behind TLS.

    The app's own requests get them from ``web.gate.Gate``; this stands alone for pages
    served without the app (the browser tests' module pages).
    """

    def __init__(self, app: ASGIApp, *, behind_tls: bool) -> None:
        self.app = app
        self.behind_tls = behind_tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(message, behind_tls=self.behind_tls)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def host_name(host_header: str | None) -> str | None:
    """The lower-case name of a ``Host`` header, without its port (``[::1]`` keeps brackets);
    None when the header is missing or not ``name[:port]``."""
    if not host_header:
        return None
    host = host_header.strip().lower()
    if host.startswith("["):
        name, bracket, rest = host.partition("]")
        name += bracket
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port = rest[1:] if rest else None
    else:
        name, colon, port_text = host.partition(":")
        port = port_text if colon else None
    if port is not None and not (port.isascii() and port.isdigit()):
        return None
    return name


def unknown_host(request: Request) -> Response:
    """The 400 for a request whose ``Host`` the vault does not own (JSON or a page)."""
    refusal = errors.UNKNOWN_HOST
    if wants_json(request):
        return json_error(refusal.message, refusal.status)
    return render_refusal(request, refusal)
