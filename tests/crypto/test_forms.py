"""Form templates (type 0x06) and form bodies read as docs/format.md §5 and §10 say."""

from __future__ import annotations

from typing import Any

import pytest

from crypto.errors import DecryptionFailed
from crypto.forms import (
    FormBody,
    cell_text,
    fallback_version,
    parse_form_body,
    parse_templates,
    resolve,
)

T1 = "0f8fad5b-d9cb-469f-a165-70867728950e"
T2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def _body() -> dict[str, Any]:
    return {
        "templates": [
            {
                "id": T1,
                "origin": "order",
                "archived": True,
                "versions": [
                    {
                        "version": 1,
                        "name": "Commande",
                        "description": "d",
                        "fields": [
                            {"id": "x", "type": "weird", "label": "X", "required": True},
                            {"id": "x"},  # repeated
                            {"id": "Bad Id"},
                            "junk",
                            {"id": "c", "type": "choice", "choices": ["a", 3, "b"]},
                            {
                                "id": "t",
                                "type": "table",
                                "columns": [{"id": "n", "type": "table"}, {"id": "m"}],
                                "choices": ["ignored"],
                            },
                        ],
                    },
                    {"version": 1},  # repeated version
                    {"version": 0},
                    {"version": 2.0},
                    {"version": True},
                    {"version": 2**53},
                    {"version": 3, "name": "Commande 3"},
                ],
            },
            {"id": T1, "versions": [{"version": 1}]},  # repeated id
            {"id": T1.upper(), "versions": [{"version": 1}]},
            {"id": "nope", "versions": [{"version": 1}]},
            {"id": 7, "versions": [{"version": 1}]},
            {"id": T2, "origin": "spaceship", "versions": []},
            {"id": T2, "origin": "spaceship", "archived": "yes", "versions": [{"version": 5}]},
            "junk",
        ]
    }


def test_templates_are_read_defensively() -> None:
    templates = parse_templates(_body())
    assert [t.id for t in templates] == [T1, T2]
    first, second = templates
    assert (first.origin, first.archived) == ("order", True)
    assert [v.version for v in first.versions] == [1, 3]
    assert first.latest.name == "Commande 3"
    v1 = first.version(1)
    assert v1 is not None and first.version(2) is None
    assert [(f.id, f.type) for f in v1.fields] == [("x", "text"), ("c", "choice"), ("t", "table")]
    assert v1.fields[0].required is True and v1.fields[0].label == "X"
    assert v1.fields[1].choices == ("a", "b")
    table = v1.fields[2]
    assert table.choices == ()
    assert [(c.id, c.type) for c in table.columns] == [("n", "text"), ("m", "text")]
    assert (second.origin, second.archived, second.latest.version) == ("", False, 5)
    assert second.latest.fields == ()
    assert parse_templates({}) == ()
    assert parse_templates({"templates": "x"}) == ()


def test_a_form_body_must_name_its_template_and_version() -> None:
    form = parse_form_body(
        {"template_id": T1, "template_version": 1, "template_name": "F", "values": {"x": "1"}}
    )
    assert form == FormBody(T1, 1, "F", {"x": "1"})
    assert parse_form_body({"template_id": T1, "template_version": 2}).values == {}
    bad: list[dict[str, Any]] = [
        {"template_version": 1},
        {"template_id": 3, "template_version": 1},
        {"template_id": T1},
        {"template_id": T1, "template_version": 0},
        {"template_id": T1, "template_version": 1.0},
        {"template_id": T1, "template_version": True},
    ]
    for body in bad:
        with pytest.raises(DecryptionFailed):
            parse_form_body(body)
    assert parse_form_body({"template_id": T1, "template_version": 1, "values": []}).values == {}


def test_a_form_resolves_to_its_version_or_to_its_own_keys() -> None:
    templates = parse_templates(_body())
    version, found = resolve(FormBody(T1, 1, "F", {}), templates)
    assert found and version.name == "Commande"
    form = FormBody(
        T1, 2, "Ancien", {"a": "1", "rows": [{"p": "1", "q": "2"}, {"q": "3", "r": "4"}, 5]}
    )
    for missing in (form, FormBody(T2.replace("7", "8"), 1, "Ancien", form.values)):
        version, found = resolve(missing, templates)
        assert not found
        assert version == fallback_version(missing)
    version = fallback_version(form)
    assert version.name == "Ancien"
    assert [(f.id, f.label, f.type) for f in version.fields] == [
        ("a", "a", "text"),
        ("rows", "rows", "table"),
    ]
    assert [c.id for c in version.fields[1].columns] == ["p", "q", "r"]


def test_cell_text() -> None:
    assert [cell_text(v) for v in ("a", None, True, False, 3, 1.5)] == [
        "a",
        "",
        "true",
        "false",
        "3",
        "1.5",
    ]
