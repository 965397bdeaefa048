"""A populated embedded vault for the ``migrate-to`` tests: accounts, a practice, call notes,
an extract with its file, an upload in progress, status changes, a log spanning 18 months
of which the first entries are pruned, checkpoints and a cosignature; and the PostgreSQL
cluster the moves go to."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path

import pytest

from audit.keys import generate_signer_key, parse_signer
from crypto.envelope import ItemKind
from crypto.stream import FileManifest, decrypt_stream
from tests.backends import DISTRIBUTED, open_connection
from tests.backends.postgres import Cluster, shared_cluster, start_cluster, stop_cluster
from tests.conftest import TEST_VAULTS_CREATED
from tests.factories import (
    REQ,
    Clock,
    World,
    add_account,
    add_practice,
    assign,
    deposit_as_secretary,
    deposit_item,
    encrypted_file,
    open_test_vault,
    random_bytes,
    seal,
    upload_stream,
)
from tests.vault.auditing.test_retention import _add_months, _fill, _start
from vault.auditing import operations, retention
from vault.identity.roles import Role
from vault.items import inbox, uploads
from vault.opening import Vault
from vault.settings import BlobStoreSettings, Settings
from vault.storage.datadir import initialise

COSIGNER = "auditor.example/witness"


@pytest.fixture(scope="module", name="cluster")
def cluster_fixture() -> Iterator[Cluster]:
    """The PostgreSQL cluster: the test session's when distributed, else one of our own."""
    if DISTRIBUTED:
        yield shared_cluster()
        return
    own = start_cluster()
    try:
        yield own
    finally:
        stop_cluster(own)


def embedded_vault(data_dir: Path, keys: BlobStoreSettings) -> Settings:
    """An initialised embedded vault whose settings hold the object store's key pair (as
    ``PERMANENCE_BLOB_STORE_ACCESS_KEY_ID`` / ``_SECRET_ACCESS_KEY`` would give it)."""
    settings = Settings(
        data_dir=data_dir,
        blob_store=BlobStoreSettings(
            access_key_id=keys.access_key_id, secret_access_key=keys.secret_access_key
        ),
    )
    initialise(settings)
    conn = open_connection(settings)
    try:
        conn.execute(
            "UPDATE schema_migrations SET applied_at = ? WHERE number = 1", (TEST_VAULTS_CREATED,)
        )
    finally:
        conn.close()
    return settings


@dataclass(frozen=True)
class Populated:
    """What the moved vault must serve as the embedded one did."""

    world: World
    note_id: str
    note_envelope: bytes
    extract_id: str
    extract_plaintext: bytes
    manifest: FileManifest
    upload_item: str
    upload_total: int
    upload_received: int
    pruned_below: int


def populate(settings: Settings) -> Populated:
    """Fill the initialised vault of ``settings`` and close it (the move needs it alone)."""
    clock = Clock()
    start = _start()
    clock.at = start
    with open_test_vault(settings, now=clock) as vault:
        env = vault.env
        practice = add_practice(env, "Cabinet Martin")
        other = add_practice(env, "Étude Durand")
        member = add_account(env, Role.MEMBER, "dr.martin@example.org", practice)
        outsider = add_account(env, Role.MEMBER, "me.durand@example.org", other)
        secretary = add_account(env, Role.SECRETARY, "sophie")
        stranger = add_account(env, Role.SECRETARY, "sam")
        assign(env, secretary, practice)
        assign(env, stranger, other)
        _fill(vault, start, 120, checkpoints=3)  # 18 months of entries, a checkpoint each 40
        clock.at = _add_months(start, 18)
        w = World(env, clock, practice, other, member, outsider, secretary, stranger)
        note_id = deposit_item(w)
        plaintext = random_bytes(300_000)
        stream, manifest = encrypted_file(plaintext, "rendez-vous.csv")
        extract_id, envelope = seal(
            secretary, practice, kind=ItemKind.EXTRACT, body=manifest.to_body()
        )
        upload_id = upload_stream(w, extract_id, stream, part=64 * 1024)
        deposit_as_secretary(w, envelope, extract_id, upload_id=upload_id)
        inbox.set_status(env, REQ, member.principal, note_id, "acknowledged")
        # An upload in progress: one part of two acknowledged.
        pending_item = str(uuid.uuid4())
        pending_stream, _ = encrypted_file(random_bytes(200_000))
        up = uploads.start_upload(
            env, REQ, secretary.principal, practice.id, pending_item, len(pending_stream)
        )
        first = pending_stream[:65_536]
        uploads.append(env, REQ, secretary.principal, up.id, 0, [first], len(first))
        pruned = retention.prune(env, REQ).plan.upto
        vault.checkpointing.issue_now(env)
        cosigner = parse_signer(generate_signer_key(COSIGNER))
        operations.cosign(env, REQ, vault.checkpointing.issuer, cosigner)
        note_envelope = _note_envelope(vault, note_id)
    return Populated(
        world=w,
        note_id=note_id,
        note_envelope=note_envelope,
        extract_id=extract_id,
        extract_plaintext=plaintext,
        manifest=manifest,
        upload_item=pending_item,
        upload_total=len(pending_stream),
        upload_received=len(first),
        pruned_below=pruned,
    )


def _note_envelope(vault: Vault, note_id: str) -> bytes:
    row = vault.db.read(
        lambda c: c.execute("SELECT envelope FROM item WHERE id = ?", (note_id,)).fetchone()
    )
    return bytes(row[0])


def served_by(vault: Vault, populated: Populated) -> tuple[bytes, bytes, int]:
    """(the call note's envelope, the extract decrypted, the upload's acknowledged bytes) as
    ``vault`` serves them to the practice's member and secretary, through the use cases."""
    env = replace(vault.env, now=populated.world.clock)
    member = populated.world.member.principal
    envelope = inbox.read_envelope(env, REQ, member, populated.note_id)
    download = inbox.open_download(env, REQ, member, populated.extract_id)
    clear = BytesIO()
    decrypt_stream(
        BytesIO(b"".join(download.chunks)),
        clear,
        populated.manifest.file_key,
        populated.manifest.stream_hash,
    )
    resumed = uploads.start_upload(
        env,
        REQ,
        populated.world.secretary.principal,
        populated.world.practice.id,
        populated.upload_item,
        populated.upload_total,
    )
    return envelope, clear.getvalue(), resumed.received
