"""File encryption throughput and memory of crypto/stream.py vs raw PyNaCl and age.

Measured in one run, on the same file, in the same temporary directory:

- ``crypto.stream`` (``encrypt_stream`` / ``decrypt_stream``: version byte,
  64 KiB secretstream chunks, BLAKE2b stream hash, file-like objects);
- raw PyNaCl secretstream with the same chunking and no hash (the floor our
  wrapper sits on);
- ``age`` (X25519 recipient, /usr/bin/age), encryption and decryption;
- a plain read+write copy through Python with the same buffers (the I/O floor);
- format v1's stream hash alone (BLAKE2b-256 over the ciphertext stream, with the
  implementation ``crypto.stream`` chose as the faster here, ``stream_blake2b``), and the
  other implementation alone: ``crypto.stream`` hashes in a second thread, so on two free
  cores it cannot be faster than the first of these rows — the format's own ceiling.

Every cell is the median of ``--rounds`` runs, the implementations alternating.

Peak memory (``ru_maxrss``) is measured in a fresh subprocess per operation at
two file sizes, to show it does not grow with the file.

    PYTHONPATH=. .venv/bin/python bench/bench_crypto.py [--size-mib N] [--small-mib N] [--rounds N]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nacl.bindings as sodium
import nacl.hashlib

from crypto.secret import Secret
from crypto.stream import (
    BLAKE2B_IMPLEMENTATIONS,
    CHUNK_BYTES,
    CIPHER_CHUNK_BYTES,
    decrypt_stream,
    encrypt_stream,
    stream_blake2b,
)

KEY = Secret(b"\x42" * 32)
AGE = "/usr/bin/age"
AGE_KEYGEN = "/usr/bin/age-keygen"
TIMES = "\u00d7"


def make_file(path: Path, size: int) -> None:
    block = os.urandom(1 << 20)
    with path.open("wb") as out:
        for _ in range(size >> 20):
            out.write(block)
        out.write(block[: size & ((1 << 20) - 1)])


def one_round(
    d: Path, src: Path, expected: bytes, hashes: list[bytes], *, have_age: bool
) -> list[tuple[str, float, float, float, float]]:
    """Every implementation once, in the same order; ``hashes[0]`` is the last stream hash."""
    null = Path(os.devnull)
    rows: list[tuple[str, float, float, float, float]] = []

    copy = _timed(lambda: plain_copy(src, d / "copy.bin"))
    copy_null = _timed(lambda: plain_copy(src, null))
    rows.append(("plain read+write copy (I/O floor)", copy, copy, copy_null, copy_null))
    (d / "copy.bin").unlink()

    enc = _timed(lambda: hashes.insert(0, ours_encrypt(src, d / "ours.enc")))
    dec = _timed(lambda: ours_decrypt(d / "ours.enc", d / "ours.out", hashes[0]))
    assert file_hash(d / "ours.out") == expected
    (d / "ours.out").unlink()
    enc_n = _timed(lambda: ours_encrypt(src, null))
    dec_n = _timed(lambda: ours_decrypt(d / "ours.enc", null, hashes[0]))
    rows.append(("crypto.stream (64 KiB chunks + stream hash)", enc, dec, enc_n, dec_n))

    enc = _timed(lambda: raw_encrypt(src, d / "raw.enc"))
    dec = _timed(lambda: raw_decrypt(d / "raw.enc", d / "raw.out"))
    assert file_hash(d / "raw.out") == expected
    (d / "raw.out").unlink()
    enc_n = _timed(lambda: raw_encrypt(src, null))
    dec_n = _timed(lambda: raw_decrypt(d / "raw.enc", null))
    rows.append(("raw PyNaCl secretstream (64 KiB chunks, no hash)", enc, dec, enc_n, dec_n))
    (d / "raw.enc").unlink()

    ours_hash = _timed(lambda: hash_only(d / "ours.enc"))
    assert hash_only(d / "ours.enc") == hashes[0]
    name = (
        f"format v1's stream hash alone (BLAKE2b-256, {_library(stream_blake2b())}, as"
        " crypto.stream chose it here; reads, writes nothing)"
    )
    rows.append((name, ours_hash, ours_hash, ours_hash, ours_hash))
    for make in BLAKE2B_IMPLEMENTATIONS:
        if make is not stream_blake2b():
            other = _timed(functools.partial(hash_only, d / "ours.enc", make))
            assert hash_only(d / "ours.enc", make) == hashes[0]
            name = f"the other BLAKE2b-256 alone ({_library(make)}; not chosen)"
            rows.append((name, other, other, other, other))
    if have_age:
        rows.append(age_row(d, src, expected))
    return rows


def median_row(
    runs: list[tuple[str, float, float, float, float]],
) -> tuple[str, float, float, float, float]:
    """One implementation's cells, each the median of its rounds."""
    cells = [statistics.median(seconds) for seconds in zip(*(run[1:] for run in runs), strict=True)]
    return (runs[0][0], cells[0], cells[1], cells[2], cells[3])


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def ours_encrypt(src: Path, dst: Path) -> bytes:
    with src.open("rb") as reader, dst.open("wb") as writer:
        return encrypt_stream(reader, writer, KEY).stream_hash


