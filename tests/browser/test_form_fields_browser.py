"""The form machinery's DOM modules in real Chromium (web/static/js/app/forms/fields.js and
view.js): a built-in template rendered as fields, typed into as a person would, lines added
and removed, values collected in canonical form with the problems marked on their fields,
and the values rendered read-only; axe-core clean at phone and desktop widths."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Browser
from starlette.types import ASGIApp

from tests.e2e.page_checks import axe_violations, overflow

RENDER = """async ([origin, lang]) => {
  const forms = await import("/static/js/app/forms/index.js");
  const version = { version: 1, ...forms.builtinVersion(origin, lang) };
  window.__version = version;
  window.__forms = forms;
  forms.renderFields(document.getElementById("fields"), version);
  return version.fields.map((f) => f.id);
}"""

COLLECT = """() => {
  const box = document.getElementById("fields");
  const result = window.__forms.collectValues(box, window.__version);
  const problems = result.problems.map(
    (p) => [p.field, p.row ?? null, p.column ?? null, p.message.fr],
  );
  return { values: result.values, problems };
}"""


def test_an_order_form_is_filled_checked_and_shown(
    chromium: Browser, serve: Callable[[ASGIApp], str], crypto_site: str
) -> None:
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.goto(f"{crypto_site}/pages/forms.html")
        ids = page.evaluate(RENDER, ["order", "fr"])
        assert ids == ["supplier", "lines", "delivery_address", "delivery_date", "notes"]
        # Nothing typed: the required supplier and the table's lines are named.
        result = page.evaluate(COLLECT)
        assert [p[0] for p in result["problems"]] == ["supplier", "lines"]
        assert page.locator("#fields [aria-invalid=true]").count() == 2
        assert page.evaluate("document.activeElement.name").endswith("-supplier")
        assert (
            "obligatoire"
            in page.locator("[data-form-field=supplier] [data-field-error]").inner_text()
        )

        page.get_by_label("Fournisseur *").fill('Médical; "Paris"')
        page.get_by_role("button", name="Ajouter une ligne").click()
        page.get_by_role("button", name="Ajouter une ligne").click()
        page.get_by_role("button", name="Ajouter une ligne").click()
        assert page.locator("[data-form-field=lines] tbody tr").count() == 3
        page.get_by_label("Désignation *, ligne 1").fill("Gants")
        page.get_by_label("Quantité *, ligne 1").fill("3")
        page.get_by_label("Prix unitaire HT, ligne 1").fill("12,5")
        page.get_by_label("Désignation *, ligne 2").fill("à retirer")
        page.get_by_label("Désignation *, ligne 3").fill("Masques")
        page.get_by_label("Quantité *, ligne 3").fill("deux")
        # Removing line 2 renumbers the others' labels.
        page.get_by_role("button", name="Retirer\u00a0: ligne 2").click()
        assert page.locator("[data-form-field=lines] tbody tr").count() == 2
        page.get_by_label("Date de livraison souhaitée").fill("2026-12-24")
        result = page.evaluate(COLLECT)
        assert result["problems"] == [
            [
                "lines",
                1,
                "quantity",
                "« Lignes », ligne 2, « Quantité » n'est pas un nombre (par exemple 12,5).",
            ]
        ]
        assert page.get_by_label("Quantité *, ligne 2").get_attribute("aria-invalid") == "true"
        page.get_by_label("Quantité *, ligne 2").fill("2,50")
        result = page.evaluate(COLLECT)
        assert result["problems"] == []
        assert result["values"] == {
            "supplier": 'Médical; "Paris"',
            "lines": [
                {
                    "reference": "",
                    "label": "Gants",
                    "quantity": "3",
                    "unit_price": "12.50",
                    "vat_rate": "",
                },
                {
                    "reference": "",
                    "label": "Masques",
                    "quantity": "2.5",
                    "unit_price": "",
                    "vat_rate": "",
                },
            ],
            "delivery_address": "",
            "delivery_date": "2026-12-24",
            "notes": "",
        }
        assert page.locator("#fields [aria-invalid]").count() == 0
        assert axe_violations(page) == []
        assert overflow(page) == []

        # Read-only: the values as the practice reads them.
        shown = page.evaluate(
            """(values) => {
              const f = window.__forms;
              const id = "0f8fad5b-d9cb-469f-a165-70867728950e";
              const template = { id, versions: [window.__version] };
              const body = f.formBody(template, window.__version, values);
              f.renderForm(document.getElementById("view"), body, { templates: [template] });
              return document.getElementById("view").innerText;
            }""",
            result["values"],
        )
        assert "Bon de commande" in shown
        assert "12,50\u00a0€" in shown
        assert "24 décembre 2026" in shown
        assert "2,5" in shown
        assert axe_violations(page) == []
        page.set_viewport_size({"width": 1366, "height": 768})
        assert axe_violations(page) == []
    finally:
        context.close()


def test_every_field_type_renders_and_reads_back(
    chromium: Browser, serve: Callable[[ASGIApp], str], crypto_site: str
) -> None:
    page = chromium.new_page()
    try:
        page.goto(f"{crypto_site}/pages/forms.html")
        page.evaluate(RENDER, ["appointment", "fr"])
        values = {
            "person": "Mme Lefèvre",
            "contact": "06 12 34 56 78",
            "practitioner": "Dr Martin",
            "date": "2026-12-03",
            "time": "14:30",
            "duration": "30",
            "reason": "Contrôle",
            "visit": "Suivi",
        }
        page.evaluate(
            "(values) => window.__forms.fillFields("
            "document.getElementById('fields'), window.__version, values)",
            values,
        )
        result = page.evaluate(COLLECT)
        assert result == {"values": values, "problems": []}
        page.get_by_label("Type de visite").select_option("Première visite")
        # A yes/no field, rendered from a template of the editor's.
        answer = page.evaluate(
            """() => {
              const f = window.__forms;
              const field = { id: "ok", label: "D'accord", type: "yes_no", required: true };
              const fields = [f.normaliseField(field)];
              const v = { version: 1, name: "x", description: "", fields };
              const box = document.getElementById("fields");
              f.renderFields(box, v);
              const before = f.collectValues(box, v, { focus: false }).problems.length;
              box.querySelector("input[value=no]").click();
              return [before, f.collectValues(box, v).values];
            }"""
        )
        assert answer == [1, {"ok": "no"}]
        assert axe_violations(page) == []
    finally:
        page.close()
