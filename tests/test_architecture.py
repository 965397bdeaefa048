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
    (tmp_path / "audit" / "ok.py").write_text("from crypto.signing import SigningKey\n")
    assert sorted(_violations(tmp_path)) == [
        "crypto/probe.py imports vault",
        "web/probe.py imports nacl (only crypto/ may)",
        "web/probe.py imports sqlcipher3",
    ]
