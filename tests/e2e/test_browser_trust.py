"""What the user checks is what the code uses, in real Chromium through uvicorn (issue 10).

- The item page shows kind, urgency, author and call time from the verified signature; the
  operator who edits the item's row in the SQLCipher database gets a tamper warning, not a
  quietly lowered urgency under "signature verified".
- A moved envelope (another item's, in this item's row) or a changed author is refused.
- Look-alike authors: the account name is shown beside the display name, and a never-seen
  author named like a known one is flagged.
- The practice-key grant seals to the very key whose fingerprint the browser computed and
  shows, and refuses to seal when that fingerprint differs from the one it pinned.
- The account and inbox pages compute the fingerprints they show from the keys the tab holds.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Route, expect

from cli.client import unlock
from crypto.encoding import b64url_decode, b64url_encode
from crypto.fingerprint import practice_fingerprint, user_fingerprint
from crypto.grants import GrantKind, PracticeKeyPair, open_grant
from crypto.kdf import derive_password_keys
from crypto.user_keys import UserKeyPair
from tests.browser.conftest import PageLog, chromium  # noqa: F401 - fixture
from tests.e2e.accounts_pages import assert_clean, open_tab
from tests.e2e.accounts_server import AccountsVault, accounts_vault_fixture  # noqa: F401
from tests.e2e.trust_site import Practice, just_started, new_practice, sign_in_member
from tests.people import Person, enrol
from vault.clock import iso
from vault.identity import authentication
from vault.identity.roles import Role
from web.local_dates import long_time


@pytest.fixture
def practice(accounts_vault: AccountsVault) -> Practice:
    return new_practice(accounts_vault)


@pytest.fixture
def member_tab(chromium: Browser, practice: Practice) -> Iterator[PageLog]:  # noqa: F811
    with open_tab(chromium) as tab:
        sign_in_member(tab, practice)
        yield tab


def _open_item(tab: PageLog, practice: Practice, item_id: str) -> None:
    tab.page.goto(f"{practice.vault.base_url}/items/{item_id}")
    tab.page.wait_for_selector(
        "#item[data-decrypted=true], #item [data-error]:not(:empty)", timeout=30_000
    )


def _warnings(tab: PageLog) -> list[str]:
    return tab.page.locator("[data-tamper-list] li").all_inner_texts()


def test_an_urgent_note_lowered_to_low_in_the_database_shows_urgent_and_a_warning(
    practice: Practice, member_tab: PageLog, tmp_path: Path
) -> None:
    sophie = practice.secretary("sophie", "Sophie Secrétaire")
    note = practice.deposit_note(sophie)
    page = member_tab.page
    _open_item(member_tab, practice, note)
    expect(page.locator("#item h1")).to_have_text("Call note · Urgent")
    expect(page.locator("[data-tamper-warning]")).to_be_hidden()
    assert page.get_attribute("#item", "data-tampered") is None

    practice.operator("UPDATE item SET urgency = 0, pinned = 0 WHERE id = ?", note)
    page.reload()
    page.wait_for_selector("#item[data-decrypted=true]")
    expect(page.locator("#item h1")).to_have_text("Call note · Urgent")
    expect(page.locator("#item h1 strong.urgent")).to_have_text("Urgent")
    expect(page.locator("[data-tamper-warning]")).to_be_visible()
    assert page.get_attribute("#item", "data-tampered") == "urgency"
    assert _warnings(member_tab) == [
        "Urgency: the author signed “Urgent”, the server's record says “Low”."
    ]
    # Still the verified signature of the real author, named with the account name.
    assert page.get_attribute("[data-signature-state]", "data-verified") == "true"
    expect(page.locator("[data-signature-state]")).to_have_text(
        "Signature verified: written by Sophie Secrétaire (sophie)."
    )
    assert_clean(member_tab)

    # At 360 px: nothing wider than the screen, the warning readable (screenshot kept).
    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    page.wait_for_selector("#item[data-decrypted=true]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "item-tamper-warning-360.png"), full_page=True)
    # Keyboard: the warning is announced (role=alert) and the page's controls are reachable.
    assert page.get_attribute("[data-tamper-warning]", "role") == "alert"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in {"A", "BUTTON"}


def test_kind_and_call_time_changed_in_the_database_show_the_signed_ones_in_french(
    practice: Practice, member_tab: PageLog
) -> None:
    sophie = practice.secretary("sophie", "Sophie Secrétaire")
    started = just_started()
    note = practice.deposit_note(sophie, started=started, seconds=245)
    later = started + timedelta(hours=2)
    practice.operator(
        "UPDATE item SET kind = 'message', call_started_at = ?, call_seconds = 30 WHERE id = ?",
        iso(later),
        note,
    )
    page = member_tab.page
    page.goto(f"{practice.vault.base_url}/language/fr?next=/items/{note}")
    page.wait_for_selector("#item[data-decrypted=true]")
    assert page.get_attribute("#item", "data-tampered") == "kind callStartedAt callSeconds"
    expect(page.locator("#item h1")).to_have_text("Note d'appel · Urgente")
    # The call note's fields are shown (the signed kind), not a message's.
    expect(page.locator("[data-fields-for=call_note]")).to_be_visible()
    expect(page.locator("[data-fields-for=message]")).to_be_hidden()
    expect(page.locator("[data-field=caller_name]")).to_have_text("Jeanne Dupont")

    def paris(at: datetime) -> str:  # the long form the server writes too (web/local_dates.py)
        return long_time(at, ZoneInfo(practice.vault.settings.timezone), "fr")

    nbsp = "\u00a0"
    assert _warnings(member_tab) == [
        f"Type{nbsp}: l'auteur a signé «{nbsp}Note d'appel{nbsp}», le registre du serveur"
        f" indique «{nbsp}Message écrit{nbsp}».",
        f"Début de l'appel{nbsp}: l'auteur a signé «{nbsp}{paris(started)}{nbsp}», le registre"
        f" du serveur indique «{nbsp}{paris(later)}{nbsp}».",
        f"Durée de l'appel{nbsp}: l'auteur a signé «{nbsp}4{nbsp}min 05{nbsp}s{nbsp}», le registre"
        f" du serveur indique «{nbsp}30{nbsp}s{nbsp}».",
    ]
    expect(page.locator("[data-field=call_started_at]")).to_have_text(paris(started))
    expect(page.locator("[data-field=call_seconds]")).to_have_text("4\u00a0min 05\u00a0s")
    assert_clean(member_tab)


def test_a_moved_envelope_or_a_changed_author_is_refused(
    practice: Practice, member_tab: PageLog
) -> None:
    sophie = practice.secretary("sophie", "Sophie Secrétaire")
    other = practice.secretary("paul", "Paul Durand")
    urgent = practice.deposit_note(sophie, caller="Urgent caller")
    message = practice.deposit_message(sophie)
    (envelope,) = practice.row("SELECT envelope FROM item WHERE id = ?", urgent)
    practice.operator("UPDATE item SET envelope = ? WHERE id = ?", envelope, message)
    page = member_tab.page
    _open_item(member_tab, practice, message)
    assert page.get_attribute("#item", "data-tampered") == "itemId"
    expect(page.locator("[data-error]")).to_have_text(
        "This item is not shown: its signature names another item, practice or author."
    )
    assert "Urgent caller" not in page.content()
    assert page.get_attribute("[data-signature-state]", "data-verified") is None

    practice.operator("UPDATE item SET author_id = ? WHERE id = ?", other.account_id, urgent)
    _open_item(member_tab, practice, urgent)
    expect(page.locator("[data-error]")).to_have_text(
        "This item could not be verified or decrypted: its signature or content does not match."
    )
    assert "Urgent caller" not in page.content()
    assert page.get_attribute("[data-signature-state]", "data-verified") is None
    assert_clean(member_tab)


def test_a_look_alike_author_is_named_with_the_account_and_flagged_when_never_seen(
    practice: Practice, member_tab: PageLog
) -> None:
    real = practice.secretary("sophie", "Sophie Secrétaire")
    planted = practice.secretary("s.secretaire", "Sophie Secretaire")  # made by an admin
    genuine_note = practice.deposit_note(real)
    planted_note = practice.deposit_note(planted)
    page = member_tab.page
    _open_item(member_tab, practice, genuine_note)
    expect(page.locator("[data-signature-state]")).to_have_text(
        "Signature verified: written by Sophie Secrétaire (sophie)."
    )
    expect(page.locator("[data-lookalike-warning]")).to_be_hidden()

    _open_item(member_tab, practice, planted_note)
    expect(page.locator("[data-signature-state]")).to_have_text(
        "Signature verified: written by Sophie Secretaire (s.secretaire)."
    )
    warning = page.locator("[data-lookalike-warning]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("this account (s.secretaire) was never seen in this browser")
    expect(warning).to_contain_text("already known here (sophie)")
    # The real author's items raise no warning, and the planted one's pin is kept from now on.
    _open_item(member_tab, practice, genuine_note)
    expect(page.locator("[data-lookalike-warning]")).to_be_hidden()

    # A colleague waiting for the practice key under the same name is flagged too.
    colleague = enrol(practice.vault.env, Role.MEMBER, "sophie.m", practice="Cabinet Martin")
    practice.rename(colleague, "SOPHIE SECRÉTAIRE")
    page.goto(practice.vault.base_url + "/practice/members")
    form = page.locator(f"form[data-grant][data-account-id='{colleague.account_id}']")
    expect(form.locator("[data-lookalike-warning]")).to_contain_text(
        "already known here (sophie, s.secretaire)"
    )
    assert_clean(member_tab)


def _practice_secret(practice: Practice, person: Person) -> bytes | None:
    env = practice.vault.env
    kdf = authentication.prelogin(env, person.username)
    bundle = env.db.read(lambda c: authentication.key_bundle(c, person.account_id))
    secret = unlock(bundle, derive_password_keys(person.password, kdf).kek).practice_secret
    return None if secret is None else secret.value


def test_the_grant_seals_to_the_key_it_fingerprints_and_refuses_a_changed_one(
    practice: Practice, member_tab: PageLog, tmp_path: Path
) -> None:
    nurse = enrol(practice.vault.env, Role.MEMBER, "nurse", practice="Cabinet Martin")
    (x25519, ed25519) = practice.row(
        "SELECT x25519_pk, ed25519_pk FROM account WHERE id = ?", nurse.account_id
    )
    genuine = user_fingerprint(bytes(x25519), bytes(ed25519))
    page = member_tab.page
    form = page.locator(f"form[data-grant][data-account-id='{nurse.account_id}']")
    page.goto(practice.vault.base_url + "/practice/members")
    expect(form.locator("code")).to_have_text(genuine)

    # The operator swaps the colleague's receiving key for one of theirs.
    attacker = UserKeyPair.generate().public_keys.x25519
    practice.operator("UPDATE account SET x25519_pk = ? WHERE id = ?", attacker, nurse.account_id)
    page.reload()
    swapped = user_fingerprint(attacker, bytes(ed25519))
    expect(form.locator("code")).to_have_text(swapped)
    expect(form.locator("[data-pin-warning]")).to_be_visible()
    expect(form.locator("[data-pin-text]")).to_contain_text(f"Seen before: {genuine}")
    form.locator("[name=code]").fill(practice.member.code())
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-error]")).to_have_text(
        "The practice key was not shared: this colleague's fingerprint changed since this"
        " browser last saw it. Check the new fingerprint with them by phone before confirming."
    )
    assert practice.vault.recorder.posts(f"/practice/grants/{nurse.account_id}") == []
    page.set_viewport_size({"width": 360, "height": 780})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "grant-refused-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})

    # The real key back: the pinned fingerprint matches, and the grant opens for the nurse.
    practice.operator("UPDATE account SET x25519_pk = ? WHERE id = ?", x25519, nurse.account_id)
    page.reload()
    expect(form.locator("code")).to_have_text(genuine)
    expect(form.locator("[data-pin-warning]")).to_be_hidden()
    form.locator("[name=code]").fill(practice.member.code())
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-status]")).to_have_text("Key shared.")
    assert _practice_secret(practice, nurse) == _practice_secret(practice, practice.member)
    assert_clean(member_tab)


def test_a_server_that_changes_only_the_key_attribute_shows_that_keys_fingerprint(
    practice: Practice, member_tab: PageLog
) -> None:
    """Nothing pinned yet, and the server rewrites only the key in the page: what the member
    reads aloud is the fingerprint of the key sealed to, so the colleague's check fails."""
    nurse = enrol(practice.vault.env, Role.MEMBER, "nurse", practice="Cabinet Martin")
    (x25519, ed25519) = practice.row(
        "SELECT x25519_pk, ed25519_pk FROM account WHERE id = ?", nurse.account_id
    )
    attacker = UserKeyPair.generate()
    page = member_tab.page

    def swap_key(route: Route) -> None:
        html = route.fetch().text()
        real = b64url_encode(bytes(x25519))
        assert real in html
        route.fulfill(body=html.replace(real, b64url_encode(attacker.public_keys.x25519)))

    page.route("**/practice/members", swap_key)
    page.goto(practice.vault.base_url + "/practice/members")
    form = page.locator(f"form[data-grant][data-account-id='{nurse.account_id}']")
    shown = user_fingerprint(attacker.public_keys.x25519, bytes(ed25519))
    expect(form.locator("code")).to_have_text(shown)
    assert user_fingerprint(bytes(x25519), bytes(ed25519)) not in page.content()

    # Had the member gone on, the grant is sealed to exactly that key.
    form.locator("[name=code]").fill(practice.member.code())
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-status]")).to_have_text("Key shared.")
    (posted,) = practice.vault.recorder.posts(f"/practice/grants/{nurse.account_id}")
    grant = b64url_decode(json.loads(posted.body)["grant"])
    opened = open_grant(
        grant, GrantKind.PRACTICE_SECRET_KEY, uuid.UUID(practice.id), attacker.x25519_secret
    )
    assert opened.value == _practice_secret(practice, practice.member)
    assert_clean(member_tab)


