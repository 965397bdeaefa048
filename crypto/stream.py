"""File streams: extract contents encrypted with secretstream (docs/format.md §6).

``stream = 0x01 || header (24) || chunk_1 || ... || chunk_n``: 64 KiB
plaintext pieces pushed with tag MESSAGE, the last one (1..64 KiB, empty only
for an empty file) with tag FINAL, so truncation is detectable;
``stream_hash = H(32, stream)``. Both directions work in constant memory:
``StreamEncryptor`` / ``StreamDecryptor`` take data in pieces of any size,
``encrypt_stream`` / ``decrypt_stream`` copy between file-like objects.

A ``StreamDecryptor`` releases plaintext before it has seen the end of the
stream: write it somewhere temporary and publish it only after ``finish()``
returned (docs/format.md §6, last paragraph).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

import nacl.bindings as sodium
import nacl.exceptions
import nacl.hashlib

from crypto import _primitives
from crypto.encoding import b64url_decode, b64url_encode
from crypto.envelope import decode_body, encode_body
from crypto.errors import DecryptionFailed, MalformedInput, UnsupportedVersion
from crypto.secret import Secret

CHUNK_BYTES = 65536
CHUNK_OVERHEAD = 17
CIPHER_CHUNK_BYTES = CHUNK_BYTES + CHUNK_OVERHEAD  # 65553
STREAM_HEADER_BYTES = 24
PREFIX_BYTES = 1 + STREAM_HEADER_BYTES


def stream_length(size: int) -> int:
    """The length of the stream of a ``size``-byte file: the prefix, then 17 bytes more
    than the plaintext per chunk, and one chunk even for an empty file (docs/format.md §6).
    The browser's copy is ``streamLength`` in web/static/js/crypto/stream.js."""
    return PREFIX_BYTES + size + CHUNK_OVERHEAD * max(1, -(-size // CHUNK_BYTES))


TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


class Writer(Protocol):
    def write(self, data: bytes, /) -> object: ...


class _Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...


_HASH_BATCH = 1024 * 1024

# The two BLAKE2b implementations at hand: the same digest, but neither is faster on every
# CPU (docs/decisions.md, "the stream hash's BLAKE2b, measured per machine").
BLAKE2B_IMPLEMENTATIONS: tuple[Callable[..., _Hash], ...] = (
    hashlib.blake2b,
    nacl.hashlib.blake2b,
)
_CALIBRATION_PIECES = 32  # 2 MiB of stream-sized pieces per trial; 4 trials, about 10 ms


def fastest_blake2b(
    candidates: tuple[Callable[..., _Hash], ...] = BLAKE2B_IMPLEMENTATIONS,
    clock: Callable[[], float] = time.thread_time,
) -> Callable[..., _Hash]:
    """The candidate that hashes stream-sized pieces fastest here (best of two trials each,
    alternating).

    Measured rather than assumed: the stream hash is format v1's ceiling on file crypto,
    and which library is faster depends on the CPU and on how each was built. The clock
    is this thread's CPU time, the hashing's own C code included: a wall clock would also
    count the waits for the GIL that other busy threads of a server impose.
    """
    piece = bytes(CIPHER_CHUNK_BYTES)
    best = [float("inf")] * len(candidates)
    for _ in range(2):
        for n, make in enumerate(candidates):
            digest = make(digest_size=32)
            start = clock()
            for _ in range(_CALIBRATION_PIECES):
                digest.update(piece)
            digest.digest()
            best[n] = min(best[n], clock() - start)
    return candidates[best.index(min(best))]


@functools.cache
def stream_blake2b() -> Callable[..., _Hash]:
    """The BLAKE2b the file functions (``encrypt_stream``, ``decrypt_stream``) hash streams
    with, chosen on first use; threads that first call it at once may each measure, which
    is harmless (either choice gives the same digest)."""
    return fastest_blake2b()


class _BackgroundHash:
    """BLAKE2b-256 computed in a second thread, so hashing overlaps encryption.

    hashlib and libsodium (through cffi) both release the GIL on large
    buffers, so on two cores the stream runs at the speed of the slower of
    the two instead of their sum; the faster BLAKE2b here hashes
    (``stream_blake2b``). Pieces are handed over by lists of about 1 MiB (one
    queue hand-off per 16 chunks, and no copy: joining them cost the
    encrypting thread a tenth of its time). The queue is bounded: memory
    stays flat. Always ``close()`` it (the stream functions do, in ``finally``).
    """

    def __init__(self) -> None:
        self._hash = stream_blake2b()(digest_size=32)
        self._queue: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=4)
        self._batch: list[bytes] = []
        self._batched = 0
        # A hash that failed part-way must not pass for the hash of the whole stream.
        self._failure: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="stream-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        update = self._hash.update
        try:
            while (batch := self._queue.get()) is not None:
                for data in batch:
                    update(data)
        except Exception as e:  # (MemoryError, say) raised by ``digest`` in the stream's thread
            self._failure = e
            while self._queue.get() is not None:  # keep taking batches: the producer never blocks
                pass

    def update(self, data: bytes) -> None:
        self._batch.append(data)
        self._batched += len(data)
        if self._batched >= _HASH_BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self._queue.put(self._batch)
            self._batch, self._batched = [], 0

    def close(self) -> None:
        if self._thread.is_alive():
            self._flush()
            self._queue.put(None)
            self._thread.join()

    def digest(self) -> bytes:
        self.close()
        if self._failure is not None:
            raise self._failure
        return self._hash.digest()


def new_file_key(randbytes: Callable[[int], bytes] = os.urandom) -> Secret:
    """A fresh 32-byte key for one file."""
    return Secret(randbytes(32))


def _state(file_key: Secret, header: bytes) -> sodium.crypto_secretstream_xchacha20poly1305_state:
    _primitives.require_length("file key", file_key.value, 32)
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    # init_pull computes exactly the state init_push would for this header
    # (HChaCha20 subkey, counter 1, header tail as nonce), so the encryptor
    # can draw the header from an injectable ``randbytes`` and stay deterministic
    # in tests; libsodium's init_push would draw it itself.
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, file_key.value)
    return state


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """What an encrypted file's manifest records about its stream."""

    size: int
    stream_hash: bytes


