// Fingerprints of user and practice keys (docs/format.md §3) against the vectors.
import { loadVectors } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  fromBase64url as b,
  practiceFingerprint,
  userFingerprint,
} from "../../web/static/js/crypto/index.js";

test("fingerprints match Python's for the vector keys", () => {
  const vectors = loadVectors().fingerprints;
  assert.ok(vectors.length >= 2);
  for (const v of vectors) {
    const got = v.practice_x25519_public
      ? practiceFingerprint(b(v.practice_x25519_public))
      : userFingerprint(b(v.x25519_public), b(v.ed25519_public));
    assert.equal(got, v.fingerprint);
    assert.match(got, /^[0-9A-HJKMNP-TV-Z]{4}( [0-9A-HJKMNP-TV-Z]{4}){3}$/);
  }
});

test("the tag byte separates a practice key from user keys", () => {
  // The same 32 bytes as a practice key and as half of a user's keys never look alike.
  const key = new Uint8Array(32).fill(9);
  assert.notEqual(practiceFingerprint(key), userFingerprint(key, key));
  assert.notEqual(
    userFingerprint(key, new Uint8Array(32)),
    userFingerprint(new Uint8Array(32), key),
  );
});
