"""The object store: blobs in an S3-compatible bucket (the distributed backend).

The only module that imports boto3. Keys under the bucket:

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
Every store failure becomes ``FileStoreUnavailable`` with one sentence (unreachable,
credentials refused, no such bucket); the secret key is never logged or shown.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from vault.errors import BlobExists, BlobMissing, FileStoreUnavailable
from vault.ids import is_uuid
from vault.settings import BlobStoreSettings
from vault.storage.blobs.chunks import Chunks
from vault.storage.blobs.directory import ORPHAN_AGE_SECONDS

log = logging.getLogger("permanence.vault")

PART_BYTES = 8 * 1024 * 1024  # the largest upload part object, and a composed part's size
MIN_PART_BYTES = 5 * 1024 * 1024  # S3's smallest part of a multipart upload, but the last
_DELETE_BATCH = 1000  # the most keys one DeleteObjects takes
_UPLOADS, _ITEMS = "uploads/", "items/"
_PART = re.compile(r"^uploads/([0-9a-f-]{36})/(\d{15})-(\d{15})$")
_ORIGIN = "upload"  # metadata key: the upload an item's blob was composed from

UNREACHABLE = FileStoreUnavailable.message
CREDENTIALS_REFUSED = "The file store refused the vault's credentials: tell the administrator."
NO_BUCKET = "The file store has no bucket of the configured name: tell the administrator."
_CREDENTIAL_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"}
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


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


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Store failures as one sentence (``FileStoreUnavailable``); the log names the
    operation and the error code, never a key or the secret."""
    try:
        yield
    except ClientError as e:
        code = _code(e)
        log.warning("object store refused %s: %s", what, code or "no code")
        if code == "NoSuchBucket":
            raise FileStoreUnavailable(NO_BUCKET) from None
        if code in _CREDENTIAL_CODES:
            raise FileStoreUnavailable(CREDENTIALS_REFUSED) from None
        raise FileStoreUnavailable(UNREACHABLE) from None
    except BotoCoreError as e:
        log.warning("object store unreachable for %s: %s", what, type(e).__name__)
        raise FileStoreUnavailable(UNREACHABLE) from None


def client_config() -> Config:
    """Bounded waits: a store that does not answer is a 503 within seconds, not a hang."""
    return Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        max_pool_connections=32,
    )


