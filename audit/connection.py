"""What the audit log needs of a database connection: a DB-API subset.

``audit`` never imports the driver or ``vault``; the caller (``vault``, the
command line, tests) hands it an open connection, already inside the
transaction the entry belongs to.
"""

from __future__ import annotations

from typing import Any, Protocol


class Cursor(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...
