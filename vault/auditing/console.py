"""The auditor's console as use cases: each page read in one snapshot, each view recorded.

The web routes call these and only format what they return; the queries are
in ``vault.auditing.entries``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from audit.entry import Action
from audit.issuer import checkpoint_at
from audit.keys import NoteVerifier
from audit.proof import ProofFile
from audit.retention import EntryPruned, minimum_index
from audit.witness_policy import WitnessPolicy
from vault.auditing import alerts, entries, retention, statistics, witnessing
from vault.auditing.checkpoints import Checkpointing
from vault.auditing.retention import RetentionSummary
from vault.business_hours import BusinessHours
from vault.env import Env, Principal, RequestInfo
from vault.errors import NotFound, Pruned
from vault.storage.store import Connection


@dataclass(frozen=True, slots=True)
class ConsolePage:
    """A page of entries; on a full page also the filter's actions and the latest checkpoint."""

    page: entries.EntryPage
    actions: list[str] | None = None
    checkpoint: entries.CheckpointStatus | None = None
    log_size: int = 0
    kept: RetentionSummary | None = None  # what retention keeps, and for how long
    witnessing: tuple[witnessing.CheckpointWitnessing, ...] = ()


def record_view(env: Env, request: RequestInfo, principal: Principal, **targets: str) -> None:
    """Record that the auditor opened the console or an entry (``audit.viewed``)."""
    env.db.write(
        lambda conn: env.record(
            conn, Action.AUDIT_VIEWED, request, actor=principal.actor, targets=targets
        )
    )


def console_page(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    entry_filter: entries.EntryFilter,
    *,
    before: int | None,
    verifier: NoteVerifier,
    full_page: bool,
    policy: WitnessPolicy | None = None,
) -> ConsolePage:
    """A page of the console; a full page load is recorded first, an htmx refresh is not."""
    if full_page:
        record_view(env, request, principal)

    def read(conn: Connection) -> ConsolePage:
        page = entries.entry_page(conn, entry_filter, before=before)
        if not full_page:
            return ConsolePage(page)
        return ConsolePage(
            page,
            actions=entries.known_actions(conn),
            checkpoint=entries.checkpoint_status(conn, verifier, policy),
            log_size=env.log.size(conn),
            kept=retention.summary(env, conn),
            witnessing=tuple(witnessing.recent_witnessing(conn, policy) if policy else ()),
        )

    return env.db.read(read)


def entry(
    env: Env, request: RequestInfo, principal: Principal, index: int, verifier: NoteVerifier
) -> entries.EntryProof:
    """Entry ``index`` with its proof, recorded as viewed; ``NotFound`` if there is none."""
    proof = env.db.read(lambda conn: entries.entry_with_proof(conn, index, verifier))
    if proof is None:
        raise NotFound()
    record_view(env, request, principal, entry=str(index))
    return proof


def proof_file(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    index: int,
    checkpointing: Checkpointing,
) -> str:
    """The tlog-proof file of entry ``index`` in the current checkpoint (signed if need be)."""
    verifier = checkpointing.issuer.signer.verifier
    if index >= env.db.read(env.log.size):
        raise NotFound()
    if index < env.db.read(minimum_index):
        raise Pruned()
    latest = checkpointing.issue_now(env)

    def read(conn: Connection) -> str:
        proof = env.log.inclusion_proof(conn, index, latest.checkpoint.size)
        try:
            leaf = env.log.leaf(conn, index)
        except EntryPruned:
            raise Pruned() from None
        cosigned = checkpoint_at(conn, latest.seq, verifier).cosigned_note
        return ProofFile(index, proof.hashes, cosigned, leaf).text()

    record_view(env, request, principal, entry=str(index))
    return env.db.read(read)


def latest_checkpoint(env: Env, verifier: NoteVerifier) -> entries.CheckpointStatus:
    """The latest checkpoint with its signatures checked; ``NotFound`` before the first one."""
    status = env.db.read(lambda conn: entries.checkpoint_status(conn, verifier))
    if status is None:
        raise NotFound()
    return status


def activity(
    env: Env, window: statistics.Window, hours: BusinessHours, since: datetime
) -> tuple[statistics.ActivityStats, list[alerts.Alert]]:
    """The activity page's statistics over ``window`` and the alerts raised since ``since``."""
    return env.db.read(
        lambda conn: (statistics.activity(conn, window, hours), alerts.alerts(conn, since))
    )
