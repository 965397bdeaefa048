"""The witness's HTTP server (C2SP ``tlog-witness``), on the standard library's threads.

    POST <prefix>/add-checkpoint          submission (``audit.witness.Witness.add_checkpoint``)
    GET  <prefix>/<origin hash>/checkpoint  monitoring: the latest cosigned checkpoint

Anything else is 404; a body is read only up to its declared length, at most
64 KiB. Requests are logged by method, path and status, never by body.
"""

from __future__ import annotations

import logging
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from audit.witness import MAX_REQUEST_BYTES, Answer, Witness

log = logging.getLogger("permanence.witness")

_MONITOR_RE = re.compile(r"^/([0-9a-f]{64})/checkpoint$")


def make_server(witness: Witness, host: str, port: int, prefix: str = "") -> ThreadingHTTPServer:
    """A server answering the protocol for ``witness`` on ``host:port`` under ``prefix``."""
    prefix = prefix.rstrip("/")

    class Handler(BaseHTTPRequestHandler):
        server_version = "permanence-witness"
        protocol_version = "HTTP/1.1"
        timeout = 30  # seconds a client may take to send its request (slow clients hold threads)

        def _send(self, answer: Answer) -> None:
            data = answer.body.encode("utf-8")
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _path(self) -> str | None:
            path = self.path.split("?", 1)[0]
            if not path.startswith(prefix + "/"):
                return None
            return path[len(prefix) :]

        def do_POST(self) -> None:
            path = self._path()
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                length = -1
            if path != "/add-checkpoint":
                self.close_connection = True
                self._send(Answer(404, "Not found.\n"))
                return
            if not 0 <= length <= MAX_REQUEST_BYTES:
                self.close_connection = True
                self._send(Answer(400, "A request needs a Content-Length of at most 64 KiB.\n"))
                return
            self._send(witness.add_checkpoint(self.rfile.read(length)))

        def do_GET(self) -> None:
            path = self._path()
            match = _MONITOR_RE.match(path or "")
            if match is None:
                self._send(Answer(404, "Not found.\n"))
                return
            self._send(witness.monitoring(match.group(1)))

        def log_message(self, format: str, *args: object) -> None:
            log.info("%s %s", self.command, self.path.split("?", 1)[0])

    return ThreadingHTTPServer((host, port), Handler)
