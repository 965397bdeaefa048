"""C2SP tlog-tiles paths and coverage (audit/tiles.py), with the specification's examples."""

from __future__ import annotations

import pytest

from audit.tiles import WIDTH, NoSuchTile, Tile, covered, encode_index, parse_path


def test_indexes_are_written_in_groups_of_three_digits() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(999) == "999"
    assert encode_index(1000) == "x001/000"


@pytest.mark.parametrize(
    ("path", "tile"),
    [
        ("0/000", Tile(0, 0, 256)),
        ("1/x001/x234/067.p/7", Tile(1, 1234067, 7)),
        ("entries/002.p/255", Tile(None, 2, 255)),
        ("63/001", Tile(63, 1, 256)),
    ],
)
def test_tile_paths_parse_to_one_tile(path: str, tile: Tile) -> None:
    assert parse_path(path) == tile
    assert tile.path() == "tile/" + path


@pytest.mark.parametrize(
    "path",
    [
        "0/0",
        "0/0000",
        "0/x000/001",
        "01/000",
        "64/000",
        "0/000.p/0",
        "0/000.p/256",
        "0/001/",
        "x/000",
        "0/000.p/07",
        "../0/000",
    ],
)
def test_malformed_or_non_canonical_paths_are_refused(path: str) -> None:
    with pytest.raises(NoSuchTile):
        parse_path(path)


def test_a_tree_of_70000_holds_the_tiles_the_specification_lists() -> None:
    """ "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial
    level 0 tile of width 112, one full level 1 tile, one partial level 1 tile of width 17,
    and one partial level 2 tile of width 1" (c2sp.org/tlog-tiles)."""
    size = 70_000
    assert covered(Tile(0, 272, WIDTH), size) and not covered(Tile(0, 273, WIDTH), size)
    assert covered(Tile(0, 273, 112), size) and not covered(Tile(0, 273, 113), size)
    assert covered(Tile(1, 0, WIDTH), size) and not covered(Tile(1, 1, WIDTH), size)
    assert covered(Tile(1, 1, 17), size) and not covered(Tile(1, 1, 18), size)
    assert covered(Tile(2, 0, 1), size) and not covered(Tile(2, 0, 2), size)
    assert covered(Tile(None, 273, 112), size) and not covered(Tile(None, 273, 113), size)
