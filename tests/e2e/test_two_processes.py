"""Two server processes on one vault under concurrent deposits from both (issue 16): real
``permanence serve`` processes on one data directory (or PostgreSQL database), real HTTP
from threads to each, a real SMTP relay.

- Every acknowledged deposit is there once (one item row, one ``item.deposited`` entry),
  the audit log is dense and verifies (``permanence audit verify``), no two checkpoints
  have the same tree size though both processes race to sign one every quarter of a
  second, and each notification of the urgent deposits arrives once.
- A SIGKILL of one process mid-storm: every deposit either acknowledged is read back and
  decrypted, the other served every request during and after the kill, its claims on
  messages are taken over, and the log verifies.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.e2e.several_processes import ServerProcess
from tests.e2e.storm import (
    PER_SERVER,
    TICK,
    URGENT_EVERY,
    Storm,
    arrange,
    audit_verify,
    look,
    mailbox_fixture,  # noqa: F401 - the ``mailbox`` fixture
    mailed_deliveries,
    run_all,
    wait_for_mails,
)
from tests.e2e.vault_process import read_item
from tests.vault.notify.receivers import Inbox

pytestmark = pytest.mark.slow


def test_two_processes_under_concurrent_deposits(tmp_path: Path, mailbox: Inbox) -> None:
    arranged = arrange(tmp_path / "data", mailbox.port)
    first = ServerProcess(arranged.settings, tick=TICK)
    second = ServerProcess(arranged.settings, tick=TICK)
    storm = Storm(arranged)
    first.start()
    second.start()
    try:
        run_all(
            storm.threads(first.base_url, PER_SERVER) + storm.threads(second.base_url, PER_SERVER)
        )
        urgent = sum(storm.acknowledged.values())
        wait_for_mails(mailbox, urgent)
        time.sleep(3 * TICK + 4.0)  # both keep ticking (notifications every 2 s): no repeat
    finally:
        first.stop()
        second.stop()
    assert storm.refused == [] and storm.broken == []
    assert len(storm.acknowledged) == 2 * PER_SERVER
    found = look(arranged.settings)
    assert found.items == set(storm.acknowledged)
    assert set(found.deposited) == set(storm.acknowledged)
    assert set(found.deposited.values()) == {1}
    assert found.indexes == list(range(len(found.indexes)))
    sizes = found.checkpoint_sizes
    assert len(sizes) >= 5  # both processes signed, racing every quarter of a second
    assert len(set(sizes)) == len(sizes) and sizes == sorted(sizes)
    mailed = mailed_deliveries(mailbox)
    assert len(mailed) == urgent == 2 * PER_SERVER // URGENT_EVERY
    assert set(mailed.values()) == {1}
    assert set(mailed) == set(found.deliveries)
    assert set(found.deliveries.values()) == {"sent"}
    assert found.sent == Counter(dict.fromkeys(found.deliveries, 1))
    audit_verify(arranged.settings)


def test_a_process_killed_mid_storm_loses_nothing_and_the_other_keeps_serving(
    tmp_path: Path, mailbox: Inbox
) -> None:
    arranged = arrange(tmp_path / "data", mailbox.port)
    doomed = ServerProcess(arranged.settings, tick=TICK)
    survivor = ServerProcess(arranged.settings, tick=TICK)
    storm = Storm(arranged)
    doomed.start()
    survivor.start()
    try:
        # Far more than fit before the kill: the doomed process's clients stop at it.
        during = storm.threads(doomed.base_url, 100_000, until_gone=True)
        during += storm.threads(survivor.base_url, PER_SERVER)
        for t in during:
            t.start()
        time.sleep(2.0)
        doomed.kill()
        for t in during:
            t.join(300)
        after_kill = len(storm.acknowledged)
        run_all(storm.threads(survivor.base_url, PER_SERVER))  # and after it
        assert len(storm.acknowledged) > after_kill
        urgent = sum(storm.acknowledged.values())
        wait_for_mails(mailbox, urgent)
        with httpx.Client(
            base_url=survivor.base_url, headers=arranged.member_headers, timeout=30
        ) as member:
            for item_id in storm.acknowledged:
                body = read_item(member, arranged, item_id)
                assert body["subject"] == "Several processes"
    finally:
        survivor.stop()
        doomed.stop()
    assert storm.refused == [] and storm.broken == []  # the survivor failed nothing
    found = look(arranged.settings)
    assert set(storm.acknowledged) <= found.items
    assert set(found.deposited.values()) == {1}
    assert found.indexes == list(range(len(found.indexes)))
    sizes = found.checkpoint_sizes
    assert len(set(sizes)) == len(sizes) and sizes == sorted(sizes)
    # Each urgent deposit's message arrived (once, unless the kill fell mid-send: then
    # the lease expires and it goes again, at least once, never lost).
    mailed = mailed_deliveries(mailbox)
    assert set(mailed) >= {d for d, s in found.deliveries.items() if s == "sent"}
    audit_verify(arranged.settings)
