// A practice's team key and team documents in the browser (docs/format.md §10).
//
//   const team = await teamKeyFor(practiceId);            // verified, opened, cached
//   const docs = await readDocuments(practiceId, { type: DocType.ON_CALL });
//   await writeDocument(practiceId, { type, documentId, subjectId, body });
//
// teamKeyFor fetches the team state, and for a member makes version 1, the next version when
// re-keying is due (a random key sealed to the remaining members and assigned secretaries,
// the record signed, every current revision re-encrypted) or a record adding newcomers. It
// uses a key only if its record verifies with the creator's key, the creator is a member
// (whose fingerprint matches any pinned for them), the record names this practice and
// version, commits to the key and lists this account. Anything else is DecryptionFailed.
import {
  DecryptionFailed,
  decodeTeamKeyRecord,
  encodeTeamKeyRecord,
  fromBase64url,
  GrantKind,
  newTeamKey,
  openInstruction,
  openTeamKey,
  readUnverifiedInstructionHeader,
  sealGrant,
  sealInstruction,
  secretariesMayWrite,
  signTeamKeyRecord,
  teamKeyCommit,
  toBase64url,
  userFingerprint,
} from "../crypto/index.js";
import { ApiError, getJson, postJson, send } from "./api.js";
import { accountSubject, checkPin } from "./fingerprints.js";
import { loadKeys } from "./keystore.js";

/** A refusal of the team's keys in one sentence (the caller shows it with t()). */
export class TeamKeyError extends Error {
  constructor(sentences) {
    super(sentences.en);
    this.name = "TeamKeyError";
    this.sentences = sentences;
  }
}

const NO_KEY = Object.freeze({
  fr: "Le cabinet n'a pas encore de clé d'équipe\u00a0: un membre doit d'abord écrire ses consignes.",
  en: "The practice has no team key yet: a member must write its instructions first.",
});
// A newcomer (secretary just assigned, member just granted): the key exists but was not
// sealed to them yet; a member's next page load adds them (addNewcomers).
const WAITING = Object.freeze({
  fr: "Vous n'avez pas encore la clé d'équipe de ce cabinet : en attente qu'un membre du cabinet ouvre Permanence, qui vous la donnera alors.",
  en: "You do not have this practice's team key yet: waiting for a member of the practice to open Permanence, which will then give it to you.",
});
const CHANGED_KEYS = Object.freeze({
  fr: "L'empreinte d'un membre de l'équipe a changé\u00a0: vérifiez-la avant de continuer.",
  en: "The fingerprint of someone in the team changed: check it before going on.",
});
const NOT_UNLOCKED = Object.freeze({
  fr: "Vos clés ne sont pas déverrouillées dans cet onglet\u00a0: reconnectez-vous.",
  en: "Your keys are not unlocked in this tab: please sign in again.",
});

const cache = new Map(); // practice id -> { current, keys: Map(version -> key) }
const ROLLBACK = "permanence.team.revisions";

function defaults(options = {}) {
  return {
    api: options.api ?? {
      get: getJson,
      post: postJson,
      put: (url, data) => send("PUT", url, data),
    },
    me: options.me ?? loadKeys(),
    pin: options.pin ?? checkPin,
    now: options.now ?? (() => Math.floor(Date.now() / 1000)),
    storage: options.storage ?? globalThis.sessionStorage,
  };
}

function base(practiceId) {
  return `/practices/${encodeURIComponent(practiceId)}`;
}

function isMemberOf(me, practiceId) {
  return Boolean(me.practice && me.practice.id === practiceId);
}

/** Refuse an account whose keys differ from what this browser pinned for it. */
function checkAccount(pin, account) {
  const fingerprint = userFingerprint(fromBase64url(account.x25519_pk), fromBase64url(account.ed25519_pk));
  const seen = pin(accountSubject(account.id), fingerprint, { name: account.name, username: "" });
  if (seen.state === "changed") throw new TeamKeyError(CHANGED_KEYS);
}

function openVersion(v, practiceId, me, pin) {
  if (!v.grant || v.creator.role !== "member") throw new DecryptionFailed();
  checkAccount(pin, v.creator);
  return openTeamKey(fromBase64url(v.grant), {
    record: fromBase64url(v.record),
    signature: fromBase64url(v.signature),
    creatorPublicKey: fromBase64url(v.creator.ed25519_pk),
    creatorId: v.creator.id,
    clientId: practiceId,
    version: v.version,
    recipientId: me.accountId,
    recipientSecretKey: me.keys.x25519SecretKey,
  });
}

/** Every version this account can open: Map(version -> key). Versions it holds no grant of
 *  (made before it joined, or after it left) are skipped. */
