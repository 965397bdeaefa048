"""Unlocking on the command line: the unwrapped and granted keys must be the published ones."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cli.client import ClientError, unlock
from crypto.encoding import b64url_encode
from crypto.grants import GrantKind, PracticeKeyPair, seal_grant
from crypto.secret import Secret
from crypto.user_keys import UserKeyPair, WrapPurpose, wrap_user_keys
from tests.vectors.generate import DeterministicRandom

KEK = Secret(bytes(range(32)))


def _bundle(rng: DeterministicRandom) -> tuple[dict[str, Any], UserKeyPair, PracticeKeyPair]:
    account_id, practice_id = uuid.UUID(bytes=rng(16)), uuid.UUID(bytes=rng(16))
    keys, practice = UserKeyPair.generate(rng), PracticeKeyPair.generate(rng)
    grant = seal_grant(
        GrantKind.PRACTICE_SECRET_KEY, practice_id, practice.secret_key, keys.public_keys.x25519
    )
    bundle = {
        "account_id": str(account_id),
        "wrapped_kek": b64url_encode(
            wrap_user_keys(keys, KEK, WrapPurpose.PASSWORD, account_id, rng)
        ),
        "x25519_pk": b64url_encode(keys.public_keys.x25519),
        "ed25519_pk": b64url_encode(keys.public_keys.ed25519),
        "practice": {
            "id": str(practice_id),
            "public_key": b64url_encode(practice.public_key),
            "grant": b64url_encode(grant),
        },
    }
    return bundle, keys, practice


def test_matching_keys_unlock() -> None:
    bundle, keys, practice = _bundle(DeterministicRandom("unlock"))
    unlocked = unlock(bundle, KEK)
    assert unlocked.keys.public_keys == keys.public_keys
    assert unlocked.practice_secret == practice.secret_key


@pytest.mark.parametrize("field", ["x25519_pk", "ed25519_pk", "practice"])
def test_keys_that_are_not_the_published_ones_are_refused(field: str) -> None:
    """A server that publishes other public keys than those wrapped (or grants a practice
    secret key that is not the practice's published key: it could then read what it
    makes secretaries seal to a key of its own) is refused before anything is used."""
    bundle, _, _ = _bundle(DeterministicRandom("unlock"))
    other = b64url_encode(PracticeKeyPair.generate(DeterministicRandom("other")).public_key)
    if field == "practice":
        bundle["practice"]["public_key"] = other
    else:
        bundle[field] = other
    with pytest.raises(ClientError, match="do not match the public keys"):
        unlock(bundle, KEK)
