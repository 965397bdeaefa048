"""What ``permanence fetch`` shows of an item: the signed header, compared with the server's row.

Kind, urgency, author and, for a call note, call time and duration are inside
the header the author signed (docs/format.md §5); the server also keeps them in
clear (docs/design.md §4) and an operator can change its copy. The command prints the
signed values, which it has just verified, and a warning for every field where
the server's metadata says something else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cli.terminal import printable
from crypto.envelope import ItemHeader, ItemKind
from vault.items.vocabulary import Kind, UrgencyLevel  # the names the server's metadata uses


def _utc(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_fields(header: ItemHeader) -> dict[str, str | None]:
    """The header's fields under the names and in the form the server's metadata uses
    (call time ``None`` for anything but a call note)."""
    call = header.kind == ItemKind.CALL_NOTE
    return {
        "kind": Kind.of(header.kind).value,
        "urgency": UrgencyLevel.of(header.urgency).value,
        "author": str(header.author_id),
        "call_started_at": _utc(header.call_started_at) if call else None,
        "call_seconds": str(header.call_seconds) if call else None,
    }


def _server_time(value: object) -> str | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError
        return _utc(int(moment.timestamp()))
    except (ValueError, OverflowError, OSError):
        return str(value)  # not a time: it differs from any signed value


def server_fields(answer: dict[str, Any]) -> dict[str, str | None]:
    """The same fields as the server's row has them (``None`` when it sent none)."""
    author = answer.get("author")

    def text(value: object) -> str | None:
        return None if value is None else str(value)

    return {
        "kind": text(answer.get("kind")),
        "urgency": text(answer.get("urgency")),
        "author": text(author.get("id") if isinstance(author, dict) else None),
        "call_started_at": _server_time(answer.get("call_started_at")),
        "call_seconds": text(answer.get("call_seconds")),
    }


def differences(header: ItemHeader, answer: dict[str, Any]) -> list[str]:
    """One sentence per field where the server's metadata differs from the signed header."""
    signed, server = signed_fields(header), server_fields(answer)
    found = []
    for name, value in signed.items():
        theirs = server[name]
        if theirs != value:
            said = "nothing" if theirs is None else repr(printable(theirs))
            ours = "nothing" if value is None else repr(value)
            found.append(
                f"the server's metadata gives {name} {said} but the author signed {ours};"
                " the vault's data may have been altered"
            )
    return found


def show_signed(header: ItemHeader, answer: dict[str, Any], author_line: str) -> list[str]:
    """Print the signed fields (stdout) and return the tamper warnings to print."""
    signed = signed_fields(header)
    print(f"{signed['kind']}, urgency {signed['urgency']} (signed)")
    if header.kind == ItemKind.CALL_NOTE:
        minutes, seconds = divmod(header.call_seconds, 60)
        print(f"call at {signed['call_started_at']}, lasting {minutes} min {seconds} s (signed)")
    print(author_line)
    return differences(header, answer)
