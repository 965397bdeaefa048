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
from audit.issuer import add_cosignature, checkpoint_at, latest_checkpoint
from audit.log import AuditLog
from tests.audit.helpers import BIG_LOG_SIZE, ORIGIN, T0, entry, make_signer, reopen, resign

SERVER = make_signer()
AUDITOR = make_signer("auditor.example", seed=9)


def _export(path: Path) -> str:
    conn = reopen(path)
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
    conn = reopen(big_log)
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
        verify_bundle(last_only, SERVER.verifier, required_cosigners=[AUDITOR.verifier])


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


# -- the rules an auditor relies on (issue 10) -------------------------------------------


def _change_450(o: dict[str, list[str]]) -> None:
    o["entries"][450] = o["entries"][450].replace("192.0.2.10", "192.0.2.11")


def test_a_bundle_without_checkpoints_is_refused(big_log: Path) -> None:
    """Checkpoints all removed and an entry rewritten: nothing is vouched for, so the bundle
    is refused (it used to verify as "1200 entries, 0 signed checkpoints")."""

    def strip(o: dict[str, object]) -> None:
        _change_450(o)  # type: ignore[arg-type]
        o["checkpoints"] = []

    with pytest.raises(BadBundle, match="no signed checkpoint"):
        verify_bundle(_edit(_export(big_log), strip), SERVER.verifier)


def test_an_entry_no_checkpoint_covers_is_refused(big_log: Path) -> None:
    """A made-up entry appended after the last checkpoint, with the index it should have,
    makes the bundle fail (it used to pass with a note), naming that index."""
    made_up = entry(BIG_LOG_SIZE, ip="203.0.113.66")
    from audit.entry import encode

    def append(o: dict[str, object]) -> None:
        o["entries"].append(encode(made_up, BIG_LOG_SIZE).decode())  # type: ignore[attr-defined]
        o["size"] = BIG_LOG_SIZE + 1

    with pytest.raises(LogInconsistent, match="not covered by any signed checkpoint") as info:
        verify_bundle(_edit(_export(big_log), append), SERVER.verifier)
    assert info.value.index == BIG_LOG_SIZE


def test_a_bundle_re_signed_by_a_forger_fails_under_the_pinned_key(big_log: Path) -> None:
    """A forger with a key of the same name rewrites an entry and re-signs every checkpoint:
    the pinned key refuses it, while the key inside the bundle would accept it (which is why
    trusting that key needs an explicit option)."""
    forger = make_signer(ORIGIN, seed=66)

    def forge(o: dict[str, object]) -> None:
        _change_450(o)  # type: ignore[arg-type]
        resign(o, forger)

    forged = _edit(_export(big_log), forge)
    with pytest.raises(BadCheckpoint, match="checkpoint 0"):
        verify_bundle(forged, SERVER.verifier)
    assert verify_bundle(forged, forger.verifier).size == BIG_LOG_SIZE


def test_checkpoints_are_numbered_from_zero_without_gaps(big_log: Path) -> None:
    """A removed middle checkpoint or a repeated number is refused, naming the missing one."""
    text = _export(big_log)

    def gap(o: dict[str, list[object]]) -> None:
        del o["checkpoints"][1]

    def twice(o: dict[str, list[dict[str, object]]]) -> None:
        o["checkpoints"][1] = dict(o["checkpoints"][0])

    for fn in (gap, twice):
        with pytest.raises(BadCheckpoint, match="checkpoint 1 is missing"):
            verify_bundle(_edit(text, fn), SERVER.verifier)


def test_the_origin_is_the_pinned_keys_name(big_log: Path) -> None:
    """The bundle's origin must be the pinned key's name, and so must every checkpoint's."""
    text = _export(big_log)
    renamed = _edit(text, lambda o: o.update(origin="other.example/audit"))
    with pytest.raises(BadBundle, match=r"other\.example/audit"):
        verify_bundle(renamed, SERVER.verifier)
    other = make_signer("other.example/audit", seed=5)

    def elsewhere(o: dict[str, object]) -> None:  # checkpoints still name ORIGIN
        resign(o, other)
        o["origin"] = "other.example/audit"

    with pytest.raises(BadCheckpoint, match="is for log"):
        verify_bundle(_edit(text, elsewhere), other.verifier)


