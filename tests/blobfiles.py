"""What the vault's blob store holds, whichever it is (the blob directory or the object
store): for the tests that check no plaintext reached the server's storage."""

from __future__ import annotations

from vault.settings import Settings
from vault.storage.blobs import BlobDirectory, open_blob_store
from vault.storage.blobs.objects import ObjectStore


def stored_files(settings: Settings) -> list[bytes]:
    """The bytes of every blob and every upload part the vault's blob store holds."""
    store = open_blob_store(settings)
    if isinstance(store, BlobDirectory):
        return [p.read_bytes() for p in sorted(store.root.rglob("*")) if p.is_file()]
    assert isinstance(store, ObjectStore)
    return [b"".join(store.bucket.get(key)) for key in store.stored_keys()]


def stored_ids(settings: Settings) -> tuple[set[str], set[str]]:
    """(item ids with a stored blob, upload ids with stored bytes) in the vault's blob store."""
    store = open_blob_store(settings)
    published: set[str] = set()
    uploading: set[str] = set()
    if isinstance(store, BlobDirectory):
        for folder in store.root.iterdir() if store.root.exists() else []:
            for file in folder.iterdir():
                (uploading if folder.name == "tmp" else published).add(file.name)
        return published, uploading
    assert isinstance(store, ObjectStore)
    for key in store.stored_keys():
        kind, name = key.split("/")[:2]
        (published if kind == "items" else uploading).add(name)
    return published, uploading


def stored_upload(settings: Settings, upload_id: str) -> bytes:
    """The bytes of an upload in progress, as stored."""
    store = open_blob_store(settings)
    if isinstance(store, BlobDirectory):
        return store.upload_path(upload_id).read_bytes()
    assert isinstance(store, ObjectStore)
    parts = store._chain(upload_id, None) or []
    return b"".join(b"".join(store.bucket.get(p.key)) for p in parts)


def alter_blob(settings: Settings, item_id: str) -> None:
    """Flip one bit in the middle of an item's stored blob (storage that went bad)."""
    store = open_blob_store(settings)
    data = bytearray(b"".join(store.read_item(item_id)))
    data[len(data) // 2] ^= 1
    if isinstance(store, BlobDirectory):
        store.path(item_id).write_bytes(bytes(data))
        return
    assert isinstance(store, ObjectStore)
    store.bucket.delete([f"items/{item_id}"])
    store.put_item(item_id, [bytes(data)])
