"""``permanence serve`` checks the object store once before listening: wrong keys or a
missing bucket stop it in one sentence; a store that does not answer is a warning."""

from __future__ import annotations

import os
import socket
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from tests.cli.running import PERMANENCE, assert_one_clear_sentence, run
from vault.settings import BlobStoreSettings
from vault.storage.blobs.objects import CREDENTIALS_REFUSED, NO_BUCKET


def _store_env(store: BlobStoreSettings, **changes: str) -> dict[str, str]:
    env = {
        "PERMANENCE_BLOB_STORE_URL": store.url,
        "PERMANENCE_BLOB_STORE_BUCKET": store.bucket,
        "PERMANENCE_BLOB_STORE_ACCESS_KEY_ID": store.access_key_id,
        "PERMANENCE_BLOB_STORE_SECRET_ACCESS_KEY": store.secret_access_key.value.decode(),
    }
    return {**env, **{f"PERMANENCE_BLOB_STORE_{k.upper()}": v for k, v in changes.items()}}


def _serve(data: Path, env: dict[str, str], *workers: str) -> subprocess.CompletedProcess[str]:
    try:
        return run("--data-dir", str(data), "serve", "--port", "0", *workers, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail("serve started with an object store it cannot use")


def _free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_stops_on_wrong_keys_or_a_missing_bucket_and_warns_on_a_store_down(
    tmp_path: Path, object_bucket: BlobStoreSettings
) -> None:
    data = tmp_path / "data"
    assert run("--data-dir", str(data), "init").returncode == 0
    for env, sentence in (
        (_store_env(object_bucket, secret_access_key="not-the-secret"), CREDENTIALS_REFUSED),
        (_store_env(object_bucket, bucket="no-such-bucket-here"), NO_BUCKET),
    ):
        for workers in ((), ("--workers", "2")):
            result = _serve(data, env, *workers)
            assert_one_clear_sentence(result)
            assert result.stderr.strip() == f"permanence: {sentence}"
            assert "listening" not in result.stdout
            assert "not-the-secret" not in result.stdout + result.stderr
    down = _store_env(object_bucket, url=f"http://127.0.0.1:{_free_port()}")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PERMANENCE_")}
    server = subprocess.Popen(
        [PERMANENCE, "--data-dir", str(data), "serve", "--port", str(_free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**clean, **down},
    )
    try:
        assert server.stdout is not None
        assert "Permanence is listening" in server.stdout.readline()
    finally:
        server.terminate()
        _, warning = server.communicate(timeout=30)
    assert (
        "permanence: warning: the object store (blob_store.url) cannot be reached right now;"
        " starting anyway: extract files are refused (503) until it answers"
    ) in warning
    assert "Traceback" not in warning
