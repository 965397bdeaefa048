"""The demo vault's people have verified contact details and a ladder; no other vault takes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.demo import DEMO, seed_demo
from tests.factories import World, open_test_vault
from vault import demo
from vault.errors import Forbidden
from vault.notify import ladder
from vault.notify.contacts import reachable
from vault.settings import Settings
from vault.storage.datadir import initialise


def test_the_demo_members_are_reached_at_verified_details(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "demo")
    initialise(settings, DEMO)
    seed_demo(settings)
    with open_test_vault(settings) as vault:
        account = vault.env.db.read(
            lambda c: c.execute("SELECT id FROM account WHERE username = 'dr.martin'").fetchone()[0]
        )
        found = vault.env.db.read(lambda c: reachable(c, account, "urgent"))
        practice = vault.env.db.read(
            lambda c: c.execute(
                "SELECT practice_id FROM account WHERE id = ?", (account,)
            ).fetchone()[0]
        )
        on_call = vault.env.db.read(
            lambda c: ladder.load(c, vault.env, practice).on_call(vault.env.now())
        )
    assert found == [("email", "dr.martin@cabinet-martin.example"), ("sms", "+33639980042")]
    assert [r.account_id for r in on_call] == [account]  # the demo ladder: Dr Martin, always


def test_only_a_demo_vault_takes_demo_contacts(world: World) -> None:
    with pytest.raises(Forbidden):
        demo.add_verified_contacts(
            world.env, DEMO, world.member.principal.account_id, "a@b.fr", "0639980042"
        )
