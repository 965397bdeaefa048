// User secrets and their wrapping under kek / recovery key (docs/format.md §3).
import { flip, fixedRandom, loadVectors } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DecryptionFailed,
  fromBase64url as b,
  generateUserKeys,
  publicKeysJson,
  toBase64url,
  UnsupportedVersion,
  unwrapUserKeys,
  userKeysFromSecrets,
  wrapUserKeys,
  WrapPurpose,
} from "../../web/static/js/crypto/index.js";

const V = loadVectors().user_keys;

test("vector keys: public keys and fingerprint derive from the two secrets", () => {
  for (const v of V) {
    const keys = userKeysFromSecrets(b(v.x25519_secret), b(v.ed25519_seed));
    assert.deepEqual(publicKeysJson(keys), { x25519: v.x25519_public, ed25519: v.ed25519_public });
    assert.equal(keys.fingerprint, v.fingerprint);
  }
});

test("wrapping with the vector's nonce reproduces Python's bytes exactly", () => {
  for (const v of V) {
    const keys = userKeysFromSecrets(b(v.x25519_secret), b(v.ed25519_seed));
    for (const w of v.wrapped) {
      const wrapped = wrapUserKeys(keys, b(w.wrap_key), w.purpose, v.user_id, {
        randomBytes: fixedRandom(b(w.nonce)),
      });
      assert.equal(toBase64url(wrapped), w.wrapped);
      assert.equal(wrapped.length, 107);
    }
  }
});

test("Python-wrapped keys unwrap to the vector's secrets", () => {
  for (const v of V) {
    for (const w of v.wrapped) {
      const keys = unwrapUserKeys(b(w.wrapped), b(w.wrap_key), w.purpose, v.user_id);
      assert.equal(toBase64url(keys.x25519SecretKey), v.x25519_secret);
      assert.equal(toBase64url(keys.ed25519Seed), v.ed25519_seed);
    }
  }
});

test("any change refuses to unwrap with DecryptionFailed: byte, user id, purpose, key, length", () => {
  const v = V[0];
  const w = v.wrapped[0];
  const wrapped = b(w.wrapped);
  const key = b(w.wrap_key);
  for (let i = 1; i < wrapped.length; i++) {
    // Every byte after the version: purpose, nonce, ciphertext and tag.
    assert.throws(
      () => unwrapUserKeys(flip(wrapped, i), key, w.purpose, v.user_id),
      DecryptionFailed,
    );
  }
  assert.throws(() => unwrapUserKeys(wrapped, key, w.purpose, V[1].user_id), DecryptionFailed);
  assert.throws(
    () => unwrapUserKeys(wrapped, key, WrapPurpose.RECOVERY, v.user_id),
    DecryptionFailed,
  );
  assert.throws(
    () => unwrapUserKeys(wrapped, flip(key, 0), w.purpose, v.user_id),
    DecryptionFailed,
  );
  assert.throws(
    () => unwrapUserKeys(wrapped.slice(0, -1), key, w.purpose, v.user_id),
    DecryptionFailed,
  );
  assert.throws(
    () => unwrapUserKeys(new Uint8Array(0), key, w.purpose, v.user_id),
    DecryptionFailed,
  );
  // The same ciphertext relabelled as purpose 2 fails too: the purpose is in the AD.
  const relabelled = Uint8Array.from(wrapped);
  relabelled[1] = WrapPurpose.RECOVERY;
  assert.throws(
    () => unwrapUserKeys(relabelled, key, WrapPurpose.RECOVERY, v.user_id),
    DecryptionFailed,
  );
});

test("an unknown version byte is reported as such, before any crypto", () => {
  const v = V[0];
  const w = v.wrapped[0];
  const wrapped = b(w.wrapped);
  wrapped[0] = 2;
  assert.throws(
    () => unwrapUserKeys(wrapped, new Uint8Array(32), w.purpose, v.user_id),
    (e) =>
      e instanceof UnsupportedVersion &&
      e.version === 2 &&
      /unsupported format version 2/.test(e.message),
  );
});

test("fresh keys round-trip through both wraps and differ each time", () => {
  const userId = "0f8fad5b-d9cb-469f-a165-70867728950e";
  const keys = generateUserKeys();
  assert.notDeepEqual(keys.x25519SecretKey, generateUserKeys().x25519SecretKey);
  const kek = new Uint8Array(32).fill(7);
  for (const purpose of Object.values(WrapPurpose)) {
    const wrapped = wrapUserKeys(keys, kek, purpose, userId);
    const back = unwrapUserKeys(wrapped, kek, purpose, userId);
    assert.deepEqual(back.ed25519PublicKey, keys.ed25519PublicKey);
    assert.deepEqual(back.x25519PublicKey, keys.x25519PublicKey);
  }
});
