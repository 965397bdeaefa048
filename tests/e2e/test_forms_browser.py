"""Issue 15's form machinery in real Chromium through uvicorn: a member makes a form template
from the built-in record in the instructions editor (a field of every type, one moved up,
previewed) and saves it, encrypted under the team key; the assigned secretary fills it in on
her desk, a canary in every field; the member sees the form in the inbox row and on the item
page, changes the template (version 2) and the form still renders with the version it was
filled in; the records page shows it, finds it and exports it as CSV made in the browser.
Then the canaries occur nowhere on the server side: a decrypted dump of the database, the
blob directory, the server's logs, every request line, header and body it received."""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from cli.main import main
from tests.blobfiles import stored_files
from tests.browser.conftest import chromium  # noqa: F401 - fixture
from tests.e2e.desk_site import (  # noqa: F401 - fixture
    MEMBER,
    SECRETARY,
    DeskSite,
    desk_site,
)
from tests.e2e.page_checks import axe_violations
from vault.storage.datadir import database_key
from vault.storage.store import connect

CANARY = "CANARY-fm8Qz3"
# Values a canary string cannot be typed into (numbers, amounts, dates): distinctive ones.
NUMBER, MONEY, DATE = "7319864,5", "86420,13", "1913-04-27"
NUMBER_STORED, MONEY_STORED = "7319864.5", "86420.13"
EDITOR = "[data-template-editor]"
FILLER = "#form-filler"


@pytest.fixture
def debug_logs() -> Iterator[None]:
    root = logging.getLogger()
    old = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.setLevel(old)


def _c(text: str) -> str:
    return f"{text} {CANARY}"


def _field(page: Page, n: int) -> str:
    return f"{EDITOR} [data-fields] > [data-field-row]:nth-child({n})"


def _add_field(page: Page, label: str, kind: str) -> str:
    page.click(f"{EDITOR} [data-edit=add-field]")
    n = page.locator(f"{EDITOR} [data-fields] > [data-field-row]").count()
    row = _field(page, n)
    # The new field's label has the focus.
    assert page.evaluate("document.activeElement.dataset.prop") == "label"
    page.fill(f"{row} > div > [data-prop=label]", label)
    page.select_option(f"{row} > div > [data-prop=type]", kind)
    return row


def _save_template(page: Page) -> None:
    before = page.get_attribute(EDITOR, "data-saved")
    page.click(f"{EDITOR} button[type=submit]")
    page.wait_for_function(
        "([sel, before]) => { const f = document.querySelector(sel);"
        " return f.dataset.saved && f.dataset.saved !== before; }",
        arg=[EDITOR, before],
        timeout=30_000,
    )
    assert page.inner_text(f"{EDITOR} [data-error]") == ""


def _make_template(page: Page, base_url: str) -> str:
    page.goto(f"{base_url}/practice/instructions")
    try:
        page.wait_for_selector("[data-form-templates][data-ready=true]", timeout=30_000)
    except Exception:
        print(
            "DEBUG",
            page.inner_text("[data-form-templates]"),
            page.inner_text("#instructions [data-page-error]"),
            page.evaluate("window.__errs || null"),
        )
        raise
    page.select_option("[data-new-template] select", "record")
    page.click("[data-new-template] button[type=submit]")
    page.fill(f"{EDITOR} [data-prop=name]", _c("Fiche patient"))
    first = _field(page, 1)
    page.fill(f"{first} > div > [data-prop=label]", _c("Nom"))
    _add_field(page, _c("Poids"), "number")
    _add_field(page, _c("Acompte"), "money")
    _add_field(page, _c("Heure"), "time")
    row = _add_field(page, _c("Mutuelle"), "choice")
    page.fill(f"{row} > div > [data-prop=choices]", f"{_c('MGEN')}\nAutre")
    _add_field(page, _c("Allergie"), "yes_no")
    row = _add_field(page, _c("Médicaments"), "table")
    page.click(f"{row} [data-edit=add-column]")
    page.fill(f"{row} [data-column-row]:nth-child(1) [data-prop=label]", _c("Médicament"))
    page.click(f"{row} [data-edit=add-column]")
    page.fill(f"{row} [data-column-row]:nth-child(2) [data-prop=label]", _c("Dose"))
    page.select_option(f"{row} [data-column-row]:nth-child(2) [data-prop=type]", "number")
    # Reorder: "Allergie" (the 12th field) moves up above "Mutuelle"; the focus follows it.
    count = page.locator(f"{EDITOR} [data-fields] > [data-field-row]").count()
    assert count == 13
    page.click(f"{_field(page, 12)} > .row-actions > [data-edit=up]")
    assert page.input_value(f"{_field(page, 11)} > div > [data-prop=label]") == _c("Allergie")
    assert page.evaluate("document.activeElement.dataset.edit") == "up"
    # The preview shows the fields as the secretary will see them, in that order.
    preview = page.locator("[data-preview-fields] [data-form-field]")
    labels = [preview.nth(i).get_attribute("data-form-field") for i in range(preview.count())]
    assert labels[0] == "last_name" and len(labels) == 13
    assert page.locator("[data-preview-fields]").get_by_text(_c("Allergie")).count() == 1
    assert axe_violations(page) == []
    _save_template(page)
    assert "version 1" in page.inner_text(f"{EDITOR} [data-status]")
    template_id = page.get_attribute("[data-template-list] li", "data-template-id")
    assert template_id
    return template_id


