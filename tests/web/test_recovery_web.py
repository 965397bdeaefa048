"""Password recovery over HTTP: the signed message is bound to a single-use challenge.

``/recover/start`` issues a challenge (stored hashed, short-lived) that the browser
signs into the recovery message; ``/recover/finish`` consumes it whatever the
outcome. A captured finish request therefore cannot be replayed later, even with a
fresh authenticator code, and unknown names get a challenge like anyone else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from crypto.encoding import b64url_decode, b64url_encode
from crypto.kdf import KdfParams, derive_password_keys
from crypto.recovery import RecoveryCode, recovery_proof_message
from crypto.user_keys import WrapPurpose, unwrap_user_keys, wrap_user_keys
from tests.people import Person, enrol
from tests.vault.conftest import Clock
from vault.env import Env, RequestInfo
from vault.errors import LoginFailed
from vault.identity import authentication, throttle
from vault.identity.credentials import RECOVERY_CHALLENGE_SECONDS
from vault.identity.roles import Role
from vault.opening import Vault
from web.app import create_app

NEW_PASSWORD = "recovered password 1"


@dataclass
class Site:
    env: Env
    clock: Clock
    client: TestClient
    doctor: Person


@pytest.fixture
def site(vault: Vault) -> Iterator[Site]:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    vault = vault.with_env(now=clock)
    env = vault.env
    doctor = enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    with TestClient(create_app(vault)) as client:
        client.headers["accept"] = "application/json"
        yield Site(env, clock, client, doctor)


def _finish_body(site: Site, start: dict[str, Any], password: str) -> dict[str, Any]:
    """What recover.js sends: keys opened with the recovery code, re-wrapped, signed."""
    user_id = uuid.UUID(start["account_id"])
    recovery = RecoveryCode.parse(site.doctor.enrolment.recovery_code)
    keys = unwrap_user_keys(
        b64url_decode(start["wrapped_recovery"]), recovery.key, WrapPurpose.RECOVERY, user_id
    )
    kdf = KdfParams.generate()
    new = derive_password_keys(password, kdf)
    wrapped = wrap_user_keys(keys, new.kek, WrapPurpose.PASSWORD, user_id)
    challenge = b64url_decode(start["challenge"])
    message = recovery_proof_message(user_id, challenge, kdf.salt, new.auth_key.value, wrapped)
    return {
        "username": "doctor",
        "code": site.doctor.code(),
        "kdf": kdf.to_json(),
        "auth_key": b64url_encode(new.auth_key.value),
        "wrapped_kek": b64url_encode(wrapped),
        "challenge": start["challenge"],
        "signature": b64url_encode(keys.signing_key.sign(message)),
    }


def _start(site: Site, username: str = "doctor") -> dict[str, Any]:
    answer = site.client.post("/recover/start", json={"username": username})
    assert answer.status_code == 200
    data: dict[str, Any] = answer.json()
    return data


def _auth_hash(site: Site) -> str:
    return str(
        site.env.db.read(
            lambda c: c.execute(
                "SELECT auth_hash FROM account WHERE username = 'doctor'"
            ).fetchone()[0]
        )
    )


def _signs_in(site: Site, password: str) -> bool:
    key = derive_password_keys(password, authentication.prelogin(site.env, "doctor")).auth_key
    try:
        authentication.login(site.env, _REQ, "doctor", key, site.doctor.code())
    except LoginFailed:
        return False
    return True


_REQ = RequestInfo(request_id="test")


def test_a_captured_recovery_request_cannot_be_replayed_with_a_fresh_code(site: Site) -> None:
    """Given a recovery that succeeded, and the password changed again afterwards, the
    captured request sent again with a fresh TOTP code is refused and changes nothing."""
    captured = _finish_body(site, _start(site), NEW_PASSWORD)
    assert site.client.post("/recover/finish", json=captured).status_code == 200
    assert _signs_in(site, NEW_PASSWORD)

    # The owner recovers again to a password the eavesdropper does not know.
    later = _finish_body(site, _start(site), "a password nobody saw")
    assert site.client.post("/recover/finish", json=later).status_code == 200
    before = _auth_hash(site)

    replay = {**captured, "code": site.doctor.code()}
    answer = site.client.post("/recover/finish", json=replay)
    assert answer.status_code == 401
    assert "récupération a échoué" in answer.json()["error"]
    assert _auth_hash(site) == before
    assert not _signs_in(site, NEW_PASSWORD)
    assert _signs_in(site, "a password nobody saw")


def test_a_challenge_is_used_up_even_by_a_failed_attempt(site: Site) -> None:
    """A finish with a wrong code consumes the challenge: the right code cannot reuse it."""
    body = _finish_body(site, _start(site), NEW_PASSWORD)
    wrong = {**body, "code": "000000" if body["code"] != "000000" else "111111"}
    assert site.client.post("/recover/finish", json=wrong).status_code == 401
    retry = {**body, "code": site.doctor.code()}
    assert site.client.post("/recover/finish", json=retry).status_code == 401
    assert not _signs_in(site, NEW_PASSWORD)


def test_an_expired_challenge_is_refused(site: Site) -> None:
    """A challenge older than its lifetime no longer proves anything."""
    start = _start(site)
    site.clock.advance(seconds=RECOVERY_CHALLENGE_SECONDS + 1)
    body = _finish_body(site, start, NEW_PASSWORD)
    assert site.client.post("/recover/finish", json=body).status_code == 401
    assert not _signs_in(site, NEW_PASSWORD)


def test_a_challenge_issued_for_another_name_is_refused(site: Site) -> None:
    """The challenge of a start for another (unknown) name does not sign for this account."""
    own = _start(site)
    other = _start(site, "ghost")
    body = _finish_body(site, {**own, "challenge": other["challenge"]}, NEW_PASSWORD)
    assert site.client.post("/recover/finish", json=body).status_code == 401


def test_unknown_names_get_a_challenge_of_the_same_shape(site: Site) -> None:
    """Known or not, the start answer has the same fields and sizes; challenges never repeat."""
    real, fake = _start(site), _start(site, "ghost")
    assert real.keys() == fake.keys()
    assert real.keys() == {"account_id", "wrapped_recovery", "challenge", "min_password_length"}
    assert len(b64url_decode(real["challenge"])) == len(b64url_decode(fake["challenge"])) == 32
    assert _start(site, "ghost")["challenge"] != fake["challenge"]
    stored = site.env.db.read(
        lambda c: c.execute("SELECT count(*) FROM recovery_challenge").fetchone()[0]
    )
    assert stored == 3


def test_a_malformed_challenge_is_a_clear_400(site: Site) -> None:
    body = _finish_body(site, _start(site), NEW_PASSWORD)
    answer = site.client.post("/recover/finish", json={**body, "challenge": "***"})
    assert answer.status_code == 400
    assert answer.json()["error"]


# Anonymous ``POST /recover/start`` is throttled per source address, and a throttled call
def _rows(env: Env) -> tuple[int, int]:
    return env.db.read(
        lambda c: (
            c.execute("SELECT count(*) FROM recovery_challenge").fetchone()[0],
            c.execute("SELECT count(*) FROM login_failure").fetchone()[0],
        )
    )


def test_recovery_starts_are_throttled_per_address_without_a_write(site: Site) -> None:
    free = 5  # throttle.RECOVERY_LIMIT.delay_from, checked at the end
    for i in range(free):
        name = "doctor" if i % 2 else f"ghost{i}"
        assert site.client.post("/recover/start", json={"username": name}).status_code == 200
    before = _rows(site.env)
    known = site.client.post("/recover/start", json={"username": "doctor"})
    unknown = site.client.post("/recover/start", json={"username": "nobody-at-all"})
    # The same refusal for a name that exists and one that does not.
    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()
    assert known.headers["retry-after"] == unknown.headers["retry-after"]
    for _ in range(20):
        assert site.client.post("/recover/start", json={"username": "doctor"}).status_code == 429
    assert _rows(site.env) == before  # no challenge, no counted failure: nothing written
    site.clock.advance(seconds=int(known.headers["retry-after"]))
    assert site.client.post("/recover/start", json={"username": "doctor"}).status_code == 200
    assert throttle.RECOVERY_LIMIT.delay_from == free
