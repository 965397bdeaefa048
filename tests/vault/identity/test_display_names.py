"""Display names a reader cannot misread: invitations by the command line, an admin and a
member refuse hidden characters and mixed scripts, and leave nothing behind."""

from __future__ import annotations

import pytest

from tests.people import ARRANGE, enrol
from vault.env import Env, Principal
from vault.errors import InvalidInput
from vault.identity import accounts
from vault.identity.roles import Role

HIDDEN = "invisible or control characters"
MIXED = "one script only"

REFUSED = [
    ("S\u043ephie Secr\u00e9taire", MIXED),  # Cyrillic o
    ("S\u03bfphie Secr\u00e9taire", MIXED),  # Greek omicron
    ("Sophie\u200b Secr\u00e9taire", HIDDEN),  # zero-width space (Cf)
    ("Sophie\u202e Secr\u00e9taire", HIDDEN),  # right-to-left override (Cf)
    ("Sophie\u2066 Secr\u00e9taire", HIDDEN),  # isolate (Cf)
    ("Sophie\ufeff", HIDDEN),  # byte-order mark (Cf)
    ("Sophie\ue000", HIDDEN),  # private use (Co)
    ("Sophie\U000e0041", HIDDEN),  # tag character (Cf)
    ("Sophie\u0378", HIDDEN),  # unassigned (Cn)
    ("Sophie\x00", HIDDEN),  # control (Cc)
    ("Sophie\u3164", HIDDEN),  # Hangul filler: a blank letter
]
ACCEPTED = [
    "Sophie Secr\u00e9taire",
    "Zo\u00eb O\u2019Brien-Duval",
    "\u0421\u043e\u0444\u0438\u044f",  # Cyrillic only
    "\u0391\u03b8\u03b7\u03bd\u03ac",  # Greek only
    "\u5c71\u7530 \u82b1\u5b50 \u3084\u307e\u3060",  # Han and Hiragana
    "Dr. J. Martin (2)",
]


def _inviters(env: Env) -> list[Principal | None]:
    doctor = enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    admin = enrol(env, Role.ADMIN, "root")
    return [
        None,  # the command line
        Principal(admin.account_id, "root", Role.ADMIN),
        Principal(doctor.account_id, "doctor", Role.MEMBER, doctor.practice_id),
    ]


def _invite(env: Env, by: Principal | None, n: int, name: str) -> None:
    practice = None if by is not None and by.role == Role.MEMBER else "Cabinet B"
    accounts.invite(
        env,
        ARRANGE,
        by,
        username=f"colleague{n}",
        display_name=name,
        role=Role.MEMBER,
        practice_name=practice,
    )


def _accounts(env: Env) -> int:
    count: int = env.db.read(lambda c: c.execute("SELECT COUNT(*) FROM account").fetchone()[0])
    return count


def test_look_alike_and_hidden_characters_are_refused_by_every_inviter(env: Env) -> None:
    """These names used to be accepted, and a reader could not tell them from the real one."""
    inviters = _inviters(env)
    before = _accounts(env)
    for by in inviters:
        for n, (name, why) in enumerate(REFUSED):
            with pytest.raises(InvalidInput, match=why):
                _invite(env, by, n, name)
    assert _accounts(env) == before


def test_names_of_one_script_are_accepted(env: Env) -> None:
    inviters = _inviters(env)
    for i, by in enumerate(inviters):
        for n, name in enumerate(ACCEPTED):
            _invite(env, by, 100 * i + n, name)
