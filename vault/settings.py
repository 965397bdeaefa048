"""The frozen settings object, built once at the edge (``cli``) and passed down.

Nothing in ``vault``, ``audit`` or ``crypto`` reads the environment; this
module describes the values and their defaults, and checks every value when
the object is built: a bad setting stops start-up with one sentence instead
of failing on the first page that uses it.
"""

from __future__ import annotations

import ipaddress
import json
import re
import string
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal, TypeVar, get_args
from urllib.parse import parse_qs, unquote, urlsplit

from audit.names import valid_name
from crypto.secret import Secret
from vault.business_hours import BusinessHours
from vault.errors import ConfigError

MIB = 1024 * 1024
MAX_RETENTION_MONTHS = 120
Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
E = TypeVar("E", bound=StrEnum)
# Names under which a browser on this machine reaches the server; the host of
# ``base_url`` is always accepted as well.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_LABEL = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
_HOST_NAME = re.compile(rf"^(\[[0-9a-f:.]+\]|{_LABEL}(\.{_LABEL})*)$")


class SmtpTls(StrEnum):
    """How the mail relay is reached: anything else is refused when the settings load."""

    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where content-free notifications are sent from."""

    host: str = "localhost"
    port: int = 25
    tls: SmtpTls = SmtpTls.NONE
    username: str = ""
    password: Secret = field(default_factory=lambda: Secret(b""))
    sender: str = "permanence@localhost"

    def __post_init__(self) -> None:
        object.__setattr__(self, "tls", _choice("smtp.tls", self.tls, SmtpTls))
        _port("smtp.port", self.port)
        if self.username and self.tls is SmtpTls.NONE and not _is_loopback(self.host):
            raise ConfigError(
                "setting smtp.username is set but smtp.tls is none, so the relay password"
                " would cross the network in clear: set smtp.tls to starttls or tls"
            )


class SmsBody(StrEnum):
    """How the SMS gateway's body template is filled (each placeholder escaped for it)."""

    JSON = "json"
    FORM = "form"


SMS_PLACEHOLDERS = frozenset({"to", "text"})
SMS_METHODS = ("POST", "PUT", "GET")
_HEADER = re.compile(r"^[A-Za-z0-9-]+:[ \t]*[^\r\n]+$")


@dataclass(frozen=True, slots=True)
class SmsSettings:
    """An HTTP SMS gateway (docs/operations.md): off while ``url`` is empty.

    ``url`` and ``body`` are templates with the placeholders ``{to}`` (the number, in
    international format) and ``{text}`` (the content-free message); ``{{`` and ``}}``
    stand for braces. ``auth_header`` is one ``Name: value`` header kept secret;
    ``headers`` any others (``Name: value`` each).
    """

    url: str = ""
    method: str = "POST"
    body_format: SmsBody = SmsBody.JSON
    body: str = ""
    auth_header: Secret = field(default_factory=lambda: Secret(b""))
    headers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "body_format", _choice("sms.body_format", self.body_format, SmsBody)
        )
        object.__setattr__(self, "method", str(self.method).strip().upper())
        if not self.url:
            return
        _remote_url("sms.url", self.url)
        _template("sms.url", self.url)
        if self.method not in SMS_METHODS:
            raise ConfigError("setting sms.method must be one of POST, PUT, GET")
        if self.method != "GET" and not self.body:
            raise ConfigError("setting sms.body is empty: write the gateway's body template")
        _template("sms.body", self.body)
        if self.body_format is SmsBody.JSON and self.body:
            sample = self.body.format(to="+33600000000", text="x")
            try:
                json.loads(sample)
            except ValueError:
                raise ConfigError(
                    "setting sms.body is not JSON once filled in: put the placeholders"
                    ' inside quotes, e.g. "{text}"'
                ) from None
        auth = self.auth_header.value.decode("utf-8", "replace")
        for name, header in [
            ("sms.auth_header", auth),
            *(("sms.headers", h) for h in self.headers),
        ]:
            if header and not _HEADER.match(header):
                raise ConfigError(f"setting {name} must be written 'Name: value'")


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """The practice tools' webhook (docs/operations.md): off while ``url`` is empty.

    Each event is a JSON body signed with HMAC-SHA256 under ``secret``.
    """

    url: str = ""
    secret: Secret = field(default_factory=lambda: Secret(b""))

    def __post_init__(self) -> None:
        if not self.url:
            return
        _remote_url("webhook.url", self.url)
        if len(self.secret.value) < 16:
            raise ConfigError(
                "setting webhook.secret must be at least 16 characters: the receiver checks"
                " each event's signature with it"
            )


