// The practice's form templates document (type 0x06, docs/format.md §10) read and written
// under the team key (app/team.js): read by members and assigned secretaries, written by
// members. When a practice has several 0x06 documents (two members who created it at once),
// the one the server stored last is used, as for the other instructions.
//
// Exported:
//   loadTemplates(practiceId) → {doc, body, unreadable, rolledBack}: `doc` {documentId,
//        revision, author, storedAt} or null before the first template, `body` normalised
//        (template.js normaliseTemplates; {templates: []} when none)
//   saveTemplates(practiceId, doc, body) → the document id: `body` stored as the next
//        revision of `doc` (or as a new document), encrypted and signed in this browser
import { DocType } from "../../crypto/index.js";
import { readDocuments, writeDocument } from "../team.js";
import { normaliseTemplates } from "./template.js";

/** The practice's templates document, verified and decrypted, its body normalised. */
export async function loadTemplates(practiceId) {
  const all = await readDocuments(practiceId, { type: DocType.FORM_TEMPLATES });
  const docs = all.filter((d) => !d.failed);
  const newest = [...docs].sort((a, b) => String(a.storedAt ?? "").localeCompare(String(b.storedAt ?? ""))).pop();
  return {
    doc: newest ? { documentId: newest.documentId, revision: newest.revision, author: newest.author, storedAt: newest.storedAt } : null,
    body: normaliseTemplates(newest?.body ?? {}),
    unreadable: docs.length < all.length,
    rolledBack: docs.some((d) => d.rolledBack),
  };
}

/** Store `body` as the next revision of the templates document `doc` (or a new one). */
export async function saveTemplates(practiceId, doc, body) {
  const documentId = doc?.documentId ?? crypto.randomUUID();
  await writeDocument(practiceId, { type: DocType.FORM_TEMPLATES, documentId, body: normaliseTemplates(body) });
  return documentId;
}
