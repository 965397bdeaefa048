"""The session cache: what this process commits takes effect on the next request; what
another process commits, within ``MAX_AGE``; never a read for a cached, recent session."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.backends import open_connection
from tests.people import enrol
from tests.vault.conftest import Clock
from vault.env import Env, Principal, RequestInfo
from vault.identity import accounts, session_cache, sessions
from vault.identity.roles import Role

REQUEST = RequestInfo(ip="10.0.0.9", user_agent="test")


def _open(env: Env, account_id: str) -> str:
    token, _ = env.db.write(lambda c: sessions.create(env, c, account_id, "10.0.0.1", "UA"))
    return token


def _reads(env: Env, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the database's read transactions from now on."""
    count = [0]
    real = env.db.read

    def counted(fn):  # type: ignore[no-untyped-def]
        count[0] += 1
        return real(fn)

    monkeypatch.setattr(env.db, "read", counted)
    return count


def test_a_cached_session_answers_without_a_read(
    env: Env, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second request of a session within MAX_AGE needs no read, and peek answers it
    on the caller's thread; after MAX_AGE the row is read again."""
    sec = enrol(env, Role.SECRETARY, "sec")
    token = _open(env, sec.account_id)
    reads = _reads(env, monkeypatch)
    first = sessions.lookup(env, token)
    assert first is not None and reads[0] == 1
    clock.advance(seconds=1)
    assert sessions.lookup(env, token) == first
    assert sessions.peek(env, token) == first
    assert reads[0] == 1
    clock.advance(seconds=2)
    assert sessions.peek(env, token) is False  # too old: ask lookup, which reads
    assert sessions.lookup(env, token) is not None and reads[0] == 2


@pytest.mark.parametrize("change", ["revoke", "disable", "revoke_all"])
def test_what_this_process_commits_is_seen_at_the_next_request(env: Env, change: str) -> None:
    """A revoked session or a disabled account is refused at once, cache or not."""
    sec = enrol(env, Role.SECRETARY, "sec")
    admin = enrol(env, Role.ADMIN, "admin")
    token = _open(env, sec.account_id)
    other = _open(env, sec.account_id)
    assert sessions.lookup(env, token) is not None
    assert sessions.lookup(env, other) is not None
    assert sessions.peek(env, token) not in (False, None)  # cached
    if change == "revoke":
        env.db.write(lambda c: sessions.revoke(env, c, sessions.token_hash(token)))
    elif change == "revoke_all":
        env.db.write(lambda c: sessions.revoke_all(env, c, sec.account_id))
    else:
        by = Principal(admin.account_id, admin.username, Role.ADMIN, None, None)
        accounts.set_disabled(env, REQUEST, by, sec.account_id, True)
    assert sessions.peek(env, token) is False
    assert sessions.lookup(env, token) is None
    assert (sessions.lookup(env, other) is None) == (change != "revoke")


def test_a_new_grant_is_seen_at_the_next_request(env: Env) -> None:
    """A member waiting for the practice key reaches the practice as soon as it is granted."""
    from tests.factories import add_account, add_practice

    practice = add_practice(env, "Cabinet")
    waiting = add_account(env, Role.MEMBER, "new.member", practice, granted=False)
    token = _open(env, waiting.id)
    before = sessions.lookup(env, token)
    assert before is not None and before.awaiting_practice_key
    env.db.write(
        lambda c: c.execute(
            "INSERT INTO practice_grant (practice_id, account_id, sealed, created_at)"
            " VALUES (?, ?, ?, '2026-01-01T00:00:00Z')",
            (practice.id, waiting.id, bytes(99)),
        )
    )
    after = sessions.lookup(env, token)
    assert after is not None and not after.awaiting_practice_key


def test_another_process_s_change_takes_effect_within_max_age(env: Env, clock: Clock) -> None:
    """A revocation committed on another connection (another process: the CLI beside the
    server) is not seen by the triggers: the cached row serves until MAX_AGE, then no more."""
    sec = enrol(env, Role.SECRETARY, "sec")
    token = _open(env, sec.account_id)
    assert sessions.lookup(env, token) is not None
    elsewhere = open_connection(env.settings)  # the other process's view
    try:
        elsewhere.execute("UPDATE session SET revoked_at = '2026-01-01T00:00:00Z'")
    finally:
        elsewhere.close()
    assert sessions.lookup(env, token) is not None  # the bounded delay, documented
    clock.advance(seconds=session_cache.MAX_AGE.total_seconds() + 1)
    assert sessions.lookup(env, token) is None


def test_the_cache_is_bounded(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_ENTRIES sessions, the least recently used is dropped (and read again)."""
    monkeypatch.setattr(session_cache, "MAX_ENTRIES", 3)
    sec = enrol(env, Role.SECRETARY, "sec")
    tokens = [_open(env, sec.account_id) for _ in range(4)]
    for token in tokens:
        assert sessions.lookup(env, token) is not None
    cache = session_cache.cache_for(env.db)
    assert len(cache) == 3
    assert sessions.peek(env, tokens[0]) is False
    assert sessions.peek(env, tokens[3]) not in (False, None)


def test_a_touch_is_still_written_once_a_minute(env: Env, clock: Clock) -> None:
    """The idle timeout runs on the cached times and last_seen_at is still refreshed."""
    sec = enrol(env, Role.SECRETARY, "sec")
    token = _open(env, sec.account_id)
    assert sessions.lookup(env, token) is not None
    clock.advance(minutes=2)
    assert sessions.peek(env, token) is False  # a touch is due: not on the caller's thread
    seen = sessions.lookup(env, token)
    assert seen is not None
    stored = env.db.read(lambda c: c.execute("SELECT last_seen_at FROM session").fetchone()[0])
    assert stored.startswith(seen.last_seen_at.strftime("%Y-%m-%dT%H:%M"))
    assert seen.last_seen_at - clock() < timedelta(seconds=1)


def test_peek_never_makes_the_cache(env: Env) -> None:
    """Making the cache installs triggers through the writer (a wait): peek, which runs on
    the event loop, leaves that to the first lookup and answers False until then."""
    sec = enrol(env, Role.SECRETARY, "sec")
    token = _open(env, sec.account_id)
    session_cache._caches.pop(env.db, None)
    assert sessions.peek(env, token) is False
    assert session_cache.existing(env.db) is None
    assert sessions.lookup(env, token) is not None
    assert session_cache.existing(env.db) is not None
    assert sessions.peek(env, token) not in (False, None)
