"""Copying every table of an embedded (SQLCipher) vault into a PostgreSQL one, row for row.

The source's tables are read from ``sqlite_master`` and copied parents first (the order
of their foreign keys), each in the source's own order (``rowid``, or the primary key of
a ``WITHOUT ROWID`` table), so that a column the PostgreSQL schema adds in place of
SQLite's implicit ``rowid`` receives the same numbers. ``schema_migrations``' rows are the
target's own, written by its migrations (the same numbers and names): they take the
source's dates (``migration_dates``), so the moved vault keeps the day it was created,
which the call-time check reads.

The target's user triggers are suspended for the copy (``ALTER TABLE … DISABLE TRIGGER
USER``, inside the caller's transaction, so a rollback restores them): the append-only
guards of the audit tables would refuse a pruned entry (no leaf), and the trigger that
fills ``audit_index`` from ``audit_entries`` would add rows that are copied as they
are. Foreign keys stay checked (they are system triggers). What the guards would have
checked is checked after the copy instead: each table's rows are compared with the
source's (``digest``), the tree head and the checkpoints too, and the log is verified.
"""

# ruff: noqa: S608 - names come from the two schemas themselves (quoted); values are parameters

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vault.errors import StoreError
from vault.storage.store import Connection

NOT_COPIED = frozenset({"schema_migrations"})
# Tables whose rows the target's own migrations put there (``0016_retention.sql``'s one
# row): replaced by the source's rows rather than counted as "not empty".
SEEDED_BY_SCHEMA = frozenset({"audit_retention"})
ROWID = "rowid"
BATCH = 1000
_MODULUS = 1 << 256


class SchemaMismatch(StoreError):
    """The target's schema does not hold a table or column of the source's."""


@dataclass(frozen=True, slots=True)
class Table:
    """One source table as it is copied: its columns, the order its rows are read in."""

    name: str
    columns: tuple[str, ...]
    order: tuple[str, ...]
    parents: frozenset[str]
    keys: tuple[str, ...] = ()  # the primary key's columns, if it has one

    def paged_by(self, row_id: str) -> tuple[str, ...]:
        """The unique columns ``digest`` pages by: the primary key, else the copied
        ``rowid``, else ``row_id`` (the side's own: SQLite's ``rowid``, PostgreSQL's ``ctid``)."""
        if self.keys:
            return self.keys
        return (ROWID,) if ROWID in self.columns else (row_id,)


@dataclass(frozen=True, slots=True)
class TargetColumn:
    name: str
    data_type: str
    always_identity: bool


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- the source ------------------------------------------------------------------------


def source_tables(conn: Connection) -> list[Table]:
    """The source's tables, parents before children (ties by name)."""
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    ).fetchall()
    tables: dict[str, Table] = {}
    for name, sql in rows:
        if name in NOT_COPIED:
            continue
        info = conn.execute(f"PRAGMA table_info({quoted(name)})").fetchall()
        columns = tuple(str(r[1]) for r in info)
        keys = tuple(str(r[1]) for r in sorted(info, key=lambda r: r[5]) if r[5])
        without_rowid = "WITHOUT ROWID" in str(sql).upper()
        parents = {str(r[2]) for r in conn.execute(f"PRAGMA foreign_key_list({quoted(name)})")} - {
            name
        }
        order = keys if without_rowid else (ROWID,)
        tables[name] = Table(name, columns, order, frozenset(parents), keys)
    return _parents_first(tables)


def _parents_first(tables: dict[str, Table]) -> list[Table]:
    done: list[Table] = []
    placed: set[str] = set()
    waiting = sorted(tables)
    while waiting:
        ready = [
            n for n in waiting if tables[n].parents <= placed | (tables[n].parents - set(tables))
        ]
        if not ready:
            raise SchemaMismatch(f"the tables {', '.join(waiting)} refer to each other in a cycle")
        for name in ready:
            done.append(tables[name])
            placed.add(name)
        waiting = [n for n in waiting if n not in placed]
    return done


