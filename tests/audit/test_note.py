"""C2SP signed notes and Go sumdb/note Ed25519 keys, checked against the shared vectors."""

from __future__ import annotations

import json

import pytest

from audit import note as notes
from audit.errors import BadKey, BadNote
from audit.keys import generate_signer_key, key_hash, parse_signer, parse_verifier
from tests.audit.helpers import VECTORS

V = json.loads((VECTORS / "signed-note.json").read_text())


def test_signer_and_verifier_keys_parse_and_print_back_identically() -> None:
    """The vector key strings parse, print back byte for byte, and belong together."""
    signer = parse_signer(V["signer_key"])
    verifier = parse_verifier(V["verifier_key"])
    assert signer.private_text() == V["signer_key"]
    assert str(verifier) == V["verifier_key"]
    assert signer.verifier == verifier
    assert verifier.hash.hex() == "c74f20a3"


def test_signing_the_vector_text_gives_exactly_the_vector_note() -> None:
    """Ed25519 is deterministic: our signed note equals golang.org/x/mod's, byte for byte."""
    assert notes.sign(V["text"], parse_signer(V["signer_key"])) == V["signed_note"]


def test_opening_two_signatures_verifies_the_known_key_and_sets_the_other_aside() -> None:
    """Only PeterNeumann is known: his signature verifies, EnochRoot's is kept unverified."""
    opened = notes.open_note(V["two_signatures_note"], [parse_verifier(V["verifier_key"])])
    assert opened.text == V["text"]
    assert [s.name for s in opened.verified] == ["PeterNeumann"]
    assert [s.name for s in opened.unverified] == ["EnochRoot"]


def test_opening_with_only_an_unknown_key_is_refused() -> None:
    """A note signed by nobody we know is not accepted."""
    with pytest.raises(BadNote, match="no signature from a known key"):
        notes.open_note(V["signed_note"], [parse_verifier(V["other_verifier_key"])])


@pytest.mark.parametrize("where", ["text", "signature"])
def test_a_changed_byte_in_text_or_signature_is_refused(where: str) -> None:
    """Changing one character of the text, or of the signature, fails verification."""
    note = V["signed_note"]
    if where == "text":
        note = note.replace("cryptography", "cryptographY", 1)
    else:
        cut = note.rindex(" ") + 10
        note = note[:cut] + ("A" if note[cut] != "A" else "B") + note[cut + 1 :]
    with pytest.raises(BadNote):
        notes.open_note(note, [parse_verifier(V["verifier_key"])])


@pytest.mark.parametrize(
    "note",
    [
        "no blank line\n— PeterNeumann AAAA\n",
        "text\n\nnot a signature line\n",
        "text\n\n— PeterNeumann !!!!\n",
        "text\n\n",
        "text\x07\n\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQ==\n",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    """Notes without a signature block, with bad lines or control characters, are refused."""
    with pytest.raises(BadNote):
        notes.open_note(note, [parse_verifier(V["verifier_key"])])


def test_a_generated_key_round_trips_and_signs() -> None:
    """generate_signer_key gives a key that parses back, and whose verifier checks its notes."""
    text = generate_signer_key("permanence.example/audit", randbytes=lambda n: b"\x05" * n)
    signer = parse_signer(text)
    assert signer.name == "permanence.example/audit"
    assert signer.hash == key_hash(signer.name, signer.key.public_key.key)
    assert "seed" not in repr(signer) and text.split("+")[-1] not in repr(signer)
    note = notes.sign("hello\n", signer)
    assert notes.open_note(note, [parse_verifier(str(signer.verifier))]).text == "hello\n"


@pytest.mark.parametrize(
    "text",
    [
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+Peter Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
    ],
)
def test_malformed_or_mismatched_signer_keys_are_refused(text: str) -> None:
    """A wrong hash, a space in the name, a verifier key, or another algorithm byte is refused."""
    with pytest.raises(BadKey):
        parse_signer(text)


def test_a_verifier_key_with_the_wrong_hash_is_refused() -> None:
    """The key hash must match the name and the public key."""
    with pytest.raises(BadKey):
        parse_verifier(V["verifier_key"].replace("c74f20a3", "c74f20a4"))
