"""Vendor the browser libraries into ``web/static/vendor/`` from pinned npm tarballs.

Users never need Node: the files this script extracts are committed. A maintainer
runs it only to change a pinned version::

    python scripts/vendor_static.py          # npm pack, verify, extract, write VERSIONS.json
    python scripts/vendor_static.py --check  # no network: re-hash the vendored files

Libraries only the tests use (axe-core) are vendored the same way into
``tests/vendor/``, with their own VERSIONS.json: the server never serves that
folder, so no page can load them.

Each tarball is checked against the registry's ``dist.integrity`` (sha512) *and*
against the integrity pinned below, so a registry that changes a published
version is noticed. ``VERSIONS.json`` records, for every package, its name,
version, npm integrity and the sha256 (hex and SRI base64) of every vendored file.

One file is patched: ``libsodium-wrappers.mjs`` imports the bare specifier
``"libsodium-sumo"``, which a browser cannot resolve without an import map (an
inline script the CSP forbids), so it is rewritten to the relative path of the
vendored ``libsodium-sumo.mjs``. VERSIONS.json records the hash of the file as
published and as vendored.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "web" / "static" / "vendor"
TEST_VENDOR = ROOT / "tests" / "vendor"  # used by the browser tests only, never served
MANIFEST = "VERSIONS.json"


@dataclass(frozen=True)
class Patch:
    """Replace exactly one occurrence of ``old`` by ``new`` in a vendored text file."""

    old: str
    new: str
    why: str


@dataclass(frozen=True)
class Package:
    """One pinned npm package and the files the browser needs from it."""

    name: str
    version: str
    integrity: str  # npm dist.integrity, pinned at the time of vendoring
    files: dict[str, str]  # path inside the tarball -> path under web/static/vendor/
    patches: dict[str, Patch] = field(default_factory=dict)  # vendored path -> patch


WEB_PACKAGES = (
    Package(
        name="htmx.org",
        version="2.0.11",
        integrity="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
        files={
            "package/dist/htmx.min.js": "htmx.org/htmx.min.js",
            "package/LICENSE": "htmx.org/LICENSE",
        },
    ),
    Package(
        name="libsodium-sumo",
        version="0.8.4",
        integrity="sha512-TMtHShQfVVsaxDygyapvUC3o7YsPgXa/hRWeIgzyFz6w5k/1hirGptCxp1U7XwW3rCskaTTYKgV10v86UiGgNw==",
        files={
            "package/dist/modules-sumo-esm/libsodium-sumo.mjs": "libsodium-sumo/libsodium-sumo.mjs",
            "package/LICENSE": "libsodium-sumo/LICENSE",
        },
    ),
    Package(
        name="libsodium-wrappers-sumo",
        version="0.8.4",
        integrity="sha512-ql7hcgulKZ3ekfa2DGAogcCKsWU0diA/0nArz1CFzh93WQdb46/Kj18ka/Hifq6uA3Ush34Pc6vU/6HXeRwUkg==",
        files={
            "package/dist/modules-sumo-esm/libsodium-wrappers.mjs": (
                "libsodium-wrappers-sumo/libsodium-wrappers.mjs"
            ),
            "package/LICENSE": "libsodium-wrappers-sumo/LICENSE",
        },
        patches={
            "libsodium-wrappers-sumo/libsodium-wrappers.mjs": Patch(
                old='from"libsodium-sumo"',
                new='from"../libsodium-sumo/libsodium-sumo.mjs"',
                why="bare specifier made relative to the vendored file (no import map under CSP)",
            )
        },
    ),
)


TEST_PACKAGES = (
    Package(
        name="axe-core",
        version="4.14.1",
        integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        files={
            "package/axe.min.js": "axe-core/axe.min.js",
            "package/LICENSE": "axe-core/LICENSE",
        },
    ),
)

# Each vendor folder with the packages it holds (and its own VERSIONS.json).
FOLDERS = ((VENDOR, WEB_PACKAGES), (TEST_VENDOR, TEST_PACKAGES))


class VendorError(Exception):
    """The registry, a tarball or a vendored file is not what was pinned."""


def _sha256(data: bytes) -> dict[str, str]:
    digest = hashlib.sha256(data).digest()
    return {"sha256": digest.hex(), "sri": "sha256-" + base64.b64encode(digest).decode()}


def _npm(*args: str, cwd: Path) -> Any:
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError("npm is needed to vendor (not to run Permanence)")
    # Fixed arguments built from the pins above; no shell.
    out = subprocess.run(  # noqa: S603
        [npm, *args, "--json"], cwd=cwd, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def _fetch(pkg: Package, workdir: Path) -> Path:
    """Download the tarball with the ordinary npm client and verify its sha512."""
    spec = f"{pkg.name}@{pkg.version}"
    registry_integrity = _npm("view", spec, "dist.integrity", cwd=workdir)
    if registry_integrity != pkg.integrity:
        raise VendorError(f"{spec}: registry integrity {registry_integrity} != pinned")
    packed = _npm("pack", spec, "--pack-destination", str(workdir), cwd=workdir)
    tarball = workdir / str(packed[0]["filename"])
    actual = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if actual != pkg.integrity:
        raise VendorError(f"{spec}: tarball sha512 {actual} != {pkg.integrity}")
    return tarball


def _extract(pkg: Package, tarball: Path, vendor_dir: Path) -> dict[str, Any]:
    """Write the package's files under ``vendor_dir`` and return its VERSIONS.json record."""
    files = []
    with tarfile.open(tarball, "r:gz") as archive:
        for source, dest in pkg.files.items():
            member = archive.getmember(source)
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is None:
                raise VendorError(f"{pkg.name}: {source} is not a regular file")
            data = handle.read()
            record: dict[str, Any] = {"path": dest, "source": source, **_sha256(data)}
            patch = pkg.patches.get(dest)
            if patch is not None:
                text = data.decode("utf-8")
                if text.count(patch.old) != 1:
                    raise VendorError(f"{dest}: expected exactly one {patch.old!r}")
                data = text.replace(patch.old, patch.new).encode("utf-8")
                record = {
                    "path": dest,
                    "source": source,
                    **_sha256(data),
                    "patched": {"why": patch.why, "old": patch.old, "new": patch.new},
                    "published_sha256": record["sha256"],
                }
            target = vendor_dir / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            files.append(record)
    return {
        "name": pkg.name,
        "version": pkg.version,
        "integrity": pkg.integrity,
        "tarball": tarball.name,
        "files": files,
    }


