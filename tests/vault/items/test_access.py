"""The writer boundary of "denied": rolled back, then an audited 404 of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from tests.factories import REQ, World, audit_actions
from vault.errors import NotFound
from vault.items import access
from vault.storage.store import Connection


def _half_done_then_denied(world: World) -> Callable[[Connection], None]:
    def tx(conn: Connection) -> None:
        conn.execute("INSERT INTO vault_meta VALUES ('probe', '1')")  # must not survive
        raise access.Denied(item="00000000-0000-4000-8000-000000000000")

    return tx


def _probe(world: World) -> object:
    return world.env.db.read(
        lambda c: c.execute("SELECT value FROM vault_meta WHERE key = 'probe'").fetchone()
    )


def test_denied_rolls_back_and_is_audited_as_not_found(world: World) -> None:
    """What the transaction wrote before ``Denied`` is gone; one ``access.denied`` entry
    names the ids, and the caller gets ``NotFound``."""
    before = len(audit_actions(world.env))
    with pytest.raises(NotFound):
        access.write_or_deny(
            world.env, REQ, world.secretary.principal, _half_done_then_denied(world)
        )
    assert _probe(world) is None
    assert audit_actions(world.env)[before:] == ["access.denied"]


def test_the_async_boundary_does_the_same(world: World) -> None:
    """``write_or_deny_async`` (the web server's) rolls back and audits the same way."""
    before = len(audit_actions(world.env))

    async def run() -> None:
        await access.write_or_deny_async(
            world.env, REQ, world.secretary.principal, _half_done_then_denied(world)
        )

    with pytest.raises(NotFound):
        asyncio.run(run())
    assert _probe(world) is None
    assert audit_actions(world.env)[before:] == ["access.denied"]


def test_a_read_that_meets_denied_is_audited_too(world: World) -> None:
    """``read_or_deny``: a snapshot that finds foreign ids answers an audited 404."""

    def read(conn: Connection) -> None:
        raise access.Denied(practice=world.other.id)

    before = len(audit_actions(world.env))
    with pytest.raises(NotFound):
        access.read_or_deny(world.env, REQ, world.secretary.principal, read)
    assert audit_actions(world.env)[before:] == ["access.denied"]
