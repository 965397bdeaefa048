"""The command line's CSV of orders (cli/orders_export.py) is byte for byte the browser's
(web/static/js/app/order.js, run under Node), for orders whose totals float gets wrong, with
cells that need quoting, four-decimal unit prices, a bad amount, and French Excel's format."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from cli.orders_export import csv_of, read_order, totals_of

REPO = Path(__file__).parents[2]
EMITTER = REPO / "tests" / "js" / "emit_orders_csv.mjs"

ORDERS: list[dict[str, Any]] = [
    {
        "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "date": "2026-12-02",
        "status": "approuvee",
        "order": {
            "supplier": "Médical Sud\n12 rue des Lilas",
            "lines": [
                {
                    "reference": "C-1",
                    "label": "Compresses",
                    "quantity": "3",
                    "unit_price": "19.99",
                    "vat_rate": "20",
                },
                {
                    "reference": "S-5",
                    "label": "Sérum",
                    "quantity": "2",
                    "unit_price": "10.20",
                    "vat_rate": "5.5",
                },
                {
                    "reference": "",
                    "label": 'Abaisse-langue; "bois"',
                    "quantity": "26",
                    "unit_price": "0.10",
                    "vat_rate": "5.5",
                },
            ],
            "delivery_address": "Cabinet\n1 place du Marché",
            "delivery_date": "2026-12-10",
        },
    },
    {
        "id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "date": "2026-12-03",
        "status": "commandee",
        "order": {
            "supplier": " Gants & Co ",
            "lines": [
                {
                    "label": "Gants nitrile",
                    "quantity": "333",
                    "unit_price": "0.035",
                    "vat_rate": "20",
                },
                {"label": "Demi", "quantity": "1.5", "unit_price": "0.33", "vat_rate": "0"},
            ],
            "delivery_address": "",
            "delivery_date": "",
        },
    },
    {
        "id": "6fa459ea-ee8a-3ca4-894e-db77e160355e",
        "date": "2026-12-04",
        "status": "livree",
        "order": {
            "supplier": "X",
            "lines": [{"label": "?", "quantity": "1", "unit_price": "douze", "vat_rate": "20"}],
        },
    },
]


def test_three_lines_at_two_rates_are_exact_to_the_cent() -> None:
    totals = totals_of(read_order(ORDERS[0]["order"]))
    assert totals is not None
    assert [str(a) for a in totals.lines] == ["59.97", "20.40", "2.60"]
    assert (str(totals.net), str(totals.vat), str(totals.gross)) == ("82.97", "13.26", "96.23")
    assert round((10.2 * 2 + 0.1 * 26) * 0.055, 2) == 1.26  # float gets the 5,5 % VAT wrong
    assert totals_of(read_order(ORDERS[2]["order"])) is None


def test_the_command_line_writes_the_browsers_csv(node: str) -> None:
    done = subprocess.run(
        [node, str(EMITTER)],
        input=json.dumps(ORDERS).encode(),
        capture_output=True,
        check=True,
        cwd=REPO,
    )
    rows = [(o["id"], o["date"], o["status"], read_order(o["order"])) for o in ORDERS]
    ours = csv_of(rows)
    assert ours.encode() == done.stdout  # bytes: CRLF kept
    assert ours.startswith("\ufeffcommande;date;statut;")
    assert ";59,97;82,97;13,26;96,23;" in ours
    assert ";0,035;20;11,66;" in ours
    assert '"Cabinet\n1 place du Marché"' in ours
