// Recovery codes (docs/format.md §3): 20 random bytes r, shown once, printed for people as
// Crockford base32 of r || first 3 bytes of H(32, "permanence/v1/recovery-checksum\0" || r),
// 37 characters in groups of 4 joined by "-". recovery_key = H(32, "permanence/v1/recovery-key", key = r).
import {
  concatBytes,
  crockfordDecode,
  crockfordEncode,
  requireBytes,
  utf8Encode,
  uuidToBytes,
} from "./encoding.js";
import { InvalidRecoveryCode } from "./errors.js";
import { equalBytes, generichash, rng } from "./primitives.js";

export const RECOVERY_BYTES = 20;
export const CHALLENGE_BYTES = 32;
const PROOF_LABEL = utf8Encode("permanence/v1/recovery\0");
const CHECKSUM_BYTES = 3;
const KEY_LABEL = utf8Encode("permanence/v1/recovery-key");
const CHECKSUM_LABEL = utf8Encode("permanence/v1/recovery-checksum\0");

function checksum(raw) {
  return generichash(32, concatBytes(CHECKSUM_LABEL, raw)).slice(0, CHECKSUM_BYTES);
}

/** The recovery key (AEAD key, wrap purpose 0x02) of the 20 raw bytes. */
export function recoveryKey(raw) {
  return generichash(32, KEY_LABEL, requireBytes("recovery code", raw, RECOVERY_BYTES));
}

/** The printed code of 20 raw bytes, e.g. "ABCD-EFGH-…-X" (9 groups of 4 and one of 1). */
export function formatRecoveryCode(raw) {
  requireBytes("recovery code", raw, RECOVERY_BYTES);
  return crockfordEncode(concatBytes(raw, checksum(raw)))
    .match(/.{1,4}/g)
    .join("-");
}

/**
 * The 20 raw bytes of a typed code. Case, spaces, dashes and O/I/L for 0/1 are forgiven;
 * a wrong length, character or checksum throws InvalidRecoveryCode.
 */
export function parseRecoveryCode(text) {
  if (typeof text !== "string") throw new InvalidRecoveryCode();
  const cleaned = text.toUpperCase().replace(/[ -]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  let data;
  try {
    data = crockfordDecode(cleaned, RECOVERY_BYTES + CHECKSUM_BYTES);
  } catch {
    throw new InvalidRecoveryCode();
  }
  const raw = data.slice(0, RECOVERY_BYTES);
  if (!equalBytes(data.subarray(RECOVERY_BYTES), checksum(raw))) throw new InvalidRecoveryCode();
  return raw;
}

/** A new recovery code: `{ raw, code (printed), key (recovery_key) }`. */
export function newRecoveryCode({ randomBytes } = {}) {
  const raw = rng(randomBytes)(RECOVERY_BYTES);
  return { raw, code: formatRecoveryCode(raw), key: recoveryKey(raw) };
}

/**
 * What a password reset signs with the user's Ed25519 key (docs/format.md §8):
 * "permanence/v1/recovery\0" || id16(user_id) || challenge (32, single-use, from
 * /recover/start) || new salt (16) || new auth_key (32) || new wrapped_kek (107).
 */
export function recoveryProofMessage(userId, challenge, salt, authKey, wrappedKek) {
  return concatBytes(
    PROOF_LABEL,
    uuidToBytes(userId),
    requireBytes("recovery challenge", challenge, CHALLENGE_BYTES),
    requireBytes("salt", salt, 16),
    requireBytes("auth key", authKey, 32),
    requireBytes("wrapped keys", wrappedKek, 107),
  );
}
