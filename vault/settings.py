"""The frozen settings object, built once at the edge (``cli``) and passed down.

Nothing in ``vault``, ``audit`` or ``crypto`` reads the environment; this
module only describes the values and their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crypto.secret import Secret

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where content-free notifications are sent from."""

    host: str = "localhost"
    port: int = 25
    tls: str = "none"  # "none", "starttls" or "tls"
    username: str = ""
    password: Secret = field(default_factory=lambda: Secret(b""))
    sender: str = "permanence@localhost"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting of a Permanence deployment."""

    data_dir: Path
    db_key: Secret | None = None  # raw key given directly; else read from the key file
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    behind_tls: bool = False
    default_language: str = "fr"
    session_idle_seconds: int = 15 * 60
    session_absolute_seconds: int = 12 * 3600
    checkpoint_every_entries: int = 1000
    checkpoint_every_seconds: int = 300
    audit_origin: str = "permanence.local/audit"
    timezone: str = "Europe/Paris"  # for business hours, charts and reports
    business_hours: str = "Mon-Fri 08:00-19:00"  # accesses outside are highlighted
    upload_limit_bytes: int = 100 * MIB
    group_commit_max: int = 256
    smtp: SmtpSettings = field(default_factory=SmtpSettings)

    @property
    def layout(self) -> DataLayout:
        return DataLayout(self.data_dir)


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
