"""Both schemas read back from their catalogues in one normalised shape, to compare.

SQLite's side comes from ``sqlite_master`` and the ``PRAGMA`` lists; PostgreSQL's from
``pg_catalog``. Types are mapped (INTEGER → bigint, TEXT → text, BLOB → bytea, TEXT
COLLATE NOCASE → citext); a primary key's columns are NOT NULL on both. PostgreSQL's
explicit ``rowid`` columns (SQLite's implicit rowid, which the code reads) are listed
apart, as is its TRUNCATE guard (SQLite has no TRUNCATE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vault.storage.store import Connection

SQLITE_TYPES = {"INTEGER": "bigint", "TEXT": "text", "BLOB": "bytea"}


@dataclass
class Table:
    columns: dict[str, tuple[str, bool]] = field(default_factory=dict)  # name → (type, not null)
    primary_key: tuple[str, ...] = ()
    unique: set[tuple[str, ...]] = field(default_factory=set)
    foreign_keys: set[tuple[tuple[str, ...], str, tuple[str, ...]]] = field(default_factory=set)
    checks: int = 0


@dataclass
class Shape:
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, tuple[str, tuple[str, ...], bool]] = field(default_factory=dict)
    triggers: dict[str, tuple[str, str, str]] = field(
        default_factory=dict
    )  # name → table, when, event
    rowid_columns: set[str] = field(default_factory=set)  # "table.rowid" (PostgreSQL only)
    extra_triggers: set[str] = field(default_factory=set)


def _rows(conn: Connection, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return list(conn.execute(sql, params).fetchall())


def sqlite_shape(conn: Connection) -> Shape:
    shape = Shape()
    for name, sql in _rows(
        conn,
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    ):
        table = Table()
        nocase = set(re.findall(r"(\w+)\s+TEXT[^,\n]*COLLATE NOCASE", sql))
        pk: list[tuple[int, str]] = []
        for _cid, col, typ, notnull, _default, pk_order in _rows(
            conn, f"PRAGMA table_info({name})"
        ):
            kind = "citext" if col in nocase else SQLITE_TYPES[typ]
            table.columns[col] = (kind, bool(notnull) or pk_order > 0)
            if pk_order:
                pk.append((pk_order, col))
        table.primary_key = tuple(c for _, c in sorted(pk))
        for _seq, index, unique, origin, _partial in _rows(conn, f"PRAGMA index_list({name})"):
            if unique and origin == "u":
                cols = tuple(r[2] for r in _rows(conn, f"PRAGMA index_info({index})"))
                table.unique.add(cols)
        fks: dict[int, list[tuple[str, str, str]]] = {}
        for fk_id, _seq, target, src, dst, *_ in _rows(conn, f"PRAGMA foreign_key_list({name})"):
            fks.setdefault(fk_id, []).append((target, src, dst))
        for parts in fks.values():
            table.foreign_keys.add(
                (tuple(p[1] for p in parts), parts[0][0], tuple(p[2] for p in parts))
            )
        table.checks = len(re.findall(r"\bCHECK\s*\(", sql, re.I))
        shape.tables[name] = table
    for name, table_name, sql in _rows(
        conn,
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
    ):
        cols = tuple(r[2] for r in _rows(conn, f"PRAGMA index_info({name})"))
        shape.indexes[name] = (table_name, cols, " WHERE " in sql.upper())
    for name, table_name, sql in _rows(
        conn, "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
    ):
        found = re.search(r"\b(BEFORE|AFTER)\s+(INSERT|UPDATE|DELETE)\b", sql, re.I)
        assert found is not None, sql
        shape.triggers[name] = (table_name, found.group(1).upper(), found.group(2).upper())
    return shape


def postgres_shape(conn: Connection) -> Shape:
    shape = Shape()
    names = [
        r[0]
        for r in _rows(conn, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    ]
    for name in names:
        table = Table()
        for col, data_type, udt, nullable in _rows(
            conn,
            "SELECT column_name, data_type, udt_name, is_nullable FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (name,),
        ):
            if col == "rowid":
                shape.rowid_columns.add(f"{name}.rowid")
                continue
            kind = udt if data_type == "USER-DEFINED" else data_type
            table.columns[col] = (kind, nullable == "NO")
        for contype, cols, target, target_cols in _rows(
            conn,
            "SELECT c.contype,"
            " (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.conkey)"
            "   WITH ORDINALITY k(attnum, n) JOIN pg_attribute a"
            "   ON a.attrelid = c.conrelid AND a.attnum = k.attnum),"
            " f.relname,"
            " (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.confkey)"
            "   WITH ORDINALITY k(attnum, n) JOIN pg_attribute a"
            "   ON a.attrelid = c.confrelid AND a.attnum = k.attnum)"
            " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
            " LEFT JOIN pg_class f ON f.oid = c.confrelid"
            " WHERE t.relname = ? AND t.relnamespace = current_schema()::regnamespace",
            (name,),
        ):
            columns = tuple(str(cols).split(","))
            if contype == "p":
                table.primary_key = columns
            elif contype == "u" and columns != ("rowid",):
                table.unique.add(columns)
            elif contype == "f":
                table.foreign_keys.add((columns, str(target), tuple(str(target_cols).split(","))))
            elif contype == "c":
                table.checks += 1
        shape.tables[name] = table
    for name, table_name, cols, partial in _rows(
        conn,
        "SELECT i.relname, t.relname,"
        " (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(x.indkey::int2[])"
        "   WITH ORDINALITY k(attnum, n) JOIN pg_attribute a"
        "   ON a.attrelid = x.indrelid AND a.attnum = k.attnum),"
        " x.indpred IS NOT NULL"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_class t ON t.oid = x.indrelid"
        " WHERE t.relnamespace = current_schema()::regnamespace"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
    ):
        shape.indexes[name] = (table_name, tuple(str(cols).split(",")), bool(partial))
    for name, table_name, when, event in _rows(
        conn,
        "SELECT t.tgname, c.relname,"
        " CASE WHEN t.tgtype & 2 <> 0 THEN 'BEFORE' ELSE 'AFTER' END,"
        " CASE WHEN t.tgtype & 4 <> 0 THEN 'INSERT' WHEN t.tgtype & 8 <> 0 THEN 'DELETE'"
        "  WHEN t.tgtype & 16 <> 0 THEN 'UPDATE' ELSE 'TRUNCATE' END"
        " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace",
    ):
        if event == "TRUNCATE":
            shape.extra_triggers.add(str(name))
            continue
        shape.triggers[str(name)] = (str(table_name), str(when), str(event))
    return shape
