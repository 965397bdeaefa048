"""C2SP ``tlog-tiles``: the log's hashes and entries as static tiles, read from the stored tree.

    tile/<L>/<N>[.p/<W>]        hash tile: 256 (or W) hashes of level-L tiles
    tile/entries/<N>[.p/<W>]    entry bundle: 256 (or W) entries, each uint16 length + bytes

The hash at position ``i`` of tile ``N`` at level ``L`` is the Merkle tree
hash of the ``256**L`` leaves starting at ``(N * 256 + i) * 256**L``: the
stored perfect-subtree hash at tree level ``8 * L`` and index ``N * 256 + i``
(``audit_entries.hash`` for level 0, ``audit_nodes`` above; neither is
ever pruned). A tile is served only when the latest signed checkpoint covers
all of it, so its bytes never change: full tiles are immutable.
``N`` is written in groups of three digits, all but the last prefixed by
``x`` (1234067 is ``x001/x234/067``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audit.connection import Connection
from audit.errors import AuditError, LogInconsistent

WIDTH = 256
LEVEL_BITS = 8
MAX_ENTRY_BYTES = 0xFFFF
_INDEX_RE = re.compile(r"^(?:x\d{3}/)*\d{3}$")
_PATH_RE = re.compile(r"^(entries|0|[1-9]\d?)/((?:x\d{3}/)*\d{3})(?:\.p/([1-9]\d{0,2}))?$")


class NoSuchTile(AuditError):
    """A tile path that is malformed, or names a tile the signed tree does not cover."""


@dataclass(frozen=True, slots=True)
class Tile:
    """``level`` None for an entry bundle; ``width`` 256 for a full tile."""

    level: int | None
    index: int
    width: int

    @property
    def full(self) -> bool:
        return self.width == WIDTH

    def path(self) -> str:
        level = "entries" if self.level is None else str(self.level)
        tail = "" if self.full else f".p/{self.width}"
        return f"tile/{level}/{encode_index(self.index)}{tail}"


def encode_index(index: int) -> str:
    """``N`` as tlog-tiles path elements: ``x001/x234/067``."""
    digits = f"{index:d}"
    digits = digits.zfill((len(digits) + 2) // 3 * 3)
    parts = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{p}" for p in parts[:-1]), parts[-1]])


def parse_path(path: str) -> Tile:
    """The tile a path after ``tile/`` names (``0/x001/234.p/7``, ``entries/000``)."""
    match = _PATH_RE.match(path)
    if match is None:
        raise NoSuchTile("not a tile path")
    level_text, index_text, width_text = match.groups()
    level = None if level_text == "entries" else int(level_text)
    if level is not None and level > 63:
        raise NoSuchTile("a tile level is between 0 and 63")
    index = int(index_text.replace("x", "").replace("/", ""))
    width = int(width_text) if width_text else WIDTH
    if width_text and width >= WIDTH:
        raise NoSuchTile("a partial tile holds 1 to 255 hashes")
    tile = Tile(level, index, width)
    if tile.path() != "tile/" + path:  # one spelling per tile (no extra leading zeros)
        raise NoSuchTile("not a canonical tile path")
    return tile


def covered(tile: Tile, size: int) -> bool:
    """Whether a tree of ``size`` leaves holds every hash (or entry) of ``tile``."""
    level = tile.level or 0
    return (tile.index * WIDTH + tile.width) << (LEVEL_BITS * level) <= size


def hash_tile(conn: Connection, tile: Tile, size: int) -> bytes:
    """The concatenated hashes of a hash tile of the tree of ``size`` leaves."""
    if tile.level is None or not covered(tile, size):
        raise NoSuchTile("the signed tree does not cover that tile")
    start = tile.index * WIDTH
    level = tile.level * LEVEL_BITS
    if level == 0:
        rows = conn.execute(
            "SELECT hash FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx",
            (start, start + tile.width),
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT hash FROM audit_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
            (level, start, start + tile.width),
        ).fetchall()
    if len(rows) != tile.width:
        raise LogInconsistent(start << level, f"hashes of {tile.path()} are missing")
    return b"".join(bytes(r[0]) for r in rows)


def entry_bundle(conn: Connection, tile: Tile, size: int) -> bytes:
    """The entries of an entry bundle, each as a big-endian uint16 length and its leaf bytes."""
    if tile.level is not None or not covered(tile, size):
        raise NoSuchTile("the signed tree does not cover that entry bundle")
    start = tile.index * WIDTH
    rows = conn.execute(
        "SELECT leaf FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx",
        (start, start + tile.width),
    ).fetchall()
    if len(rows) != tile.width or any(r[0] is None for r in rows):
        raise NoSuchTile("entries of that bundle are not readable")
    out = bytearray()
    for (leaf,) in rows:
        data = bytes(leaf)
        if len(data) > MAX_ENTRY_BYTES:
            raise LogInconsistent(start, "an entry is larger than a bundle can carry")
        out += len(data).to_bytes(2, "big") + data
    return bytes(out)
