"""``permanence deposit`` and ``fetch`` against a real server: the file round-trips encrypted."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from tests.e2e.conftest import ARRANGE
from tests.e2e.test_deposit_e2e import PRACTICE, Site, site  # noqa: F401 - fixture
from vault import accounts, practices
from vault.env import Principal
from vault.roles import Role


def test_deposit_then_fetch_a_file_and_a_message(
    site: Site,  # noqa: F811 - fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site.enrol(Role.MEMBER, "dr.cli@example.org", PRACTICE)
    secretary = site.enrol(Role.SECRETARY, "nightly")
    admin = accounts.invite(
        site.env, ARRANGE, None, username="root", display_name="Root", role=Role.ADMIN
    ).account_id
    pid = site.env.db.read(lambda c: c.execute("SELECT id FROM practice").fetchone()[0])
    practices.set_assignment(
        site.env, ARRANGE, Principal(admin, "root", Role.ADMIN), secretary, pid, True
    )
    data = b"id;value\n" + b"1;secret-extract-row\n" * 300_000
    source = tmp_path / "nightly.csv"
    source.write_bytes(data)

    monkeypatch.setenv("PERMANENCE_PASSWORD", site.passwords["nightly"])
    code = site.next_code("nightly")
    url = site.base_url
    assert (
        main(
            [
                "deposit",
                "--url",
                url,
                "--username",
                "nightly",
                "--code",
                code,
                "--file",
                str(source),
            ]
        )
        == 0
    )
    item_id = capsys.readouterr().out.strip()
    assert site.recorder.bodies and not any(
        b"secret-extract-row" in b for b in site.recorder.bodies
    )

    monkeypatch.setenv("PERMANENCE_PASSWORD", site.passwords["dr.cli@example.org"])
    code = site.next_code("dr.cli@example.org")
    out = tmp_path / "out"
    assert (
        main(
            [
                "fetch",
                "--url",
                url,
                "--username",
                "dr.cli@example.org",
                "--code",
                code,
                "--item",
                item_id,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert (out / "nightly.csv").read_bytes() == data
    assert "signature verified" in capsys.readouterr().out


def test_a_refusal_is_one_sentence(
    site: Site,  # noqa: F811 - fixture
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PERMANENCE_PASSWORD", "wrong wrong wrong wrong")
    assert main(["fetch", "--url", site.base_url, "--username", "nobody", "--code", "123456"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("permanence: ") and err.count("\n") == 1
    assert "Sign-in failed" in err or "connexion a échoué" in err
