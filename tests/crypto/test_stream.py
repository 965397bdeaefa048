"""File streams: secretstream in 64 KiB chunks, constant memory, truncation detected."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import nacl.bindings as sodium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crypto.stream as stream_module
from crypto.errors import DecryptionFailed, MalformedInput, UnsupportedVersion
from crypto.secret import Secret
from crypto.stream import (
    BLAKE2B_IMPLEMENTATIONS,
    CHUNK_BYTES,
    CIPHER_CHUNK_BYTES,
    FileManifest,
    StreamDecryptor,
    StreamEncryptor,
    decrypt_stream,
    encrypt_stream,
    fastest_blake2b,
    new_file_key,
    stream_blake2b,
    stream_length,
)
from tests.vectors.generate import DeterministicRandom

KEY = Secret(b"f" * 32)
PREFIX = 25


def _encrypt(plaintext: bytes, key: Secret = KEY) -> tuple[bytes, bytes]:
    out = io.BytesIO()
    info = encrypt_stream(io.BytesIO(plaintext), out, key)
    assert info.size == len(plaintext)
    return out.getvalue(), info.stream_hash


def _decrypt(stream: bytes, stream_hash: bytes, key: Secret = KEY) -> bytes:
    """``decrypt_stream``'s plaintext, checked to be what ``StreamDecryptor`` gives fed in
    pieces, or its exception, checked to be the one ``StreamDecryptor`` raises: the file
    path and the incremental one make the same decisions on every stream."""
    out = io.BytesIO()
    try:
        size = decrypt_stream(io.BytesIO(stream), out, key, stream_hash)
    except Exception as exc:
        with pytest.raises(type(exc)):
            _decrypt_in_pieces(stream, stream_hash, key)
        raise
    assert size == len(out.getvalue())
    assert _decrypt_in_pieces(stream, stream_hash, key) == out.getvalue()
    return out.getvalue()


def _decrypt_in_pieces(stream: bytes, stream_hash: bytes, key: Secret) -> bytes:
    decryptor = StreamDecryptor(key, stream_hash)
    plain = [decryptor.update(stream[i : i + 10000]) for i in range(0, len(stream), 10000)]
    return b"".join(plain) + decryptor.finish()


def _chunks(stream: bytes) -> tuple[bytes, list[bytes]]:
    body = stream[PREFIX:]
    return stream[:PREFIX], [
        body[i : i + CIPHER_CHUNK_BYTES] for i in range(0, len(body), CIPHER_CHUNK_BYTES)
    ]


PLAINTEXT = DeterministicRandom("plain")(150000)
STREAM, HASH = _encrypt(PLAINTEXT)


@pytest.mark.parametrize(
    ("size", "chunks"), [(0, 1), (1, 1), (65535, 1), (65536, 1), (65537, 2), (131072, 2)]
)
def test_chunk_boundaries(size: int, chunks: int) -> None:
    """n = max(1, ceil(size / 64 KiB)) chunks; the last has tag FINAL; the stream round-trips."""
    plaintext = bytes(size)
    stream, stream_hash = _encrypt(plaintext)
    assert stream[0] == 1
    assert len(stream) == PREFIX + size + 17 * chunks
    assert _decrypt(stream, stream_hash) == plaintext


@settings(max_examples=15, deadline=None)
@given(st.binary(max_size=140000), st.lists(st.integers(1, 70000), min_size=1, max_size=8))
def test_round_trip_with_any_split(plaintext: bytes, cuts: list[int]) -> None:
    """Fed in pieces of any size, encryptor and decryptor agree with the one-shot functions."""
    encryptor = StreamEncryptor(KEY, DeterministicRandom("header"))
    parts, pos = [], 0
    for cut in [*cuts, len(plaintext)]:
        parts.append(encryptor.update(plaintext[pos : pos + cut]))
        pos += cut
    parts.append(encryptor.finish())
    stream = b"".join(parts)
    assert stream == _encrypt_with_header(plaintext)
    decryptor = StreamDecryptor(KEY, encryptor.info.stream_hash)
    out, pos = [], 0
    for cut in [*cuts, len(stream)]:
        out.append(decryptor.update(stream[pos : pos + cut]))
        pos += cut
    out.append(decryptor.finish())
    assert b"".join(out) == plaintext
    assert decryptor.size == len(plaintext)


def _encrypt_with_header(plaintext: bytes) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(plaintext), out, KEY, DeterministicRandom("header"))
    return out.getvalue()


def test_matches_libsodium_init_push() -> None:
    """A stream we write is read by plain libsodium (init_pull, pull) with the same tags."""
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, STREAM[1:PREFIX], KEY.value)
    _, chunks = _chunks(STREAM)
    tags = []
    plain = b""
    for chunk in chunks:
        piece, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk)
        plain += piece
        tags.append(tag)
    assert plain == PLAINTEXT
    assert tags == [0, 0, 3]


@pytest.mark.parametrize(
    "tamper",
    [
        "missing_final",
        "reordered",
        "duplicated",
        "data_after_final",
        "truncated_final",
        "header",
        "chunk",
        "tag",
        "prefix_only",
        "partial_header",
        "empty",
    ],
)
def test_tampered_streams_fail(tamper: str) -> None:
    """Truncated, reordered, duplicated, extended or altered streams all fail the same way."""
    prefix, (c0, c1, c2) = _chunks(STREAM)
    stream = {
        "missing_final": prefix + c0 + c1,
        "reordered": prefix + c1 + c0 + c2,
        "duplicated": prefix + c0 + c0 + c1 + c2,
        "data_after_final": STREAM + b"\0",
        "truncated_final": STREAM[:-1],
        "header": STREAM[:3] + bytes([STREAM[3] ^ 1]) + STREAM[4:],
        "chunk": STREAM[:-100] + bytes([STREAM[-100] ^ 1]) + STREAM[-99:],
        "tag": STREAM[:-1] + bytes([STREAM[-1] ^ 1]),
        "prefix_only": prefix,
        "partial_header": prefix[:10],
        "empty": b"",
    }[tamper]
    with pytest.raises(DecryptionFailed, match=r"^decryption failed$"):
        _decrypt(stream, HASH)


def test_full_size_final_chunk_followed_by_data_fails() -> None:
    """After a 64 KiB FINAL chunk, a further chunk is refused as soon as it is fed."""
    stream, stream_hash = _encrypt(bytes(CHUNK_BYTES))
    decryptor = StreamDecryptor(KEY, stream_hash)
    decryptor.update(stream)
    with pytest.raises(DecryptionFailed):
        decryptor.update(stream[PREFIX:])
    with pytest.raises(DecryptionFailed):
        decryptor.update(b"")
    with pytest.raises(DecryptionFailed):
        decryptor.finish()


def test_full_chunks_after_final_fail_in_one_update() -> None:
    """A FINAL chunk followed by a whole chunk in the same feed is refused."""
    stream, stream_hash = _encrypt(bytes(CHUNK_BYTES))
    with pytest.raises(DecryptionFailed):
        StreamDecryptor(KEY, stream_hash).update(stream + stream[PREFIX:])


def test_wrong_key_or_hash_fails() -> None:
    """Another key, or a manifest hash that does not match the stream, fails."""
    with pytest.raises(DecryptionFailed):
        _decrypt(STREAM, HASH, Secret(b"g" * 32))
    with pytest.raises(DecryptionFailed):
        _decrypt(STREAM, bytes(32))


def test_unknown_version_and_poisoning() -> None:
    """Version 2 is UnsupportedVersion at the first byte; the decryptor then stays failed."""
    decryptor = StreamDecryptor(KEY, HASH)
    with pytest.raises(UnsupportedVersion):
        decryptor.update(b"\x02")
    with pytest.raises(DecryptionFailed):
        decryptor.update(STREAM)


@pytest.mark.parametrize("tag", ["push", "rekey"])
def test_other_secretstream_tags_are_refused(tag: str) -> None:
    """Chunks tagged PUSH or REKEY are not part of format v1."""
    value = {
        "push": sodium.crypto_secretstream_xchacha20poly1305_TAG_PUSH,
        "rekey": sodium.crypto_secretstream_xchacha20poly1305_TAG_REKEY,
    }[tag]
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, KEY.value)
    stream = (
        b"\x01"
        + header
        + sodium.crypto_secretstream_xchacha20poly1305_push(state, b"x", None, value)
    )
    with pytest.raises(DecryptionFailed):
        _decrypt(stream, HASH)


def test_short_reads_are_retried() -> None:
    """A reader that returns a few bytes at a time (a pipe) gives the same stream."""

    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(min(1000, size if size and size > 0 else 1000))

    out = io.BytesIO()
    encrypt_stream(Trickle(PLAINTEXT), out, KEY, DeterministicRandom("header"))
    assert out.getvalue() == _encrypt_with_header(PLAINTEXT)
    plain = io.BytesIO()
    decrypt_stream(Trickle(out.getvalue()), plain, KEY, _hash_of(out.getvalue()))
    assert plain.getvalue() == PLAINTEXT


def _hash_of(stream: bytes) -> bytes:
    return hashlib.blake2b(stream, digest_size=32).digest()


def test_encryptor_misuse() -> None:
    """info before finish, update after finish and a short key are programming errors."""
    encryptor = StreamEncryptor(new_file_key(DeterministicRandom("k")))
    with pytest.raises(MalformedInput):
        _ = encryptor.info
    encryptor.finish()
    with pytest.raises(MalformedInput):
        encryptor.update(b"x")
    with pytest.raises(MalformedInput):
        StreamDecryptor(Secret(bytes(31)), HASH)
    with pytest.raises(MalformedInput):
        StreamEncryptor(Secret(bytes(31)))


def test_manifest_round_trip() -> None:
    """A manifest survives body encoding; unknown keys are ignored."""
    manifest = FileManifest("a.csv", "text/csv", 150000, KEY, HASH)
    assert FileManifest.from_body(manifest.to_body()) == manifest
    assert FileManifest.from_json({**manifest.to_json(), "future": 1}) == manifest
    assert b'"chunk_size":65536' in manifest.to_body()


@pytest.mark.parametrize(
    "change",
    [
        {"name": 1},
        {"media_type": None},
        {"size": -1},
        {"size": "1"},
        {"size": True},
        {"chunk_size": 1024},
        {"file_key": "AA=="},
        {"file_key": 5},
        {"stream_hash": "AAAA"},
        {"file_key": None},
    ],
)
def test_manifest_refusals(change: dict[str, object]) -> None:
    """A manifest with a wrong type, size, chunk size or key encoding fails to open."""
    data = {**FileManifest("a", "b", 1, KEY, HASH).to_json(), **change}
    with pytest.raises(DecryptionFailed):
        FileManifest.from_json(data)


def test_partial_data_after_full_final_chunk_in_same_feed_fails() -> None:
    """A 64 KiB FINAL chunk followed by one stray byte in the same feed is refused at once."""
    stream, stream_hash = _encrypt(bytes(CHUNK_BYTES))
    with pytest.raises(DecryptionFailed):
        StreamDecryptor(KEY, stream_hash).update(stream + b"\0")


def test_multi_mebibyte_streams_hash_every_batch() -> None:
    """Past the 1 MiB hand-off batch, the stream hash is still BLAKE2b-256 of every byte."""
    import hashlib
    import os

    plaintext = os.urandom(3 * 1024 * 1024 + 12345)
    out = io.BytesIO()
    info = encrypt_stream(io.BytesIO(plaintext), out, KEY)
    stream = out.getvalue()
    assert info.stream_hash == hashlib.blake2b(stream, digest_size=32).digest()
    plain = io.BytesIO()
    assert decrypt_stream(io.BytesIO(stream), plain, KEY, info.stream_hash) == len(plaintext)
    assert plain.getvalue() == plaintext


@pytest.mark.parametrize("make", BLAKE2B_IMPLEMENTATIONS)
def test_the_file_functions_give_the_format_s_hash_with_either_blake2b(
    make: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whichever implementation is chosen hashes the stream (past the 1 MiB hand-off) and
    gives format v1's digest (docs/format.md §6): the choice changes the speed only."""
    used: list[dict[str, object]] = []

    def spy(**kwargs: Any) -> Any:
        used.append(kwargs)
        return make(**kwargs)

    monkeypatch.setattr(stream_module, "stream_blake2b", lambda: spy)
    plaintext = bytes(range(256)) * 9000
    out = io.BytesIO()
    info = encrypt_stream(io.BytesIO(plaintext), out, KEY)
    assert info.stream_hash == hashlib.blake2b(out.getvalue(), digest_size=32).digest()
    plain = io.BytesIO()
    decrypt_stream(io.BytesIO(out.getvalue()), plain, KEY, info.stream_hash)
    assert plain.getvalue() == plaintext
    assert used == [{"digest_size": 32}] * 2  # one hash each way, from the chosen maker


