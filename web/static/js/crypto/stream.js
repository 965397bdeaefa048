// File streams, the contents of extracts (docs/format.md §6).
//
// stream      = 0x01 || STREAM header (24) || chunk_1 || … || chunk_n
// chunk_i     = secretstream push of 64 KiB of plaintext, tag MESSAGE; the last (1..64 KiB, empty
//               only for an empty file: readers refuse an empty FINAL after other chunks) tag FINAL
// stream_hash = H(32, stream)
//
// Both directions work piece by piece from a Blob/File, a ReadableStream, an (async) iterable
// of Uint8Array or one Uint8Array, holding at most a couple of chunks in memory: a file is
// never loaded into one buffer. Decryption yields plaintext chunks but only *completes* after
// the FINAL chunk ended the stream exactly and the stream hash matched; until then nothing it
// yielded may be shown to the user as a complete file (decryptFileToBlob builds the Blob only
// after that). Every failure is DecryptionFailed.
import { fromBase64url, requireBytes, toBase64url } from "./encoding.js";
import { DecryptionFailed, UnsupportedVersion } from "./errors.js";
import { equalBytes, rng, VERSION } from "./primitives.js";
import { freeState, sodium } from "./sodium.js";

export const CHUNK_SIZE = 65536;
export const CHUNK_OVERHEAD = 17;
export const CIPHER_CHUNK_SIZE = CHUNK_SIZE + CHUNK_OVERHEAD; // 65553
const STREAM_HEADER_BYTES = 24;
const PREFIX_BYTES = 1 + STREAM_HEADER_BYTES;

/**
 * Bytes of the stream of a `size`-byte file: the prefix, then 17 bytes more than the
 * plaintext per chunk, and one chunk even for an empty file (docs/format.md §6). Python's
 * copy is `stream_length` in crypto/stream.py; tests/browser/test_interop_node.py compares them.
 */
export function streamLength(size) {
  return PREFIX_BYTES + size + CHUNK_OVERHEAD * Math.max(1, Math.ceil(size / CHUNK_SIZE));
}
const STATE_BYTES = 52; // crypto_secretstream_xchacha20poly1305_statebytes()
const TAG_MESSAGE = 0x00;
const TAG_FINAL = 0x03;

function asBytes(name, value, length) {
  return requireBytes(name, typeof value === "string" ? fromBase64url(value) : value, length);
}

/** An async iterator of the source's bytes, whatever its kind. */
async function* sourceBytes(source) {
  if (source instanceof Uint8Array) {
    yield source;
  } else if (typeof Blob !== "undefined" && source instanceof Blob) {
    for (let offset = 0; offset < source.size; offset += CHUNK_SIZE) {
      yield new Uint8Array(await source.slice(offset, offset + CHUNK_SIZE).arrayBuffer());
    }
  } else if (source && typeof source.getReader === "function") {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value instanceof Uint8Array ? value : new Uint8Array(value);
      }
    } finally {
      reader.releaseLock();
    }
  } else if (source && (Symbol.asyncIterator in source || Symbol.iterator in source)) {
    for await (const value of source) {
      yield value instanceof Uint8Array ? value : new Uint8Array(value);
    }
  } else {
    throw new TypeError("a file source is a Blob, ReadableStream, iterable or Uint8Array");
  }
}

/** Reads exactly `n` bytes at a time (fewer only at the end of the source). */
class ExactReader {
  constructor(source) {
    this.iterator = sourceBytes(source)[Symbol.asyncIterator]();
    this.pending = [];
    this.pendingBytes = 0;
    this.done = false;
  }

  async read(n) {
    while (this.pendingBytes < n && !this.done) {
      const { done, value } = await this.iterator.next();
      if (done) this.done = true;
      else if (value.length > 0) {
        this.pending.push(value);
        this.pendingBytes += value.length;
      }
    }
    const out = new Uint8Array(Math.min(n, this.pendingBytes));
    let o = 0;
    while (o < out.length) {
      const head = this.pending[0];
      const take = Math.min(head.length, out.length - o);
      out.set(head.subarray(0, take), o);
      o += take;
      if (take === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(take);
    }
    this.pendingBytes -= out.length;
    return out;
  }

  async close() {
    if (!this.done) await this.iterator.return?.();
  }
}

/**
 * Encrypts one file. Usage:
 *   const enc = new FileEncryptor();            // or { fileKey, randomBytes } in tests
 *   for await (const bytes of enc.encrypt(file)) upload(bytes);
 *   enc.manifest({ name, mediaType })           // the extract item's body
 * `randomBytes` (vectors only) draws the file key (32, unless given) then the stream header (24).
 */
export class FileEncryptor {
  constructor({ fileKey, randomBytes } = {}) {
    this.randomBytes = randomBytes ?? null;
    this.fileKey = fileKey === undefined ? rng(randomBytes)(32) : asBytes("file key", fileKey, 32);
    this.streamHash = null;
    this.size = null;
  }

