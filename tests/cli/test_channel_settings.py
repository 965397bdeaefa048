"""The [sms] and [webhook] tables and their environment variables are read once at load;
a bad value stops start-up with one sentence; secrets never show in the settings' repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.config import load_settings
from vault.errors import ConfigError
from vault.settings import SmsBody


def _toml(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "permanence.toml"
    path.write_text(text, encoding="utf-8")
    return {"PERMANENCE_CONFIG": str(path)}


def test_the_tables_and_the_environment_are_read(tmp_path: Path) -> None:
    environ = _toml(
        tmp_path,
        "escalation_delay_seconds = 300\n"
        "[sms]\n"
        'url = "https://gw.example/sms"\n'
        'body_format = "form"\n'
        'body = "to={to}&text={text}"\n'
        'auth_header = "Authorization: Bearer sms-secret"\n'
        'headers = ["X-Account: cabinet"]\n'
        "[webhook]\n"
        'url = "https://tools.example/hook"\n',
    )
    environ["PERMANENCE_WEBHOOK_SECRET"] = "webhook-secret-0123456789"
    settings = load_settings(environ, data_dir=str(tmp_path))
    assert settings.escalation_delay_seconds == 300
    assert settings.sms.body_format is SmsBody.FORM and settings.sms.headers == (
        "X-Account: cabinet",
    )
    assert settings.sms.auth_header.value == b"Authorization: Bearer sms-secret"
    assert settings.webhook.secret.value == b"webhook-secret-0123456789"
    assert "sms-secret" not in repr(settings) and "webhook-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ('[sms]\nnumber = "x"\n', "unknown sms setting"),
        ("[webhook] = 3\n", "not valid TOML"),
        ('webhook = "x"\n', r"\[webhook\] must be a table"),
        ('[webhook]\nurl = "https://t.example/h"\nsecret = "short"\n', "at least 16 characters"),
        ('[webhook]\nurl = "http://t.example/h"\nsecret = "0123456789abcdef"\n', "https://"),
        ("escalation_delay_seconds = 0\n", "positive whole number"),
    ],
)
def test_a_bad_channel_setting_is_one_sentence(tmp_path: Path, text: str, sentence: str) -> None:
    with pytest.raises(ConfigError, match=sentence):
        load_settings(_toml(tmp_path, text), data_dir=str(tmp_path))


def test_the_distributed_backend_is_read_from_the_file_and_the_environment(tmp_path: Path) -> None:
    environ = _toml(
        tmp_path,
        '[blob_store]\nurl = "https://s3.example.net"\nbucket = "vault"\n'
        'access_key_id = "AKIA-vault"\n',
    )
    environ["PERMANENCE_DATABASE_URL"] = "postgresql://p:db-pass@127.0.0.1/permanence"
    environ["PERMANENCE_BLOB_STORE_SECRET_ACCESS_KEY"] = "s3-secret-key"
    settings = load_settings(environ, data_dir=str(tmp_path))
    assert settings.distributed_database and settings.blob_store.bucket == "vault"
    assert settings.blob_store.secret_access_key.value == b"s3-secret-key"
    assert "db-pass" not in repr(settings) and "s3-secret-key" not in repr(settings)
