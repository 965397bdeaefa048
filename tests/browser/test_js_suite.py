"""The JS test suite (``node --test tests/js/``) and the vendored-files check, from pytest.

So that the project's one test command also runs the browser module's vector
tests under Node and notices a vendored library edited or replaced by hand.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "vendor_static.py"


def test_node_suite_passes(node: str) -> None:
    """Every tests/js/*.test.mjs passes against the vendored libsodium.js."""
    result = subprocess.run(
        [node, "--test", "tests/js/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_vendored_files_match_versions_json() -> None:
    """``scripts/vendor_static.py --check`` re-hashes web/static/vendor/ against VERSIONS.json."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_vendor_check_notices_a_modified_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check can fail: a copy of the vendor folder with one byte changed is reported."""
    spec = importlib.util.spec_from_file_location("vendor_static", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    vendor_static = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "vendor_static", vendor_static)  # dataclasses need it
    spec.loader.exec_module(vendor_static)
    check: Callable[[Path], list[str]] = vendor_static.check
    copy = tmp_path / "vendor"
    for path in (REPO / "web" / "static" / "vendor").rglob("*"):
        if path.is_file():
            target = copy / path.relative_to(REPO / "web" / "static" / "vendor")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    assert check(copy) == []
    htmx = copy / "htmx.org" / "htmx.min.js"
    htmx.write_bytes(htmx.read_bytes().replace(b"htmx", b"HTMX", 1))
    (copy / "stray.js").write_text("alert(1)")
    assert sorted(check(copy)) == [
        "htmx.org/htmx.min.js: sha256 does not match VERSIONS.json",
        "stray.js: not listed in VERSIONS.json",
    ]


def test_vendor_check_covers_the_tests_only_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """axe-core (tests/vendor/, never served) is pinned and re-hashed the same way."""
    spec = importlib.util.spec_from_file_location("vendor_static", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    vendor_static = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "vendor_static", vendor_static)
    spec.loader.exec_module(vendor_static)
    packages = vendor_static.TEST_PACKAGES
    assert [p.name for p in packages] == ["axe-core"]
    copy = tmp_path / "vendor"
    source = REPO / "tests" / "vendor"
    for path in source.rglob("*"):
        if path.is_file():
            target = copy / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    assert vendor_static.check(copy, packages) == []
    axe = copy / "axe-core" / "axe.min.js"
    axe.write_bytes(axe.read_bytes().replace(b"axe", b"AXE", 1))
    assert vendor_static.check(copy, packages) == [
        "axe-core/axe.min.js: sha256 does not match VERSIONS.json"
    ]
