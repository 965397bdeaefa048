"""Every sentence a person can see exists in French: templates and refusals alike."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from types import ModuleType

from vault import clock
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


def _module_of(path: Path) -> ModuleType:
    return importlib.import_module(".".join(path.relative_to(REPO).with_suffix("").parts))


def _message(node: ast.expr, path: Path) -> str | None:
    """A refusal's first argument as text: a literal, or a constant (``BAD_DAY``,
    ``errors.TOO_LARGE``) looked up in the module that raises it."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        value = getattr(_module_of(path), node.id, None)
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        owner = getattr(_module_of(path), node.value.id, None)
        value = getattr(owner, node.attr, None)
    else:
        return None
    return value if isinstance(value, str) else None


def _refusal_name(func: ast.expr) -> str | None:
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name if name in REFUSALS else None


def refusal_messages() -> set[str]:
    """The fixed sentences of Refused errors: class defaults, and the literals and constants
    passed when one is raised."""
    found = {getattr(vault_errors, name).message for name in REFUSALS}
    for path in [*(REPO / "vault").rglob("*.py"), *(REPO / "web").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _refusal_name(node.func) and node.args:
                message = _message(node.args[0], path)
                if message is not None:
                    found.add(message)
    return found


def test_messages_are_found() -> None:
    """The extraction sees both kinds of messages (so the tests below can fail)."""
    assert "Sign in" in template_messages()
    assert "This username is already taken." in refusal_messages()
    assert clock.BAD_DAY in refusal_messages()  # raised through a constant


def test_every_template_message_is_translated() -> None:
    """No English sentence is left on a French page."""
    same_in_french = {"Permanence", "Menu", "Actions", "Agenda"}  # the product's name; same words
    missing = sorted(
        m for m in template_messages() - same_in_french if i18n.translate(m, "fr") == m
    )
    assert missing == []


def test_every_refusal_message_is_translated() -> None:
    """Every refusal a person can meet reads in French too."""
    missing = sorted(m for m in refusal_messages() if i18n.translate(m, "fr") == m)
    assert missing == []
