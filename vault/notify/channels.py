"""The channels a content-free message goes out by: e-mail, SMS gateway, webhook.

Each send either returns (the relay or gateway accepted the message) or raises
``ChannelFailed`` naming only the kind of failure, never an address or a text, so
that the caller can log and audit it. What is sent is decided by the caller
(vault/notify/messages.py): nothing here reads an item.

- E-mail: SMTP as the ``[smtp]`` settings say (plain, STARTTLS or implicit TLS).
- SMS: one HTTP request to the gateway of the ``[sms]`` settings, built from its URL
  and body templates; ``{to}`` and ``{text}`` are escaped for where they stand (URL
  query, JSON string, form field), so any message fills any template safely.
- Webhook: a JSON POST to ``[webhook] url``, signed: ``X-Permanence-Timestamp`` is
  the Unix time, ``X-Permanence-Signature`` is ``sha256=`` and the hex HMAC-SHA256,
  under ``[webhook] secret``, of the timestamp, a full stop and the exact body bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote, quote_plus

from vault.env import Env
from vault.settings import SmsBody, SmsSettings, SmtpSettings, SmtpTls, WebhookSettings

CHANNELS = ("email", "sms", "webhook")
HTTP_TIMEOUT_SECONDS = 10.0
SMTP_TIMEOUT_SECONDS = 20.0
USER_AGENT = "Permanence-notify/1"


RETRY_FIRST_SECONDS = 30
RETRY_MAX_SECONDS = 3600


def retry_delay(attempts: int) -> timedelta:
    """30 s, 60 s, 120 s, … capped at an hour: a failed send is retried forever, never dropped."""
    return timedelta(
        seconds=min(RETRY_FIRST_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)
    )


class ChannelFailed(Exception):
    """A message could not be handed over; ``str`` is the kind of failure, never data."""


# -- e-mail ----------------------------------------------------------------------------


def mail(sender: str, to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    return message


MailSend = Callable[[str, EmailMessage], None]


def smtp_sender(settings: SmtpSettings, timeout: float = SMTP_TIMEOUT_SECONDS) -> MailSend:
    """Send one mail with smtplib, as the settings say (plain, STARTTLS or implicit TLS)."""

    def send(to: str, message: EmailMessage) -> None:
        client: smtplib.SMTP
        if settings.tls is SmtpTls.TLS:
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with client:
            if settings.tls is SmtpTls.STARTTLS:
                client.starttls(context=ssl.create_default_context())
            if settings.username:
                client.login(settings.username, settings.password.value.decode())
            client.send_message(message, from_addr=settings.sender, to_addrs=[to])

    return send


def send_mail(settings: SmtpSettings, to: str, subject: str, text: str) -> None:
    try:
        smtp_sender(settings)(to, mail(settings.sender, to, subject, text))
    except (OSError, smtplib.SMTPException) as e:
        raise ChannelFailed(type(e).__name__) from None


# -- HTTP (SMS gateway, webhook) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None


def _split_header(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name.strip(), value.strip()


def sms_request(settings: SmsSettings, to: str, text: str) -> HttpRequest:
    """The gateway request for one SMS: the templates filled, each value escaped for
    where it stands."""
    url = settings.url.format(to=quote(to, safe=""), text=quote(text, safe=""))
    headers = {"User-Agent": USER_AGENT}
    body: bytes | None = None
    if settings.body:
        if settings.body_format is SmsBody.JSON:
            filled = settings.body.format(to=_json_inner(to), text=_json_inner(text))
            headers["Content-Type"] = "application/json"
        else:
            filled = settings.body.format(to=quote_plus(to), text=quote_plus(text))
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = filled.encode("utf-8")
    for line in settings.headers:
        name, value = _split_header(line)
        headers[name] = value
    auth = settings.auth_header.value.decode("utf-8", "replace")
    if auth:
        name, value = _split_header(auth)
        headers[name] = value
    return HttpRequest(settings.method, url, headers, body)


def _json_inner(value: str) -> str:
    """``value`` as the inside of a JSON string (the template holds the quotes)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """The webhook's ``X-Permanence-Signature`` value (receivers compute the same)."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_request(
    settings: WebhookSettings, event: Mapping[str, Any], at: datetime
) -> HttpRequest:
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(at.timestamp()))
    return HttpRequest(
        "POST",
        settings.url,
        {
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "X-Permanence-Timestamp": timestamp,
            "X-Permanence-Signature": signature(settings.secret.value, timestamp, body),
        },
        body,
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A gateway's redirect is a failure: it could lead the message (and the authentication
    header) somewhere the settings did not name, over plain HTTP."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# No proxy from the environment (nothing below the command line reads it) and no redirect.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def http_send(request: HttpRequest, timeout: float = HTTP_TIMEOUT_SECONDS) -> None:
    """Send ``request``; anything but a 2xx answer is ``ChannelFailed``."""
    req = urllib.request.Request(  # noqa: S310 - the scheme is checked by the settings
        request.url, data=request.body, headers=dict(request.headers), method=request.method
    )
    try:
        with _OPENER.open(req, timeout=timeout) as answer:
            answer.read(65536)
            status = int(answer.status)
    except urllib.error.HTTPError as e:
        raise ChannelFailed(f"HTTP {e.code}") from None
    except (OSError, ValueError) as e:
        raise ChannelFailed(type(e).__name__) from None
    if not 200 <= status < 300:
        raise ChannelFailed(f"HTTP {status}")


def send_sms(settings: SmsSettings, to: str, text: str) -> None:
    if not settings.url:
        raise ChannelFailed("no SMS gateway configured")
    http_send(sms_request(settings, to, text))


def send_webhook(settings: WebhookSettings, event: Mapping[str, Any], at: datetime) -> None:
    if not settings.url:
        raise ChannelFailed("no webhook configured")
    http_send(webhook_request(settings, event, at))


# -- for vault/notify/contacts.py ------------------------------------------------------

CODE_SUBJECT = "Permanence : code de vérification / verification code"


def send_code(env: Env, channel: str, address: str, text: str) -> None:
    """Send a verification text (a code, no item content) to ``address`` by ``channel``
    (``email`` or ``sms``) now; ``ChannelFailed`` if it could not be handed over."""
    if channel == "email":
        send_mail(env.settings.smtp, address, CODE_SUBJECT, text)
    elif channel == "sms":
        send_sms(env.settings.sms, address, text)
    else:
        raise ValueError(f"no such channel for a code: {channel!r}")


def configured(env: Env, channel: str) -> bool:
    """Whether the deployment can send by ``channel`` (mail always: a relay is assumed)."""
    if channel == "sms":
        return bool(env.settings.sms.url)
    if channel == "webhook":
        return bool(env.settings.webhook.url)
    return channel == "email"
