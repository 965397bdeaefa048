"""A blob being read: its bytes in chunks from an open source (a file, a GET's body).

The source is open when a ``Chunks`` exists (a missing blob failed before), and closed at
its end, by ``close()`` (a HEAD request, a client gone) or when it is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

READ_BYTES = 1024 * 1024  # one chunk of a download


class Chunks(Iterator[bytes]):
    def __init__(
        self, read: Callable[[int], bytes], close: Callable[[], None], left: int | None = None
    ) -> None:
        self._read = read
        self._close: Callable[[], None] | None = close
        self._left = left

    def __next__(self) -> bytes:
        if self._close is None:
            raise StopIteration
        size = READ_BYTES if self._left is None else min(READ_BYTES, self._left)
        chunk = self._read(size) if size > 0 else b""
        if not chunk:
            self.close()
            raise StopIteration
        if self._left is not None:
            self._left -= len(chunk)
        return chunk

    def close(self) -> None:
        close, self._close = self._close, None
        if close is not None:
            close()

    def __del__(self) -> None:
        self.close()
