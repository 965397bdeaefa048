"""Activity reports count forms by template, from the template id in clear (never content),
in the month of their deposit in the practice's zone, beside the calls."""

from __future__ import annotations

import uuid

import pytest

from tests.vault.items.report_data import NOV, OCT, R, seed
from vault.business_hours import BusinessHours
from vault.clock import iso
from vault.env import Env, Principal
from vault.identity.roles import Role
from vault.items.reports import compute, view
from vault.opening import Vault
from vault.storage.store import Connection

APPOINTMENT = "0f8fad5b-d9cb-469f-a165-70867728950e"
RECORD = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture
def env(vault: Vault) -> Env:
    return vault.env


def _forms(env: Env, ids: dict[str, str]) -> None:
    from tests.vault.items.report_data import _t

    forms = [
        (ids["Cabinet A"], APPOINTMENT, "2026-10-05T09:10:00"),
        (ids["Cabinet A"], APPOINTMENT, "2026-10-06T09:10:00"),
        (ids["Cabinet A"], RECORD, "2026-10-06T10:10:00"),
        # 23:30 UTC on 31 October is 00:30 on 1 November in Paris: November's.
        (ids["Cabinet A"], RECORD, "2026-10-31T23:30:00"),
        (ids["Cabinet B"], APPOINTMENT, "2026-10-12T10:10:00"),
    ]

    def tx(conn: Connection) -> None:
        for practice, template, at in forms:
            conn.execute(
                "INSERT INTO item (id, practice_id, author_id, kind, urgency, pinned, status,"
                " deposited_at, envelope, size, form_template_id)"
                " VALUES (?, ?, ?, 'form', 1, 0, 'new', ?, x'00', 1, ?)",
                (str(uuid.uuid4()), practice, ids["sam"], iso(_t(at)), template),
            )

    env.db.write(tx)


def test_forms_are_counted_by_template_and_month_beside_calls(env: Env) -> None:
    ids = seed(env)
    _forms(env, ids)
    hours = BusinessHours.of(env.settings)
    report = env.db.read(lambda c: compute(c, hours, OCT, NOV))
    counted = {(f.practice, f.month, f.template_id): f.forms for f in report.forms}
    assert counted == {
        ("Cabinet A", "2026-10", APPOINTMENT): 2,
        ("Cabinet A", "2026-10", RECORD): 1,
        ("Cabinet A", "2026-11", RECORD): 1,
        ("Cabinet B", "2026-10", APPOINTMENT): 1,
    }
    by = {(p.practice, p.month): p for p in report.practices}
    # The calls are as before; forms are items (read/handled times) but never calls.
    assert by[("Cabinet A", "2026-10")].calls == 5
    assert by[("Cabinet A", "2026-10")].items == 6 + 3
    member = Principal(ids["dr.a"], "dr.a", Role.MEMBER, ids["Cabinet A"])
    own = view(env, R, member, OCT, NOV)
    assert {f.practice for f in own.forms} == {"Cabinet A"}


def test_the_report_page_lists_forms_by_template_id(env: Env) -> None:
    """What the server can say: an id and a count, the name is the member's browser's."""
    ids = seed(env)
    _forms(env, ids)
    report = view(env, R, Principal(ids["dr.b"], "dr.b", Role.MEMBER, ids["Cabinet B"]), OCT, NOV)
    assert [(f.template_id, f.forms) for f in report.forms] == [(APPOINTMENT, 1)]
