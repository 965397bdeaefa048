"""The dependency direction web → vault → audit → crypto, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYERS = ["crypto", "audit", "vault", "web", "cli"]  # each may import only those before it
THIRD_PARTY_OWNERS = {"nacl": "crypto", "argon2": "crypto", "pyotp": "crypto"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _violations(root: Path = REPO) -> list[str]:
    found = []
    for rank, package in enumerate(LAYERS):
        allowed = set(LAYERS[: rank + 1])
        for path in sorted((root / package).rglob("*.py")):
            for name in _imports(path):
                if name in LAYERS and name not in allowed:
                    found.append(f"{path.relative_to(root)} imports {name}")
                owner = THIRD_PARTY_OWNERS.get(name)
                if owner and owner != package:
                    found.append(f"{path.relative_to(root)} imports {name} (only {owner}/ may)")
                if name == "sqlcipher3" and path != root / "vault" / "storage" / "store.py":
                    found.append(f"{path.relative_to(root)} imports sqlcipher3")
                postgres = root / "vault" / "storage" / "postgres"
                if name == "psycopg" and postgres not in path.parents:
                    found.append(f"{path.relative_to(root)} imports psycopg")
    return found


def test_imports_point_one_way() -> None:
    """No package imports a layer above it, and wrapped libraries stay in their wrapper."""
    assert _violations() == []


def test_the_check_catches_backward_imports(tmp_path: Path) -> None:
    """The checker finds a crypto → vault import and a stray nacl import (so it can fail)."""
    for package in LAYERS:
        (tmp_path / package).mkdir()
    (tmp_path / "crypto" / "probe.py").write_text("from vault.errors import VaultError\n")
    (tmp_path / "web" / "probe.py").write_text("import nacl.secret\nimport sqlcipher3\n")
    (tmp_path / "vault" / "storage" / "postgres").mkdir(parents=True)
    (tmp_path / "vault" / "storage" / "postgres" / "ok.py").write_text("import psycopg\n")
    (tmp_path / "vault" / "storage" / "probe.py").write_text("from psycopg import sql\n")
    (tmp_path / "audit" / "ok.py").write_text("from crypto.signing import SigningKey\n")
    assert sorted(_violations(tmp_path)) == [
        "crypto/probe.py imports vault",
        "vault/storage/probe.py imports psycopg",
        "web/probe.py imports nacl (only crypto/ may)",
        "web/probe.py imports sqlcipher3",
    ]


# -- web/ and cli/ call use cases: no SQL, no transaction, no audit append of their own --------

EDGES = ("web", "cli")
SQL_CALLS = {"execute", "executemany", "executescript"}
DATABASE_CALLS = {"read", "reading", "write", "write_async"}  # on a Database (``db``, ``x.db``)
WRITER_CALLS = {"run", "run_async", "submit"}  # on a Writer (``writer``, ``x.writer``)
# Storage and log plumbing a use case keeps to itself (key-file helpers stay importable).
PLUMBING_IMPORTS = {
    "vault.storage.store": {"Connection", "connect", "translated_errors"},
    "vault.storage.writer": None,  # None: any name
    "audit.connection": None,
    "audit.log": None,
    "audit.issuer": {"add_cosignature"},
    "sqlite3": None,
}


def _receiver(node: ast.expr) -> str | None:
    """The name a method is called on: ``db`` for ``db.read`` and ``env.db.read``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _import_violations(node: ast.AST, shown: str) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.module in PLUMBING_IMPORTS and node.level == 0:
        banned = PLUMBING_IMPORTS[node.module]
        return [
            f"{shown} imports {alias.name} from {node.module}"
            for alias in node.names
            if banned is None or alias.name in banned
        ]
    if isinstance(node, ast.Import):
        return [f"{shown} imports {a.name}" for a in node.names if a.name in PLUMBING_IMPORTS]
    return []


