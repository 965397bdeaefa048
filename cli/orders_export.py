"""``permanence fetch --orders FILE``: every order form of the practice as CSV, decrypted here.

Each order is fetched, verified with its author's key and decrypted on this machine
(``cli/fetch_cmd.py``), its totals computed exactly with ``decimal`` (half-up per line,
VAT per rate, as the browser's ``web/static/js/app/money.js``), and written as French
Excel opens it: UTF-8 with a byte-order mark, ``;`` between cells, CRLF between rows,
decimal comma. The columns and cells are those of the browser's export (``app/order.js``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cli.client import ClientError, HttpTransport, Unlocked
from cli.known_keys import KnownKeys

COLUMNS = (
    "commande",
    "date",
    "statut",
    "fournisseur",
    "reference",
    "designation",
    "quantite",
    "prix_unitaire_ht",
    "taux_tva",
    "montant_ht",
    "total_ht",
    "total_tva",
    "total_ttc",
    "adresse_livraison",
    "date_livraison",
)
STATUS = {"ordered": "commandee", "approved": "approuvee", "delivered": "livree"}
LINE_KEYS = ("reference", "label", "quantity", "unit_price", "vat_rate")
CENT = Decimal("0.01")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?", re.ASCII)


@dataclass(frozen=True, slots=True)
class Line:
    reference: str
    label: str
    quantity: str
    unit_price: str
    vat_rate: str


@dataclass(frozen=True, slots=True)
class Order:
    supplier: str
    lines: tuple[Line, ...]
    delivery_address: str
    delivery_date: str


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def read_order(values: object) -> Order:
    """The order in a form item's values, read defensively (as ``normaliseOrder``)."""
    v: Mapping[str, Any] = values if isinstance(values, Mapping) else {}
    raw = v.get("lines")
    lines = []
    for row in raw if isinstance(raw, list) else []:
        r: Mapping[str, Any] = row if isinstance(row, Mapping) else {}
        lines.append(Line(*(_text(r.get(k)) for k in LINE_KEYS)))
    return Order(
        _text(v.get("supplier")),
        tuple(lines),
        _text(v.get("delivery_address")),
        _text(v.get("delivery_date")),
    )


def _decimal(text: str, places: int) -> Decimal | None:
    if not _DECIMAL.fullmatch(text) or len(text.partition(".")[2]) > places:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None


@dataclass(frozen=True, slots=True)
class Totals:
    lines: tuple[Decimal, ...]
    net: Decimal
    vat: Decimal
    gross: Decimal


def totals_of(order: Order) -> Totals | None:
    """Exact totals: each line rounded half-up to the cent, VAT per rate on the sum of that
    rate's lines, rounded half-up once; None when an amount does not parse."""
    amounts: list[Decimal] = []
    bases: dict[Decimal, Decimal] = {}
    for line in order.lines:
        price, quantity, rate = (
            _decimal(line.unit_price, 4),
            _decimal(line.quantity, 3),
            _decimal(line.vat_rate, 2),
        )
        if (
            price is None
            or quantity is None
            or rate is None
            or quantity < 0
            or not 0 <= rate <= 100
        ):
            return None
        amount = (price * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        amounts.append(amount)
        bases[rate] = bases.get(rate, Decimal(0)) + amount
    vat = sum(
        (
            (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            for rate, base in bases.items()
        ),
        Decimal(0),
    )
    net = sum(amounts, Decimal(0))
    return Totals(tuple(amounts), net, vat, net + vat)


def _comma(value: Decimal, minimum: int = 0) -> str:
    """``Decimal("59.97")`` → ``"59,97"``; trailing zeros dropped down to ``minimum`` places."""
    sign, whole, fraction = "-" if value < 0 else "", *f"{abs(value):f}".partition(".")[::2]
    fraction = fraction.rstrip("0").ljust(minimum, "0")
    return f"{sign}{whole}{',' if fraction else ''}{fraction}"


def _cell(value: str) -> str:
    if re.search(r'[";\r\n]', value) or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_of(rows: list[tuple[str, str, str, Order]]) -> str:
    """The CSV of (order id, local date, status, order), one row per line of each order."""
    out = [";".join(COLUMNS)]
    for order_id, date, status, order in rows:
        totals = totals_of(order)
        supplier = order.supplier.split("\n")[0].strip()
        for i, line in enumerate(order.lines):
            if totals is None:
                numbers = [line.quantity, line.unit_price, line.vat_rate, "", "", "", ""]
            else:
                numbers = [
                    _comma(Decimal(line.quantity)),
                    _comma(Decimal(line.unit_price), 2),
                    _comma(Decimal(line.vat_rate)),
                    _comma(totals.lines[i], 2),
                    _comma(totals.net, 2),
                    _comma(totals.vat, 2),
                    _comma(totals.gross, 2),
                ]
            cells = [order_id, date, status, supplier, line.reference, line.label, *numbers]
            cells += [order.delivery_address, order.delivery_date]
            out.append(";".join(_cell(c) for c in cells))
    return "\ufeff" + "\r\n".join(out) + "\r\n"


def _practice_only(unlocked: Unlocked) -> None:
    if unlocked.practice_id is None:
        raise ClientError("only a practice's members can export its orders", 0)


def export_orders(
    transport: HttpTransport, unlocked: Unlocked, known: KnownKeys, target: str
) -> int:
    """Fetch, verify and decrypt every order of the practice; write their CSV to ``target``."""
    from cli.fetch_cmd import open_verified  # here: fetch_cmd imports this module

    _practice_only(unlocked)
    listing = transport.get_json("/practice/orders")
    zone = ZoneInfo(str(listing.get("timezone") or "UTC"))
    rows = []
    for state in listing["orders"]:
        opened = open_verified(transport, unlocked, state["item_id"], known)
        body = opened.json()
        at = datetime.fromisoformat(str(state["ordered_at"])).astimezone(zone)
        status = STATUS.get(str(state["status"]), str(state["status"]))
        rows.append(
            (str(state["item_id"]), at.date().isoformat(), status, read_order(body.get("values")))
        )
    text = csv_of(rows)
    if target == "-":
        sys.stdout.write(text)
    else:
        path = Path(target)
        if path.exists():
            raise ClientError(f"{target} exists already; choose another file name", 0)
        path.write_text(text, encoding="utf-8", newline="")
        print(f"saved {len(rows)} orders to {target}", file=sys.stderr)
    return 0