class StreamEncryptor:
    """Incremental encryption: ``update`` any pieces, then ``finish`` once."""

    def __init__(
        self,
        file_key: Secret,
        randbytes: Callable[[int], bytes] = os.urandom,
        *,
        _hash: _Hash | None = None,
    ) -> None:
        header = randbytes(STREAM_HEADER_BYTES)
        self._state = _state(file_key, header)
        self._hash: _Hash = _hash or hashlib.blake2b(digest_size=32)
        self._pending = bytearray(bytes([_primitives.VERSION]) + header)
        self._offset = PREFIX_BYTES  # plaintext starts after the prefix in ``_pending``
        self._size = 0
        self._info: StreamInfo | None = None

    def _push(self, piece: bytes, tag: int) -> bytes:
        return sodium.crypto_secretstream_xchacha20poly1305_push(self._state, piece, None, tag)

    def update(self, data: bytes) -> bytes:
        """Add plaintext; return the ciphertext ready so far (a full last piece is held back,
        since it may turn out to be the final one)."""
        if self._info is not None:
            raise MalformedInput("stream already finished")
        self._pending += data
        self._size += len(data)
        out = [bytes(self._pending[: self._offset])]
        pos = self._offset
        while len(self._pending) - pos > CHUNK_BYTES:
            out.append(self._push(bytes(self._pending[pos : pos + CHUNK_BYTES]), TAG_MESSAGE))
            pos += CHUNK_BYTES
        del self._pending[:pos]
        self._offset = 0
        result = b"".join(out)
        self._hash.update(result)
        return result

    def finish(self) -> bytes:
        """Push the last piece (1..65536 bytes, 0 only for an empty file) with tag FINAL and
        return the last ciphertext."""
        result = self.update(b"")
        final = self._push(bytes(self._pending), TAG_FINAL)
        self._pending.clear()
        self._hash.update(final)
        self._info = StreamInfo(size=self._size, stream_hash=self._hash.digest())
        return result + final

    @property
    def info(self) -> StreamInfo:
        """Size and stream hash, once ``finish`` has run."""
        if self._info is None:
            raise MalformedInput("stream not finished")
        return self._info


