"""The committed format v1 vectors: reproducible, and every one checks with crypto/."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import nacl.bindings as sodium
import pytest

from crypto import _primitives
from crypto.encoding import b64url_decode as unb64
from crypto.envelope import OpenedItem, check_envelope, open_item
from crypto.errors import (
    DecryptionFailed,
    ExcessiveKdfParameters,
    UnsupportedVersion,
    WeakKdfParameters,
)
from crypto.fingerprint import practice_fingerprint, user_fingerprint
from crypto.grants import GrantKind, open_grant
from crypto.instruction import DocType, open_instruction, seal_instruction, verify_instruction
from crypto.kdf import KdfParams, derive_auth_key, derive_kek, derive_master, fake_salt
from crypto.recovery import RecoveryCode, recovery_proof_message
from crypto.secret import Secret
from crypto.signing import SigningKey, VerifyKey
from crypto.stream import FileManifest, decrypt_stream
from crypto.teamkey import (
    open_team_key,
    sign_team_key_record,
    team_key_commit,
    verify_team_key_record,
)
from crypto.totp import code_at, step_at
from crypto.user_keys import WrapPurpose, unwrap_user_keys
from tests.vectors.generate import VECTOR_FILE, _fixed, generate, render

VECTORS: dict[str, Any] = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
ERRORS = {"DecryptionFailed": DecryptionFailed, "UnsupportedVersion": UnsupportedVersion}


def test_committed_file_is_what_the_generator_produces() -> None:
    """Regenerating in memory gives the committed bytes: a format change cannot go unnoticed."""
    assert render(generate()) == VECTOR_FILE.read_text(encoding="utf-8")


def test_kdf_vectors() -> None:
    """Argon2id master and the labelled keys match; refused parameters are refused."""
    for case in VECTORS["kdf"]["argon2id"]:
        params = KdfParams.from_json(case)
        master = derive_master(case["password"], params)
        assert master.value == unb64(case["master"])
        assert derive_auth_key(master).value == unb64(case["auth_key"])
        assert derive_kek(master).value == unb64(case["kek"])
    for case in VECTORS["kdf"]["labels"]:
        master = Secret(unb64(case["master"]))
        assert derive_auth_key(master).value == unb64(case["auth_key"])
        assert derive_kek(master).value == unb64(case["kek"])
    for case in VECTORS["kdf"]["excessive_params"]:
        with pytest.raises(ExcessiveKdfParameters):
            KdfParams.from_json(case)
    for case in VECTORS["kdf"]["refused_params"]:
        with pytest.raises(WeakKdfParameters):
            KdfParams.from_json(case)
    for case in VECTORS["kdf"]["fake_salt"]:
        secret = Secret(unb64(case["server_secret"]))
        assert fake_salt(secret, case["username"]) == unb64(case["salt"])


def test_user_key_vectors() -> None:
    """Wrapped user keys unwrap to the listed secrets, whose public keys and prints match."""
    for case in VECTORS["user_keys"]:
        user_id = uuid.UUID(case["user_id"])
        for wrap in case["wrapped"]:
            keys = unwrap_user_keys(
                unb64(wrap["wrapped"]),
                Secret(unb64(wrap["wrap_key"])),
                WrapPurpose(wrap["purpose"]),
                user_id,
            )
            assert keys.to_bytes().value == unb64(case["user_secrets"])
            public = keys.public_keys
            assert public.x25519 == unb64(case["x25519_public"])
            assert public.ed25519 == unb64(case["ed25519_public"])
            assert public.fingerprint == case["fingerprint"]


def test_recovery_vectors() -> None:
    """Codes print as listed, typed variants parse, refused codes are refused."""
    for case in VECTORS["recovery"]["valid"]:
        code = RecoveryCode(unb64(case["raw"]))
        assert code.format() == case["code"]
        assert code.key.value == unb64(case["recovery_key"])
        for typed in case["also_accepted"]:
            assert RecoveryCode.parse(typed) == code
    for typed in VECTORS["recovery"]["refused"]:
        with pytest.raises(Exception, match="this recovery code is not valid"):
            RecoveryCode.parse(typed)


def test_recovery_proof_vectors() -> None:
    """The recovery message is byte-exact and its Ed25519 signature is the vector's."""
    for case in VECTORS["recovery"]["proofs"]:
        message = recovery_proof_message(
            uuid.UUID(case["user_id"]),
            unb64(case["challenge"]),
            unb64(case["salt"]),
            unb64(case["auth_key"]),
            unb64(case["wrapped_kek"]),
        )
        assert message == unb64(case["message"])
        key = SigningKey(unb64(case["ed25519_seed"]))
        assert key.public_key.key == unb64(case["ed25519_public"])
        assert key.sign(message) == unb64(case["signature"])
        key.public_key.verify(message, unb64(case["signature"]))


def test_grant_vectors() -> None:
    """Each grant opens to its key for the listed recipient."""
    for case in VECTORS["grants"]:
        key = open_grant(
            unb64(case["grant"]),
            GrantKind(case["kind"]),
            uuid.UUID(case["client_id"]),
            Secret(unb64(case["recipient_x25519_secret"])),
        )
        assert key.value == unb64(case["key"])


