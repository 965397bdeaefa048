"""C2SP ``tlog-cosignature`` Ed25519 cosignatures (``cosignature/v1``, key type 0x04).

A cosignature is a note signature line over a checkpoint whose signature is a
``timestamped_signature``: an 8-byte big-endian POSIX timestamp followed by
the 64-byte Ed25519 signature of::

    cosignature/v1
    time <timestamp>
    <the checkpoint body, its final newline included>

The key ID is ``SHA-256(<name> || "\\n" || 0x04 || public key)[:4]``.

Keys:

- verifier: ``<name>+<hash>+<base64(0x04 || public key)>`` (a C2SP vkey);
- signer (a witness's key file): ``PRIVATE+KEY+<name>+<hash>+<base64(0x04 || seed)>``.

Cosignature verifiers plug into ``audit.note.open_note`` beside the log's
plain note keys (``audit.keys.Verifier``); ``parse_cosigner`` reads either.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from audit.errors import BadKey, BadNote
from audit.keys import ALG_ED25519, NoteVerifier, parse_verifier, split_key
from audit.names import valid_name
from audit.note import NoteSignature
from crypto.errors import CryptoError
from crypto.signing import SIGNATURE_BYTES, BadSignature, SigningKey, VerifyKey

ALG_COSIGNATURE_V1 = 4
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_TIME_BYTES = 8


def cosigner_key_hash(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of a ``cosignature/v1`` key."""
    return hashlib.sha256(
        name.encode() + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key
    ).digest()[:4]


def signed_message(text: bytes, timestamp: int) -> bytes:
    """What a cosigner signs for the checkpoint body ``text`` at ``timestamp``."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise BadNote("a cosignature's timestamp is between 0 and 2^63 - 1")
    return f"{HEADER}time {timestamp}\n".encode() + text


def timestamp_of(signature: bytes) -> int:
    """The timestamp of a ``timestamped_signature`` (not checked against any key)."""
    if len(signature) != _TIME_BYTES + SIGNATURE_BYTES:
        raise BadNote("a cosignature/v1 signature is 72 bytes: a timestamp and an Ed25519 one")
    timestamp = int.from_bytes(signature[:_TIME_BYTES], "big")
    if timestamp > MAX_TIMESTAMP:
        raise BadNote("a cosignature's timestamp is between 0 and 2^63 - 1")
    return timestamp


@dataclass(frozen=True, slots=True)
class CosignatureVerifier:
    """A named Ed25519 public key checking ``cosignature/v1`` lines."""

    name: str
    key: VerifyKey

    @property
    def hash(self) -> bytes:
        return cosigner_key_hash(self.name, self.key.key)

    def check(self, text: bytes, signature: bytes) -> None:
        try:
            timestamp = timestamp_of(signature)
        except BadNote:
            raise BadSignature("invalid signature") from None
        self.key.verify(signed_message(text, timestamp), signature[_TIME_BYTES:])

    def __str__(self) -> str:
        raw = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self.key.key).decode()
        return f"{self.name}+{self.hash.hex()}+{raw}"


@dataclass(frozen=True, slots=True)
class CosignatureSigner:
    """A witness's named Ed25519 secret key; ``repr`` never shows the seed."""

    name: str
    key: SigningKey = field(repr=False)

    @property
    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.key.public_key)

    @property
    def hash(self) -> bytes:
        return self.verifier.hash

    def cosign(self, text: str, timestamp: int) -> NoteSignature:
        """The ``cosignature/v1`` line of checkpoint body ``text`` at ``timestamp``."""
        if not text.endswith("\n"):
            raise BadNote("a note's text must end with a newline")
        signature = self.key.sign(signed_message(text.encode("utf-8"), timestamp))
        return NoteSignature(self.name, self.hash, timestamp.to_bytes(8, "big") + signature)

    def private_text(self) -> str:
        raw = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self.key.seed).decode()
        return f"{_PRIVATE_PREFIX}{self.name}+{self.hash.hex()}+{raw}"


def generate_cosigner_key(name: str, randbytes: Callable[[int], bytes] = os.urandom) -> str:
    """A new witness key file's text for ``name``."""
    if not valid_name(name):
        raise BadKey(f"a key name must be non-empty, without '+' or spaces: {name!r}")
    return CosignatureSigner(name, SigningKey.generate(randbytes)).private_text()


def parse_cosigner_signer(text: str) -> CosignatureSigner:
    """Parse a witness key file's text (surrounding white space ignored)."""
    text = text.strip()
    if not text.startswith(_PRIVATE_PREFIX):
        raise BadKey("not a witness key (it must start with PRIVATE+KEY+)")
    name, seed = split_key(text[len(_PRIVATE_PREFIX) :], "witness", ALG_COSIGNATURE_V1)
    try:
        signer = CosignatureSigner(name, SigningKey(seed))
    except CryptoError:
        raise BadKey("malformed witness key") from None
    if signer.private_text() != text:
        raise BadKey("the witness key's hash does not match its name and key")
    return signer


def parse_cosignature_verifier(text: str) -> CosignatureVerifier:
    """Parse a ``cosignature/v1`` verifier key (type 0x04)."""
    text = text.strip()
    name, pub = split_key(text, "cosigner", ALG_COSIGNATURE_V1)
    try:
        verifier = CosignatureVerifier(name, VerifyKey(pub))
    except CryptoError:
        raise BadKey("malformed cosigner key") from None
    if str(verifier) != text:
        raise BadKey("the cosigner key's hash does not match its name and key")
    return verifier


def parse_cosigner(text: str) -> NoteVerifier | CosignatureVerifier:
    """A cosigner's key: a plain note key (0x01, ``audit cosign``) or a cosignature/v1 key."""
    text = text.strip()
    raw = text.split("+", 2)[-1]
    try:
        alg = base64.b64decode(raw, validate=True)[:1]
    except ValueError:
        raise BadKey("malformed cosigner key") from None
    if alg == bytes([ALG_COSIGNATURE_V1]):
        return parse_cosignature_verifier(text)
    if alg == bytes([ALG_ED25519]):
        return parse_verifier(text)
    raise BadKey("the cosigner key is neither an Ed25519 note key nor a cosignature/v1 key")
