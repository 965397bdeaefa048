// Reading and writing a practice's instructions through the team key (app/team.js, branch
// team-key): one document per instruction type, the newest when a practice has several
// (two members who created the same type at once). Bodies are normalised (app/instructions.js)
// before anything reads them. A document's history shows who wrote each revision from the
// signed header, verified here with the author's registered key; "when" is the time the
// server stored it (the envelope carries no time).
import { fromBase64url, userFingerprint, verifyInstruction } from "../crypto/index.js";
import { ApiError, getJson } from "./api.js";
import { lang, t } from "./form.js";
import { INSTRUCTION_TYPES, normalise } from "./instructions.js";
import { pageZone, shortTime } from "./localdates.js";
import { readDocuments, teamKeyFor, writeDocument } from "./team.js";

/** When the server stored a revision, in the short form and the practice's zone. */
export function when(storedAt) {
  if (!storedAt) return "";
  return shortTime(storedAt, pageZone(), lang());
}

function authorName(author) {
  if (!author) return "?";
  return author.username ? `${author.name} (${author.username})` : String(author.name ?? author.id ?? "?");
}

/** One decrypted document as the pages use it. */
function shaped(type, doc) {
  return {
    type,
    documentId: doc.documentId ?? doc.document_id ?? doc.header?.documentId,
    revision: doc.revision ?? doc.header?.revision ?? 0,
    author: doc.author ?? null,
    storedAt: doc.storedAt ?? doc.stored_at ?? null,
    body: normalise(type, doc.body),
  };
}

/** "Revision 3, by Dr Martin (dr.martin), on 1 Dec 2026, 7:15 pm (signature verified)." */
export function signedBy(doc) {
  if (!doc) return "";
  const at = when(doc.storedAt);
  return t({
    fr: `Version ${doc.revision}, écrite par ${authorName(doc.author)}${at ? `, le ${at}` : ""} (signature vérifiée).`,
    en: `Revision ${doc.revision}, written by ${authorName(doc.author)}${at ? `, on ${at}` : ""} (signature verified).`,
  });
}

/** { [type]: document | null } for every instruction type of the practice, and
 *  `unreadable` / `rolledBack` when some document did not open or was rolled back. */
export async function loadInstructions(practiceId) {
  const out = { unreadable: false, rolledBack: false };
  // The key first, once: a member's first visit makes version 1, which parallel reads would
  // each try to make.
  await teamKeyFor(practiceId);
  await Promise.all(
    INSTRUCTION_TYPES.map(async (type) => {
      const all = await readDocuments(practiceId, { type });
      // A document that does not open is not used (and said so); one served at a lower
      // revision than this browser saw before is a rollback: used, with a warning.
      const docs = all.filter((d) => !d.failed);
      if (docs.length < all.length) out.unreadable = true;
      if (docs.some((d) => d.rolledBack)) out.rolledBack = true;
      const newest = [...docs].sort((a, b) => String(a.storedAt ?? a.stored_at ?? "").localeCompare(String(b.storedAt ?? b.stored_at ?? ""))).pop();
      out[type] = newest ? shaped(type, newest) : null;
    }),
  );
  return out;
}

/** Store `body` as the next revision of `doc` (or a new document of `type`). */
export async function saveInstruction(practiceId, type, doc, body) {
  const documentId = doc?.documentId ?? crypto.randomUUID();
  await writeDocument(practiceId, { type, documentId, body });
  return documentId;
}

/** Every revision of a document, oldest first: { revision, author, storedAt, fingerprint },
 *  each author checked from the signed header with the author's registered key. */
export async function documentHistory(practiceId, documentId) {
  const answer = await getJson(`/practices/${practiceId}/documents/${documentId}?history=1`);
  const out = [];
  for (const doc of answer.revisions ?? [answer.document]) {
    const key = fromBase64url(doc.author.ed25519_pk);
    let header;
    try {
      header = verifyInstruction(fromBase64url(doc.envelope), key);
    } catch {
      header = null;
    }
    const matches =
      header !== null &&
      String(header.authorId).toLowerCase() === String(doc.author.id).toLowerCase() &&
      String(header.documentId).toLowerCase() === String(documentId).toLowerCase();
    out.push({
      revision: matches ? header.revision : doc.revision,
      verified: matches,
      author: doc.author,
      fingerprint: userFingerprint(fromBase64url(doc.author.x25519_pk), key),
      storedAt: doc.stored_at,
      line: matches
        ? signedBy({ revision: header.revision, author: doc.author, storedAt: doc.stored_at })
        : t({ fr: `Version ${doc.revision}\u00a0: signature invalide.`, en: `Revision ${doc.revision}: invalid signature.` }),
    });
  }
  return out;
}

/** The sentence of a failure to read or write instructions. */
export function failureText(error) {
  if (error && error.sentences) return t(error.sentences); // TeamKeyError (app/team.js)
  if (error instanceof ApiError) return error.message;
  return t({
    fr: "Les consignes n'ont pas pu être vérifiées ni déchiffrées. Rechargez la page.",
    en: "The instructions could not be verified or decrypted. Reload the page.",
  });
}

/** The warning for documents that did not open or were rolled back, or "". */
export function warningText(instructions) {
  const parts = [];
  if (instructions.unreadable) {
    parts.push(t({
      fr: "Une partie des consignes n'a pas pu être vérifiée ni déchiffrée et n'est pas affichée.",
      en: "Part of the instructions could not be verified or decrypted and is not shown.",
    }));
  }
  if (instructions.rolledBack) {
    parts.push(t({
      fr: "Attention : le serveur présente une version plus ancienne de consignes déjà lues dans ce navigateur.",
      en: "Warning: the server shows an older version of instructions this browser already read.",
    }));
  }
  return parts.join(" ");
}
