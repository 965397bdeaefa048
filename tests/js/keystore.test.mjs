// Unlocking in the browser (web/static/js/app/keystore.js): the unwrapped keys and a granted
// practice key must be the public keys the server publishes, else nothing is stored.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DecryptionFailed,
  generatePracticeKeys,
  generateUserKeys,
  GrantKind,
  sealGrant,
  toBase64url,
  WrapPurpose,
  wrapUserKeys,
} from "../../web/static/js/crypto/index.js";

const store = new Map();
globalThis.sessionStorage = {
  getItem: (k) => (store.has(k) ? store.get(k) : null),
  setItem: (k, v) => store.set(k, String(v)),
  removeItem: (k) => store.delete(k),
};
// The page's session binding (<meta name="tab-session">), which the test changes.
let session = "session-one";
globalThis.document = { querySelector: () => ({ content: session }) };
const { loadKeys, unlockAndStore } = await import("../../web/static/js/app/keystore.js");

const accountId = "11111111-2222-4333-8444-555555555555";
const practiceId = "21111111-2222-4333-8444-555555555555";
const kek = new Uint8Array(32).fill(7);

function bundle() {
  const keys = generateUserKeys();
  const practice = generatePracticeKeys();
  return {
    account_id: accountId,
    wrapped_kek: toBase64url(wrapUserKeys(keys, kek, WrapPurpose.PASSWORD, accountId)),
    x25519_pk: toBase64url(keys.x25519PublicKey),
    ed25519_pk: toBase64url(keys.ed25519PublicKey),
    practice: {
      id: practiceId,
      public_key: toBase64url(practice.publicKey),
      grant: toBase64url(
        sealGrant(GrantKind.PRACTICE_SECRET_KEY, practiceId, practice.secretKey, keys.x25519PublicKey),
      ),
    },
  };
}

test("keys matching the published public keys unlock and are stored", () => {
  store.clear();
  const b = bundle();
  unlockAndStore(b, kek);
  const unlocked = loadKeys();
  assert.equal(toBase64url(unlocked.keys.ed25519PublicKey), b.ed25519_pk);
  assert.equal(unlocked.practice.id, practiceId);
});

test("keys that are not the published ones are refused and nothing is stored", () => {
  const stranger = toBase64url(generatePracticeKeys().publicKey);
  for (const change of [
    (b) => (b.x25519_pk = stranger),
    (b) => (b.ed25519_pk = stranger),
    (b) => (b.practice.public_key = stranger),
    (b) => (b.practice.public_key = null),
  ]) {
    store.clear();
    const b = bundle();
    change(b);
    assert.throws(() => unlockAndStore(b, kek), DecryptionFailed);
    assert.equal(loadKeys(), null);
  }
});

test("keys stored for another session are never used, and are dropped", () => {
  store.clear();
  session = "session-one";
  unlockAndStore(bundle(), kek);
  assert.notEqual(loadKeys(), null);
  session = "session-two"; // signed out, someone else signed in, in this tab
  assert.equal(loadKeys(), null);
  session = "session-one";
  assert.equal(loadKeys(), null);
});