def _sealed_box(message: bytes, public_key: bytes, esk: bytes) -> bytes:
    """crypto_box_seal written out with a given ephemeral secret key (libsodium's layout)."""
    epk = sodium.crypto_scalarmult_base(esk)
    nonce = _primitives.generichash(24, epk + public_key)
    return epk + sodium.crypto_box_easy(message, nonce, public_key, esk)


def test_sealed_boxes_are_byte_checkable_with_their_ephemeral_keys() -> None:
    """With the listed ephemeral secret key, every sealed box (grants, items' sealed keys)
    is reproduced byte for byte, and also opens with crypto_box_seal_open."""
    for case in VECTORS["grants"]:
        pk, esk = unb64(case["recipient_x25519_public"]), unb64(case["ephemeral_secret"])
        sealed = _sealed_box(unb64(case["grant_plain"]), pk, esk)
        assert unb64(case["grant"]) == b"\x01" + sealed
    for case in VECTORS["items"]:
        pk, esk = unb64(case["practice_x25519_public"]), unb64(case["ephemeral_secret"])
        assert _sealed_box(unb64(case["content_key"]), pk, esk) == unb64(case["sealed_key"])


def _open_item(case: dict[str, Any], envelope: bytes) -> OpenedItem:
    return open_item(
        envelope,
        author_verify_key=VerifyKey(unb64(case["author_ed25519_public"])),
        practice_secret_key=Secret(unb64(case["practice_x25519_secret"])),
        item_id=uuid.UUID(case["item_id"]),
        client_id=uuid.UUID(case["client_id"]),
        author_id=uuid.UUID(case["author_id"]),
    )


def test_item_vectors() -> None:
    """Each envelope passes the server check, opens to its body; its parts are as listed."""
    for case in VECTORS["items"]:
        envelope = unb64(case["envelope"])
        header = check_envelope(envelope, VerifyKey(unb64(case["author_ed25519_public"])))
        assert (header.kind, header.urgency) == (case["kind"], case["urgency"])
        assert (header.call_started_at, header.call_seconds) == (
            case["call_started_at"],
            case["call_seconds"],
        )
        assert _open_item(case, envelope).body.decode("utf-8") == case["body"]
        sealed = unb64(case["sealed_key"])
        secret = unb64(case["practice_x25519_secret"])
        assert _primitives.box_seal_open(sealed, secret) == unb64(case["content_key"])
        nonce, content_key = unb64(case["nonce"]), unb64(case["content_key"])
        ciphertext = _primitives.aead_seal(
            content_key, nonce, case["body"].encode(), unb64(case["header"])
        )
        assert ciphertext == unb64(case["ciphertext"])
        assert envelope == (
            unb64(case["header"]) + sealed + unb64(case["signature"]) + nonce + ciphertext
        )


def test_stream_vectors_and_extract_manifest() -> None:
    """Streams decrypt to their plaintext; the extract item's manifest matches streams[2]."""
    for case in VECTORS["streams"]:
        out = io.BytesIO()
        decrypt_stream(
            io.BytesIO(unb64(case["stream"])),
            out,
            Secret(unb64(case["file_key"])),
            unb64(case["stream_hash"]),
        )
        assert out.getvalue() == unb64(case["plaintext"])
    extract = next(c for c in VECTORS["items"] if c["kind"] == 3)
    manifest = FileManifest.from_body(extract["body"].encode())
    assert b64(manifest.stream_hash) == VECTORS["streams"][2]["stream_hash"]


def b64(data: bytes) -> str:
    from crypto.encoding import b64url_encode

    return b64url_encode(data)


def test_refused_vectors() -> None:
    """Every tampered envelope and stream of the vector file fails with the listed error."""
    refused = VECTORS["refused"]
    item = VECTORS["items"][refused["envelope_of_item"]]
    for case in refused["envelopes"]:
        with pytest.raises(ERRORS[case["error"]]):
            _open_item(item, unb64(case["envelope"]))
    stream_case = VECTORS["streams"][refused["stream_of"]]
    stream = unb64(stream_case["stream"])
    for case in refused["streams"]:
        data = bytearray(b"".join(stream[a:b] for a, b in case["ranges"]))
        if case["flip"] is not None:
            data[case["flip"]] ^= 0x01
        data += unb64(case["append"])
        with pytest.raises(ERRORS[case["error"]]):
            decrypt_stream(
                io.BytesIO(bytes(data)),
                io.BytesIO(),
                Secret(unb64(stream_case["file_key"])),
                unb64(stream_case["stream_hash"]),
            )
    for case in refused["encodings"]:
        with pytest.raises(ERRORS[case["error"]]):
            decrypt_stream(
                io.BytesIO(unb64(case["stream"])),
                io.BytesIO(),
                Secret(unb64(case["file_key"])),
                unb64(case["stream_hash"]),
            )