def count_rows(conn: Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {quoted(table)}").fetchone()[0])


def _read(conn: Connection, table: Table) -> Any:
    return conn.execute(
        f"SELECT {_names(table.columns)} FROM {quoted(table.name)} ORDER BY {_names(table.order)}"
    )


# -- the target (PostgreSQL) --------------------------------------------------------------


def target_tables(conn: Connection) -> dict[str, dict[str, TargetColumn]]:
    """The target's tables in its current schema, with their columns."""
    rows = conn.execute(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_identity, c.identity_generation"
        " FROM information_schema.columns c JOIN information_schema.tables t"
        " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
        " ORDER BY c.table_name, c.ordinal_position"
    ).fetchall()
    out: dict[str, dict[str, TargetColumn]] = {}
    for table, column, data_type, identity, generation in rows:
        always = identity == "YES" and generation == "ALWAYS"
        out.setdefault(str(table), {})[str(column)] = TargetColumn(
            str(column), str(data_type), always
        )
    return out


def first_table_with_rows(conn: Connection, tables: list[str]) -> str | None:
    """The first of ``tables`` holding a row (beyond what the schema itself puts there)."""
    for name in tables:
        if name in NOT_COPIED:
            continue
        if name in SEEDED_BY_SCHEMA:
            if count_rows(conn, name) > 1:
                return name
            pristine = conn.execute(
                f"SELECT count(*) FROM {quoted(name)} WHERE min_index = 0 AND pruned_at IS NULL"
            ).fetchone()[0]
            if count_rows(conn, name) != int(pristine):
                return name
            continue
        if conn.execute(f"SELECT 1 FROM {quoted(name)} LIMIT 1").fetchone() is not None:
            return name
    return None


def matched(tables: list[Table], target: dict[str, dict[str, TargetColumn]]) -> list[Table]:
    """The source's tables with the columns the copy writes: each source column (refused
    if the target lacks it) and SQLite's ``rowid`` where the target has such a column."""
    out = []
    for table in tables:
        columns = target.get(table.name)
        if columns is None:
            raise SchemaMismatch(f"the target database has no table {table.name}")
        missing = [c for c in table.columns if c not in columns]
        if missing:
            raise SchemaMismatch(f"the target's table {table.name} has no column {missing[0]}")
        extra = (ROWID,) if ROWID in columns and ROWID not in table.columns else ()
        out.append(dataclasses.replace(table, columns=table.columns + extra))
    return out


def suspend_triggers(conn: Connection, tables: list[Table], *, enabled: bool) -> None:
    verb = "ENABLE" if enabled else "DISABLE"
    for table in tables:
        conn.execute(f"ALTER TABLE {quoted(table.name)} {verb} TRIGGER USER")


def reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """Identity and serial columns continue after the copied numbers."""
    for table in tables:
        for column in table.columns:
            row = conn.execute(
                "SELECT pg_get_serial_sequence(?, ?)", (quoted(table.name), column)
            ).fetchone()
            if row is None or row[0] is None:
                continue
            conn.execute(
                f"SELECT setval(?, coalesce(max({quoted(column)}), 0) + 1, false)"
                f" FROM {quoted(table.name)}",
                (row[0],),
            )


def _converter(data_type: str) -> Callable[[Any], Any]:
    if data_type == "boolean":
        return lambda v: v if v is None else bool(v)
    if data_type == "bytea":
        return lambda v: v if v is None else bytes(v)
    return lambda v: v


def copy_table(
    source: Connection,
    target: Connection,
    table: Table,
    columns: dict[str, TargetColumn],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert every row of ``table`` from ``source`` into ``target``; the number copied."""
    if table.name in SEEDED_BY_SCHEMA:
        target.execute(f"DELETE FROM {quoted(table.name)}")  # triggers suspended
    convert = [_converter(columns[c].data_type) for c in table.columns]
    overriding = any(columns[c].always_identity for c in table.columns)
    names = ", ".join(quoted(c) for c in table.columns)
    marks = ", ".join("?" for _ in table.columns)
    insert = (
        f"INSERT INTO {quoted(table.name)} ({names})"
        + (" OVERRIDING SYSTEM VALUE" if overriding else "")
        + f" VALUES ({marks})"
    )
    cursor = _read(source, table)
    done = 0
    while True:
        rows = cursor.fetchmany(BATCH)
        if not rows:
            return done
        target.executemany(
            insert, [tuple(f(v) for f, v in zip(convert, r, strict=True)) for r in rows]
        )
        done += len(rows)
        if progress is not None:
            progress(done)


def migration_dates(source: Connection, target: Connection) -> None:
    """Give the target's migrations the dates the source's were applied on."""
    theirs = source.execute(
        "SELECT number, name, applied_at FROM schema_migrations ORDER BY number"
    ).fetchall()
    ours = target.execute("SELECT number, name FROM schema_migrations ORDER BY number").fetchall()
    if [tuple(r[:2]) for r in theirs] != [tuple(r) for r in ours]:
        raise SchemaMismatch("the target's schema migrations are not the source's")
    target.executemany(
        "UPDATE schema_migrations SET applied_at = ? WHERE number = ?",
        [(r[2], r[0]) for r in theirs],
    )


# -- comparing ------------------------------------------------------------------------


def _normal(value: Any) -> Any:
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _names(columns: tuple[str, ...]) -> str:
    return ", ".join(quoted(c) if c not in (ROWID, "ctid") else c for c in columns)


SOURCE_ROW_ID = ROWID  # SQLite: every table the copy reads has a rowid or a primary key
TARGET_ROW_ID = "ctid"  # PostgreSQL: a row's place in its table, unique at any moment


def digest(conn: Connection, table: Table, row_id: str) -> tuple[int, int]:
    """(rows, an order-free digest of their values): equal on both sides when the rows are.

    Read in pages of ``BATCH`` rows by the table's primary key (or its row id: ``row_id``
    is ``SOURCE_ROW_ID`` or ``TARGET_ROW_ID``), so that neither side holds a large table
    at once."""
    keys = table.paged_by(row_id)
    extra = tuple(k for k in keys if k not in table.columns)
    width = len(table.columns)
    select = f"SELECT {_names(table.columns + extra)} FROM {quoted(table.name)}"
    at = [(table.columns + extra).index(k) for k in keys]
    total = count = 0
    last: tuple[Any, ...] | None = None
    while True:
        if last is None:
            rows = conn.execute(f"{select} ORDER BY {_names(keys)} LIMIT {BATCH}").fetchall()
        else:
            marks = ", ".join("?" for _ in keys)
            rows = conn.execute(
                f"{select} WHERE ({_names(keys)}) > ({marks}) ORDER BY {_names(keys)}"
                f" LIMIT {BATCH}",
                last,
            ).fetchall()
        for row in rows:
            values = tuple(_normal(v) for v in row[:width])
            h = hashlib.sha256(repr(values).encode()).digest()
            total = (total + int.from_bytes(h, "big")) % _MODULUS
        count += len(rows)
        if len(rows) < BATCH:
            return count, total
        last = tuple(rows[-1][i] for i in at)


__all__ = [
    "SOURCE_ROW_ID",
    "TARGET_ROW_ID",
    "SchemaMismatch",
    "Table",
    "TargetColumn",
    "copy_table",
    "count_rows",
    "digest",
    "first_table_with_rows",
    "matched",
    "migration_dates",
    "reset_sequences",
    "source_tables",
    "suspend_triggers",
    "target_tables",
]
