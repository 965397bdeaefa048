"""The on-call ladder editor's page (members); its data comes from ``web/routes/ladder.py``'s
JSON API (``GET``/``PUT /practice/oncall``), read and written by ``pages/ladder.js``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.rendering import render
from web.routing import route


async def ladder_page(request: Request) -> Response:
    return render(request, "ladder.html", {})


def routes() -> list[Route]:
    return [route("/practice/ladder", ladder_page, "ladder_page")]