class StreamDecryptor:
    """Incremental decryption and verification of one stream against its manifest.

    ``update`` returns plaintext of verified chunks as they complete;
    ``finish`` raises ``DecryptionFailed`` unless the stream ended with its
    FINAL chunk, nothing followed it and ``stream_hash`` matches. An empty FINAL
    chunk is refused unless it is the only chunk (an empty file): a file has one
    encoding, its last piece is 1..65536 bytes.
    """

    def __init__(self, file_key: Secret, stream_hash: bytes, *, _hash: _Hash | None = None) -> None:
        _primitives.require_length("file key", file_key.value, 32)
        self._key = file_key
        self._expected_hash = stream_hash
        self._hash: _Hash = _hash or hashlib.blake2b(digest_size=32)
        self._pending = bytearray()
        self._state: sodium.crypto_secretstream_xchacha20poly1305_state | None = None
        self._final_seen = False
        self._failed = False
        self._size = 0
        self._chunks = 0

    def _fail(self) -> DecryptionFailed:
        self._failed = True
        return DecryptionFailed()

    def _pull(
        self, state: sodium.crypto_secretstream_xchacha20poly1305_state, chunk: bytes
    ) -> bytes:
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk)
        except nacl.exceptions.CryptoError:
            raise self._fail() from None
        if tag == TAG_FINAL:
            if not plain and self._chunks:  # one encoding per file: no empty trailing FINAL
                raise self._fail()
            self._final_seen = True
        elif tag != TAG_MESSAGE:
            raise self._fail()
        self._chunks += 1
        self._size += len(plain)
        return plain

    def update(self, data: bytes) -> bytes:
        """Feed ciphertext; return the plaintext of every chunk completed (unverified end!)."""
        if self._failed:
            raise DecryptionFailed
        self._hash.update(data)
        self._pending += data
        pos = 0
        if self._state is None:
            if self._pending and self._pending[0] != _primitives.VERSION:
                self._failed = True
                raise UnsupportedVersion(self._pending[0])
            if len(self._pending) < PREFIX_BYTES:
                return b""
            self._state = _state(self._key, bytes(self._pending[1:PREFIX_BYTES]))
            pos = PREFIX_BYTES
        out = []
        while not self._final_seen and len(self._pending) - pos >= CIPHER_CHUNK_BYTES:
            out.append(
                self._pull(self._state, bytes(self._pending[pos : pos + CIPHER_CHUNK_BYTES]))
            )
            pos += CIPHER_CHUNK_BYTES
        del self._pending[:pos]
        if self._final_seen and self._pending:  # FINAL must end the stream exactly
            raise self._fail()
        return b"".join(out)

    def finish(self) -> bytes:
        """Pull the last (short) chunk; refuse a missing FINAL, trailing data or a wrong hash.

        Returns the last plaintext; only now is the whole plaintext verified.
        """
        if self._failed or self._state is None:
            raise self._fail()
        last = b""
        if self._pending:  # update() refused anything pending after FINAL
            last = self._pull(self._state, bytes(self._pending))
            self._pending.clear()
        if not self._final_seen or not hmac.compare_digest(
            self._hash.digest(), self._expected_hash
        ):
            raise self._fail()
        return last

    @property
    def size(self) -> int:
        """Plaintext bytes released so far."""
        return self._size