def test_fingerprint_and_totp_vectors() -> None:
    """Fingerprints and TOTP codes match the listed values."""
    for case in VECTORS["fingerprints"]:
        if "practice_x25519_public" in case:
            assert (
                practice_fingerprint(unb64(case["practice_x25519_public"])) == case["fingerprint"]
            )
        else:
            assert (
                user_fingerprint(unb64(case["x25519_public"]), unb64(case["ed25519_public"]))
                == case["fingerprint"]
            )
    for case in VECTORS["totp"]:
        import base64

        secret = Secret(base64.b32decode(case["secret_base32"]))
        assert step_at(case["time"]) == case["step"]
        assert code_at(secret, case["time"]) == case["code"]


def test_team_key_vectors() -> None:
    """Records verify with their creator's key; each grant opens, through every check of
    §10, for its recipient; version 2 lists and is sealed to the member only."""
    versions = VECTORS["team_keys"]["versions"]
    for case in versions:
        creator = VerifyKey(unb64(case["creator_ed25519_public"]))
        record = verify_team_key_record(unb64(case["record"]), unb64(case["signature"]), creator)
        key = Secret(unb64(case["key"]))
        assert team_key_commit(key) == unb64(case["commit"]) == record.commit
        assert [str(r) for r in record.recipients] == case["recipients"]
        assert (record.version, record.created_at) == (case["version"], case["created_at"])
        assert SigningKey(unb64(case["creator_ed25519_seed"])).public_key == creator
        assert sign_team_key_record(record, SigningKey(unb64(case["creator_ed25519_seed"]))) == (
            unb64(case["signature"])
        )
        assert [g["recipient_id"] for g in case["grants"]] == case["recipients"]
        for grant in case["grants"]:
            pk, esk = unb64(grant["recipient_x25519_public"]), unb64(grant["ephemeral_secret"])
            plain = b"\x01\x02" + uuid.UUID(case["client_id"]).bytes + key.value
            assert unb64(grant["grant"]) == b"\x01" + _sealed_box(plain, pk, esk)
            opened = open_team_key(
                unb64(grant["grant"]),
                record=unb64(case["record"]),
                signature=unb64(case["signature"]),
                creator_verify_key=creator,
                creator_id=uuid.UUID(case["creator_id"]),
                client_id=uuid.UUID(case["client_id"]),
                version=case["version"],
                recipient_id=uuid.UUID(grant["recipient_id"]),
                recipient_secret_key=Secret(unb64(grant["recipient_x25519_secret"])),
            )
            assert opened == key
    assert len(versions[0]["recipients"]) == 2
    assert versions[1]["recipients"] == [versions[0]["creator_id"]]
    first = versions[0]
    for case in VECTORS["team_keys"]["refused"]:
        with pytest.raises(ERRORS[case["error"]]):
            verify_team_key_record(
                unb64(case["record"]),
                unb64(case["signature"]),
                VerifyKey(unb64(first["creator_ed25519_public"])),
            )


def _open_instruction(case: dict[str, Any], envelope: bytes) -> tuple[Any, dict[str, Any]]:
    return open_instruction(
        envelope,
        Secret(unb64(case["team_key"])),
        VerifyKey(unb64(case["author_ed25519_public"])),
        client_id=uuid.UUID(case["client_id"]),
        document_id=uuid.UUID(case["document_id"]),
        author_id=uuid.UUID(case["author_id"]),
        version=case["version"],
        type=DocType(case["type"]),
        subject_id=uuid.UUID(case["subject_id"]),
    )


def test_instruction_vectors() -> None:
    """Envelopes are byte-exact given the nonce, pass the server check and open to their
    body; every tampered copy fails with the listed error."""
    keys = {v["version"]: v["key"] for v in VECTORS["team_keys"]["versions"]}
    for case in VECTORS["instructions"]["envelopes"]:
        assert case["team_key"] == keys[case["version"]]
        envelope = unb64(case["envelope"])
        header = verify_instruction(envelope, VerifyKey(unb64(case["author_ed25519_public"])))
        assert (header.type, header.revision) == (case["type"], case["revision"])
        assert header.to_bytes() == unb64(case["header"])
        _, body = _open_instruction(case, envelope)
        assert body == json.loads(case["body"])
        nonce = unb64(case["nonce"])
        ciphertext = _primitives.aead_seal(
            unb64(case["team_key"]), nonce, case["body"].encode(), unb64(case["header"])
        )
        assert ciphertext == unb64(case["ciphertext"])
        resealed = seal_instruction(
            Secret(unb64(case["team_key"])),
            header,
            json.loads(case["body"]),
            SigningKey(unb64(case["author_ed25519_seed"])),
            _fixed(nonce),
        )
        assert resealed == envelope
        assert envelope == unb64(case["header"]) + unb64(case["signature"]) + nonce + ciphertext
    first = VECTORS["instructions"]["envelopes"][0]
    for case in VECTORS["instructions"]["refused"]:
        with pytest.raises(ERRORS[case["error"]]):
            _open_instruction(first, unb64(case["envelope"]))
