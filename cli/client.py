"""The browser's side of the protocol, in Python: enrolment and sign-in.

Used by the command line (``permanence deposit``/``fetch`` for people who do
not want to trust served JavaScript, demo data) and by the tests. It does
exactly what ``web/static/js/pages/*.js`` do, with ``crypto/``; the
transport is a small interface so it runs over real HTTP or a test client.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from crypto.encoding import b64url_decode, b64url_encode
from crypto.grants import GrantKind, PracticeKeyPair, open_grant, seal_grant
from crypto.kdf import KdfParams, derive_password_keys
from crypto.recovery import RecoveryCode
from crypto.secret import Secret
from crypto.user_keys import UserKeyPair, WrapPurpose, unwrap_user_keys, wrap_user_keys

KEYS_MISMATCH = (
    "the server sent keys that do not match the public keys it publishes for you:"
    " nothing was unlocked"
)


class ClientError(Exception):
    """The server refused; ``message`` is its sentence, ``status`` its HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Unreachable(ClientError):
    """No answer: the connection failed or broke off (worth retrying, unlike a refusal)."""


class Transport(Protocol):
    csrf: str

    def post_json(self, path: str, data: dict[str, Any]) -> dict[str, Any]: ...
    def get_json(self, path: str) -> dict[str, Any]: ...


