"""Where a sign-in (or a language switch) may send the browser next: a path on this site only.

One rule, written twice — here and in ``web/static/js/app/local-path.js`` — and
checked against the same cases (``tests/web/local_paths.json``) on both sides:
a target is local when it

- has 1 to ``MAX_LENGTH`` characters and starts with ``/``, not ``//`` nor ``/\\``;
- holds printable ASCII only (``!`` to ``~``) and no backslash anywhere.

Browsers drop tabs and line breaks from a URL and read ``\\`` as ``/``, so
``/<TAB>/evil.example`` or ``/\\evil.example`` would otherwise be followed as
``//evil.example``, another site. A path the server itself builds (the sign-in
guard's ``quote`` of the request path) always passes.
"""

from __future__ import annotations

MAX_LENGTH = 2048


def local_path(target: object) -> str | None:
    """``target`` if it is a path on this site by the rule above, else None."""
    if not isinstance(target, str) or not 1 <= len(target) <= MAX_LENGTH:
        return None
    if target[0] != "/" or target[1:2] in ("/", "\\"):
        return None
    if any(not "!" <= ch <= "~" or ch == "\\" for ch in target):
        return None
    return target