class _Failing:
    """A hash that fails at its second piece, as a MemoryError in the hash thread would."""

    def __init__(self, **_: object) -> None:
        self.pieces = 0

    def update(self, data: bytes) -> None:
        self.pieces += 1
        if self.pieces == 2:
            raise MemoryError

    def digest(self) -> bytes:
        return hashlib.blake2b(b"only part of the stream", digest_size=32).digest()


def test_a_stream_hash_that_failed_part_way_is_never_returned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hash thread's failure reaches the caller: no stream is recorded, nor a file
    accepted, under the hash of only part of it; and with more batches than the hand-off
    queue holds, the encrypting thread is not left waiting for a dead thread."""
    plaintext = os.urandom(6 * 1024 * 1024)
    out = io.BytesIO()
    info = encrypt_stream(io.BytesIO(plaintext), out, KEY)
    monkeypatch.setattr(stream_module, "stream_blake2b", lambda: _Failing)
    raised: list[BaseException] = []

    def both() -> None:
        for run in (
            lambda: encrypt_stream(io.BytesIO(plaintext), io.BytesIO(), KEY),
            lambda: decrypt_stream(io.BytesIO(out.getvalue()), io.BytesIO(), KEY, info.stream_hash),
        ):
            try:
                run()
            except BaseException as e:  # what each raised is asserted below
                raised.append(e)

    # In a thread with a deadline: a blocked producer fails the test instead of hanging CI.
    runner = threading.Thread(target=both, daemon=True)
    runner.start()
    runner.join(60)
    assert not runner.is_alive(), "the encrypting thread was left waiting for the hash thread"
    assert [type(e) for e in raised] == [MemoryError, MemoryError]


class _Slow:
    """A stand-in hash whose every update moves the test's clock by ``cost``."""

    def __init__(self, clock: list[float], cost: float) -> None:
        self.clock, self.cost = clock, cost

    def __call__(self, digest_size: int) -> _Slow:
        assert digest_size == 32
        return self

    def update(self, data: bytes) -> None:
        self.clock[0] += self.cost

    def digest(self) -> bytes:
        return b""


