"""C2SP ``cosignature/v1`` (Ed25519, key type 0x04): vectors, refusals, and the note keys beside.

``tests/vectors/cosignature-v1.json`` is written from the specification's
rules by ``tests/vectors/cosignature.py`` with hashlib and libsodium only;
``audit.cosignature`` must reproduce every line byte for byte. When the
shared vectors hold reference cosignatures (``cosignature-v1.json`` in
``../shared/vectors``, from another implementation), they must verify too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from audit import note as notes
from audit.cosignature import (
    CosignatureSigner,
    CosignatureVerifier,
    cosigner_key_hash,
    generate_cosigner_key,
    parse_cosignature_verifier,
    parse_cosigner,
    parse_cosigner_signer,
    signed_message,
    timestamp_of,
)
from audit.errors import BadKey, BadNote
from audit.keys import NoteSigner, NoteVerifier
from crypto.signing import SigningKey
from tests.audit.helpers import VECTORS

HERE = Path(__file__).resolve().parents[1] / "vectors"
CASES: list[dict[str, Any]] = json.loads((HERE / "cosignature-v1.json").read_text("utf-8"))["cases"]
SHARED_FILE = VECTORS / "cosignature-v1.json"


def _signer(case: dict[str, Any]) -> CosignatureSigner:
    return CosignatureSigner(case["name"], SigningKey(bytes.fromhex(case["seed"])))


def test_the_vector_file_is_what_its_generator_writes() -> None:
    done = subprocess.run(
        [sys.executable, str(HERE / "cosignature.py"), "--check"],
        cwd=HERE.parents[1],
        env={"PYTHONPATH": str(HERE.parents[1])},
        check=False,
    )
    assert done.returncode == 0
    assert len(CASES) == 4


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vectors_are_reproduced_byte_for_byte(case: dict[str, Any]) -> None:
    signer = _signer(case)
    assert str(signer.verifier) == case["verifier_key"]
    assert (
        signed_message(case["body"].encode(), case["timestamp"]).decode()
        == (case["signed_message"])
    )
    assert signer.cosign(case["body"], case["timestamp"]).line() == case["line"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vectors_verify_and_give_their_time(case: dict[str, Any]) -> None:
    verifier = parse_cosignature_verifier(case["verifier_key"])
    opened = notes.open_note(case["body"] + "\n" + case["line"], [verifier])
    assert opened.signed_by(verifier)
    assert timestamp_of(opened.verified[0].signature) == case["timestamp"]
    assert parse_cosigner(case["verifier_key"]) == verifier


def test_the_key_id_is_the_specifications() -> None:
    case = CASES[0]
    verifier = parse_cosignature_verifier(case["verifier_key"])
    want = hashlib.sha256(case["name"].encode() + b"\n\x04" + verifier.key.key).digest()[:4]
    assert verifier.hash == cosigner_key_hash(case["name"], verifier.key.key) == want
    # not the note key's ID (0x01): the same key under the same name is another signer
    assert NoteVerifier(case["name"], verifier.key).hash != want


def test_a_changed_body_or_timestamp_does_not_verify() -> None:
    case = CASES[0]
    verifier = parse_cosignature_verifier(case["verifier_key"])
    other_body = case["body"].replace("20852163", "20852164")
    with pytest.raises(BadNote, match="invalid"):
        notes.open_note(other_body + "\n" + case["line"], [verifier])
    name, b64 = case["line"][2:].rstrip("\n").split(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[11] ^= 1  # the timestamp's last byte
    line = f"\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(BadNote, match="invalid"):
        notes.open_note(case["body"] + "\n" + line, [verifier])


def test_extension_lines_are_covered() -> None:
    case = next(c for c in CASES if c["name"] == "ext.example")
    verifier = parse_cosignature_verifier(case["verifier_key"])
    changed = case["body"].replace("ext\n", "exu\n")
    with pytest.raises(BadNote):
        notes.open_note(changed + "\n" + case["line"], [verifier])


def test_note_keys_and_cosigner_keys_do_not_accept_each_others_lines() -> None:
    seed = bytes([3]) * 32
    plain = NoteSigner("w.example", SigningKey(seed))
    cosigner = CosignatureSigner("w.example", SigningKey(seed))
    body = "log.example\n1\n" + base64.b64encode(bytes(32)).decode() + "\n"
    plain_note = notes.sign(body, plain)
    cosigned = body + "\n" + cosigner.cosign(body, 1).line()
    # the key IDs differ, so each line is from an unknown key for the other verifier
    with pytest.raises(BadNote, match="no signature from a known key"):
        notes.open_note(plain_note, [cosigner.verifier])
    with pytest.raises(BadNote, match="no signature from a known key"):
        notes.open_note(cosigned, [plain.verifier])
    # a plain signature forged under the cosigner's key ID is refused
    forged = notes.NoteSignature("w.example", cosigner.hash, plain.sign(body.encode()))
    with pytest.raises(BadNote, match="invalid"):
        notes.open_note(body + "\n" + forged.line(), [cosigner.verifier])


def test_timestamps_beyond_the_specifications_range_are_refused() -> None:
    with pytest.raises(BadNote):
        signed_message(b"x\n", 2**63)
    with pytest.raises(BadNote):
        timestamp_of(b"\x80" + bytes(71))
    with pytest.raises(BadNote):
        timestamp_of(bytes(64))
    signer = CosignatureSigner("w.example", SigningKey(bytes(32)))
    assert timestamp_of(signer.cosign("a\n", 2**63 - 1).signature) == 2**63 - 1


def test_witness_key_files_round_trip_and_refuse_the_wrong_type() -> None:
    text = generate_cosigner_key("w.example", lambda n: bytes([9]) * n)
    signer = parse_cosigner_signer(text)
    assert signer.name == "w.example"
    assert "seed" not in repr(signer) and text.split("+")[-1] not in repr(signer)
    assert parse_cosigner(str(signer.verifier)) == signer.verifier
    note_key = NoteSigner("w.example", SigningKey(bytes([9]) * 32)).private_text()
    with pytest.raises(BadKey, match="cosigner key"):
        parse_cosigner_signer(note_key)
    with pytest.raises(BadKey, match="cosigner key"):
        parse_cosignature_verifier(str(NoteSigner("w.example", signer.key).verifier))
    with pytest.raises(BadKey, match="hash does not match"):
        parse_cosignature_verifier(str(signer.verifier).replace("w.example", "x.example"))
    with pytest.raises(BadKey):
        parse_cosigner("w.example+00000000+Aw==")
    with pytest.raises(BadKey):
        generate_cosigner_key("bad name")
    assert isinstance(parse_cosigner(str(NoteSigner("n", signer.key).verifier)), NoteVerifier)
    assert isinstance(parse_cosigner(str(signer.verifier)), CosignatureVerifier)


@pytest.mark.skipif(not SHARED_FILE.exists(), reason="no reference cosignatures in ../shared")
def test_reference_cosignatures_from_another_implementation_verify() -> None:
    reference = json.loads(SHARED_FILE.read_text("utf-8"))
    for case in reference["cases"]:
        verifier = parse_cosignature_verifier(case["verifier_key"])
        opened = notes.open_note(case["note"], [verifier])
        assert opened.signed_by(verifier)
        sig = next(s for s in opened.verified if s.name == verifier.name)
        assert timestamp_of(sig.signature) == case["timestamp"]
        if "seed_label" in case:  # keys derived as SHA-256(label): reproduce the line exactly
            seed = hashlib.sha256(case["seed_label"].encode()).digest()
            signer = CosignatureSigner(verifier.name, SigningKey(seed))
            assert signer.verifier == verifier
            assert signer.cosign(opened.text, case["timestamp"]).line() == sig.line()
