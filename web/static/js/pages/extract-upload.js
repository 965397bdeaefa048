// Extract upload: the file is encrypted chunk by chunk (docs/format.md §6) in a Worker and sent
// in parts of 8 MiB, one after the other, to a resumable upload. After a dropped connection the browser asks the
// server how many bytes it holds durably and resends from there. The server never sees
// plaintext, and neither side holds the whole file in memory.
import { streamLength } from "../crypto/index.js";
import { ApiError, send } from "../app/api.js";
import { lang, t } from "../app/form.js";
import { lastStats, sleep, transferWorker, warmTransferWorker, withRetry, WorkerParts } from "../app/transfer.js";

// The server's largest part (web/routes/items.py MAX_PART_BYTES): fewer round trips and fsyncs.
export const PART_BYTES = 8 * 1024 * 1024;
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

// One part (a Blob) at `offset`; after a network failure or a 409, asks the server what it
// holds durably and sends the rest of the part from there (idempotent by offset).
async function sendPart(uploadId, offset, part, signal) {
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
    const status = await withRetry(() => send("GET", `/uploads/${uploadId}`, undefined, undefined, { signal }));
    sent = status.received - offset;
    if (sent >= part.size) return;
    if (sent < 0) throw new Error("the upload went backwards");
  }
  throw new Error("the upload did not get through");
}

/**
 * Encrypt and upload `file`; returns `{ uploadId, manifest }` for the extract's envelope.
 * Reading, encryption and hashing run in a Worker, at most PARTS_AHEAD parts ahead of the
 * part on the network; parts go one at a time, in order, so resuming is unchanged. `signal`
 * cancels: the worker stops, nothing more is sent, and the upload stays incomplete (the
 * server refuses a deposit naming it).
 */
export async function uploadExtract(file, { practiceId, itemId, onProgress = () => {}, signal } = {}) {
  onProgress(0); // a new file starts from nothing, whatever the last one reached
  uploadStarted();
  try {
    return await encryptAndSend(file, { practiceId, itemId, onProgress, signal });
  } finally {
    uploadEnded();
    warmTransferWorker(); // for the next file
  }
}

// The page with the extract form starts a worker at once: its libsodium compiles while the
// secretary picks the file.
if (typeof document !== "undefined" && document.getElementById("extract-form")) warmTransferWorker();

async function encryptAndSend(file, { practiceId, itemId, onProgress, signal }) {
  const t0 = performance.now();
  const total = streamLength(file.size);
  const start = await withRetry(() =>
    send("POST", "/uploads", { practice_id: practiceId, item_id: itemId, size: total }, undefined, { signal }),
  );
  const uploadId = start.upload_id;
  const worker = transferWorker();
  const stop = () => worker.terminate();
  signal?.addEventListener("abort", stop);
  let offset = 0;
  let networkMs = 0;
  let parts;
  try {
    parts = new WorkerParts(worker, {
      op: "encrypt",
      file,
      partBytes: PART_BYTES,
      name: file.name,
      mediaType: file.type || "application/octet-stream",
    });
    for await (const part of parts) {
      const t1 = performance.now();
      await sendPart(uploadId, offset, part, signal);
      networkMs += performance.now() - t1;
      offset += part.size;
      onProgress(offset / total);
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    stop();
  }
  if (offset !== total || parts.result === null) throw new Error("the upload is not complete");
  lastStats.upload = {
    ...parts.result.stats,
    networkMs,
    senderWaitMs: parts.waitMs,
    totalMs: performance.now() - t0,
    parts: Math.ceil(total / PART_BYTES),
  };
  return { uploadId, manifest: parts.result.manifest };
}
