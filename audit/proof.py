"""C2SP tlog-proof files: one entry, its inclusion proof, and the checkpoint it leads to.

    c2sp.org/tlog-proof@v1
    extra <base64 of the entry's leaf bytes>
    index <N>
    <base64 proof hash>        (zero or more, from the leaf's sibling up)

    <the signed checkpoint note, cosignatures included>

The ``extra`` line carries the entry itself so the file is self-contained; it
is not trusted: the verifier hashes it and checks it through the proof.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from audit import merkle
from audit import note as notes
from audit.checkpoint import Checkpoint
from audit.errors import BadCheckpoint, BadNote, ProofFailed
from audit.keys import NoteVerifier, Verifier
from audit.verify import refuse_log_key

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX_RE = re.compile(r"^index (0|[1-9][0-9]*)$")


@dataclass(frozen=True, slots=True)
class ProofFile:
    index: int
    hashes: tuple[bytes, ...]
    note: str
    extra: bytes | None = None

    def text(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.hashes]
        return "\n".join(lines) + "\n\n" + self.note

    @classmethod
    def parse(cls, text: str) -> ProofFile:
        head, sep, note = text.partition("\n\n")
        lines = head.split("\n")
        if not sep or lines[0] != HEADER:
            raise ProofFailed(f"not a tlog-proof file (it must start with {HEADER})")
        extra: bytes | None = None
        rest = lines[1:]
        try:
            if rest and rest[0].startswith("extra "):
                extra = base64.b64decode(rest.pop(0)[6:], validate=True)
            match = _INDEX_RE.match(rest.pop(0)) if rest else None
            if match is None:
                raise ProofFailed("the proof file has no valid index line")
            hashes = tuple(base64.b64decode(h, validate=True) for h in rest)
        except (binascii.Error, ValueError):
            raise ProofFailed("the proof file holds malformed base64") from None
        return cls(int(match.group(1)), hashes, note, extra)


def verify_proof_file(
    text: str,
    verifier: NoteVerifier,
    *,
    leaf: bytes | None = None,
    cosigners: Iterable[Verifier] = (),
    origin: str | None = None,
) -> tuple[Checkpoint, bytes]:
    """Check a proof file; return its checkpoint and the proven leaf bytes.

    ``leaf`` (the entry the auditor holds) is required unless the file carries
    it as ``extra``. Every given cosigner must have signed the checkpoint.
    """
    proof = ProofFile.parse(text)
    leaf = leaf if leaf is not None else proof.extra
    if leaf is None:
        raise ProofFailed("no entry to prove: the file has no extra line and none was given")
    cosigners = list(cosigners)
    refuse_log_key(verifier, cosigners)
    try:
        opened = notes.open_note(proof.note, [verifier, *cosigners])
    except BadNote as e:
        raise BadCheckpoint(f"the proof's checkpoint does not verify: {e}") from None
    for key in (verifier, *cosigners):
        if not opened.signed_by(key):
            raise BadCheckpoint(f"the proof's checkpoint is not signed by {key.name}")
    checkpoint = Checkpoint.parse(opened.text)
    if origin is not None and checkpoint.origin != origin:
        raise BadCheckpoint(f"the proof is for log {checkpoint.origin!r}, not {origin!r}")
    merkle.verify_inclusion(
        merkle.leaf_hash(leaf), proof.index, checkpoint.size, proof.hashes, checkpoint.root
    )
    return checkpoint, leaf