def ours_decrypt(src: Path, dst: Path, stream_hash: bytes) -> None:
    with src.open("rb") as reader, dst.open("wb") as writer:
        decrypt_stream(reader, writer, KEY, stream_hash)


def raw_encrypt(src: Path, dst: Path) -> None:
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    with src.open("rb") as reader, dst.open("wb") as writer:
        writer.write(sodium.crypto_secretstream_xchacha20poly1305_init_push(state, KEY.value))
        piece = reader.read(CHUNK_BYTES)
        while True:
            following = reader.read(CHUNK_BYTES) if len(piece) == CHUNK_BYTES else b""
            tag = (
                sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
                if following
                else sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
            )
            writer.write(sodium.crypto_secretstream_xchacha20poly1305_push(state, piece, None, tag))
            if not following:
                break
            piece = following


def raw_decrypt(src: Path, dst: Path) -> None:
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    with src.open("rb") as reader, dst.open("wb") as writer:
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, reader.read(24), KEY.value)
        while chunk := reader.read(CIPHER_CHUNK_BYTES):
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk)
            writer.write(plain)
        assert tag == sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


def hash_only(src: Path, make: Callable[..., Any] | None = None) -> bytes:
    """The stream hash of docs/format.md §6 alone, by default with the implementation
    crypto.stream chose on this machine."""
    digest = (make or stream_blake2b())(digest_size=32)
    with src.open("rb") as reader:
        while piece := reader.read(CIPHER_CHUNK_BYTES):
            digest.update(piece)
    return digest.digest()


def _library(make: Callable[..., Any]) -> str:
    return "libsodium" if make is nacl.hashlib.blake2b else "CPython's hashlib"


def plain_copy(src: Path, dst: Path) -> None:
    with src.open("rb") as reader, dst.open("wb") as writer:
        while piece := reader.read(CHUNK_BYTES):
            writer.write(piece)


def age_run(*args: str) -> None:
    subprocess.run([AGE, *args], check=True)


def file_hash(path: Path) -> bytes:
    digest = hashlib.blake2b(digest_size=32)
    with path.open("rb") as reader:
        while piece := reader.read(1 << 20):
            digest.update(piece)
    return digest.digest()


