"""A real local HTTP server between the command line and a vault, that can change the answers.

It forwards every request to the real (uvicorn) server and lets a test alter
what comes back — a modified JSON answer, a stream cut short, a stream that
stalls half-way — as a compromised server or a broken network would.
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


@dataclass
class Reply:
    """One upstream answer, as the proxy will send it (a test's ``alter`` may change it)."""

    method: str
    path: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    content_length: int | None = None  # announce this instead of len(body)
    stall_after: int | None = None  # send this many body bytes, then hang until released
    drop: bool = False  # hang up without answering (the server did get the request)
    released: threading.Event = field(default_factory=threading.Event)


class TamperProxy:
    def __init__(self, upstream: str) -> None:
        parts = urllib.parse.urlsplit(upstream)
        self.upstream_host = str(parts.hostname)
        self.upstream_port = int(parts.port or 80)
        self.alter: Callable[[Reply], Reply] = lambda reply: reply
        self.stalled = threading.Event()  # set when a stalling reply has sent its part
        self.replies: list[Reply] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                headers["Host"] = f"{proxy.upstream_host}:{proxy.upstream_port}"
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    reply = Reply(
                        self.command,
                        self.path,
                        answer.status,
                        [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP],
                        answer.read(),
                    )
                finally:
                    conn.close()
                reply = proxy.alter(reply)
                proxy.replies.append(reply)
                if reply.drop:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for k, v in reply.headers:
                    self.send_header(k, v)
                announced = (
                    len(reply.body) if reply.content_length is None else reply.content_length
                )
                self.send_header("Content-Length", str(announced))
                self.send_header("Connection", "close")
                self.end_headers()
                if reply.stall_after is not None:
                    self.wfile.write(reply.body[: reply.stall_after])
                    self.wfile.flush()
                    proxy.stalled.set()
                    reply.released.wait(30)
                    return
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = _forward  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def release(self) -> None:
        for reply in self.replies:
            reply.released.set()


@contextmanager
def tamper_proxy(upstream: str) -> Iterator[TamperProxy]:
    proxy = TamperProxy(upstream)
    thread = threading.Thread(target=proxy.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.release()
        proxy.server.shutdown()
        proxy.server.server_close()
        thread.join(timeout=10)
