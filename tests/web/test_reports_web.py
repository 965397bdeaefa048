"""The activity report pages: a member sees their practice's figures, an admin any; CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from cli.client import sign_in
from tests.factories import open_test_vault
from tests.people import Person, TestClientTransport, enrol
from tests.vault.items.report_data import NOV, OCT, seed
from vault.env import Env
from vault.identity.roles import Role
from vault.settings import Settings
from vault.storage.datadir import initialise
from web.app import create_app


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, dict[str, TestClient]]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("reports") / "data", default_language="en")
    initialise(settings)
    vault = open_test_vault(settings)
    db = vault.db
    env = vault.env
    seed(env)
    people: list[Person] = [
        enrol(env, Role.ADMIN, "root"),
        enrol(env, Role.MEMBER, "dr.c", practice="Cabinet A"),
        enrol(env, Role.AUDITOR, "auditor"),
    ]
    app = create_app(vault)
    clients: dict[str, TestClient] = {}
    with TestClient(app, raise_server_exceptions=False) as anonymous:
        clients["anonymous"] = anonymous
        for person in people:
            client = TestClient(app, raise_server_exceptions=False)
            transport = TestClientTransport(client)
            sign_in(transport, person.username, person.password, person.code())
            client.headers["x-csrf-token"] = transport.csrf
            clients[str(person.role)] = client
        yield env, clients
    db.close()


PERIOD = f"from={OCT:%Y-%m}&to={NOV:%Y-%m}"


def test_member_sees_own_practice_figures(world: tuple[Env, dict[str, TestClient]]) -> None:
    _, clients = world
    page = clients["member"].get(f"/reports?{PERIOD}")
    assert page.status_code == 200
    assert "Cabinet A" in page.text and "Cabinet B" not in page.text
    assert 'class="num">12.0</td>' in page.text  # October's call minutes


def test_admin_sees_every_practice_and_downloads_csv(
    world: tuple[Env, dict[str, TestClient]],
) -> None:
    _, clients = world
    page = clients["admin"].get(f"/reports?{PERIOD}")
    assert "Cabinet A" in page.text and "Cabinet B" in page.text
    csv = clients["admin"].get(f"/reports.csv?{PERIOD}")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert "practice,Cabinet A,2026-10,,5,12.0,3.0,1,6,25.0,120.0,2,3" in csv.text.splitlines()


def _csv_rows(body: bytes, delimiter: str) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte-order mark Excel needs
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def test_the_english_csv_keeps_commas_and_dots(world: tuple[Env, dict[str, TestClient]]) -> None:
    _, clients = world
    got = clients["admin"].get(f"/reports.csv?{PERIOD}", headers={"accept-language": "en"})
    rows = _csv_rows(got.content, ",")
    assert rows[0][:3] == ["section", "practice", "month"] and len(rows[0]) == 13
    assert rows[1][:7] == ["practice", "Cabinet A", "2026-10", "", "5", "12.0", "3.0"]
    assert all(len(row) == 13 for row in rows)


def test_the_french_csv_opens_in_columns_in_french_excel(
    world: tuple[Env, dict[str, TestClient]],
) -> None:
    """Semicolons, decimal comma, French headers and sections, a BOM: French Excel splits the
    columns and reads the figures as numbers (with commas it put each line in one cell)."""
    _, clients = world
    got = clients["admin"].get(
        f"/reports.csv?{PERIOD}", headers={"accept-language": "fr-FR,fr;q=0.9"}
    )
    assert got.status_code == 200
    assert b"12.0" not in got.content
    rows = _csv_rows(got.content, ";")
    assert rows[0][:5] == ["Section", "Cabinet", "Mois", "Secrétaire", "Appels traités"]
    assert rows[0][-2:] == ["Non lus", "Non traités"]
    assert rows[1][:9] == ["cabinet", "Cabinet A", "2026-10", "", "5", "12,0", "3,0", "1", "6"]
    assert rows[1][9:] == ["25,0", "120,0", "2", "3"]
    secretaries = [row for row in rows if row[0] == "secrétaire"]
    assert secretaries and all(len(row) == 13 for row in rows)
    assert float(rows[1][5].replace(",", ".")) == 12.0


def test_the_report_page_writes_numbers_and_months_in_the_readers_language(
    world: tuple[Env, dict[str, TestClient]],
) -> None:
    _, clients = world
    fr = clients["member"].get(f"/reports?{PERIOD}", headers={"accept-language": "fr"}).text
    assert 'class="num">12,0</td>' in fr and ">oct.\u00a02026</td>" in fr
    en = clients["member"].get(f"/reports?{PERIOD}", headers={"accept-language": "en"}).text
    assert 'class="num">12.0</td>' in en and ">Oct\u00a02026</td>" in en


def test_auditor_gets_no_report(world: tuple[Env, dict[str, TestClient]]) -> None:
    _, clients = world
    assert clients["auditor"].get(f"/reports?{PERIOD}").status_code == 403
    assert clients["member"].get("/reports?from=2026-13").status_code == 400
