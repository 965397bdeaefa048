"""The real servers of the notification tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from tests.vault.notify.receivers import HttpReceiver, Inbox, free_port, http_receiver


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    handler = Inbox(free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    receiver = http_receiver()
    try:
        yield receiver
    finally:
        receiver.close()
