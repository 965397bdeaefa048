// What the transfer worker (app/transfer-worker.js) does, apart from the Worker itself so that
// Node tests drive it through a MessageChannel. One job per worker:
//
// - `{op: "encrypt", file, partBytes, ahead, name, mediaType, hashPort}`: reads the file with
//   its own stream, encrypts and hashes it (crypto/heapstream.js; with `hashPort`, a port to a
//   worker running the "hash" job, the hash is computed there from each part's Blob, `{blob}`)
//   and posts `{part}` Blobs of
//   `partBytes` bytes of stream, never more than `ahead` the page has not taken yet (the page
//   posts `{credit: 1}` for each part it takes), then `{done, manifest, stats}`.
// - `{op: "decrypt", url, fileKey, streamHash, mediaType, hashPort}`: fetches the stream,
//   decrypts it as it arrives, posts `{progress, total}` about every MiB and, only once the
//   whole stream verified, `{blob, stats}`. With `hashPort` (a MessagePort to a worker
//   running the "hash" job), the stream hash is computed there: each piece of the response,
//   once decrypted from, is moved through the port (`{piece}`), then `{end}` asks the digest.
// - `{op: "hash", port}`: BLAKE2b-256 of the pieces (and Blobs) that come through `port`, in
//   order; `{end}` answers `{digest, hashMs, readMs}` there.
// Any failure is `{error}`; the page then terminates the worker.
import { decryptToBlob, HeapEncryptor, newStats } from "../crypto/heapstream.js";
import { sodium } from "../crypto/sodium.js";

const clock = () => (globalThis.performance ? performance.now() : Date.now());
const PROGRESS_STEP = 1 << 20;

/**
 * The hasher decryptToBlob feeds (crypto/heapstream.js): pieces go through `port` to the
 * worker running the "hash" job, moved when they own their buffer (a response's pieces do),
 * else copied (counted in `stats.hashCopies`).
 */
export function remoteHasher(port, stats = newStats()) {
  let settle;
  const answer = new Promise((resolve, reject) => {
    settle = { resolve, reject };
  });
  port.onmessage = ({ data }) => settle.resolve(data);
  stats.hashCopies = 0;
  return {
    /** A part of the stream as a Blob (the upload's parts): the other worker reads it. */
    part(blob) {
      port.postMessage({ blob });
    },
    update(piece) {
      const whole = piece.byteOffset === 0 && piece.byteLength === piece.buffer.byteLength;
      const own = whole && !(typeof SharedArrayBuffer !== "undefined" && piece.buffer instanceof SharedArrayBuffer);
      const moved = own ? piece : piece.slice();
      if (!own) stats.hashCopies += 1;
      port.postMessage({ piece: moved }, [moved.buffer]);
    },
    async digest() {
      port.postMessage({ end: true });
      const t0 = clock();
      const { digest, hashMs, readMs } = await answer;
      stats.hashWaitMs = clock() - t0;
      stats.hashMs = hashMs;
      stats.hashReadMs = readMs;
      return digest;
    },
  };
}

export function serve(port) {
  let credits = 0;
  let wake = null;
  const credited = () =>
    new Promise((resolve) => {
      wake = resolve;
    });

  async function encrypt({ file, partBytes, ahead, name, mediaType, hashPort }) {
    credits += ahead;
    const stats = newStats();
    const encryptor = new HeapEncryptor({ hasher: hashPort ? remoteHasher(hashPort, stats) : undefined });
    let waitMs = 0;
    for await (const part of encryptor.parts(file, partBytes)) {
      const t0 = clock();
      while (credits === 0) await credited();
      waitMs += clock() - t0;
      credits -= 1;
      port.postMessage({ part });
    }
    hashPort?.close();
    const { hashMs, hashWaitMs, hashReadMs } = stats;
    const all = { ...encryptor.stats, ...(hashPort ? { hashMs, hashWaitMs, hashReadMs } : {}), waitMs };
    port.postMessage({ done: true, manifest: encryptor.manifest({ name, mediaType }), stats: all });
  }

  async function decrypt({ url, fileKey, streamHash, mediaType, hashPort }) {
    const stats = newStats();
    const t0 = clock();
    const response = await fetch(url, { credentials: "same-origin" });
    stats.firstByteMs = clock() - t0;
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const total = Number(response.headers.get("content-length") || 0);
    let told = 0;
    const onBytes = (received) => {
      if (received - told >= PROGRESS_STEP || received === total) {
        told = received;
        port.postMessage({ progress: received, total });
      }
    };
    const hasher = hashPort ? remoteHasher(hashPort, stats) : undefined;
    try {
      const blob = await decryptToBlob(response.body, { fileKey, streamHash, mediaType, onBytes, stats, hasher });
      port.postMessage({ blob, stats });
    } finally {
      hashPort?.close();
    }
  }

  // The stream hash of the pieces another worker hands over (op "hash").
  // Pieces are hashed as they come, Blobs once read, in the order they came.
  function hash({ port: input }) {
    const state = sodium.crypto_generichash_init(null, 32);
    let hashMs = 0;
    let readMs = 0;
    let queue = Promise.resolve();
    const update = (bytes) => {
      const t0 = clock();
      sodium.crypto_generichash_update(state, bytes);
      hashMs += clock() - t0;
    };
    input.onmessage = ({ data }) => {
      queue = queue.then(async () => {
        if (data.piece) update(data.piece);
        else if (data.blob) {
          const t0 = clock();
          const bytes = new Uint8Array(await data.blob.arrayBuffer());
          readMs += clock() - t0;
          update(bytes);
        } else if (data.end) {
          input.postMessage({ digest: sodium.crypto_generichash_final(state, 32), hashMs, readMs });
          input.close();
        }
      });
      queue.catch((error) => port.postMessage({ error: error?.message ?? String(error) }));
    };
  }

  port.onmessage = async ({ data }) => {
    if (data.credit) {
      credits += data.credit;
      if (wake) wake();
      wake = null;
      return;
    }
    try {
      if (data.op === "encrypt") await encrypt(data);
      else if (data.op === "decrypt") await decrypt(data);
      else if (data.op === "hash") hash(data);
      else throw new TypeError("unknown transfer job");
    } catch (error) {
      port.postMessage({ error: error && error.message ? error.message : String(error), name: error?.name });
    }
  };
  port.postMessage({ ready: true });
}
