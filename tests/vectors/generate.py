"""Generate tests/vectors/format-v1.json: deterministic vectors of docs/format.md.

Run: ``PYTHONPATH=. .venv/bin/python tests/vectors/generate.py``. The schema
is documented in tests/vectors/README.md. Every random input is drawn from a
named SHAKE-256 stream and written out in the vector, so another
implementation never needs to reproduce the generator's randomness.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import nacl.bindings as sodium

from crypto import _primitives
from crypto.encoding import b64url_encode as b64
from crypto.envelope import (
    ItemHeader,
    ItemKind,
    Urgency,
    encode_body,
    seal_item,
)
from crypto.fingerprint import practice_fingerprint, user_fingerprint
from crypto.grants import GrantKind, PracticeKeyPair, seal_grant
from crypto.kdf import (
    KdfParams,
    derive_auth_key,
    derive_kek,
    derive_master,
    fake_salt,
    normalize_password,
)
from crypto.recovery import RecoveryCode, recovery_proof_message
from crypto.secret import Secret
from crypto.signing import SigningKey
from crypto.stream import FileManifest, StreamEncryptor
from crypto.totp import code_at, secret_base32, step_at
from crypto.user_keys import WRAPPED_BYTES, UserKeyPair, WrapPurpose, wrap_user_keys

VECTOR_FILE = Path(__file__).with_name("format-v1.json")
CALL_STARTED_AT = 1795772465  # 2026-11-27T09:41:05Z
Json = dict[str, Any]


class DeterministicRandom:
    """``randbytes`` stand-in: SHAKE-256 of a label and a counter. Tests only."""

    def __init__(self, label: str) -> None:
        self._label = label.encode("utf-8")
        self._counter = 0

    def __call__(self, size: int) -> bytes:
        self._counter += 1
        seed = self._label + b"\0" + self._counter.to_bytes(8, "big")
        return hashlib.shake_256(seed).digest(size)


def sealed_box(message: bytes, public_key: bytes, esk: bytes) -> bytes:
    """libsodium's ``crypto_box_seal`` with a given ephemeral secret key ``esk``:
    ``epk || crypto_box_easy(m, nonce = H(24, epk || pk), pk, esk)``."""
    epk = sodium.crypto_scalarmult_base(esk)
    nonce = hashlib.blake2b(epk + public_key, digest_size=24).digest()
    return epk + sodium.crypto_box_easy(message, nonce, public_key, esk)


@contextlib.contextmanager
def deterministic_sealing(randbytes: Callable[[int], bytes]) -> Iterator[list[bytes]]:
    """Replace ``crypto_box_seal``'s internal random ephemeral key by one from ``randbytes``.

    Same construction as libsodium's ``crypto_box_seal`` (``sealed_box``), so the
    result opens with ``crypto_box_seal_open``; it makes the vector file reproducible.
    Yields the list of ephemeral secret keys drawn, in order, for the vectors.
    """
    drawn: list[bytes] = []

    def seal(message: bytes, public_key: bytes) -> bytes:
        drawn.append(randbytes(32))
        return sealed_box(message, public_key, drawn[-1])

    with mock.patch.object(_primitives, "box_seal", seal):
        yield drawn


def _fixed(value: bytes) -> Callable[[int], bytes]:
    """A ``randbytes`` that returns ``value`` (checking the size asked for)."""

    def draw(size: int) -> bytes:
        assert size == len(value)
        return value

    return draw


def _sequence(*values: bytes) -> Callable[[int], bytes]:
    """A ``randbytes`` that returns ``values`` in order."""
    draws = iter(values)

    def draw(size: int) -> bytes:
        value = next(draws)
        assert size == len(value)
        return value

    return draw


def _kdf() -> Json:
    rng = DeterministicRandom("kdf")
    # "ﬁ" (U+FB01) and "Å" as A + U+030A: NFKC turns them into "fi" and U+00C5.
    password = "correct horse \ufb01 A\u030a battery"
    params = KdfParams(salt=rng(16))
    master = derive_master(password, params)
    labels = []
    for _ in range(3):
        m = Secret(rng(32))
        labels.append(
            {
                "master": b64(m.value),
                "auth_key": b64(derive_auth_key(m).value),
                "kek": b64(derive_kek(m).value),
            }
        )
    server_secret = Secret(rng(32))
    return {
        "argon2id": [
            {
                "password": password,
                "password_bytes": b64(normalize_password(password)),
                **params.to_json(),
                "master": b64(master.value),
                "auth_key": b64(derive_auth_key(master).value),
                "kek": b64(derive_kek(master).value),
            }
        ],
        "labels": labels,
        "refused_params": [
            {"alg": "argon2id13", "ops": 2, "mem": 67108864, "salt": b64(params.salt)},
            {"alg": "argon2id13", "ops": 3, "mem": 67108863, "salt": b64(params.salt)},
            {"alg": "argon2i13", "ops": 3, "mem": 67108864, "salt": b64(params.salt)},
        ],
        "excessive_params": [
            {"alg": "argon2id13", "ops": 11, "mem": 67108864, "salt": b64(params.salt)},
            {"alg": "argon2id13", "ops": 3, "mem": 1073741825, "salt": b64(params.salt)},
        ],
        "fake_salt": [
            {
                "server_secret": b64(server_secret.value),
                "username": name,
                "salt": b64(fake_salt(server_secret, name)),
            }
            for name in ("nobody", "NoBody", "dr.martin@example.fr")
        ],
    }


def _user(label: str) -> tuple[uuid.UUID, UserKeyPair]:
    rng = DeterministicRandom(label)
    return uuid.UUID(bytes=rng(16), version=4), UserKeyPair.generate(rng)


def _user_keys() -> list[Json]:
    out = []
    for label in ("user-keys/member", "user-keys/secretary"):
        rng = DeterministicRandom(label + "/wrap")
        user_id, keys = _user(label)
        public = keys.public_keys
        wraps = []
        for purpose in WrapPurpose:
            wrap_key = Secret(rng(32))
            nonce = rng(24)
            wrapped = wrap_user_keys(keys, wrap_key, purpose, user_id, _fixed(nonce))
            wraps.append(
                {
                    "purpose": int(purpose),
                    "wrap_key": b64(wrap_key.value),
                    "nonce": b64(nonce),
                    "ad": b64(b"permanence/v1/user-keys\0" + bytes([purpose]) + user_id.bytes),
                    "wrapped": b64(wrapped),
                }
            )
        out.append(
            {
                "user_id": str(user_id),
                "x25519_secret": b64(keys.x25519_secret.value),
                "ed25519_seed": b64(keys.ed25519_seed.value),
                "x25519_public": b64(public.x25519),
                "ed25519_public": b64(public.ed25519),
                "user_secrets": b64(keys.to_bytes().value),
                "fingerprint": user_fingerprint(public.x25519, public.ed25519),
                "wrapped": wraps,
            }
        )
    return out


def _recovery() -> Json:
    rng = DeterministicRandom("recovery")
    valid: list[Json] = []
    for raw in (bytes(20), b"\xff" * 20, rng(20), rng(20)):
        code = RecoveryCode(raw)
        text = code.format()
        sloppy = text.lower().replace("-", " ").replace("0", "o").replace("1", "l")
        valid.append(
            {
                "raw": b64(raw),
                "code": text,
                "also_accepted": [text.replace("-", ""), sloppy],
                "recovery_key": b64(code.key.value),
            }
        )
    good = str(valid[2]["code"])
    last = good[-1]
    refused = [
        good[:-2],  # too short
        good + "0",  # too long
        good[:-1] + ("1" if last == "0" else "0"),  # checksum (and maybe padding bit) wrong
        good.replace(good[0], "U", 1),  # U is not in the alphabet
        ("1" if good[0] != "1" else "2") + good[1:],  # a typo in r: checksum mismatch
    ]
    return {"valid": valid, "refused": refused, "proofs": _recovery_proofs()}


def _recovery_proofs() -> list[Json]:
    """Signed recovery messages (§8): the challenge makes each one single-use."""
    rng = DeterministicRandom("recovery-proof")
    out: list[Json] = []
    for _ in range(2):
        user_id = uuid.UUID(bytes=rng(16), version=4)
        signing = SigningKey(rng(32))
        challenge, salt, auth_key, wrapped_kek = rng(32), rng(16), rng(32), rng(WRAPPED_BYTES)
        message = recovery_proof_message(user_id, challenge, salt, auth_key, wrapped_kek)
        out.append(
            {
                "user_id": str(user_id),
                "ed25519_seed": b64(signing.seed),
                "ed25519_public": b64(signing.public_key.key),
                "challenge": b64(challenge),
                "salt": b64(salt),
                "auth_key": b64(auth_key),
                "wrapped_kek": b64(wrapped_kek),
                "message": b64(message),
                "signature": b64(signing.sign(message)),
            }
        )
    return out


def _practice(label: str) -> tuple[uuid.UUID, PracticeKeyPair]:
    rng = DeterministicRandom(label)
    return uuid.UUID(bytes=rng(16), version=4), PracticeKeyPair.generate(rng)


def _grants() -> list[Json]:
    client_id, practice = _practice("practice")
    _member_id, member = _user("user-keys/member")
    _sec_id, secretary = _user("user-keys/secretary")
    rng = DeterministicRandom("grants")
    team_key = Secret(rng(32))
    out = []
    with deterministic_sealing(rng) as ephemeral:
        for kind, key, recipient in (
            (GrantKind.PRACTICE_SECRET_KEY, practice.secret_key, member),
            (GrantKind.TEAM_KEY, team_key, secretary),
        ):
            grant = seal_grant(kind, client_id, key, recipient.public_keys.x25519)
            out.append(
                {
                    "kind": int(kind),
                    "client_id": str(client_id),
                    "key": b64(key.value),
                    "recipient_x25519_secret": b64(recipient.x25519_secret.value),
                    "recipient_x25519_public": b64(recipient.public_keys.x25519),
                    "grant_plain": b64(bytes([1, kind]) + client_id.bytes + key.value),
                    "ephemeral_secret": b64(ephemeral[-1]),
                    "grant": b64(grant),
                }
            )
    return out


def _stream(label: str, size: int) -> tuple[Json, FileManifest]:
    rng = DeterministicRandom(label)
    file_key = Secret(rng(32))
    plaintext = rng(size)
    header = rng(24)
    encryptor = StreamEncryptor(file_key, _fixed(header))
    stream = encryptor.update(plaintext) + encryptor.finish()
    manifest = FileManifest(
        name="extrait-patients.csv",
        media_type="text/csv",
        size=size,
        file_key=file_key,
        stream_hash=encryptor.info.stream_hash,
    )
    vector = {
        "file_key": b64(file_key.value),
        "header": b64(header),
        "size": size,
        "plaintext": b64(plaintext),
        "chunk_count": max(1, -(-size // 65536)),
        "stream": b64(stream),
        "stream_hash": b64(encryptor.info.stream_hash),
    }
    return vector, manifest


def _streams() -> list[Json]:
    return [_stream(f"stream/{size}", size)[0] for size in (0, 65536, 150000)]


def _items() -> list[Json]:
    client_id, practice = _practice("practice")
    author_id, author = _user("user-keys/secretary")
    _, manifest = _stream("stream/150000", 150000)
    bodies = {
        ItemKind.CALL_NOTE: encode_body(
            {
                "caller_name": "Mme Françoise Dupont",
                "caller_is": "self",
                "callback_number": "+33 6 12 34 56 78",
                "reason": "Renouvellement d'ordonnance",
                "best_time": "après 17 h",
                "notes": "Ligne 1\nLigne 2 \u00ab guillemets \u00bb",
            }
        ),
        ItemKind.MESSAGE: encode_body({"subject": "Rappel", "text": "Le cabinet rappelle."}),
        ItemKind.EXTRACT: manifest.to_body(),
    }
    out = []
    for kind, body in bodies.items():
        rng = DeterministicRandom(f"item/{kind.name.lower()}")
        is_call = kind == ItemKind.CALL_NOTE
        header = ItemHeader(
            kind=kind,
            urgency=Urgency(int(kind) % 3),
            item_id=uuid.UUID(bytes=rng(16), version=4),
            client_id=client_id,
            author_id=author_id,
            call_started_at=CALL_STARTED_AT if is_call else 0,  # 2026-11-27T09:41:05Z
            call_seconds=154 if is_call else 0,
        )
        content_key, nonce = rng(32), rng(24)
        with deterministic_sealing(rng) as ephemeral:
            envelope = seal_item(
                header, body, practice.public_key, author.signing_key, _sequence(content_key, nonce)
            )
        sealed_key, signature = envelope[63:143], envelope[143:207]
        ciphertext = envelope[231:]
        out.append(
            {
                "kind": int(kind),
                "urgency": int(header.urgency),
                "item_id": str(header.item_id),
                "client_id": str(client_id),
                "author_id": str(author_id),
                "call_started_at": header.call_started_at,
                "call_seconds": header.call_seconds,
                "author_ed25519_seed": b64(author.ed25519_seed.value),
                "author_ed25519_public": b64(author.public_keys.ed25519),
                "practice_x25519_secret": b64(practice.secret_key.value),
                "practice_x25519_public": b64(practice.public_key),
                "body": body.decode("utf-8"),
                "header": b64(envelope[:63]),
                "content_key": b64(content_key),
                "nonce": b64(nonce),
                "ephemeral_secret": b64(ephemeral[0]),
                "sealed_key": b64(sealed_key),
                "ciphertext": b64(ciphertext),
                "ct_hash": b64(hashlib.blake2b(nonce + ciphertext, digest_size=32).digest()),
                "signature": b64(signature),
                "envelope": b64(envelope),
            }
        )
    return out


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _refused() -> Json:
    """Tampered structures every implementation must refuse, with the expected error."""
    items = _items()
    message = items[1]
    envelope = bytes.fromhex(_unb64(message["envelope"]).hex())
    fields = {
        "version": 0,
        "kind": 1,
        "urgency": 2,
        "item_id": 3,
        "client_id": 19,
        "author_id": 35,
        "call_started_at": 51,
        "call_seconds": 62,
        "sealed_key": 63 + 40,
        "signature": 143 + 10,
        "nonce": 207 + 5,
        "ciphertext": 231 + 1,
        "tag": len(envelope) - 1,
    }
    envelope_cases = [
        {
            "name": f"flipped byte in {name}",
            "envelope": b64(_flip(envelope, index)),
            "error": "UnsupportedVersion" if name == "version" else "DecryptionFailed",
        }
        for name, index in fields.items()
    ]
    envelope_cases.append(
        {"name": "truncated", "envelope": b64(envelope[:246]), "error": "DecryptionFailed"}
    )
    stream_vector, _ = _stream("stream/150000", 150000)
    end = len(_unb64(stream_vector["stream"]))
    c0, c1, c2 = (25, 25 + 65553), (25 + 65553, 25 + 2 * 65553), (25 + 2 * 65553, end)
    prefix = (0, 25)
    stream_cases: list[tuple[str, list[tuple[int, int]], int | None, bytes, str]] = [
        ("missing final chunk", [prefix, c0, c1], None, b"", "DecryptionFailed"),
        ("reordered chunks", [prefix, c1, c0, c2], None, b"", "DecryptionFailed"),
        ("duplicated chunk", [prefix, c0, c0, c1, c2], None, b"", "DecryptionFailed"),
        ("data after final", [(0, end)], None, b"\0", "DecryptionFailed"),
        ("truncated final chunk", [(0, end - 1)], None, b"", "DecryptionFailed"),
        ("flipped byte in stream header", [(0, end)], 3, b"", "DecryptionFailed"),
        ("flipped byte in a chunk", [(0, end)], 25 + 70000, b"", "DecryptionFailed"),
        ("unknown version byte", [(0, end)], 0, b"", "UnsupportedVersion"),
    ]
    return {
        "envelope_of_item": 1,
        "envelopes": envelope_cases,
        "encodings": [_second_encoding()],
        "stream_of": 2,
        "streams": [
            {
                "name": name,
                "ranges": [list(r) for r in ranges],
                "flip": flip,
                "append": b64(append),
                "error": error,
            }
            for name, ranges, flip, append, error in stream_cases
        ],
    }


def _second_encoding() -> Json:
    """streams[1]'s 65,536-byte file as a MESSAGE chunk then an empty FINAL chunk: a valid
    secretstream, but not the file's one encoding (§6), so readers refuse it."""
    vector, _ = _stream("stream/65536", 65536)
    file_key, header = _unb64(vector["file_key"]), _unb64(vector["header"])
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, file_key)
    push = sodium.crypto_secretstream_xchacha20poly1305_push
    stream = b"\x01" + header
    stream += push(state, _unb64(vector["plaintext"]), None, 0x00)  # TAG_MESSAGE
    stream += push(state, b"", None, 0x03)  # TAG_FINAL
    return {
        "name": "65536-byte file with an empty FINAL chunk after a full MESSAGE chunk",
        "file_key": vector["file_key"],
        "stream": b64(stream),
        "stream_hash": b64(hashlib.blake2b(stream, digest_size=32).digest()),
        "error": "DecryptionFailed",
    }


