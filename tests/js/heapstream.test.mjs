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
import { remoteHasher, serve } from "../../web/static/js/app/transfer-jobs.js";
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

// The download's stream hash in a second worker (app/transfer-jobs.js: remoteHasher feeding the
// "hash" job through a MessagePort, as between the two Workers).
function hashWorker() {
  const { port1: job, port2: page } = new MessageChannel();
  serve(job);
  const { port1, port2 } = new MessageChannel();
  page.postMessage({ op: "hash", port: port2 }, [port2]);
  const stats = {};
  return { hasher: remoteHasher(port1, stats), stats, close: () => (job.close(), page.close(), port1.close()) };
}

function piecesOf(stream, size) {
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < stream.length; i += size) controller.enqueue(stream.slice(i, i + size));
      controller.close();
    },
  });
}

test("with the hash in another worker, the pieces hashed are exactly the stream, moved not copied", async () => {
  const plain = filler(3 * 65536 + 11, 6);
  const written = await encryptFileToBlob(plain);
  const stream = new Uint8Array(await written.blob.arrayBuffer());
  for (const piece of [1000, 65536 + 40, 1 << 20]) {
    const { hasher, stats, close } = hashWorker();
    try {
      const blob = await decryptToBlob(piecesOf(stream, piece), { ...written, hasher });
      assert.deepEqual(new Uint8Array(await blob.arrayBuffer()), plain);
      assert.equal(stats.hashCopies, 0);
      assert.ok(stats.hashMs >= 0 && stats.hashWaitMs >= 0);
    } finally {
      close();
    }
    const seen = [];
    const recording = { update: (p) => seen.push(p.slice()), digest: async () => sodium.crypto_generichash(32, Buffer.concat(seen)) };
    await decryptToBlob(piecesOf(stream, piece), { ...written, hasher: recording });
    assert.deepEqual(new Uint8Array(Buffer.concat(seen)), stream);
  }
});

test("with the hash in another worker, a tampered or truncated stream is refused, no Blob made", async () => {
  const plain = filler(2 * 65536 + 5, 4);
  const written = await encryptFileToBlob(plain);
  const good = new Uint8Array(await written.blob.arrayBuffer());
  const cases = [
    ["a flipped byte in the header", flip(good, 3)],
    ["a flipped byte in a chunk", flip(good, 25 + 70_000)],
    ["a flipped byte in the last tag", flip(good, good.length - 1)],
    ["the last chunk cut off", good.slice(0, 25 + 2 * CIPHER_CHUNK_SIZE)],
    ["cut mid-chunk", good.slice(0, 30_000)],
    ["a byte after FINAL", Buffer.concat([good, Buffer.from([0])])],
  ];
  for (const [name, broken] of cases) {
    const { hasher, close } = hashWorker();
    try {
      await assert.rejects(decryptToBlob(piecesOf(new Uint8Array(broken), 9000), { ...written, hasher }), DecryptionFailed, name);
    } finally {
      close();
    }
  }
  // Decryption alone would accept these: only the hash computed in the other worker refuses.
  const { hasher, close } = hashWorker();
  try {
    const otherHash = { fileKey: written.fileKey, streamHash: new Uint8Array(32), hasher };
    await assert.rejects(decryptToBlob(piecesOf(good, 9000), otherHash), DecryptionFailed);
  } finally {
    close();
  }
  const lying = { update: () => {}, digest: async () => new Uint8Array(32) }; // pieces lost on the way
  await assert.rejects(decryptToBlob(piecesOf(good, 9000), { ...written, hasher: lying }), DecryptionFailed);
});
