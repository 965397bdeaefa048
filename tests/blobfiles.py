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
    return [b"".join(store._get(key, None)) for key in store.stored_keys()]
