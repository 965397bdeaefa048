"""A vault for several server processes, the storms of deposits sent to them, and what
the vault holds afterwards (tests/e2e/test_two_processes.py, test_shared_state.py,
test_workers.py).

``arrange`` makes a practice whose one member is on call (an hour between steps: each
urgent deposit makes exactly one mail while a test runs), an assigned secretary, an SMTP
relay (aiosmtpd, the ``mailbox`` fixture) and checkpoints due every 5 entries, on the
test backend. ``Storm`` deposits from threads; ``look`` reads back every deposit entry,
index, checkpoint and notification.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import pytest
from aiosmtpd.controller import Controller

from audit.verify import verify_database
from tests.backends import settings_for
from tests.cli.running import run
from tests.e2e.several_processes import backend_environment, deposit
from tests.e2e.vault_process import SESSION_COOKIE, Arranged
from tests.factories import add_account, add_practice, assign, open_test_vault, session_for
from tests.people import Person as People
from tests.people import enrol
from tests.vault.notify.receivers import Inbox, free_port, mail_text
from vault.auditing.checkpoints import load_signer
from vault.clock import iso, utc_now
from vault.identity import sessions
from vault.identity.roles import Role
from vault.settings import Settings
from vault.storage.datadir import initialise

MEMBER = "dr.workers@example.org"
SECRETARY = "sophie.workers@example.org"
PER_SERVER = 200
CLIENTS_PER_SERVER = 4
URGENT_EVERY = 10  # one deposit in ten is urgent: its escalation's first step is one mail
TICK = 0.25  # the checkpoint job's period in these servers (15 s in production)


@pytest.fixture(name="mailbox")
def mailbox_fixture() -> Iterator[Inbox]:
    """A real SMTP relay (aiosmtpd) on a free port, recording every mail."""
    handler = Inbox(free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def session_headers(token: str, csrf: str) -> dict[str, str]:
    return {
        "cookie": f"{SESSION_COOKIE}={token}",
        "x-csrf-token": csrf,
        "accept": "application/json",
    }


def arrange(data_dir: Path, smtp_port: int) -> Arranged:
    """A practice with one member on call (an hour between steps: each urgent deposit
    makes exactly one mail while the test runs), an assigned secretary, checkpoints due
    every 5 entries."""
    settings = settings_for(data_dir)
    initialise(settings)
    (data_dir / "permanence.toml").write_text(
        "checkpoint_every_entries = 5\n"
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsender = "vault@example.org"\n'
    )
    vault = open_test_vault(settings)
    try:
        env = vault.env
        practice = add_practice(env, "Cabinet Plusieurs")
        member = add_account(env, Role.MEMBER, MEMBER, practice)
        secretary = add_account(env, Role.SECRETARY, SECRETARY)
        assign(env, secretary, practice)

        def ladder(conn: object) -> None:
            conn.execute(  # type: ignore[attr-defined]
                "INSERT INTO oncall_ladder VALUES (?, 3600, 'Europe/Paris', ?, ?)",
                (practice.id, iso(utc_now()), member.id),
            )
            conn.execute(  # type: ignore[attr-defined]
                "INSERT INTO oncall_rung VALUES (?, 0, ?, '1234567', 0, 0)",
                (practice.id, member.id),
            )

        env.db.write(ladder)
        member_headers = session_headers(*session_for(env, member))
        secretary_headers = session_headers(*session_for(env, secretary))
    finally:
        vault.db.close()
    return Arranged(settings, practice, member, secretary, member_headers, secretary_headers)


@dataclass
class Storm:
    """Secretaries' clients depositing messages through one server each."""

    arranged: Arranged
    acknowledged: dict[str, bool] = field(default_factory=dict)  # item id -> urgent
    refused: list[str] = field(default_factory=list)  # an answer other than 201
    broken: list[str] = field(default_factory=list)  # a connection that failed
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, base_url: str, name: str, count: int, *, until_gone: bool = False) -> None:
        headers = self.arranged.secretary_headers
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
            for n in range(count):
                urgent = n % URGENT_EVERY == 0
                body = deposit(self.arranged, f"{name} {n}", urgent=urgent)
                try:
                    answer = http.post("/items", json=body)
                except httpx.TransportError as e:
                    if until_gone:
                        return  # the server was killed: this deposit's fate is unknown
                    self.broken.append(f"{base_url} {type(e).__name__}")
                    continue
                with self._lock:
                    if answer.status_code == 201:
                        self.acknowledged[body["item_id"]] = urgent
                    else:
                        self.refused.append(f"{answer.status_code} {answer.text[:200]}")

    def threads(
        self, base_url: str, count: int, *, until_gone: bool = False
    ) -> list[threading.Thread]:
        per_client = count // CLIENTS_PER_SERVER
        return [
            threading.Thread(
                target=self.client,
                args=(base_url, f"{base_url} client {c}", per_client),
                kwargs={"until_gone": until_gone},
            )
            for c in range(CLIENTS_PER_SERVER)
        ]


