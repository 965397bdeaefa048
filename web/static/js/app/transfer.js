// Requests that survive a dropped connection: `send` (app/api.js) retried with backoff on
// network errors (never on a refusal, which has a sentence to show).
import { ApiError } from "./api.js";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retry `fn` on network failures (TypeError from fetch), up to `attempts` times. */
export async function withRetry(fn, attempts = 8) {
  let last;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ApiError) throw error;
      last = error;
      await sleep(Math.min(250 * 2 ** attempt, 8000));
    }
  }
  throw last;
}

// Extract transfers run in a Worker (app/transfer-worker.js); these are the page's side.

/** Parts the worker may have encrypted ahead of the one being sent (memory: (ahead + 1) parts). */
export const PARTS_AHEAD = 2;

/**
 * Whether the stream hash gets a worker of its own, beside encryption or decryption: only
 * where the device has cores to spare. On two, the page, the browser's network process and
 * the first worker already use both, and a second worker made transfers 5-10% slower
 * (docs/performance.md, "Extracts in the browser", session 6).
 */
export const HASH_WORKER = typeof navigator !== "undefined" && navigator.hardwareConcurrency > 2;

/** Workers a transfer uses: one, and one more for the stream hash where HASH_WORKER. */
export const TRANSFER_WORKERS = HASH_WORKER ? 2 : 1;

/** The last transfers' time per step (milliseconds), for bench/bench_transfers.py. */
export const lastStats = { upload: null, download: null };

const clock = () => performance.now();

const spares = [];

function newWorker() {
  const worker = new Worker(new URL("./transfer-worker.js", import.meta.url), { type: "module" });
  worker.onmessage = ({ data }) => {
    if (data.ready) worker.ready = true; // the job posts at once (start)
  };
  return worker;
}

/**
 * Start `count` transfer workers now so that their libsodium is compiled before the user's
 * click (about a quarter of a second each); the next transferWorker() calls take them. A
 * download uses two (decryption, and the stream hash beside it), an upload one.
 */
export function warmTransferWorker(count = 1) {
  while (spares.length < count && typeof Worker !== "undefined") spares.push(newWorker());
}

/** A transfer worker for one job (a module Worker, same origin: CSP `script-src 'self'`). */
export function transferWorker() {
  return spares.shift() ?? newWorker();
}

/**
 * Waits for the worker's "ready", then posts `job` (handing over `transfer`); calls `onData`
 * with every later message.
 */
function start(port, job, onData, onFailure, transfer = []) {
  if (port.ready) port.postMessage(job, transfer);
  port.onmessage = ({ data }) => {
    if (data.ready) port.postMessage(job, transfer);
    else if (data.error !== undefined) onFailure(new Error(data.error));
    else onData(data);
  };
  if ("onerror" in port) {
    port.onerror = (event) => {
      event.preventDefault?.();
      onFailure(new Error(event.message || "the transfer worker failed"));
    };
  }
}

/**
 * The encrypted parts of `file`, in order, as the worker on `port` makes them: iterate with
 * `for await`, then read `result` ({ manifest, stats }). The worker stays at most `ahead`
 * parts ahead of the part taken last, so encryption runs while the previous part is sent.
 * With `hashPort` (a second transfer worker), the stream hash is computed there, beside the
 * encryption, from the parts' Blobs.
 */
export class WorkerParts {
  constructor(port, job, ahead = PARTS_AHEAD, hashPort = null) {
    this.port = port;
    this.queue = [];
    this.result = null;
    this.failure = null;
    this.wake = null;
    this.waitMs = 0; // time the sender waited for the worker
    const poke = () => {
      if (this.wake) this.wake();
      this.wake = null;
    };
    let hashing = null;
    if (hashPort !== null) {
      const { port1, port2 } = new MessageChannel();
      start(hashPort, { op: "hash", port: port2 }, () => {}, (error) => this.fail(error), [port2]);
      hashing = port1;
    }
    start(
      port,
      { ...job, ahead, hashPort: hashing },
      (data) => {
        if (data.part) this.queue.push(data.part);
        else if (data.done) this.result = { manifest: data.manifest, stats: data.stats };
        poke();
      },
      (error) => {
        this.failure = error;
        poke();
      },
      hashing === null ? [] : [hashing],
    );
  }

  /** Ends the parts with `error` (the worker was stopped: it will post nothing more). */
  fail(error) {
    this.failure ??= error;
    if (this.wake) this.wake();
    this.wake = null;
  }

  async *[Symbol.asyncIterator]() {
    for (;;) {
      if (this.failure) {
        throw this.failure;
      } else if (this.queue.length > 0) {
        const part = this.queue.shift();
        this.port.postMessage({ credit: 1 });
        yield part;
      } else if (this.result) {
        return;
      } else {
        const t0 = clock();
        await new Promise((resolve) => {
          this.wake = resolve;
        });
        this.waitMs += clock() - t0;
      }
    }
  }
}

/**
 * Download and decrypt in the worker on `port`: resolves to the verified plaintext Blob,
 * `onProgress(received, total)` on the way. With `hashPort` (a second transfer worker), the
 * stream hash is computed there, beside the decryption, from the ciphertext pieces the first
 * worker hands over as it reads them (moved, not copied); the Blob is still released only once
 * the hash and every chunk verified. `stats` of the worker go to `lastStats.download`.
 */
export function decryptInWorker(port, { url, fileKey, streamHash, mediaType }, onProgress = () => {}, hashPort = null) {
  const t0 = clock();
  return new Promise((resolve, reject) => {
    let hashing = null;
    if (hashPort !== null) {
      const { port1, port2 } = new MessageChannel();
      start(hashPort, { op: "hash", port: port2 }, () => {}, reject, [port2]);
      hashing = port1;
    }
    start(
      port,
      { op: "decrypt", url, fileKey, streamHash, mediaType, hashPort: hashing },
      (data) => {
        if (data.progress !== undefined) onProgress(data.progress, data.total);
        else if (data.blob) {
          lastStats.download = { ...data.stats, totalMs: clock() - t0 };
          resolve(data.blob);
        }
      },
      reject,
      hashing === null ? [] : [hashing],
    );
  });
}

/**
 * What the item page's download button runs: a transfer worker decrypting and, with
 * `hashWorker`, a second one hashing (warmTransferWorker(TRANSFER_WORKERS) before); both
 * stopped once the verified Blob (or the refusal) is there.
 */
export async function downloadExtract(job, onProgress = () => {}, { hashWorker = HASH_WORKER } = {}) {
  const worker = transferWorker();
  const hasher = hashWorker ? transferWorker() : null;
  try {
    return await decryptInWorker(worker, job, onProgress, hasher);
  } finally {
    worker.terminate();
    hasher?.terminate();
    warmTransferWorker(TRANSFER_WORKERS); // for the next download
  }
}
