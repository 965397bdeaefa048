"""The SQLite spelling the code uses, turned into PostgreSQL's (cached per statement text).

The SQL of ``vault/`` and ``audit/`` is one text for both backends. What differs is
rewritten here, outside string literals and quoted names only:

- parameters: ``?`` → ``%s``, ``:name`` → ``%(name)s``, ``?1`` → ``%(_1)s`` (the
  connection then passes positional parameters by those names), and every ``%`` →
  ``%%`` (psycopg reads placeholders inside literals too; the connection always passes
  parameters);
- ``INSERT OR IGNORE INTO …`` → ``INSERT INTO … ON CONFLICT DO NOTHING``;
- ``max(a, b)`` / ``min(a, b)`` (SQLite's scalar forms) → ``greatest`` / ``least``;
- blob literals ``x'00ff'`` → ``'\\x00ff'::bytea``;
- the audit leaves, JSON stored as bytes: ``CAST(leaf AS TEXT)`` → ``jsonb``, and the
  JSON paths ``->> '$.a.b'`` / ``-> '$.a'`` → ``#>> '{a,b}'`` / ``#> '{a}'``;

Transaction statements are the connection's business (``BEGIN IMMEDIATE`` takes the
write lock there), not this module's.
"""

from __future__ import annotations

import re
from functools import lru_cache

# One token: a string literal, a quoted name, a comment, or a run of anything else.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|[^'\"-]+|-", re.S)
_NUMBERED = re.compile(r"\?(\d+)")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_OR_IGNORE = re.compile(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)
_LEAF_TEXT = re.compile(r"\bCAST\(\s*((?:\w+\.)?leaf)\s+AS\s+TEXT\s*\)", re.I)
_BLOB_PREFIX = re.compile(r"(?<![\w.])[xX]$")
_JSON_OP = re.compile(r"(->>?)\s*$")


def _tokens(sql: str) -> list[str]:
    """Literals, quoted names and comments alone; everything else merged between them."""
    out: list[str] = []
    for token in _TOKEN.findall(sql):
        if _is_plain(token) and out and _is_plain(out[-1]):
            out[-1] += token
        else:
            out.append(token)
    return out


def _is_plain(token: str) -> bool:
    return not (token.startswith(("'", '"', "--")))


@lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """PostgreSQL's text for one SQLite statement of the code (pure, cached)."""
    ignore = bool(_OR_IGNORE.search(sql))
    tokens = _tokens(sql)
    out: list[str] = []
    for token in tokens:
        if not _is_plain(token):
            prev = out[-1] if out else ""
            op = _JSON_OP.search(prev) if token.startswith("'$") else None
            blob = _BLOB_PREFIX.search(prev) if token.startswith("'") else None
            if blob is not None:  # a blob literal: SQLite's x'00ff' is bytea's '\x00ff'
                out[-1] = prev[: blob.start()]
                out.append("'\\x" + token[1:-1] + "'::bytea")
            elif op is not None:  # a JSON path: SQLite's '$.a.b' is PostgreSQL's '{a,b}'
                path = token[1:-1].removeprefix("$").lstrip(".")
                out[-1] = prev[: op.start()] + ("#>> " if op.group(1) == "->>" else "#> ")
                out.append("'{" + ",".join(path.split(".") if path else []) + "}'")
            else:
                out.append(token.replace("%", "%%"))  # psycopg reads placeholders everywhere
            continue
        text = _NUMBERED.sub(r"%(_\1)s", token.replace("%", "%%")).replace("?", "%s")
        text = _NAMED.sub(r"%(\1)s", text)
        text = _LEAF_TEXT.sub(r"convert_from(\1, 'UTF8')::jsonb", text)
        if ignore:
            text = _OR_IGNORE.sub("INSERT INTO", text)
        out.append(text)
    result = _scalar_max_min("".join(out))
    if ignore:
        result = _on_conflict(result)
    return result


def numbered(sql: str) -> bool:
    """Whether ``sql`` (SQLite's text) numbers its parameters (``?1``)."""
    return "%(_" in translate(sql)


def _on_conflict(sql: str) -> str:
    """Put ``ON CONFLICT DO NOTHING`` at the end, before a top-level ``RETURNING``."""
    body = sql.rstrip().removesuffix(";")
    plain = "".join(t if _is_plain(t) else " " * len(t) for t in _tokens(body))
    found = list(_RETURNING.finditer(plain))
    if found:
        at = found[-1].start()
        return body[:at] + "ON CONFLICT DO NOTHING " + body[at:]
    return body + " ON CONFLICT DO NOTHING"


def _scalar_max_min(sql: str) -> str:
    """``max(a, b)`` → ``greatest(a, b)``, ``min(a, b)`` → ``least(a, b)`` (aggregates stay)."""
    if "max" not in sql.lower() and "min" not in sql.lower():
        return sql
    tokens = _tokens(sql)
    # Flatten to characters with a flag "inside a literal", to match parentheses.
    chars: list[tuple[str, bool]] = []
    for token in tokens:
        plain = _is_plain(token)
        chars.extend((c, plain) for c in token)
    text = "".join(c for c, _ in chars)
    result = list(text)
    for match in re.finditer(r"\b(max|min)\s*\(", text, re.I):
        if not chars[match.start()][1]:
            continue
        depth, comma = 0, False
        for i in range(match.end() - 1, len(text)):
            c, plain = chars[i]
            if not plain:
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    break
            elif c == "," and depth == 1:
                comma = True
        if comma:
            name = "greatest" if match.group(1).lower() == "max" else "least"
            start = match.start()
            result[start : start + 3] = [name, "", ""]
    return "".join(result)
