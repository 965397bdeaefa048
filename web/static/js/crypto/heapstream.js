// File streams (docs/format.md §6) worked on libsodium's own memory: the fast path of the
// browser's transfers (app/transfer-worker.js), the same bytes as stream.js.
//
// stream.js hands every 64 KiB chunk through libsodium.js's wrappers, which copy the
// plaintext into WebAssembly memory, copy the ciphertext out into a new array, and copy it
// in again to hash it. Here each piece the file's reader gives is copied once into
// WebAssembly memory, encrypted (or decrypted) into a part-sized region there, hashed where it
// lies, and the region is copied once into a Blob when a part is full. Same chunking, same
// tags, same stream hash: FileEncryptor and this encryptor make identical streams from the
// same key and header (tests/js/heapstream.test.mjs), and decryptToBlob refuses exactly what
// decryptFile refuses, releasing its Blob only once the FINAL chunk and the hash verified.
import { requireBytes, fromBase64url, toBase64url } from "./encoding.js";
import { DecryptionFailed, UnsupportedVersion } from "./errors.js";
import { equalBytes, rng, VERSION } from "./primitives.js";
import { freeState, sodium } from "./sodium.js";
import { CHUNK_OVERHEAD, CHUNK_SIZE, CIPHER_CHUNK_SIZE, streamLength } from "./stream.js";

const HEADER_BYTES = 24;
const PREFIX_BYTES = 1 + HEADER_BYTES;
const STATE_BYTES = 52;
const TAG_MESSAGE = 0x00;
const TAG_FINAL = 0x03;

function asBytes(name, value, length) {
  return requireBytes(name, typeof value === "string" ? fromBase64url(value) : value, length);
}

/** Regions of WebAssembly memory, zeroed and freed together. */
class Heap {
  constructor() {
    this.raw = sodium.libsodium;
    this.blocks = [];
  }

  alloc(size) {
    const address = this.raw._malloc(size);
    if (!address) throw new RangeError("out of memory");
    this.blocks.push([address, size]);
    return address;
  }

  /** The current view of the memory (a new one after the memory grew). */
  get u8() {
    return this.raw.HEAPU8;
  }

  free() {
    for (const [address, size] of this.blocks) {
      this.u8.fill(0, address, address + size);
      this.raw._free(address);
    }
    this.blocks = [];
  }
}

/** Pieces of the source as Uint8Array: a Blob's own stream, a ReadableStream, or bytes. */
function readerOf(source) {
  if (source instanceof Uint8Array) {
    let given = false;
    return {
      read: async () => (given ? { done: true } : ((given = true), { done: false, value: source })),
      cancel: async () => {},
    };
  }
  const stream = typeof source.stream === "function" ? source.stream() : source;
  if (!stream || typeof stream.getReader !== "function") {
    throw new TypeError("a file source is a Blob, ReadableStream or Uint8Array");
  }
  const reader = stream.getReader();
  return {
    read: async () => {
      const { done, value } = await reader.read();
      return done ? { done } : { done, value: value instanceof Uint8Array ? value : new Uint8Array(value) };
    },
    cancel: async () => {
      try {
        await reader.cancel();
      } catch {
        // already closed or errored
      }
    },
  };
}

function now() {
  return globalThis.performance ? performance.now() : Date.now();
}

/** Time spent per step, in milliseconds, and bytes moved. */
export function newStats() {
  return { readMs: 0, copyMs: 0, cryptoMs: 0, hashMs: 0, blobMs: 0, bytes: 0, parts: 0 };
}

/**
 * Encrypts one file (a Blob or File: its size fixes which chunk is FINAL) into parts of
 * exactly `partBytes` bytes of stream (the last one shorter), each a Blob. Usage:
 *   const enc = new HeapEncryptor();            // or { fileKey, randomBytes } in tests
 *   for await (const part of enc.parts(file, 8 << 20)) send(part);
 *   enc.manifest({ name, mediaType })
 * With `hasher` (`{ part(blob), digest() }`, app/transfer-jobs.js remoteHasher: another worker),
 * the stream hash is computed there from each part's Blob, beside the encryption; the last
 * part is yielded once its digest came back, so the manifest is ready after the loop.
 */
export class HeapEncryptor {
  constructor({ fileKey, randomBytes, hasher } = {}) {
    this.randomBytes = randomBytes ?? null;
    this.hasher = hasher ?? null;
    this.fileKey = fileKey === undefined ? rng(randomBytes)(32) : asBytes("file key", fileKey, 32);
    this.streamHash = null;
    this.size = null;
    this.stats = newStats();
  }

