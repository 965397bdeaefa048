"""Every page of every role writes its times in the practice's zone and the reader's language
(web/local_dates.py), each inside ``<time datetime="…Z">``, and no UTC ISO text is left for
people to read (the audit entry's raw JSON keeps its ISO times, with the local time above).

Before: the inbox, deposits and status history said "2026-12-01 18:15 UTC", the sessions
"2026-12-01 18:15 UTC", the audit console "2026-12-01 19:15:00", the checkpoint "Signed at
(UTC) 2026-12-01T18:15:00.000Z"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from crypto.encoding import b64url_encode
from tests.factories import Person, World, add_account, seal, session_for
from vault.identity.roles import Role
from vault.opening import Vault
from web.app import create_app
from web.session import COOKIE

DEPOSITED = datetime(2026, 12, 1, 18, 15, tzinfo=UTC)  # Tuesday, 19:15 in Paris (off hours)
SHORT = {"fr": "1 déc. 2026, 19 h 15", "en": "1 Dec 2026, 7:15 pm"}
LONG = {
    "fr": "mardi 1 décembre 2026, 19 h 15",
    "en": "Tuesday 1 December 2026, 7:15 pm",
}
ISO = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\bUTC\b|\d\d:\d\d:\d\d")


@dataclass
class Site:
    client: TestClient
    world: World
    people: dict[str, Person]
    item_id: str

    def get(self, role: str, path: str, language: str) -> str:
        token, _ = session_for(self.world.env, self.people[role])
        self.client.cookies.clear()
        self.client.cookies.set(COOKIE, token)
        page = self.client.get(path, headers={"accept": "text/html", "accept-language": language})
        assert page.status_code == 200, (role, path, page.text[:300])
        return page.text


@pytest.fixture
def site(world: World, vault: Vault) -> Iterator[Site]:
    world.clock.at = DEPOSITED
    people = {
        "member": world.member,
        "secretary": world.secretary,
        "admin": add_account(world.env, Role.ADMIN, "root"),
        "auditor": add_account(world.env, Role.AUDITOR, "auditrice"),
    }
    iid, envelope = seal(
        world.secretary, world.practice, call_started_at=DEPOSITED - timedelta(minutes=4)
    )
    with TestClient(
        create_app(vault.with_env(now=world.clock)), raise_server_exceptions=False
    ) as c:
        s = Site(c, world, people, iid)
        token, csrf = session_for(world.env, world.secretary)
        c.cookies.set(COOKIE, token)
        body = {
            "item_id": iid,
            "practice_id": world.practice.id,
            "envelope": b64url_encode(envelope),
        }
        assert c.post("/items", json=body, headers={"x-csrf-token": csrf}).status_code == 201
        token, csrf = session_for(world.env, world.member)
        c.cookies.clear()
        c.cookies.set(COOKIE, token)
        assert c.get(f"/items/{iid}/envelope").status_code == 200  # read: history, access log
        yield s


def visible(html: str) -> str:
    """What a person reads: no scripts, no attributes, no raw audit JSON; spaces made plain."""
    html = re.sub(r"<script.*?</script>|<pre[^>]*data-leaf.*?</pre>", "", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"[ \u00a0\u202f]+", " ", text.replace("&#39;", "'"))


PAGES = [
    ("member", "/inbox", SHORT),
    ("member", "/items/{item}", LONG),  # deposit time (the history has the short one)
    ("member", "/practice/access", SHORT),
    ("member", "/account", SHORT),  # sessions
    ("member", "/reports", None),
    ("secretary", "/workspace/deposits", SHORT),
    ("secretary", "/account", SHORT),
    ("auditor", "/audit", SHORT),
    ("auditor", "/audit/entries/1", None),
    ("auditor", "/audit/activity", SHORT),  # the read at 19:15 is off hours
    ("admin", "/admin/accounts", None),
    ("admin", "/admin/practices", None),
    ("admin", "/reports", None),
    ("admin", "/account", SHORT),
]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(("role", "path", "expected"), PAGES, ids=str)
def test_pages_show_local_times_and_no_utc_text(
    site: Site, role: str, path: str, expected: dict[str, str] | None, language: str
) -> None:
    html = site.get(role, path.format(item=site.item_id), language)
    text = visible(html)
    assert not ISO.search(text), (ISO.search(text), text[ISO.search(text).start() - 80 :][:200])  # type: ignore[union-attr]
    if expected is not None:
        assert expected[language] in text
        assert '<time datetime="2026-12-01T18:15:00Z"' in html


def test_the_status_history_and_audit_entry_show_local_times(site: Site) -> None:
    item = visible(site.get("member", f"/items/{site.item_id}", "fr"))
    assert SHORT["fr"] in item  # "Lu · dr.martin… · 1 déc. 2026, 19 h 15"
    index = max(
        int(i) for i in re.findall(r'data-entry="(\d+)"', site.get("auditor", "/audit", "en"))
    )
    html = site.get("auditor", f"/audit/entries/{index}", "en")
    assert LONG["en"] in visible(html)
    assert "2026-12-01T18:15:00.000Z" in html  # the raw JSON keeps its ISO time


def test_the_signed_checkpoint_shows_when_in_local_time(site: Site) -> None:
    """It said "Signed at (UTC) 2026-12-01T18:15:00.000Z"."""
    site.client.app.state.vault.checkpointing.issue_now(site.world.env)  # type: ignore[attr-defined]
    for language, label in (("fr", "Signé le"), ("en", "Signed at")):
        text = visible(site.get("auditor", "/audit", language))
        assert f"{label} {LONG[language]}" in text
        assert not ISO.search(text)


def test_the_activity_charts_name_days_in_the_readers_language(site: Site) -> None:
    """The axis said "11-02", "11-09"…; now "2 nov.", "9 nov."… (and "2 Nov" in English)."""
    fr = site.get("auditor", "/audit/activity", "fr")
    assert not re.search(r">\d\d-\d\d<", fr)
    assert re.search(r">\d{1,2}\u00a0(nov\.|déc\.)<", fr)
    en = site.get("auditor", "/audit/activity", "en")
    assert re.search(r">\d{1,2}\u00a0(Nov|Dec)<", en)
    assert "<title>1\u00a0Dec\u00a02026 · " in en  # a bar's tooltip


def test_an_overseas_practice_reads_its_own_zone(world: World, vault: Vault) -> None:
    """``timezone = "America/Martinique"``: 18:15 UTC is 14:15 there."""
    overseas = replace(vault.env.settings, timezone="America/Martinique")
    world.clock.at = DEPOSITED
    app = create_app(vault.with_env(now=world.clock, settings=overseas))
    with TestClient(app, raise_server_exceptions=False) as c:
        token, _ = session_for(world.env, world.member)
        c.cookies.set(COOKIE, token)
        page = c.get("/account", headers={"accept-language": "fr"})
    assert "1 déc. 2026, 14 h 15" in visible(page.text)
    assert '<meta name="practice-timezone" content="America/Martinique">' in page.text


@pytest.mark.parametrize(("role", "path"), [("member", "/account"), ("member", "/inbox")])
def test_a_labels_colon_is_written_the_french_way_in_french(
    site: Site, role: str, path: str
) -> None:
    """ "Nom d'utilisateur :" with a no-break space in French; "Username:" in English."""
    french = site.get(role, path, "fr")
    english = site.get(role, path, "en")
    text = re.sub(r"<[^>]+>", "", french.split("<body", 1)[1])
    glued = re.findall(r"\w+: ", text)  # "cabinet: " (a time is 19:15, a URL https://)
    assert glued == []
    assert re.findall(r"\w\u00a0:", re.sub(r"<[^>]+>", "", english)) == []
