// Team keys: a practice's key for instructions to its secretaries (docs/format.md §10).
//
// commit     = H(32, "permanence/v1/team-key-commit\0" || team_key)
// record     = 0x01 || id16(client_id) || version (u32) || id16(creator_id) || created_at (u64)
//              || commit (32) || count (u16) || id16(recipient_1) || … (sorted, no repetition)
// record_sig = SIGN(creator_ed25519_sk, "permanence/v1/team-key\0" || record)
import { bytesToUuid, concatBytes, requireBytes, utf8Encode, uuidToBytes } from "./encoding.js";
import { DecryptionFailed, MalformedInput } from "./errors.js";
import { GrantKind, openGrant } from "./grants.js";
import {
  checkVersion,
  equalBytes,
  generichash,
  signDetached,
  VERSION,
  verifyDetached,
} from "./primitives.js";

export const RECORD_HEAD_BYTES = 79;
const COMMIT_LABEL = utf8Encode("permanence/v1/team-key-commit\0");
const SIGNATURE_LABEL = utf8Encode("permanence/v1/team-key\0");
const MAX_U32 = 2 ** 32 - 1;

/** The 32-byte commitment to a team key written in its record. */
export function teamKeyCommit(key) {
  requireBytes("team key", key, 32);
  return generichash(32, concatBytes(COMMIT_LABEL, key));
}

function compareBytes(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Recipient ids as sorted, distinct 16-byte arrays. */
function sortedRecipients(recipients) {
  const seen = new Map();
  for (const id of recipients) seen.set(bytesToUuid(uuidToBytes(id)), uuidToBytes(id));
  return [...seen.values()].sort(compareBytes);
}

/**
 * The record bytes of `{ clientId, version, creatorId, createdAt (Unix seconds), commit (32
 * bytes), recipients (ids, any order: written sorted by their bytes, without repetition) }`.
 */
export function encodeTeamKeyRecord({ clientId, version, creatorId, createdAt, commit, recipients }) {
  if (!Number.isInteger(version) || version < 1 || version > MAX_U32) {
    throw new MalformedInput("a team key version is 1..2^32-1");
  }
  if (!Number.isSafeInteger(createdAt) || createdAt < 0) {
    throw new MalformedInput("a team key's creation time is 0..2^53-1 seconds");
  }
  requireBytes("team key commit", commit, 32);
  const ids = sortedRecipients(recipients);
  if (ids.length < 1 || ids.length > 0xffff) {
    throw new MalformedInput("a team key has 1..65535 recipients");
  }
  const numbers = new Uint8Array(12);
  const view = new DataView(numbers.buffer);
  view.setUint32(0, version);
  view.setBigUint64(4, BigInt(createdAt));
  const count = new Uint8Array(2);
  new DataView(count.buffer).setUint16(0, ids.length);
  return concatBytes(
    Uint8Array.of(VERSION),
    uuidToBytes(clientId),
    numbers.subarray(0, 4),
    uuidToBytes(creatorId),
    numbers.subarray(4),
    commit,
    count,
    ...ids,
  );
}

/**
 * Parse record bytes: UnsupportedVersion for an unknown version byte, else any anomaly (length,
 * count, recipients out of order or repeated, version 0, a time past 2^53 - 1) is
 * DecryptionFailed. Returns `{ clientId, version, creatorId, createdAt, commit, recipients }`.
 */
export function decodeTeamKeyRecord(bytes) {
  checkVersion(bytes);
  if (bytes.length < RECORD_HEAD_BYTES) throw new DecryptionFailed();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const count = view.getUint16(77);
  if (count === 0 || bytes.length !== RECORD_HEAD_BYTES + 16 * count) throw new DecryptionFailed();
  const raw = [];
  for (let i = 0; i < count; i++) {
    raw.push(bytes.subarray(RECORD_HEAD_BYTES + 16 * i, RECORD_HEAD_BYTES + 16 * (i + 1)));
    if (i > 0 && compareBytes(raw[i - 1], raw[i]) >= 0) throw new DecryptionFailed();
  }
  const version = view.getUint32(17);
  const createdAt = view.getBigUint64(37);
  if (version === 0 || createdAt > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecryptionFailed();
  return Object.freeze({
    clientId: bytesToUuid(bytes.subarray(1, 17)),
    version,
    creatorId: bytesToUuid(bytes.subarray(21, 37)),
    createdAt: Number(createdAt),
    commit: bytes.slice(45, 77),
    recipients: Object.freeze(raw.map(bytesToUuid)),
  });
}

/** The creator's 64-byte signature of a record (its bytes, or the fields encodeTeamKeyRecord takes). */
export function signTeamKeyRecord(record, creatorSeed) {
  const bytes = record instanceof Uint8Array ? record : encodeTeamKeyRecord(record);
  requireBytes("creator Ed25519 seed", creatorSeed, 32);
  return signDetached(concatBytes(SIGNATURE_LABEL, bytes), creatorSeed);
}

/**
 * Check the signature of record bytes with the creator's Ed25519 public key and parse them.
 * UnsupportedVersion for an unknown version byte; a bad signature or record is DecryptionFailed.
 */
export function verifyTeamKeyRecord(recordBytes, signature, creatorPublicKey) {
  checkVersion(recordBytes);
  if (!verifyDetached(signature, concatBytes(SIGNATURE_LABEL, recordBytes), creatorPublicKey)) {
    throw new DecryptionFailed();
  }
  return decodeTeamKeyRecord(recordBytes);
}

/**
 * Open one's team-key grant of `version` and return the key only if its record allows it: the
 * record verifies with `creatorPublicKey` (that of `creatorId`, whom the caller knows to be a
 * member), names `clientId` and `version`, commits to the opened key and lists `recipientId`.
 * Anything else is DecryptionFailed.
 */
export function openTeamKey(
  grant,
  { record, signature, creatorPublicKey, creatorId, clientId, version, recipientId, recipientSecretKey },
) {
  const checked = verifyTeamKeyRecord(record, signature, creatorPublicKey);
  const key = openGrant(grant, GrantKind.TEAM_KEY, clientId, recipientSecretKey);
  const me = bytesToUuid(uuidToBytes(recipientId));
  if (
    checked.clientId !== bytesToUuid(uuidToBytes(clientId)) ||
    checked.version !== version ||
    checked.creatorId !== bytesToUuid(uuidToBytes(creatorId)) ||
    !checked.recipients.includes(me) ||
    !equalBytes(checked.commit, teamKeyCommit(key))
  ) {
    throw new DecryptionFailed();
  }
  return key;
}
