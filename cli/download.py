"""An extract's file, decrypted into a private temporary file and published only once verified.

A file stream releases plaintext chunk by chunk before its end is verified
(docs/format.md §6). ``permanence fetch`` writes it to a temporary file
(mode 0600, a dot-name beside the destination), deletes that file on any
failure — a bad or truncated stream, a size that differs from the signed
manifest, a broken connection, a full disk, Ctrl-C or SIGTERM — and renames
it to the destination only after the FINAL chunk, the stream hash and the
size have verified. Only a SIGKILL or a power cut can leave the hidden
temporary file behind.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import BinaryIO

from cli.client import ClientError, HttpTransport
from cli.terminal import printable
from crypto.errors import CryptoError
from crypto.stream import FileManifest, StreamDecryptor

READ_BYTES = 1024 * 1024
BAD_ITEM = "this item failed verification or decryption; nothing was saved"


class BadItem(ClientError):
    """The envelope or the file stream did not verify (one sentence for both)."""

    def __init__(self) -> None:
        super().__init__(BAD_ITEM, 0)


def safe_file_name(name: str, item_id: str) -> str:
    """The manifest's file name reduced to one harmless path component."""
    base = Path(name.replace("\\", "/")).name
    base = "".join(
        "_" if ch < " " or ch == "\x7f" else ch
        for ch in base
        if unicodedata.category(ch) != "Cf"  # U+202E and other invisible format characters
    )
    if base in ("", ".", "..") or base.startswith("."):
        base = base.lstrip(".") or item_id
    return base


def _refuse_overwrite(target: Path, replace: bool) -> None:
    if not replace and os.path.lexists(target):
        raise ClientError(
            f"{printable(target)} already exists; not overwriting it (give --force to replace"
            " it); nothing was saved",
            0,
        )


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """While decrypting, SIGTERM unwinds like Ctrl-C so the temporary file is deleted."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def download(
    transport: HttpTransport,
    item_id: str,
    manifest: FileManifest,
    out: Path,
    progress: Callable[[int], Callable[[int], None]],
    *,
    replace: bool = False,
) -> Path:
    """Fetch, decrypt and verify the item's file into ``out``; return the path written.

    An existing file of that name is replaced only with ``replace`` (``--force``)."""
    target = out / safe_file_name(manifest.name, item_id)
    _refuse_overwrite(target, replace)
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=out)
    except OSError as e:
        raise ClientError(f"cannot write to {printable(out)}: {e.strerror or e}", 0) from None
    temp = Path(temp_name)
    try:
        with _sigterm_as_exit(), os.fdopen(fd, "wb") as f:
            _decrypt_into(transport, item_id, manifest, f, temp, progress)
        _refuse_overwrite(target, replace)  # again: it may have appeared meanwhile
        try:
            os.replace(temp, target)
        except OSError as e:
            raise ClientError(
                f"cannot write {printable(target)}: {e.strerror or e}; nothing was saved", 0
            ) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return target


def _decrypt_into(
    transport: HttpTransport,
    item_id: str,
    manifest: FileManifest,
    f: BinaryIO,
    temp: Path,
    progress: Callable[[int], Callable[[int], None]],
) -> None:
    decryptor = StreamDecryptor(manifest.file_key, manifest.stream_hash)

    def keep(plain: bytes) -> None:
        if decryptor.size > manifest.size:  # more than the signed manifest says: stop now
            raise BadItem
        try:
            f.write(plain)
        except OSError as e:
            raise ClientError(
                f"cannot write {printable(temp.parent)}: {e.strerror or e}; nothing was saved", 0
            ) from None

    with transport.open_stream(f"/items/{item_id}/file") as response:
        length = str(response.headers.get("content-length") or "")
        show = progress(int(length) if length.isascii() and length.isdigit() else 0)
        done = 0
        try:
            while True:
                try:
                    piece = response.read(READ_BYTES)
                except (OSError, http.client.HTTPException) as e:
                    raise transport.unreachable(e) from None
                if not piece:
                    if getattr(response, "length", None):  # fewer bytes than announced
                        raise ClientError(
                            f"the connection to the vault at {transport.base_url} broke off"
                            " before the end of the file; nothing was saved",
                            0,
                        )
                    break
                keep(decryptor.update(piece))
                done += len(piece)
                show(done)
            keep(decryptor.finish())  # only now is the whole stream verified
        except CryptoError:
            raise BadItem from None
    if decryptor.size != manifest.size:
        raise BadItem
    try:
        f.flush()
        os.fsync(f.fileno())
    except OSError as e:
        raise ClientError(
            f"cannot write {printable(temp.parent)}: {e.strerror or e}; nothing was saved", 0
        ) from None
