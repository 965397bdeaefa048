"""The auditor's filters (vault/auditing/entries.py): ids match in any case."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from audit.entry import Action, Actor
from vault.auditing.entries import EntryFilter, entry_page
from vault.env import Env, RequestInfo


def test_upper_case_account_and_practice_ids_match_the_stored_ones(env: Env) -> None:
    """UUIDs are stored lowercase; one typed or pasted in upper case (or with braces) finds
    the same entries, where it used to find none."""
    account, practice = str(uuid.uuid4()), str(uuid.uuid4())
    for _ in range(3):
        env.db.write(
            lambda c: env.record(
                c,
                Action.ITEM_READ,
                RequestInfo(),
                actor=Actor(account, "dr.a", "member"),
                targets={"practice": practice},
            )
        )

    def found(f: EntryFilter) -> list[int]:
        return [r.index for r in env.db.read(lambda c: entry_page(c, f)).rows]

    expected = found(EntryFilter(account=account))
    assert len(expected) == 3
    assert found(EntryFilter(practice=practice)) == expected
    for typed in (account.upper(), "{" + account.upper() + "}", account.replace("-", "")):
        assert found(EntryFilter(account=typed)) == expected, typed
    assert found(EntryFilter(practice=practice.upper())) == expected
    assert found(EntryFilter(account="DR.A")) == expected  # names already ignored case


def test_a_local_day_finds_entries_made_before_midnight_utc(env: Env) -> None:
    """A Paris day starts at 23:00 UTC the day before: an entry made at 23:30 UTC belongs to
    it. The day index is by UTC day, and the range used to be looked up by the local day,
    so the filter found nothing for the first hour of every local day."""
    at = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    late = replace(env, now=lambda: at)
    late.db.write(lambda c: late.record(c, Action.ITEM_READ, RequestInfo(), actor=Actor(name="a")))
    paris = ZoneInfo("Europe/Paris")
    day = EntryFilter(
        start=datetime(2026, 12, 2, tzinfo=paris),
        end=datetime(2026, 12, 3, tzinfo=paris),
        action=str(Action.ITEM_READ),
    )
    rows = env.db.read(lambda c: entry_page(c, day)).rows
    assert [r.entry.at if r.entry else None for r in rows] == [at]
