"""Settings are checked and parsed once, when built; nothing re-parses them per request."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from crypto.secret import Secret
from tests.web.every_route import route_world
from vault.business_hours import BusinessHours
from vault.errors import ConfigError
from vault.settings import BlobStoreSettings, Settings, SmtpSettings, SmtpTls


@pytest.mark.parametrize("value", ["STARTTLS", " starttls ", "StartTLS"])
def test_smtp_tls_is_one_of_three_values_in_any_case(value: str) -> None:
    assert SmtpSettings(tls=value).tls is SmtpTls.STARTTLS  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["ssl", "true", "", "starttls-please"])
def test_any_other_smtp_tls_is_refused(value: str) -> None:
    """Every one of these used to mean plain SMTP, AUTH with the password in clear."""
    with pytest.raises(ConfigError, match=r"smtp\.tls must be one of none, starttls, tls"):
        SmtpSettings(tls=value)  # type: ignore[arg-type]


def test_a_relay_password_never_crosses_the_network_in_clear() -> None:
    with pytest.raises(ConfigError, match="in clear"):
        SmtpSettings(host="relay.example", username="vault")
    assert SmtpSettings(host="127.0.0.1", username="vault").username == "vault"
    assert SmtpSettings(host="relay.example", username="v", tls=SmtpTls.TLS).tls is SmtpTls.TLS


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"timezone": "Europe/Pari"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"business_hours": "Mon-Fri 8-19"}, "business_hours"),
        ({"business_hours": "Mon-Fri 19:00-08:00"}, "business_hours"),
        ({"trusted_proxies": ("10.0.0.0/33",)}, "trusted_proxies"),
        ({"allowed_hosts": ("vault.example:443",)}, "allowed_hosts"),
        ({"default_language": "de"}, "default_language"),
        ({"port": 70000}, "port"),
        ({"base_url": "ftp://vault.example"}, "base_url"),
        ({"group_commit_max": 0}, "group_commit_max"),
    ],
)
def test_a_bad_value_is_refused_when_built(
    tmp_path: Path, changes: dict[str, object], setting: str
) -> None:
    with pytest.raises(ConfigError, match=f"^setting {setting}"):
        Settings(data_dir=tmp_path, **changes)  # type: ignore[arg-type]


def test_values_are_normalised_once(tmp_path: Path) -> None:
    s = Settings(
        data_dir=tmp_path,
        trusted_proxies=("127.0.0.1", "10.1.2.3/8", "::1"),
        allowed_hosts=("Vault.Example.FR", "::1"),
        base_url="https://intranet.example:8443/",
    )
    assert s.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")
    assert s.accepted_hosts == {"vault.example.fr", "[::1]", "intranet.example"}
    assert BusinessHours.of(s) is s.hours
    assert replace(s, timezone="UTC").hours.zone.key == "UTC"  # derived again from the new value


def test_business_hours_are_not_parsed_again_on_each_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit console, its charts and the access log use the hours parsed at load."""
    calls: list[str] = []
    parse = BusinessHours.parse

    def counting(spec: str, timezone: str) -> BusinessHours:
        calls.append(spec)
        return parse(spec, timezone)

    with route_world(tmp_path / "data") as world:
        monkeypatch.setattr(BusinessHours, "parse", staticmethod(counting))
        for who, path in [
            ("auditor", "/audit"),
            ("auditor", "/audit/activity"),
            ("member", "/practice/access"),
            ("member", "/reports"),
        ]:
            for _ in range(3):
                assert world.request(who, "GET", path).status_code == 200, path
    assert calls == []


@pytest.mark.parametrize("origin", ["a+b/audit", "with space", "", "tab\there"])
def test_an_audit_origin_that_cannot_name_a_key_is_refused_at_load(
    tmp_path: Path, origin: str
) -> None:
    """The origin names the audit signing key: refused when the settings are built, in one
    sentence, not by a traceback from the key generator during ``init``."""
    with pytest.raises(ConfigError, match="audit_origin"):
        Settings(data_dir=tmp_path, audit_origin=origin)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql:///permanence?host=/run/postgresql",
        "postgresql://permanence@127.0.0.1:5432/permanence",
        "postgres://permanence@localhost/permanence",
        "postgresql://permanence@db.example.net/permanence?sslmode=verify-full",
        "postgresql://permanence@db.example.net/permanence?sslmode=verify-ca&sslrootcert=/ca.pem",
        "postgresql://p@db.example.net/x?sslmode=disable&sslmode=verify-full",
        "postgresql://p@%2Frun%2Fpostgresql/x",
        "postgresql://p@[::1]:5432/x",
        "postgresql://p@127.0.0.1/x?host=/run/postgresql",
    ],
)
def test_a_database_url_is_local_or_verified_tls(tmp_path: Path, url: str) -> None:
    settings = Settings(data_dir=tmp_path, database_url=Secret(url.encode()))
    assert settings.distributed_database


@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("postgresql://permanence@db.example.net/permanence", "without a verified TLS"),
        ("postgresql://p@db.example.net/permanence?sslmode=require", "without a verified TLS"),
        ("postgresql://p@db.example.net/x?host=db2.example.net", "without a verified TLS"),
        # libpq takes the query's host and hostaddr over the address's, and the last
        # sslmode: each of these reached a remote database in clear (the reviewer's relay).
        ("postgresql://p@127.0.0.1/x?host=192.0.2.2&port=5433", "without a verified TLS"),
        ("postgresql://p@localhost/x?hostaddr=192.0.2.2&port=5433", "without a verified TLS"),
        ("postgresql://p@db.example.net/x?sslmode=verify-full&sslmode=disable", "verified TLS"),
        ("postgresql://p@localhost,db.example.net/x", "without a verified TLS"),
        ("postgresql://p@%2Frun%2Fpostgresql,db.example.net/x", "without a verified TLS"),
        ("postgresql://p@/x?service=prod", "without a verified TLS"),
        ("postgresql://p:My@Pass@127.0.0.1/x", "write it %40"),
        ("mysql://permanence@localhost/permanence", "must be a PostgreSQL address"),
        ("postgresql://permanence@localhost", "must be a PostgreSQL address"),
    ],
)
def test_a_database_url_that_would_cross_the_network_in_clear_is_refused(
    tmp_path: Path, url: str, sentence: str
) -> None:
    with pytest.raises(ConfigError, match=sentence):
        Settings(data_dir=tmp_path, database_url=Secret(url.encode()))


def test_the_embedded_backend_needs_no_address(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert not settings.distributed_database
    assert not settings.blob_store.url


def test_an_object_store_needs_tls_a_bucket_and_credentials() -> None:
    secret = Secret(b"s3cret")
    good = BlobStoreSettings(
        url="https://s3.example.net", bucket="vault-1", access_key_id="k", secret_access_key=secret
    )
    assert good.bucket == "vault-1"
    assert BlobStoreSettings(
        url="http://127.0.0.1:8333", bucket="vault", access_key_id="k", secret_access_key=secret
    ).url
    refused = [
        ({"url": "http://s3.example.net"}, "https://"),
        ({"bucket": "Vault_1"}, "must name a bucket"),
        ({"bucket": ""}, "must name a bucket"),
        ({"access_key_id": ""}, "must ask for credentials"),
        ({"secret_access_key": Secret(b"")}, "must ask for credentials"),
    ]
    for changes, sentence in refused:
        with pytest.raises(ConfigError, match=sentence):
            replace(good, **changes)  # type: ignore[arg-type]
