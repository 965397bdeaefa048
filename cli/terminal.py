"""Text from a server, made safe to print on a terminal.

Names (practices, authors) and refusal sentences come from the server; a
control character in them (an ANSI escape, a carriage return, a bidirectional
override) could rewrite what the terminal shows, e.g. paint a fake
"signature verified" line. They are printed with such characters escaped.
"""

from __future__ import annotations

import unicodedata


def printable(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with every control, format or unassigned character written as ``\\uXXXX``."""
    out = []
    for ch in str(text):
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif unicodedata.category(ch)[0] == "C":
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return "".join(out)
