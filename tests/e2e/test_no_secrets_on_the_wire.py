"""The server never receives the password, the master key or the kek (docs/design.md §2, format §2).

Real Chromium drives the real pages against the real app under uvicorn, wrapped in
``Recorder``: every request is kept exactly as the server receives it (method, path,
query string, headers, body). The test then derives, in Python, the master key and
the kek from the password and the KDF parameters the server holds for the account,
and searches every recorded request for the password (as typed and NFKC-normalised,
UTF-8, JSON-escaped, URL-encoded) and for the keys (raw, hex, base64 and base64url at
every alignment).
"""

from __future__ import annotations

import base64
import json
import unicodedata
import urllib.parse
from collections.abc import Iterable

from playwright.sync_api import Browser

from crypto.kdf import KdfParams, derive_kek, derive_master
from crypto.secret import Secret
from tests.e2e.accounts_pages import (
    SLOW_MS,
    enrol,
    expect_keys_unlocked,
    open_tab,
    sign_in,
)
from tests.e2e.accounts_server import AccountsVault, Received, accounts_vault_fixture  # noqa: F401 - fixture
from vault.identity.roles import Role

# Not NFKC-stable (ligature "ﬁ", full-width digits, "Å" as A + ring): both forms are searched.
PASSWORD = "\ufb01chier \uff23abinet \uff14\uff12 A\u030a"
NEW_PASSWORD = "nouveau \ufb01l \uff30\uff21\uff33\uff33 \uff12\uff10\uff12\uff16"


def _text_forms(password: str) -> set[bytes]:
    forms: set[bytes] = set()
    for variant in {password, unicodedata.normalize("NFKC", password)}:
        for text in (
            variant,
            json.dumps(variant)[1:-1],
            json.dumps(variant, ensure_ascii=False)[1:-1],
            urllib.parse.quote_plus(variant),
            urllib.parse.quote(variant),
        ):
            forms.add(text.encode("utf-8"))
        raw = variant.encode("utf-8")
        forms |= _binary_forms(raw)
    return forms


def _binary_forms(raw: bytes) -> set[bytes]:
    """``raw`` as bytes, hex, and base64/base64url cores at each of the 3 alignments."""
    forms = {raw, raw.hex().encode(), raw.hex().upper().encode()}
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(bytes(shift) + raw)
            # Drop the characters that mix in the padding bytes or the next bytes.
            start = (shift * 8 + 5) // 6
            end = ((shift + len(raw)) * 8) // 6
            forms.add(encoded[start:end])
    return forms


def _leaks(requests: Iterable[Received], needles: set[bytes]) -> list[str]:
    found = []
    for r in requests:
        haystacks = [r.body, r.query, r.path.encode(), *(v for _, v in r.headers)]
        unquoted = urllib.parse.unquote_to_bytes(r.query) + urllib.parse.unquote_to_bytes(r.body)
        for hay in [*haystacks, unquoted]:
            for needle in needles:
                if needle in hay:
                    found.append(f"{r.method} {r.path}: {needle[:12]!r}…")
    return found


def _keys_of(vault: AccountsVault, username: str, password: str) -> set[bytes]:
    """The master key and kek of the account's current password, as the server's KDF row says."""
    salt, ops, mem = vault.account_row(username, "kdf_salt, kdf_ops, kdf_mem")
    assert isinstance(salt, bytes) and isinstance(ops, int) and isinstance(mem, int)
    master = derive_master(password, KdfParams(salt=salt, ops=ops, mem=mem))
    kek: Secret = derive_kek(master)
    return _binary_forms(master.value) | _binary_forms(kek.value)


def test_the_search_finds_every_encoding() -> None:
    """The search is not blind: each encoding of a secret, embedded in a JSON body, is found."""
    secret = bytes(range(1, 33))
    for shift in range(3):
        padded = bytes(shift) + secret + b"\xff"
        for encoded in (
            base64.b64encode(padded),
            base64.urlsafe_b64encode(padded).rstrip(b"="),
            secret.hex().encode(),
        ):
            body = b'{"auth_key":"' + encoded + b'"}'
            request = Received("POST", "/login", b"", (), body, None)
            assert _leaks([request], _binary_forms(secret))
    form = urllib.parse.urlencode({"password": PASSWORD}).encode()
    assert _leaks([Received("POST", "/login", b"", (), form, None)], _text_forms(PASSWORD))
    nfkc = json.dumps({"pw": unicodedata.normalize("NFKC", PASSWORD)}).encode()
    assert _leaks([Received("POST", "/x", b"", (), nfkc, None)], _text_forms(PASSWORD))


