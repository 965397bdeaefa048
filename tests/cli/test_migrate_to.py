"""``permanence migrate-to DATABASE_URL BLOB_URL`` as an operator runs it: progress, the tree
head and every checkpoint printed, what to write in the configuration (never a secret),
refusals in one sentence in English then in French; and ``permanence audit verify`` on the
moved vault's settings."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

from tests.backends.postgres import Cluster
from tests.cli.running import run
from tests.factories import open_test_vault
from tests.vault.storage.moving_vault import (
    cluster_fixture,  # noqa: F401 - the PostgreSQL ``cluster`` fixture
    embedded_vault,
    populate,
)
from tests.vault.storage.test_moving import _log
from vault.settings import BlobStoreSettings


def _keys(bucket: BlobStoreSettings) -> dict[str, str]:
    return {
        "PERMANENCE_BLOB_STORE_ACCESS_KEY_ID": bucket.access_key_id,
        "PERMANENCE_BLOB_STORE_SECRET_ACCESS_KEY": bucket.secret_access_key.value.decode(),
    }


def _moved(url: str, bucket: BlobStoreSettings) -> dict[str, str]:
    return {
        **_keys(bucket),
        "PERMANENCE_DATABASE_URL": url,
        "PERMANENCE_BLOB_STORE_URL": bucket.url,
        "PERMANENCE_BLOB_STORE_BUCKET": bucket.bucket,
    }


def _b64(root: bytes) -> str:
    return base64.b64encode(root).decode()


def _assert_refused_in_both_languages(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("permanence: ")
    assert lines[1].startswith("permanence\u00a0: ")
    return lines


def test_migrate_to_prints_what_it_copied_and_the_moved_vault_verifies(
    tmp_path: Path, cluster: Cluster, object_bucket: BlobStoreSettings
) -> None:
    """The command copies the vault, prints its tree head and each checkpoint as found
    identical in the copy, and the configuration to write without the secret key; then
    ``permanence audit verify`` on those settings (PostgreSQL and the bucket) passes with
    the same tree head."""
    source = embedded_vault(tmp_path / "data", object_bucket)
    populate(source)
    size, root, checkpoints = _log(source)
    url = cluster.new_database(template=None).value.decode()
    blob_url = f"{object_bucket.url}/{object_bucket.bucket}"
    done = run(
        "--data-dir", str(source.data_dir), "migrate-to", url, blob_url, env=_keys(object_bucket)
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"Audit log: {size:,} entries, tree head {_b64(root)} — identical in the copy." in out
    for sc in checkpoints:
        assert (
            f"  checkpoint {sc.seq}: {sc.checkpoint.size:,} entries, root"
            f" {_b64(sc.checkpoint.root)}"
        ) in out
    assert "  table audit_entries: " in out and "  files: 1/1 " in out
    assert f'  database_url = "{url}"' in out and f'  bucket = "{object_bucket.bucket}"' in out
    secret = object_bucket.secret_access_key.value.decode()
    assert secret not in out + done.stderr

    verified = run(
        "--data-dir", str(source.data_dir), "audit", "verify", env=_moved(url, object_bucket)
    )
    assert verified.returncode == 0, verified.stderr
    assert f"The audit log verifies: {size} entries" in verified.stdout
    assert f"Latest checkpoint: {checkpoints[-1].checkpoint.size} entries, root" in verified.stdout
    assert _b64(checkpoints[-1].checkpoint.root) in verified.stdout

    again = run(
        "--data-dir", str(source.data_dir), "migrate-to", url, blob_url, env=_keys(object_bucket)
    )
    english, french = _assert_refused_in_both_languages(again)
    assert "not empty" in english and "pas vide" in french


def test_migrate_to_refuses_a_running_vault_and_a_password_in_both_languages(
    tmp_path: Path, object_bucket: BlobStoreSettings
) -> None:
    source = embedded_vault(tmp_path / "data", object_bucket)
    data = str(source.data_dir)
    blob_url = f"{object_bucket.url}/{object_bucket.bucket}"
    with open_test_vault(source):  # as a running server holds it
        busy = run(
            "--data-dir",
            data,
            "migrate-to",
            "postgresql://127.0.0.1/p",
            blob_url,
            env=_keys(object_bucket),
        )
    english, french = _assert_refused_in_both_languages(busy)
    assert "permanence serve" in english and "arrêtez le serveur" in french

    password = run(
        "--data-dir",
        data,
        "migrate-to",
        "postgresql://u:hunter2@127.0.0.1/p",
        blob_url,
        env=_keys(object_bucket),
    )
    english, french = _assert_refused_in_both_languages(password)
    assert "PGPASSWORD" in english and "hunter2" not in password.stderr + password.stdout

    no_keys = run("--data-dir", data, "migrate-to", "postgresql://127.0.0.1/p", blob_url)
    english, french = _assert_refused_in_both_languages(no_keys)
    assert "PERMANENCE_BLOB_STORE_ACCESS_KEY_ID" in english


def test_migrate_to_refuses_a_bad_target_in_french_too_and_says_nothing_was_written(
    tmp_path: Path, object_bucket: BlobStoreSettings
) -> None:
    """A DATABASE_URL to another machine without TLS, or an http:// object store on
    another machine, is refused with a French sentence that is French; a database that
    cannot be reached says nothing was written in it (it was never opened), with no
    doubled punctuation."""
    source = embedded_vault(tmp_path / "data", object_bucket)
    data = str(source.data_dir)
    blob_url = f"{object_bucket.url}/{object_bucket.bucket}"

    remote = run(
        "--data-dir", data, "migrate-to", "postgresql://db.example.net/p", blob_url,
        env=_keys(object_bucket),
    )  # fmt: skip
    english, french = _assert_refused_in_both_languages(remote)
    assert "sslmode=verify-full" in english
    assert "autre machine sans connexion TLS vérifiée" in french
    assert "setting" not in french and "reaches" not in french

    http = run(
        "--data-dir", data, "migrate-to", "postgresql://127.0.0.1/p",
        "http://s3.example.net/bucket", env=_keys(object_bucket),
    )  # fmt: skip
    english, french = _assert_refused_in_both_languages(http)
    assert "http:// only to this machine" in english
    assert "BLOB_URL doit être une adresse https://" in french and "setting" not in french

    down = run(
        "--data-dir", data, "migrate-to", f"postgresql:///p?host={tmp_path}&port=1",
        blob_url, env=_keys(object_bucket),
    )  # fmt: skip
    english, french = _assert_refused_in_both_languages(down)
    assert "cannot be reached" in english
    assert english.endswith("; nothing was written in the target database")
    assert french.endswith("rien n'a été écrit dans la base de données cible")
    for line in (english, french):
        assert "left empty" not in line and "laissée vide" not in line
        assert ".;" not in line and ". ;" not in line and ".\u00a0;" not in line


def test_a_failure_after_the_target_opened_says_it_was_left_empty_once_punctuated(
    tmp_path: Path, cluster: Cluster, object_bucket: BlobStoreSettings
) -> None:
    """The object store refuses the keys while the files are copied: the target database
    was opened (and left without rows), and the store's sentence ends in a full stop that
    used to be followed by a semicolon ("tell the administrator.; …")."""
    source = embedded_vault(tmp_path / "data", object_bucket)
    populate(source)
    url = cluster.new_database(template=None).value.decode()
    blob_url = f"{object_bucket.url}/{object_bucket.bucket}"
    wrong = {**_keys(object_bucket), "PERMANENCE_BLOB_STORE_SECRET_ACCESS_KEY": "not-it"}
    done = run("--data-dir", str(source.data_dir), "migrate-to", url, blob_url, env=wrong)
    english, french = _assert_refused_in_both_languages(done)
    assert english == (
        "permanence: the vault was not moved: The file store refused the vault's credentials:"
        " tell the administrator; the target database was left empty"
    )
    assert french.endswith("tell the administrator\u00a0»)\u00a0; la base de données cible a"
                           " été laissée vide")  # fmt: skip
