"""The activity report page's "Forms by template" table: ids and counts only (a member's
browser names the templates), the name-writing script only for members."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from cli.client import sign_in
from tests.factories import open_test_vault
from tests.people import Person, TestClientTransport, enrol
from tests.vault.items.report_data import NOV, OCT, seed
from tests.vault.items.test_form_reports import APPOINTMENT, RECORD, _forms
from vault.identity.roles import Role
from vault.settings import Settings
from vault.storage.datadir import initialise
from web.app import create_app

PERIOD = f"from={OCT:%Y-%m}&to={NOV:%Y-%m}"


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestClient]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("forms") / "data", default_language="en")
    initialise(settings)
    vault = open_test_vault(settings)
    ids = seed(vault.env)
    _forms(vault.env, ids)
    people: list[Person] = [
        enrol(vault.env, Role.ADMIN, "root"),
        enrol(vault.env, Role.MEMBER, "dr.c", practice="Cabinet A"),
    ]
    app = create_app(vault)
    out: dict[str, TestClient] = {}
    for person in people:
        client = TestClient(app, raise_server_exceptions=False)
        transport = TestClientTransport(client)
        sign_in(transport, person.username, person.password, person.code())
        out[str(person.role)] = client
    yield out
    vault.db.close()


def test_members_see_their_forms_by_template_id_and_the_naming_script(
    clients: dict[str, TestClient],
) -> None:
    page = clients["member"].get(f"/reports?{PERIOD}")
    assert page.status_code == 200
    assert "Forms by template" in page.text
    assert f'data-template-name="{APPOINTMENT}"' in page.text
    assert f'data-template-name="{RECORD}"' in page.text
    assert page.text.count("data-template-name=") == 3  # A: two in October, one in November
    assert "/js/pages/report-forms.js" in page.text


def test_admins_see_ids_and_counts_without_the_script(clients: dict[str, TestClient]) -> None:
    page = clients["admin"].get(f"/reports?{PERIOD}")
    assert page.status_code == 200
    assert page.text.count("data-template-name=") == 4  # and Cabinet B's appointment
    assert "report-forms.js" not in page.text
