"""Every sentence a person can see exists in French: templates and refusals alike."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from vault import errors as vault_errors
from web import i18n

REPO = Path(__file__).resolve().parents[2]
REFUSALS = {
    name
    for name, value in vars(vault_errors).items()
    if isinstance(value, type) and issubclass(value, vault_errors.Refused)
}


def template_messages() -> set[str]:
    found = set()
    for path in (REPO / "web" / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r'_\(\s*"((?:[^"\\]|\\.)+)"', text))
        found.update(re.findall(r"_\(\s*'((?:[^'\\]|\\.)+)'", text))
    return found


def refusal_messages() -> set[str]:
    """The fixed sentences of Refused errors: class defaults and literals passed when raised."""
    found = {getattr(vault_errors, name).message for name in REFUSALS}
    for path in [*(REPO / "vault").rglob("*.py"), *(REPO / "web").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in REFUSALS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_messages_are_found() -> None:
    """The extraction sees both kinds of messages (so the tests below can fail)."""
    assert "Sign in" in template_messages()
    assert "This username is already taken." in refusal_messages()


def test_every_template_message_is_translated() -> None:
    """No English sentence is left on a French page."""
    same_in_french = {"Permanence"}  # the product's name
    missing = sorted(
        m for m in template_messages() - same_in_french if i18n.translate(m, "fr") == m
    )
    assert missing == []


def test_every_refusal_message_is_translated() -> None:
    """Every refusal a person can meet reads in French too."""
    missing = sorted(m for m in refusal_messages() if i18n.translate(m, "fr") == m)
    assert missing == []
