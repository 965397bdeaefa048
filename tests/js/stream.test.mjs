// File streams (docs/format.md §6) against the vectors, sources of every kind, and refusals.
import { collect, filler, fixedRandom, flip, loadVectors } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CIPHER_CHUNK_SIZE,
  DecryptionFailed,
  decryptFile,
  decryptFileToBlob,
  encryptFileToBlob,
  FileEncryptor,
  fromBase64url as b,
  parseManifest,
  streamLength,
  toBase64url,
  UnsupportedVersion,
} from "../../web/static/js/crypto/index.js";
import { sodium } from "../../web/static/js/crypto/sodium.js";

const ALL = loadVectors();
const V = ALL.streams;

test("Python's streams decrypt to the vector plaintext (0, 65536 and 150000 bytes)", async () => {
  for (const v of V) {
    const plain = await collect(
      decryptFile(b(v.stream), { fileKey: v.file_key, streamHash: v.stream_hash }),
    );
    assert.equal(toBase64url(plain), v.plaintext);
    assert.equal(plain.length, v.size);
  }
});

test("with the vector's header, encryption reproduces Python's stream and hash exactly", async () => {
  for (const v of V) {
    const enc = new FileEncryptor({
      fileKey: b(v.file_key),
      randomBytes: fixedRandom(b(v.header)),
    });
    const pieces = [];
    for await (const piece of enc.encrypt(b(v.plaintext))) pieces.push(piece);
    assert.equal(pieces.length, 1 + v.chunk_count);
    assert.equal(toBase64url(Buffer.concat(pieces)), v.stream);
    assert.equal(toBase64url(enc.streamHash), v.stream_hash);
    assert.equal(enc.size, v.size);
  }
});

test("the vectors' broken streams fail: truncated, reordered, duplicated, trailing, altered", async () => {
  // Each case is built from byte ranges of streams[stream_of], an optional flipped byte and
  // appended bytes, as tests/vectors/README.md describes.
  const v = V[ALL.refused.stream_of];
  const stream = b(v.stream);
  for (const c of ALL.refused.streams) {
    let broken = Buffer.concat([
      ...c.ranges.map(([start, end]) => stream.subarray(start, end)),
      b(c.append),
    ]);
    if (c.flip !== null) broken = flip(broken, c.flip);
    const expected = c.error === "UnsupportedVersion" ? UnsupportedVersion : DecryptionFailed;
    await assert.rejects(
      collect(
        decryptFile(new Uint8Array(broken), { fileKey: v.file_key, streamHash: v.stream_hash }),
      ),
      expected,
      c.name,
    );
  }
});

test("one encoding per file: an empty FINAL chunk after other chunks is refused", async () => {
  // The vectors' 65,536-byte file as MESSAGE chunk + empty FINAL chunk (a valid secretstream).
  for (const c of ALL.refused.encodings) {
    await assert.rejects(
      collect(decryptFile(b(c.stream), { fileKey: c.file_key, streamHash: c.stream_hash })),
      DecryptionFailed,
      c.name,
    );
  }
  // Made here too, for two full chunks, fed in small pieces; the writer's own form opens.
  const plain = filler(2 * 65536, 7);
  const { blob, fileKey, streamHash } = await encryptFileToBlob(plain);
  const written = new Uint8Array(await blob.arrayBuffer());
  assert.equal(written.length, 25 + 2 * CIPHER_CHUNK_SIZE);
  assert.deepEqual(await collect(decryptFile(written, { fileKey, streamHash })), plain);
  const key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
  const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
  const push = (piece, tag) => sodium.crypto_secretstream_xchacha20poly1305_push(state, piece, null, tag);
  const trailing = Buffer.concat([
    Uint8Array.of(1),
    header,
    push(plain.subarray(0, 65536), 0),
    push(plain.subarray(65536), 0),
    push(new Uint8Array(0), 3),
  ]);
  const hash = sodium.crypto_generichash(32, trailing, null);
  const pieces = [];
  for (let i = 0; i < trailing.length; i += 1000) pieces.push(trailing.subarray(i, i + 1000));
  await assert.rejects(collect(decryptFile(pieces, { fileKey: key, streamHash: hash })), DecryptionFailed);
  // An empty file is still one empty FINAL chunk.
  const empty = await encryptFileToBlob(new Uint8Array(0));
  const emptyStream = new Uint8Array(await empty.blob.arrayBuffer());
  assert.equal(emptyStream.length, 25 + 17);
  const opened = await collect(decryptFile(emptyStream, empty));
  assert.equal(opened.length, 0);
});

test("a stream missing its FINAL chunk yields the verified chunks but never completes", async () => {
  // The contract: plaintext may flow out, but success is only the end of the iteration.
  const v = V[2];
  const stream = b(v.stream);
  const cut = stream.subarray(0, 25 + 2 * CIPHER_CHUNK_SIZE);
  const seen = [];
  await assert.rejects(async () => {
    for await (const piece of decryptFile(cut, {
      fileKey: v.file_key,
      streamHash: v.stream_hash,
    })) {
      seen.push(piece.length);
    }
  }, DecryptionFailed);
  assert.deepEqual(seen, [65536, 65536]);
  await assert.rejects(
    decryptFileToBlob(new Blob([cut]), { fileKey: v.file_key, streamHash: v.stream_hash }),
    DecryptionFailed,
  );
});