def test_the_account_page_reads_out_the_keys_the_tab_holds_not_the_published_ones(
    practice: Practice, member_tab: PageLog
) -> None:
    (x25519, ed25519) = practice.row(
        "SELECT x25519_pk, ed25519_pk FROM account WHERE id = ?", practice.member.account_id
    )
    mine = user_fingerprint(bytes(x25519), bytes(ed25519))
    page = member_tab.page
    page.goto(practice.vault.base_url + "/account")
    expect(page.locator("[data-own-fingerprint]")).to_have_text(mine)
    expect(page.locator("[data-own-key-warning]")).to_be_hidden()

    attacker = UserKeyPair.generate().public_keys.x25519
    practice.operator(
        "UPDATE account SET x25519_pk = ? WHERE id = ?", attacker, practice.member.account_id
    )
    page.reload()
    expect(page.locator("[data-own-fingerprint]")).to_have_text(mine)
    warning = page.locator("[data-own-key-warning]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(user_fingerprint(attacker, bytes(ed25519)))
    assert_clean(member_tab)


def test_the_inbox_shows_the_fingerprint_of_the_practice_key_the_tab_holds(
    practice: Practice, member_tab: PageLog
) -> None:
    (public_key,) = practice.row("SELECT public_key FROM practice WHERE id = ?", practice.id)
    page = member_tab.page
    shown = page.locator("main code").first
    expect(shown).to_have_text(practice_fingerprint(bytes(public_key)))

    other = PracticeKeyPair.generate().public_key
    practice.operator("UPDATE practice SET public_key = ? WHERE id = ?", other, practice.id)
    page.reload()
    expect(shown).to_have_text(practice_fingerprint(bytes(public_key)))
    state = page.locator("[data-keys-state]")
    expect(state).to_have_attribute("data-published-key-differs", "true")
    expect(state).to_contain_text(practice_fingerprint(other))
    assert b64url_encode(other) in page.content()
    assert_clean(member_tab)
