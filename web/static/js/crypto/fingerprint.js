// Key fingerprints for people to compare aloud (docs/format.md §3): Crockford base32 of the
// first 10 bytes of H(32, "permanence/v1/fingerprint\0" || tag || keys), e.g. "7KQ2 M9XD 0TRE 4BWA".
import { concatBytes, crockfordEncode, requireBytes, utf8Encode } from "./encoding.js";
import { generichash } from "./primitives.js";

const LABEL = utf8Encode("permanence/v1/fingerprint\0");

function display(taggedKeys) {
  const text = crockfordEncode(generichash(32, concatBytes(LABEL, taggedKeys)).subarray(0, 10));
  return text.match(/.{4}/g).join(" ");
}

/** Fingerprint of a user's two public keys (X25519 receiving, Ed25519 signing). */
export function userFingerprint(x25519PublicKey, ed25519PublicKey) {
  requireBytes("X25519 public key", x25519PublicKey, 32);
  requireBytes("Ed25519 public key", ed25519PublicKey, 32);
  return display(concatBytes(Uint8Array.of(0x01), x25519PublicKey, ed25519PublicKey));
}

/** Fingerprint of a client practice's X25519 public key. */
export function practiceFingerprint(practicePublicKey) {
  requireBytes("practice public key", practicePublicKey, 32);
  return display(concatBytes(Uint8Array.of(0x02), practicePublicKey));
}
