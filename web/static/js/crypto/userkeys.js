// A user's key pairs and their wrapping (docs/format.md §3).
//
// user_secrets = 0x01 || x25519_sk (32) || ed25519_seed (32)                       -- 65 bytes
// wrapped      = 0x01 || purpose || nonce (24) || AEAD_SEAL(wrap_key, nonce, user_secrets, ad)
// ad           = "permanence/v1/user-keys\0" || purpose || id16(user_id)
import { concatBytes, requireBytes, toBase64url, utf8Encode, uuidToBytes } from "./encoding.js";
import { DecryptionFailed, MalformedInput } from "./errors.js";
import { userFingerprint } from "./fingerprint.js";
import {
  aeadOpen,
  aeadSeal,
  checkVersion,
  NONCE_BYTES,
  rng,
  signSeedKeypair,
  VERSION,
  x25519PublicKey,
} from "./primitives.js";

export const SECRETS_BYTES = 65;
export const WRAPPED_BYTES = 1 + 1 + NONCE_BYTES + SECRETS_BYTES + 16; // 107
/** Which key wraps the user's secrets: the password's kek or the recovery key. */
export const WrapPurpose = Object.freeze({ PASSWORD: 0x01, RECOVERY: 0x02 });
const AD_LABEL = utf8Encode("permanence/v1/user-keys\0");

/**
 * A user's keys from the two 32-byte secrets: `{ x25519SecretKey, x25519PublicKey,
 * ed25519Seed, ed25519PublicKey, ed25519SecretKey (64), fingerprint }`.
 */
export function userKeysFromSecrets(x25519SecretKey, ed25519Seed) {
  requireBytes("X25519 secret key", x25519SecretKey, 32);
  const signing = signSeedKeypair(ed25519Seed);
  const pk = x25519PublicKey(x25519SecretKey);
  return Object.freeze({
    x25519SecretKey,
    x25519PublicKey: pk,
    ed25519Seed,
    ed25519PublicKey: signing.publicKey,
    ed25519SecretKey: signing.privateKey,
    fingerprint: userFingerprint(pk, signing.publicKey),
  });
}

/** Fresh key pairs for enrolment (X25519 secret first, then Ed25519 seed, as Python draws them). */
export function generateUserKeys({ randomBytes } = {}) {
  const draw = rng(randomBytes);
  const x25519SecretKey = draw(32);
  return userKeysFromSecrets(x25519SecretKey, draw(32));
}

/** The public half as the server stores it: `{ x25519, ed25519 }` in base64url. */
export function publicKeysJson(keys) {
  return { x25519: toBase64url(keys.x25519PublicKey), ed25519: toBase64url(keys.ed25519PublicKey) };
}

function ad(purpose, userId) {
  return concatBytes(AD_LABEL, Uint8Array.of(purpose), uuidToBytes(userId));
}

function checkPurpose(purpose) {
  if (purpose !== WrapPurpose.PASSWORD && purpose !== WrapPurpose.RECOVERY) {
    throw new MalformedInput("purpose is WrapPurpose.PASSWORD or WrapPurpose.RECOVERY");
  }
}

/** Wrap the user's secrets under `wrapKey` (kek or recovery key) for `userId`: 107 bytes. */
export function wrapUserKeys(keys, wrapKey, purpose, userId, { randomBytes } = {}) {
  checkPurpose(purpose);
  const secrets = concatBytes(Uint8Array.of(VERSION), keys.x25519SecretKey, keys.ed25519Seed);
  const nonce = rng(randomBytes)(NONCE_BYTES);
  const sealed = aeadSeal(wrapKey, nonce, secrets, ad(purpose, userId));
  return concatBytes(Uint8Array.of(VERSION, purpose), nonce, sealed);
}

/** Open a wrapped blob of `userId`; any mismatch (length, purpose, key, id) is DecryptionFailed. */
export function unwrapUserKeys(wrapped, wrapKey, purpose, userId) {
  checkPurpose(purpose);
  checkVersion(wrapped);
  if (wrapped.length !== WRAPPED_BYTES || wrapped[1] !== purpose) throw new DecryptionFailed();
  const plain = aeadOpen(
    wrapKey,
    wrapped.subarray(2, 26),
    wrapped.subarray(26),
    ad(purpose, userId),
  );
  // Authenticated, so written by a v1 writer: another inner version is a corrupt blob.
  if (plain[0] !== VERSION) throw new DecryptionFailed();
  return userKeysFromSecrets(plain.slice(1, 33), plain.slice(33, 65));
}