  async *parts(file, partBytes) {
    if (this.streamHash !== null) throw new TypeError("a HeapEncryptor encrypts one file");
    if (!Number.isSafeInteger(partBytes) || partBytes < 4096) throw new RangeError("part size");
    const size = file.size;
    const chunks = Math.max(1, Math.ceil(size / CHUNK_SIZE));
    const stats = this.stats;
    const heap = new Heap();
    const reader = readerOf(file);
    const hash = this.hasher ? null : sodium.crypto_generichash_init(null, 32);
    let state = null;
    let finished = false;
    try {
      let header;
      if (this.randomBytes === null) {
        ({ state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(this.fileKey));
      } else {
        // As FileEncryptor: init_pull with a chosen header sets the state init_push would.
        header = this.randomBytes(HEADER_BYTES);
        state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, this.fileKey);
      }
      const input = heap.alloc(CHUNK_SIZE);
      const out = heap.alloc(partBytes + CIPHER_CHUNK_SIZE);
      const raw = heap.raw;
      heap.u8[out] = VERSION;
      heap.u8.set(header, out + 1);
      if (hash) raw._crypto_generichash_update(hash, out, PREFIX_BYTES, 0);
      let fill = PREFIX_BYTES;
      let piece = new Uint8Array(0);
      let used = 0;
      let read = 0;
      for (let i = 0; i < chunks; i += 1) {
        const want = i === chunks - 1 ? size - CHUNK_SIZE * (chunks - 1) : CHUNK_SIZE;
        let have = 0;
        while (have < want) {
          if (used === piece.length) {
            const t0 = now();
            const next = await reader.read();
            stats.readMs += now() - t0;
            if (next.done) throw new Error("the file changed while it was read");
            piece = next.value;
            used = 0;
            read += piece.length;
            if (read > size) throw new Error("the file changed while it was read");
            continue;
          }
          const take = Math.min(want - have, piece.length - used);
          const t3 = now();
          heap.u8.set(piece.subarray(used, used + take), input + have);
          stats.copyMs += now() - t3;
          used += take;
          have += take;
        }
        const tag = i === chunks - 1 ? TAG_FINAL : TAG_MESSAGE;
        const t1 = now();
        if (raw._crypto_secretstream_xchacha20poly1305_push(state, out + fill, 0, input, want, 0, 0, 0, 0, tag) !== 0) {
          throw new Error("encryption failed");
        }
        const t2 = now();
        if (hash) raw._crypto_generichash_update(hash, out + fill, want + CHUNK_OVERHEAD, 0);
        stats.cryptoMs += t2 - t1;
        if (hash) stats.hashMs += now() - t2;
        fill += want + CHUNK_OVERHEAD;
        while (fill >= partBytes) {
          yield this.#part(heap, out, partBytes);
          heap.u8.copyWithin(out, out + partBytes, out + fill);
          fill -= partBytes;
        }
      }
      if (read !== size || (await reader.read()).done !== true) {
        throw new Error("the file changed while it was read");
      }
      const last = fill > 0 ? this.#part(heap, out, fill) : null;
      this.streamHash = hash ? sodium.crypto_generichash_final(hash, 32) : await this.hasher.digest();
      this.size = size;
      finished = true;
      if (last !== null) yield last;
    } finally {
      if (!finished) {
        if (hash) sodium.crypto_generichash_final(hash, 32);
        await reader.cancel();
      }
      freeState(state, STATE_BYTES);
      heap.free();
    }
  }

  #part(heap, out, length) {
    const t0 = now();
    const blob = new Blob([heap.u8.subarray(out, out + length)], { type: "application/octet-stream" });
    this.stats.blobMs += now() - t0;
    this.stats.bytes += length;
    this.stats.parts += 1;
    this.hasher?.part(blob);
    return blob;
  }

  /** The file manifest (body of the extract item), once every part was taken. */
  manifest({ name, mediaType }) {
    if (this.streamHash === null) throw new TypeError("encrypt the file first");
    return {
      chunk_size: CHUNK_SIZE,
      file_key: toBase64url(this.fileKey),
      media_type: mediaType,
      name,
      size: this.size,
      stream_hash: toBase64url(this.streamHash),
    };
  }
}

/**
 * Decrypts a stream (ReadableStream, Blob or Uint8Array) into one Blob of plaintext, built
 * only after the FINAL chunk ended the stream exactly and H(32, stream) matched; every
 * anomaly is DecryptionFailed (an unknown version byte: UnsupportedVersion) and nothing
 * decrypted leaves. Plaintext is gathered in WebAssembly memory and copied once into a Blob
 * part every `partBytes`. `onBytes(n)` is told how many stream bytes were read so far.
 *
 * The stream hash is computed here, in WebAssembly memory, unless a `hasher` is given
 * (`{ update(piece), digest() }`, app/transfer-jobs.js remoteHasher: another worker): each
 * piece read is handed to `hasher.update` once everything was copied out of it (it may be
 * moved away), and `await hasher.digest()` must match before the Blob is made.
 */
