"""The console shows each checkpoint's witnesses: which witness, when, valid, and the quorum."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from starlette.testclient import TestClient

from audit.cosignature import CosignatureSigner
from audit.issuer import add_cosignature
from cli.client import sign_in
from crypto.signing import SigningKey
from tests.factories import open_test_vault
from tests.people import TestClientTransport, enrol
from vault.identity.roles import Role
from vault.settings import Settings
from vault.storage.datadir import initialise
from web.app import create_app

ALICE = CosignatureSigner("witness.alice.example", SigningKey(bytes([1]) * 32))
BOB = CosignatureSigner("witness.bob.example", SigningKey(bytes([2]) * 32))
T = 1_790_000_000  # 2026-09-21T14:13:20Z


def _row(html: str, name: str) -> str:
    match = re.search(rf'<tr data-witness="{name}"[^>]*>', html)
    assert match is not None, name
    return match.group(0)


def test_the_console_shows_witnesses_their_time_and_the_quorum(tmp_path: Path) -> None:
    policy = tmp_path / "witnesses.policy"
    policy.write_text(
        f"witness alice {ALICE.verifier} http://127.0.0.1:9/a\n"
        f"witness bob {BOB.verifier} http://127.0.0.1:9/b\n"
        "group both all alice bob\nquorum both\n",
        encoding="utf-8",
    )
    settings = Settings(
        data_dir=tmp_path / "data", default_language="en", witness_policy=str(policy)
    )
    initialise(settings)
    vault = open_test_vault(settings)
    env = vault.env
    auditor = enrol(env, Role.AUDITOR, "auditor")
    latest = vault.checkpointing.issue_now(env)
    server = vault.checkpointing.issuer.signer.verifier
    body = latest.checkpoint.body()

    def cosign(signer: CosignatureSigner, text: str) -> None:
        line = signer.cosign(text, T).line()
        env.db.write(
            lambda conn: add_cosignature(
                conn, latest.seq, body + "\n" + line, signer.verifier, server
            )
        )

    cosign(ALICE, body)
    try:
        with TestClient(create_app(vault), raise_server_exceptions=False) as client:
            transport = TestClientTransport(client)
            sign_in(transport, auditor.username, auditor.password, auditor.code())
            page = client.get("/audit").text
            assert 'data-published="no"' in page
            assert 'data-cosignature="valid"' in _row(page, "alice")
            assert 'data-cosignature="missing"' in _row(page, "bob")
            assert "2026" in page and "all of alice, bob" not in page
            assert "2 of alice, bob" in page  # the quorum in words
            assert f'data-witnessed="{latest.seq}"' in page

            # bob's cosignature/v1 pasted into the console's cosign form: checked, stored,
            # and the re-rendered checkpoint keeps its witness table
            client.headers["x-csrf-token"] = transport.csrf
            answer = client.post(
                "/audit/cosign",
                data={
                    "verifier_key": str(BOB.verifier),
                    "note": body + "\n" + BOB.cosign(body, T).line(),
                },
                headers={"hx-request": "true"},
            )
            assert answer.status_code == 200, answer.text
            assert 'data-published="yes"' in answer.text
            assert 'data-cosignature="valid"' in _row(answer.text, "bob")
            page = client.get("/audit").text
            assert 'data-published="yes"' in page
            assert 'data-cosignature="valid"' in _row(page, "bob")
            # the cosignature's own time, read from the verified line, through the page's
            # local-time filter
            assert page.count('<time datetime="2026-09-21T14:13:20') >= 2
            french = client.get("/audit", headers={"accept-language": "fr"})
            assert french.status_code == 200
    finally:
        vault.close()


def test_a_policy_file_that_does_not_parse_stops_the_vault_with_one_sentence(
    tmp_path: Path,
) -> None:
    import pytest

    from vault.errors import ConfigError

    bad = tmp_path / "bad.policy"
    bad.write_text("witness alice not-a-key http://x\nquorum alice\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", witness_policy=str(bad))
    initialise(replace(settings, witness_policy=""))
    with pytest.raises(ConfigError, match=r"policy line 1"):
        open_test_vault(settings)
    missing = replace(settings, witness_policy="nowhere.policy")
    with pytest.raises(ConfigError, match="cannot be read"):
        open_test_vault(missing)
