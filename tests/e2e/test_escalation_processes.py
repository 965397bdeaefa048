"""The escalation across real server processes on a real vault on disk: a server killed
with SIGKILL mid-ladder resumes where it was when restarted, and two servers on one
vault send each step once.

Each test arranges a practice with three members on its ladder (3 s apart) and a
secretary, all with e-mail usernames, an aiosmtpd server started here, and
``permanence serve`` in child processes (tests/e2e/vault_process.py). The secretary
deposits an urgent call note over HTTP; the mails that arrive are the ladder's steps.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from aiosmtpd.controller import Controller

from audit.verify import verify_database
from crypto.encoding import b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, seal_item
from tests.e2e.vault_process import VaultServer
from tests.factories import (
    Person,
    PracticeKeys,
    add_account,
    add_practice,
    assign,
    call_note_body,
    open_test_vault,
    session_for,
)
from tests.vault.notify.receivers import Inbox, free_port
from vault.auditing.checkpoints import load_signer
from vault.clock import iso, utc_now
from vault.identity.roles import Role
from vault.settings import Settings
from vault.storage.datadir import initialise

pytestmark = pytest.mark.slow

DELAY = 3
MEMBERS = ("dr.a@example.org", "dr.b@example.org", "dr.c@example.org")
SECRETARY = "sophie@example.org"
CANARY = "CANARY-proc-51c2"


@dataclass
class Arranged:
    data_dir: Path
    practice: PracticeKeys
    secretary: Person
    headers: dict[str, str]


@pytest.fixture
def mailbox() -> Iterator[Inbox]:
    handler = Inbox(free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def _arrange(data_dir: Path, smtp_port: int) -> Arranged:
    settings = Settings(data_dir=data_dir)
    initialise(settings)
    (data_dir / "permanence.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsender = "vault@example.org"\n'
    )
    vault = open_test_vault(settings)
    try:
        env = vault.env
        practice = add_practice(env, "Cabinet Martin")
        members = [add_account(env, Role.MEMBER, name, practice) for name in MEMBERS]
        secretary = add_account(env, Role.SECRETARY, SECRETARY)
        assign(env, secretary, practice)

        def ladder(conn: object) -> None:
            now = iso(utc_now())
            conn.execute(  # type: ignore[attr-defined]
                "INSERT INTO oncall_ladder VALUES (?, ?, 'Europe/Paris', ?, ?)",
                (practice.id, DELAY, now, members[0].id),
            )
            for i, m in enumerate(members):
                conn.execute(  # type: ignore[attr-defined]
                    "INSERT INTO oncall_rung VALUES (?, ?, ?, '1234567', 0, 0)",
                    (practice.id, i, m.id),
                )

        env.db.write(ladder)
        token, csrf = session_for(env, secretary)
    finally:
        vault.db.close()
    headers = {
        "cookie": f"permanence_session={token}",
        "x-csrf-token": csrf,
        "accept": "application/json",
    }
    return Arranged(data_dir, practice, secretary, headers)


def _deposit_urgent(arranged: Arranged, server: VaultServer) -> str:
    item_id = uuid.uuid4()
    header = ItemHeader(
        kind=ItemKind.MESSAGE,
        urgency=Urgency.URGENT,
        item_id=item_id,
        client_id=uuid.UUID(arranged.practice.id),
        author_id=uuid.UUID(arranged.secretary.id),
    )
    body = encode_body({"subject": f"Urgent {CANARY}", "text": str(call_note_body(CANARY))})
    envelope = seal_item(
        header, body, arranged.practice.keys.public_key, arranged.secretary.keys.signing_key
    )
    answer = httpx.post(
        server.base_url + "/items",
        headers={**arranged.headers, "origin": server.base_url},
        json={
            "item_id": str(item_id),
            "practice_id": arranged.practice.id,
            "envelope": b64url_encode(envelope),
        },
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return str(item_id)


def _wait_for(mailbox: Inbox, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(mailbox.mails) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(mailbox.mails)} mails of {count} after {timeout} s")
        time.sleep(0.05)


def _recipients(mailbox: Inbox) -> list[str]:
    return [to[0] for to, _ in mailbox.mails]


# Step 0, 1, 2: one member each; step 3: every member and the secretary.
EXPECTED = Counter({MEMBERS[0]: 2, MEMBERS[1]: 2, MEMBERS[2]: 2, SECRETARY: 1})


def _check_the_vault(data_dir: Path, item_id: str) -> None:
    vault = open_test_vault(Settings(data_dir=data_dir))
    try:
        steps = vault.env.db.read(
            lambda c: c.execute(
                "SELECT step, count(*) FROM delivery WHERE item_id = ? GROUP BY step ORDER BY step",
                (item_id,),
            ).fetchall()
        )
        assert [tuple(s) for s in steps] == [(0, 1), (1, 1), (2, 1), (3, 4)]
        state = vault.env.db.read(
            lambda c: c.execute(
                "SELECT state, outcome FROM escalation WHERE item_id = ?", (item_id,)
            ).fetchone()
        )
        assert tuple(state) == ("ended", "exhausted")
        with vault.db.reading() as conn:
            verify_database(conn, load_signer(vault.settings).verifier)
    finally:
        vault.db.close()


def test_a_server_killed_mid_ladder_resumes_where_it_was(
    tmp_path: Path, mailbox: Inbox, capfd: pytest.CaptureFixture[str]
) -> None:
    arranged = _arrange(tmp_path / "data", mailbox.port)
    server = VaultServer(arranged.data_dir)
    server.start()
    try:
        item_id = _deposit_urgent(arranged, server)
        _wait_for(mailbox, 1, 10)
        time.sleep(0.5)  # the send is recorded right after the relay accepted it
        server.kill()  # SIGKILL after step 0, before step 1 is due
        assert _recipients(mailbox) == [MEMBERS[0]]
        time.sleep(DELAY + 1)  # step 1 falls due while no server runs
        server.start()
        _wait_for(mailbox, 2, 10)
        assert _recipients(mailbox)[1] == MEMBERS[1]
        server.kill()  # again, after step 1
        server.start()
        _wait_for(mailbox, 7, 20)
        time.sleep(DELAY + 2.5)  # nothing more comes: the escalation has ended
    finally:
        server.stop()
    assert _recipients(mailbox)[:3] == list(MEMBERS)
    assert Counter(_recipients(mailbox)) == EXPECTED
    _check_the_vault(arranged.data_dir, item_id)
    logs = capfd.readouterr()
    seen = [logs.out, logs.err, *(m.decode("utf-8", "replace") for m in mailbox.raw)]
    assert not any(CANARY in text for text in seen)


def test_two_servers_on_one_vault_send_each_step_once(tmp_path: Path, mailbox: Inbox) -> None:
    # A slow relay (1 s a mail): each send is a long window in which the other server
    # would send the same message again, were the message not leased to the first.
    mailbox.delay = 1.0
    arranged = _arrange(tmp_path / "data", mailbox.port)
    first, second = VaultServer(arranged.data_dir), VaultServer(arranged.data_dir)
    first.start()
    second.start()
    try:
        item_id = _deposit_urgent(arranged, first)
        _wait_for(mailbox, 7, 40)
        time.sleep(DELAY + 2.5)  # both servers keep ticking: nothing more comes
    finally:
        first.stop()
        second.stop()
    assert _recipients(mailbox)[:3] == list(MEMBERS)
    assert Counter(_recipients(mailbox)) == EXPECTED
    _check_the_vault(arranged.data_dir, item_id)
