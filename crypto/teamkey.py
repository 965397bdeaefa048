"""Team keys: a practice's key for instructions to its secretaries (docs/format.md §10).

A version is 32 random bytes drawn by a member's client. Its **record** names the
practice, the version, who made it and when, a commitment to the key and every
recipient; the member signs it::

    commit     = H(32, "permanence/v1/team-key-commit\\0" || team_key)
    record     = 0x01 || id16(client_id) || version (u32) || id16(creator_id)
                 || created_at (u64) || commit (32) || count (u16) || id16(recipient) ...
    record_sig = SIGN(creator_ed25519_sk, "permanence/v1/team-key\\0" || record)

The key itself travels in grants of kind ``0x02`` (§4). A client uses an opened
key only if the record verifies, names the expected practice and version,
commits to that key and lists the client among its recipients
(``open_team_key``); that the creator is a member of the practice is the
caller's check (it knows the roles).
"""

from __future__ import annotations

import hmac
import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from crypto import _primitives
from crypto.errors import DecryptionFailed, MalformedInput, UnsupportedVersion
from crypto.grants import GrantKind, open_grant
from crypto.secret import Secret
from crypto.signing import BadSignature, SigningKey, VerifyKey

COMMIT_LABEL = b"permanence/v1/team-key-commit\0"
SIGNATURE_LABEL = b"permanence/v1/team-key\0"
RECORD_HEAD_BYTES = 1 + 16 + 4 + 16 + 8 + 32 + 2  # 79, before the recipients
MAX_VERSION = 2**32 - 1
MAX_CREATED_AT = 2**53 - 1  # what a JavaScript number holds exactly
MAX_RECIPIENTS = 2**16 - 1


def team_key_commit(key: Secret) -> bytes:
    """The 32-byte commitment to a team key written in its record."""
    _primitives.require_length("team key", key.value, 32)
    return _primitives.generichash(32, COMMIT_LABEL + key.value)


@dataclass(frozen=True, slots=True)
class TeamKeyRecord:
    """One version of a practice's team key, as its creator signs it.

    ``recipients`` are kept sorted by their 16 bytes and without repetition, whatever
    order they are given in (the encoding has only one order).
    """

    client_id: uuid.UUID
    version: int
    creator_id: uuid.UUID
    created_at: int
    commit: bytes
    recipients: tuple[uuid.UUID, ...]

    def __post_init__(self) -> None:
        if not 1 <= self.version <= MAX_VERSION:
            raise MalformedInput("a team key version is 1..2^32-1")
        if not 0 <= self.created_at <= MAX_CREATED_AT:
            raise MalformedInput("a team key's creation time is 0..2^53-1 seconds")
        _primitives.require_length("team key commit", self.commit, 32)
        recipients = tuple(sorted(set(self.recipients), key=lambda r: r.bytes))
        if not 1 <= len(recipients) <= MAX_RECIPIENTS:
            raise MalformedInput("a team key has 1..65535 recipients")
        object.__setattr__(self, "recipients", recipients)

    def encode(self) -> bytes:
        """The record bytes of §10."""
        return (
            bytes([_primitives.VERSION])
            + self.client_id.bytes
            + self.version.to_bytes(4, "big")
            + self.creator_id.bytes
            + self.created_at.to_bytes(8, "big")
            + self.commit
            + len(self.recipients).to_bytes(2, "big")
            + b"".join(r.bytes for r in self.recipients)
        )

    @classmethod
    def decode(cls, data: bytes) -> TeamKeyRecord:
        """Parse record bytes: ``UnsupportedVersion`` for an unknown version byte, else
        any anomaly (length, count, recipients out of order or repeated, version 0,
        a time past 2^53 - 1) is ``DecryptionFailed``."""
        if data[:1] != bytes([_primitives.VERSION]):
            raise UnsupportedVersion(data[0]) if data else DecryptionFailed
        if len(data) < RECORD_HEAD_BYTES:
            raise DecryptionFailed
        count = int.from_bytes(data[77:79], "big")
        if len(data) != RECORD_HEAD_BYTES + 16 * count:
            raise DecryptionFailed
        raw = [
            data[RECORD_HEAD_BYTES + 16 * i : RECORD_HEAD_BYTES + 16 * (i + 1)]
            for i in range(count)
        ]
        if any(a >= b for a, b in itertools.pairwise(raw)):
            raise DecryptionFailed
        try:
            return cls(
                client_id=uuid.UUID(bytes=data[1:17]),
                version=int.from_bytes(data[17:21], "big"),
                creator_id=uuid.UUID(bytes=data[21:37]),
                created_at=int.from_bytes(data[37:45], "big"),
                commit=data[45:77],
                recipients=tuple(uuid.UUID(bytes=r) for r in raw),
            )
        except MalformedInput:  # version 0, a time past 2^53 - 1, no recipient
            raise DecryptionFailed from None

    def commits_to(self, key: Secret) -> bool:
        """Whether ``commit`` is the commitment of ``key``."""
        return hmac.compare_digest(self.commit, team_key_commit(key))


def new_team_key_record(
    *,
    client_id: uuid.UUID,
    version: int,
    creator_id: uuid.UUID,
    created_at: int,
    key: Secret,
    recipients: Iterable[uuid.UUID],
) -> TeamKeyRecord:
    """The record of ``key`` (its commitment computed here)."""
    return TeamKeyRecord(
        client_id=client_id,
        version=version,
        creator_id=creator_id,
        created_at=created_at,
        commit=team_key_commit(key),
        recipients=tuple(recipients),
    )


def sign_team_key_record(record: TeamKeyRecord, signing_key: SigningKey) -> bytes:
    """The creator's 64-byte signature of the record."""
    return signing_key.sign(SIGNATURE_LABEL + record.encode())


def verify_team_key_record(data: bytes, signature: bytes, verify_key: VerifyKey) -> TeamKeyRecord:
    """Check ``signature`` of the record bytes ``data`` with the creator's key and parse it.

    An unknown version byte is ``UnsupportedVersion`` (before any other check); a bad
    signature or a malformed record is ``DecryptionFailed``. The caller still checks
    that ``creator_id`` is the account whose ``verify_key`` it used, and a member.
    """
    if data[:1] != bytes([_primitives.VERSION]):
        raise UnsupportedVersion(data[0]) if data else DecryptionFailed
    try:
        verify_key.verify(SIGNATURE_LABEL + data, signature)
    except BadSignature:
        raise DecryptionFailed from None
    return TeamKeyRecord.decode(data)


def open_team_key(
    grant: bytes,
    *,
    record: bytes,
    signature: bytes,
    creator_verify_key: VerifyKey,
    creator_id: uuid.UUID,
    client_id: uuid.UUID,
    version: int,
    recipient_id: uuid.UUID,
    recipient_secret_key: Secret,
) -> Secret:
    """Open one's grant of ``version`` and return the key only if its record allows it.

    The record must verify with ``creator_verify_key`` (that of ``creator_id``, whom the
    caller knows to be a member), name ``client_id`` and ``version``, commit to the
    opened key and list ``recipient_id``. Anything else is ``DecryptionFailed``.
    """
    checked = verify_team_key_record(record, signature, creator_verify_key)
    key = open_grant(grant, GrantKind.TEAM_KEY, client_id, recipient_secret_key)
    if (
        (checked.client_id, checked.version, checked.creator_id) != (client_id, version, creator_id)
        or recipient_id not in checked.recipients
        or not checked.commits_to(key)
    ):
        raise DecryptionFailed
    return key
