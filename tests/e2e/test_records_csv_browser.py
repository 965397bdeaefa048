"""Issue 15's third "Done when": a record table of 1,000 rows exports, from the practice's
browser, to a CSV byte-identical to what was entered, in French Excel's conventions (UTF-8
with a BOM, ";" between cells, CRLF after each record, RFC 4180 quoting, dates day first).

The template is made by the member in real Chromium (the built-in record, saved in the
instructions editor); the 1,000 forms are sealed and signed on the secretary's side with the
clients' own crypto (``cli.client`` signs her in, keys unwrapped on this side) exactly as the
filler writes them, and deposited over real HTTP; the records page fetches, verifies and
decrypts them in the browser and makes the file there. The expected bytes are written here
from the typed values by an independent few lines of Python, and ``csv`` reads the file back
with ";" into exactly the typed cells."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser

from crypto.encoding import b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, seal_item
from tests.browser.conftest import chromium  # noqa: F401 - fixture
from tests.e2e.desk_site import (  # noqa: F401 - fixture
    MEMBER,
    SECRETARY,
    DeskSite,
    desk_site,
)
from tests.e2e.team_http import signed_in

ROWS = 1000
LABELS = ["Nom", "Prénom", "Date de naissance", "Téléphone", "E-mail", "Adresse", "Remarques"]
IDS = ["last_name", "first_name", "birth_date", "phone", "email", "address", "notes"]
AWKWARD = [
    'Lefèvre; "Jeanne"',
    "ligne 1\nligne 2",
    "retour\r\nWindows",
    "  espaces autour  ",
    "0612345678",
    "=SOMME(A1:A2)",
    "Œuvray-Straße ÉLODIE 😀",
    "tab\there",
    "",
    "virgule, point. deux-points: ok",
    "point-virgule;seul",
    "retour\rseul",
]


def _typed(n: int) -> list[str]:
    """What the secretary typed for record ``n``: the date as a French secretary types it."""
    day = f"{1 + n % 28:02d}/{1 + n % 12:02d}/{1930 + n % 80}"
    return [
        f"Patient {n:04d} {AWKWARD[n % len(AWKWARD)]}",
        AWKWARD[(n * 7) % len(AWKWARD)],
        day,
        f"06 {n % 100:02d} {n % 97:02d} 00 {n % 89:02d}",
        f"p{n}@example.org",
        f"{n} rue des Lilas;\n75011 Paris",
        AWKWARD[(n * 3) % len(AWKWARD)],
    ]


def _canonical(typed: list[str]) -> dict[str, str]:
    """The values the filler signs: a date "DD/MM/YYYY" as "YYYY-MM-DD", text as typed."""
    values = dict(zip(IDS, typed, strict=True))
    d, m, y = values["birth_date"].split("/")
    values["birth_date"] = f"{y}-{m}-{d}"
    return values


def _cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ';"\r\n') else text


def _csv(rows: list[list[str]]) -> bytes:
    return b"\xef\xbb\xbf" + "".join(";".join(map(_cell, r)) + "\r\n" for r in rows).encode()


def test_a_thousand_records_export_byte_identical(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    site = desk_site
    member = site.page(chromium, MEMBER)
    member.goto(f"{site.base_url}/language/fr?next=/account")
    member.goto(f"{site.base_url}/practice/instructions")
    member.wait_for_selector("[data-form-templates][data-ready=true]", timeout=30_000)
    member.select_option("[data-new-template] select", "record")
    member.click("[data-new-template] button[type=submit]")
    member.click("[data-template-editor] button[type=submit]")
    member.wait_for_selector("[data-template-list] li[data-template-id]", timeout=30_000)
    template_id = str(member.get_attribute("[data-template-list] li", "data-template-id"))

    secretary = signed_in(
        site.base_url, SECRETARY, site.passwords[SECRETARY], site.next_code(SECRETARY)
    )
    (practice_pk,) = site.env.db.read(
        lambda c: c.execute(
            "SELECT public_key FROM practice WHERE id = ?", (site.practice_id,)
        ).fetchone()
    )
    typed = [_typed(n) for n in range(ROWS)]
    for values in typed:
        item_id = uuid.uuid4()
        signed = ItemHeader(
            ItemKind.FORM,
            Urgency.NORMAL,
            item_id,
            uuid.UUID(site.practice_id),
            uuid.UUID(secretary.id),
        )
        body = {
            "template_id": template_id,
            "template_version": 1,
            "template_name": "Fiche",
            "values": _canonical(values),
        }
        envelope = seal_item(
            signed,
            encode_body(body),
            bytes(practice_pk),
            secretary.unlocked.keys.signing_key,
        )
        secretary.transport.post_json(
            "/items",
            {
                "item_id": str(item_id),
                "practice_id": site.practice_id,
                "envelope": b64url_encode(envelope),
                "form_template": template_id,
            },
        )

    member.goto(f"{site.base_url}/practice/records#template={template_id}")
    member.wait_for_selector("#records[data-ready=true]", timeout=120_000)
    assert member.locator("[data-records-table] tbody tr").count() == ROWS
    member.click("[data-records-export]")
    with member.expect_download() as download:
        member.click("[data-records-save]")
    data = Path(download.value.path()).read_bytes()

    # Newest first, as the page lists them; the deposit time in the practice's zone.
    zone = ZoneInfo(site.settings.timezone)
    order = site.env.db.read(
        lambda c: c.execute(
            "SELECT id, deposited_at FROM item WHERE form_template_id = ?"
            " ORDER BY deposited_at DESC, id DESC",
            (template_id,),
        ).fetchall()
    )
    by_id: dict[str, list[str]] = {}
    for values in typed:
        by_id[values[4]] = values
    deposited = {}
    for item_id, at in order:
        local = datetime.fromisoformat(str(at).replace("Z", "+00:00")).astimezone(zone)
        deposited[str(item_id)] = local.strftime("%d/%m/%Y %H:%M")
    # Which typed row each item holds: read back from the CSV's e-mail cell, then compared
    # whole (the order is the server's, the content is what was typed).
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, *rows = table
    assert header == [*LABELS, "Version", "Déposé le", "Par"]
    assert len(rows) == ROWS
    expected_rows = []
    for (item_id, _), row in zip(order, rows, strict=True):
        values = by_id[row[4]]
        expected_rows.append([*values, "1", deposited[str(item_id)], SECRETARY])
    assert rows == expected_rows
    assert sorted(r[4] for r in rows) == sorted(v[4] for v in typed)  # every record once
    assert data == _csv([header, *expected_rows])
    assert data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\r\n")
    # The cells hold exactly the typed text, line breaks and quotes included.
    assert any("retour\r\nWindows" in r[1] for r in rows)
    assert any('Lefèvre; "Jeanne"' in r[0] for r in rows)