@dataclass(frozen=True, slots=True)
class BlobStoreSettings:
    """An S3-compatible object store for extract files (the distributed backend): off while
    ``url`` is empty, and then the data directory's ``blobs/`` folder holds them.

    ``url`` is the store's endpoint (``https://s3.example.net``; ``http://`` only to this
    machine), ``bucket`` the bucket, created beforehand; the access key pair is kept secret.
    """

    url: str = ""
    bucket: str = ""
    access_key_id: str = ""
    secret_access_key: Secret = field(default_factory=lambda: Secret(b""))
    region: str = "us-east-1"

    def __post_init__(self) -> None:
        if not self.url:
            return
        _remote_url("blob_store.url", self.url)
        if not _BUCKET.match(self.bucket):
            raise ConfigError(
                "setting blob_store.bucket must name a bucket (3 to 63 lower-case letters,"
                " digits, dots or hyphens)"
            )
        if not self.access_key_id or not self.secret_access_key.value:
            raise ConfigError(
                "settings blob_store.access_key_id and blob_store.secret_access_key are"
                " required: the object store must ask for credentials"
            )


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_DATABASE_SCHEMES = ("postgresql", "postgres")
_TLS_MODES = ("verify-full", "verify-ca")


def _database_url(url: Secret) -> None:
    """A PostgreSQL address: over a Unix socket or to this machine, or with TLS verified
    (metadata and the audit log would otherwise cross the network in clear).

    Judged as libpq reads it: every host of the address (``h1,h2``), and the ``host`` and
    ``hostaddr`` parameters of the query, which win over the address's; the last
    ``sslmode`` given. The connection checks again what libpq actually did
    (``vault.storage.postgres.connection``)."""
    text = url.value.decode("utf-8", "replace")
    if not text:
        return
    try:
        parts = urlsplit(text)
        query = parse_qs(parts.query, keep_blank_values=True)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in _DATABASE_SCHEMES or not parts.path.strip("/"):
        raise ConfigError(
            "setting database_url must be a PostgreSQL address such as"
            " postgresql://permanence@db.example.net/permanence?sslmode=verify-full"
        )
    if parts.netloc.count("@") > 1:
        raise ConfigError(
            "setting database_url holds an @ in its user name or password: write it %40"
            " (and % as %25, : as %3A, / as %2F)"
        )
    hosts = [_address_host(h) for h in parts.netloc.rpartition("@")[2].split(",")]
    for name in ("host", "hostaddr"):
        hosts += [unquote(h).strip() for v in query.get(name, []) for h in v.split(",")]
    local = "service" not in query and all(_local_database_host(h) for h in hosts)
    modes = query.get("sslmode") or [""]
    if not local and modes[-1] not in _TLS_MODES:
        raise ConfigError(
            "setting database_url reaches another machine without a verified TLS connection:"
            " add ?sslmode=verify-full (and sslrootcert= if the server's certificate"
            " authority is not the system's)"
        )


def _address_host(hostport: str) -> str:
    """The host of one ``host[:port]`` of an address's authority, percent-decoded."""
    if hostport.startswith("["):
        return hostport[1:].partition("]")[0]
    return unquote(hostport.rpartition(":")[0] if ":" in hostport else hostport).strip()


