"""Team key records, their signatures and the checks before a client uses a team key."""

from __future__ import annotations

import uuid

import pytest

from crypto.errors import DecryptionFailed, MalformedInput, UnsupportedVersion
from crypto.grants import GrantKind, new_team_key, seal_grant
from crypto.secret import Secret
from crypto.teamkey import (
    SIGNATURE_LABEL,
    TeamKeyRecord,
    new_team_key_record,
    open_team_key,
    sign_team_key_record,
    team_key_commit,
    verify_team_key_record,
)
from crypto.user_keys import UserKeyPair
from tests.vectors.generate import DeterministicRandom

CLIENT = uuid.UUID("7c9e6679-7425-40de-944b-e07fc1f90ae7")
OTHER_CLIENT = uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")
MEMBER = uuid.UUID("00000000-0000-4000-8000-0000000000aa")
SECRETARY = uuid.UUID("00000000-0000-4000-8000-000000000055")


@pytest.fixture
def member() -> UserKeyPair:
    return UserKeyPair.generate(DeterministicRandom("team/member"))


@pytest.fixture
def secretary() -> UserKeyPair:
    return UserKeyPair.generate(DeterministicRandom("team/secretary"))


def _record(
    key: Secret, version: int = 1, recipients: tuple[uuid.UUID, ...] = (MEMBER, SECRETARY)
) -> TeamKeyRecord:
    return new_team_key_record(
        client_id=CLIENT,
        version=version,
        creator_id=MEMBER,
        created_at=1795772465,
        key=key,
        recipients=recipients,
    )


def test_commit_is_labelled_and_key_specific() -> None:
    """The commitment depends on the key, and a key of another length is refused."""
    a, b = Secret(bytes(32)), Secret(b"\x01" * 32)
    assert len(team_key_commit(a)) == 32
    assert team_key_commit(a) != team_key_commit(b)
    with pytest.raises(MalformedInput):
        team_key_commit(Secret(bytes(31)))


def test_record_round_trip_sorts_and_deduplicates_recipients() -> None:
    """Recipients are kept sorted by their bytes without repetition; decode gives it back."""
    key = new_team_key(DeterministicRandom("k"))
    record = _record(key, recipients=(MEMBER, SECRETARY, MEMBER))
    assert record.recipients == (SECRETARY, MEMBER)
    data = record.encode()
    assert len(data) == 79 + 32
    assert TeamKeyRecord.decode(data) == record
    assert record.commits_to(key)
    assert not record.commits_to(Secret(bytes(32)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", 0),
        ("version", 2**32),
        ("created_at", -1),
        ("created_at", 2**53),
        ("commit", bytes(31)),
        ("recipients", ()),
        ("recipients", tuple(uuid.UUID(int=i) for i in range(2**16))),
    ],
)
def test_record_refuses_out_of_range_fields(field: str, value: object) -> None:
    """Versions are u32 from 1, times fit a JavaScript number, 1..65535 recipients."""
    fields: dict[str, object] = {
        "client_id": CLIENT,
        "version": 1,
        "creator_id": MEMBER,
        "created_at": 0,
        "commit": bytes(32),
        "recipients": (MEMBER,),
        field: value,
    }
    with pytest.raises(MalformedInput):
        TeamKeyRecord(**fields)  # type: ignore[arg-type]


def test_decode_refuses_malformed_records() -> None:
    """Unknown version byte apart; length, order, repetition, zero version: DecryptionFailed."""
    data = _record(Secret(bytes(32))).encode()
    with pytest.raises(UnsupportedVersion, match="unsupported format version 2"):
        TeamKeyRecord.decode(b"\x02" + data[1:])
    recipients = data[79:]
    for bad in (
        b"",
        data[:78],
        data[:-1],
        data + bytes(16),
        data[:79] + recipients[16:] + recipients[:16],
        data[:77] + b"\x00\x02" + recipients[:16] * 2,
        data[:17] + bytes(4) + data[21:],
        data[:77] + b"\x00\x00",
        data[:37] + (2**53).to_bytes(8, "big") + data[45:],
    ):
        with pytest.raises(DecryptionFailed):
            TeamKeyRecord.decode(bad)


