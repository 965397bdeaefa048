// Extract upload: the file is encrypted here chunk by chunk (docs/format.md §6) and sent in
// parts of 4 MiB to a resumable upload. After a dropped connection the browser asks the
// server how many bytes it holds durably and resends from there. The server never sees
// plaintext, and neither side holds the whole file in memory.
import { concatBytes, FileEncryptor, streamLength } from "../crypto/index.js";
import { ApiError, send } from "../app/api.js";
import { lang, t } from "../app/form.js";
import { sleep, withRetry } from "../app/transfer.js";

export const PART_BYTES = 4 * 1024 * 1024;
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

async function sendPart(uploadId, offset, part) {
  let sent = 0;
  for (let attempt = 0; attempt < 10; attempt += 1) {
    try {
      const answer = await send(
        "PUT",
        `/uploads/${uploadId}/${offset + sent}`,
        part.subarray(sent),
        "application/octet-stream",
      );
      if (answer.received === offset + part.length) return;
    } catch (error) {
      if (error instanceof ApiError && error.status !== 409) throw error;
      await sleep(Math.min(250 * 2 ** attempt, 8000));
    }
    const status = await withRetry(() => send("GET", `/uploads/${uploadId}`));
    sent = status.received - offset;
    if (sent >= part.length) return;
    if (sent < 0) throw new Error("the upload went backwards");
  }
  throw new Error("the upload did not get through");
}

/** Encrypt and upload `file`; returns `{ uploadId, manifest }` for the extract's envelope. */
export async function uploadExtract(file, { practiceId, itemId, onProgress = () => {} }) {
  onProgress(0); // a new file starts from nothing, whatever the last one reached
  uploadStarted();
  try {
    return await encryptAndSend(file, { practiceId, itemId, onProgress });
  } finally {
    uploadEnded();
  }
}

async function encryptAndSend(file, { practiceId, itemId, onProgress }) {
  const total = streamLength(file.size);
  const start = await withRetry(() =>
    send("POST", "/uploads", { practice_id: practiceId, item_id: itemId, size: total }),
  );
  const uploadId = start.upload_id;
  const encryptor = new FileEncryptor();
  let pending = [];
  let pendingBytes = 0;
  let offset = 0;
  const flush = async () => {
    const part = concatBytes(...pending);
    pending = [];
    pendingBytes = 0;
    await sendPart(uploadId, offset, part);
    offset += part.length;
    onProgress(offset / total);
  };
  for await (const piece of encryptor.encrypt(file)) {
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes >= PART_BYTES) await flush();
  }
  if (pendingBytes > 0) await flush();
  const manifest = encryptor.manifest({
    name: file.name,
    mediaType: file.type || "application/octet-stream",
  });
  return { uploadId, manifest };
}