test("a valid stream with another manifest's hash, or another key, fails", async () => {
  const [v0, , v2] = V;
  await assert.rejects(
    collect(decryptFile(b(v2.stream), { fileKey: v2.file_key, streamHash: v0.stream_hash })),
    DecryptionFailed,
  );
  await assert.rejects(
    collect(decryptFile(b(v2.stream), { fileKey: v0.file_key, streamHash: v2.stream_hash })),
    DecryptionFailed,
  );
  await assert.rejects(
    collect(decryptFile(new Uint8Array(0), { fileKey: v0.file_key, streamHash: v0.stream_hash })),
    DecryptionFailed,
  );
  await assert.rejects(
    collect(
      decryptFile(b(v0.stream).subarray(0, 25), {
        fileKey: v0.file_key,
        streamHash: v0.stream_hash,
      }),
    ),
    DecryptionFailed,
  );
});

test("every flipped bit in a two-chunk stream fails (sampled every 997 bytes)", async () => {
  const data = filler(70000);
  const { blob, fileKey, streamHash } = await encryptFileToBlob(new Blob([data]));
  const stream = new Uint8Array(await blob.arrayBuffer());
  for (let i = 1; i < stream.length; i += 997) {
    await assert.rejects(
      collect(decryptFile(flip(stream, i), { fileKey, streamHash })),
      DecryptionFailed,
    );
  }
  await assert.rejects(
    collect(decryptFile(flip(stream, stream.length - 1), { fileKey, streamHash })),
    DecryptionFailed,
  );
});

test("round trips at chunk boundaries, from Blob, ReadableStream and iterable sources", async () => {
  for (const size of [0, 1, 65535, 65536, 65537, 131072, 200001]) {
    const data = filler(size, size + 1);
    const viaBlob = await encryptFileToBlob(new Blob([data]), {
      name: "a.csv",
      mediaType: "text/csv",
    });
    assert.equal(viaBlob.blob.size, 25 + size + 17 * Math.max(1, Math.ceil(size / 65536)));
    // Decrypt from a ReadableStream delivering awkward 1000-byte pieces.
    const cipher = new Uint8Array(await viaBlob.blob.arrayBuffer());
    let offset = 0;
    const readable = new ReadableStream({
      pull(controller) {
        if (offset >= cipher.length) controller.close();
        else controller.enqueue(cipher.slice(offset, (offset += 1000)));
      },
    });
    const manifest = parseManifest(viaBlob.manifest);
    assert.equal(manifest.size, size);
    const out = await decryptFileToBlob(readable, manifest);
    assert.deepEqual(new Uint8Array(await out.arrayBuffer()), data, `size ${size}`);
    // Encrypting from an iterable of odd pieces gives a stream that decrypts the same.
    const pieces = [];
    for (let i = 0; i < size; i += 7777) pieces.push(data.subarray(i, i + 7777));
    const viaIterable = await encryptFileToBlob(pieces);
    const back = await collect(decryptFile(viaIterable.blob, viaIterable));
    assert.deepEqual(back, data);
  }
});

test("encryption reads the source lazily: never more than two chunks ahead", async () => {
  // A 1 MiB ReadableStream counted as it is pulled: the encryptor holds at most the current
  // and the look-ahead chunk, so the file is never in one buffer.
  const total = 16 * 65536;
  let delivered = 0;
  const source = new ReadableStream(
    {
      pull(controller) {
        if (delivered >= total) return controller.close();
        controller.enqueue(filler(65536, delivered));
        delivered += 65536;
      },
    },
    { highWaterMark: 0 },
  );
  const enc = new FileEncryptor();
  let produced = 0;
  for await (const piece of enc.encrypt(source)) {
    assert.ok(piece.length <= CIPHER_CHUNK_SIZE);
    if (piece.length === CIPHER_CHUNK_SIZE) {
      produced += 65536;
      assert.ok(delivered - produced <= 2 * 65536, `read ${delivered} for ${produced}`);
    }
  }
  assert.equal(enc.size, total);
});

test("manifests with a wrong chunk size, key length or type are refused", () => {
  const good = {
    name: "x",
    media_type: "text/csv",
    size: 1,
    chunk_size: 65536,
    file_key: V[0].file_key,
    stream_hash: V[0].stream_hash,
    extra: "ignored",
  };
  assert.equal(parseManifest(good).size, 1);
  for (const bad of [
    { ...good, chunk_size: 4096 },
    { ...good, size: -1 },
    { ...good, size: "1" },
    { ...good, file_key: "AAAA" },
    { ...good, stream_hash: 5 },
    { ...good, name: undefined },
  ]) {
    assert.throws(() => parseManifest(bad), DecryptionFailed);
  }
});

test("streamLength gives the length of Python's streams (0, 65536 and 150000 bytes)", () => {
  for (const v of V) assert.equal(streamLength(v.size), b(v.stream).length);
});