@pytest.mark.parametrize("faster", [0, 1])
def test_the_stream_hashes_with_whichever_blake2b_is_faster_here(faster: int) -> None:
    clock = [0.0]
    candidates = (_Slow(clock, 3.0), _Slow(clock, 3.0))
    candidates[faster].cost = 1.0
    chosen = fastest_blake2b(candidates, clock=lambda: clock[0])
    assert chosen is candidates[faster]


def test_the_choice_counts_cpu_time_and_is_kept() -> None:
    """The default clock is the thread's CPU time (a busy server's GIL waits would skew a
    wall clock), and the choice is made once."""
    assert fastest_blake2b.__defaults__ == (BLAKE2B_IMPLEMENTATIONS, time.thread_time)
    assert stream_blake2b() in BLAKE2B_IMPLEMENTATIONS
    assert stream_blake2b() is stream_blake2b()


def _two_encodings_of(plaintext: bytes) -> tuple[bytes, bytes]:
    """``plaintext`` (a whole number of chunks) as the writer encodes it, and as the same
    full chunks followed by an empty FINAL chunk (what no writer produces)."""
    header = DeterministicRandom("one encoding")(24)
    pieces = [plaintext[i : i + CHUNK_BYTES] for i in range(0, len(plaintext), CHUNK_BYTES)]
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, KEY.value)
    push = sodium.crypto_secretstream_xchacha20poly1305_push
    message = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
    final = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
    trailing = b"\x01" + header + b"".join(push(state, p, None, message) for p in pieces)
    trailing += push(state, b"", None, final)
    encryptor = StreamEncryptor(KEY, lambda _n: header)
    written = encryptor.update(plaintext) + encryptor.finish()
    return written, trailing


