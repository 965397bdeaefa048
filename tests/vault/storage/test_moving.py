"""Moving an embedded vault into PostgreSQL and an object store (``vault.storage.moving``).

The target is real: an empty database of a throwaway PostgreSQL cluster
(``tests/backends/postgres.py``) and a fresh bucket of the SeaweedFS test server
(``tests/objectstore.py``). The source is always an embedded vault, whichever the test
backend (``PERMANENCE_TEST_BACKEND``)."""

from __future__ import annotations

import dataclasses
from io import BytesIO
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from audit.checkpoint import StoredCheckpoint
from audit.issuer import stored_checkpoints
from audit.log import AuditLog
from crypto.secret import Secret
from crypto.stream import decrypt_stream
from tests.backends import open_connection
from tests.backends.postgres import Cluster
from tests.factories import REQ, deposit_item, open_test_vault
from tests.vault.storage.moving_vault import (
    Populated,
    cluster_fixture,  # noqa: F401 - the PostgreSQL ``cluster`` fixture
    embedded_vault,
    populate,
    served_by,
)
from tests.web.test_items_web import Clients
from vault.auditing import operations
from vault.auditing.checkpoints import checkpoint_issuer
from vault.items import inbox
from vault.settings import BlobStoreSettings, Settings
from vault.storage import moving, table_copy
from vault.storage.blobs import open_blob_store
from vault.storage.store import Connection
from web.app import create_app


@pytest.fixture
def source(tmp_path: Path, object_bucket: BlobStoreSettings) -> Settings:
    return embedded_vault(tmp_path / "data", object_bucket)


@pytest.fixture
def target(source: Settings, cluster: Cluster, object_bucket: BlobStoreSettings) -> Settings:
    """The moved vault's settings: an empty PostgreSQL database, a fresh bucket."""
    url = cluster.new_database(template=None).value.decode()
    return moving.destination(source, url, f"{object_bucket.url}/{object_bucket.bucket}")


@pytest.fixture
def populated(source: Settings) -> Populated:
    return populate(source)


def _log(settings: Settings) -> tuple[int, bytes, list[StoredCheckpoint]]:
    verifier = checkpoint_issuer(settings).signer.verifier
    conn = open_connection(settings)
    try:
        log = AuditLog()
        return log.size(conn), log.root(conn), list(stored_checkpoints(conn, verifier))
    finally:
        conn.close()


def _counts(conn: Connection) -> dict[str, int]:
    tables = table_copy.target_tables(conn)
    return {name: table_copy.count_rows(conn, name) for name in sorted(tables)}


def _target_rows(target: Settings) -> dict[str, int]:
    conn = open_connection(target)
    try:
        return {k: v for k, v in _counts(conn).items() if v and k != "schema_migrations"}
    finally:
        conn.close()


def _disabled_triggers(target: Settings) -> int:
    conn = open_connection(target)
    try:
        row = conn.execute(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D'"
        ).fetchone()
        return int(row[0])
    finally:
        conn.close()


EMPTY = {"audit_retention": 1}  # the one row the schema itself puts there


# -- the move -------------------------------------------------------------------------------