def vault_origin(url: str) -> str:
    """``scheme://host[:port]`` of a vault's URL, lower-case, default port dropped."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:  # e.g. an unclosed "[" or a port out of range
        scheme, host, port = "", None, None
    if scheme not in ("http", "https") or not host:
        raise ClientError(
            f"{url!r} is not a vault address; give one like https://vault.example with --url", 0
        )
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host}" + ("" if port in (None, default) else f":{port}")


class HttpTransport:
    """Real HTTP with a cookie jar and the session's CSRF token (stdlib only).

    Every failure is a ``ClientError`` with one sentence: the server's own
    refusal, or what went wrong on the way (no connection, not a vault).
    """

    def __init__(self, base_url: str) -> None:
        vault_origin(base_url)  # refuse what is not an http(s) address, in one sentence
        self.base_url = base_url.strip().rstrip("/")
        self.csrf = ""
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        # The command speaks English: the server's refusals it prints must be English too.
        self._opener.addheaders.append(("Accept-Language", "en"))

    def unreachable(self, e: BaseException) -> Unreachable:
        """The sentence for a connection that failed or broke off."""
        reason = getattr(e, "reason", None) or getattr(e, "strerror", None) or e
        if isinstance(reason, BaseException):
            reason = getattr(reason, "strerror", None) or reason
        text = str(reason) or type(e).__name__
        return Unreachable(f"cannot reach the vault at {self.base_url}: {text}", 0)

    def _refusal(self, e: urllib.error.HTTPError) -> ClientError:
        try:
            message = json.loads(e.read()).get("error")
        except (ValueError, AttributeError, OSError, http.client.HTTPException):
            message = None
        if not isinstance(message, str) or not message:
            message = (
                f"the server at {self.base_url} answered HTTP {e.code} {e.reason},"
                " not as a Permanence vault does"
            )
        return ClientError(message, e.code)

    def not_a_vault(self) -> ClientError:
        return ClientError(
            f"the server at {self.base_url} did not answer as a Permanence vault does", 0
        )

    def _open(self, request: urllib.request.Request) -> Any:
        try:
            return self._opener.open(request, timeout=60)
        except urllib.error.HTTPError as e:
            with e:  # its response holds the socket: an unclosed one warns at a random time later
                raise self._refusal(e) from None
        except (OSError, http.client.HTTPException) as e:  # URLError is an OSError
            raise self.unreachable(e) from None

    def _send(self, request: urllib.request.Request) -> dict[str, Any]:
        request.add_header("Accept", "application/json")
        if self.csrf:
            request.add_header("X-CSRF-Token", self.csrf)
        response = self._open(request)
        try:
            with response:
                body = response.read()
        except (OSError, http.client.HTTPException) as e:
            raise self.unreachable(e) from None
        try:
            data = json.loads(body)
        except ValueError:
            raise self.not_a_vault() from None
        if not isinstance(data, dict):
            raise self.not_a_vault()
        return data

    def post_json(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the vault's own base URL
            self.base_url + path,
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        return self._send(request)

    def put_json(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the vault's own base URL
            self.base_url + path,
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json"},
            method="PUT",
        )
        return self._send(request)

    def get_json(self, path: str) -> dict[str, Any]:
        return self._send(urllib.request.Request(self.base_url + path))  # noqa: S310

    def put_bytes(self, path: str, data: bytes) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the vault's own base URL
            self.base_url + path,
            data=data,
            headers={"Content-Type": "application/octet-stream"},
            method="PUT",
        )
        return self._send(request)

    def open_stream(self, path: str) -> Any:
        """A binary response to read in pieces (``with`` it); refusals raise ``ClientError``.

        Reading it may still raise ``OSError`` or ``http.client.HTTPException``
        (turn them into a sentence with ``unreachable``).
        """
        request = urllib.request.Request(self.base_url + path)  # noqa: S310
        request.add_header("Accept", "application/json")  # a refusal comes as JSON
        if self.csrf:
            request.add_header("X-CSRF-Token", self.csrf)
        return self._open(request)

    def sign_out(self) -> None:
        """End the session signed in with (``csrf`` is set by ``sign_in``); nothing if none.

        Best effort: the command's outcome is already decided, so a failure here is ignored
        (the session then expires on the server as an idle one does).
        """
        if not self.csrf:
            return
        request = urllib.request.Request(  # noqa: S310 - the vault's own base URL
            self.base_url + "/logout", data=b"", method="POST"
        )
        request.add_header("HX-Request", "true")  # 204 instead of a redirect to the sign-in page
        request.add_header("X-CSRF-Token", self.csrf)
        with contextlib.suppress(ClientError):
            self._open(request).close()
        self.csrf = ""

    def load_csrf(self) -> None:
        """After sign-in: the session's CSRF token, from a page's ``<meta name="csrf-token">``."""
        request = urllib.request.Request(self.base_url + "/account")  # noqa: S310
        response = self._open(request)
        try:
            with response:
                page = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as e:
            raise self.unreachable(e) from None
        found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
        if found is None:
            raise self.not_a_vault()
        self.csrf = found.group(1)


@dataclass
class Unlocked:
    """The keys a signed-in client holds (what the browser keeps in sessionStorage)."""

    account_id: str
    keys: UserKeyPair
    practice_id: str | None = None
    practice_secret: Secret | None = None
    bundle: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Enrolment:
    recovery_code: str
    backup_codes: list[str]


def enrolment_body(
    account_id: str,
    password: str,
    code: str,
    *,
    totp_secret: Secret,
    practice_id: str | None = None,
    create_practice_key: bool = False,
    kdf: KdfParams | None = None,
) -> tuple[dict[str, Any], RecoveryCode]:
    """The JSON the enrolment page sends, and the recovery code to show.

    ``totp_secret`` is the authenticator secret the enrolling side drew (the server never
    shows one); ``code`` is a code of it.
    """
    kdf = kdf or KdfParams.generate()
    pw = derive_password_keys(password, kdf)
    keys = UserKeyPair.generate()
    recovery = RecoveryCode.generate()
    uid = uuid.UUID(account_id)
    public = keys.public_keys
    body: dict[str, Any] = {
        "kdf": kdf.to_json(),
        "auth_key": b64url_encode(pw.auth_key.value),
        "x25519_pk": b64url_encode(public.x25519),
        "ed25519_pk": b64url_encode(public.ed25519),
        "wrapped_kek": b64url_encode(wrap_user_keys(keys, pw.kek, WrapPurpose.PASSWORD, uid)),
        "wrapped_recovery": b64url_encode(
            wrap_user_keys(keys, recovery.key, WrapPurpose.RECOVERY, uid)
        ),
        "totp_secret": b64url_encode(totp_secret.value),
        "code": code,
    }
    if create_practice_key and practice_id:
        practice = PracticeKeyPair.generate()
        body["practice_pk"] = b64url_encode(practice.public_key)
        body["practice_grant"] = b64url_encode(
            seal_grant(
                GrantKind.PRACTICE_SECRET_KEY,
                uuid.UUID(practice_id),
                practice.secret_key,
                public.x25519,
            )
        )
    return body, recovery


def sign_in(transport: Transport, username: str, password: str, code: str) -> Unlocked:
    """Pre-login, derive, sign in, unlock the keys (and the practice key if granted)."""
    kdf = KdfParams.from_json(transport.post_json("/login/prelogin", {"username": username})["kdf"])
    pw = derive_password_keys(password, kdf)
    answer = transport.post_json(
        "/login", {"username": username, "auth_key": b64url_encode(pw.auth_key.value), "code": code}
    )
    transport.csrf = str(answer.get("csrf_token", ""))
    return unlock(answer["keys"], pw.kek)


def unlock(bundle: dict[str, Any], kek: Secret) -> Unlocked:
    account_id = str(bundle["account_id"])
    keys = unwrap_user_keys(
        b64url_decode(bundle["wrapped_kek"]), kek, WrapPurpose.PASSWORD, uuid.UUID(account_id)
    )
    published = (b64url_decode(bundle["x25519_pk"]), b64url_decode(bundle["ed25519_pk"]))
    if (keys.public_keys.x25519, keys.public_keys.ed25519) != published:
        raise ClientError(KEYS_MISMATCH, 0)  # docs/format.md §9: unwrapped keys are checked
    unlocked = Unlocked(account_id=account_id, keys=keys, bundle=bundle)
    practice = bundle.get("practice")
    if practice and practice.get("grant"):
        unlocked.practice_id = str(practice["id"])
        unlocked.practice_secret = open_grant(
            b64url_decode(practice["grant"]),
            GrantKind.PRACTICE_SECRET_KEY,
            uuid.UUID(practice["id"]),
            keys.x25519_secret,
        )
        pair = PracticeKeyPair(unlocked.practice_secret)
        if pair.public_key != b64url_decode(practice.get("public_key") or ""):
            raise ClientError(KEYS_MISMATCH, 0)  # and so is a granted practice key
    return unlocked
