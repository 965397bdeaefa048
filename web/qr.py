"""TOTP enrolment QR codes as inline SVG (no image request, nothing for the CSP to allow)."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(uri: str) -> Markup:
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, omitsize=False)
    return Markup(svg)  # noqa: S704 - segno's own SVG of our own URI, no user HTML