def test_the_moved_vault_serves_the_same_items_and_its_log_verifies(
    source: Settings, target: Settings, populated: Populated
) -> None:
    """Every table row for row, the extract's file and the upload in progress in the object
    store: the moved vault (opened on PostgreSQL and the bucket) gives the member the same
    envelope and the same decrypted file (through the use cases and over HTTP), resumes
    the upload where it was, has the same tree head and checkpoints (pruned entries and a
    cosignature included), verifies, and goes on writing: identity columns continue after
    the copied numbers, and a call note whose call started before the move is accepted (the
    vault keeps the day it was created)."""
    before = _log(source)
    done = moving.move(source, target)

    assert (done.tree_size, done.tree_root, list(done.checkpoints)) == before
    assert _log(target) == before
    assert done.files == 1 and done.uploads == 1
    assert done.verified.pruned == populated.pruned_below > 0
    assert done.verified.cosignatures == 1
    embedded = open_connection(source)
    try:
        expected = {k: v for k, v in _counts_source(embedded).items() if v}
    finally:
        embedded.close()
    assert _target_rows(target) == expected
    assert _disabled_triggers(target) == 0

    with open_test_vault(target) as moved:
        envelope, plaintext, received = served_by(moved, populated)
        assert envelope == populated.note_envelope
        assert plaintext == populated.extract_plaintext
        assert received == populated.upload_received
        env = dataclasses.replace(moved.env, now=populated.world.clock)
        inbox.set_status(env, REQ, populated.world.member.principal, populated.note_id, "handled")
        deposit_item(dataclasses.replace(populated.world, env=env))
        with TestClient(create_app(moved.with_env(now=populated.world.clock))) as client:
            member = Clients(dataclasses.replace(populated.world, env=env), client)
            answer = member.as_(populated.world.member).get(f"/items/{populated.extract_id}/file")
        assert answer.status_code == 200
        clear = BytesIO()
        decrypt_stream(
            BytesIO(answer.content),
            clear,
            populated.manifest.file_key,
            populated.manifest.stream_hash,
        )
        assert clear.getvalue() == populated.extract_plaintext  # through the app too
        report = operations.verify_log(env, moved.checkpointing.issuer.signer.verifier)
        assert report.size > before[0] and report.pruned == populated.pruned_below


def _counts_source(conn: Connection) -> dict[str, int]:
    return {t.name: table_copy.count_rows(conn, t.name) for t in table_copy.source_tables(conn)}


def test_a_target_that_is_not_empty_is_refused_and_left_untouched(
    source: Settings, target: Settings, populated: Populated
) -> None:
    """A second move into the same database is refused in one sentence (both languages)
    before anything is written: its rows and its log stay as they were."""
    moving.move(source, target)
    rows, log = _target_rows(target), _log(target)
    with pytest.raises(moving.TargetNotEmpty) as refused:
        moving.move(source, target)
    assert "not empty" in str(refused.value) and "pas vide" in refused.value.french
    assert (_target_rows(target), _log(target)) == (rows, log)


def test_a_failure_mid_copy_leaves_the_target_database_empty_and_a_retry_works(
    source: Settings, target: Settings, populated: Populated
) -> None:
    """Interrupted while the item table is copied (an operator's Ctrl-C): the transaction
    rolls back, every row and the suspended triggers with it; the files already in the
    bucket are kept by the next attempt, which succeeds."""

    def interrupt(table: str, done: int, total: int) -> None:
        if table == "item" and done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        moving.move(source, target, moving.MoveProgress(table=interrupt))
    assert _target_rows(target) == EMPTY
    assert _disabled_triggers(target) == 0
    done = moving.move(source, target)
    assert done.tree_root == _log(source)[1]


def test_a_file_missing_from_the_source_stops_the_move_before_any_row(
    source: Settings, target: Settings, populated: Populated
) -> None:
    (source.layout.blobs_dir / populated.extract_id[:2] / populated.extract_id).unlink()
    with pytest.raises(moving.MoveFailed) as failed:
        moving.move(source, target)
    assert populated.extract_id in str(failed.value) and "laissée vide" in failed.value.french
    assert _target_rows(target) == EMPTY


def test_an_object_store_that_refuses_stops_the_move(
    source: Settings, target: Settings, populated: Populated
) -> None:
    """Wrong credentials: the store refuses the first file; nothing is kept in the database."""
    wrong = dataclasses.replace(
        target,
        blob_store=dataclasses.replace(target.blob_store, secret_access_key=Secret(b"wrong")),
    )
    with pytest.raises(moving.MoveFailed):
        moving.move(source, wrong)
    assert _target_rows(target) == EMPTY


@pytest.fixture
def embedded(tmp_path: Path) -> Settings:
    """An embedded vault whose settings hold an access key pair (no object store needed)."""
    keys = BlobStoreSettings(access_key_id="id", secret_access_key=Secret(b"secret"))
    return embedded_vault(tmp_path / "data", keys)


# -- refusals before anything is copied ---------------------------------------------------


