"""The auditor's console on the real app: filters, pages, proofs, verify, export, cosign."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from audit import note as notes
from audit.bundle import Bundle, verify_bundle
from audit.entry import Action, Actor, AuditEntry, Outcome
from audit.keys import generate_signer_key, parse_signer
from cli.client import sign_in
from tests.factories import open_test_vault
from tests.people import Person, TestClientTransport, enrol
from vault.auditing.checkpoints import load_signer
from vault.env import Env
from vault.identity.roles import Role
from vault.settings import Settings
from vault.storage.datadir import initialise
from web.app import create_app


@dataclass
class Console:
    env: Env
    client: TestClient
    auditor: Person
    member: Person


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("console") / "data", default_language="en")
    initialise(settings)
    vault = open_test_vault(settings)
    db = vault.db
    env = vault.env
    auditor = enrol(env, Role.AUDITOR, "auditor")
    member = enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    # 120 failed sign-ins by an unknown name: enough for several pages of one filter.
    for _ in range(120):
        env.db.write(
            lambda c: env.log.append(
                c,
                AuditEntry.new(
                    Action.LOGIN_FAILED, actor=Actor(name="mallory"), outcome=Outcome.DENIED
                ),
            )
        )
    app = create_app(vault)
    with TestClient(app, raise_server_exceptions=False) as client:
        transport = TestClientTransport(client)
        sign_in(transport, auditor.username, auditor.password, auditor.code())
        client.headers["x-csrf-token"] = transport.csrf
        yield Console(env, client, auditor, member)
    db.close()


def _indexes(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-entry="(\d+)"', html)]


def test_console_lists_newest_first_in_pages_of_fifty(console: Console) -> None:
    """The first page holds the 50 newest entries; "older" continues strictly below."""
    page = console.client.get("/audit")
    assert page.status_code == 200
    first = _indexes(page.text)
    assert len(first) == 50 and first == sorted(first, reverse=True)
    size = int(re.search(r"data-log-size>(\d+)<", page.text).group(1))  # type: ignore[union-attr]
    # The page view itself was recorded before the list was read.
    assert first[0] == size - 1
    before = re.search(r"before=(\d+)", page.text).group(1)  # type: ignore[union-attr]
    older = console.client.get(f"/audit?before={before}", headers={"hx-request": "true"})
    second = _indexes(older.text)
    assert "<html" not in older.text
    assert second[0] == first[-1] - 1 and len(second) == 50


def test_filters_narrow_by_account_action_outcome_and_practice(console: Console) -> None:
    """Each filter keeps exactly the entries that match it, over several pages."""
    seen: list[int] = []
    url = "/audit?account=mallory&action=login.failed&outcome=denied"
    while url:
        html = console.client.get(url, headers={"hx-request": "true"}).text
        seen += _indexes(html)
        more = re.search(r'href="(/audit\?[^"]*before=\d+)"', html)
        url = more.group(1).replace("&amp;", "&") if more else ""
    assert len(seen) == 120 == len(set(seen))
    denied_members = console.client.get("/audit?role=member&outcome=denied").text
    assert _indexes(denied_members.split("data-entries", 1)[1]) == []
    practice = console.member.practice_id
    html = console.client.get(f"/audit?practice={practice}", headers={"hx-request": "true"}).text
    assert _indexes(html) and "mallory" not in html


def test_time_range_filter_uses_local_days(console: Console) -> None:
    """A range in the past holds nothing; today's range holds today's entries."""
    assert (
        _indexes(
            console.client.get("/audit?start=2001-01-01&end=2001-01-31").text.split(
                "data-entries", 1
            )[1]
        )
        == []
    )
    # "today" in the practice's time zone, as the filter reads it (not the machine's: between
    # 23:00 and 24:00 UTC, Paris is already on the next day)
    today = console.env.now().astimezone(ZoneInfo(console.env.settings.timezone)).date().isoformat()
    html = console.client.get(f"/audit?start={today}&end={today}", headers={"hx-request": "true"})
    assert len(_indexes(html.text)) == 50


def test_bad_filter_values_are_a_clear_400(console: Console) -> None:
    assert console.client.get("/audit?start=yesterday").status_code == 400
    assert console.client.get("/audit?role=king").status_code == 400
    assert console.client.get("/audit?before=-1").status_code == 400


def test_entry_page_shows_the_entry_and_a_proof_that_checks(console: Console) -> None:
    """An entry covered by a signed checkpoint shows a proof leading to that checkpoint's root."""
    app = console.client.app
    app.state.vault.checkpointing.issue_now(console.env)  # type: ignore[attr-defined]
    page = console.client.get("/audit/entries/3")
    assert page.status_code == 200
    assert 'data-proof="ok"' in page.text
    assert "Proof of inclusion in signed checkpoint" in page.text
    assert console.client.get("/audit/entries/999999").status_code == 404
    assert console.client.get("/audit/entries/abc").status_code == 404
    proof = console.client.get("/audit/entries/3/proof")
    assert proof.text.startswith("c2sp.org/tlog-proof@v1\n")
    from audit.proof import verify_proof_file

    verifier = load_signer(console.env.settings).verifier
    verify_proof_file(proof.text, verifier)


def test_latest_checkpoint_shows_its_signature_status(console: Console) -> None:
    html = console.client.get("/audit").text
    assert 'data-signature="valid"' in html and 'data-signature="invalid"' not in html


