"""What ``permanence fetch`` shows of an item: the signed header, compared with the server's row.

Kind, urgency and author are inside the header the author signed
(docs/format.md §5); the server also keeps them in clear (DESIGN §4) and an
operator can change its copy. The command prints the signed values, which it
has just verified, and a warning for every field where the server's metadata
says something else.
"""

from __future__ import annotations

from typing import Any

from cli.terminal import printable
from crypto.envelope import ItemHeader, ItemKind, Urgency

KIND_NAMES = {
    ItemKind.CALL_NOTE: "call_note",
    ItemKind.MESSAGE: "message",
    ItemKind.EXTRACT: "extract",
}  # the server's names (vault/items.py)
URGENCY_NAMES = {Urgency.LOW: "low", Urgency.NORMAL: "normal", Urgency.URGENT: "urgent"}


def signed_fields(header: ItemHeader) -> dict[str, str]:
    """The header's fields under the names and in the form the server's metadata uses."""
    return {
        "kind": KIND_NAMES[header.kind],
        "urgency": URGENCY_NAMES[header.urgency],
        "author": str(header.author_id),
    }


def server_fields(answer: dict[str, Any]) -> dict[str, str | None]:
    """The same fields as the server's row has them (``None`` when the server sent none)."""
    author = answer.get("author")
    author_id = author.get("id") if isinstance(author, dict) else None

    def text(value: object) -> str | None:
        return None if value is None else str(value)

    return {
        "kind": text(answer.get("kind")),
        "urgency": text(answer.get("urgency")),
        "author": text(author_id),
    }


def differences(header: ItemHeader, answer: dict[str, Any]) -> list[str]:
    """One sentence per field where the server's metadata differs from the signed header."""
    signed, server = signed_fields(header), server_fields(answer)
    found = []
    for name, value in signed.items():
        theirs = server[name]
        if theirs != value:
            said = "nothing" if theirs is None else repr(printable(theirs))
            found.append(
                f"the server's metadata gives {name} {said} but the author signed {value!r};"
                " the vault's data may have been altered"
            )
    return found


def show_signed(header: ItemHeader, answer: dict[str, Any], author_line: str) -> list[str]:
    """Print the signed fields (stdout) and return the tamper warnings to print."""
    signed = signed_fields(header)
    print(f"{signed['kind']}, urgency {signed['urgency']} (signed)")
    print(author_line)
    return differences(header, answer)