def test_an_export_ends_at_its_checkpoint(big_log: Path) -> None:
    """Entries appended after the latest checkpoint stay out of the bundle, and an export up
    to an earlier checkpoint holds exactly the entries and checkpoints up to it."""
    conn = reopen(big_log)
    conn.execute("BEGIN")
    for i in range(BIG_LOG_SIZE, BIG_LOG_SIZE + 5):
        AuditLog().append(conn, entry(i))
    conn.execute("COMMIT")
    out = io.StringIO()
    assert write_bundle(conn, out, SERVER.verifier, origin=ORIGIN) == BIG_LOG_SIZE
    assert verify_bundle(Bundle.parse(out.getvalue()), SERVER.verifier).size == BIG_LOG_SIZE
    out = io.StringIO()
    assert write_bundle(conn, out, SERVER.verifier, origin=ORIGIN, upto=1) == 600
    earlier = Bundle.parse(out.getvalue())
    assert [c.seq for c in earlier.checkpoints] == [0, 1]
    assert verify_bundle(earlier, SERVER.verifier).size == 600
    conn.close()


def test_an_empty_log_has_nothing_to_export(db: object) -> None:
    """Before the first checkpoint there is nothing a bundle could vouch for."""
    with pytest.raises(BadCheckpoint, match="no signed checkpoint"):
        write_bundle(db, io.StringIO(), SERVER.verifier, origin=ORIGIN)  # type: ignore[arg-type]


def test_a_required_cosigner_must_have_signed_a_checkpoint(big_log: Path) -> None:
    """The report says how far each required cosigner vouched; a key that cosigned nothing
    is refused."""
    conn = reopen(big_log)
    sc = checkpoint_at(conn, 2, SERVER.verifier)
    cosigned = notes.add_signatures(sc.note, [notes.signature(sc.checkpoint.body(), AUDITOR)])
    conn.execute("BEGIN")
    add_cosignature(conn, 2, cosigned, AUDITOR.verifier, SERVER.verifier, now=T0)
    conn.execute("COMMIT")
    conn.close()
    bundle = Bundle.parse(_export(big_log))
    report = verify_bundle(bundle, SERVER.verifier, required_cosigners=[AUDITOR.verifier])
    assert report.cosigned == (("auditor.example", 900),)
    stranger = make_signer("witness.example", seed=11).verifier
    with pytest.raises(BadCheckpoint, match=r"witness\.example"):
        verify_bundle(bundle, SERVER.verifier, required_cosigners=[stranger])


@pytest.mark.parametrize(
    "change",
    [
        {"entries": [1, 2]},
        {"size": "2"},
        {"size": True},
        {"checkpoints": [{"seq": "0", "note": "x", "cosigners": []}]},
        {"checkpoints": [{"seq": 0, "note": "x", "cosigners": "k"}]},
        {"origin": 5},
    ],
)
def test_fields_of_the_wrong_type_are_refused(change: dict[str, object]) -> None:
    """Numbers are not silently turned into entries, strings into sizes, and so on."""
    obj: dict[str, object] = {
        "format": "permanence-audit-bundle/v1",
        "origin": ORIGIN,
        "verifier_key": str(SERVER.verifier),
        "exported_at": "2026-11-27T09:00:00.000Z",
        "size": 2,
        "checkpoints": [],
        "entries": ["a", "b"],
    }
    obj.update(change)
    with pytest.raises(BadBundle):
        Bundle.parse(json.dumps(obj))


def test_a_cosigner_is_a_key_other_than_the_logs(big_log: Path) -> None:
    """Neither the log's key nor another key under the log's name counts as a cosigner (the
    log's key used to pass as a required cosigner with no cosignature at all)."""
    bundle = Bundle.parse(_export(big_log))
    namesake = make_signer(ORIGIN, seed=12).verifier
    for key in (SERVER.verifier, namesake):
        with pytest.raises(BadCheckpoint, match="the log's own key"):
            verify_bundle(bundle, SERVER.verifier, required_cosigners=[key])


def test_a_copied_checkpoint_is_refused(big_log: Path) -> None:
    """The numbers are not signed: a checkpoint copied under the next number used to be
    counted as one more signed checkpoint."""
    text = _export(big_log)

    def copy(o: dict[str, list[dict[str, object]]]) -> None:
        o["checkpoints"].append(dict(o["checkpoints"][-1], seq=len(o["checkpoints"])))

    with pytest.raises(BadCheckpoint, match="not more than its predecessor"):
        verify_bundle(_edit(text, copy), SERVER.verifier)
    renumbered = _edit(text, lambda o: o.update(checkpoints=[dict(o["checkpoints"][-1], seq=0)]))
    assert verify_bundle(renumbered, SERVER.verifier).checkpoints == 1  # one signed size proven
