"""A populated vault's rows, put into PostgreSQL, read back identically (and the derived
audit index, which PostgreSQL's trigger fills, is the same as SQLite's)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from crypto.envelope import ItemKind, Urgency
from tests.backends import open_connection
from tests.factories import (
    REQ,
    Clock,
    World,
    add_account,
    add_practice,
    assign,
    created_at,
    deposit_item,
    open_test_vault,
    session_for,
)
from tests.vault.storage.postgres.schema_shapes import sqlite_shape
from vault.identity.roles import Role
from vault.items import inbox
from vault.settings import Settings
from vault.storage.datadir import initialise
from vault.storage.postgres.connection import PostgresConnection
from vault.storage.postgres.schema import realign_identities
from vault.storage.store import Connection

AUDIT_FIRST = ["audit_entries", "audit_nodes", "audit_checkpoints", "audit_cosignatures"]
DERIVED = {"audit_index", "audit_index_day"}  # filled by the append trigger on each backend
ONE_ROW = {"audit_retention", "schema_migrations"}  # made by the schema itself
ROWID = {"item_status", "login_failure", "team_document"}


def _populate(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data")  # embedded, whatever the test backend
    initialise(settings)
    clock = Clock()
    with open_test_vault(settings) as vault:
        env = vault.with_env(now=clock).env
        practice = add_practice(env, "Cabinet Martin")
        other = add_practice(env, "Étude Durand")
        member = add_account(env, Role.MEMBER, "dr.martin@example.org", practice)
        outsider = add_account(env, Role.MEMBER, "me.durand@example.org", other)
        secretary = add_account(env, Role.SECRETARY, "sophie")
        stranger = add_account(env, Role.SECRETARY, "sam")
        assign(env, secretary, practice)
        assign(env, stranger, other)
        created_at(env, clock.at - timedelta(days=30))
        world = World(env, clock, practice, other, member, outsider, secretary, stranger)
        items = [
            deposit_item(world),
            deposit_item(world, urgency=Urgency.URGENT),
            deposit_item(world, kind=ItemKind.MESSAGE, urgency=Urgency.LOW),
        ]
        for iid in items:
            clock.advance(60)
            inbox.read_envelope(env, REQ, member.principal, iid)
        inbox.set_status(env, REQ, member.principal, items[0], "handled")
        inbox.set_status(env, REQ, member.principal, items[1], "acknowledged")
        inbox.undo_status(env, REQ, member.principal, items[0])
        session_for(env, member)
        vault.checkpointing.issue_now(env)
    return settings


def _columns(lite: Connection, table: str) -> list[str]:
    names = [str(r[1]) for r in lite.execute(f"PRAGMA table_info({table})").fetchall()]
    return [*names, "rowid"] if table in ROWID else names


def _order(lite: Connection) -> list[str]:
    """Tables so that every referenced one comes first (the audit tables in log order)."""
    shape = sqlite_shape(lite)
    done: list[str] = list(AUDIT_FIRST)
    pending = sorted(set(shape.tables) - set(done) - DERIVED - ONE_ROW)
    while pending:
        for name in pending:
            needs = {target for _, target, _ in shape.tables[name].foreign_keys} - {name}
            if needs <= set(done):
                done.append(name)
                pending.remove(name)
                break
        else:
            raise AssertionError(f"foreign keys go round: {pending}")
    return done


def _rows(conn: Connection, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    listed = ", ".join(columns)
    return [
        tuple(r)
        for r in conn.execute(f"SELECT {listed} FROM {table} ORDER BY {listed}").fetchall()  # noqa: S608
    ]


def test_a_populated_vault_reads_back_identically(tmp_path: Path, pg: PostgresConnection) -> None:
    settings = _populate(tmp_path)
    lite = open_connection(settings)
    try:
        tables = _order(lite)
        copied = 0
        pg.execute("BEGIN IMMEDIATE")
        for table in tables:
            columns = _columns(lite, table)
            rows = _rows(lite, table, columns)
            marks = ", ".join("?" for _ in columns)
            pg.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                rows,
            )
            copied += len(rows)
        realign_identities(pg)
        pg.execute("COMMIT")
        assert copied > 50
        for table in [*tables, *sorted(DERIVED), "audit_retention"]:
            columns = _columns(lite, table)
            assert _rows(pg, table, columns) == _rows(lite, table, columns), table
        # SQLite's next rowid is one past the largest; so is PostgreSQL's after realigning.
        row = "INSERT INTO login_failure (subject, at) VALUES ('ip:x', 't') RETURNING rowid"
        assert pg.execute(row).fetchone() == tuple(lite.execute(row).fetchone())
    finally:
        lite.close()
