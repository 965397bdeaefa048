"""Cross-direction interop: ciphertexts made by the browser module (run under Node) open in Python.

``tests/js/emit_interop.mjs`` uses web/static/js/crypto/ (over the vendored
libsodium.js) with its own fresh randomness to derive password keys, wrap user
keys under kek and a recovery key, seal grants, seal envelopes of every kind
and encrypt files of 0, 65536 and 150001 bytes. This test opens all of it with
crypto/. The other direction (Python-made → JS) is the vector suite in tests/js/.
"""

from __future__ import annotations

import io
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from crypto import (
    DecryptionFailed,
    DocType,
    FileManifest,
    GrantKind,
    KdfParams,
    RecoveryCode,
    Secret,
    UserPublicKeys,
    VerifyKey,
    WrapPurpose,
    b64url_decode,
    b64url_encode,
    decrypt_stream,
    derive_password_keys,
    open_grant,
    open_instruction,
    open_item,
    open_team_key,
    practice_fingerprint,
    read_unverified_instruction_header,
    unwrap_user_keys,
    verify_team_key_record,
)
from crypto.instruction import NO_SUBJECT

REPO = Path(__file__).resolve().parents[2]
EMITTER = REPO / "tests" / "js" / "emit_interop.mjs"


@pytest.fixture(scope="module")
def js_made(node: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the emitter once; its JSON output (binary values in base64url)."""
    out = tmp_path_factory.mktemp("interop") / "js-made.json"
    subprocess.run([node, str(EMITTER), str(out)], check=True, cwd=REPO, timeout=120)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_js_password_keys_match_python(js_made: dict[str, Any]) -> None:
    """Argon2id + labels in JS (NFKC password) give the same auth_key and kek as Python."""
    keys = derive_password_keys(js_made["password"], KdfParams.from_json(js_made["kdf"]))
    assert b64url_encode(keys.auth_key.value) == js_made["auth_key"]
    assert b64url_encode(keys.kek.value) == js_made["kek"]


def test_js_wrapped_user_keys_unwrap_in_python(js_made: dict[str, Any]) -> None:
    """Keys wrapped in JS under kek and under the printed recovery code unwrap in Python."""
    member = js_made["member"]
    user_id = uuid.UUID(js_made["user_id"])
    recovery = RecoveryCode.parse(js_made["recovery_code"])
    assert b64url_encode(recovery.key.value) == js_made["recovery_key"]
    for wrapped, key, purpose in (
        (member["wrapped_kek"], Secret(b64url_decode(js_made["kek"])), WrapPurpose.PASSWORD),
        (member["wrapped_recovery"], recovery.key, WrapPurpose.RECOVERY),
    ):
        keys = unwrap_user_keys(b64url_decode(wrapped), key, purpose, user_id)
        assert b64url_encode(keys.x25519_secret.value) == member["x25519_secret"]
        assert b64url_encode(keys.ed25519_seed.value) == member["ed25519_seed"]
        public = keys.public_keys
        assert public == UserPublicKeys(
            b64url_decode(member["x25519_public"]), b64url_decode(member["ed25519_public"])
        )
        assert public.fingerprint == member["fingerprint"]
        with pytest.raises(DecryptionFailed):
            unwrap_user_keys(b64url_decode(wrapped), key, purpose, uuid.uuid4())


def test_js_grants_open_in_python(js_made: dict[str, Any]) -> None:
    """JS-sealed grants of the practice key and team key open with the member's secret key."""
    client_id = uuid.UUID(js_made["client_id"])
    member_sk = Secret(b64url_decode(js_made["member"]["x25519_secret"]))
    practice_key = open_grant(
        b64url_decode(js_made["grants"]["practice"]),
        GrantKind.PRACTICE_SECRET_KEY,
        client_id,
        member_sk,
    )
    assert b64url_encode(practice_key.value) == js_made["practice"]["x25519_secret"]
    team_key = open_grant(
        b64url_decode(js_made["grants"]["team"]), GrantKind.TEAM_KEY, client_id, member_sk
    )
    assert b64url_encode(team_key.value) == js_made["team_key"]
    with pytest.raises(DecryptionFailed):
        open_grant(
            b64url_decode(js_made["grants"]["team"]),
            GrantKind.PRACTICE_SECRET_KEY,
            client_id,
            member_sk,
        )
    practice_pk = b64url_decode(js_made["practice"]["x25519_public"])
    assert practice_fingerprint(practice_pk) == js_made["practice"]["fingerprint"]


def test_js_envelopes_and_files_open_in_python(js_made: dict[str, Any]) -> None:
    """Every JS-made envelope verifies and opens; extract manifests decrypt their JS streams."""
    author_key = VerifyKey(b64url_decode(js_made["author_ed25519_public"]))
    practice_sk = Secret(b64url_decode(js_made["practice"]["x25519_secret"]))
    client_id = uuid.UUID(js_made["client_id"])
    author_id = uuid.UUID(js_made["author_id"])
    files = {f["manifest"]["name"]: f for f in js_made["files"]}
    extracts = 0
    for item in js_made["items"]:
        opened = open_item(
            b64url_decode(item["envelope"]),
            author_verify_key=author_key,
            practice_secret_key=practice_sk,
            item_id=uuid.UUID(item["item_id"]),
            client_id=client_id,
            author_id=author_id,
        )
        assert (int(opened.header.kind), int(opened.header.urgency)) == (
            item["kind"],
            item["urgency"],
        )
        assert (opened.header.call_started_at, opened.header.call_seconds) == (
            item["call_started_at"],
            item["call_seconds"],
        )
        assert opened.json() == item["body"]
        if item["kind"] == 3:
            manifest = FileManifest.from_body(opened.body)
            stream = b64url_decode(files[manifest.name]["stream"])
            out = io.BytesIO()
            decrypt_stream(io.BytesIO(stream), out, manifest.file_key, manifest.stream_hash)
            assert out.getvalue() == b64url_decode(files[manifest.name]["plaintext"])
            assert len(out.getvalue()) == manifest.size
            with pytest.raises(DecryptionFailed):
                decrypt_stream(
                    io.BytesIO(stream[:-17]), io.BytesIO(), manifest.file_key, manifest.stream_hash
                )
            extracts += 1
    assert extracts == 3


def test_js_envelope_moved_to_another_practice_fails_in_python(js_made: dict[str, Any]) -> None:
    """Python enforces the ids the caller expects on JS-made envelopes too."""
    item = js_made["items"][0]
    with pytest.raises(DecryptionFailed):
        open_item(
            b64url_decode(item["envelope"]),
            author_verify_key=VerifyKey(b64url_decode(js_made["author_ed25519_public"])),
            practice_secret_key=Secret(b64url_decode(js_made["practice"]["x25519_secret"])),
            item_id=uuid.UUID(item["item_id"]),
            client_id=uuid.uuid4(),
            author_id=uuid.UUID(js_made["author_id"]),
        )


STREAM_SIZES = [0, 1, 65535, 65536, 65537, 131072, 131073, 150001, 10 * 65536 + 5]


def test_the_stream_length_is_the_same_in_javascript_and_python(node: str) -> None:
    """The browser's ``streamLength`` (which sizes a resumable upload) and Python's
    ``stream_length`` (which the server checks uploads against) agree, chunk edges included."""
    from crypto.stream import stream_length

    script = (
        "import { streamLength } from './web/static/js/crypto/stream.js';"
        f"console.log(JSON.stringify({STREAM_SIZES}.map(streamLength)));"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        check=True,
        cwd=REPO,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert json.loads(done.stdout) == [stream_length(n) for n in STREAM_SIZES]


def test_js_team_key_record_and_instructions_open_in_python(js_made: dict[str, Any]) -> None:
    """A record signed in JS verifies in Python and commits to the JS team key; instruction
    envelopes sealed in JS (one by the member, a reply by the secretary) open in Python."""
    team = js_made["team"]
    client_id, member_id = uuid.UUID(js_made["client_id"]), uuid.UUID(js_made["user_id"])
    author_id = uuid.UUID(js_made["author_id"])
    member_key = VerifyKey(b64url_decode(team["member_ed25519_public"]))
    opened_key = open_team_key(
        b64url_decode(js_made["grants"]["team"]),
        record=b64url_decode(team["record"]),
        signature=b64url_decode(team["signature"]),
        creator_verify_key=member_key,
        creator_id=member_id,
        client_id=client_id,
        version=3,
        recipient_id=member_id,
        recipient_secret_key=Secret(b64url_decode(js_made["member"]["x25519_secret"])),
    )
    assert b64url_encode(opened_key.value) == js_made["team_key"]
    record = verify_team_key_record(
        b64url_decode(team["record"]), b64url_decode(team["signature"]), member_key
    )
    assert set(record.recipients) == {member_id, author_id}
    authors = {
        DocType.CALL_RULES: (member_id, member_key, NO_SUBJECT),
        DocType.REPLY: (
            author_id,
            VerifyKey(b64url_decode(js_made["author_ed25519_public"])),
            client_id,
        ),
    }
    for document in team["documents"]:
        envelope = b64url_decode(document["envelope"])
        doc_type = read_unverified_instruction_header(envelope).type
        who, key, subject = authors[doc_type]
        header, body = open_instruction(
            envelope,
            opened_key,
            key,
            client_id=client_id,
            document_id=uuid.UUID(document["document_id"]),
            author_id=who,
            version=3,
            subject_id=subject,
        )
        assert body == document["body"]
        assert header.revision == 2
