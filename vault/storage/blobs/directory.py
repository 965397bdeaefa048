"""The blob directory: extract file streams (ciphertext only), one file per item.

An upload grows in ``blobs/tmp/<upload id>``; each appended part is fsynced
before its offset is acknowledged. A deposit publishes the finished file by
linking it to ``blobs/<first two hex digits>/<item id>`` (a link never replaces a
file: blobs are written once), then removing the temporary name, and fsyncing both
directories, BEFORE the item's row commits: an item row never points at a
missing file, and a crash between the two leaves only an orphan file, which
``collect_orphans`` removes once it is older than an hour.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vault.errors import BlobExists, BlobMissing, BlobWrongSize
from vault.files import fsync_dir
from vault.ids import is_uuid, random_digits
from vault.storage.blobs.chunks import Chunks

ORPHAN_AGE_SECONDS = 3600
_TMP = "tmp"


@dataclass(frozen=True, slots=True)
class BlobDirectory:
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
        return self.root / random_digits(item_id, 2) / item_id

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
        try:
            with open(path, "rb") as f:
                return f.read(size)
        except FileNotFoundError:
            raise BlobMissing() from None

    def publish(self, upload_id: str, item_id: str, length: int) -> None:
        """Put a finished upload in place under the item's id, durably, never over another file.

        Idempotent: if the upload was already moved (a retried deposit after a
        crash), the file in place is kept when it has the expected length.
        """
        source = self.upload_path(upload_id)
        target = self.path(item_id)
        if not source.exists():
            if target.exists() and target.stat().st_size == length:
                os.utime(target)  # fresh mtime: the orphan collector must not take it
                return
            raise BlobMissing()
        with open(source, "r+b") as f:
            f.truncate(length)
            os.fsync(f.fileno())
        os.utime(source)  # fresh mtime: the orphan collector must not take it mid-deposit
        target.parent.mkdir(mode=0o700, exist_ok=True)
        try:
            os.link(source, target)
        except FileExistsError:
            if not os.path.samefile(source, target):  # not a link of ours cut short by a crash
                raise BlobExists() from None
        fsync_dir(target.parent)
        source.unlink()
        fsync_dir(self.tmp_dir)

    def discard_upload(self, upload_id: str) -> None:
        self.upload_path(upload_id).unlink(missing_ok=True)

    def has_item(self, item_id: str) -> bool:
        return self.path(item_id).is_file()

    def item_size(self, item_id: str) -> int:
        try:
            return self.path(item_id).stat().st_size
        except FileNotFoundError:
            raise BlobMissing() from None

    def read_item(
        self, item_id: str, start: int = 0, end: int | None = None, *, size: int | None = None
    ) -> Iterator[bytes]:
        """The blob's bytes ``start`` to ``end`` (excluded; None = its end), in chunks.

        The file is opened here: a missing blob raises ``BlobMissing`` before any chunk, a
        file of another length than ``size`` (when given) ``BlobWrongSize``."""
        try:
            f = open(self.path(item_id), "rb")  # noqa: SIM115 - closed by Chunks
        except FileNotFoundError:
            raise BlobMissing() from None
        if size is not None:
            stored = os.fstat(f.fileno()).st_size
            if stored != size:
                f.close()
                raise BlobWrongSize(stored, size)
            end = size if end is None else min(end, size)
        f.seek(start)
        return Chunks(f.read, f.close, None if end is None else max(0, end - start))

    def put_item(self, item_id: str, chunks: Iterable[bytes]) -> int:
        """Store a whole blob under ``item_id`` (write-once: ``BlobExists`` if one is there)."""
        target = self.path(item_id)
        if target.exists():
            raise BlobExists()
        self.tmp_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        source = self.tmp_dir / str(uuid.uuid4())  # an orphan upload if we crash
        try:
            with open(source, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
                length = f.tell()
            target.parent.mkdir(mode=0o700, exist_ok=True)
            try:
                os.link(source, target)
            except FileExistsError:
                raise BlobExists() from None
            fsync_dir(target.parent)
        finally:
            source.unlink(missing_ok=True)
        return length

    def collect_orphans(
        self,
        known_items: Callable[[list[str]], set[str]],
        known_uploads: Callable[[list[str]], set[str]],
        *,
        now: float | None = None,
        age: float = ORPHAN_AGE_SECONDS,
    ) -> list[str]:
        """Delete blobs without an item row and temporary files without an upload row,
        older than ``age`` seconds. ``known_*`` answer which of the given ids have rows.
        Returns the paths removed, relative to the blob directory."""
        now = time.time() if now is None else now
        removed: list[str] = []
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
                    removed.append(f"{folder.name}/{name}")
        return removed
