"""A member's session and unlocked keys as a browser tab of that session holds them.

The browser benchmarks put these in a Chromium context (cookie, ``sessionStorage``) so that
pages open with the keys, without typing a password: the same record
``web/static/js/app/keystore.js`` saves, bound to the session's tab value.
"""

from __future__ import annotations

import json

from crypto.encoding import b64url_encode
from tests.factories import Person, PracticeKeys, session_for
from vault.env import Env
from vault.identity import sessions


def signed_in_tab(env: Env, member: Person, practice: PracticeKeys) -> dict[str, str]:
    """``{"token": cookie value, "keys": JSON for sessionStorage's "permanence.keys"}``."""
    token, _ = session_for(env, member)
    stored = {
        "session": sessions.tab_binding(sessions.token_hash(token)),
        "accountId": member.id,
        "x25519": b64url_encode(member.keys.x25519_secret.value),
        "ed25519": b64url_encode(member.keys.ed25519_seed.value),
        "practice": {"id": practice.id, "secretKey": b64url_encode(practice.keys.secret_key.value)},
    }
    return {"token": token, "keys": json.dumps(stored)}
