""" "Verify now" runs kept in the database (vault/auditing/verification.py): a run started by
one server process is seen, with its progress, by another; one run at a time per account
across processes; a run whose process stopped shows as interrupted."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from audit.keys import NoteVerifier
from tests.factories import REQ, add_account
from vault import leases
from vault.auditing import verification
from vault.auditing.verification import INTERRUPTED, STOPPED, Verifications
from vault.clock import iso
from vault.errors import NotFound
from vault.identity.roles import Role
from vault.opening import Vault


@pytest.fixture
def endless(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The log's check never ends (a huge log): it reports progress until interrupted."""
    going = threading.Event()

    def verify(conn: Any, verifier: Any, *, origin: str, progress: Any) -> None:
        going.set()
        done = 0
        while True:
            done += 1
            progress(done, 10**9)
            time.sleep(0.001)

    monkeypatch.setattr(verification, "verify_database", verify)
    return going


def test_a_run_of_one_process_is_seen_and_not_doubled_by_another(
    vault: Vault, endless: threading.Event
) -> None:
    env = vault.env
    auditor = add_account(env, Role.AUDITOR, "auditor")
    verifier: NoteVerifier = vault.checkpointing.issuer.signer.verifier
    origin = vault.checkpointing.issuer.origin
    here, there = Verifications(holder="here"), Verifications(holder="there")
    leases.beat(env, holder="here")
    run = here.start(env, REQ, auditor.principal, verifier, origin)
    try:
        assert endless.wait(10)
        deadline = time.monotonic() + 10
        while (seen := there.get(env, run.id, auditor.principal)).done == 0:
            assert time.monotonic() < deadline, "no progress written"
            time.sleep(0.05)
        assert not seen.finished and seen.total == 10**9
        again = there.start(env, REQ, auditor.principal, verifier, origin)
        assert again.id == run.id and there.in_flight == 0  # the same run, not a second one
    finally:
        here.stop()
    ended = there.get(env, run.id, auditor.principal)
    assert ended.finished and ended.ok is None and ended.problem == INTERRUPTED
    other = add_account(env, Role.AUDITOR, "another auditor")
    with pytest.raises(NotFound):
        there.get(env, run.id, other.principal)


def test_a_run_whose_process_stopped_shows_interrupted_and_another_may_start(
    vault: Vault, endless: threading.Event
) -> None:
    env = vault.env
    auditor = add_account(env, Role.AUDITOR, "auditor")
    verifier: NoteVerifier = vault.checkpointing.issuer.signer.verifier
    origin = vault.checkpointing.issuer.origin
    now = env.now()
    env.db.write(  # a run left by a process killed mid-check: its heartbeat has stopped
        lambda c: c.execute(
            "INSERT INTO audit_verification (id, account_id, holder, started_at, updated_at,"
            " done, total) VALUES ('abandoned', ?, 'killed', ?, ?, 5, 10)",
            (auditor.id, iso(now), iso(now)),
        )
    )
    env.db.write(
        lambda c: c.execute(
            "INSERT INTO job_lease VALUES ('process:killed', 'killed', ?)", (iso(now),)
        )
    )
    survivor = Verifications(holder="survivor")
    shown = survivor.get(env, "abandoned", auditor.principal)
    assert shown.finished and shown.ok is None and shown.problem == STOPPED
    try:
        fresh = survivor.start(env, REQ, auditor.principal, verifier, origin)
        assert fresh.id != "abandoned" and survivor.in_flight == 1
    finally:
        survivor.stop()
