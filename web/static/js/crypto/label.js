// A secretary's label beside one of her deposits, sealed to her own X25519 key (docs/format.md §11).
//
// label_plain = 0x01 || id16(item_id) || utf8(text)        -- text: 1 to 120 code points, trimmed
// label       = 0x01 || SEAL(label_plain, own_x25519_pk)
//
// Only she can open it (the server stores a sealed box); opening checks the inner version and
// the item id, so a label the server moves to another deposit fails to open.
import { concatBytes, requireBytes, utf8Decode, utf8Encode, uuidToBytes } from "./encoding.js";
import { DecryptionFailed, MalformedInput } from "./errors.js";
import { boxSeal, boxSealOpen, checkVersion, equalBytes, VERSION } from "./primitives.js";

export const MAX_LABEL_CHARS = 120;

/** The label as it is sealed: trimmed, 1 to 120 code points, else MalformedInput. */
export function normalizeLabel(text) {
  const trimmed = String(text).trim();
  const length = [...trimmed].length;
  if (length === 0 || length > MAX_LABEL_CHARS) {
    throw new MalformedInput(`a label has 1 to ${MAX_LABEL_CHARS} characters`);
  }
  return trimmed;
}

/** Seal `text` about `itemId` to the secretary's own X25519 public key. */
export function sealLabel(itemId, text, ownPublicKey, { randomBytes = null } = {}) {
  requireBytes("X25519 public key", ownPublicKey, 32);
  const plain = concatBytes(
    Uint8Array.of(VERSION),
    uuidToBytes(itemId),
    utf8Encode(normalizeLabel(text)),
  );
  return concatBytes(Uint8Array.of(VERSION), boxSeal(plain, ownPublicKey, randomBytes));
}

/** Open a label with her own X25519 secret key; the item id must be `itemId`. */
export function openLabel(sealed, itemId, ownSecretKey) {
  checkVersion(sealed);
  const plain = boxSealOpen(sealed.subarray(1), ownSecretKey);
  const expected = concatBytes(Uint8Array.of(VERSION), uuidToBytes(itemId));
  if (plain.length < 18 || !equalBytes(plain.subarray(0, 17), expected)) {
    throw new DecryptionFailed();
  }
  try {
    return utf8Decode(plain.subarray(17));
  } catch {
    throw new DecryptionFailed();
  }
}