def test_cosign_from_the_console_stores_a_verified_cosignature(console: Console) -> None:
    """A note signed offline with the auditor's key is checked and stored; a forgery is not."""
    key = parse_signer(generate_signer_key("auditor.example"))
    note = console.client.get("/audit/checkpoint").text
    body = notes.split(note)[0]
    cosigned = notes.add_signatures(note, [notes.signature(body, key)])
    forged = notes.add_signatures(note, [notes.signature("other\n1\nAAAA\n", key)])
    bad = console.client.post(
        "/audit/cosign", data={"verifier_key": str(key.verifier), "note": forged}
    )
    assert bad.status_code == 400
    ok = console.client.post(
        "/audit/cosign", data={"verifier_key": str(key.verifier), "note": cosigned}
    )
    assert ok.status_code == 200
    assert ok.text.count('data-signature="valid"') == 2


def test_verify_now_runs_in_the_background_and_records_its_outcome(console: Console) -> None:
    started = console.client.post("/audit/verify")
    assert started.status_code == 200
    run_id = re.search(r"/audit/verify/([0-9a-f]+)", started.text)
    html = started.text
    deadline = time.monotonic() + 30
    while 'data-verify="running"' in html and time.monotonic() < deadline:
        time.sleep(0.1)
        html = console.client.get(f"/audit/verify/{run_id.group(1)}").text  # type: ignore[union-attr]
    assert 'data-verify="ok"' in html
    entry = re.search(r'/audit/entries/(\d+)"', html).group(1)  # type: ignore[union-attr]
    detail = console.client.get(f"/audit/entries/{entry}").text
    assert "audit.verified" in detail


def test_export_needs_a_fresh_code_and_gives_a_bundle_that_verifies(
    console: Console, tmp_path: Path
) -> None:
    wrong = console.client.post("/audit/export", data={"code": "000000"})
    assert wrong.status_code == 403
    ready = console.client.post("/audit/export", data={"code": console.auditor.code()})
    assert ready.status_code == 200
    link = re.search(r'href="(/audit/export/[0-9a-f]+)"', ready.text).group(1)  # type: ignore[union-attr]
    download = console.client.get(link)
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    bundle = Bundle.parse(download.text)
    verifier = load_signer(console.env.settings).verifier
    report = verify_bundle(bundle, verifier)
    assert report.size == len(bundle.entries)
    actions = [json.loads(e)["action"] for e in bundle.entries]
    assert actions.count("audit.exported") == 2  # the refused attempt and this one
    assert console.client.get(link).status_code == 404  # once only


def test_activity_page_draws_svg_and_lists_alerts(console: Console) -> None:
    """Server-rendered SVG charts, no chart script, and mallory's burst as an alert with links."""
    page = console.client.get("/audit/activity?days=7")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 2 and 'data-chart="hours"' in page.text
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page.text)
    assert all("chart" not in s for s in scripts)
    burst = re.search(r'<li data-alert="login_burst">(.*?)</li>', page.text, re.S)
    assert burst is not None and "mallory" in burst.group(1)
    assert "/audit/entries/" in burst.group(1)
    assert console.client.get("/audit/activity?days=0").status_code == 400


def test_console_reads_in_french_and_english_alike(console: Console) -> None:
    """Action names are words in the reader's language, switched per request."""
    french = console.client.get("/audit?action=login.failed", headers={"accept-language": "fr"})
    english = console.client.get("/audit?action=login.failed", headers={"accept-language": "en"})
    assert "Échec de connexion" in french.text and "Failed sign-in" not in french.text
    assert "Failed sign-in" in english.text


def test_upper_case_ids_in_filters_match_the_stored_lowercase_ids(console: Console) -> None:
    """An account or practice id pasted in upper case (as some tools show UUIDs) finds the
    same entries as the stored lowercase form; before, it matched nothing."""
    member, practice = console.member.account_id, console.member.practice_id
    assert practice is not None
    for name, value in (("account", member), ("practice", practice)):
        lower = _indexes(console.client.get(f"/audit?{name}={value}", headers=HX).text)
        upper = _indexes(console.client.get(f"/audit?{name}={value.upper()}", headers=HX).text)
        assert lower and upper == lower, name


HX = {"hx-request": "true"}


def test_an_exported_bundle_ends_at_the_checkpoint_signed_for_it(
    console: Console, tmp_path: Path
) -> None:
    """Entries appended between the export's checkpoint and the download (here a console
    view) are not in the bundle: it holds exactly what its latest checkpoint covers."""
    ready = console.client.post("/audit/export", data={"code": console.auditor.code()})
    link = re.search(r'href="(/audit/export/[0-9a-f]+)"', ready.text).group(1)  # type: ignore[union-attr]
    assert console.client.get("/audit").status_code == 200  # records audit.viewed
    bundle = Bundle.parse(console.client.get(link).text)
    latest = max(bundle.checkpoints, key=lambda c: c.seq)
    size = int(notes.split(latest.note)[0].split("\n")[1])
    assert len(bundle.entries) == size
    assert json.loads(bundle.entries[-1])["action"] == "audit.exported"
    verify_bundle(bundle, load_signer(console.env.settings).verifier)


def test_the_app_refuses_to_start_with_a_changed_audit_origin(tmp_path: Path) -> None:
    """The server builds its issuer where the commands do: a setting that disagrees with the
    signing key stops start-up instead of signing checkpoints under another origin."""
    import dataclasses

    from cli.main import _serve
    from vault.errors import DataDirError

    settings = Settings(data_dir=tmp_path / "data")
    initialise(settings)
    moved = dataclasses.replace(settings, audit_origin="vault.example.com/audit")
    with pytest.raises(DataDirError, match="audit_origin"):
        _serve(moved)