def peak_rss_mib(mode: str, src: Path, dst: Path, stream_hash: bytes = b"") -> float:
    """Run one operation in a fresh interpreter and return its peak RSS in MiB."""
    out = subprocess.run(
        [sys.executable, __file__, "--rss-child", mode, str(src), str(dst), stream_hash.hex()],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    return float(out.stdout.strip())


def rss_child(mode: str, src: str, dst: str, stream_hash_hex: str) -> None:
    if mode == "encrypt":
        ours_encrypt(Path(src), Path(dst))
    elif mode == "decrypt":
        ours_decrypt(Path(src), Path(dst), bytes.fromhex(stream_hash_hex))
    else:
        with Path(src).open("rb"):  # baseline: interpreter and imports only
            pass
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def age_row(d: Path, src: Path, expected: bytes) -> tuple[str, float, float, float, float]:
    """Encrypt and decrypt with the age command, to disk and to /dev/null."""
    identity = d / "age-key.txt"
    subprocess.run([AGE_KEYGEN, "-o", str(identity)], check=True, capture_output=True)
    recipient = subprocess.run(
        [AGE_KEYGEN, "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout.strip()
    age_enc = d / "age.enc"
    enc = _timed(lambda: age_run("-r", recipient, "-o", str(age_enc), str(src)))
    dec = _timed(lambda: age_run("-d", "-i", str(identity), "-o", str(d / "age.out"), str(age_enc)))
    assert file_hash(d / "age.out") == expected
    (d / "age.out").unlink()
    enc_n = _timed(lambda: age_run("-r", recipient, "-o", os.devnull, str(src)))
    dec_n = _timed(lambda: age_run("-d", "-i", str(identity), "-o", os.devnull, str(age_enc)))
    row = ("age (X25519 recipient, /usr/bin/age)", enc, dec, enc_n, dec_n)
    age_enc.unlink()
    identity.unlink()  # age-keygen refuses to overwrite it in the next round
    return row


def report(
    size_mib: int,
    small_mib: int,
    rows: list[tuple[str, float, float, float, float]],
    rss: dict[str, float],
    *,
    have_age: bool,
) -> None:
    """Print the markdown section."""
    mb = (size_mib << 20) / 1e6
    print(f"### File encryption ({size_mib} MiB, one run)\n")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {_cpu()}, "
        f"Python {platform.python_version()}, libsodium via PyNaCl, "
        f"{_age_version() if have_age else 'age not installed'}\n"
    )
    print('Throughput in MB/s; "to disk" writes the output file in the same temporary')
    print('directory, "to /dev/null" discards it (input read from the page cache).\n')
    print(
        "| implementation | encrypt to disk | decrypt to disk | encrypt to /dev/null "
        "| decrypt to /dev/null |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, *seconds in rows:
        print(f"| {name} | " + " | ".join(f"{mb / t:,.0f}" for t in seconds) + " |")
    by_name = {name: seconds for name, *seconds in rows}
    ours = by_name["crypto.stream (64 KiB chunks + stream hash)"]
    raw = by_name["raw PyNaCl secretstream (64 KiB chunks, no hash)"]
    floor = next(seconds for name, seconds in by_name.items() if name.startswith("format v1"))
    print("\n| ratio to raw secretstream, to /dev/null | encrypt | decrypt |")
    print("|---|---:|---:|")
    print(f"| crypto.stream | {raw[2] / ours[2]:.2f}{TIMES} | {raw[3] / ours[3]:.2f}{TIMES} |")
    print(
        f"| ceiling: the stream hash alone, on its own core | "
        f"{min(1.0, raw[2] / floor[2]):.2f}{TIMES} | {min(1.0, raw[3] / floor[3]):.2f}{TIMES} |"
    )
    print(
        f"\nPeak RSS of a fresh interpreter streaming with crypto.stream "
        f"(imports alone: {rss['baseline']:.1f} MiB):\n"
    )
    print(f"| operation | {small_mib} MiB file | {size_mib} MiB file |")
    print("|---|---:|---:|")
    print(f"| encrypt_stream | {rss['enc_small']:.1f} MiB | {rss['enc_big']:.1f} MiB |")
    print(f"| decrypt_stream | {rss['dec_small']:.1f} MiB | {rss['dec_big']:.1f} MiB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size (default 1 GiB)")
    parser.add_argument("--small-mib", type=int, default=16, help="small file for the RSS check")
    parser.add_argument("--rounds", type=int, default=3, help="runs per cell (median)")
    parser.add_argument("--rss-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(*args.rss_child)
        return

    size = args.size_mib << 20
    have_age = shutil.which(AGE) is not None
    if not have_age:  # the comparison row is the point: never drop it silently
        sys.exit(f"{AGE} not found: run scripts/setup --dev, which installs Debian's age.")
    with tempfile.TemporaryDirectory(prefix="bench-crypto-") as tmp:
        d = Path(tmp)
        src = d / "plain.bin"
        make_file(src, size)
        expected = file_hash(src)
        rounds: list[list[tuple[str, float, float, float, float]]] = []
        hashes: list[bytes] = []
        for _ in range(args.rounds):
            rounds.append(one_round(d, src, expected, hashes, have_age=have_age))
        rows = [median_row([r[i] for r in rounds]) for i in range(len(rounds[0]))]

        small = d / "small.bin"
        make_file(small, args.small_mib << 20)
        small_hash = ours_encrypt(small, d / "small.enc")
        rss = {
            "baseline": peak_rss_mib("none", small, d / "x"),
            "enc_small": peak_rss_mib("encrypt", small, d / "small.enc2"),
            "enc_big": peak_rss_mib("encrypt", src, d / "big.enc2"),
            "dec_small": peak_rss_mib("decrypt", d / "small.enc", d / "small.out", small_hash),
            "dec_big": peak_rss_mib("decrypt", d / "ours.enc", d / "big.out", hashes[0]),
        }

    report(args.size_mib, args.small_mib, rows, rss, have_age=have_age)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _age_version() -> str:
    out = subprocess.run([AGE, "--version"], capture_output=True, text=True, check=False)
    return f"age {out.stdout.strip()}"


if __name__ == "__main__":
    main()