function openAll(state, practiceId, me, pin) {
  const keys = new Map();
  for (const v of state.versions) {
    if (v.grant) keys.set(v.version, openVersion(v, practiceId, me, pin));
  }
  return keys;
}

function recordFor(practiceId, version, me, key, recipients, now) {
  const record = encodeTeamKeyRecord({
    clientId: practiceId,
    version,
    creatorId: me.accountId,
    createdAt: now(),
    commit: teamKeyCommit(key),
    recipients: recipients.map((r) => r.id),
  });
  return { record, signature: signTeamKeyRecord(record, me.keys.ed25519Seed) };
}

function grantsFor(practiceId, key, recipients, pin) {
  const grants = {};
  for (const r of recipients) {
    checkAccount(pin, r);
    grants[r.id] = toBase64url(sealGrant(GrantKind.TEAM_KEY, practiceId, key, fromBase64url(r.x25519_pk)));
  }
  return grants;
}

/** Open one listed document: signature with its author's key, ids, role for its type, the
 *  AEAD under the version its header names. Returns the opened document or throws. */
function openListed(d, practiceId, keys) {
  const envelope = fromBase64url(d.envelope);
  const unverified = readUnverifiedInstructionHeader(envelope);
  const key = keys.get(unverified.version);
  if (!key) throw new DecryptionFailed();
  if (d.author.role !== "member" && !secretariesMayWrite(unverified.type)) throw new DecryptionFailed();
  const { header, json } = openInstruction(envelope, {
    teamKey: key,
    authorPublicKey: fromBase64url(d.author.ed25519_pk),
    clientId: practiceId,
    documentId: d.document_id,
    authorId: d.author.id,
    version: unverified.version,
    type: d.type,
  });
  return { header, body: json };
}

async function makeVersion(practiceId, state, keys, o) {
  const version = (state.current_version ?? 0) + 1;
  const key = newTeamKey();
  const documents = [];
  if (state.current_version !== null) {
    const { documents: current } = await o.api.get(`${base(practiceId)}/documents`);
    for (const d of current) {
      const { header, body } = openListed(d, practiceId, keys);
      const envelope = sealInstruction(
        key,
        { ...header, version, revision: header.revision + 1, authorId: o.me.accountId },
        body,
        o.me.keys.ed25519Seed,
      );
      documents.push({ document_id: d.document_id, envelope: toBase64url(envelope) });
    }
  }
  const { record, signature } = recordFor(practiceId, version, o.me, key, state.recipients, o.now);
  await o.api.post(`${base(practiceId)}/team/versions`, {
    version,
    record: toBase64url(record),
    signature: toBase64url(signature),
    grants: grantsFor(practiceId, key, state.recipients, o.pin),
    documents,
  });
}

async function addRecipients(practiceId, state, keys, o) {
  const version = state.current_version;
  const key = keys.get(version);
  const newest = state.versions.find((v) => v.version === version);
  if (!key || !newest) throw new DecryptionFailed();
  // The newcomers are added to the record; nobody who holds the key is dropped from it.
  const held = decodeTeamKeyRecord(fromBase64url(newest.record)).recipients;
  const ids = new Set(state.recipients.map((r) => r.id));
  if (!held.every((id) => ids.has(id))) throw new DecryptionFailed();
  const { record, signature } = recordFor(practiceId, version, o.me, key, state.recipients, o.now);
  const missing = state.recipients.filter((r) => state.missing.includes(r.id));
  await o.api.post(`${base(practiceId)}/team/recipients`, {
    version,
    record: toBase64url(record),
    signature: toBase64url(signature),
    grants: grantsFor(practiceId, key, missing, o.pin),
  });
}

/**
 * The team key of `practiceId` for this account: `{ current, keyOf(version) }`. A member makes
 * version 1, the next version when re-keying is due, or a record for newcomers, first.
 */
export async function teamKeyFor(practiceId, options = {}) {
  const o = defaults(options);
  if (!o.me) throw new TeamKeyError(NOT_UNLOCKED);
  const cached = cache.get(practiceId);
  if (cached && !options.refresh) return cached.team;
  let state = await o.api.get(`${base(practiceId)}/team`);
  const member = isMemberOf(o.me, practiceId);
  if (member) {
    const keys = openAll(state, practiceId, o.me, o.pin);
    if (state.current_version === null || state.rekey_due) {
      await makeVersion(practiceId, state, keys, o);
      state = await o.api.get(`${base(practiceId)}/team`);
    } else if (state.missing.length > 0) {
      await addRecipients(practiceId, state, keys, o);
      state = await o.api.get(`${base(practiceId)}/team`);
    }
  }
  if (state.current_version === null) throw new TeamKeyError(NO_KEY);
  const keys = openAll(state, practiceId, o.me, o.pin);
  // Not sealed to this account yet: nothing current reads, so say so rather than "nothing".
  if (!keys.has(state.current_version)) throw new TeamKeyError(WAITING);
  const team = Object.freeze({
    practiceId,
    current: state.current_version,
    rekeyDue: state.rekey_due,
    keyOf: (version) => keys.get(version) ?? null,
  });
  cache.set(practiceId, { team });
  return team;
}