def vendor() -> None:
    """Fetch, verify and extract every pinned package; rewrite each folder's VERSIONS.json."""
    with tempfile.TemporaryDirectory(prefix="permanence-vendor-") as tmp:
        for vendor_dir, packages in FOLDERS:
            records = [_extract(pkg, _fetch(pkg, Path(tmp)), vendor_dir) for pkg in packages]
            manifest = {
                "comment": (
                    "Written by scripts/vendor_static.py; check with --check. Do not edit by hand."
                ),
                "packages": records,
            }
            text = json.dumps(manifest, indent=2) + "\n"
            (vendor_dir / MANIFEST).write_text(text, encoding="utf-8")


def check(vendor_dir: Path = VENDOR, packages: tuple[Package, ...] = WEB_PACKAGES) -> list[str]:
    """Return the problems found re-hashing ``vendor_dir`` against its VERSIONS.json."""
    try:
        manifest = json.loads((vendor_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{MANIFEST}: {exc}"]
    problems = []
    listed = {MANIFEST}
    pinned = {(p.name, p.version, p.integrity) for p in packages}
    for record in manifest["packages"]:
        if (record["name"], record["version"], record["integrity"]) not in pinned:
            problems.append(f"{record['name']}@{record['version']}: not the pinned version")
        for entry in record["files"]:
            listed.add(entry["path"])
            path = vendor_dir / entry["path"]
            if not path.is_file():
                problems.append(f"{entry['path']}: missing")
                continue
            hashes = _sha256(path.read_bytes())
            if hashes["sha256"] != entry["sha256"] or hashes["sri"] != entry["sri"]:
                problems.append(f"{entry['path']}: sha256 does not match {MANIFEST}")
    if {p.name for p in packages} != {r["name"] for r in manifest["packages"]}:
        problems.append(f"{MANIFEST}: packages differ from the pins in vendor_static.py")
    for path in sorted(vendor_dir.rglob("*")):
        rel = path.relative_to(vendor_dir).as_posix()
        if path.is_file() and rel not in listed:
            problems.append(f"{rel}: not listed in {MANIFEST}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="re-hash vendored files, no network (exit 1 on drift)"
    )
    args = parser.parse_args(argv)
    if args.check:
        failed = False
        for vendor_dir, packages in FOLDERS:
            problems = check(vendor_dir, packages)
            for problem in problems:
                print(f"vendor check: {vendor_dir.relative_to(ROOT)}: {problem}", file=sys.stderr)
            if not problems:
                print(f"vendor check: {vendor_dir.relative_to(ROOT)} matches {MANIFEST}")
            failed = failed or bool(problems)
        return 1 if failed else 0
    try:
        vendor()
    except (VendorError, subprocess.CalledProcessError) as exc:
        print(f"vendor: {exc}", file=sys.stderr)
        return 1
    print(f"vendor: wrote {MANIFEST} in {', '.join(str(d.relative_to(ROOT)) for d, _ in FOLDERS)}")
    return 1 if any(check(d, p) for d, p in FOLDERS) else 0


if __name__ == "__main__":
    sys.exit(main())
