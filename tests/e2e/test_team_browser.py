"""The team key in real Chromium through uvicorn: web/static/js/app/team.js as the desk uses it.

A member's tab writes an instruction (making version 1, sealed to the member and the
assigned secretary); the secretary's tab reads it with the signed author. Her assignment
ends: the member's next write makes version 2 without her, re-encrypting the document;
the key her browser held opens nothing written after, and her tab gets 404.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser

from crypto.errors import DecryptionFailed
from crypto.instruction import open_instruction
from crypto.secret import Secret
from crypto.signing import VerifyKey
from tests.browser.conftest import PageLog, chromium  # noqa: F401 - fixture
from tests.e2e.accounts_pages import SLOW_MS, assert_clean, open_tab, submit_login
from tests.e2e.accounts_server import AccountsVault, accounts_vault_fixture  # noqa: F401
from tests.e2e.conftest import ARRANGE
from tests.e2e.trust_site import Practice, new_practice, sign_in_member
from tests.people import Person
from vault.identity import practices

WRITE = """async ([pid, documentId, body]) => {
  const team = await import("/static/js/app/team.js");
  const w = await team.writeDocument(pid, { type: 5, documentId: documentId ?? undefined, body });
  const key = await team.teamKeyFor(pid);
  return { ...w, current: key.current };
}"""
READ = """async ([pid]) => {
  const team = await import("/static/js/app/team.js");
  try {
    const docs = await team.readDocuments(pid, { type: 5 });
    const key = await team.teamKeyFor(pid);
    return { docs, key: Array.from(key.keyOf(key.current)), current: key.current };
  } catch (error) {
    return { error: error.name, status: error.status ?? null };
  }
}"""


def _secretary_tab(tab: PageLog, practice: Practice, person: Person) -> None:
    submit_login(tab, practice.vault.base_url, person.username, person.password, person.code())
    tab.page.wait_for_url("**/workspace", timeout=SLOW_MS)


def test_a_removed_secretary_reads_nothing_written_after(
    accounts_vault: AccountsVault,
    chromium: Browser,  # noqa: F811
) -> None:
    practice = new_practice(accounts_vault)
    sophie = practice.secretary("sophie", "Sophie Leroy")
    with open_tab(chromium) as member_tab, open_tab(chromium) as her_tab:
        sign_in_member(member_tab, practice)
        first: dict[str, Any] = member_tab.page.evaluate(
            WRITE, [practice.id, None, {"oncall": "Dr Martin 06 11 22 33 44"}]
        )
        assert (first["revision"], first["current"]) == (1, 1)
        _secretary_tab(her_tab, practice, sophie)
        seen = her_tab.page.evaluate(READ, [practice.id])
        assert seen["current"] == 1
        doc = seen["docs"][0]
        assert doc["body"] == {"oncall": "Dr Martin 06 11 22 33 44"}
        assert doc["author"]["id"] == practice.member.account_id and not doc["rolledBack"]
        her_key = Secret(bytes(seen["key"]))

        practices.set_assignment(
            accounts_vault.env, ARRANGE, None, sophie.account_id, practice.id, False
        )
        second = member_tab.page.evaluate(
            WRITE, [practice.id, first["documentId"], {"oncall": "Dr Durand 06 55 66 77 88"}]
        )
        # Version 2 re-encrypted revision 1 as revision 2; this write is revision 3.
        assert (second["revision"], second["current"]) == (3, 2)
        holders = practice.vault.env.db.read(
            lambda c: [
                r[0] for r in c.execute("SELECT account_id FROM team_key_grant WHERE version = 2")
            ]
        )
        assert holders == [practice.member.account_id]
        envelope = bytes(
            practice.row(
                "SELECT envelope FROM team_revision WHERE document_id = ? AND revision = 3",
                first["documentId"],
            )[0]
        )
        row = practice.row(
            "SELECT ed25519_pk FROM account WHERE id = ?", practice.member.account_id
        )
        member_key = VerifyKey(bytes(row[0]))
        with pytest.raises(DecryptionFailed):
            open_instruction(
                envelope,
                her_key,
                member_key,
                client_id=uuid.UUID(practice.id),
                document_id=uuid.UUID(first["documentId"]),
                author_id=uuid.UUID(practice.member.account_id),
                version=2,
            )
        refused = her_tab.page.evaluate(READ, [practice.id])
        assert refused == {"error": "ApiError", "status": 404}
        assert_clean(member_tab)
        assert_clean(her_tab, refusals_expected=True)