def run_all(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)


def wait_for_mails(mailbox: Inbox, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(mailbox.mails) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(mailbox.mails)} mails of {count} after {timeout} s")
        time.sleep(0.1)


@dataclass(frozen=True, slots=True)
class Found:
    deposited: Counter[str]  # item id -> item.deposited entries
    items: set[str]
    indexes: list[int]
    checkpoint_sizes: list[int]
    sent: Counter[int]  # delivery id -> notification.sent entries
    deliveries: dict[int, str]  # delivery id -> state


def look(settings: Settings) -> Found:
    vault = open_test_vault(settings)
    try:
        with vault.db.reading() as conn:
            verify_database(conn, load_signer(settings).verifier)
            deposited: Counter[str] = Counter()
            sent: Counter[int] = Counter()
            indexes = []
            for idx, leaf in conn.execute("SELECT idx, leaf FROM audit_entries ORDER BY idx"):
                indexes.append(int(idx))
                entry = json.loads(bytes(leaf))
                if entry["action"] == "item.deposited":
                    deposited[entry["targets"]["item"]] += 1
                elif entry["action"] == "notification.sent":
                    sent[int(entry["detail"]["delivery"])] += 1
            items = {str(r[0]) for r in conn.execute("SELECT id FROM item")}
            sizes = [
                int(r[0]) for r in conn.execute("SELECT size FROM audit_checkpoints ORDER BY seq")
            ]
            deliveries = {
                int(r[0]): str(r[1]) for r in conn.execute("SELECT id, state FROM delivery")
            }
    finally:
        vault.close()
    return Found(deposited, items, indexes, sizes, sent, deliveries)


def audit_verify(settings: Settings) -> None:
    done = run(
        "--data-dir", str(settings.data_dir), "audit", "verify", env=backend_environment(settings)
    )
    assert done.returncode == 0, done.stdout + done.stderr


def mailed_deliveries(mailbox: Inbox) -> Counter[int]:
    """Delivery id of each mail received, from its link (``/n/<id>.<mac>``)."""
    ids: Counter[int] = Counter()
    for to, mail in mailbox.mails:
        assert to == [MEMBER]
        found = re.search(r"/n/(\d+)\.", mail_text(mail))
        assert found is not None
        ids[int(found.group(1))] += 1
    return ids


def signed_in_auditor(settings: Settings) -> tuple[dict[str, str], People]:
    """An enrolled auditor (with a second factor) signed in: (headers, the person)."""
    vault = open_test_vault(settings)
    try:
        auditor = enrol(vault.env, Role.AUDITOR, "auditor.workers")
        token, csrf = vault.env.db.write(
            lambda c: sessions.create(vault.env, c, auditor.account_id, "127.0.0.1", "test")
        )
    finally:
        vault.close()
    return {"cookie": f"{SESSION_COOKIE}={token}", "x-csrf-token": csrf}, auditor
