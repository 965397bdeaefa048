"""A C2SP ``tlog-witness`` witness: checks a log's checkpoints, keeps its latest view, cosigns.

``Witness.add_checkpoint`` answers the protocol's ``add-checkpoint`` request
body (``old <size>``, consistency proof lines, a blank line, the signed
checkpoint) with an HTTP status and body:

- 200: the witness's ``cosignature/v1`` line (text), after persisting the new view;
- 400: a malformed request, or an old size above the checkpoint's;
- 403: no valid signature by the log's key;
- 404: a log (origin) the witness does not follow;
- 409: the old size is not the size the witness last cosigned; the body is that
  size and a newline (``text/x.tlog.size``), so the log resubmits with the right proof;
- 422: the proof does not verify, a non-empty proof from size 0, two roots for one
  size, or a size-0 checkpoint whose root is not the empty tree's: a split view
  is refused and never cosigned.

The view of each log is one file in the state directory, named after the
SHA-256 of its origin: the latest checkpoint cosigned, with the log's and the
witness's signatures. It is replaced atomically (temporary file, fsync,
rename, fsync of the directory) before the cosignature is returned, and the
check and the replacement happen under one lock, so two requests never roll
the view back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from audit import merkle
from audit import note as notes
from audit.checkpoint import Checkpoint
from audit.cosignature import CosignatureSigner
from audit.errors import AuditError, BadCheckpoint, BadNote, ProofFailed
from audit.keys import NoteVerifier

log = logging.getLogger("permanence.witness")

MAX_REQUEST_BYTES = 64 * 1024
MAX_PROOF_LINES = 63
SIZE_CONTENT_TYPE = "text/x.tlog.size"
_OLD_RE = re.compile(r"^old (0|[1-9][0-9]{0,18})$")


class StateInUse(AuditError):
    """Another witness process holds the state directory."""


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer of the witness: status, body and content type."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class View:
    """The latest checkpoint a witness cosigned for one log."""

    checkpoint: Checkpoint
    note: str  # the log's signed note with the witness's cosignature


def origin_hash(origin: str) -> str:
    """The lowercase hex SHA-256 of an origin (the monitoring path's element)."""
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text``: a temporary file, fsync, rename, fsync of the directory."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class Witness:
    """One witness key following the logs whose note keys it was given."""

    def __init__(
        self,
        signer: CosignatureSigner,
        logs: Iterable[NoteVerifier],
        state_dir: Path,
        clock: Callable[[], float],
    ) -> None:
        self.signer = signer
        self.logs = {key.name: key for key in logs}
        self.state_dir = state_dir
        self.clock = clock
        self._lock = threading.Lock()

    def _path(self, origin: str) -> Path:
        return self.state_dir / f"{origin_hash(origin)}.checkpoint"

    def view(self, origin: str) -> View | None:
        """The latest checkpoint cosigned for ``origin``, checked again; None before the first."""
        path = self._path(origin)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        key = self.logs.get(origin)
        if key is None:
            return None
        opened = notes.open_note(text, [key, self.signer.verifier])
        if not (opened.signed_by(key) and opened.signed_by(self.signer.verifier)):
            raise BadNote(f"the witness's stored view of {origin} is not signed by both keys")
        return View(Checkpoint.parse(opened.text), text)

    def monitoring(self, hashed_origin: str) -> Answer:
        """``GET <prefix>/<origin hash>/checkpoint``: the latest cosigned checkpoint."""
        for origin in self.logs:
            if origin_hash(origin) == hashed_origin:
                view = self.view(origin)
                if view is not None:
                    return Answer(200, view.note)
        return Answer(404, "This witness has cosigned no checkpoint of that log.\n")

    def add_checkpoint(self, body: bytes) -> Answer:
        """Answer one ``add-checkpoint`` request body."""
        request = self._read(body)
        if isinstance(request, Answer):
            return request
        old, proof, checkpoint, opened, key = request
        with self._lock:
            try:
                view = self.view(checkpoint.origin)
            except (AuditError, OSError, UnicodeDecodeError):
                log.error("the stored view of %s cannot be read", checkpoint.origin)
                return Answer(500, "The witness's stored view of this log is damaged.\n")
            known = 0 if view is None else view.checkpoint.size
            if old != known:
                return Answer(409, f"{known}\n", SIZE_CONTENT_TYPE)
            refusal = _consistency(view, old, checkpoint, proof)
            if refusal is not None:
                log.warning("refused a checkpoint of %s: %s", checkpoint.origin, refusal)
                return Answer(422, refusal + "\n")
            line = self.signer.cosign(opened.text, int(self.clock()))
            log_lines = [s for s in opened.verified if s.name == key.name]
            stored = opened.text + "\n" + "".join(s.line() for s in log_lines) + line.line()
            write_atomically(self._path(checkpoint.origin), stored)
        return Answer(200, line.line())

    def _read(
        self, body: bytes
    ) -> Answer | tuple[int, list[bytes], Checkpoint, notes.Note, NoteVerifier]:
        """The request's parts once parsed and signed by the log, or the refusal's answer."""
        if len(body) > MAX_REQUEST_BYTES:
            return Answer(400, "The request is too large.\n")
        try:
            old, proof, note = _parse_request(body.decode("utf-8"))
            checkpoint = Checkpoint.parse(notes.split(note)[0])
        except (UnicodeDecodeError, AuditError, ValueError) as e:
            return Answer(400, f"Malformed add-checkpoint request: {e}.\n")
        key = self.logs.get(checkpoint.origin)
        if key is None:
            return Answer(404, "This witness does not follow that log.\n")
        try:
            opened = notes.open_note(note, [key])
        except BadNote:
            return Answer(403, "The checkpoint carries no valid signature by the log's key.\n")
        refusal = _sizes(old, checkpoint)
        return refusal or (old, proof, checkpoint, opened, key)


def _sizes(old: int, checkpoint: Checkpoint) -> Answer | None:
    if old > checkpoint.size:
        return Answer(400, "The old size is larger than the checkpoint's size.\n")
    if checkpoint.size == 0 and checkpoint.root != merkle.EMPTY_ROOT:
        return Answer(422, "A checkpoint of size 0 must have the empty tree's root.\n")
    return None


def _consistency(
    view: View | None, old: int, checkpoint: Checkpoint, proof: list[bytes]
) -> str | None:
    """Why ``checkpoint`` is not consistent with ``view`` (None when it is)."""
    if old == 0:
        return "A proof from size 0 must be empty." if proof else None
    if view is None:  # cannot happen: old equals the view's size, which is not 0
        return "The witness has no view at that old size."
    if old == checkpoint.size:
        if proof or view.checkpoint.root != checkpoint.root:
            return (
                f"Split view: this witness cosigned another root for size {old};"
                " this checkpoint is refused."
            )
        return None
    try:
        merkle.verify_consistency(
            old, checkpoint.size, view.checkpoint.root, checkpoint.root, proof
        )
    except ProofFailed as e:
        return f"The checkpoint is not consistent with the one cosigned at size {old}: {e}."
    return None


def _parse_request(text: str) -> tuple[int, list[bytes], str]:
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise BadCheckpoint("no blank line before the checkpoint")
    lines = head.split("\n")
    match = _OLD_RE.match(lines[0])
    if match is None:
        raise BadCheckpoint("the first line must be 'old <size>'")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise BadCheckpoint(f"at most {MAX_PROOF_LINES} consistency proof lines")
    try:
        proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    except (binascii.Error, ValueError):
        raise BadCheckpoint("a consistency proof line is not base64") from None
    if any(len(h) != merkle.HASH_BYTES for h in proof):
        raise BadCheckpoint("every proof hash is 32 bytes")
    return int(match.group(1)), proof, note
