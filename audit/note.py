"""C2SP signed notes: a UTF-8 text, a blank line, and signature lines.

Each signature line is ``— <name> <base64(key hash || signature)>`` (U+2014,
space); every signature covers the text only, including its final newline
(a ``cosignature/v1`` line signs it behind a header and a timestamp,
``audit.cosignature``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

from audit.errors import BadNote
from audit.keys import NoteSigner, Verifier
from audit.names import valid_name
from crypto.signing import BadSignature

_DASH = "\u2014 "
MAX_SIGNATURES = 100


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line of a note: who, which key, and the signature bytes."""

    name: str
    hash: bytes
    signature: bytes

    def line(self) -> str:
        return f"{_DASH}{self.name} {base64.b64encode(self.hash + self.signature).decode()}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """An opened note: its text, the signatures verified by known keys, and all the others."""

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]

    def signed_by(self, verifier: Verifier) -> bool:
        return any(s.name == verifier.name and s.hash == verifier.hash for s in self.verified)


def signature(text: str, signer: NoteSigner) -> NoteSignature:
    _check_text(text)
    return NoteSignature(signer.name, signer.hash, signer.sign(text.encode("utf-8")))


def sign(text: str, *signers: NoteSigner) -> str:
    """The signed note of ``text`` by each of ``signers``."""
    return text + "\n" + "".join(signature(text, s).line() for s in signers)


def add_signatures(note: str, signatures: Iterable[NoteSignature]) -> str:
    """``note`` with further signature lines appended (checked by ``open_note`` later)."""
    return note + "".join(s.line() for s in signatures)


def split(note: str) -> tuple[str, list[NoteSignature]]:
    """The text and the signature lines of a note, without checking any signature."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise BadNote("malformed note: no blank line before the signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    _check_text(text)
    sigs: list[NoteSignature] = []
    for line in block.splitlines():
        if not line.startswith(_DASH):
            raise BadNote("malformed note signature line")
        name, _, b64 = line[len(_DASH) :].partition(" ")
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise BadNote("malformed note signature") from None
        if not valid_name(name) or len(raw) < 5:
            raise BadNote("malformed note signature")
        sigs.append(NoteSignature(name, raw[:4], raw[4:]))
    if not sigs or len(sigs) > MAX_SIGNATURES:
        raise BadNote("a note needs between 1 and 100 signatures")
    return text, sigs


def open_note(note: str, verifiers: Iterable[Verifier]) -> Note:
    """Check ``note`` against known keys; unknown signers are kept aside, not trusted.

    Keys are the log's note keys or cosigners' keys (``audit.cosignature``):
    each checks its own line format.

    Raises ``BadNote`` if a known key's signature is wrong, or no known key signed it.
    """
    text, sigs = split(note)
    known = {(v.name, v.hash): v for v in verifiers}
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for sig in sigs:
        verifier = known.get((sig.name, sig.hash))
        if verifier is None:
            unverified.append(sig)
            continue
        try:
            verifier.check(text.encode("utf-8"), sig.signature)
        except BadSignature:
            raise BadNote(f"the signature by {sig.name} is invalid") from None
        verified.append(sig)
    if not verified:
        raise BadNote("the note carries no signature from a known key")
    return Note(text, tuple(verified), tuple(unverified))


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise BadNote("a note's text must end with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise BadNote("a note's text must not contain control characters")
