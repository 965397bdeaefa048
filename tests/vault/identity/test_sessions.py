"""Sessions: idle timeout, absolute lifetime, revocation, listing."""

from __future__ import annotations

from tests.people import enrol
from tests.vault.conftest import Clock
from vault.env import Env
from vault.identity import sessions
from vault.identity.roles import Role


def _open(env: Env, account_id: str) -> str:
    token, _ = env.db.write(lambda c: sessions.create(env, c, account_id, "10.0.0.1", "UA"))
    return token


def test_idle_timeout_ends_a_session(env: Env, clock: Clock) -> None:
    """15 minutes without a request and the session is gone; activity keeps it alive."""
    sec = enrol(env, Role.SECRETARY, "sec")
    token = _open(env, sec.account_id)
    for _ in range(5):
        clock.advance(minutes=10)
        assert sessions.lookup(env, token) is not None
    clock.advance(minutes=15, seconds=1)
    assert sessions.lookup(env, token) is None


def test_absolute_lifetime_ends_even_an_active_session(env: Env, clock: Clock) -> None:
    """After 12 hours a session ends however active it was."""
    sec = enrol(env, Role.SECRETARY, "sec")
    token = _open(env, sec.account_id)
    for _ in range(12 * 6):
        clock.advance(minutes=10)
        sessions.lookup(env, token)
    clock.advance(minutes=1)
    assert sessions.lookup(env, token) is None


def test_tokens_are_stored_hashed_and_unknown_ones_refused(env: Env) -> None:
    """The database never holds the cookie's token; a made-up token finds nothing."""
    sec = enrol(env, Role.SECRETARY, "sec")
    token = _open(env, sec.account_id)
    stored = env.db.read(lambda c: [bytes(r[0]) for r in c.execute("SELECT id_hash FROM session")])
    assert token.encode() not in stored and sessions.token_hash(token) in stored
    assert sessions.lookup(env, "made-up") is None
    assert sessions.lookup(env, "x" * 500) is None


def test_listing_and_revoking_one_session(env: Env) -> None:
    """A user sees their sessions, the current one marked, and ends another one."""
    sec = enrol(env, Role.SECRETARY, "sec")
    first, second = _open(env, sec.account_id), _open(env, sec.account_id)
    current = sessions.token_hash(first)
    rows = sessions.list_for(env, sec.account_id, current)
    assert len(rows) == 2 and sum(r.current for r in rows) == 1
    other = next(r for r in rows if not r.current)

    def revoke(conn: object) -> None:
        h = sessions.find_by_handle(conn, sec.account_id, other.handle)  # type: ignore[arg-type]
        assert h is not None
        sessions.revoke(env, conn, h)  # type: ignore[arg-type]

    env.db.write(revoke)
    assert sessions.lookup(env, second) is None
    assert sessions.lookup(env, first) is not None
    assert env.db.read(lambda c: sessions.find_by_handle(c, sec.account_id, "nope")) is None
