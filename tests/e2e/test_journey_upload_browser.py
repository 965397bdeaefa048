"""Extract upload defects of issue 12, in real Chromium against the real app under uvicorn.

The vault accepts files up to 3 MiB here. A secretary uploads a first file (the bar
reaches 100 %); while a second one is on its way — its first part held back by the
test — the bar starts again from 0 and leaving the page asks first (a real
``beforeunload`` dialog, dismissed: the page stays); once it is deposited, leaving
asks nothing. A 4 MiB file is refused before anything is sent, with both sizes stated
in French ("4 Mio", "3 Mio").
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, Route, expect

from tests.browser.conftest import _CSP_LISTENER
from tests.e2e.conftest import ARRANGE, start_server
from tests.e2e.deposit_site import PRACTICE, Site, _Logs, _Recorder
from tests.factories import open_test_vault
from vault.env import Principal
from vault.identity import accounts, practices
from vault.identity.roles import Role
from vault.settings import MIB, Settings
from vault.storage.datadir import initialise
from web.app import create_app

LIMIT = 3 * MIB


@pytest.fixture
def small_site(tmp_path: Path) -> Iterator[Site]:
    """A live vault that accepts files of at most 3 MiB."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = replace(
        Settings(data_dir=tmp_path / "data"),
        port=port,
        base_url=f"http://127.0.0.1:{port}",
        upload_limit_bytes=LIMIT,
    )
    initialise(settings)
    vault = open_test_vault(settings)
    recorder = _Recorder(create_app(vault))
    server, thread = start_server(recorder, sock)
    try:
        yield Site(settings.base_url, settings, vault.env, recorder, _Logs())
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        vault.db.close()


def _deposit_page(site: Site, page: Page) -> None:
    site.enrol(Role.MEMBER, "dr.lambert", PRACTICE)
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
    page.goto(site.base_url + "/login")
    page.fill("input[name=username]", "sophie")
    page.fill("#password", site.passwords["sophie"])
    page.fill("input[name=code]", site.next_code("sophie"))
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
    page.goto(f"{site.base_url}/workspace/{practice_id}")
    page.wait_for_selector("#deposit")


def _page(chromium: Browser) -> Page:
    context = chromium.new_context(locale="fr-FR")
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def test_upload_progress_restarts_and_leaving_during_an_upload_asks_first(
    small_site: Site, chromium: Browser, tmp_path: Path
) -> None:
    site = small_site
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_bytes(b"a;b\n" * (MIB // 4))
    second.write_bytes(b"c;d\n" * (MIB // 2))
    page = _page(chromium)
    try:
        _deposit_page(site, page)
        progress = page.locator("#extract-form [data-progress]")

        page.set_input_files("#extract-form input[name=file]", str(first))
        page.click("#extract-form button[type=submit]")
        page.wait_for_selector("#extract-form[data-deposited]")
        assert progress.evaluate("p => p.value") == 100
        first_id = page.get_attribute("#extract-form", "data-deposited")

        held: list[Route] = []

        def hold(route: Route) -> None:
            held.append(route)

        page.route("**/uploads/*/*", hold)
        page.set_input_files("#extract-form input[name=file]", str(second))
        page.click("#extract-form button[type=submit]")
        for _ in range(600):  # the first part of the second file reaches the route
            if held:
                break
            page.wait_for_timeout(50)
        assert held
        assert progress.evaluate("p => p.value") == 0  # not the first file's 100 %

        dialogs: list[str] = []

        def dismiss(dialog: Dialog) -> None:
            dialogs.append(dialog.type)
            dialog.dismiss()

        page.on("dialog", dismiss)
        page.click("a[href='/account']")  # leaving in the middle of the upload
        page.wait_for_timeout(500)
        assert dialogs == ["beforeunload"]
        assert "/workspace/" in page.url
        expect(page.locator("#deposit")).to_be_visible()

        for route in held:
            route.continue_()
        page.unroute("**/uploads/*/*")
        page.wait_for_function(
            "(first) => document.getElementById('extract-form').dataset.deposited !== first",
            arg=first_id,
        )
        assert progress.evaluate("p => p.value") == 100

        page.click("a[href='/account']")  # no upload running: leaving asks nothing
        page.wait_for_url("**/account")
        assert dialogs == ["beforeunload"]
        assert page.evaluate("window.__cspViolations") == []
    finally:
        page.context.close()


def test_a_file_over_the_limit_is_refused_with_both_sizes_stated(
    small_site: Site, chromium: Browser, tmp_path: Path
) -> None:
    site = small_site
    big = tmp_path / "big.csv"
    big.write_bytes(b"e;f\n" * MIB)
    page = _page(chromium)
    try:
        _deposit_page(site, page)
        progress = page.locator("#extract-form [data-progress]")
        page.set_input_files("#extract-form input[name=file]", str(big))
        puts_before = len(site.recorder.bodies)
        page.click("#extract-form button[type=submit]")
        error = page.locator("#extract-form [data-error]")
        expect(error).to_contain_text("4\u00a0Mio")
        expect(error).to_contain_text("3\u00a0Mio")
        assert progress.evaluate("p => p.value") == 0
        assert len(site.recorder.bodies) == puts_before  # refused here: nothing was sent

        assert page.evaluate("window.__cspViolations") == []
    finally:
        page.context.close()
