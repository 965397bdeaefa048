"""Opening a practice's team key from the command line (docs/format.md §10).

``GET /practices/{pid}/team`` gives each version's newest record, its creator's keys and
the caller's grant. A key is used only if the record verifies with the creator's
registered key, the creator is a member, the record names this practice and version,
commits to the opened key and lists the caller; the creator's fingerprint is pinned
like an item author's (``cli/known_keys.py``).
"""

from __future__ import annotations

import uuid
from typing import Any

from cli.client import ClientError, HttpTransport, Unlocked
from cli.known_keys import KeyRole, KnownKeys
from cli.terminal import printable
from crypto.encoding import b64url_decode
from crypto.errors import CryptoError
from crypto.fingerprint import user_fingerprint
from crypto.secret import Secret
from crypto.signing import VerifyKey
from crypto.teamkey import open_team_key

NO_KEY = "you hold no team key of this practice yet: a member must share it with you"


class TeamKeys:
    """The team keys of one practice this account may open, by version."""

    def __init__(
        self, transport: HttpTransport, unlocked: Unlocked, practice_id: str, known: KnownKeys
    ) -> None:
        self.practice_id = practice_id
        self.state: dict[str, Any] = transport.get_json(f"/practices/{practice_id}/team")
        self._unlocked = unlocked
        self._known = known
        self._keys: dict[int, Secret] = {}

    @property
    def current_version(self) -> int:
        version = self.state.get("current_version")
        if type(version) is not int:
            raise ClientError(NO_KEY, 0)
        return version

    def key(self, version: int) -> Secret:
        if version in self._keys:
            return self._keys[version]
        found = [v for v in self.state["versions"] if v["version"] == version]
        if not found or not found[0].get("grant"):
            raise ClientError(NO_KEY, 0)
        entry = found[0]
        creator = entry["creator"]
        if creator.get("role") != "member":
            raise CryptoError("a team key record not made by a member")
        x25519, ed25519 = b64url_decode(creator["x25519_pk"]), b64url_decode(creator["ed25519_pk"])
        who = f"member {printable(creator['name'])} ({creator['id']})"
        pin = self._known.check(
            KeyRole.AUTHOR, str(creator["id"]), user_fingerprint(x25519, ed25519), f"keys of {who}"
        )
        key = open_team_key(
            b64url_decode(entry["grant"]),
            record=b64url_decode(entry["record"]),
            signature=b64url_decode(entry["signature"]),
            creator_verify_key=VerifyKey(ed25519),
            creator_id=uuid.UUID(str(creator["id"])),
            client_id=uuid.UUID(self.practice_id),
            version=version,
            recipient_id=uuid.UUID(self._unlocked.account_id),
            recipient_secret_key=self._unlocked.keys.x25519_secret,
        )
        self._known.remember(pin)
        self._keys[version] = key
        return key
