"""The object store: blobs in an S3-compatible bucket (the distributed backend). Stage 1
placeholder: the implementation follows on the ``s3`` branch."""

from __future__ import annotations

from vault.errors import ConfigError
from vault.settings import BlobStoreSettings
from vault.storage.blobs.directory import BlobDirectory


class ObjectStore(BlobDirectory):
    @classmethod
    def open(cls, settings: BlobStoreSettings) -> ObjectStore:
        raise ConfigError("setting blob_store.url: the object store is not available yet")
