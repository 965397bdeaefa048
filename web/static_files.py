"""Static files under a fingerprint of their content, cached for a year and never revalidated.

Every page names its scripts and styles as ``/static/<fingerprint>/<path>`` (the template
global ``static(path)``), where the fingerprint is a hash of the whole static tree, names
and contents. The ES modules import one another by relative paths, so one fingerprint for
the tree keeps them consistent without rewriting any import: a module never meets a
sibling from another release. Those URLs are answered with ``Cache-Control: public,
max-age=31536000, immutable``; a changed file changes the fingerprint, so a new release's
pages name new URLs while the HTML itself stays ``no-store`` (web/security.py).

The plain ``/static/<path>`` URLs still work (tools, old bookmarks), revalidated each time
(``no-cache`` with the ETag StaticFiles sends); another fingerprint than the current one is
a 404, so an old URL can never be cached with new content.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
FINGERPRINT_CHARS = 16


def tree_fingerprint(directory: Path) -> str:
    """A hash of every file's relative path and bytes under ``directory``, in name order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:FINGERPRINT_CHARS]


class CachedStatic:
    """StaticFiles whose successful answers carry ``cache_control``."""

    def __init__(self, directory: Path, cache_control: str) -> None:
        self._files = StaticFiles(directory=directory)
        self._cache_control = cache_control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                MutableHeaders(scope=message)["cache-control"] = self._cache_control
            await send(message)

        await self._files(scope, receive, send_cached)


def url_prefix(fingerprint: str | None) -> str:
    """Where pages find the static files: fingerprinted, or plain when ``None``."""
    return f"/static/{fingerprint}" if fingerprint else "/static"
