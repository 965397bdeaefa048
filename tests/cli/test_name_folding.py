"""One folding rule for display names in the command line and the browser.

The cases are shared with ``tests/js/look-alike-names.test.mjs``
(``tests/cli/look_alike_names.json``), so the two implementations cannot drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.known_keys import KeyRole, KnownKeys, PinState
from cli.name_folding import same_name
from crypto.fingerprint import practice_fingerprint
from crypto.grants import PracticeKeyPair

CASES = json.loads((Path(__file__).parent / "look_alike_names.json").read_text(encoding="utf-8"))[
    "cases"
]


@pytest.mark.parametrize("case", CASES, ids=[c["why"] for c in CASES])
def test_names_fold_as_a_reader_sees_them(case: dict[str, object]) -> None:
    a, b = str(case["a"]), str(case["b"])
    assert same_name(a, b) is case["same"]
    assert same_name(b, a) is case["same"]


def _fingerprint() -> str:
    return practice_fingerprint(PracticeKeyPair.generate().public_key)  # any valid one


SOPHIE = "0f8fad5b-d9cb-469f-a165-70867728950e"
PLANTED = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.mark.parametrize(
    "name", ["Sophie Secretaire", "S\u043ephie Secr\u00e9taire", "Sophie\u200b Secr\u00e9taire"]
)
def test_a_new_author_named_like_a_pinned_one_is_a_look_alike(tmp_path: Path, name: str) -> None:
    """``KnownKeys.look_alikes`` compared names with ``==``: even the accent left out escaped."""
    known = KnownKeys(tmp_path, "https://vault.example")
    first = known.check(
        KeyRole.AUTHOR, SOPHIE, _fingerprint(), "keys of Sophie", "Sophie Secr\u00e9taire"
    )
    known.remember(first)
    again = KnownKeys(tmp_path, "https://vault.example")
    planted = again.check(KeyRole.AUTHOR, PLANTED, _fingerprint(), "keys of the newcomer", name)
    assert planted.state == PinState.FIRST_USE
    assert again.look_alikes(planted) == [SOPHIE]
