// Opening a batch of envelopes (POST /inbox/envelopes or /inbox/search): each is verified
// with its author's registered key, checked against the server's record of it, and
// decrypted here with the practice key. An envelope that fails any check is reported as
// unreadable, never left blank; one whose signed kind or urgency differs from the server's
// record opens with a warning (the signed values are the ones shown).
import { fromBase64url, openItem, readUnverifiedHeader } from "../crypto/index.js";
import { postJson } from "./api.js";
import { differences, ID_FIELDS, signedRecord } from "./signedfields.js";

function claimed(item, practiceId) {
  return {
    kind: item.kind,
    urgency: item.urgency,
    authorId: String(item.author_id).toLowerCase(),
    itemId: String(item.item_id).toLowerCase(),
    practiceId: String(practiceId).toLowerCase(),
    callStartedAt:
      item.call_started_at === null || item.call_started_at === undefined
        ? null
        : Math.floor(Date.parse(item.call_started_at) / 1000),
    callSeconds: item.call_seconds ?? null,
  };
}

/**
 * One item of a batch answer, opened: `{ id, ok: true, signed, json, differs, author, at }`
 * or `{ id, ok: false, reason }` (reason "unverified" or "moved").
 */
export function openOne(item, answer, practiceSecretKey) {
  const id = String(item.item_id);
  const author = answer.authors[item.author_id];
  try {
    if (!author) return { id, ok: false, reason: "unverified" };
    const authorEd = fromBase64url(author.ed25519_pk);
    const envelope = fromBase64url(item.envelope);
    // The ids first (unverified: only to tell "moved" from "unverified"); openItem then
    // verifies the signature once and refuses any id other than the server's record's.
    const header = readUnverifiedHeader(envelope);
    const server = claimed(item, answer.practice_id);
    const moved = differences(signedRecord(header), server).filter((d) => ID_FIELDS.has(d.field));
    if (moved.length > 0) return { id, ok: false, reason: "moved" };
    const opened = openItem(envelope, {
      authorPublicKey: authorEd,
      practiceSecretKey,
      itemId: header.itemId,
      clientId: header.clientId,
      authorId: header.authorId,
    });
    const signed = signedRecord(opened.header);
    const differs = differences(signed, server).map((d) => d.field);
    return { id, ok: true, signed, json: opened.json, differs, author, at: item.deposited_at };
  } catch {
    return { id, ok: false, reason: "unverified" };
  }
}

/** Open every item of a batch answer, in its order. */
export function openBatch(answer, practiceSecretKey) {
  return answer.items.map((item) => openOne(item, answer, practiceSecretKey));
}

/** The envelopes of these rows, in one request (one `items.listed` entry, no status change). */
export function fetchListed(ids) {
  return postJson("/inbox/envelopes", { ids });
}

/** The next batch of the whole history, for the search index (one `items.searched` entry). */
export function fetchSearchBatch(after) {
  return postJson("/inbox/search", { after: after ?? null });
}
