"""Activity reports against a seeded dataset whose totals are known by hand.

Practice A, October 2026 (Paris time): five calls — sam 60 s, 120 s, 300 s
(one urgent), tess 240 s (started 31 October 23:30 in Paris, which is still
October there) and one with no duration — and one message. Of these six items
four were read after 10, 20, 30 and 40 minutes (median 25) and three handled
after 60, 120 and 180 minutes (median 120). November: one urgent call of
600 s, and a call that started at 00:30 on 1 December in Paris (23:30 UTC on
30 November), which belongs to December. Practice B: one call of 90 s.
"""

from __future__ import annotations

import uuid

import pytest

from tests.vault.items.report_data import NOV, OCT, R, seed
from vault.business_hours import BusinessHours
from vault.env import Env, Principal
from vault.errors import AwaitingPracticeKey, Forbidden, InvalidInput, NotFound
from vault.identity import accounts
from vault.identity.roles import Role
from vault.items.reports import CsvStyle, compute, to_csv, view
from vault.opening import Vault


@pytest.fixture
def env(vault: Vault) -> Env:
    return vault.env


def test_figures_match_the_known_totals(env: Env) -> None:
    seed(env)
    hours = BusinessHours.of(env.settings)
    report = env.db.read(lambda c: compute(c, hours, OCT, NOV))
    by = {(p.practice, p.month): p for p in report.practices}
    october = by[("Cabinet A", "2026-10")]
    assert (october.calls, october.call_minutes, october.average_minutes) == (5, 12.0, 3.0)
    assert (october.urgent_calls, october.items, october.unread, october.unhandled) == (1, 6, 2, 3)
    assert (october.median_minutes_to_read, october.median_minutes_to_handled) == (25.0, 120.0)
    november = by[("Cabinet A", "2026-11")]
    assert (november.calls, november.call_minutes, november.urgent_calls) == (1, 10.0, 1)
    assert november.items == 1  # the 23:40 UTC deposit of 30 November is in December, in Paris
    assert by[("Cabinet B", "2026-10")].calls == 1
    people = {
        (s.practice, s.month, s.secretary): (s.calls, s.call_minutes) for s in report.secretaries
    }
    assert people[("Cabinet A", "2026-10", "sam")] == (3, 8.0)
    assert people[("Cabinet A", "2026-10", "tess")] == (2, 4.0)
    assert people[("Cabinet B", "2026-10", "sam")] == (1, 1.5)


def test_members_see_their_own_practice_only_and_views_are_recorded(env: Env) -> None:
    ids = seed(env)
    member = Principal(ids["dr.a"], "dr.a", Role.MEMBER, ids["Cabinet A"])
    own = view(env, R, member, OCT, NOV)
    assert {p.practice for p in own.practices} == {"Cabinet A"}
    with pytest.raises(NotFound):
        view(env, R, member, OCT, NOV, ids["Cabinet B"])
    with pytest.raises(Forbidden):
        view(env, R, Principal(ids["sam"], "sam", Role.SECRETARY), OCT, NOV)
    with pytest.raises(InvalidInput):
        view(env, R, member, NOV, OCT)
    admin = Principal(str(uuid.uuid4()), "root", Role.ADMIN)
    assert {p.practice for p in view(env, R, admin, OCT, NOV).practices} == {
        "Cabinet A",
        "Cabinet B",
    }
    last = env.db.read(lambda c: env.log.entry(c, env.log.size(c) - 1)).entry
    assert last.action == "report.viewed" and last.actor.name == "root"


def test_a_member_nobody_granted_the_key_sees_no_report(env: Env) -> None:
    """A member an admin added to Cabinet A, not yet granted its key: no report of it."""
    ids = seed(env)
    planted = accounts.invite(
        env,
        R,
        None,
        username="planted",
        display_name="P",
        role=Role.MEMBER,
        practice_name="Cabinet A",
    )
    member = Principal(planted.account_id, "planted", Role.MEMBER, ids["Cabinet A"])
    with pytest.raises(AwaitingPracticeKey):
        view(env, R, member, OCT, NOV)


def test_csv_has_both_tables_and_neutralises_formulas(env: Env) -> None:
    seed(env)
    env.db.write(
        lambda c: c.execute("UPDATE practice SET name = '=HYPERLINK(1)' WHERE name = 'Cabinet B'")
    )
    hours = BusinessHours.of(env.settings)
    text = to_csv(env.db.read(lambda c: compute(c, hours, OCT, OCT)))
    lines = text.splitlines()
    assert lines[0].startswith("section,practice,month,secretary,calls,call_minutes")
    assert "practice,Cabinet A,2026-10,,5,12.0,3.0,1,6,25.0,120.0,2,3" in lines
    assert "secretary,Cabinet A,2026-10,sam,3,8.0,,,,,,," in lines
    assert any(line.startswith("practice,'=HYPERLINK(1)") for line in lines)


def test_a_csv_style_sets_separators_decimals_labels_and_bom(env: Env) -> None:
    seed(env)
    hours = BusinessHours.of(env.settings)
    header = tuple(f"h{i}" for i in range(13))
    style = CsvStyle(delimiter=";", decimal=",", header=header, sections=("p", "s"), bom=True)
    text = to_csv(env.db.read(lambda c: compute(c, hours, OCT, OCT)), style)
    assert text.startswith("\ufeffh0;h1;")
    lines = text[1:].splitlines()
    assert "p;Cabinet A;2026-10;;5;12,0;3,0;1;6;25,0;120,0;2;3" in lines
    assert "s;Cabinet A;2026-10;sam;3;8,0;;;;;;;" in lines