def _call_violation(node: ast.AST, shown: str) -> str | None:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    method, on = node.func.attr, _receiver(node.func.value)
    rules = [
        (method in SQL_CALLS, f"runs SQL (.{method})"),
        (method in DATABASE_CALLS and on == "db", f"opens a transaction (db.{method})"),
        (method in WRITER_CALLS and on == "writer", f"opens a transaction (writer.{method})"),
        (method == "record" and on == "env", "composes an audit entry (env.record)"),
        (
            method == "append" and (on == "log" or _is_audit_log(node.func.value)),
            "appends to the audit log",
        ),
        (method == "new" and on == "AuditEntry", "composes an audit entry (AuditEntry.new)"),
    ]
    return next((f"{shown} {what}" for broken, what in rules if broken), None)


def _edge_violations(path: Path, shown: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        found.extend(_import_violations(node, shown))
        call = _call_violation(node, shown)
        if call is not None:
            found.append(call)
    return found


def _is_audit_log(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _receiver(node.func) == "AuditLog"


def _use_case_violations(root: Path = REPO) -> list[str]:
    found = []
    for package in EDGES:
        for path in sorted((root / package).rglob("*.py")):
            found.extend(_edge_violations(path, str(path.relative_to(root))))
    for path in sorted(_product_files(root)):
        shown = str(path.relative_to(root))
        if shown.startswith("vault/storage/"):
            continue
        for driver in ("sqlcipher3", "psycopg"):
            if driver in _imports(path):
                found.append(f"{shown} touches the driver ({driver})")
    return found


def _product_files(root: Path) -> list[Path]:
    """Every Python file of the repository but the tests (and hidden folders: the venv)."""
    files = list(root.glob("*.py"))
    for top in root.iterdir():
        if top.is_dir() and not top.name.startswith(".") and top.name != "tests":
            files.extend(top.rglob("*.py"))
    return files


def test_web_and_cli_only_call_use_cases() -> None:
    """No SQL, no transaction and no audit entry is composed in web/ or cli/: every audited
    state change is a vault use case; only vault/storage/ touches the driver."""
    assert _use_case_violations() == []


def test_the_check_catches_sql_transactions_and_appends_at_the_edges(tmp_path: Path) -> None:
    """The checker finds each way a route or a command could bypass the use cases (so it
    can fail), and lets a route call a use case."""
    for package in [*LAYERS, "bench"]:
        (tmp_path / package).mkdir()
    (tmp_path / "web" / "probe.py").write_text(
        "from vault.storage.store import Connection, read_key_file\n"
        "from audit.log import AuditLog\n"
        "def route(env, request):\n"
        "    env.db.read(lambda c: c.execute('SELECT 1'))\n"
        "    env.db.write(lambda c: env.record(c, 'x', request))\n"
        "    AuditLog().append(None, None)\n"
    )
    (tmp_path / "cli" / "probe.py").write_text(
        "import sqlite3\n"
        "def command(ctx, env):\n"
        "    ctx.writer.run(lambda c: c.executemany('DELETE FROM item', []))\n"
        "    env.log.append(None, None)\n"
        "    AuditEntry.new('x')\n"
    )
    (tmp_path / "cli" / "ok.py").write_text(
        "from vault.items import deposits\n"
        "from vault.storage.store import read_key_file\n"
        "def command(env, request, principal, d):\n"
        "    return deposits.deposit(env, request, principal, d)\n"
    )
    (tmp_path / "bench" / "probe.py").write_text("import sqlcipher3\n")
    assert sorted(_use_case_violations(tmp_path)) == [
        "bench/probe.py touches the driver (sqlcipher3)",
        "cli/probe.py appends to the audit log",
        "cli/probe.py composes an audit entry (AuditEntry.new)",
        "cli/probe.py imports sqlite3",
        "cli/probe.py opens a transaction (writer.run)",
        "cli/probe.py runs SQL (.executemany)",
        "web/probe.py appends to the audit log",
        "web/probe.py composes an audit entry (env.record)",
        "web/probe.py imports AuditLog from audit.log",
        "web/probe.py imports Connection from vault.storage.store",
        "web/probe.py opens a transaction (db.read)",
        "web/probe.py opens a transaction (db.write)",
        "web/probe.py runs SQL (.execute)",
    ]
