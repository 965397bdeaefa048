"""The blob directory: extract file streams (ciphertext only), one file per item.

An upload grows in ``blobs/tmp/<upload id>``; each appended part is fsynced
before its offset is acknowledged. A deposit publishes the finished file by
renaming it to ``blobs/<first two hex digits>/<item id>`` and fsyncing both
directories, BEFORE the item's row commits: an item row never points at a
missing file, and a crash between the two leaves only an orphan file, which
``collect_orphans`` removes once it is older than an hour.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from vault.files import fsync_dir
from vault.ids import is_uuid

ORPHAN_AGE_SECONDS = 3600
_TMP = "tmp"


@dataclass(frozen=True, slots=True)
class BlobStore:
    root: Path

    @property
    def tmp_dir(self) -> Path:
        return self.root / _TMP

    def upload_path(self, upload_id: str) -> Path:
        if not is_uuid(upload_id):
            raise ValueError("an upload id is a UUID")
        return self.tmp_dir / upload_id

    def path(self, item_id: str) -> Path:
        if not is_uuid(item_id):
            raise ValueError("an item id is a UUID")
        return self.root / item_id[:2] / item_id

    def create_upload(self, upload_id: str) -> None:
        """An empty, durable temporary file for a new upload."""
        self.tmp_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.upload_path(upload_id)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_dir(self.tmp_dir)

    def write_at(self, upload_id: str, offset: int, parts: Iterable[bytes]) -> int:
        """Cut the upload back to ``offset`` (what was acknowledged), append ``parts``, fsync.

        Returns the new length. Anything written after the last acknowledged
        offset (a part cut off by a dropped connection or a crash) is discarded.
        """
        with open(self.upload_path(upload_id), "r+b") as f:
            f.truncate(offset)
            f.seek(offset)
            for part in parts:
                f.write(part)
            f.flush()
            os.fsync(f.fileno())
            return f.tell()

    def read_head(self, upload_id: str, item_id: str, size: int) -> bytes:
        """The first bytes of an upload, or of the item's blob if a retried deposit moved it."""
        path = self.upload_path(upload_id)
        if not path.exists():
            path = self.path(item_id)
        with open(path, "rb") as f:
            return f.read(size)

    def publish(self, upload_id: str, item_id: str, length: int) -> None:
        """Move a finished upload into place under the item's id, durably.

        Idempotent: if the upload was already moved (a retried deposit after a
        crash), the file in place is kept when it has the expected length.
        """
        source = self.upload_path(upload_id)
        target = self.path(item_id)
        if not source.exists() and target.exists() and target.stat().st_size == length:
            os.utime(target)
            return
        with open(source, "r+b") as f:
            f.truncate(length)
            os.fsync(f.fileno())
        os.utime(source)  # fresh mtime: the orphan collector must not take it mid-deposit
        target.parent.mkdir(mode=0o700, exist_ok=True)
        os.replace(source, target)
        fsync_dir(target.parent)
        fsync_dir(self.tmp_dir)

    def discard_upload(self, upload_id: str) -> None:
        self.upload_path(upload_id).unlink(missing_ok=True)

    def collect_orphans(
        self,
        known_items: Callable[[list[str]], set[str]],
        known_uploads: Callable[[list[str]], set[str]],
        *,
        now: float | None = None,
        age: float = ORPHAN_AGE_SECONDS,
    ) -> list[Path]:
        """Delete blobs without an item row and temporary files without an upload row,
        older than ``age`` seconds. ``known_*`` answer which of the given ids have rows."""
        now = time.time() if now is None else now
        removed: list[Path] = []
        if not self.root.exists():
            return removed
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir():
                continue
            names = [p.name for p in folder.iterdir() if is_uuid(p.name)]
            old = [n for n in names if now - (folder / n).stat().st_mtime > age]
            if not old:
                continue
            known = known_uploads(old) if folder.name == _TMP else known_items(old)
            for name in old:
                if name not in known:
                    (folder / name).unlink(missing_ok=True)
                    removed.append(folder / name)
        return removed
