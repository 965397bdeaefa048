// Requests and replies under a practice's team key (docs/format.md §10, §11), for the pages
// of this branch. The team key comes from app/team.js (teamKeyFor: the record verified with its
// creator's registered key, the creator a member with an unchanged pinned fingerprint, the
// record naming this practice, version and account, committing to the key; a member's browser
// makes version 1 or the next version when re-keying is due). Documents are verified with
// their author's registered key and opened with the version they name.
import {
  DocType,
  fromBase64url,
  NO_SUBJECT,
  openInstruction,
  readUnverifiedInstructionHeader,
  sealInstruction,
  toBase64url,
} from "../crypto/index.js";
import { getJson } from "./api.js";
import { loadKeys } from "./keystore.js";
import { forgetTeamKeys, TeamKeyError, teamKeyFor } from "./team.js";

export { TeamKeyError as NoTeamKey };

function unlocked() {
  const keys = loadKeys();
  if (!keys) throw new TeamKeyError({ fr: "Vos clés ne sont pas ouvertes dans cet onglet.", en: "Your keys are not open in this tab." });
  return keys;
}

async function keyOf(practiceId, version) {
  let team = await teamKeyFor(practiceId);
  let key = team.keyOf(version);
  if (!key) {
    team = await teamKeyFor(practiceId, { refresh: true });
    key = team.keyOf(version);
  }
  if (!key) throw new Error("no team key of this version for this account");
  return key;
}

/** The current team key version of the practice and its key, fresh before writing. */
export async function currentKey(practiceId) {
  const team = await teamKeyFor(practiceId, { refresh: true });
  if (team.current === null) throw new TeamKeyError({ fr: "Pas de clé d'équipe actuelle.", en: "No current team key." });
  return { version: team.current, key: team.keyOf(team.current) };
}

/** Forget what was fetched (after a 409 saying the key changed). */
export function forgetTeam() {
  forgetTeamKeys();
}

/**
 * Seal a new document of `type` (revision 1) under the current key, signed by this account:
 * `{ id, envelope }` (base64url), ready for the requests and replies routes.
 */
export async function sealNew(practiceId, type, body, subjectId = NO_SUBJECT) {
  const me = unlocked();
  const { version, key } = await currentKey(practiceId);
  const id = crypto.randomUUID();
  const envelope = sealInstruction(
    key,
    { type, documentId: id, clientId: practiceId, authorId: me.accountId, subjectId, version, revision: 1 },
    body,
    me.keys.ed25519Seed,
  );
  return { id, envelope: toBase64url(envelope) };
}

/**
 * Open a document as the server sent it (§10 shape): verified with its author's registered key,
 * decrypted with the version it names; `{ id, author: {id, name, role}, storedAt, json }` or,
 * when anything fails, `{ id, author, storedAt, failed: true }`.
 */
export async function openDocument(practiceId, doc, { type, subjectId } = {}) {
  const author = { id: doc.author.id, name: doc.author.name, role: doc.author.role };
  const base = { id: doc.document_id, author, storedAt: doc.stored_at };
  try {
    const envelope = fromBase64url(doc.envelope);
    const version = readUnverifiedInstructionHeader(envelope).version;
    if (type === DocType.REQUEST && author.role !== "member") throw new Error("members write requests");
    const opened = openInstruction(envelope, {
      teamKey: await keyOf(practiceId, version),
      authorPublicKey: fromBase64url(doc.author.ed25519_pk),
      clientId: practiceId,
      documentId: doc.document_id,
      authorId: doc.author.id,
      version,
      type,
      subjectId,
    });
    return { ...base, json: opened.json };
  } catch {
    return { ...base, failed: true };
  }
}

/** The practice's requests' texts: request id → opened document. */
export async function requestTexts(practiceId) {
  const answer = await getJson(`/practices/${practiceId}/documents?type=${DocType.REQUEST}`);
  const out = new Map();
  // The key first: a newcomer not given it yet is told so (app/team.js), not that each
  // request "could not be verified".
  if (answer.documents.length) await teamKeyFor(practiceId);
  for (const doc of answer.documents) {
    out.set(doc.document_id, await openDocument(practiceId, doc, { type: DocType.REQUEST, subjectId: NO_SUBJECT }));
  }
  return out;
}