def _read_full(reader: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, or fewer only at end of file (short reads are retried)."""
    data = reader.read(size)
    if len(data) in (0, size):
        return data
    parts = [data]
    missing = size - len(data)
    while missing:
        more = reader.read(missing)
        if not more:
            break
        parts.append(more)
        missing -= len(more)
    return b"".join(parts)


def encrypt_stream(
    reader: BinaryIO,
    writer: Writer,
    file_key: Secret,
    randbytes: Callable[[int], bytes] = os.urandom,
) -> StreamInfo:
    """Encrypt everything ``reader`` yields into ``writer``, 64 KiB at a time.

    The same stream as ``StreamEncryptor`` writes, without its buffering: each
    piece read is pushed as it is (one read ahead tells whether it is the last),
    so the only copies are libsodium's output and the writer's.
    """
    header = randbytes(STREAM_HEADER_BYTES)
    state = _state(file_key, header)
    push = sodium.crypto_secretstream_xchacha20poly1305_push
    background = _BackgroundHash()
    try:
        prefix = bytes([_primitives.VERSION]) + header
        writer.write(prefix)
        background.update(prefix)
        size = 0
        piece = _read_full(reader, CHUNK_BYTES)
        while True:
            following = _read_full(reader, CHUNK_BYTES) if len(piece) == CHUNK_BYTES else b""
            chunk = push(state, piece, None, TAG_MESSAGE if following else TAG_FINAL)
            writer.write(chunk)
            background.update(chunk)
            size += len(piece)
            if not following:
                return StreamInfo(size=size, stream_hash=background.digest())
            piece = following
    finally:
        background.close()


def decrypt_stream(reader: BinaryIO, writer: Writer, file_key: Secret, stream_hash: bytes) -> int:
    """Decrypt and verify a stream into ``writer``; return the plaintext size.

    The checks are ``StreamDecryptor``'s, chunk by chunk without its buffering.
    Plaintext reaches ``writer`` before the end is verified: write to a
    temporary file and keep it only if this returns without raising.
    """
    _primitives.require_length("file key", file_key.value, 32)
    pull = sodium.crypto_secretstream_xchacha20poly1305_pull
    background = _BackgroundHash()
    try:
        prefix = _read_full(reader, PREFIX_BYTES)
        if prefix and prefix[0] != _primitives.VERSION:
            raise UnsupportedVersion(prefix[0])
        if len(prefix) < PREFIX_BYTES:
            raise DecryptionFailed
        background.update(prefix)
        state = _state(file_key, prefix[1:])
        size = 0
        first = True
        while chunk := _read_full(reader, CIPHER_CHUNK_BYTES):
            background.update(chunk)
            try:
                plain, tag = pull(state, chunk)
            except nacl.exceptions.CryptoError:
                raise DecryptionFailed from None
            if tag == TAG_FINAL:
                # one encoding per file: no empty trailing FINAL, nothing after FINAL
                if (not plain and not first) or reader.read(1):
                    raise DecryptionFailed
                writer.write(plain)
                if not hmac.compare_digest(background.digest(), stream_hash):
                    raise DecryptionFailed
                return size + len(plain)
            if tag != TAG_MESSAGE:
                raise DecryptionFailed
            writer.write(plain)
            size += len(plain)
            first = False
        raise DecryptionFailed  # the stream ended without its FINAL chunk
    finally:
        background.close()


@dataclass(frozen=True, slots=True)
class FileManifest:
    """The body of an extract item: what is needed to fetch, check and decrypt its file."""

    name: str
    media_type: str
    size: int
    file_key: Secret
    stream_hash: bytes
    chunk_size: int = CHUNK_BYTES

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "media_type": self.media_type,
            "size": self.size,
            "file_key": b64url_encode(self.file_key.value),
            "stream_hash": b64url_encode(self.stream_hash),
            "chunk_size": self.chunk_size,
        }

    def to_body(self) -> bytes:
        """The canonical JSON body of the extract's envelope."""
        return encode_body(self.to_json())

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FileManifest:
        """Parse a manifest (unknown keys ignored); any anomaly is ``DecryptionFailed``."""
        name, media_type, size, chunk_size = (
            data.get(k) for k in ("name", "media_type", "size", "chunk_size")
        )
        if not (
            isinstance(name, str)
            and isinstance(media_type, str)
            and type(size) is int
            and size >= 0
            and type(chunk_size) is int
            and chunk_size == CHUNK_BYTES
        ):
            raise DecryptionFailed
        try:
            file_key = b64url_decode(_text(data.get("file_key")))
            stream_hash = b64url_decode(_text(data.get("stream_hash")))
        except MalformedInput:
            raise DecryptionFailed from None
        if len(file_key) != 32 or len(stream_hash) != 32:
            raise DecryptionFailed
        return cls(name, media_type, size, Secret(file_key), stream_hash, chunk_size)

    @classmethod
    def from_body(cls, body: bytes) -> FileManifest:
        return cls.from_json(decode_body(body))


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise MalformedInput("expected a string")
    return value