class ObjectStore:
    """``BlobStore`` on an S3-compatible bucket (``vault/storage/blobs/__init__.py``)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    @classmethod
    def open(cls, settings: BlobStoreSettings) -> ObjectStore:
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.url,
            region_name=settings.region,
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key.value.decode(),
            config=client_config(),
        )
        return cls(client, settings.bucket)

    # -- uploads -------------------------------------------------------------------------

    def create_upload(self, upload_id: str) -> None:
        """Nothing to create (parts are objects of their own); the store must answer,
        so that an unreachable store refuses the upload before its row exists."""
        _upload(upload_id)
        with _translated("a new upload"):
            try:
                self._s3.head_bucket(Bucket=self.bucket)
            except ClientError as e:
                if _code(e) in _MISSING_CODES:  # a HEAD has no body to say NoSuchBucket
                    raise FileStoreUnavailable(NO_BUCKET) from None
                raise

    def write_at(self, upload_id: str, offset: int, parts: Iterable[bytes]) -> int:
        """Store ``parts`` from ``offset`` as part objects of at most ``PART_BYTES``;
        returns the length after them. Each PUT has succeeded when this returns."""
        position = offset
        for piece in _rechunked(parts, PART_BYTES):
            position = self._put_part(upload_id, position, piece)
        return position

    def _put_part(self, upload_id: str, offset: int, data: bytes) -> int:
        end = offset + len(data)
        with _translated("an upload part"):
            self._s3.put_object(
                Bucket=self.bucket, Key=_part_key(upload_id, offset, end), Body=data
            )
        return end

    def _parts(self, upload_id: str) -> list[_Part]:
        found = []
        for entry in self._list(f"{_UPLOADS}{_upload(upload_id)}/"):
            match = _PART.match(entry["Key"])
            if match:
                offset, end = int(match[2]), int(match[3])
                found.append(_Part(entry["Key"], offset, end, entry["LastModified"]))
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
            with _translated("an upload's head"):
                body = self._s3.get_object(Bucket=self.bucket, Key=part.key)["Body"]
                out += body.read(size - len(out))
                body.close()
        return bytes(out[:size])

    def discard_upload(self, upload_id: str) -> None:
        self._delete([p.key for p in self._parts(upload_id)])

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
            self._compose(key, upload_id, chain)
        except _Taken:
            if not self._published(key, upload_id, length):  # not a twin of this very deposit
                raise BlobExists() from None
        self.discard_upload(upload_id)

    def _published(self, key: str, upload_id: str, length: int) -> bool:
        """Whether ``key`` holds this upload's blob; ``BlobExists`` if it holds another."""
        head = self._head(key)
        if head is None:
            return False
        if head["Metadata"].get(_ORIGIN) == upload_id and int(head["ContentLength"]) == length:
            return True
        raise BlobExists()

    def _compose(self, key: str, upload_id: str, chain: list[_Part]) -> None:
        if all(p.end - p.offset >= MIN_PART_BYTES for p in chain[:-1]):
            parts: Iterable[tuple[str, bytes]] = ((p.key, b"") for p in chain)
        else:
            parts = (("", data) for data in _rechunked(self._chain_bytes(chain), PART_BYTES))
        self._multipart(key, {_ORIGIN: upload_id}, parts)

    def _chain_bytes(self, chain: list[_Part]) -> Iterator[bytes]:
        for part in chain:
            yield from self._get(part.key, None)

    def _multipart(
        self, key: str, metadata: dict[str, str], parts: Iterable[tuple[str, bytes]]
    ) -> int:
        """One multipart upload of ``parts`` (a part object's key to copy, or bytes),
        completed only if ``key`` is free. Returns the length; ``_Taken`` if it is not."""
        with _translated("a new blob"):
            started = self._s3.create_multipart_upload(
                Bucket=self.bucket, Key=key, Metadata=metadata
            )
        upload = started["UploadId"]
        done: list[dict[str, Any]] = []
        length = 0
        try:
            with _translated("a blob's part"):
                for number, (source, data) in enumerate(parts, start=1):
                    common = {
                        "Bucket": self.bucket,
                        "Key": key,
                        "UploadId": upload,
                        "PartNumber": number,
                    }
                    if source:
                        answer = self._s3.upload_part_copy(
                            **common, CopySource={"Bucket": self.bucket, "Key": source}
                        )
                        etag = answer["CopyPartResult"]["ETag"]
                        length += _range_length(source)
                    else:
                        etag = self._s3.upload_part(**common, Body=data)["ETag"]
                        length += len(data)
                    done.append({"ETag": etag, "PartNumber": number})
            if not done:  # an empty blob: one empty part
                with _translated("a blob's part"):
                    answer = self._s3.upload_part(
                        Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=1, Body=b""
                    )
                done.append({"ETag": answer["ETag"], "PartNumber": 1})
            try:
                self._s3.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload,
                    MultipartUpload={"Parts": done},
                    IfNoneMatch="*",
                )
            except ClientError as e:
                if _code(e) in {"PreconditionFailed", "ConditionalRequestConflict"}:
                    raise _Taken() from None
                with _translated("a new blob"):
                    raise
            except BotoCoreError:
                with _translated("a new blob"):
                    raise
        except BaseException:
            self._abort(key, upload)
            raise
        return length

    def _abort(self, key: str, upload: str) -> None:
        try:
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload)
        except (ClientError, BotoCoreError):
            log.warning("an unfinished multipart upload is left for orphan collection")

    # -- items ---------------------------------------------------------------------------

    def has_item(self, item_id: str) -> bool:
        return self._head(_item_key(item_id)) is not None

    def item_size(self, item_id: str) -> int:
        head = self._head(_item_key(item_id))
        if head is None:
            raise BlobMissing()
        return int(head["ContentLength"])

    def read_item(self, item_id: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The blob's bytes ``start`` to ``end`` (excluded; None = its end), in chunks.
        The GET is made here: a missing blob raises ``BlobMissing`` before any chunk."""
        return self._get(_item_key(item_id), (start, end))

    def _get(self, key: str, span: tuple[int, int | None] | None) -> Iterator[bytes]:
        request = {"Bucket": self.bucket, "Key": key}
        if span is not None and (span[0] > 0 or span[1] is not None):
            start, end = span
            if end is not None and end <= start:
                return iter(())
            request["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        with _translated("a blob"):
            try:
                body = self._s3.get_object(**request)["Body"]
            except ClientError as e:
                if _code(e) in _MISSING_CODES:
                    raise BlobMissing() from None
                if _code(e) == "InvalidRange":  # starts at or past the end
                    return iter(())
                raise
        return Chunks(lambda size: _read(body, size), body.close)

    def put_item(self, item_id: str, chunks: Iterable[bytes]) -> int:
        """Store a whole blob under ``item_id`` (write-once: ``BlobExists`` if one is there),
        streamed in parts of ``PART_BYTES``."""
        key = _item_key(item_id)
        if self._head(key) is not None:
            raise BlobExists()
        try:
            return self._multipart(
                key, {_ORIGIN: "put"}, (("", c) for c in _rechunked(chunks, PART_BYTES))
            )
        except _Taken:
            raise BlobExists() from None

    def _head(self, key: str) -> dict[str, Any] | None:
        with _translated("a blob's size"):
            try:
                head: dict[str, Any] = self._s3.head_object(Bucket=self.bucket, Key=key)
            except ClientError as e:
                if _code(e) in _MISSING_CODES:
                    return None
                raise
        return head

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

        items = {e["Key"][len(_ITEMS) :]: e["LastModified"] for e in self._list(_ITEMS)}
        stale = [i for i, modified in items.items() if is_uuid(i) and old(modified)]
        if stale:
            known = known_items(stale)
            gone = [_ITEMS + i for i in stale if i not in known]
            self._delete(gone)
            removed.extend(gone)
        newest: dict[str, datetime] = {}
        keys: dict[str, list[str]] = {}
        for entry in self._list(_UPLOADS):
            match = _PART.match(entry["Key"])
            if match:
                upload, modified = match[1], entry["LastModified"]
                newest[upload] = max(modified, newest.get(upload, modified))
                keys.setdefault(upload, []).append(entry["Key"])
        idle = [u for u, modified in newest.items() if is_uuid(u) and old(modified)]
        if idle:
            known = known_uploads(idle)
            for upload in idle:
                if upload not in known:
                    self._delete(keys[upload])
                    removed.append(_UPLOADS + upload)
        self._abort_abandoned(old)
        return removed

    def _abort_abandoned(self, old: Callable[[datetime], bool]) -> None:
        with _translated("unfinished blobs"):
            answer = self._s3.list_multipart_uploads(Bucket=self.bucket, Prefix=_ITEMS)
        for upload in answer.get("Uploads", []):
            if old(upload["Initiated"]):
                self._abort(upload["Key"], upload["UploadId"])

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        with _translated("a listing"):
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                yield from page.get("Contents", [])

    def _delete(self, keys: list[str]) -> None:
        for i in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": k} for k in keys[i : i + _DELETE_BATCH]]
            with _translated("a deletion"):
                self._s3.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )


class _Taken(Exception):
    """The item's key already holds an object: the conditional completion was refused."""


def _range_length(part_key: str) -> int:
    match = _PART.match(part_key)
    assert match is not None  # noqa: S101 - only part keys are copied
    return int(match[3]) - int(match[2])


def _rechunked(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """``chunks`` regrouped into pieces of exactly ``size`` bytes, but the last: memory
    stays under two pieces whatever the total."""
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


def _read(body: Any, size: int) -> bytes:
    with _translated("a blob"):
        data: bytes = body.read(size)
    return data
