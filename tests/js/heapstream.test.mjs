// The transfers' fast path (web/static/js/crypto/heapstream.js): the same streams as
// stream.js and Python's crypto.stream byte for byte, the same refusals, parts of the size asked.
import { filler, fixedRandom, flip, loadVectors } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CIPHER_CHUNK_SIZE,
  DecryptionFailed,
  encryptFileToBlob,
  FileEncryptor,
  fromBase64url as b,
  streamLength,
  toBase64url,
  UnsupportedVersion,
} from "../../web/static/js/crypto/index.js";
import { decryptToBlob, HeapEncryptor } from "../../web/static/js/crypto/heapstream.js";
import { sodium } from "../../web/static/js/crypto/sodium.js";

const ALL = loadVectors();
const V = ALL.streams;

async function bytesOf(blobs) {
  return new Uint8Array(await new Blob(blobs).arrayBuffer());
}

async function encryptParts(plain, partBytes, options) {
  const enc = new HeapEncryptor(options);
  const parts = [];
  for await (const part of enc.parts(new Blob([plain]), partBytes)) parts.push(part);
  return { enc, parts };
}

test("with the vector's header, the heap encryptor reproduces Python's stream and hash", async () => {
  for (const v of V) {
    const options = { fileKey: b(v.file_key), randomBytes: fixedRandom(b(v.header)) };
    const { enc, parts } = await encryptParts(b(v.plaintext), 4096, options);
    assert.equal(toBase64url(await bytesOf(parts)), v.stream);
    assert.equal(toBase64url(enc.streamHash), v.stream_hash);
    assert.equal(enc.size, v.size);
    assert.equal(enc.manifest({ name: "x", mediaType: "text/csv" }).stream_hash, v.stream_hash);
  }
});

test("parts are exactly the size asked (the last shorter) and match FileEncryptor's stream", async () => {
  for (const size of [0, 1, 65535, 65536, 65537, 3 * 65536, 1_000_000]) {
    const plain = filler(size, size + 3);
    const key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
    const header = sodium.randombytes_buf(24);
    for (const partBytes of [4096, 65553, 200_000, 1 << 20]) {
      const { enc, parts } = await encryptParts(plain, partBytes, {
        fileKey: key,
        randomBytes: fixedRandom(header),
      });
      const total = streamLength(size);
      assert.equal(parts.length, Math.ceil(total / partBytes), `${size}/${partBytes}`);
      parts.slice(0, -1).forEach((part) => assert.equal(part.size, partBytes));
      const reference = new FileEncryptor({ fileKey: key, randomBytes: fixedRandom(header) });
      const pieces = [];
      for await (const piece of reference.encrypt(plain)) pieces.push(piece);
      assert.deepEqual(await bytesOf(parts), new Uint8Array(Buffer.concat(pieces)));
      assert.deepEqual(enc.streamHash, reference.streamHash);
    }
  }
});

test("decryptToBlob opens Python's vectors and every writer's stream, fed in any pieces", async () => {
  for (const v of V) {
    const blob = await decryptToBlob(b(v.stream), { fileKey: v.file_key, streamHash: v.stream_hash });
    assert.equal(toBase64url(new Uint8Array(await blob.arrayBuffer())), v.plaintext);
  }
  const plain = filler(5 * 65536 + 77, 9);
  const written = await encryptFileToBlob(plain);
  const stream = new Uint8Array(await written.blob.arrayBuffer());
  for (const piece of [999, 65553, 1 << 20]) {
    const source = new ReadableStream({
      start(controller) {
        for (let i = 0; i < stream.length; i += piece) controller.enqueue(stream.slice(i, i + piece));
        controller.close();
      },
    });
    let seen = 0;
    const blob = await decryptToBlob(source, { ...written, partBytes: 100_000, onBytes: (n) => (seen = n) });
    assert.deepEqual(new Uint8Array(await blob.arrayBuffer()), plain);
    assert.equal(seen, stream.length);
  }
});

test("decryptToBlob refuses what decryptFile refuses, and never returns a Blob then", async () => {
  const v = V[ALL.refused.stream_of];
  const stream = b(v.stream);
  for (const c of ALL.refused.streams) {
    let broken = Buffer.concat([...c.ranges.map(([s, e]) => stream.subarray(s, e)), b(c.append)]);
    if (c.flip !== null) broken = flip(broken, c.flip);
    const expected = c.error === "UnsupportedVersion" ? UnsupportedVersion : DecryptionFailed;
    await assert.rejects(
      decryptToBlob(new Uint8Array(broken), { fileKey: v.file_key, streamHash: v.stream_hash }),
      expected,
      c.name,
    );
  }
  for (const c of ALL.refused.encodings) {
    await assert.rejects(
      decryptToBlob(b(c.stream), { fileKey: c.file_key, streamHash: c.stream_hash }),
      DecryptionFailed,
      c.name,
    );
  }
  const plain = filler(2 * 65536 + 5, 4);
  const written = await encryptFileToBlob(plain);
  const good = new Uint8Array(await written.blob.arrayBuffer());
  assert.equal(good.length, 25 + 2 * CIPHER_CHUNK_SIZE + 22);
  for (let i = 1; i < good.length; i += 4999) {
    await assert.rejects(decryptToBlob(flip(good, i), written), DecryptionFailed, `bit at ${i}`);
  }
  await assert.rejects(decryptToBlob(good.subarray(0, good.length - 22), written), DecryptionFailed);
  const otherHash = { fileKey: written.fileKey, streamHash: new Uint8Array(32) };
  await assert.rejects(decryptToBlob(good, otherHash), DecryptionFailed);
});

test("a file that grows or shrinks while it is read is refused, not sent short", async () => {
  const fake = (claimed, real) => ({
    size: claimed,
    stream: () => new Blob([filler(real)]).stream(),
  });
  for (const [claimed, real] of [[100_000, 90_000], [100_000, 110_000], [0, 1]]) {
    const enc = new HeapEncryptor();
    await assert.rejects(async () => {
      for await (const part of enc.parts(fake(claimed, real), 4096)) assert.ok(part.size > 0);
    }, /changed/);
    assert.throws(() => enc.manifest({ name: "x", mediaType: "x" }), TypeError);
  }
});