def test_sign_and_verify(member: UserKeyPair, secretary: UserKeyPair) -> None:
    """A record verifies with its creator's key only, and any change breaks the signature."""
    record = _record(Secret(bytes(32)))
    signature = sign_team_key_record(record, member.signing_key)
    data = record.encode()
    member.signing_key.public_key.verify(SIGNATURE_LABEL + data, signature)
    assert verify_team_key_record(data, signature, member.public_keys.verify_key) == record
    with pytest.raises(DecryptionFailed):
        verify_team_key_record(data, signature, secretary.public_keys.verify_key)
    with pytest.raises(DecryptionFailed):
        verify_team_key_record(
            data[:-1] + bytes([data[-1] ^ 1]), signature, member.public_keys.verify_key
        )
    with pytest.raises(DecryptionFailed):
        verify_team_key_record(b"", signature, member.public_keys.verify_key)
    with pytest.raises(UnsupportedVersion):
        verify_team_key_record(b"\x00" + data[1:], signature, member.public_keys.verify_key)


def test_open_team_key_checks_the_record(member: UserKeyPair, secretary: UserKeyPair) -> None:
    """The key is used only under a record of the expected practice, version and creator,
    that commits to it and lists the reader."""
    key = new_team_key(DeterministicRandom("v1"))
    record = _record(key)
    data, signature = record.encode(), sign_team_key_record(record, member.signing_key)
    grant = seal_grant(GrantKind.TEAM_KEY, CLIENT, key, secretary.public_keys.x25519)
    good = {
        "record": data,
        "signature": signature,
        "creator_verify_key": member.public_keys.verify_key,
        "creator_id": MEMBER,
        "client_id": CLIENT,
        "version": 1,
        "recipient_id": SECRETARY,
        "recipient_secret_key": secretary.x25519_secret,
    }
    assert open_team_key(grant, **good) == key  # type: ignore[arg-type]
    other_key = new_team_key(DeterministicRandom("v2"))
    not_listed = _record(key, recipients=(MEMBER,))
    wrong_commit = _record(other_key)
    for change in (
        {"version": 2},
        {"creator_id": SECRETARY},
        {"recipient_id": uuid.UUID(int=7)},
        {"creator_verify_key": secretary.public_keys.verify_key},
        {
            "record": not_listed.encode(),
            "signature": sign_team_key_record(not_listed, member.signing_key),
        },
        {
            "record": wrong_commit.encode(),
            "signature": sign_team_key_record(wrong_commit, member.signing_key),
        },
    ):
        with pytest.raises(DecryptionFailed):
            open_team_key(grant, **{**good, **change})  # type: ignore[arg-type]
    other_practice = seal_grant(GrantKind.TEAM_KEY, OTHER_CLIENT, key, secretary.public_keys.x25519)
    with pytest.raises(DecryptionFailed):
        open_team_key(other_practice, **good)  # type: ignore[arg-type]
    with pytest.raises(DecryptionFailed):
        open_team_key(grant, **{**good, "client_id": OTHER_CLIENT})  # type: ignore[arg-type]


def test_removed_secretary_cannot_open_the_next_version(
    member: UserKeyPair, secretary: UserKeyPair
) -> None:
    """Version 2, made after her assignment ended, is sealed to the member only: no grant
    of it exists for her, and neither her grant of version 1 nor any grant sealed to
    someone else opens version 2 with her keys."""
    v1, v2 = new_team_key(DeterministicRandom("a")), new_team_key(DeterministicRandom("b"))
    r2 = _record(v2, version=2, recipients=(MEMBER,))
    d2, s2 = r2.encode(), sign_team_key_record(r2, member.signing_key)
    her_v1 = seal_grant(GrantKind.TEAM_KEY, CLIENT, v1, secretary.public_keys.x25519)
    members_v2 = seal_grant(GrantKind.TEAM_KEY, CLIENT, v2, member.public_keys.x25519)
    for grant in (her_v1, members_v2):
        with pytest.raises(DecryptionFailed):
            open_team_key(
                grant,
                record=d2,
                signature=s2,
                creator_verify_key=member.public_keys.verify_key,
                creator_id=MEMBER,
                client_id=CLIENT,
                version=2,
                recipient_id=SECRETARY,
                recipient_secret_key=secretary.x25519_secret,
            )
    assert SECRETARY not in r2.recipients
