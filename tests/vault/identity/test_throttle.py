"""The throttle's schedule: free tries, doubling delay, cap over 24 hours."""

from __future__ import annotations

from datetime import timedelta

from crypto.secret import Secret
from tests.vault.conftest import Clock
from vault.env import Env
from vault.identity import throttle

SECRET = Secret(bytes(range(32)))
SUBJECT = throttle.account_subject(SECRET, "Someone")


def _fail(env: Env, clock: Clock, n: int) -> None:
    env.db.write(lambda c: [throttle.record_failure(c, [SUBJECT], clock.now) for _ in range(n)])


def _wait(env: Env, clock: Clock) -> int:
    return env.db.read(
        lambda c: throttle.wait_seconds(c, SUBJECT, throttle.ACCOUNT_LIMIT, clock.now)
    )


def test_two_failures_cost_nothing_then_the_delay_doubles(env: Env, clock: Clock) -> None:
    """From the 3rd failure: wait 1 s, then 2, 4, 8… (counted from the last failure)."""
    _fail(env, clock, 2)
    assert _wait(env, clock) == 0
    waits = []
    for _ in range(4):
        _fail(env, clock, 1)
        waits.append(_wait(env, clock))
    assert waits == [1, 2, 4, 8]
    clock.advance(seconds=8)
    assert _wait(env, clock) == 0


def test_the_cap_holds_for_24_hours_from_the_oldest_failure(env: Env, clock: Clock) -> None:
    """25 failures lock the subject until the oldest of them is a day old."""
    _fail(env, clock, 25)
    clock.advance(hours=23)
    assert _wait(env, clock) > 3000
    clock.advance(hours=1, seconds=1)
    assert _wait(env, clock) == 0


def test_subjects_are_independent_and_names_case_insensitive(env: Env, clock: Clock) -> None:
    """Failures of one name never slow another; 'Someone' and 'someone' are one subject."""
    _fail(env, clock, 10)
    other = env.db.read(
        lambda c: throttle.wait_seconds(
            c, throttle.account_subject(SECRET, "other"), throttle.ACCOUNT_LIMIT, clock.now
        )
    )
    assert other == 0
    assert throttle.account_subject(SECRET, "someone ") == SUBJECT
    env.db.write(lambda c: throttle.prune(c, clock.now + timedelta(days=2)))
    assert _wait(env, clock) == 0


def test_old_failures_are_dropped_when_new_ones_are_counted(env: Env, clock: Clock) -> None:
    """A subject's failures older than 24 hours leave the table as soon as it fails again."""
    _fail(env, clock, 5)
    clock.advance(hours=25)
    _fail(env, clock, 1)
    rows = env.db.read(
        lambda c: c.execute(
            "SELECT count(*) FROM login_failure WHERE subject = ?", (SUBJECT,)
        ).fetchone()[0]
    )
    assert rows == 1


def test_an_account_subject_holds_a_keyed_hash_never_the_typed_name(env: Env) -> None:
    """The table is keyed by ``account:<pseudonym>``: no typed name, nor a password typed as one.

    The pseudonym depends on the vault's secret, so it cannot be checked against a guess
    without it; two vaults give the same name different subjects.
    """
    typed = "Lune-verte-42!x"
    subject = throttle.account_subject(SECRET, typed)
    assert subject.startswith("account:")
    assert typed.lower() not in subject and "lune" not in subject
    assert subject != throttle.account_subject(Secret(bytes(32)), typed)
    env.db.write(lambda c: throttle.record_failure(c, [subject], env.now()))
    stored = env.db.read(lambda c: c.execute("SELECT subject FROM login_failure").fetchall())
    assert [row[0] for row in stored] == [subject]
