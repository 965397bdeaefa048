// Requests and replies under a practice's team key (docs/format.md §10, §11), for the pages
// of this branch: the team key is opened here from GET /practices/{pid}/team only when its
// record verifies with its creator's registered key, the creator is a member, and the record
// names this practice, version and account and commits to the key (openTeamKey); documents are
// verified with their author's registered key and opened with the version they name.
import {
  DocType,
  fromBase64url,
  NO_SUBJECT,
  openInstruction,
  openTeamKey,
  readUnverifiedInstructionHeader,
  sealInstruction,
  toBase64url,
} from "../crypto/index.js";
import { getJson } from "./api.js";
import { loadKeys } from "./keystore.js";

const teams = new Map(); // practice id → { state, keys: Map(version → key) }

export class NoTeamKey extends Error {}

function unlocked() {
  const keys = loadKeys();
  if (!keys) throw new NoTeamKey("keys not open in this tab");
  return keys;
}

async function team(practiceId, { fresh = false } = {}) {
  if (!fresh && teams.has(practiceId)) return teams.get(practiceId);
  const state = await getJson(`/practices/${practiceId}/team`);
  const entry = { state, keys: new Map() };
  teams.set(practiceId, entry);
  return entry;
}

async function keyOf(practiceId, version) {
  const entry = await team(practiceId);
  if (entry.keys.has(version)) return entry.keys.get(version);
  const found = (entry.state.versions || []).find((v) => v.version === version);
  if (!found || !found.grant || !found.creator || found.creator.role !== "member") {
    throw new NoTeamKey("no usable grant of this version");
  }
  const me = unlocked();
  const key = openTeamKey(fromBase64url(found.grant), {
    record: fromBase64url(found.record),
    signature: fromBase64url(found.signature),
    creatorPublicKey: fromBase64url(found.creator.ed25519_pk),
    creatorId: found.creator.id,
    clientId: practiceId,
    version,
    recipientId: me.accountId,
    recipientSecretKey: me.keys.x25519SecretKey,
  });
  entry.keys.set(version, key);
  return key;
}

/** The current team key version of the practice and its key (NoTeamKey when there is none). */
export async function currentKey(practiceId) {
  let entry = await team(practiceId);
  if (!Number.isInteger(entry.state.current_version)) entry = await team(practiceId, { fresh: true });
  const version = entry.state.current_version;
  if (!Number.isInteger(version)) throw new NoTeamKey("the practice has no team key yet");
  return { version, key: await keyOf(practiceId, version) };
}

/** Forget what was fetched (after a 409 saying the key changed). */
export function forgetTeam(practiceId) {
  teams.delete(practiceId);
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
  for (const doc of answer.documents) {
    out.set(doc.document_id, await openDocument(practiceId, doc, { type: DocType.REQUEST, subjectId: NO_SUBJECT }));
  }
  return out;
}
