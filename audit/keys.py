"""Ed25519 note keys in the Go ``sumdb/note`` / C2SP signed-note key format.

Signer key:   ``PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>``
Verifier key: ``<name>+<hash>+<base64(0x01 || public key)>``

``hash`` is the first 4 bytes of SHA-256(name || "\\n" || 0x01 || public key),
as 8 lowercase hex digits. The signer key lives in its own file (mode 0600,
written by ``permanence init``), never in the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from audit.errors import BadKey
from audit.names import valid_name
from crypto.errors import CryptoError
from crypto.signing import SEED_BYTES, SigningKey, VerifyKey

ALG_ED25519 = 1
_PRIVATE_PREFIX = "PRIVATE+KEY+"


def key_hash(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id that prefixes every signature by this key."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


class Verifier(Protocol):
    """Anything that checks a note signature line: a note key (0x01) or a cosigner (0x04)."""

    @property
    def name(self) -> str: ...

    @property
    def key(self) -> VerifyKey: ...

    @property
    def hash(self) -> bytes: ...

    def check(self, text: bytes, signature: bytes) -> None:
        """Raise ``crypto.signing.BadSignature`` unless ``signature`` signs ``text``."""


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A named Ed25519 public key that checks note signatures."""

    name: str
    key: VerifyKey

    @property
    def hash(self) -> bytes:
        return key_hash(self.name, self.key.key)

    def check(self, text: bytes, signature: bytes) -> None:
        self.key.verify(text, signature)

    def __str__(self) -> str:
        raw = base64.b64encode(bytes([ALG_ED25519]) + self.key.key).decode()
        return f"{self.name}+{self.hash.hex()}+{raw}"


@dataclass(frozen=True, slots=True)
class NoteSigner:
    """A named Ed25519 secret key that signs notes; ``repr`` never shows the seed."""

    name: str
    key: SigningKey = field(repr=False)

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.key.public_key)

    @property
    def hash(self) -> bytes:
        return self.verifier.hash

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message)

    def private_text(self) -> str:
        raw = base64.b64encode(bytes([ALG_ED25519]) + self.key.seed).decode()
        return f"{_PRIVATE_PREFIX}{self.name}+{self.hash.hex()}+{raw}"


def generate_signer_key(name: str, randbytes: Callable[[int], bytes] = os.urandom) -> str:
    """A new signer key string for ``name`` (what ``permanence init`` writes to its file)."""
    if not valid_name(name):
        raise BadKey(f"a key name must be non-empty, without '+' or spaces: {name!r}")
    return NoteSigner(name, SigningKey.generate(randbytes)).private_text()


def parse_signer(text: str) -> NoteSigner:
    """Parse a signer key string (a key file's content; surrounding whitespace ignored)."""
    text = text.strip()
    if not text.startswith(_PRIVATE_PREFIX):
        raise BadKey("not a note signer key (it must start with PRIVATE+KEY+)")
    name, seed = _split(text[len(_PRIVATE_PREFIX) :], "signer")
    try:
        signer = NoteSigner(name, SigningKey(seed))
    except CryptoError:
        raise BadKey("malformed signer key") from None
    if signer.private_text() != text:
        raise BadKey("the signer key's hash does not match its name and key")
    return signer


def parse_verifier(text: str) -> NoteVerifier:
    """Parse a verifier key string such as ``permanence.local/audit+1a2b3c4d+AQ...``."""
    text = text.strip()
    name, pub = _split(text, "verifier")
    try:
        verifier = NoteVerifier(name, VerifyKey(pub))
    except CryptoError:
        raise BadKey("malformed verifier key") from None
    if str(verifier) != text:
        raise BadKey("the verifier key's hash does not match its name and key")
    return verifier


def _split(text: str, what: str) -> tuple[str, bytes]:
    return split_key(text, what, ALG_ED25519)


def split_key(text: str, what: str, alg: int) -> tuple[str, bytes]:
    """The name and 32 key bytes of ``<name>+<hash>+<base64(alg || key)>`` (hash not checked)."""
    parts = text.split("+", 2)
    if len(parts) != 3 or not valid_name(parts[0]) or len(parts[1]) != 8:
        raise BadKey(f"malformed {what} key")
    try:
        raw = base64.b64decode(parts[2], validate=True)
    except (binascii.Error, ValueError):
        raise BadKey(f"malformed {what} key") from None
    if len(raw) != 1 + SEED_BYTES or raw[0] != alg:
        kind = "an Ed25519 note key" if alg == ALG_ED25519 else "an Ed25519 cosigner key"
        raise BadKey(f"the {what} key is not {kind}")
    return parts[0], raw[1:]
