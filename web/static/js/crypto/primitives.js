// Thin layer over libsodium.js for the primitives of format v1 (docs/format.md §1).
//
// Every opening failure becomes DecryptionFailed (one message, no hint of which check failed).
// Sealed boxes take an optional `randomBytes` so test vectors can fix the ephemeral key: the
// construction is then libsodium's own crypto_box_seal, written out
// (eph_pk || crypto_box_easy(m, H(24, eph_pk || pk), pk, eph_sk)).
import { concatBytes, requireBytes } from "./encoding.js";
import { DecryptionFailed, UnsupportedVersion } from "./errors.js";
import { randomBytes as secureRandomBytes, sodium } from "./sodium.js";

export const VERSION = 0x01;
export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const SEAL_OVERHEAD = 48;
export const SIGNATURE_BYTES = 64;

/** `crypto_generichash` (BLAKE2b) of `outlen` bytes, keyed when `key` is given. */
export function generichash(outlen, message, key = null) {
  return sodium.crypto_generichash(outlen, message, key);
}

export function aeadSeal(key, nonce, message, ad) {
  requireBytes("AEAD key", key, KEY_BYTES);
  requireBytes("AEAD nonce", nonce, NONCE_BYTES);
  return sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, ad, null, nonce, key);
}

export function aeadOpen(key, nonce, ciphertext, ad) {
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key);
  } catch {
    throw new DecryptionFailed();
  }
}

/** The X25519 public key of a 32-byte secret key. */
export function x25519PublicKey(secretKey) {
  requireBytes("X25519 secret key", secretKey, KEY_BYTES);
  return sodium.crypto_scalarmult_base(secretKey);
}

/** `crypto_box_seal` to an X25519 public key; `randomBytes` fixes the ephemeral key (vectors). */
export function boxSeal(message, publicKey, randomBytes = null) {
  requireBytes("X25519 public key", publicKey, KEY_BYTES);
  if (randomBytes === null) return sodium.crypto_box_seal(message, publicKey);
  const ephemeralSecret = randomBytes(KEY_BYTES);
  const ephemeralPublic = x25519PublicKey(ephemeralSecret);
  const nonce = generichash(NONCE_BYTES, concatBytes(ephemeralPublic, publicKey));
  const boxed = sodium.crypto_box_easy(message, nonce, publicKey, ephemeralSecret);
  return concatBytes(ephemeralPublic, boxed);
}

/** `crypto_box_seal_open` with the recipient's secret key, or DecryptionFailed. */
export function boxSealOpen(ciphertext, secretKey) {
  try {
    return sodium.crypto_box_seal_open(ciphertext, x25519PublicKey(secretKey), secretKey);
  } catch {
    throw new DecryptionFailed();
  }
}

/** Ed25519 key pair of a 32-byte seed: `{ publicKey (32), privateKey (64) }`. */
export function signSeedKeypair(seed) {
  requireBytes("Ed25519 seed", seed, KEY_BYTES);
  return sodium.crypto_sign_seed_keypair(seed);
}

export function signDetached(message, seed) {
  return sodium.crypto_sign_detached(message, signSeedKeypair(seed).privateKey);
}

/** True when `signature` signs `message` under the Ed25519 `publicKey`; never throws. */
export function verifyDetached(signature, message, publicKey) {
  try {
    return (
      signature.length === SIGNATURE_BYTES &&
      publicKey.length === KEY_BYTES &&
      sodium.crypto_sign_verify_detached(signature, message, publicKey)
    );
  } catch {
    return false;
  }
}

/** Optional-randomness helper: the caller's `randomBytes` or libsodium's. */
export function rng(randomBytes) {
  return randomBytes ?? secureRandomBytes;
}

/**
 * Check a structure's leading version byte before anything else: UnsupportedVersion for an
 * unknown one, DecryptionFailed for empty input.
 */
export function checkVersion(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new DecryptionFailed();
  if (bytes[0] !== VERSION) throw new UnsupportedVersion(bytes[0]);
}

/** Constant-time equality of two byte arrays (false when the lengths differ). */
export function equalBytes(a, b) {
  return a.length === b.length && sodium.memcmp(a, b);
}
