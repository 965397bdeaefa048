"""Forms on the command line (docs/items.md "Forms"): a fetched form as JSON with its
template's labels, and a template's records as CSV for French Excel — the same bytes the
records page makes in the browser (``web/static/js/app/forms/records.js``): UTF-8 with a BOM,
``;`` between cells, CRLF after each record, RFC 4180 quoting, decimal comma, dates
DD/MM/YYYY, yes/no as Oui/Non, text exactly as entered."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from crypto.forms import FormBody, FormField, FormTemplate, cell_text, resolve

HEAD = ("Version", "Déposé le", "Par")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_YES_NO = {"yes": "Oui", "no": "Non"}


def columns(template: FormTemplate) -> list[FormField]:
    """One column per field id of any version: the last version's first, then older ones."""
    out: list[FormField] = []
    seen: set[str] = set()
    versions = [template.latest, *sorted(template.versions, key=lambda v: -v.version)]
    for version in versions:
        for field in version.fields:
            if field.id not in seen:
                seen.add(field.id)
                out.append(field)
    return out


def _table_cell(field: FormField, value: object) -> str:
    if not isinstance(value, list):
        return value if isinstance(value, str) else ""
    return "\n".join(
        " | ".join(cell(c, row.get(c.id) if isinstance(row, dict) else None) for c in field.columns)
        for row in value
    )


def _scalar_cell(field: FormField, value: str) -> str:
    if field.type in ("number", "money") and _DECIMAL.fullmatch(value):
        return value.replace(".", ",")
    if field.type == "date" and (m := _DATE.fullmatch(value)):
        return f"{m[3]}/{m[2]}/{m[1]}"
    if field.type == "yes_no":
        return _YES_NO.get(value, value)
    return value


def cell(field: FormField, value: object) -> str:
    """A value as its CSV cell's text, as records.js ``cellText`` writes it."""
    if field.type == "table":
        return "" if value is None else _table_cell(field, value)
    if isinstance(value, str):
        return _scalar_cell(field, value)
    return "" if value is None or isinstance(value, list | dict) else cell_text(value)


def stamp(deposited_at: str, zone: str) -> str:
    """``02/12/2026 14:30``: a deposit time in the practice's zone."""
    at = datetime.fromisoformat(deposited_at.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    return at.strftime("%d/%m/%Y %H:%M")


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ';"\r\n') else text


def records_csv(
    template: FormTemplate, forms: Iterable[tuple[FormBody, str, str]], zone: str
) -> bytes:
    """The CSV of a template's forms: (body, deposited_at, author), newest first."""
    cols = columns(template)
    rows: list[Sequence[str]] = [[c.label or c.id for c in cols] + list(HEAD)]
    for form, at, author in forms:
        values = form.values
        rows.append(
            [cell(c, values.get(c.id)) for c in cols]
            + [str(form.template_version), stamp(at, zone), author]
        )
    text = "".join(";".join(_csv_cell(c) for c in row) + "\r\n" for row in rows)
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def form_json(form: FormBody, templates: Sequence[FormTemplate]) -> dict[str, Any]:
    """A form as JSON with the labels and types of the version it names (or its own keys)."""
    version, found = resolve(form, templates)
    values: Mapping[str, Any] = form.values
    return {
        "template_id": form.template_id,
        "template_version": form.template_version,
        "template_name": version.name if found else form.template_name,
        "template_found": found,
        "fields": [
            {"id": f.id, "label": f.label, "type": f.type, "value": values.get(f.id)}
            for f in version.fields
        ],
    }
