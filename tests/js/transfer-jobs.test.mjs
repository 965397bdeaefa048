// The transfer worker's protocol (web/static/js/app/transfer-jobs.js with app/transfer.js's
// page side), through a MessageChannel as between a page and its Worker: parts in order, the
// worker never more than `ahead` parts ahead of the sender, decryption released only verified.
import { filler } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { decryptFile, encryptFileToBlob, streamLength, toBase64url } from "../../web/static/js/crypto/index.js";
import { sodium } from "../../web/static/js/crypto/sodium.js";
import { serve } from "../../web/static/js/app/transfer-jobs.js";
import { WorkerParts } from "../../web/static/js/app/transfer.js";

const PART = 65536;

function channel() {
  const { port1, port2 } = new MessageChannel();
  serve(port1);
  return { page: port2, close: () => (port1.close(), port2.close()) };
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("the worker stays at most `ahead` parts ahead of the part the sender took", async () => {
  const plain = filler(20 * PART + 123, 5);
  const { page, close } = channel();
  let posted = 0;
  try {
    const parts = new WorkerParts(page, { op: "encrypt", file: new Blob([plain]), partBytes: PART, name: "a.csv", mediaType: "text/csv" }, 2);
    const inner = page.onmessage;
    page.onmessage = (event) => {
      if (event.data.part) posted += 1;
      inner(event);
    };
    const taken = [];
    for await (const part of parts) {
      await pause(15); // a slow network: the worker must wait for credit
      assert.ok(posted - taken.length <= 3, `posted ${posted}, taken ${taken.length}`); // 2 queued + this one
      assert.ok(parts.queue.length <= 2);
      taken.push(part);
    }
    const stream = new Uint8Array(await new Blob(taken).arrayBuffer());
    assert.equal(stream.length, streamLength(plain.length));
    taken.slice(0, -1).forEach((p) => assert.equal(p.size, PART));
    const { manifest, stats } = parts.result;
    assert.equal(manifest.size, plain.length);
    assert.ok(stats.waitMs > 0, "the worker waited for the sender");
    const opened = [];
    for await (const piece of decryptFile(stream, { fileKey: manifest.file_key, streamHash: manifest.stream_hash })) opened.push(piece);
    assert.deepEqual(new Uint8Array(Buffer.concat(opened)), plain);
  } finally {
    close();
  }
});

test("without a sender taking parts, the worker encrypts exactly `ahead` parts and waits", async () => {
  const { page, close } = channel();
  try {
    const parts = new WorkerParts(page, { op: "encrypt", file: new Blob([filler(10 * PART)]), partBytes: PART, name: "b", mediaType: "x" }, 3);
    await pause(300);
    assert.equal(parts.queue.length, 3);
    assert.equal(parts.result, null);
  } finally {
    close();
  }
});

test("with a second worker hashing the parts' Blobs, the manifest's stream hash is the stream's", async () => {
  const plain = filler(7 * PART + 999, 8);
  const { page, close } = channel();
  const hashing = channel();
  try {
    const job = { op: "encrypt", file: new Blob([plain]), partBytes: PART, name: "h.csv", mediaType: "text/csv" };
    const parts = new WorkerParts(page, job, 2, hashing.page);
    const taken = [];
    for await (const part of parts) taken.push(part);
    const stream = new Uint8Array(await new Blob(taken).arrayBuffer());
    const { manifest, stats } = parts.result;
    assert.equal(manifest.stream_hash, toBase64url(sodium.crypto_generichash(32, stream)));
    assert.ok(stats.hashMs > 0 && stats.hashWaitMs >= 0, "hashed in the other worker");
    const opened = [];
    for await (const piece of decryptFile(stream, { fileKey: manifest.file_key, streamHash: manifest.stream_hash })) opened.push(piece);
    assert.deepEqual(new Uint8Array(Buffer.concat(opened)), plain);
  } finally {
    close();
    hashing.close();
  }
});
