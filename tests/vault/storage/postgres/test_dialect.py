"""The SQLite spelling the code uses, as PostgreSQL reads it."""

from __future__ import annotations

import pytest

from vault.storage.postgres.dialect import numbered, translate


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = %s AND c = %s"),
        ("SELECT '?', \"?\" FROM t WHERE x = ?", "SELECT '?', \"?\" FROM t WHERE x = %s"),
        (
            "SELECT 1 WHERE s LIKE 'account:%' OR t = ?",
            "SELECT 1 WHERE s LIKE 'account:%%' OR t = %s",
        ),
        ("UPDATE t SET a = :at WHERE k = :key", "UPDATE t SET a = %(at)s WHERE k = %(key)s"),
        ("SELECT ':at', a::text FROM t", "SELECT ':at', a::text FROM t"),
        (
            "SELECT 1 WHERE a = ?1 OR b = ?1 OR c = ?2",
            "SELECT 1 WHERE a = %(_1)s OR b = %(_1)s OR c = %(_2)s",
        ),
        (
            "INSERT OR IGNORE INTO a (x) VALUES (?)",
            "INSERT INTO a (x) VALUES (%s) ON CONFLICT DO NOTHING",
        ),
        (
            "INSERT OR IGNORE INTO a (x) VALUES ('RETURNING') RETURNING x",
            "INSERT INTO a (x) VALUES ('RETURNING') ON CONFLICT DO NOTHING RETURNING x",
        ),
        (
            "SELECT max(a, b), min(x, 'y,z'), max(n), min(m)",
            "SELECT greatest(a, b), least(x, 'y,z'), max(n), min(m)",
        ),
        ("SELECT max(coalesce(a, 1)) FROM t", "SELECT max(coalesce(a, 1)) FROM t"),
        ("SELECT x'00ff', 'x''00'", "SELECT '\\x00ff'::bytea, 'x''00'"),
        (
            "SELECT CAST(e.leaf AS TEXT) ->> '$.detail.count', j -> '$.targets', j ->> '$.at'",
            "SELECT convert_from(e.leaf, 'UTF8')::jsonb #>> '{detail,count}', j #> '{targets}',"
            " j #>> '{at}'",
        ),
        ("SELECT 1 -- a comment with ? and %\n", "SELECT 1 -- a comment with ? and %%\n"),
    ],
)
def test_translations(sqlite: str, postgres: str) -> None:
    assert translate(sqlite) == postgres


def test_numbered_parameters_are_told_apart() -> None:
    assert numbered("SELECT ?1")
    assert not numbered("SELECT ?")
    assert not numbered("SELECT '?1'")
