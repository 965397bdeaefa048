"""The object store: blobs in an S3-compatible bucket (the distributed backend), on the
bindings of ``bucket.py``. Keys under the bucket:

- ``uploads/<upload id>/<offset>-<end>``: the bytes ``offset`` to ``end`` (zero-padded
  decimal) of an upload, one object per ``write_at`` (or per ``PART_BYTES`` of it). A key
  is never rewritten with other bytes, so two processes receiving the same part (a
  browser retrying against another server) cannot undo each other. The database's
  acknowledged offset is authoritative: reading walks from 0 to the acknowledged length
  through the parts, preferring at each offset the newest part, so a part written after
  the acknowledged offset and never acknowledged (its answer lost, the part sent again in
  another cut) is passed over.
- ``items/<item id>``: a published blob, written once: ``publish`` composes the parts
  into it with a multipart upload (``UploadPartCopy`` when every part but the last is of
  S3's 5 MiB minimum, else streamed through a buffer of ``PART_BYTES``) completed with
  ``If-None-Match: *``, so an item's blob is never replaced. Its metadata names the
  upload it came from: publishing that upload again (a retried deposit) is a success.

Nothing about an upload lives in process memory: any process can take the next part.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from vault.errors import BlobExists, BlobMissing, FileStoreUnavailable
from vault.ids import is_uuid
from vault.settings import BlobStoreSettings
from vault.storage.blobs.bucket import (
    CREDENTIALS_REFUSED,
    NO_BUCKET,
    UNREACHABLE,
    Bucket,
    Head,
    Taken,
)
from vault.storage.blobs.directory import ORPHAN_AGE_SECONDS

__all__ = ["CREDENTIALS_REFUSED", "NO_BUCKET", "PART_BYTES", "UNREACHABLE", "ObjectStore"]

log = logging.getLogger("permanence.vault")

PART_BYTES = 8 * 1024 * 1024  # the largest upload part object, and a composed part's size
MIN_PART_BYTES = 5 * 1024 * 1024  # S3's smallest part of a multipart upload, but the last
_ASK_BATCH = 500  # ids per question to the database (its statements' placeholder limit)
_UPLOADS, _ITEMS = "uploads/", "items/"
_PART = re.compile(r"^uploads/([0-9a-f-]{36})/(\d{15})-(\d{15})$")
_ORIGIN = "upload"  # metadata key: the upload an item's blob was composed from


@dataclass(frozen=True, slots=True)
class _Part:
    key: str
    offset: int
    end: int
    modified: datetime


def _part_key(upload_id: str, offset: int, end: int) -> str:
    return f"{_UPLOADS}{_upload(upload_id)}/{offset:015d}-{end:015d}"


def _upload(upload_id: str) -> str:
    if not is_uuid(upload_id):
        raise ValueError("an upload id is a UUID")
    return upload_id


def _item_key(item_id: str) -> str:
    if not is_uuid(item_id):
        raise ValueError("an item id is a UUID")
    return _ITEMS + item_id


class ObjectStore:
    """``BlobStore`` on an S3-compatible bucket (``vault/storage/blobs/__init__.py``)."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    @classmethod
    def open(cls, settings: BlobStoreSettings) -> ObjectStore:
        return cls(Bucket.open(settings))

    # -- uploads -------------------------------------------------------------------------

    def create_upload(self, upload_id: str) -> None:
        """Nothing to create (parts are objects of their own); the store must answer,
        so that an unreachable store refuses the upload before its row exists."""
        _upload(upload_id)
        self.bucket.check()

    def write_at(self, upload_id: str, offset: int, parts: Iterable[bytes]) -> int:
        """Store ``parts`` from ``offset`` as part objects of at most ``PART_BYTES``;
        returns the length after them. Each PUT has succeeded when this returns."""
        position = offset
        for piece in _rechunked(parts, PART_BYTES):
            end = position + len(piece)
            self.bucket.put(_part_key(upload_id, position, end), piece)
            position = end
        return position

    def _parts(self, upload_id: str) -> list[_Part]:
        found = []
        for entry in self.bucket.entries(f"{_UPLOADS}{_upload(upload_id)}/"):
            match = _PART.match(entry.key)
            if match:
                found.append(_Part(entry.key, int(match[2]), int(match[3]), entry.modified))
        return found

    def _chain(self, upload_id: str, length: int | None) -> list[_Part] | None:
        """The parts from 0 to ``length`` (None: as far as they go), preferring at each
        offset the newest part (a resend), then the longest; None if no chain reaches it."""
        starting: dict[int, list[_Part]] = {}
        for part in self._parts(upload_id):
            if length is None or part.end <= length:
                starting.setdefault(part.offset, []).append(part)
        for options in starting.values():
            options.sort(key=lambda p: (p.modified, p.end), reverse=True)
        dead: set[int] = set()

        def walk(offset: int) -> list[_Part] | None:
            if offset == length or (length is None and offset not in starting):
                return []
            if offset in dead:
                return None
            for part in starting.get(offset, []):
                rest = walk(part.end)
                if rest is not None:
                    return [part, *rest]
            dead.add(offset)
            return None

        return walk(0)

    def read_head(self, upload_id: str, item_id: str, size: int) -> bytes:
        """The first bytes of an upload, or of the item's blob if a retried deposit
        already published it."""
        chain = self._chain(upload_id, None) or []
        if not chain:
            return b"".join(self.read_item(item_id, 0, size))
        out = bytearray()
        for part in chain:
            if len(out) >= size:
                break
            out += b"".join(self.bucket.get(part.key, 0, size - len(out)))
        return bytes(out[:size])

    def discard_upload(self, upload_id: str) -> None:
        self.bucket.delete([p.key for p in self._parts(upload_id)])

    # -- publishing ----------------------------------------------------------------------

    def publish(self, upload_id: str, item_id: str, length: int) -> None:
        """Compose the upload's first ``length`` bytes into ``items/<item id>``, write-once
        (``If-None-Match: *``); then drop the parts. Returns once the store acknowledged
        the whole object. Publishing the same upload again is a success."""
        key = _item_key(item_id)
        if self._published(key, upload_id, length):
            self.discard_upload(upload_id)
            return
        chain = self._chain(upload_id, length)
        if chain is None:
            log.error("an acknowledged upload's parts are missing from the object store")
            raise BlobMissing()
        try:
            self.bucket.create_once(key, {_ORIGIN: upload_id}, self._composed(chain))
        except (Taken, BlobMissing, FileStoreUnavailable) as e:
            # A twin of this very deposit in another process may have completed first
            # (and dropped the parts this one was copying): then it is done.
            if not self._published(key, upload_id, length):  # BlobExists if another's
                if isinstance(e, Taken):
                    raise BlobExists() from None
                raise
        self.discard_upload(upload_id)

    def _published(self, key: str, upload_id: str, length: int) -> bool:
        """Whether ``key`` holds this upload's blob; ``BlobExists`` if it holds another."""
        head = self._head(key)
        if head is None:
            return False
        if head.metadata.get(_ORIGIN) == upload_id and head.size == length:
            return True
        raise BlobExists()

    def _composed(self, chain: list[_Part]) -> Iterator[tuple[str, int, bytes]]:
        """The blob's parts: the upload's own objects, copied by the store, when S3 takes
        them as parts; else their bytes regrouped into parts of ``PART_BYTES``."""
        if all(p.end - p.offset >= MIN_PART_BYTES for p in chain[:-1]):
            return ((p.key, p.end - p.offset, b"") for p in chain)
        pieces = _rechunked(self._chain_bytes(chain), PART_BYTES)
        return (("", len(piece), piece) for piece in pieces)

    def _chain_bytes(self, chain: list[_Part]) -> Iterator[bytes]:
        for part in chain:
            yield from self.bucket.get(part.key)

    # -- items ---------------------------------------------------------------------------

    def has_item(self, item_id: str) -> bool:
        return self._head(_item_key(item_id)) is not None

    def item_size(self, item_id: str) -> int:
        head = self._head(_item_key(item_id))
        if head is None:
            raise BlobMissing()
        return head.size

    def read_item(
        self, item_id: str, start: int = 0, end: int | None = None, *, size: int | None = None
    ) -> Iterator[bytes]:
        """The blob's bytes ``start`` to ``end`` (excluded; None = its end), in chunks.
        The GET is made here: a missing blob raises ``BlobMissing`` before any chunk, an
        object of another length than ``size`` (when given) ``BlobWrongSize``."""
        return self.bucket.get(_item_key(item_id), start, end, size=size)

    def put_item(self, item_id: str, chunks: Iterable[bytes]) -> int:
        """Store a whole blob under ``item_id`` (write-once: ``BlobExists`` if one is there),
        streamed in parts of ``PART_BYTES``."""
        key = _item_key(item_id)
        if self._head(key) is not None:
            raise BlobExists()
        pieces = _rechunked(chunks, PART_BYTES)
        try:
            return self.bucket.create_once(key, {_ORIGIN: "put"}, (("", len(p), p) for p in pieces))
        except Taken:
            raise BlobExists() from None

    def _head(self, key: str) -> Head | None:
        return self.bucket.head(key)

    # -- orphans -------------------------------------------------------------------------

    def collect_orphans(
        self,
        known_items: Callable[[list[str]], set[str]],
        known_uploads: Callable[[list[str]], set[str]],
        *,
        now: float | None = None,
        age: float = ORPHAN_AGE_SECONDS,
    ) -> list[str]:
        """Delete blobs without an item row and upload parts without an upload row, whose
        newest object is older than ``age`` seconds, and abandoned multipart uploads.
        Returns ``items/<id>`` and ``uploads/<id>`` for what went."""
        now = time.time() if now is None else now
        removed: list[str] = []

        def old(modified: datetime) -> bool:
            return now - modified.timestamp() > age

        stale = (
            e.key[len(_ITEMS) :]
            for e in self.bucket.entries(_ITEMS)
            if is_uuid(e.key[len(_ITEMS) :]) and old(e.modified)
        )
        for batch in _batches(stale, _ASK_BATCH):  # every blob is old: ask in batches
            known = known_items(batch)
            gone = [_ITEMS + i for i in batch if i not in known]
            self.bucket.delete(gone)
            removed.extend(gone)
        newest: dict[str, datetime] = {}
        keys: dict[str, list[str]] = {}
        for entry in self.bucket.entries(_UPLOADS):
            match = _PART.match(entry.key)
            if match:
                upload = match[1]
                newest[upload] = max(entry.modified, newest.get(upload, entry.modified))
                keys.setdefault(upload, []).append(entry.key)
        idle = (u for u, modified in newest.items() if is_uuid(u) and old(modified))
        for batch in _batches(idle, _ASK_BATCH):
            known = known_uploads(batch)
            for upload in batch:
                if upload not in known:
                    self.bucket.delete(keys[upload])
                    removed.append(_UPLOADS + upload)
        self.bucket.abort_unfinished(_ITEMS, old)
        return removed

    def stored_keys(self) -> list[str]:
        """Every key the vault stored in the bucket (``items/`` and ``uploads/``)."""
        return [e.key for prefix in (_ITEMS, _UPLOADS) for e in self.bucket.entries(prefix)]


def _batches(ids: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for i in ids:
        batch.append(i)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _rechunked(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """``chunks`` regrouped into pieces of exactly ``size`` bytes, but the last: memory
    stays within a few pieces whatever the total."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            with memoryview(buffer) as view:
                piece = bytes(view[:size])  # one copy, not a slice and then a copy
            del buffer[:size]
            yield piece
    if buffer:
        yield bytes(buffer)
