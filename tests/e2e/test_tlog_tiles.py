"""The log as C2SP tlog-tiles over real HTTP (uvicorn): a client holding only the tiles and
the log's public key recomputes the signed root; entry bundles only to signed-in auditors."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from audit import merkle
from audit import note as notes
from audit.checkpoint import Checkpoint
from audit.entry import Action
from audit.tiles import encode_index
from cli.client import ClientError, HttpTransport, sign_in
from tests.e2e.conftest import LiveVault
from tests.people import enrol
from vault.auditing.checkpoints import Checkpointing
from vault.env import RequestInfo
from vault.identity.roles import Role


def _get(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 - loopback
        return response.read(), str(response.headers.get("Cache-Control"))


class TileClient:
    """Reads only ``<prefix>/tile/...``: every hash it combines comes from a tile fetched."""

    def __init__(self, prefix: str, size: int) -> None:
        self.prefix, self.size = prefix, size
        self.tiles: dict[tuple[int, int], list[bytes]] = {}
        self.caching: dict[str, str] = {}

    def _tile(self, level: int, index: int) -> list[bytes]:
        if (level, index) not in self.tiles:
            full = (index + 1) << (8 * (level + 1)) <= self.size
            width = 256 if full else (self.size >> (8 * level)) % 256
            path = f"tile/{level}/{encode_index(index)}" + ("" if full else f".p/{width}")
            data, cache = _get(f"{self.prefix}/{path}")
            assert len(data) == 32 * width
            self.caching[path] = cache
            self.tiles[level, index] = [data[i : i + 32] for i in range(0, len(data), 32)]
        return self.tiles[level, index]

    def subtree(self, height: int, index: int) -> bytes:
        """The hash of the 2**height leaves from ``index << height``, from one tile's hashes."""
        level, below = divmod(height, 8)
        start = index << below  # position of its first hash at tile level ``level``
        hashes = self._tile(level, start // 256)[start % 256 : start % 256 + (1 << below)]
        while len(hashes) > 1:
            hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    def root(self) -> bytes:
        parts = [self.subtree(h, i) for h, i in merkle.perfect_subtrees(0, self.size)]
        acc = parts[-1]
        for part in reversed(parts[:-1]):
            acc = merkle.node_hash(part, acc)
        return acc


@pytest.mark.parametrize("count", [0, 600])
def test_tiles_fetched_over_http_reproduce_the_signed_root(
    live_vault: LiveVault, count: int
) -> None:
    env = live_vault.env

    def grow(conn: object) -> None:
        for _ in range(count):
            env.record(conn, Action.AUDIT_VIEWED, RequestInfo())  # type: ignore[arg-type]

    env.db.write(grow)
    checkpointing = Checkpointing.for_settings(live_vault.settings)
    signed = checkpointing.issue_now(env)
    log_key = checkpointing.issuer.signer.verifier  # what `permanence audit public-key` prints
    prefix = live_vault.base_url + "/audit/tlog"

    note, cache = _get(prefix + "/checkpoint")
    assert cache == "public, max-age=5"
    opened = notes.open_note(note.decode(), [log_key])  # the log's signature, checked
    checkpoint = Checkpoint.parse(opened.text)
    assert checkpoint.size == signed.checkpoint.size > count
    client = TileClient(prefix, checkpoint.size)
    assert client.root() == checkpoint.root
    for path, caching in client.caching.items():
        assert caching.endswith("immutable") == (".p/" not in path), path
    if count:  # each full level-0 tile hashes to its level-1 hash
        assert "tile/1/000.p/2" in client.caching
        for n in (0, 1):
            assert client._tile(0, n) and client.caching[f"tile/0/00{n}"].endswith("immutable")
            assert client.subtree(8, n) == client.tiles[1, 0][n]
            hashes = client.tiles[0, n]
            while len(hashes) > 1:
                hashes = [
                    merkle.node_hash(a, b) for a, b in zip(hashes[::2], hashes[1::2], strict=True)
                ]
            assert hashes[0] == client.tiles[1, 0][n]

    # beyond the signed tree, or spelled another way: nothing
    size = checkpoint.size
    for path in (
        f"tile/0/{encode_index(size // 256)}.p/{size % 256 + 1}",
        "tile/0/0",
        "tile/9/000",
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            _get(f"{prefix}/{path}")
        assert refused.value.code == 404, path
        refused.value.close()


def test_entry_bundles_go_to_signed_in_auditors_only(live_vault: LiveVault) -> None:
    env = live_vault.env
    auditor = enrol(env, Role.AUDITOR, "auditor.tiles")
    member = enrol(env, Role.MEMBER, "dr.tiles", practice="Cabinet Tiles")
    env.db.write(
        lambda conn: [env.record(conn, Action.AUDIT_VIEWED, RequestInfo()) for _ in range(300)]
    )
    size = Checkpointing.for_settings(live_vault.settings).issue_now(env).checkpoint.size
    prefix = live_vault.base_url + "/audit/tlog"
    level0, _ = _get(prefix + "/tile/0/000")

    with urllib.request.urlopen(prefix + "/tile/entries/000", timeout=20) as anonymous:  # noqa: S310
        assert anonymous.url.startswith(live_vault.base_url + "/login?next=")  # sent to sign in
        assert anonymous.headers.get_content_type() == "text/html"
    as_member = HttpTransport(live_vault.base_url)
    sign_in(as_member, member.username, member.password, member.code())
    with pytest.raises(ClientError):
        as_member.open_stream("/audit/tlog/tile/entries/000")

    transport = HttpTransport(live_vault.base_url)
    sign_in(transport, auditor.username, auditor.password, auditor.code())
    with transport.open_stream("/audit/tlog/tile/entries/000") as response:
        bundle = response.read()
        # Retention prunes these entries on the server: no browser may keep a copy.
        assert response.headers["Cache-Control"] == "private, no-store"
    entries, at = [], 0
    while at < len(bundle):
        length = int.from_bytes(bundle[at : at + 2], "big")
        entries.append(bundle[at + 2 : at + 2 + length])
        at += 2 + length
    assert len(entries) == 256
    assert b"".join(merkle.leaf_hash(e) for e in entries) == level0
    assert entries[0].startswith(b'{"index":0,')
    partial = f"/audit/tlog/tile/entries/001.p/{size - 256}"
    with transport.open_stream(partial) as response:
        assert response.headers["Cache-Control"] == "private, no-store"