def _local_database_host(host: str) -> bool:
    """A Unix socket's directory, the default socket (empty), or a loopback address."""
    return not host or host.startswith("/") or _is_loopback(host)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting of a Permanence deployment."""

    data_dir: Path
    db_key: Secret | None = None  # raw key given directly; else read from the key file
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    behind_tls: bool = False
    default_language: Language = "fr"
    session_idle_seconds: int = 15 * 60
    session_absolute_seconds: int = 12 * 3600
    checkpoint_every_entries: int = 1000
    checkpoint_every_seconds: int = 300
    audit_origin: str = "permanence.local/audit"
    # Audit entries older than this lose their content (their hashes stay), once a day.
    audit_retention_months: int = 12
    # Pruning never reaches past the latest checkpoint an auditor has cosigned.
    audit_require_cosigning: bool = False
    # How far back activity reports show time-tracking figures (calls, call minutes).
    report_retention_months: int = 60
    # A C2SP tlog-policy file naming the witnesses and their quorum (docs/audit.md,
    # "Witnesses"); relative to the data directory; empty: checkpoints are not witnessed.
    witness_policy: str = ""
    timezone: str = "Europe/Paris"  # for business hours, charts and reports
    business_hours: str = "Mon-Fri 08:00-19:00"  # accesses outside are highlighted
    upload_limit_bytes: int = 100 * MIB
    # The longest a request body may take to arrive, whole (slow clients hold sockets).
    body_timeout_seconds: int = 60
    # The longest an upload part that arrived ahead of the acknowledged offset waits for
    # the parts before it (a browser keeps two on the wire) before it is refused (409).
    upload_part_wait_seconds: int = 20
    group_commit_max: int = 256
    # Addresses or networks of reverse proxies whose X-Forwarded-For / -Proto are believed;
    # empty: the headers are ignored and the client is the connecting address.
    trusted_proxies: tuple[str, ...] = ()
    # Host names the server answers to, besides the host of ``base_url`` (DNS rebinding).
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    # How long an urgent item waits for an acknowledgement before the next person on call
    # is told, for a practice whose ladder does not say (docs/items.md).
    escalation_delay_seconds: int = 600
    # The distributed backend (docs/operations.md): a PostgreSQL address and an object
    # store. Empty: the embedded SQLCipher database and blob folder of the data directory.
    database_url: Secret = field(default_factory=lambda: Secret(b""))
    blob_store: BlobStoreSettings = field(default_factory=BlobStoreSettings)
    # Parsed from ``business_hours`` and ``timezone`` once, when the settings are built.
    hours: BusinessHours = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hours", BusinessHours.parse(self.business_hours, self.timezone))
        if self.default_language not in LANGUAGES:
            raise ConfigError("setting default_language must be fr or en")
        _port("port", self.port)
        for name in (
            "session_idle_seconds",
            "session_absolute_seconds",
            "checkpoint_every_entries",
            "checkpoint_every_seconds",
            "group_commit_max",
            "body_timeout_seconds",
            "upload_part_wait_seconds",
            "escalation_delay_seconds",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"setting {name} must be a positive whole number")
        for name in ("audit_retention_months", "report_retention_months"):
            if not 1 <= getattr(self, name) <= MAX_RETENTION_MONTHS:
                raise ConfigError(
                    f"setting {name} must be a whole number of months from 1 to"
                    f" {MAX_RETENTION_MONTHS}"
                )
        if not valid_name(self.audit_origin):  # it names the audit signing key
            raise ConfigError("setting audit_origin must be a non-empty name without '+' or spaces")
        if self.upload_limit_bytes < 0:
            raise ConfigError("setting upload_limit_bytes must not be negative")
        try:
            url = urlsplit(self.base_url)
            valid = url.scheme in ("http", "https") and bool(url.hostname)
        except ValueError:
            valid = False
        if not valid:
            raise ConfigError("setting base_url must be an http:// or https:// address")
        proxies = tuple(_network(p) for p in self.trusted_proxies)
        object.__setattr__(self, "trusted_proxies", proxies)
        object.__setattr__(self, "allowed_hosts", tuple(_host(h) for h in self.allowed_hosts))
        _database_url(self.database_url)

    @property
    def distributed_database(self) -> bool:
        """Whether the database is PostgreSQL (``database_url``) rather than SQLCipher."""
        return bool(self.database_url.value)

    @property
    def layout(self) -> DataLayout:
        return DataLayout(self.data_dir)

    @property
    def accepted_hosts(self) -> frozenset[str]:
        """Every ``Host`` the server answers to (lower case, without port)."""
        own = urlsplit(self.base_url).netloc.lower().rpartition("@")[2]
        return frozenset({_strip_port(own), *self.allowed_hosts})


@dataclass(frozen=True, slots=True)
class DataLayout:
    """Where each file of a data directory lives (documented in docs/operations.md)."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "permanence.db"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def db_key_file(self) -> Path:
        return self.keys_dir / "database.key"

    @property
    def audit_key_file(self) -> Path:
        return self.keys_dir / "audit-signing.key"

    @property
    def server_secret_file(self) -> Path:
        return self.keys_dir / "server-secret.key"

    @property
    def blobs_dir(self) -> Path:
        return self.root / "blobs"

    @property
    def config_file(self) -> Path:
        return self.root / "permanence.toml"


def _remote_url(name: str, url: str) -> None:
    """An https:// address, or http:// to this machine only (no secret crosses in clear)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or not host or parts.scheme not in ("http", "https"):
        raise ConfigError(f"setting {name} must be an https:// address")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigError(
            f"setting {name} must be an https:// address (http:// only to this machine)"
        )


def _template(name: str, text: str) -> None:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError:
        raise ConfigError(
            f"setting {name}: unmatched brace (write {{{{ and }}}} for braces)"
        ) from None
    unknown = fields - SMS_PLACEHOLDERS
    if unknown:
        raise ConfigError(
            f"setting {name}: unknown placeholder {{{sorted(unknown)[0]}}}"
            " (use {to} and {text})"
        )


def _choice(name: str, value: object, kind: type[E]) -> E:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ConfigError(f"setting {name} must be one of {allowed}") from None


def _port(name: str, value: int) -> None:
    if not 0 <= value <= 65535:
        raise ConfigError(f"setting {name} must be a port number from 0 to 65535")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise ConfigError(
            f"setting trusted_proxies: {text!r} is not an IP address or network"
        ) from None


def _strip_port(netloc: str) -> str:
    if netloc.startswith("["):
        return netloc.partition("]")[0] + "]"
    return netloc.partition(":")[0]


def _host(text: str) -> str:
    host = text.strip().lower()
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"  # as it is written in a Host header
    except ValueError:
        pass
    if not _HOST_NAME.match(host):
        raise ConfigError(
            f"setting allowed_hosts: {text!r} is not a host name (no scheme, port or path)"
        )
    return host
