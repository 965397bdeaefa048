// Extract upload: the file is encrypted chunk by chunk (docs/format.md §6) in a Worker and sent
// in parts of 8 MiB to a resumable upload, PARTS_IN_FLIGHT at once and in order: the next
// part's body crosses the network while the server writes, fsyncs and records the previous
// one (the server makes a part that arrives early wait for the one before it, and
// acknowledges parts only durable and contiguous). After a dropped connection or a 409 the
// browser asks the server how many bytes it holds durably and resends from there. The server
// never sees plaintext, and neither side holds the whole file in memory.
import { streamLength } from "../crypto/index.js";
import { ApiError, send } from "../app/api.js";
import { lang, t } from "../app/form.js";
import {
  HASH_WORKER,
  lastStats,
  sleep,
  TRANSFER_WORKERS,
  transferWorker,
  warmTransferWorker,
  withRetry,
  WorkerParts,
} from "../app/transfer.js";

// The server's largest part (vault/items/uploads.py MAX_PART_BYTES): fewer round trips and fsyncs.
export const PART_BYTES = 8 * 1024 * 1024;
// Parts on the wire at once: two keep the connection busy while the server stores one; the
// server lets at most three wait per upload (vault/items/uploads.py MAX_WAITING_PER_UPLOAD).
export const PARTS_IN_FLIGHT = 2;
const MIB = 1024 * 1024;

/** A size in mebibytes as the reader writes it: "12,5 Mio" in French, "12.5 MiB" in English. */
export function formatMib(bytes, language = lang()) {
  const number = new Intl.NumberFormat(language === "en" ? "en-GB" : "fr-FR", {
    maximumFractionDigits: 1,
  }).format(bytes / MIB);
  return language === "en" ? `${number} MiB` : `${number}\u00a0Mio`;
}

/** The sentence for a file over the vault's limit, stating both sizes. */
export function tooLargeMessage(size, limit) {
  return t({
    fr: `Ce fichier pèse ${formatMib(size, "fr")}\u00a0: la taille maximale acceptée est de ${formatMib(limit, "fr")}.`,
    en: `This file is ${formatMib(size, "en")}: the largest file accepted is ${formatMib(limit, "en")}.`,
  });
}

// While an upload runs, leaving the page (closing the tab, following a link) would lose it:
// the browser asks first.
let running = 0;
function warnBeforeLeaving(event) {
  event.preventDefault();
  event.returnValue = ""; // older browsers show their own sentence only when this is set
}
function uploadStarted() {
  if (running++ === 0) window.addEventListener("beforeunload", warnBeforeLeaving);
}
function uploadEnded() {
  if (--running === 0) window.removeEventListener("beforeunload", warnBeforeLeaving);
}

// One part (a Blob) at `offset`; after a network failure or a 409 (the server waited too long
// for an earlier part, or holds this one already), waits until `previous` (the parts before
// it) is acknowledged, asks the server what it holds durably and sends the rest of the part
// from there (idempotent by offset).
async function sendPart(uploadId, offset, part, signal, previous = Promise.resolve()) {
  let sent = 0;
  for (let attempt = 0; attempt < 10; attempt += 1) {
    signal?.throwIfAborted();
    try {
      const answer = await send(
        "PUT",
        `/uploads/${uploadId}/${offset + sent}`,
        sent === 0 ? part : part.slice(sent),
        "application/octet-stream",
        { signal },
      );
      if (answer.received === offset + part.size) return;
    } catch (error) {
      signal?.throwIfAborted();
      if (error instanceof ApiError && error.status !== 409) throw error;
      await sleep(Math.min(250 * 2 ** attempt, 8000));
    }
    await previous;
    const status = await withRetry(() => send("GET", `/uploads/${uploadId}`, undefined, undefined, { signal }));
    sent = status.received - offset;
    if (sent >= part.size) return;
    if (sent < 0) throw new Error("the upload went backwards");
  }
  throw new Error("the upload did not get through");
}

// Wall-clock time with at least one part on the wire (the parts overlap: their times do not add).
class Busy {
  constructor() {
    this.active = 0;
    this.since = 0;
    this.ms = 0;
  }
  begin() {
    if (this.active++ === 0) this.since = performance.now();
  }
  end() {
    if (--this.active === 0) this.ms += performance.now() - this.since;
  }
}