def test_sign_in_and_password_change_send_no_password_and_no_kek(
    accounts_vault: AccountsVault, chromium: Browser
) -> None:
    """Signing in twice and changing the password in Chromium: nothing secret reaches the server.

    The member (enrolled over HTTP, see ENROLMENT_BUG) signs in, changes the password on
    /account, and signs in with the new one; every request the server received is then
    searched for both passwords and for the master keys and keks of both.
    """
    vault = accounts_vault
    link = vault.invite(Role.MEMBER, "dr.martin", "Dr Martin", practice="Cabinet Test")
    member = vault.enrol_over_http(link, "dr.martin", PASSWORD)
    old_keys = _keys_of(vault, "dr.martin", PASSWORD)
    vault.recorder.requests.clear()  # only what the browser sends from here on
    with open_tab(chromium) as tab:
        page = tab.page
        sign_in(tab, vault.base_url, "dr.martin", PASSWORD, vault.fresh_code(member.totp_secret))
        expect_keys_unlocked(tab, True)
        page.goto(vault.base_url + "/account")
        page.fill("#password-form #current", PASSWORD)
        page.fill("#password-form #password", NEW_PASSWORD)
        page.fill("#password-form #password2", NEW_PASSWORD)
        page.fill("#password-form [name=code]", vault.fresh_code(member.totp_secret))
        page.click("#password-form button[type=submit]")
        page.wait_for_url("**/login", timeout=SLOW_MS)
        new_code = vault.fresh_code(member.totp_secret)
        sign_in(tab, vault.base_url, "dr.martin", NEW_PASSWORD, new_code)
    new_keys = _keys_of(vault, "dr.martin", NEW_PASSWORD)
    received = vault.recorder.requests
    assert len(vault.recorder.posts("/login")) == 2
    assert len(vault.recorder.posts("/account/password")) == 1
    needles = _text_forms(PASSWORD) | _text_forms(NEW_PASSWORD) | old_keys | new_keys
    assert _leaks(received, needles) == []


def test_enrolment_sends_no_password_and_no_kek(
    accounts_vault: AccountsVault, chromium: Browser
) -> None:
    """Enrolment in Chromium sends public and wrapped values only: no password, master or kek."""
    vault = accounts_vault
    link = vault.invite(Role.MEMBER, "dr.martin", "Dr Martin", practice="Cabinet Test")
    with open_tab(chromium) as tab:
        enrol(tab, vault, link, PASSWORD)
    assert len(vault.recorder.posts(urllib.parse.urlsplit(link).path)) == 1
    needles = _text_forms(PASSWORD) | _keys_of(vault, "dr.martin", PASSWORD)
    assert _leaks(vault.recorder.requests, needles) == []


NATIVE_SUBMIT = (
    "BUG: web/templates/_partials/login_form.html gives the sign-in form method=post"
    " action=/login and an enabled submit button, so when pages/login.js is not running"
    " (module failed to load, or not loaded yet on a slow link) pressing Enter submits"
    " the form natively and the password is POSTed in clear (form-urlencoded) to the server."
    " Same for enrolment.html and account.html (no method: GET with ?password=... in the URL)."
    " Fix: no native submission path: drop method/action, render the submit button"
    " disabled and let the module enable it once its listener is attached (a disabled"
    " default button blocks implicit submission)."
)


def test_password_not_sent_when_the_sign_in_module_does_not_run(
    accounts_vault: AccountsVault, chromium: Browser
) -> None:
    """With pages/login.js blocked, pressing Enter in the sign-in form sends nothing secret."""
    vault = accounts_vault
    link = vault.invite(Role.MEMBER, "dr.martin", "Dr Martin", practice="Cabinet Test")
    vault.enrol_over_http(link, "dr.martin", PASSWORD)
    vault.recorder.requests.clear()
    with open_tab(chromium) as tab:
        page = tab.page
        page.route("**/js/pages/login.js", lambda route: route.abort())
        page.goto(vault.base_url + "/login")
        page.fill("#login-form [name=username]", "dr.martin")
        page.fill("#login-form #password", PASSWORD)
        page.fill("#login-form [name=code]", "000000")
        page.press("#login-form [name=code]", "Enter")
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)
    assert _leaks(vault.recorder.requests, _text_forms(PASSWORD)) == []
