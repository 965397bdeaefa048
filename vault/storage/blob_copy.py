"""Copying an embedded vault's files (extract streams, uploads in progress) into another
``BlobStore``, streamed, each checked after it is written.

An extract's stream goes with ``put_item`` (write-once) in the chunks ``read_item``
gives, hashed (SHA-256) on the way; the copy is then read back from the target and its
size and hash compared. A stream already in the target (an earlier attempt that failed
before its database commit left it there, unreferenced) is kept if it is the same bytes
and refused otherwise. An upload in progress is copied up to what was acknowledged
(``upload.received``): ``create_upload`` then ``write_at`` from offset 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from vault.errors import DataDirError
from vault.storage.blobs import BlobStore
from vault.storage.store import Connection


class FileMissing(DataDirError):
    """A file the source's database refers to is missing or shorter than recorded."""


class FileDiffers(DataDirError):
    """The target holds another file under an extract's id, or the copy reads back wrong."""


@dataclass(frozen=True, slots=True)
class Stream:
    item_id: str
    size: int


@dataclass(frozen=True, slots=True)
class PartialUpload:
    upload_id: str
    item_id: str
    received: int


def streams(conn: Connection) -> list[Stream]:
    """Every extract's stream the source's database refers to."""
    rows = conn.execute(
        "SELECT id, blob_size FROM item WHERE blob_size IS NOT NULL ORDER BY id"
    ).fetchall()
    return [Stream(str(r[0]), int(r[1])) for r in rows]


def partial_uploads(conn: Connection) -> list[PartialUpload]:
    rows = conn.execute("SELECT id, item_id, received FROM upload ORDER BY id").fetchall()
    return [PartialUpload(str(r[0]), str(r[1]), int(r[2])) for r in rows]


def _hashed(chunks: Iterable[bytes], h: hashlib._Hash) -> Iterator[bytes]:
    for chunk in chunks:
        h.update(chunk)
        yield chunk


def _hash_of(chunks: Iterable[bytes]) -> tuple[int, bytes]:
    h = hashlib.sha256()
    size = 0
    for chunk in chunks:
        h.update(chunk)
        size += len(chunk)
    return size, h.digest()


def copy_stream(source: BlobStore, target: BlobStore, stream: Stream) -> bool:
    """Copy one extract's stream; False when the target already held the same bytes."""
    if not source.has_item(stream.item_id) or source.item_size(stream.item_id) != stream.size:
        raise FileMissing(
            f"the file of extract {stream.item_id} is missing from the data directory's"
            f" blobs/ or does not have its recorded {stream.size} bytes"
        )
    if target.has_item(stream.item_id):
        if _hash_of(target.read_item(stream.item_id)) != _hash_of(source.read_item(stream.item_id)):
            raise FileDiffers(
                f"the object store already holds another file for extract {stream.item_id};"
                " move the vault into an empty bucket"
            )
        return False
    h = hashlib.sha256()
    written = target.put_item(stream.item_id, _hashed(source.read_item(stream.item_id), h))
    if (written, target.item_size(stream.item_id)) != (stream.size, stream.size) or _hash_of(
        target.read_item(stream.item_id)
    ) != (stream.size, h.digest()):
        raise FileDiffers(
            f"the copy of extract {stream.item_id}'s file in the object store reads back"
            " different from the source"
        )
    return True


def copy_upload(source: BlobStore, target: BlobStore, upload: PartialUpload) -> None:
    """Copy what was acknowledged of an upload in progress (at most the upload limit)."""
    data = source.read_head(upload.upload_id, upload.item_id, upload.received)
    if len(data) != upload.received:
        raise FileMissing(
            f"the temporary file of upload {upload.upload_id} is missing from blobs/tmp or"
            f" shorter than its acknowledged {upload.received} bytes"
        )
    target.create_upload(upload.upload_id)
    if target.write_at(upload.upload_id, 0, [data]) != upload.received:
        raise FileDiffers(f"the copy of upload {upload.upload_id} has the wrong length")


def copy_files(
    conn: Connection,
    source: BlobStore,
    target: BlobStore,
    progress: Callable[[int, int, int], None] | None = None,
) -> tuple[int, int, int]:
    """Copy every stream and upload ``conn`` refers to: (streams, their bytes, uploads)."""
    todo = streams(conn)
    size = 0
    for done, stream in enumerate(todo, 1):
        copy_stream(source, target, stream)
        size += stream.size
        if progress is not None:
            progress(done, len(todo), size)
    uploads = partial_uploads(conn)
    for upload in uploads:
        copy_upload(source, target, upload)
    return len(todo), size, len(uploads)


__all__ = [
    "FileDiffers",
    "FileMissing",
    "PartialUpload",
    "Stream",
    "copy_files",
    "copy_stream",
    "copy_upload",
    "partial_uploads",
    "streams",
]
