"""The log's side of C2SP ``tlog-witness``: one ``add-checkpoint`` request over HTTP.

``add_checkpoint_body`` builds the request body; ``post`` sends it and returns
the status and body (a connection failure is status 0). The issuer's loop —
which old size, what to do with a 409 — is ``vault.auditing.witnessing``.
"""

from __future__ import annotations

import base64
import http.client
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 10.0
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Reply:
    """A witness's answer: the HTTP status (0 when it could not be reached) and body."""

    status: int
    body: str


def add_checkpoint_body(old: int, proof: Sequence[bytes], note: str) -> bytes:
    """``old <size>``, one base64 proof hash a line, a blank line, the signed checkpoint."""
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode("utf-8")


def post(url: str, body: bytes, timeout: float = TIMEOUT_SECONDS) -> Reply:
    """POST ``body`` to ``<url>/add-checkpoint``."""
    parts = urlsplit(url.rstrip("/") + "/add-checkpoint")
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(parts.netloc, timeout=timeout)
    try:
        connection.request(
            "POST",
            parts.path + (f"?{parts.query}" if parts.query else ""),
            body=body,
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        response = connection.getresponse()
        data = response.read(MAX_ANSWER_BYTES + 1)
    except (OSError, http.client.HTTPException) as e:
        return Reply(0, f"unreachable: {type(e).__name__}")
    finally:
        connection.close()
    if len(data) > MAX_ANSWER_BYTES:
        return Reply(0, "the answer is too large")
    return Reply(response.status, data.decode("utf-8", errors="replace"))
