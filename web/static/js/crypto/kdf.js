// Password -> master -> auth_key, kek (docs/format.md §2).
//
// Parameters travel with the account and come from the server, so they are checked against
// the floor (ops >= 3, mem >= 64 MiB, alg "argon2id13", 16-byte salt) BEFORE anything is
// derived: a server cannot downgrade them.
import { fromBase64url, requireBytes, toBase64url, utf8Encode } from "./encoding.js";
import { ExcessiveKdfParameters, MalformedInput, WeakKdfParameters } from "./errors.js";
import { generichash, rng } from "./primitives.js";
import { sodium } from "./sodium.js";

export const ALG_ARGON2ID13 = "argon2id13";
export const MIN_OPS = 3;
export const MIN_MEM = 64 * 1024 * 1024;
export const MAX_OPS = 10;
export const MAX_MEM = 1024 * 1024 * 1024;
export const SALT_BYTES = 16;
const AUTH_KEY_LABEL = utf8Encode("permanence/v1/auth-key");
const KEK_LABEL = utf8Encode("permanence/v1/key-encryption-key");

/**
 * Parse and check KDF parameters: `{ alg, ops, mem, salt }` with `salt` as base64url text
 * (the JSON the server sends) or 16 bytes. Throws WeakKdfParameters below the floor (or for
 * another algorithm), ExcessiveKdfParameters above the ceiling.
 */
export function checkKdfParams(params) {
  const { alg, ops, mem } = params ?? {};
  if (alg !== ALG_ARGON2ID13) {
    throw new WeakKdfParameters(`unsupported key-derivation algorithm ${JSON.stringify(alg)}`);
  }
  if (!Number.isSafeInteger(ops) || !Number.isSafeInteger(mem)) {
    throw new MalformedInput("KDF parameters need integer ops and mem");
  }
  if (ops < MIN_OPS || mem < MIN_MEM) {
    throw new WeakKdfParameters(
      `key-derivation parameters below the floor (ops >= ${MIN_OPS}, mem >= ${MIN_MEM})`,
    );
  }
  if (ops > MAX_OPS || mem > MAX_MEM) {
    // A hostile server must not be able to freeze the tab with an absurd demand either.
    throw new ExcessiveKdfParameters(
      `key-derivation parameters above the ceiling (ops <= ${MAX_OPS}, mem <= ${MAX_MEM})`,
    );
  }
  const salt = typeof params.salt === "string" ? fromBase64url(params.salt) : params.salt;
  requireBytes("KDF salt", salt, SALT_BYTES);
  return { alg, ops, mem, salt };
}

/** Default parameters with a fresh salt, for a new account; `salt` is base64url (JSON form). */
export function newKdfParams({ randomBytes } = {}) {
  const salt = rng(randomBytes)(SALT_BYTES);
  return { alg: ALG_ARGON2ID13, ops: MIN_OPS, mem: MIN_MEM, salt: toBase64url(salt) };
}

/** UTF-8 of the password after Unicode NFKC normalisation. */
export function normalizePassword(password) {
  if (typeof password !== "string") throw new MalformedInput("a password is a string");
  return utf8Encode(password.normalize("NFKC"));
}

/** `master = ARGON2ID(32, NFKC(password), salt, ops, mem)`, after the floor check. Slow. */
export async function deriveMaster(password, params) {
  const { ops, mem, salt } = checkKdfParams(params);
  const pw = normalizePassword(password);
  return sodium.crypto_pwhash(32, pw, salt, ops, mem, sodium.crypto_pwhash_ALG_ARGON2ID13);
}

/** `auth_key = H(32, "permanence/v1/auth-key", key = master)`. */
export function deriveAuthKey(master) {
  return generichash(32, AUTH_KEY_LABEL, requireBytes("master", master, 32));
}

/** `kek = H(32, "permanence/v1/key-encryption-key", key = master)`. */
export function deriveKek(master) {
  return generichash(32, KEK_LABEL, requireBytes("master", master, 32));
}

/**
 * Run Argon2id once and return `{ authKey, kek }` (the master key is wiped).
 * Throws WeakKdfParameters before deriving if the parameters are below the floor.
 */
export async function derivePasswordKeys(password, params) {
  const master = await deriveMaster(password, params);
  try {
    return { authKey: deriveAuthKey(master), kek: deriveKek(master) };
  } finally {
    sodium.memzero(master);
  }
}