def test_the_destination_is_built_from_the_urls_and_the_settings_keys(
    embedded: Settings,
) -> None:
    """BLOB_URL gives the endpoint and bucket; the keys and region come from the settings."""
    target = moving.destination(
        embedded,
        "postgresql:///permanence?host=/run/pg",
        "https://s3.example.net/vault-1",
    )
    assert target.database_url == Secret(b"postgresql:///permanence?host=/run/pg")
    assert target.blob_store.url == "https://s3.example.net"
    assert target.blob_store.bucket == "vault-1"
    assert target.blob_store.access_key_id == "id"
    assert target.data_dir == embedded.data_dir  # the keys stay where they are


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
    embedded: Settings, database_url: str, blob_url: str, words: str
) -> None:
    """A password on the command line, credentials in BLOB_URL, no bucket, a remote database
    without verified TLS: refused before anything is opened, in English and French."""
    with pytest.raises(moving.MoveRefused) as refused:
        moving.destination(embedded, database_url, blob_url)
    assert words in str(refused.value)
    assert "hunter2" not in str(refused.value) + refused.value.french
    assert refused.value.french and refused.value.french != str(refused.value)


def test_missing_object_store_keys_are_refused(embedded: Settings) -> None:
    no_keys = dataclasses.replace(embedded, blob_store=BlobStoreSettings())
    with pytest.raises(moving.BadTarget, match="PERMANENCE_BLOB_STORE_ACCESS_KEY_ID"):
        moving.destination(no_keys, "postgresql://127.0.0.1/p", "https://s3.example.net/bucket-1")


def test_settings_already_distributed_are_refused(embedded: Settings) -> None:
    distributed = dataclasses.replace(embedded, database_url=Secret(b"postgresql://127.0.0.1/p"))
    with pytest.raises(moving.AlreadyDistributed):
        moving.destination(
            distributed, "postgresql://127.0.0.1/q", "https://s3.example.net/bucket-1"
        )


def test_a_vault_open_in_another_process_is_refused(embedded: Settings) -> None:
    """While a server (here: an open vault) holds the database, nothing is read or copied;
    once it has closed, the lock is free again."""
    target = moving.destination(
        embedded, "postgresql://127.0.0.1/p", "https://s3.example.net/bucket-1"
    )
    with open_test_vault(embedded), pytest.raises(moving.VaultInUse) as refused:
        moving.move(embedded, target)
    assert "permanence serve" in str(refused.value)
    assert "«\u00a0permanence serve\u00a0»" in refused.value.french
    with pytest.raises(moving.MoveFailed, match="cannot be reached"):  # alone now: on to the target
        moving.move(embedded, target)


def test_another_file_under_an_extracts_id_in_the_bucket_is_refused(
    source: Settings, target: Settings, populated: Populated
) -> None:
    """The bucket already holds other bytes under the extract's id (another vault's, or a
    damaged earlier copy): never overwritten, the move stops, the database stays empty."""
    open_blob_store(target).put_item(populated.extract_id, [b"someone else's bytes"])
    with pytest.raises(moving.MoveFailed, match="another file"):
        moving.move(source, target)
    assert _target_rows(target) == EMPTY
    got = b"".join(open_blob_store(target).read_item(populated.extract_id))
    assert got == b"someone else's bytes"


def test_tables_are_compared_page_by_page_and_a_changed_row_is_seen(
    source: Settings, target: Settings, populated: Populated, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With pages of 2 rows, every table is read in several pages on both sides — by its
    primary key, the copied rowid, or PostgreSQL's ctid (practice_access has neither) —
    and the move's comparison passes; one value changed afterwards in the copy makes the
    digests differ."""
    monkeypatch.setattr(table_copy, "BATCH", 2)
    moving.move(source, target)
    embedded, copied = open_connection(source), open_connection(target)
    try:
        access = next(t for t in table_copy.source_tables(embedded) if t.name == "practice_access")
        assert access.paged_by(table_copy.TARGET_ROW_ID) == ("ctid",)
        before = table_copy.digest(embedded, access, table_copy.SOURCE_ROW_ID)
        assert before[0] > 2  # several pages
        assert table_copy.digest(copied, access, table_copy.TARGET_ROW_ID) == before
        copied.execute(
            "UPDATE practice_access SET action = 'changed' WHERE audit_index = "
            "(SELECT min(audit_index) FROM practice_access)"
        )
        after = table_copy.digest(copied, access, table_copy.TARGET_ROW_ID)
        assert after[0] == before[0] and after != before
    finally:
        embedded.close()
        copied.close()
