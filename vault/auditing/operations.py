"""The log's operations for ``permanence audit``: sign a checkpoint, verify, export, prove, cosign.

Each is a use case on the vault's ``Env``: its entry (by the command line's
actor, named in ``request``) and the checkpoint it signs are written in one
transaction; every read is one snapshot (``Database.reading``), so a command
sees one consistent log while the server keeps appending.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from audit import note as notes
from audit.bundle import write_bundle
from audit.checkpoint import Checkpoint, StoredCheckpoint
from audit.entry import Action
from audit.errors import BadCheckpoint
from audit.issuer import CheckpointIssuer, latest_checkpoint
from audit.keys import NoteSigner, NoteVerifier, Verifier
from audit.proof import ProofFile
from audit.retention import EntryPruned, minimum_index
from audit.verify import VerifyReport, verify_database
from vault.auditing.cosigning import store_cosignature
from vault.env import Env, RequestInfo
from vault.storage.store import Connection

Progress = Callable[[int, int], None]


def sign_checkpoint(
    env: Env, request: RequestInfo, issuer: CheckpointIssuer, action: Action
) -> StoredCheckpoint:
    """Record ``action`` (``audit.checkpoint`` or ``audit.exported``) and sign a checkpoint
    covering it, in one transaction."""

    def tx(conn: Connection) -> StoredCheckpoint:
        env.record(conn, action, request)
        return issuer.issue(conn)

    return env.db.write(tx)


def verify_log(
    env: Env,
    verifier: NoteVerifier,
    *,
    since: Checkpoint | None = None,
    since_leaf_hashes: list[bytes] | None = None,
    required_cosigners: Sequence[Verifier] = (),
    progress: Progress | None = None,
) -> VerifyReport:
    """Verify the whole log against ``verifier``, in one snapshot."""
    with env.db.reading() as conn:
        return verify_database(
            conn,
            verifier,
            origin=verifier.name,
            since=since,
            since_leaf_hashes=since_leaf_hashes,
            required_cosigners=list(required_cosigners),
            progress=progress,
        )


def write_export(
    env: Env,
    out: TextIO,
    issuer: CheckpointIssuer,
    signed: StoredCheckpoint,
    progress: Progress | None = None,
) -> int:
    """Write the bundle up to exactly the checkpoint ``signed`` (from ``sign_checkpoint``):
    entries appended since wait for the next export. Returns the entries written."""
    with env.db.reading() as conn:
        return write_bundle(
            conn,
            out,
            issuer.signer.verifier,
            origin=issuer.origin,
            upto=signed.seq,
            progress=progress,
        )


@dataclass(frozen=True, slots=True)
class Proof:
    text: str  # the tlog-proof file
    checkpoint: StoredCheckpoint  # the signed checkpoint the proof is in


def prove(env: Env, issuer: CheckpointIssuer, index: int) -> Proof:
    """The proof file of entry ``index``, in the latest checkpoint if it covers the entry,
    else in one signed now."""
    with env.db.reading() as conn:
        signed = latest_checkpoint(conn, issuer.signer.verifier)
        minimum = minimum_index(conn)
    if index < minimum:  # before signing anything: there is no entry left to prove
        raise EntryPruned(index, minimum)
    if signed is None or signed.checkpoint.size <= index:
        signed = env.db.write(issuer.issue)
    with env.db.reading() as conn:
        proof = env.log.inclusion_proof(conn, index, signed.checkpoint.size)
        leaf = env.log.leaf(conn, index)
    return Proof(ProofFile(index, proof.hashes, signed.cosigned_note, leaf).text(), signed)


@dataclass(frozen=True, slots=True)
class Cosigned:
    report: VerifyReport  # the verification done before cosigning
    checkpoint: StoredCheckpoint  # the checkpoint cosigned


def cosign(
    env: Env,
    request: RequestInfo,
    issuer: CheckpointIssuer,
    cosigner: NoteSigner,
    progress: Progress | None = None,
) -> Cosigned:
    """Verify the log, then cosign its latest checkpoint with ``cosigner`` (audited)."""
    server = issuer.signer.verifier
    with env.db.reading() as conn:
        report = verify_database(conn, server, origin=server.name, progress=progress)
        signed = latest_checkpoint(conn, server)
    if signed is None:
        raise BadCheckpoint(
            "there is no checkpoint to cosign yet; run 'permanence audit checkpoint'"
        )
    found = signed
    cosigned = notes.add_signatures(
        found.note, [notes.signature(found.checkpoint.body(), cosigner)]
    )
    env.db.write(
        lambda conn: store_cosignature(
            env, conn, request, found.seq, cosigned, cosigner.verifier, server
        )
    )
    return Cosigned(report, found)
