"""Issue 15's second "Done when", in real Chromium through uvicorn and SQLCipher: the practice
keeps suppliers and a catalogue; the secretary fills an order of three lines at two VAT rates
(values binary floating point gets wrong) from her desk; the totals are exact to the cent in
her browser and in the practice's; the practice views it, approves it, and prints it: the
print-media page shows only the order form (screenshot saved), and Chromium's A4 PDF of it
is exactly one page. Nothing of the order reaches the server in clear."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.desk_site import MEMBER, SECRETARY, DeskSite, desk_site  # noqa: F401 - fixture

NBSP, NNBSP = "\u00a0", "\u202f"
SUPPLIER = "Médical Sud Canari"
PRODUCTS = [  # reference, label, unit price, VAT rate
    ("CMP-10", "Compresses stériles canari", "19,99", "20"),
    ("SER-5", "Sérum physiologique canari", "10,20", "5,5"),
]
FREE_LINE = ("", "Abaisse-langue canari", "0,10", "5,5")
SLOW = 60_000


def _until(page: Page, condition: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not page.evaluate(condition):
        assert time.monotonic() < deadline, condition
        time.sleep(0.1)


def _euros(text: str) -> str:
    """A French amount with its no-break spaces made visible for comparison."""
    return text.replace(NNBSP, "_").replace(NBSP, "~")


def _order_template(page: Page, site: DeskSite) -> None:
    """The practice copies the built-in order form into its templates (forms' modules)."""
    page.goto(site.base_url + "/practice/instructions")
    page.wait_for_selector("#instructions[data-ready=true]", state="attached", timeout=SLOW)
    page.evaluate(
        """async (practiceId) => {
          const forms = await import("/static/js/app/forms/index.js");
          const t = forms.newTemplateFrom("order", "fr");
          const { body } = forms.withEditedVersion({ templates: [] }, t.id, t.version, "order");
          await forms.saveTemplates(practiceId, null, body);
        }""",
        site.practice_id,
    )


def _catalogue(page: Page) -> None:
    """The member writes suppliers and catalogue in the instructions editor, as a person does."""
    form = page.locator("#doc-7")
    form.locator("[data-key=delivery_address]").first.fill("Cabinet Desk\n1 place du Marché")
    form.locator("[data-add=suppliers]").click()
    supplier = form.locator("[data-list=suppliers] > [data-row]").nth(0)
    supplier.locator("[data-key=name]").fill(SUPPLIER)
    supplier.locator("[data-key=address]").fill("12 rue des Lilas\n13001 Marseille")
    supplier.locator("[data-key=account]").fill("C-42")
    for n, (reference, label, price, rate) in enumerate(PRODUCTS):
        form.locator("[data-add=products]").click()
        row = form.locator("[data-list=products] > [data-row]").nth(n)
        row.locator("[data-key=reference]").fill(reference)
        row.locator("[data-key=label]").fill(label)
        row.locator("[data-key=unit_price]").fill(price)
        row.locator("[data-key=vat_rate]").fill(rate)
        row.locator("[data-key=supplier]").fill(SUPPLIER if n == 0 else "")
    # A price the editor cannot read is refused before anything is sealed, naming the product.
    bad = form.locator("[data-list=products] > [data-row]").nth(1).locator("[data-key=unit_price]")
    bad.fill("10,2,0")
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-error]")).to_contain_text("SER-5")
    assert form.get_attribute("data-saved") is None
    bad.fill(PRODUCTS[1][2])
    form.locator("button[type=submit]").click()
    expect(form).to_have_attribute("data-saved", "1", timeout=SLOW)


def _fill_order(page: Page, site: DeskSite) -> None:
    page.goto(site.base_url + "/desk/order")
    page.wait_for_selector("#order-new[data-catalogue-ready=true]", state="attached", timeout=SLOW)
    form = page.locator("#order-form")
    form.locator("[data-supplier-choice]").select_option(label=SUPPLIER)
    expect(form.locator("[data-supplier=account]")).to_have_value("C-42")
    expect(form.locator("[data-delivery-address]")).to_have_value("Cabinet Desk\n1 place du Marché")
    lines = form.locator("[data-lines] > [data-line]")
    for n, (quantity, (reference, label, _, _)) in enumerate(
        zip(("3", "2"), PRODUCTS, strict=True)
    ):
        if n > 0:
            form.locator("[data-add-line]").click()
        line = lines.nth(n)
        line.locator("[data-line-product]").select_option(label=f"{reference} — {label}")
        line.locator("[data-line-key=quantity]").fill(quantity)
    expect(lines.nth(0).locator("[data-line-key=unit_price]")).to_have_value("19,99")
    form.locator("[data-add-line]").click()
    free = lines.nth(2)
    free.locator("[data-line-key=label]").fill(FREE_LINE[1])
    free.locator("[data-line-key=quantity]").fill("26")
    free.locator("[data-line-key=unit_price]").fill(FREE_LINE[2])
    free.locator("[data-line-key=vat_rate]").fill(FREE_LINE[3])
    form.locator("[data-delivery-date]").fill("2026-12-10")
    totals = form.locator("[data-totals]")
    expect(totals.locator("[data-total=net]")).to_have_text(f"82,97{NBSP}€")
    expect(totals.locator("[data-total=vat-550]")).to_have_text(f"1,27{NBSP}€")
    expect(totals.locator("[data-total=vat-2000]")).to_have_text(f"11,99{NBSP}€")
    expect(totals.locator("[data-total=gross]")).to_have_text(f"96,23{NBSP}€")
    expect(lines.nth(0).locator("[data-line-amount]")).to_contain_text(f"59,97{NBSP}€")
    form.locator("button[type=submit]").click()
    _until(
        page,
        "document.querySelector('#order-form').dataset.deposited"
        " || document.querySelector('#order-form [data-error]').textContent",
    )
    assert form.locator("[data-error]").text_content() == ""
    expect(form.locator("[data-confirmation]")).to_contain_text(f"96,23{NBSP}€", timeout=SLOW)