export async function decryptToBlob(
  source,
  {
    fileKey,
    streamHash,
    mediaType = "application/octet-stream",
    partBytes = 8 << 20,
    onBytes = () => {},
    stats = newStats(),
    hasher = undefined,
  },
) {
  const key = asBytes("file key", fileKey, 32);
  const expected = asBytes("stream hash", streamHash, 32);
  const heap = new Heap();
  const reader = readerOf(source);
  const hash = hasher ? null : sodium.crypto_generichash_init(null, 32);
  let state = null;
  let hashed = hasher !== undefined;
  let complete = false;
  const parts = [];
  try {
    const raw = heap.raw;
    const input = heap.alloc(CIPHER_CHUNK_SIZE);
    const plain = heap.alloc(partBytes + CHUNK_SIZE);
    const tagAt = heap.alloc(1);
    const empty = new Uint8Array(0);
    let piece = empty;
    let used = 0;
    let ended = false;
    let total = 0;
    // The piece read is used up: hand it to the hasher, read the next; false at the end.
    const nextPiece = async () => {
      if (hasher && piece.length > 0) hasher.update(piece);
      piece = empty;
      used = 0;
      const t0 = now();
      const next = await reader.read();
      stats.readMs += now() - t0;
      if (next.done) {
        ended = true;
        return false;
      }
      piece = next.value;
      total += piece.length;
      onBytes(total);
      return true;
    };
    // Fills `input` with up to n bytes of the stream; fewer only at its end.
    const fillInput = async (n) => {
      let have = 0;
      while (have < n) {
        if (used === piece.length) {
          if (ended || !(await nextPiece())) break;
          continue;
        }
        const take = Math.min(n - have, piece.length - used);
        const t3 = now();
        heap.u8.set(piece.subarray(used, used + take), input + have);
        stats.copyMs += now() - t3;
        used += take;
        have += take;
      }
      return have;
    };
    // Whether the stream has no byte left after what was read.
    const atEnd = async () => {
      while (used === piece.length && !ended) await nextPiece();
      return used === piece.length;
    };
    const start = await fillInput(PREFIX_BYTES);
    if (start > 0 && heap.u8[input] !== VERSION) throw new UnsupportedVersion(heap.u8[input]);
    if (start !== PREFIX_BYTES) throw new DecryptionFailed();
    if (hash) raw._crypto_generichash_update(hash, input, PREFIX_BYTES, 0);
    try {
      state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(heap.u8.slice(input + 1, input + PREFIX_BYTES), key);
    } catch {
      throw new DecryptionFailed();
    }
    let fill = 0;
    let chunks = 0;
    const flush = (length) => {
      const t0 = now();
      parts.push(new Blob([heap.u8.subarray(plain, plain + length)]));
      stats.blobMs += now() - t0;
      stats.parts += 1;
    };
    for (;;) {
      const length = await fillInput(CIPHER_CHUNK_SIZE);
      if (length < CHUNK_OVERHEAD) throw new DecryptionFailed(); // no FINAL chunk
      const t1 = now();
      if (hash) raw._crypto_generichash_update(hash, input, length, 0);
      const t2 = now();
      const failed = raw._crypto_secretstream_xchacha20poly1305_pull(state, plain + fill, 0, tagAt, input, length, 0, 0, 0, 0);
      if (hash) stats.hashMs += t2 - t1;
      stats.cryptoMs += now() - t2;
      if (failed !== 0) throw new DecryptionFailed();
      const tag = heap.u8[tagAt];
      const message = length - CHUNK_OVERHEAD;
      stats.bytes += message;
      if (tag === TAG_FINAL) {
        if (!(await atEnd())) throw new DecryptionFailed(); // data after FINAL
        if (message === 0 && chunks > 0) throw new DecryptionFailed(); // one encoding per file
        let digest;
        if (hash) {
          hashed = true;
          digest = sodium.crypto_generichash_final(hash, 32);
        } else {
          if (piece.length > 0) hasher.update(piece); // the last piece, used up
          piece = empty;
          digest = await hasher.digest();
        }
        if (!equalBytes(digest, expected)) throw new DecryptionFailed();
        fill += message;
        if (fill > 0) flush(fill);
        complete = true;
        return new Blob(parts, { type: mediaType });
      }
      if (tag !== TAG_MESSAGE || length !== CIPHER_CHUNK_SIZE) throw new DecryptionFailed();
      chunks += 1;
      fill += message;
      if (fill >= partBytes) {
        flush(fill);
        fill = 0;
      }
    }
  } finally {
    if (!hashed) sodium.crypto_generichash_final(hash, 32);
    if (!complete) {
      parts.length = 0;
      await reader.cancel();
    }
    freeState(state, STATE_BYTES);
    heap.free();
  }
}

/** The stream's length for a file of `size` bytes (re-exported for the transfer modules). */
export { streamLength };