def _fill_form(page: Page, base_url: str, practice_id: str) -> str:
    page.goto(f"{base_url}/desk#practice={practice_id}")
    page.wait_for_selector(f"{FILLER}[data-ready=true]", timeout=30_000)
    filler = page.locator(FILLER)
    assert filler.is_visible()
    filler.get_by_label(_c("Nom") + " *").fill(_c('Lefèvre; "Jeanne"'))
    filler.get_by_label("Prénom").fill(_c("Jeanne"))
    filler.get_by_label("Date de naissance").fill(DATE)
    filler.get_by_label("Téléphone").fill(_c("06 12 34 56 78"))
    filler.get_by_label("E-mail").fill(_c("jeanne@example.org"))
    filler.get_by_label("Adresse").fill(_c("3 rue des Lilas"))
    filler.get_by_label("Remarques").fill(_c("Rappeler avant midi"))
    filler.get_by_label(_c("Poids")).fill(NUMBER)
    filler.get_by_label(_c("Acompte")).fill(MONEY)
    filler.get_by_label(_c("Heure")).fill("14:45")
    filler.get_by_label(_c("Mutuelle")).select_option(_c("MGEN"))
    filler.get_by_role("radio", name="Oui").check()
    filler.get_by_role("button", name="Ajouter une ligne").click()
    filler.get_by_label(f"{_c('Médicament')}, ligne 1").fill(_c("Doliprane"))
    filler.get_by_label(f"{_c('Dose')}, ligne 1").fill("trois")
    page.click(f"{FILLER} button[type=submit]")
    # A dose that is not a number is refused beside its cell, before anything is sealed.
    assert "n'est pas un nombre" in page.inner_text(
        f"{FILLER} [data-field-type=table] [data-field-error]"
    )
    assert page.get_attribute(f"{FILLER} form", "data-deposited") is None
    filler.get_by_label(f"{_c('Dose')}, ligne 1").fill("2,5")
    page.click(f"{FILLER} button[type=submit]")
    page.wait_for_function(
        "sel => document.querySelector(sel).dataset.deposited", arg=f"{FILLER} form", timeout=30_000
    )
    assert "déposé" in page.inner_text(f"{FILLER} form [data-status]")
    return str(page.get_attribute(f"{FILLER} form", "data-deposited"))


def _dump(site: DeskSite) -> list[bytes]:
    conn = connect(site.settings.layout.database, database_key(site.settings))
    out: list[bytes] = []
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - schema names
                out.extend(v if isinstance(v, bytes) else str(v).encode() for v in row)
    finally:
        conn.close()
    return out


