// Key grants (docs/format.md §4): a practice's secret key or team key sealed to one person.
//
// grant_plain = 0x01 || kind || id16(client_id) || key (32)      -- 50 bytes
// grant       = 0x01 || SEAL(grant_plain, recipient_x25519_pk)   -- 99 bytes
import { concatBytes, requireBytes, uuidToBytes } from "./encoding.js";
import { DecryptionFailed, MalformedInput } from "./errors.js";
import { practiceFingerprint } from "./fingerprint.js";
import {
  boxSeal,
  boxSealOpen,
  checkVersion,
  equalBytes,
  rng,
  SEAL_OVERHEAD,
  VERSION,
  x25519PublicKey,
} from "./primitives.js";

export const GRANT_BYTES = 1 + 50 + SEAL_OVERHEAD; // 99
/** What a grant carries. */
export const GrantKind = Object.freeze({ PRACTICE_SECRET_KEY: 0x01, TEAM_KEY: 0x02 });

function checkKind(kind) {
  if (kind !== GrantKind.PRACTICE_SECRET_KEY && kind !== GrantKind.TEAM_KEY) {
    throw new MalformedInput("kind is GrantKind.PRACTICE_SECRET_KEY or GrantKind.TEAM_KEY");
  }
}

/** A new practice key pair: `{ secretKey, publicKey, fingerprint }`. */
export function generatePracticeKeys({ randomBytes } = {}) {
  return practiceKeysFromSecret(rng(randomBytes)(32));
}

/** The practice key pair of a 32-byte X25519 secret key. */
export function practiceKeysFromSecret(secretKey) {
  const publicKey = x25519PublicKey(secretKey);
  return Object.freeze({ secretKey, publicKey, fingerprint: practiceFingerprint(publicKey) });
}

/** A fresh 32-byte team key. */
export function newTeamKey({ randomBytes } = {}) {
  return rng(randomBytes)(32);
}

/**
 * Seal `key` (a practice secret key or team key of `clientId`) to one recipient's X25519
 * public key. `randomBytes` fixes the sealed box's ephemeral key (test vectors only).
 */
export function sealGrant(kind, clientId, key, recipientPublicKey, { randomBytes = null } = {}) {
  checkKind(kind);
  requireBytes("granted key", key, 32);
  const plain = concatBytes(Uint8Array.of(VERSION, kind), uuidToBytes(clientId), key);
  return concatBytes(Uint8Array.of(VERSION), boxSeal(plain, recipientPublicKey, randomBytes));
}

/**
 * Open a grant with the recipient's X25519 secret key; return the 32-byte key. The kind and
 * client id must be those the caller expects, else DecryptionFailed.
 */
export function openGrant(grant, kind, clientId, recipientSecretKey) {
  checkKind(kind);
  checkVersion(grant);
  if (grant.length !== GRANT_BYTES) throw new DecryptionFailed();
  const plain = boxSealOpen(grant.subarray(1), recipientSecretKey);
  const expected = concatBytes(Uint8Array.of(VERSION, kind), uuidToBytes(clientId));
  if (!equalBytes(plain.subarray(0, 18), expected)) throw new DecryptionFailed();
  return plain.slice(18);
}