def _state(site: DeskSite) -> tuple[str, str]:
    row = site.env.db.read(
        lambda c: c.execute("SELECT item_id, status FROM order_status").fetchone()
    )
    assert row is not None
    return str(row[0]), str(row[1])


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def test_an_order_is_filled_approved_and_printed_on_one_a4_page(
    chromium: Browser,
    desk_site: DeskSite,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    site = desk_site
    member = site.page(chromium, MEMBER)
    _order_template(member, site)
    _catalogue(member)

    secretary = site.page(chromium, SECRETARY)
    _fill_order(secretary, site)
    item_id, status = _state(site)
    assert status == "ordered"
    kind = site.env.db.read(
        lambda c: c.execute("SELECT kind FROM item WHERE id = ?", (item_id,)).fetchone()[0]
    )
    assert kind == "form"
    secretary.goto(site.base_url + "/workspace/deposits")
    expect(
        secretary.locator(f"tr[data-item-id='{item_id}'] [data-order-status]")
    ).to_have_attribute("data-order-status", "ordered")

    member.goto(site.base_url + "/practice/orders")
    row = member.locator(f"[data-order-row='{item_id}']")
    expect(row.locator("[data-order-total]")).to_have_text(f"96,23{NBSP}€", timeout=SLOW)
    expect(row.locator("[data-order-supplier]")).to_have_text(SUPPLIER)
    # The CSV for French Excel is made in this browser from the decrypted orders.
    member.locator("[data-export-csv]").click()
    with member.expect_download() as download:
        member.locator("[data-csv-save]").click()
    saved = tmp_path / "commandes.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "commandes.csv"
    text = saved.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffcommande;date;statut;fournisseur;")
    rows = text[1:].split("\r\n")
    assert len(rows) == 5 and rows[-1] == ""
    assert (
        f";{SUPPLIER};CMP-10;Compresses stériles canari;3;19,99;20;59,97;82,97;13,26;96,23;"
        in rows[1]
    )
    assert ";Abaisse-langue canari;26;0,10;5,5;2,60;" in rows[3]
    row.locator("a").click()
    member.wait_for_selector("#order[data-decrypted=true]", state="attached", timeout=SLOW)
    document = member.locator("[data-order-document]")
    amounts = document.locator("[data-line-amount]")
    expect(amounts).to_have_text([f"59,97{NBSP}€", f"20,40{NBSP}€", f"2,60{NBSP}€"])
    expect(document.locator("[data-total=net] td")).to_have_text(f"82,97{NBSP}€")
    expect(document.locator("[data-total='vat-5.5'] td")).to_have_text(f"1,27{NBSP}€")
    expect(document.locator("[data-total='vat-20'] td")).to_have_text(f"11,99{NBSP}€")
    expect(document.locator("[data-total=gross] td")).to_have_text(f"96,23{NBSP}€")
    expect(document.locator("[data-order-supplier]")).to_contain_text("13001 Marseille")
    shown = document.inner_text()
    assert "null" not in shown and "undefined" not in shown
    assert " :" not in shown.replace(NBSP, " ")  # English: no space before a colon
    # Every label of the printed order takes its colon ("Date: 2 Dec 2026", not "Date 2 Dec").
    head = document.locator(".order-head p").first.inner_text()
    assert re.fullmatch(rf"No\.{NBSP}[0-9A-F]{{8}} · Date: \d+{NBSP}\w+{NBSP}\d{{4}}.*", head), head
    member.locator("[data-approve]").click()
    expect(member.locator("#order")).to_have_attribute("data-status", "approved", timeout=SLOW)
    assert _state(site) == (item_id, "approved")

    # Printing: the print-media page shows the order form alone, and fits one A4 sheet.
    member.emulate_media(media="print")
    expect(member.locator(".topbar")).to_be_hidden()
    expect(member.locator("[data-approve], [data-print]").first).to_be_hidden()
    expect(document).to_be_visible()
    shot = tmp_path / "order-print.png"
    member.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    pdf = member.pdf(format="A4", print_background=True)
    assert _pdf_pages(pdf) == 1
    member.emulate_media(media="screen")

    secretary.goto(site.base_url + "/workspace/deposits")
    cell = secretary.locator(f"tr[data-item-id='{item_id}'] [data-order-status]")
    expect(cell).to_have_attribute("data-order-status", "approved")
    member.locator("[data-delivered]").click()
    expect(member.locator("#order")).to_have_attribute("data-status", "delivered", timeout=SLOW)
    assert _state(site) == (item_id, "delivered")

    # Nothing of the order or the catalogue reached the server in clear.
    for body in site.recorder.bodies:
        assert b"canari" not in body.lower()
    assert not any("canari" in line.lower() for line in site.logs.lines)
    for page in (member, secretary):
        assert site.errors(page) == []
