"""The documentation names what the code has: every setting, every command."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from cli.main import build_parser
from vault.settings import BlobStoreSettings, Settings, SmsSettings, SmtpSettings, WebhookSettings

REPO = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    """docs/operations.md lists each setting of the frozen settings object.

    Values the object derives when it is built (``init=False``, e.g. the parsed business
    hours) are not settings anyone writes.
    """
    text = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    fields = {f.name for f in dataclasses.fields(Settings) if f.init} - {
        "smtp",
        "sms",
        "webhook",
        "blob_store",
    }
    smtp = {
        f"{section}.{f.name}"
        for section, cls in (
            ("smtp", SmtpSettings),
            ("sms", SmsSettings),
            ("webhook", WebhookSettings),
            ("blob_store", BlobStoreSettings),
        )
        for f in dataclasses.fields(cls)
    }
    documented = set(re.findall(r"^\| `([a-z_.]+)`", text, flags=re.MULTILINE))
    documented |= {
        name
        for row in re.findall(r"^\| (`[^|]+)\|", text, flags=re.MULTILINE)
        for name in re.findall(r"`([a-z_.]+)`", row)
    }
    assert fields | smtp <= documented, sorted((fields | smtp) - documented)


def _named_commands(docs: str) -> set[str]:
    """The commands the text names by their exact name: ``permanence NAME`` followed by a
    space, a backtick or the end of a word that is not a hyphen (``demo`` is not named by
    ``permanence demo-code``)."""
    return set(re.findall(r"permanence ([a-z][a-z-]*[a-z])(?![\w-])", docs))


def test_every_command_appears_in_the_help_and_the_docs() -> None:
    """Each top-level command is named, by its exact name, in the README or the docs."""
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert commands is not None
    docs = (REPO / "README.md").read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in (REPO / "docs").glob("*.md")
    )
    missing = sorted(set(commands) - _named_commands(docs))
    assert missing == []


def test_a_command_is_not_named_by_a_longer_one() -> None:
    """``permanence demo-code`` names demo-code, not demo (so the check above can fail)."""
    assert _named_commands("run `permanence demo-code --user x`") == {"demo-code"}
    assert _named_commands("permanence demo\n") == {"demo"}
