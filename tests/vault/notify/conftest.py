"""The real servers of the notification tests (tests/vault/notify/receivers.py)."""

from tests.vault.notify.receivers import http, mailbox, smtp

__all__ = ["http", "mailbox", "smtp"]
