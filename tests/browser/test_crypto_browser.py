"""The browser crypto module in real headless Chromium, under the production CSP.

Round trips in both directions between web/static/js/crypto/ (libsodium.js,
WebAssembly) and Python's crypto/: browser-made envelopes and multi-chunk files
open in Python, Python-made ones open in the browser, weakened KDF parameters are
refused by the browser, and the page reports no CSP violation.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest

from crypto import (
    DecryptionFailed,
    FileManifest,
    GrantKind,
    ItemHeader,
    ItemKind,
    KdfParams,
    PracticeKeyPair,
    Secret,
    Urgency,
    UserKeyPair,
    WrapPurpose,
    b64url_decode,
    b64url_encode,
    decrypt_stream,
    derive_password_keys,
    encode_body,
    encrypt_stream,
    new_file_key,
    open_item,
    seal_grant,
    seal_item,
    wrap_user_keys,
)
from tests.browser.conftest import PageLog

pytestmark = pytest.mark.browser

CLIENT_ID = uuid.UUID("6f1c2a9e-3b7d-4e21-9a55-0c8d2f4b7e10")
AUTHOR_ID = uuid.UUID("0b5e8d1f-7c24-4a93-8e6b-2f9a1c3d5e70")


def _filler(size: int) -> bytes:
    """The same bytes as ``filler`` in tests/browser/pages/crypto_page.js."""
    return bytes((i * 31 + (i >> 8)) & 255 for i in range(size))


def _open_page(log: PageLog, base_url: str) -> None:
    log.page.goto(f"{base_url}/pages/crypto.html")
    log.page.wait_for_selector("html[data-ready=true]", timeout=20_000)


def _call(log: PageLog, name: str, args: dict[str, Any]) -> Any:
    return log.page.evaluate(f"(args) => window.permanenceTest.{name}(args)", args)


def _assert_clean(log: PageLog) -> None:
    assert log.csp_violations() == []
    assert log.console_errors == []


def test_browser_made_envelope_and_file_open_in_python(
    browser_page: PageLog, crypto_site: str
) -> None:
    """An extract sealed in Chromium (3-chunk File + manifest envelope) opens with crypto/."""
    _open_page(browser_page, crypto_site)
    practice = PracticeKeyPair.generate()
    author = UserKeyPair.generate()
    file_key = new_file_key()
    size = 2 * 65536 + 1234
    encrypted = _call(
        browser_page,
        "encryptFile",
        {
            "size": size,
            "fileKey": b64url_encode(file_key.value),
            "name": "extrait-patients.csv",
            "mediaType": "text/csv",
        },
    )
    item_id = uuid.uuid4()
    envelope = _call(
        browser_page,
        "sealItem",
        {
            "kind": int(ItemKind.EXTRACT),
            "urgency": int(Urgency.URGENT),
            "itemId": str(item_id),
            "clientId": str(CLIENT_ID),
            "authorId": str(AUTHOR_ID),
            "body": encrypted["manifest"],
            "practicePublicKey": b64url_encode(practice.public_key),
            "authorSeed": b64url_encode(author.ed25519_seed.value),
        },
    )
    opened = open_item(
        b64url_decode(envelope),
        author_verify_key=author.public_keys.verify_key,
        practice_secret_key=practice.secret_key,
        item_id=item_id,
        client_id=CLIENT_ID,
        author_id=AUTHOR_ID,
    )
    assert opened.header.urgency is Urgency.URGENT
    manifest = FileManifest.from_body(opened.body)
    assert (manifest.name, manifest.size) == ("extrait-patients.csv", size)
    stream = b64url_decode(encrypted["stream"])
    assert len(stream) == 1 + 24 + size + 3 * 17
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(stream), out, manifest.file_key, manifest.stream_hash)
    assert out.getvalue() == _filler(size)
    # Moved to another item, the browser-made envelope no longer opens in Python.
    with pytest.raises(DecryptionFailed):
        open_item(
            b64url_decode(envelope),
            author_verify_key=author.public_keys.verify_key,
            practice_secret_key=practice.secret_key,
            item_id=uuid.uuid4(),
            client_id=CLIENT_ID,
            author_id=AUTHOR_ID,
        )
    _assert_clean(browser_page)


def test_python_made_envelope_file_keys_and_grant_open_in_browser(
    browser_page: PageLog, crypto_site: str
) -> None:
    """Python-sealed item, stream, wrapped keys and grant open in Chromium; tampering fails."""
    _open_page(browser_page, crypto_site)
    practice = PracticeKeyPair.generate()
    author = UserKeyPair.generate()
    member = UserKeyPair.generate()
    member_id = uuid.uuid4()
    plaintext = _filler(150_000)
    file_key = new_file_key()
    stream_out = io.BytesIO()
    info = encrypt_stream(io.BytesIO(plaintext), stream_out, file_key)
    manifest = FileManifest("relevé.pdf", "application/pdf", info.size, file_key, info.stream_hash)
    body = {"subject": "Rappel — urgent", "text": "Merci de rappeler Mme Dupont « ce soir »."}
    envelopes = {}
    for kind, item_body in ((ItemKind.MESSAGE, encode_body(body)), (ItemKind.EXTRACT, None)):
        header = ItemHeader(kind, Urgency.NORMAL, uuid.uuid4(), CLIENT_ID, AUTHOR_ID)
        sealed = seal_item(
            header, item_body or manifest.to_body(), practice.public_key, author.signing_key
        )
        envelopes[kind] = (header, b64url_encode(sealed))
    common = {
        "authorPublicKey": b64url_encode(author.public_keys.ed25519),
        "practiceSecretKey": b64url_encode(practice.secret_key.value),
        "clientId": str(CLIENT_ID),
        "authorId": str(AUTHOR_ID),
    }
    header, envelope = envelopes[ItemKind.MESSAGE]
    args = {**common, "envelope": envelope, "itemId": str(header.item_id)}
    opened = _call(browser_page, "openItem", args)
    assert opened["json"] == body
    assert opened["header"]["urgency"] == int(Urgency.NORMAL)
    tampered = bytearray(b64url_decode(envelope))
    tampered[-1] ^= 1
    tampered_args = {**args, "envelope": b64url_encode(bytes(tampered))}
    assert _call(browser_page, "openItemError", tampered_args) == "DecryptionFailed"
    assert _call(browser_page, "openItemError", {**args, "itemId": str(uuid.uuid4())}) == (
        "DecryptionFailed"
    )

    header, envelope = envelopes[ItemKind.EXTRACT]
    args = {**common, "envelope": envelope, "itemId": str(header.item_id)}
    browser_manifest = _call(browser_page, "openItem", args)["json"]
    stream = stream_out.getvalue()
    decrypted = _call(
        browser_page, "decryptFile", {"stream": b64url_encode(stream), "manifest": browser_manifest}
    )
    assert b64url_decode(decrypted) == plaintext
    truncated = {"stream": b64url_encode(stream[:-1]), "manifest": browser_manifest}
    assert _call(browser_page, "decryptFileError", truncated) == "DecryptionFailed"

    kek = Secret(bytes(range(32)))
    grant = seal_grant(
        GrantKind.PRACTICE_SECRET_KEY, CLIENT_ID, practice.secret_key, member.public_keys.x25519
    )
    unwrapped = _call(
        browser_page,
        "unwrapAndOpenGrant",
        {
            "wrapped": b64url_encode(wrap_user_keys(member, kek, WrapPurpose.PASSWORD, member_id)),
            "kek": b64url_encode(kek.value),
            "userId": str(member_id),
            "grant": b64url_encode(grant),
            "clientId": str(CLIENT_ID),
        },
    )
    assert unwrapped == {
        "practiceSecretKey": b64url_encode(practice.secret_key.value),
        "fingerprint": member.public_keys.fingerprint,
    }
    _assert_clean(browser_page)


@pytest.mark.slow
def test_browser_derives_python_keys_and_refuses_weakened_kdf_parameters(
    browser_page: PageLog, crypto_site: str
) -> None:
    """Argon2id in WebAssembly gives Python's auth_key and kek; below-floor params are refused."""
    _open_page(browser_page, crypto_site)
    password = "Tr\u00e8s \ufb01able A\u030a"  # NFKC turns these into "fi" and U+00C5
    params = KdfParams.generate()
    keys = derive_password_keys(password, params)
    derived = _call(browser_page, "derive", {"password": password, "params": params.to_json()})
    assert derived == {
        "authKey": b64url_encode(keys.auth_key.value),
        "kek": b64url_encode(keys.kek.value),
    }
    weakened = [
        {**params.to_json(), "ops": 2},
        {**params.to_json(), "mem": 64 * 1024 * 1024 - 1024},
        {**params.to_json(), "alg": "argon2i13"},
    ]
    for weak in weakened:
        error = _call(browser_page, "deriveError", {"password": password, "params": weak})
        assert error == "WeakKdfParameters", weak
    _assert_clean(browser_page)


def test_csp_violations_are_detected(browser_page: PageLog, crypto_site: str) -> None:
    """Control: the production CSP is in force and an inline script is reported as a violation.

    Without this, "no CSP violation" in the tests above could be true only
    because nothing was listening.
    """
    _open_page(browser_page, crypto_site)
    browser_page.page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.body.append(script);
        }"""
    )
    browser_page.page.wait_for_function("window.__cspViolations.length > 0")
    assert browser_page.page.evaluate("window.inlineRan === undefined")
    assert any(v.startswith("script-src") for v in browser_page.csp_violations())
