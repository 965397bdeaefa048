"""Retention on the real app: a pruned entry's page and proof are refused with a sentence in
French and English (410, never a 500); the console and the access page say what is kept
and for how long."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from cli.client import sign_in
from tests.factories import REQ, Clock, open_test_vault
from tests.people import TestClientTransport, enrol
from vault.auditing import retention
from vault.env import Env
from vault.identity.roles import Role
from vault.settings import Settings
from vault.storage.datadir import initialise
from web.app import create_app


@dataclass
class Pruned:
    env: Env
    client: TestClient
    minimum: int


@pytest.fixture(scope="module")
def pruned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pruned]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("retention") / "data")
    initialise(settings)
    clock = Clock()
    clock.at = datetime.now(UTC) + timedelta(days=1)
    with open_test_vault(settings, now=clock) as vault:
        env = vault.env
        enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
        vault.checkpointing.issue_now(env)
        clock.advance(400 * 86400)  # thirteen months later
        auditor = enrol(env, Role.AUDITOR, "auditor")
        vault.checkpointing.issue_now(env)
        done = retention.prune(env, REQ)
        assert done.plan.count > 5
        app = create_app(vault)
        with TestClient(app, raise_server_exceptions=False) as client:
            transport = TestClientTransport(client)
            sign_in(transport, auditor.username, auditor.password, auditor.code())
            client.headers["x-csrf-token"] = transport.csrf
            yield Pruned(env, client, done.plan.upto)


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "older than the log's retention period"),
        ("fr", "plus ancienne que sa durée de conservation"),
    ],
)
@pytest.mark.parametrize("suffix", ["", "/proof"])
def test_a_pruned_entry_is_refused_with_a_sentence(
    pruned: Pruned, language: str, sentence: str, suffix: str
) -> None:
    """Before retention there was no pruned entry; now its page and its proof file answer
    410 with one sentence, in the reader's language."""
    page = pruned.client.get(
        f"/audit/entries/{pruned.minimum - 1}{suffix}", headers={"accept-language": language}
    )
    assert page.status_code == 410
    assert sentence in page.text.replace("&#39;", "'")
    kept = pruned.client.get(f"/audit/entries/{pruned.minimum}{suffix}")
    assert kept.status_code == 200


def test_the_console_says_what_is_kept_and_for_how_long(pruned: Pruned) -> None:
    page = pruned.client.get("/audit", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert 'data-retention-months="12"' in page.text
    assert f'data-min-index="{pruned.minimum}"' in page.text
    text = re.sub(r"\s+", " ", page.text)
    assert "kept in full for 12 months" in text
    assert f"readable from index {pruned.minimum}" in text
    french = pruned.client.get("/audit", headers={"accept-language": "fr"})
    assert "gardée en entier pendant 12\u00a0mois" in french.text or (
        "gardée en entier pendant 12 mois" in french.text
    )


def test_verify_now_says_from_where_contents_were_checked(pruned: Pruned) -> None:
    started = pruned.client.post("/audit/verify", headers={"accept-language": "en"})
    assert started.status_code == 200
    run = re.search(r"/audit/verify/([0-9a-f]+)", started.text)
    text = started.text
    for _ in range(200):
        if 'data-verify="ok"' in text or 'data-verify="failed"' in text or run is None:
            break
        text = pruned.client.get(f"/audit/verify/{run.group(1)}").text
    assert 'data-verify="ok"' in text
    assert f'data-verify-pruned="{pruned.minimum}"' in text
