// Recovery codes (docs/format.md §3) against the vectors.
import { loadVectors } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatRecoveryCode,
  fromBase64url as b,
  InvalidRecoveryCode,
  newRecoveryCode,
  parseRecoveryCode,
  recoveryKey,
  recoveryProofMessage,
  signDetached,
  toBase64url,
} from "../../web/static/js/crypto/index.js";

const V = loadVectors().recovery;

test("vector codes: printed form and recovery key match Python", () => {
  for (const v of V.valid) {
    assert.equal(formatRecoveryCode(b(v.raw)), v.code);
    assert.equal(toBase64url(recoveryKey(b(v.raw))), v.recovery_key);
    assert.match(v.code, /^([0-9A-Z]{4}-){9}[0-9A-Z]$/);
  }
});

test("typed codes parse back, forgiving case, spaces, dashes and O/I/L", () => {
  for (const v of V.valid) {
    for (const typed of [v.code, ...v.also_accepted]) {
      assert.equal(toBase64url(parseRecoveryCode(typed)), v.raw, typed);
    }
  }
});

test("wrong length, foreign character and checksum are refused", () => {
  for (const typed of V.refused) {
    assert.throws(
      () => parseRecoveryCode(typed),
      (e) => e instanceof InvalidRecoveryCode && e.message === "this recovery code is not valid",
      typed,
    );
  }
  assert.throws(() => parseRecoveryCode(undefined), InvalidRecoveryCode);
});

test("a new code round-trips and its key is the key of its raw bytes", () => {
  const fresh = newRecoveryCode();
  assert.deepEqual(parseRecoveryCode(fresh.code), fresh.raw);
  assert.deepEqual(fresh.key, recoveryKey(fresh.raw));
  assert.notEqual(fresh.code, newRecoveryCode().code);
});

test("vector recovery proofs: the signed message and its signature match Python byte for byte", () => {
  assert.ok(V.proofs.length > 0);
  for (const v of V.proofs) {
    const message = recoveryProofMessage(
      v.user_id,
      b(v.challenge),
      b(v.salt),
      b(v.auth_key),
      b(v.wrapped_kek),
    );
    assert.equal(toBase64url(message), v.message);
    assert.equal(toBase64url(signDetached(message, b(v.ed25519_seed))), v.signature);
  }
});

test("a recovery proof without a 32-byte challenge is refused", () => {
  const v = V.proofs[0];
  assert.throws(() =>
    recoveryProofMessage(v.user_id, b(v.challenge).slice(1), b(v.salt), b(v.auth_key), b(v.wrapped_kek)),
  );
});