def _cli(
    site: DeskSite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    """``permanence fetch …`` as the member, in this process; a fresh TOTP step each time."""
    monkeypatch.setenv("PERMANENCE_PASSWORD", site.passwords[MEMBER])
    for _ in range(3):
        capsys.readouterr()
        code = main(
            [
                "fetch",
                "--url",
                site.base_url,
                "--username",
                MEMBER,
                "--code",
                site.next_code(MEMBER),
                *args,
            ]
        )
        out, err = capsys.readouterr()
        if "code" not in err:  # a step an earlier sign-in used: wait for the next one
            return code, out
        time.sleep(31)
    raise AssertionError(err)


def test_a_form_from_template_to_records_and_the_canary_stays_encrypted(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
    debug_logs: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site = desk_site
    member = site.page(chromium, MEMBER)
    member.goto(f"{site.base_url}/language/fr?next=/account")
    template_id = _make_template(member, site.base_url)

    sec = site.page(chromium, SECRETARY)
    sec.goto(f"{site.base_url}/language/fr?next=/account")
    item_id = _fill_form(sec, site.base_url, site.practice_id)
    (kind, stored_template) = site.env.db.read(
        lambda c: c.execute(
            "SELECT kind, form_template_id FROM item WHERE id = ?", (item_id,)
        ).fetchone()
    )
    assert (kind, stored_template) == ("form", template_id)

    # The inbox row: the template's name and the first values, decrypted in the browser.
    member.goto(f"{site.base_url}/inbox")
    member.wait_for_selector(f"[data-item-id='{item_id}'][data-essentials=shown]", timeout=30_000)
    # At once from the signed body alone; then, the templates opened, in the version's order.
    member.wait_for_function(
        "id => document.querySelector(`[data-item-id='${id}'] .row-form`)"
        ".textContent.includes('Lefèvre')",
        arg=item_id,
        timeout=30_000,
    )
    row = member.inner_text(f"[data-item-id='{item_id}'] .row-form")
    assert row.startswith(_c("Fiche patient") + " — ") and "Lefèvre" in row

    # The item page: every field with its label, as signed.
    member.goto(f"{site.base_url}/items/{item_id}")
    member.wait_for_selector("#item[data-decrypted=true]", timeout=30_000)
    group = "[data-fields-for=form]"
    assert member.get_attribute(group, "data-form-rendered") == "version"
    shown = member.inner_text(group)
    for expected in (
        _c("Nom"),
        _c('Lefèvre; "Jeanne"'),
        "7319864,5",
        "86420,13\u00a0€",
        "27 avril 1913",
        "14\u00a0h\u00a045",
        _c("MGEN"),
        "oui",
        _c("Doliprane"),
        "2,5",
    ):
        assert expected in shown, expected
    assert member.locator("[data-form-template-mismatch]").count() == 0
    assert axe_violations(member) == []

    # The template changes (version 2): the form still shows the labels it was filled with.
    member.goto(f"{site.base_url}/practice/instructions")
    member.wait_for_selector("[data-form-templates][data-ready=true]", timeout=30_000)
    member.click(f"[data-edit-template='{template_id}']")
    member.fill(f"{_field(member, 1)} > div > [data-prop=label]", "Nom de famille")
    _save_template(member)
    assert "version 2" in member.inner_text(f"{EDITOR} [data-status]")
    member.goto(f"{site.base_url}/items/{item_id}")
    member.wait_for_selector("#item[data-decrypted=true]", timeout=30_000)
    assert _c("Nom") in member.inner_text(group)
    assert "Nom de famille" not in member.inner_text(group)
    assert member.get_attribute(group + " .form-title", "data-form-version") == "1"

    # Records: the table, a search in the browser, the CSV made in the browser.
    member.goto(f"{site.base_url}/practice/records#template={template_id}")
    member.wait_for_selector("#records[data-ready=true]", timeout=60_000)
    assert member.locator("[data-records-table] tbody tr").count() == 1
    member.fill("[data-records-search]", "lefevre jeanne")
    assert member.get_attribute("#records", "data-visible") == "1"
    member.fill("[data-records-search]", "lefevre introuvable")
    assert member.get_attribute("#records", "data-visible") == "0"
    member.fill("[data-records-search]", "")
    assert axe_violations(member) == []
    member.click("[data-records-export]")
    with member.expect_download() as download:
        member.click("[data-records-save]")
    assert download.value.suggested_filename.endswith(".csv")
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, record = table
    assert header[0] == "Nom de famille"  # the last version's label
    assert record[0] == _c('Lefèvre; "Jeanne"')
    assert _c("Doliprane") + " | 2,5" in record
    assert "27/04/1913" in record and "7319864,5" in record and "86420,13" in record

    # ``permanence fetch`` decrypts here too: the records as the very same CSV bytes, the form
    # as JSON with the labels of the version it names.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    code, out = _cli(site, monkeypatch, capsys, "--records", template_id, "--out", str(tmp_path))
    assert code == 0, out
    assert (tmp_path / f"records-{template_id}.csv").read_bytes() == data
    code, out = _cli(site, monkeypatch, capsys, "--item", item_id)
    assert code == 0
    exported = json.loads(out[out.index("{") :])
    assert exported["template_version"] == 1 and exported["template_found"] is True
    fields = {f["label"]: f["value"] for f in exported["fields"]}
    assert fields[_c("Nom")] == _c('Lefèvre; "Jeanne"')
    assert fields[_c("Acompte")] == MONEY_STORED

    # Nothing of it reached the server in clear.
    needles = [CANARY.encode(), NUMBER_STORED.encode(), MONEY_STORED.encode(), DATE.encode()]
    values = _dump(site)
    assert any(template_id.encode() in v for v in values), "the dump holds the form's row"
    for needle in needles:
        assert not [v[:80] for v in values if needle in v], needle
        assert not [b[:80] for b in stored_files(site.settings) if needle in b], needle
        assert not [b[:80] for b in site.recorder.bodies if needle in b], needle
    assert len(site.recorder.bodies) > 5
    assert site.requests is not None
    assert not [x for x in site.requests.lines + site.requests.headers if CANARY in x]
    # Every record of the root logger at DEBUG (the server's loggers propagate to it).
    assert not [line for line in site.logs.lines if CANARY in line or NUMBER_STORED in line]
    assert not site.errors(member) and not site.errors(sec)

    # The server files the form under another template: the page warns, shows the signed one.
    other = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    site.env.db.write(
        lambda c: c.execute("UPDATE item SET form_template_id = ? WHERE id = ?", (other, item_id))
    )
    member.goto(f"{site.base_url}/items/{item_id}")
    member.wait_for_selector("#item[data-decrypted=true]", timeout=30_000)
    warning = member.inner_text("[data-form-template-mismatch]")
    assert other in warning and template_id in warning
    assert _c('Lefèvre; "Jeanne"') in member.inner_text(group)
