"""A bad setting stops the command at start-up with one sentence, before anything serves.

Before, ``smtp.tls = "STARTTLS"`` (or ``ssl``, ``true``) silently meant plain SMTP with
the relay password, and a misspelt ``timezone`` or ``business_hours`` started fine and
failed on the first audit page.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.running import PERMANENCE, assert_one_clear_sentence, run


@pytest.mark.parametrize(
    ("toml", "names"),
    [
        ('[smtp]\ntls = "ssl"\n', "smtp.tls"),
        ('[smtp]\ntls = "true"\n', "smtp.tls"),
        ('[smtp]\nhost = "relay.example"\nusername = "vault"\n', "smtp.username"),
        ('timezone = "Europe/Pari"\n', "timezone"),
        ('business_hours = "weekdays 9 to 5"\n', "business_hours"),
        ('business_hours = "Mon-Fri 19:00-08:00"\n', "business_hours"),
        ('trusted_proxies = ["proxy.local"]\n', "trusted_proxies"),
        ('trusted_proxies = "127.0.0.1"\n', ""),  # a string in TOML: comma-separated, accepted
        ('allowed_hosts = ["https://vault.example"]\n', "allowed_hosts"),
        ('default_language = "de"\n', "default_language"),
        ("session_idle_seconds = 0\n", "session_idle_seconds"),
        ('base_url = "vault.example"\n', "base_url"),
    ],
)
def test_a_bad_value_is_refused_when_the_settings_load(
    tmp_path: Path, toml: str, names: str
) -> None:
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    (data / "permanence.toml").write_text(toml)
    result = run("--data-dir", str(data), "users", "list")
    if not names:
        assert result.returncode == 0, result.stderr
        return
    assert_one_clear_sentence(result)
    assert f"setting {names}" in result.stderr


def test_an_environment_variable_is_checked_the_same_way(tmp_path: Path) -> None:
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    result = run("--data-dir", str(data), "users", "list", env={"PERMANENCE_SMTP_TLS": "SSL"})
    assert_one_clear_sentence(result)
    assert "smtp.tls must be one of none, starttls, tls" in result.stderr
    upper = run("--data-dir", str(data), "users", "list", env={"PERMANENCE_SMTP_TLS": "STARTTLS"})
    assert upper.returncode == 0, upper.stderr  # the operator meant starttls: it is starttls


def test_serve_refuses_to_start_on_a_bad_time_zone(tmp_path: Path) -> None:
    """The server does not start at all (it used to start and fail on the first audit page)."""
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    (data / "permanence.toml").write_text('timezone = "Mars/Olympus_Mons"\n')
    try:
        result = subprocess.run(
            [PERMANENCE, "--data-dir", str(data), "serve", "--port", "0"],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("serve started with an unknown time zone")
    assert_one_clear_sentence(result)
    assert result.stderr.strip() == (
        "permanence: setting timezone: unknown time zone 'Mars/Olympus_Mons'"
    )
