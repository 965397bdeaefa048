"""Exporting the log as a bundle and verifying it offline with only the pinned key."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from audit import note as notes
from audit.bundle import Bundle, leaf_hashes, verify_bundle, write_bundle
from audit.checkpoint import Checkpoint
from audit.errors import BadBundle, BadCheckpoint, LogInconsistent
from audit.issuer import add_cosignature, latest_checkpoint
from tests.audit.helpers import BIG_LOG_SIZE, KEY, ORIGIN, T0, make_signer
from vault.store import connect

SERVER = make_signer()
AUDITOR = make_signer("auditor.example", seed=9)


def _export(path: Path) -> str:
    conn = connect(path, KEY)
    out = io.StringIO()
    assert write_bundle(conn, out, SERVER.verifier, origin=ORIGIN, now=T0) == BIG_LOG_SIZE
    conn.close()
    return out.getvalue()


def _edit(text: str, fn: object) -> Bundle:
    obj = json.loads(text)
    fn(obj)  # type: ignore[operator]
    return Bundle.parse(json.dumps(obj))


def test_an_exported_bundle_verifies_offline_with_its_cosignatures(big_log: Path) -> None:
    """A bundle with a cosigned checkpoint verifies with the server key, and demanding the
    auditor's cosignature works too."""
    conn = connect(big_log, KEY)
    sc = latest_checkpoint(conn, SERVER.verifier)
    assert sc is not None
    cosigned = notes.add_signatures(sc.note, [notes.signature(sc.checkpoint.body(), AUDITOR)])
    conn.execute("BEGIN")
    add_cosignature(conn, sc.seq, cosigned, AUDITOR.verifier, SERVER.verifier, now=T0)
    conn.execute("COMMIT")
    conn.close()
    bundle = Bundle.parse(_export(big_log))
    report = verify_bundle(bundle, SERVER.verifier)
    assert (report.size, report.checkpoints, report.cosignatures) == (BIG_LOG_SIZE, 4, 1)
    last_only = _edit(_export(big_log), lambda o: o.update(checkpoints=o["checkpoints"][-1:]))
    with pytest.raises(BadCheckpoint, match="checkpoint 0 is missing"):
        verify_bundle(last_only, SERVER.verifier, extra_cosigners=[AUDITOR.verifier])


def test_a_bundle_is_refused_under_another_key(big_log: Path) -> None:
    """The auditor's pinned key decides: a bundle signed by another key does not verify."""
    with pytest.raises(BadCheckpoint):
        verify_bundle(Bundle.parse(_export(big_log)), make_signer(seed=3).verifier)


def test_tampered_bundles_name_the_first_bad_index(big_log: Path) -> None:
    """A changed entry, a deleted one, swapped ones and truncation are each located."""
    text = _export(big_log)

    def change(o: dict[str, list[str]]) -> None:
        o["entries"][450] = o["entries"][450].replace("192.0.2.10", "192.0.2.11")

    def delete(o: dict[str, list[str]]) -> None:
        del o["entries"][77]
        o["size"] = len(o["entries"])  # type: ignore[assignment]

    def swap(o: dict[str, list[str]]) -> None:
        e = o["entries"]
        e[5], e[6] = e[6], e[5]

    def truncate(o: dict[str, list[str]]) -> None:
        o["entries"] = o["entries"][:1100]
        o["size"] = 1100  # type: ignore[assignment]

    for fn, index in ((change, 300), (delete, 77), (swap, 5), (truncate, 1100)):
        with pytest.raises(LogInconsistent) as info:
            verify_bundle(_edit(text, fn), SERVER.verifier)
        assert info.value.index == index, fn
        assert str(index) in str(info.value)


def test_a_later_bundle_is_checked_against_an_earlier_one(big_log: Path) -> None:
    """With the earlier bundle's hashes, a changed entry is named exactly."""
    text = _export(big_log)
    earlier = Bundle.parse(text)
    saved = _checkpoint_of(earlier)
    verify_bundle(earlier, SERVER.verifier, since=saved, since_leaf_hashes=leaf_hashes(earlier))

    def change(o: dict[str, list[str]]) -> None:
        o["entries"][450] = o["entries"][450].replace("192.0.2.10", "192.0.2.11")

    with pytest.raises(LogInconsistent) as info:
        verify_bundle(
            _edit(text, change),
            SERVER.verifier,
            since=saved,
            since_leaf_hashes=leaf_hashes(earlier),
        )
    assert info.value.index == 450


def _checkpoint_of(bundle: Bundle) -> Checkpoint:
    return Checkpoint.parse(notes.split(bundle.checkpoints[-1].note)[0])


@pytest.mark.parametrize("text", ["{}", "[]", '{"format": "permanence-audit-bundle/v1"}', "nope"])
def test_malformed_bundles_are_refused(text: str) -> None:
    """Anything but a well-formed bundle raises BadBundle."""
    with pytest.raises(BadBundle):
        Bundle.parse(text)
