"""Arranging the browser-trust tests: a practice, its secretaries' deposits, the operator's edits.

People are enrolled with ``tests.people.enrol`` on the live vault's own ``Env``
(its clock is the test's ``ManualClock``). A secretary deposits over real HTTP
as ``permanence deposit`` does (``cli.client``: sign in, seal, sign, post). The
operator's attack is an ``UPDATE`` straight into the SQLCipher database, which
the server then serves as its record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cli.client import HttpTransport
from cli.client import sign_in as client_sign_in
from crypto.encoding import b64url_decode, b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, seal_item
from tests.e2e.accounts_pages import sign_in
from tests.e2e.accounts_server import AccountsVault
from tests.e2e.conftest import ARRANGE
from tests.people import Person, enrol
from vault.identity import practices
from vault.identity.roles import Role

PRACTICE = "Cabinet Martin"


def just_started() -> datetime:
    """A call start the server finds plausible: after the vault was made (moments ago) and
    ending, with the few minutes these notes last, before its clock plus five minutes."""
    return (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0)


@dataclass
class Practice:
    vault: AccountsVault
    id: str
    member: Person

    def secretary(self, username: str, display_name: str) -> Person:
        """A secretary assigned to the practice, with the display name given."""
        person = enrol(self.vault.env, Role.SECRETARY, username)
        self.rename(person, display_name)
        practices.set_assignment(self.vault.env, ARRANGE, None, person.account_id, self.id, True)
        return person

    def rename(self, person: Person, display_name: str) -> None:
        self.operator(
            "UPDATE account SET display_name = ? WHERE id = ?", display_name, person.account_id
        )

    def operator(self, sql: str, *args: object) -> None:
        """The operator's edit, straight into the database."""
        self.vault.env.db.write(lambda c: c.execute(sql, args))

    def row(self, sql: str, *args: object) -> tuple[Any, ...]:
        found = self.vault.env.db.read(lambda c: c.execute(sql, args).fetchone())
        assert found is not None
        return tuple(found)

    def deposit_note(
        self,
        secretary: Person,
        *,
        urgency: Urgency = Urgency.URGENT,
        started: datetime | None = None,
        seconds: int = 245,
        caller: str = "Jeanne Dupont",
    ) -> str:
        """A call note sealed and signed by ``secretary`` over HTTP; returns its id."""
        when = started or just_started()
        at = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {
            "caller_name": caller,
            "caller_is": "self",
            "callback_number": "06 12 34 56 78",
            "reason": "Renouvellement d'ordonnance",
            "best_time": "avant midi",
            "notes": "",
        }
        extra = {"call_started_at": at, "call_seconds": seconds}
        call = (int(when.timestamp()), seconds)
        return self._deposit(secretary, ItemKind.CALL_NOTE, urgency, body, extra, call)

    def deposit_message(self, secretary: Person, subject: str = "Commande") -> str:
        body = {"subject": subject, "text": "Livraison jeudi."}
        return self._deposit(secretary, ItemKind.MESSAGE, Urgency.NORMAL, body, {})

    def _deposit(
        self,
        secretary: Person,
        kind: ItemKind,
        urgency: Urgency,
        body: dict[str, Any],
        extra: dict[str, Any],
        call: tuple[int, int] = (0, 0),
    ) -> str:
        transport = HttpTransport(self.vault.base_url)
        unlocked = client_sign_in(
            transport, secretary.username, secretary.password, secretary.code()
        )
        (practice,) = [
            p for p in transport.get_json("/workspace")["practices"] if p["id"] == self.id
        ]
        item_id = str(uuid.uuid4())
        header = ItemHeader(
            kind=kind,
            urgency=urgency,
            item_id=uuid.UUID(item_id),
            client_id=uuid.UUID(self.id),
            author_id=uuid.UUID(unlocked.account_id),
            call_started_at=call[0],
            call_seconds=call[1],
        )
        envelope = seal_item(
            header,
            encode_body(body),
            b64url_decode(practice["public_key"]),
            unlocked.keys.signing_key,
        )
        transport.post_json(
            "/items",
            {
                "item_id": item_id,
                "practice_id": self.id,
                "envelope": b64url_encode(envelope),
                **extra,
            },
        )
        return item_id


def new_practice(vault: AccountsVault) -> Practice:
    member = enrol(vault.env, Role.MEMBER, "dr.martin", practice=PRACTICE)
    assert member.practice_id is not None
    return Practice(vault, member.practice_id, member)


def sign_in_member(tab: Any, practice: Practice, person: Person | None = None) -> None:
    person = person or practice.member
    sign_in(tab, practice.vault.base_url, person.username, person.password, person.code())