/**
 * A member's page adds the pending newcomers (new members, newly assigned secretaries) to the
 * team key in the background: one GET of the team state, and the record and grants only when
 * the server reports some (`missing`), or the next version when re-keying is due anyway.
 * Returns true when someone was added. Nothing for a practice without a team key yet.
 */
export async function addNewcomers(practiceId, options = {}) {
  const o = defaults(options);
  if (!o.me || !isMemberOf(o.me, practiceId)) return false;
  const state = await o.api.get(`${base(practiceId)}/team`);
  if (state.current_version === null || !(state.missing?.length > 0)) return false;
  const keys = openAll(state, practiceId, o.me, o.pin);
  if (state.rekey_due) await makeVersion(practiceId, state, keys, o);
  else await addRecipients(practiceId, state, keys, o);
  cache.delete(practiceId);
  return true;
}

/** Forget the cached team keys (sign-out, or a 409 telling that the key changed). */
export function forgetTeamKeys() {
  cache.clear();
}

function rememberRevision(storage, documentId, revision) {
  if (!storage) return false;
  let seen = {};
  try {
    seen = JSON.parse(storage.getItem(ROLLBACK) || "{}") ?? {};
  } catch {
    seen = {};
  }
  const before = seen[documentId] ?? 0;
  if (revision > before) {
    seen[documentId] = revision;
    storage.setItem(ROLLBACK, JSON.stringify(seen));
  }
  return revision < before;
}

/**
 * The latest revision of each matching document, decrypted: [{ documentId, type, subjectId,
 * revision, version, body, author: { id, name, role }, storedAt, rolledBack }] — or, for one
 * that does not open, { documentId, failed: true }. `author` is the signed author (the
 * header's id, with the name the server gives for that id); `rolledBack` is true when this
 * browser saw a higher revision of the document before (a rollback to older instructions).
 */
export async function readDocuments(practiceId, { type, subject } = {}, options = {}) {
  const o = defaults(options);
  const team = await teamKeyFor(practiceId, options);
  const query = new URLSearchParams();
  if (type !== undefined) query.set("type", String(type));
  if (subject !== undefined) query.set("subject", subject);
  const suffix = query.toString() ? `?${query}` : "";
  const { documents } = await o.api.get(`${base(practiceId)}/documents${suffix}`);
  const keys = { get: (v) => team.keyOf(v) };
  return documents.map((d) => {
    try {
      const { header, body } = openListed(d, practiceId, keys);
      return Object.freeze({
        documentId: header.documentId,
        type: header.type,
        subjectId: header.subjectId,
        revision: header.revision,
        version: header.version,
        body,
        author: Object.freeze({ id: header.authorId, name: d.author.name, role: d.author.role }),
        storedAt: d.stored_at,
        rolledBack: rememberRevision(o.storage, header.documentId, header.revision),
      });
    } catch (error) {
      if (error instanceof TeamKeyError) throw error;
      return Object.freeze({ documentId: d.document_id, failed: true });
    }
  });
}

/**
 * Write the next revision of a document (a new one when `documentId` is absent or unknown)
 * under the current team key. Returns { documentId, revision, storedAt }.
 */
export async function writeDocument(practiceId, { type, documentId, subjectId, body }, options = {}) {
  const o = defaults(options);
  // Fresh state before writing: re-keying may have become due (§10, "before writing").
  const team = await teamKeyFor(practiceId, { ...options, refresh: true });
  if (team.current === null) throw new TeamKeyError(NO_KEY);
  const id = documentId ?? crypto.randomUUID();
  let revision = 1;
  if (documentId) {
    try {
      const { document } = await o.api.get(`${base(practiceId)}/documents/${encodeURIComponent(id)}`);
      revision = document.revision + 1;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  }
  const envelope = sealInstruction(
    team.keyOf(team.current),
    { type, documentId: id, clientId: practiceId, authorId: o.me.accountId, subjectId, version: team.current, revision },
    body,
    o.me.keys.ed25519Seed,
  );
  const answer = await o.api.put(`${base(practiceId)}/documents/${encodeURIComponent(id)}`, {
    envelope: toBase64url(envelope),
  });
  rememberRevision(o.storage, id, answer.revision);
  return Object.freeze({ documentId: id, revision: answer.revision, storedAt: answer.stored_at });
}