/**
 * Encrypt and upload `file`; returns `{ uploadId, manifest }` for the extract's envelope.
 * Reading, encryption and hashing run in a Worker, at most PARTS_AHEAD parts ahead of the
 * parts on the network; PARTS_IN_FLIGHT parts go at once, in order, each acknowledged only
 * after the ones before it, so resuming is unchanged. `signal`
 * cancels: the worker stops, nothing more is sent, and the upload stays incomplete (the
 * server refuses a deposit naming it). `inFlight` and `hashWorker` (the stream hash in a
 * second worker; by default where the device has cores to spare) are for
 * bench/bench_transfers.py, which compares them in one run.
 */
export async function uploadExtract(
  file,
  { practiceId, itemId, onProgress = () => {}, signal, inFlight = PARTS_IN_FLIGHT, hashWorker = HASH_WORKER } = {},
) {
  onProgress(0); // a new file starts from nothing, whatever the last one reached
  uploadStarted();
  try {
    return await encryptAndSend(file, { practiceId, itemId, onProgress, signal, inFlight, hashWorker });
  } finally {
    uploadEnded();
    warmTransferWorker(TRANSFER_WORKERS); // for the next file
  }
}

// The page with the extract form starts its workers (encryption, and the stream hash beside
// it where HASH_WORKER) at once: their libsodium compiles while the secretary picks the file.
if (typeof document !== "undefined" && document.getElementById("extract-form")) warmTransferWorker(TRANSFER_WORKERS);

async function encryptAndSend(file, { practiceId, itemId, onProgress, signal, inFlight: most, hashWorker }) {
  const t0 = performance.now();
  const total = streamLength(file.size);
  const start = await withRetry(() =>
    send("POST", "/uploads", { practice_id: practiceId, item_id: itemId, size: total }, undefined, { signal }),
  );
  const uploadId = start.upload_id;
  const worker = transferWorker();
  const hasher = hashWorker ? transferWorker() : null;
  const sending = new AbortController(); // the caller's cancel, or a part that failed
  const cancel = () => sending.abort(signal.reason);
  if (signal?.aborted) cancel();
  signal?.addEventListener("abort", cancel);
  let parts = null;
  const stop = () => {
    worker.terminate();
    hasher?.terminate();
    parts?.fail(sending.signal.reason ?? new DOMException("cancelled", "AbortError"));
  };
  sending.signal.addEventListener("abort", stop);
  const busy = new Busy();
  let offset = 0;
  let slotWaitMs = 0;
  let failure = null; // the first part's failure, rather than the cancels it caused
  const inFlight = [];
  try {
    const job = { op: "encrypt", file, partBytes: PART_BYTES, name: file.name, mediaType: file.type || "application/octet-stream" };
    parts = new WorkerParts(worker, job, undefined, hasher);
    let previous = Promise.resolve();
    for await (const part of parts) {
      if (inFlight.length >= most) {
        const t1 = performance.now();
        await inFlight.shift();
        slotWaitMs += performance.now() - t1;
      }
      const end = offset + part.size;
      busy.begin();
      const sent = sendPart(uploadId, offset, part, sending.signal, previous).finally(() => busy.end());
      // Acknowledged once this part and every part before it are: progress never goes back.
      const acknowledged = Promise.all([previous, sent]).then(() => onProgress(end / total));
      acknowledged.catch((error) => {
        failure ??= error;
        sending.abort(); // one part failed: stop the others and the worker
      });
      inFlight.push(acknowledged);
      previous = acknowledged;
      offset = end;
    }
    while (inFlight.length > 0) await inFlight.shift();
  } catch (error) {
    throw failure ?? error;
  } finally {
    signal?.removeEventListener("abort", cancel);
    stop();
    if (inFlight.length > 0) {
      sending.abort();
      await Promise.allSettled(inFlight); // nothing left on the wire when the caller hears
    }
  }
  if (offset !== total || parts.result === null) throw new Error("the upload is not complete");
  lastStats.upload = {
    ...parts.result.stats,
    networkMs: busy.ms,
    slotWaitMs,
    senderWaitMs: parts.waitMs,
    totalMs: performance.now() - t0,
    parts: Math.ceil(total / PART_BYTES),
    inFlight: most,
    hashWorker: hasher !== null,
  };
  return { uploadId, manifest: parts.result.manifest };
}
