"""Real servers the notification tests send to: an SMTP server (aiosmtpd) and an HTTP
server standing for the SMS gateway and the webhook receiver, each recording what came."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mail_text(mail: Message) -> str:
    """The decoded text of a (single-part) mail."""
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


class Inbox:
    """aiosmtpd's handler: every mail received, with its recipients."""

    def __init__(self, port: int = 0, delay: float = 0.0) -> None:
        self.port = port
        self.delay = delay  # seconds each mail takes to be accepted (a slow relay)
        self.mails: list[tuple[list[str], Message]] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802 - aiosmtpd's name
        if self.delay:
            await asyncio.sleep(self.delay)
        content: bytes = envelope.content  # type: ignore[attr-defined]
        self.raw.append(content)
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(content)))  # type: ignore[attr-defined]
        return "250 OK"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """A local HTTP server; ``status`` is what it answers (503 plays an outage)."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    status: int = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def http_receiver() -> HttpReceiver:
    holder: list[HttpReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            receiver = holder[0]
            receiver.requests.append(
                Received(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
            )
            self.send_response(receiver.status)
            if 300 <= receiver.status < 400:
                self.send_header("Location", receiver.url + "/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = do_PUT = _any  # noqa: N815 - http.server's names

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = HttpReceiver(server)
    holder.append(receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


# Fixtures (imported by tests/vault/notify/conftest.py, and by web tests that need mail).


@pytest.fixture
def mailbox() -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) on a free port, recording every mail."""
    handler = Inbox(free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp(mailbox: Inbox) -> tuple[Inbox, int]:
    """The same as (handler, port), as the first notification tests had it."""
    return mailbox, mailbox.port


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    receiver = http_receiver()
    try:
        yield receiver
    finally:
        receiver.close()
