"""Thin bindings over one S3 bucket (boto3): the only module that imports boto3.

Each call is one S3 request (or one paginated listing, or one multipart upload) and
every failure of the store becomes ``FileStoreUnavailable`` with one sentence
(unreachable, credentials refused, no such bucket); the log names the operation and the
store's error code, never a key or the secret. ``objects.py`` builds the blob store on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from vault.errors import BlobMissing, BlobWrongSize, FileStoreUnavailable
from vault.settings import BlobStoreSettings
from vault.storage.blobs.chunks import Chunks

log = logging.getLogger("permanence.vault")

UNREACHABLE = FileStoreUnavailable.message
CREDENTIALS_REFUSED = "The file store refused the vault's credentials: tell the administrator."
NO_BUCKET = "The file store has no bucket of the configured name: tell the administrator."
_CREDENTIAL_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"}
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
_TAKEN_CODES = {"PreconditionFailed", "ConditionalRequestConflict"}
_DELETE_BATCH = 1000  # the most keys one DeleteObjects takes


class Taken(Exception):
    """The key already holds an object: a conditional (``If-None-Match: *``) write was
    refused by the store."""


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    size: int
    modified: datetime


@dataclass(frozen=True, slots=True)
class Head:
    size: int
    metadata: dict[str, str]


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


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def translated(what: str, *, logged: bool = True) -> Iterator[None]:
    """Store failures as one sentence (``FileStoreUnavailable``), logged unless the caller
    shows that sentence itself (``logged=False``)."""
    try:
        yield
    except ClientError as e:
        code = _code(e)
        if logged:
            log.warning("object store refused %s: %s", what, code or "no code")
        if code == "NoSuchBucket":
            raise FileStoreUnavailable(NO_BUCKET) from None
        if code in _CREDENTIAL_CODES:
            raise FileStoreUnavailable(CREDENTIALS_REFUSED) from None
        raise FileStoreUnavailable(UNREACHABLE) from None
    except BotoCoreError as e:
        if logged:
            log.warning("object store unreachable for %s: %s", what, type(e).__name__)
        raise FileStoreUnavailable(UNREACHABLE) from None


class Bucket:
    def __init__(self, client: Any, name: str) -> None:
        self._s3 = client
        self.name = name

    @classmethod
    def open(cls, settings: BlobStoreSettings) -> Bucket:
        with translated("a client"):  # e.g. an AWS_PROFILE in the environment naming none
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=settings.url,
                region_name=settings.region,
                aws_access_key_id=settings.access_key_id,
                aws_secret_access_key=settings.secret_access_key.value.decode(),
                config=client_config(),
            )
        return cls(client, settings.bucket)

    def check(self, *, logged: bool = True) -> None:
        """The bucket exists and the credentials open it."""
        with translated("the bucket", logged=logged):
            try:
                self._s3.head_bucket(Bucket=self.name)
            except ClientError as e:
                if _code(e) in _MISSING_CODES:  # a HEAD has no body to say NoSuchBucket
                    raise FileStoreUnavailable(NO_BUCKET) from None
                raise

    def put(self, key: str, data: bytes) -> None:
        with translated("a part"):
            self._s3.put_object(Bucket=self.name, Key=key, Body=data)

    def head(self, key: str) -> Head | None:
        with translated("a blob's size"):
            try:
                answer = self._s3.head_object(Bucket=self.name, Key=key)
            except ClientError as e:
                if _code(e) in _MISSING_CODES:
                    return None
                raise
        return Head(int(answer["ContentLength"]), dict(answer.get("Metadata", {})))

    def get(
        self, key: str, start: int = 0, end: int | None = None, *, size: int | None = None
    ) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` (excluded; None = the end) of ``key``, in chunks; the
        GET is made here, so a missing key raises ``BlobMissing`` before any chunk, and an
        object of another length than ``size`` (when given) ``BlobWrongSize``."""
        request = {"Bucket": self.name, "Key": key}
        if start > 0 or end is not None:
            if end is not None and end <= start:
                return iter(())
            request["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        with translated("a blob"):
            try:
                answer = self._s3.get_object(**request)
                body = answer["Body"]
            except ClientError as e:
                if _code(e) in _MISSING_CODES:
                    raise BlobMissing() from None
                if _code(e) == "InvalidRange":  # starts at or past the end
                    if size is not None:  # the object is shorter than the range asked
                        head = self.head(key)
                        found = -1 if head is None else head.size
                        raise BlobWrongSize(found, size) from None
                    return iter(())
                raise
        if size is not None:
            stored = _object_size(answer)
            if stored != size:
                body.close()
                raise BlobWrongSize(stored, size)
        return Chunks(lambda n: _read(body, n), body.close)

    def entries(self, prefix: str) -> Iterator[Entry]:
        with translated("a listing"):
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.name, Prefix=prefix
            )
            for page in pages:
                for e in page.get("Contents", []):
                    yield Entry(e["Key"], int(e["Size"]), e["LastModified"])

    def delete(self, keys: list[str]) -> None:
        for i in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": k} for k in keys[i : i + _DELETE_BATCH]]
            with translated("a deletion"):
                self._s3.delete_objects(Bucket=self.name, Delete={"Objects": batch, "Quiet": True})

    def create_once(
        self, key: str, metadata: dict[str, str], parts: Iterable[tuple[str, int, bytes]]
    ) -> int:
        """One multipart upload of ``parts`` under ``key``, completed with
        ``If-None-Match: *`` (``Taken`` if the key holds an object). Each part is
        ``(source key, its size, b"")``, copied by the store itself (UploadPartCopy), or
        ``("", size, data)``. Every part but the last must be at least 5 MiB (S3's rule).
        Returns the length; an upload that fails is aborted."""
        with translated("a new blob"):
            started = self._s3.create_multipart_upload(Bucket=self.name, Key=key, Metadata=metadata)
        upload = started["UploadId"]
        done: list[dict[str, Any]] = []
        length = 0
        common = {"Bucket": self.name, "Key": key, "UploadId": upload}
        try:
            with translated("a blob's part"):
                for number, (source, size, data) in enumerate(parts, start=1):
                    if source:
                        answer = self._s3.upload_part_copy(
                            **common,
                            PartNumber=number,
                            CopySource={"Bucket": self.name, "Key": source},
                        )
                        etag = answer["CopyPartResult"]["ETag"]
                    else:
                        etag = self._s3.upload_part(**common, PartNumber=number, Body=data)["ETag"]
                    length += size
                    done.append({"ETag": etag, "PartNumber": number})
                if not done:  # an empty blob: one empty part
                    answer = self._s3.upload_part(**common, PartNumber=1, Body=b"")
                    done.append({"ETag": answer["ETag"], "PartNumber": 1})
            self._complete(key, upload, done)
        except BaseException:
            self._abort(key, upload)
            raise
        return length

    def _complete(self, key: str, upload: str, parts: list[dict[str, Any]]) -> None:
        with translated("a new blob"):
            try:
                self._s3.complete_multipart_upload(
                    Bucket=self.name,
                    Key=key,
                    UploadId=upload,
                    MultipartUpload={"Parts": parts},
                    IfNoneMatch="*",
                )
            except ClientError as e:
                if _code(e) in _TAKEN_CODES:
                    raise Taken() from None
                raise

    def _abort(self, key: str, upload: str) -> None:
        try:
            self._s3.abort_multipart_upload(Bucket=self.name, Key=key, UploadId=upload)
        except (ClientError, BotoCoreError):
            log.warning("an unfinished multipart upload is left for orphan collection")

    def abort_unfinished(self, prefix: str, old: Callable[[datetime], bool]) -> None:
        """Abort the multipart uploads under ``prefix`` started at a time ``old`` accepts."""
        with translated("unfinished blobs"):
            answer = self._s3.list_multipart_uploads(Bucket=self.name, Prefix=prefix)
        for upload in answer.get("Uploads", []):
            if old(upload["Initiated"]):
                self._abort(upload["Key"], upload["UploadId"])


def _read(body: Any, size: int) -> bytes:
    with translated("a blob"):
        data: bytes = body.read(size)
    return data


def _object_size(answer: dict[str, Any]) -> int:
    """The whole object's length from a GET's answer: ``Content-Range``'s total for a
    range, else ``Content-Length``."""
    ranged = str(answer.get("ContentRange") or "")
    if "/" in ranged and ranged.rsplit("/", 1)[1].isdigit():
        return int(ranged.rsplit("/", 1)[1])
    return int(answer["ContentLength"])