  /** Yields `0x01 || header`, then each ciphertext chunk. */
  async *encrypt(source) {
    if (this.streamHash !== null) throw new TypeError("a FileEncryptor encrypts one file");
    const reader = new ExactReader(source);
    const hash = sodium.crypto_generichash_init(null, 32);
    let state = null;
    let finished = false;
    try {
      let header;
      if (this.randomBytes === null) {
        ({ state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(this.fileKey));
      } else {
        // init_pull with a chosen header sets exactly the state init_push sets after drawing
        // that header: the only way to fix the header for reproducible test vectors.
        header = this.randomBytes(STREAM_HEADER_BYTES);
        state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, this.fileKey);
      }
      const start = new Uint8Array(1 + STREAM_HEADER_BYTES);
      start[0] = VERSION;
      start.set(header, 1);
      sodium.crypto_generichash_update(hash, start);
      yield start;
      let size = 0;
      let current = await reader.read(CHUNK_SIZE);
      for (;;) {
        const next =
          current.length === CHUNK_SIZE ? await reader.read(CHUNK_SIZE) : new Uint8Array(0);
        const tag = next.length === 0 ? TAG_FINAL : TAG_MESSAGE;
        const chunk = sodium.crypto_secretstream_xchacha20poly1305_push(state, current, null, tag);
        size += current.length;
        sodium.crypto_generichash_update(hash, chunk);
        yield chunk;
        if (tag === TAG_FINAL) break;
        current = next;
      }
      this.streamHash = sodium.crypto_generichash_final(hash, 32);
      this.size = size;
      finished = true;
    } finally {
      if (!finished) sodium.crypto_generichash_final(hash, 32);
      freeState(state, STATE_BYTES);
      await reader.close();
    }
  }

  /** The file manifest (body of the extract item), once `encrypt` has finished. */
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
 * Decrypt a stream piece by piece. Yields plaintext chunks; the iteration completes normally
 * only once the FINAL chunk ended the stream exactly and H(32, stream) equals `streamHash`
 * (bytes or base64url). Anything else throws DecryptionFailed (an unknown leading version
 * byte: UnsupportedVersion), and whatever was yielded must then be discarded.
 */
export async function* decryptFile(source, { fileKey, streamHash }) {
  const key = asBytes("file key", fileKey, 32);
  const expectedHash = asBytes("stream hash", streamHash, 32);
  const reader = new ExactReader(source);
  const hash = sodium.crypto_generichash_init(null, 32);
  let state = null;
  let hashed = false;
  let chunks = 0;
  try {
    const start = await reader.read(1 + STREAM_HEADER_BYTES);
    if (start.length > 0 && start[0] !== VERSION) throw new UnsupportedVersion(start[0]);
    if (start.length !== 1 + STREAM_HEADER_BYTES) throw new DecryptionFailed();
    sodium.crypto_generichash_update(hash, start);
    try {
      state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(start.subarray(1), key);
    } catch {
      throw new DecryptionFailed();
    }
    for (;;) {
      const chunk = await reader.read(CIPHER_CHUNK_SIZE);
      if (chunk.length < CHUNK_OVERHEAD) throw new DecryptionFailed(); // no FINAL chunk
      sodium.crypto_generichash_update(hash, chunk);
      const pulled = sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk, null);
      if (!pulled) throw new DecryptionFailed();
      if (pulled.tag === TAG_FINAL) {
        if ((await reader.read(1)).length !== 0) throw new DecryptionFailed(); // data after FINAL
        // One encoding per file: an empty FINAL chunk only as the only chunk (an empty file).
        if (pulled.message.length === 0 && chunks > 0) throw new DecryptionFailed();
        hashed = true;
        if (!equalBytes(sodium.crypto_generichash_final(hash, 32), expectedHash)) {
          throw new DecryptionFailed();
        }
        yield pulled.message;
        return;
      }
      if (pulled.tag !== TAG_MESSAGE || chunk.length !== CIPHER_CHUNK_SIZE) {
        throw new DecryptionFailed();
      }
      chunks += 1;
      yield pulled.message;
    }
  } finally {
    if (!hashed) sodium.crypto_generichash_final(hash, 32);
    freeState(state, STATE_BYTES);
    await reader.close();
  }
}

/**
 * Read an extract's manifest (its decrypted JSON body): `{ name, mediaType, size, fileKey,
 * streamHash, chunkSize }`. Unknown keys are ignored; any anomaly is DecryptionFailed.
 */
export function parseManifest(json) {
  const { name, media_type: mediaType, size, chunk_size: chunkSize } = json ?? {};
  if (
    typeof name !== "string" ||
    typeof mediaType !== "string" ||
    !Number.isSafeInteger(size) ||
    size < 0 ||
    chunkSize !== CHUNK_SIZE
  ) {
    throw new DecryptionFailed();
  }
  try {
    return Object.freeze({
      name,
      mediaType,
      size,
      chunkSize,
      fileKey: asBytes("file key", json.file_key, 32),
      streamHash: asBytes("stream hash", json.stream_hash, 32),
    });
  } catch {
    throw new DecryptionFailed();
  }
}

/** Encrypt a file into a Blob of ciphertext parts: `{ blob, fileKey, streamHash, size, manifest }`. */
export async function encryptFileToBlob(
  source,
  { name = "", mediaType = "application/octet-stream", fileKey, randomBytes } = {},
) {
  const encryptor = new FileEncryptor({ fileKey, randomBytes });
  const parts = [];
  for await (const piece of encryptor.encrypt(source)) parts.push(piece);
  return {
    blob: new Blob(parts, { type: "application/octet-stream" }),
    fileKey: encryptor.fileKey,
    streamHash: encryptor.streamHash,
    size: encryptor.size,
    manifest: encryptor.manifest({ name, mediaType }),
  };
}

/**
 * Decrypt a stream into a Blob of plaintext, built only after the whole stream verified
 * (what a download link may point to). Takes the manifest's `file_key` and `stream_hash`.
 */
export async function decryptFileToBlob(
  source,
  { fileKey, streamHash, mediaType = "application/octet-stream" },
) {
  const parts = [];
  for await (const piece of decryptFile(source, { fileKey, streamHash })) parts.push(piece);
  return new Blob(parts, { type: mediaType });
}
