"""Acceptance, in real Chromium through uvicorn: deposit, read, download, preview, handle.

A secretary deposits an urgent call note with one canary string in every free field
and a 20 MiB CSV holding the canary (its upload survives a dropped connection); the
practice member sees the urgent note first, reads it (signature verified), downloads the
CSV byte-identical, previews it (a formula-looking cell stays inert text), marks the
note handled; the secretary then sees "handled". Afterwards the canary occurs nowhere
in a decrypted dump of the database, the blob directory, the server's logs or any
request body the server received.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

from tests.backends import table_names
from tests.browser.conftest import _CSP_LISTENER, chromium  # noqa: F401 - fixture
from tests.e2e.conftest import ARRANGE, new_vault, start_server
from tests.e2e.deposit_site import PRACTICE, Site, _Logs, _Recorder
from vault.env import Principal
from vault.identity import accounts, practices
from vault.identity.roles import Role
from web.app import create_app

CANARY = "CANARY-Zq81xW"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    sock, settings, vault = new_vault(tmp_path)
    env = vault.env
    db = env.db
    base_url = settings.base_url
    logs = _Logs()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(logs)
    root.setLevel(logging.DEBUG)
    recorder = _Recorder(create_app(vault))
    server, thread = start_server(recorder, sock)
    try:
        yield Site(base_url, settings, env, recorder, logs)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        db.close()
        root.removeHandler(logs)
        root.setLevel(old_level)


def _context(chromium: Browser) -> BrowserContext:  # noqa: F811 - the fixture's value
    context = chromium.new_context(accept_downloads=True)
    context.add_init_script(_CSP_LISTENER)
    return context


def _sign_in(page: Page, site: Site, username: str) -> None:
    page.goto(site.base_url + "/login")
    page.fill("input[name=username]", username)
    page.fill("#password", site.passwords[username])
    page.fill("input[name=code]", site.next_code(username))
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)


def _csv(path: Path) -> bytes:
    header = b"patient;date;amount;comment\n"
    row = b"Martin Paul;2026-11-27;42.50;consultation de suivi sans particularite\n"
    special = f'{CANARY};2026-11-28;=HYPERLINK("http://x");{CANARY}\n'.encode()
    data = header + special + row * ((20 * 1024 * 1024) // len(row))
    path.write_bytes(data)
    return data


def _assert_clean(page: Page) -> None:
    assert page.evaluate("window.__cspViolations") == []


def test_deposit_read_download_handle_in_chromium_and_the_canary_stays_encrypted(
    site: Site,
    chromium: Browser,  # noqa: F811 - fixture
    tmp_path: Path,
) -> None:
    site.enrol(Role.MEMBER, "dr.canari@example.org", PRACTICE)
    secretary_id = site.enrol(Role.SECRETARY, "sophie")
    admin_id = accounts.invite(
        site.env, ARRANGE, None, username="root", display_name="Root", role=Role.ADMIN
    ).account_id
    practice_id = site.env.db.read(
        lambda c: c.execute("SELECT id FROM practice WHERE name = ?", (PRACTICE,)).fetchone()[0]
    )
    practices.set_assignment(
        site.env, ARRANGE, Principal(admin_id, "root", Role.ADMIN), secretary_id, practice_id, True
    )
    csv_bytes = _csv(tmp_path / "extract.csv")

    # The secretary: a normal message, then the urgent call note, then the 20 MiB extract.
    sec_context = _context(chromium)
    sec = sec_context.new_page()
    _sign_in(sec, site, "sophie")
    sec.goto(site.base_url + "/workspace")
    sec.click(f"a[href='/workspace/{practice_id}']")
    sec.wait_for_selector("#deposit")
    sec.fill("#message-form input[name=subject]", "Commande de fournitures")
    sec.fill("#message-form textarea[name=text]", "Livraison prévue jeudi.")
    sec.click("#message-form button[type=submit]")
    sec.wait_for_selector("#message-form[data-deposited]", timeout=30_000)

    sec.click("[data-timer-start]")
    sec.fill("#call-note-form input[name=caller_name]", f"Jeanne {CANARY}")
    sec.check("#call-note-form input[value=third_party]")
    sec.fill("#call-note-form input[name=callback_number]", f"0612 {CANARY}")
    sec.fill("#call-note-form input[name=reason]", f"Douleur thoracique {CANARY}")
    sec.check("#call-note-form input[name=urgency][value=urgent]")
    sec.fill("#call-note-form input[name=best_time]", f"avant midi {CANARY}")
    sec.fill("#call-note-form textarea[name=notes]", f"Rappeler vite {CANARY}")
    sec.wait_for_timeout(1100)
    sec.click("[data-timer-stop]")
    sec.click("#call-note-form button[type=submit]")
    sec.wait_for_selector("#call-note-form[data-deposited]", timeout=30_000)
    note_id = sec.get_attribute("#call-note-form", "data-deposited")

    dropped: list[str] = []

    def drop_first_part(route: Route) -> None:
        if route.request.method == "PUT" and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    sec.route("**/uploads/*/*", drop_first_part)
    sec.set_input_files("#extract-form input[name=file]", str(tmp_path / "extract.csv"))
    sec.click("#extract-form button[type=submit]")
    sec.wait_for_selector("#extract-form[data-deposited]", timeout=180_000)
    extract_id = sec.get_attribute("#extract-form", "data-deposited")
    assert dropped, "the dropped connection was simulated"
    _assert_clean(sec)

    # The member: the urgent note first; read, verified, decrypted.
    mem_context = _context(chromium)
    mem = mem_context.new_page()
    _sign_in(mem, site, "dr.canari@example.org")
    mem.goto(site.base_url + "/inbox")
    rows = mem.locator("[data-item-row]")
    assert rows.count() == 3
    assert rows.first.get_attribute("data-item-id") == note_id
    assert rows.first.get_attribute("data-urgency") == "urgent"
    rows.first.locator("a[data-open-link]").click()
    mem.wait_for_selector("#item[data-decrypted=true]", timeout=30_000)
    for name in ("caller_name", "callback_number", "reason", "best_time", "notes"):
        assert CANARY in mem.inner_text(f"[data-field={name}]")
    assert mem.get_attribute("[data-signature-state]", "data-verified") == "true"
    assert mem.inner_text("[data-field=call_seconds]").endswith("\u00a0s")  # "4 min 05 s"

    # The extract: downloaded, decrypted, byte-identical, previewed.
    mem.goto(f"{site.base_url}/items/{extract_id}")
    mem.wait_for_selector("#item[data-decrypted=true]", timeout=30_000)
    mem.click("[data-download]")
    mem.wait_for_selector("[data-download-status][data-done=true]", timeout=180_000)
    with mem.expect_download() as download_info:
        mem.click("[data-save]")
    saved = tmp_path / "downloaded.csv"
    download_info.value.save_as(saved)
    assert saved.read_bytes() == csv_bytes
    cells = mem.locator("[data-preview-table] td")
    assert CANARY in cells.first.inner_text()
    formula = mem.locator("[data-preview-table] td[data-formula=inert]")
    assert formula.first.inner_text() == '=HYPERLINK("http://x")'
    assert mem.locator("[data-preview-table] a").count() == 0

    # Handled, and the secretary sees it.
    mem.goto(f"{site.base_url}/items/{note_id}")
    mem.wait_for_selector("#item[data-decrypted=true]", timeout=30_000)
    mem.click("[data-mark-handled]")
    mem.wait_for_selector("#item-status[data-status=handled]")
    _assert_clean(mem)
    sec.unroute("**/uploads/*/*")
    sec.goto(site.base_url + "/workspace/deposits")
    assert (
        sec.get_attribute(f"tr[data-item-id='{note_id}'] td[data-status-cell]", "data-status-cell")
        == "handled"
    )
    sec_context.close()
    mem_context.close()

    # The canary is nowhere the server could have kept it.
    needle = CANARY.encode()

    def dump(conn: object) -> list[bytes]:
        out = []
        tables = table_names(conn)  # type: ignore[arg-type]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # type: ignore[attr-defined]  # noqa: S608 - table names from the schema
                for value in row:
                    out.append(value if isinstance(value, bytes) else str(value).encode())
        return out

    assert not any(needle in value for value in site.env.db.read(dump))
    blob_files = [p for p in site.settings.layout.blobs_dir.rglob("*") if p.is_file()]
    assert blob_files, "the extract's blob is on disk"
    assert not any(needle in p.read_bytes() for p in blob_files)
    assert not any(CANARY in line for line in site.logs.lines)
    assert sum(len(b) for b in site.recorder.bodies) > 20 * 1024 * 1024
    assert not any(needle in body for body in site.recorder.bodies)
