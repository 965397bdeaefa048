"""Moving an embedded vault into PostgreSQL and an object store (``vault.storage.moving``).

The target is real: a database of the throwaway PostgreSQL cluster and a bucket of the
SeaweedFS test server (the fixtures of ``tests/backends``)."""

from __future__ import annotations

import dataclasses

import pytest

from audit.issuer import stored_checkpoints
from audit.log import AuditLog
from crypto.secret import Secret
from tests.factories import open_test_vault
from tests.vault.storage.moving_vault import Populated, populate, served_by
from vault.auditing import operations
from vault.auditing.checkpoints import checkpoint_issuer
from vault.settings import BlobStoreSettings, Settings
from vault.storage import moving
from vault.storage.store import connect
from vault.storage.datadir import database_key


def _with_keys(settings: Settings) -> Settings:
    keys = BlobStoreSettings(access_key_id="id", secret_access_key=Secret(b"secret"))
    return dataclasses.replace(settings, blob_store=keys)


# -- refusals before anything is copied ---------------------------------------------------


def test_the_destination_is_built_from_the_urls_and_the_settings_keys(
    initialised: Settings,
) -> None:
    """BLOB_URL gives the endpoint and bucket; the keys and region come from the settings."""
    target = moving.destination(
        _with_keys(initialised),
        "postgresql:///permanence?host=/run/pg",
        "https://s3.example.net/vault-1",
    )
    assert target.database_url == Secret(b"postgresql:///permanence?host=/run/pg")
    assert target.blob_store.url == "https://s3.example.net"
    assert target.blob_store.bucket == "vault-1"
    assert target.blob_store.access_key_id == "id"
    assert target.data_dir == initialised.data_dir  # the keys stay where they are


@pytest.mark.parametrize(
    ("database_url", "blob_url", "words"),
    [
        ("postgresql://u:hunter2@127.0.0.1/p", "https://s3.example.net/bucket-1", "PGPASSWORD"),
        (
            "postgresql://u@127.0.0.1/p?password=hunter2",
            "https://s3.example.net/bucket-1",
            "PGPASSWORD",
        ),
        (
            "postgresql://127.0.0.1/p",
            "https://id:key@s3.example.net/bucket-1",
            "without credentials",
        ),
        ("postgresql://127.0.0.1/p", "s3.example.net/bucket-1", "followed by its bucket"),
        ("postgresql://127.0.0.1/p", "https://s3.example.net/", "bucket"),
        ("postgresql://db.example.net/p", "https://s3.example.net/bucket-1", "sslmode=verify-full"),
        ("mysql://127.0.0.1/p", "https://s3.example.net/bucket-1", "PostgreSQL address"),
    ],
)
def test_bad_urls_are_refused_in_one_sentence_each_language(
    initialised: Settings, database_url: str, blob_url: str, words: str
) -> None:
    """A password on the command line, credentials in BLOB_URL, no bucket, a remote database
    without verified TLS: refused before anything is opened, in English and French."""
    with pytest.raises(moving.MoveRefused) as refused:
        moving.destination(_with_keys(initialised), database_url, blob_url)
    assert words in str(refused.value)
    assert "hunter2" not in str(refused.value) + refused.value.french
    assert refused.value.french and refused.value.french != str(refused.value)


def test_missing_object_store_keys_are_refused(initialised: Settings) -> None:
    with pytest.raises(moving.BadTarget, match="PERMANENCE_BLOB_STORE_ACCESS_KEY_ID"):
        moving.destination(
            initialised, "postgresql://127.0.0.1/p", "https://s3.example.net/bucket-1"
        )


def test_settings_already_distributed_are_refused(initialised: Settings) -> None:
    distributed = dataclasses.replace(initialised, database_url=Secret(b"postgresql://127.0.0.1/p"))
    with pytest.raises(moving.AlreadyDistributed):
        moving.destination(
            distributed, "postgresql://127.0.0.1/q", "https://s3.example.net/bucket-1"
        )


def test_a_vault_open_in_another_process_is_refused(initialised: Settings) -> None:
    """While a server (here: an open vault) holds the database, nothing is read or copied;
    once it has closed, the lock is free again."""
    target = moving.destination(
        _with_keys(initialised), "postgresql://127.0.0.1/p", "https://s3.example.net/bucket-1"
    )
    with open_test_vault(initialised), pytest.raises(moving.VaultInUse) as refused:
        moving.move(initialised, target)
    assert "permanence serve" in str(refused.value)
    assert "«\u00a0permanence serve\u00a0»" in refused.value.french