def _unb64(text: str) -> bytes:
    from crypto.encoding import b64url_decode

    return b64url_decode(text)


def _fingerprints() -> list[Json]:
    _, practice = _practice("practice")
    out: list[Json] = [
        {
            "practice_x25519_public": b64(practice.public_key),
            "fingerprint": practice_fingerprint(practice.public_key),
        }
    ]
    for label in ("user-keys/member", "user-keys/secretary"):
        _, keys = _user(label)
        public = keys.public_keys
        out.append(
            {
                "x25519_public": b64(public.x25519),
                "ed25519_public": b64(public.ed25519),
                "fingerprint": public.fingerprint,
            }
        )
    return out


def _totp() -> list[Json]:
    secret = Secret(b"12345678901234567890")  # the RFC 6238 SHA-1 test secret
    return [
        {
            "secret_base32": secret_base32(secret),
            "time": t,
            "step": step_at(t),
            "code": code_at(secret, t),
        }
        for t in (59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000)
    ]


def generate() -> Json:
    """Every vector, in the layout described in tests/vectors/README.md."""
    from tests.vectors.team import team_vectors  # it uses this module's helpers

    team_keys, instructions = team_vectors()
    return {
        "format": "permanence format v1 test vectors",
        "schema": "tests/vectors/README.md",
        "encoding": "binary values are base64url without padding; ids are lowercase UUIDs",
        "kdf": _kdf(),
        "user_keys": _user_keys(),
        "recovery": _recovery(),
        "grants": _grants(),
        "items": _items(),
        "streams": _streams(),
        "refused": _refused(),
        "fingerprints": _fingerprints(),
        "totp": _totp(),
        "team_keys": team_keys,
        "instructions": instructions,
    }


def render(vectors: Json) -> str:
    """The exact text committed in format-v1.json."""
    return json.dumps(vectors, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> int:
    VECTOR_FILE.write_text(render(generate()), encoding="utf-8")
    print(f"wrote {VECTOR_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