@pytest.mark.parametrize("chunks", [1, 2])
def test_an_empty_final_chunk_after_other_chunks_is_refused(chunks: int) -> None:
    """One encoding per file: a 65,536-byte file is one FINAL chunk; the same bytes as a
    MESSAGE chunk then an empty FINAL chunk (a valid secretstream) are refused, fed at
    once or chunk by chunk. An empty file's lone empty FINAL chunk still opens."""
    plaintext = DeterministicRandom("full chunks")(chunks * CHUNK_BYTES)
    written, trailing = _two_encodings_of(plaintext)
    assert len(written) == PREFIX + chunks * CIPHER_CHUNK_BYTES
    assert len(trailing) == len(written) + 17
    assert _decrypt(written, _hash_of(written)) == plaintext
    with pytest.raises(DecryptionFailed):
        _decrypt(trailing, _hash_of(trailing))
    decryptor = StreamDecryptor(KEY, _hash_of(trailing))
    assert len(decryptor.update(trailing[:-17])) == len(plaintext)  # full chunks pass...
    assert decryptor.update(trailing[-17:]) == b""
    with pytest.raises(DecryptionFailed):  # ...but the stream never completes
        decryptor.finish()
    empty, _ = _encrypt(b"")
    assert len(empty) == PREFIX + 17 and _decrypt(empty, _hash_of(empty)) == b""


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES]
)
def test_stream_length_is_the_length_the_encryptor_writes(size: int) -> None:
    """``stream_length`` (what the server expects of an upload) is what encryption writes."""
    stream, _ = _encrypt(bytes(size))
    assert stream_length(size) == len(stream)
