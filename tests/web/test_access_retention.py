"""The practice's access page after retention: it says for how long accesses are kept,
and the pruned ones are no longer listed (their rows left the access index)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

from tests.factories import REQ, World, deposit_as_secretary, seal, session_for
from vault.auditing import retention
from vault.opening import Vault
from web.app import create_app
from web.session import COOKIE


def _page(client: TestClient, world: World) -> str:
    token, _ = session_for(world.env, world.member)
    client.cookies.clear()
    client.cookies.set(COOKIE, token)
    return client.get("/practice/access", headers={"accept": "text/html"}).text


def test_the_access_page_says_how_long_and_drops_pruned_accesses(
    world: World, vault: Vault
) -> None:
    for _ in range(3):
        iid, envelope = seal(world.secretary, world.practice)
        deposit_as_secretary(world, envelope, iid)
    app = create_app(vault.with_env(now=world.clock))
    with TestClient(app, raise_server_exceptions=False) as client:
        before = _page(client, world)
        assert before.count('data-access-kind="deposited"') == 3
        assert 'data-retention-months="12"' in before
        assert "garde chaque accès pendant 12 mois" in before
        # Thirteen months later, after a checkpoint, the daily pruning removes them.
        world.clock.at = max(world.clock.at, datetime.now(UTC)) + timedelta(days=400)
        vault.with_env(now=world.clock).checkpointing.issue_now(world.env)
        assert retention.prune(world.env, REQ).plan.count > 3
        after = _page(client, world)
        assert 'data-access-kind="deposited"' not in after
        assert 'data-retention-months="12"' in after
