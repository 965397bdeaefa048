// Password -> master -> auth_key, kek (docs/format.md §2), against the vectors.
import { loadVectors } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkKdfParams,
  deriveAuthKey,
  deriveKek,
  deriveMaster,
  derivePasswordKeys,
  fromBase64url,
  newKdfParams,
  normalizePassword,
  toBase64url,
  WeakKdfParameters,
  ExcessiveKdfParameters,
} from "../../web/static/js/crypto/index.js";

const V = loadVectors().kdf;

test("Argon2id vector: NFKC password bytes, master, auth_key and kek match Python", async () => {
  // The password holds U+FB01 and A + U+030A, so this also proves NFKC normalisation.
  for (const v of V.argon2id) {
    assert.equal(toBase64url(normalizePassword(v.password)), v.password_bytes);
    const master = await deriveMaster(v.password, v);
    assert.equal(toBase64url(master), v.master);
    const keys = await derivePasswordKeys(v.password, v);
    assert.equal(toBase64url(keys.authKey), v.auth_key);
    assert.equal(toBase64url(keys.kek), v.kek);
  }
});

test("a differently normalised spelling of the password derives the same keys", async () => {
  const v = V.argon2id[0];
  const composed = v.password.normalize("NFC").replace("\ufb01", "fi");
  assert.notEqual(composed, v.password);
  assert.equal(toBase64url(await deriveMaster(composed, v)), v.master);
});

test("label derivations: auth_key and kek of given masters", () => {
  for (const v of V.labels) {
    const master = fromBase64url(v.master);
    assert.equal(toBase64url(deriveAuthKey(master)), v.auth_key);
    assert.equal(toBase64url(deriveKek(master)), v.kek);
  }
});

test("parameters below the floor, or of another algorithm, are refused", async () => {
  for (const params of V.refused_params) {
    assert.throws(() => checkKdfParams(params), WeakKdfParameters);
    await assert.rejects(derivePasswordKeys("pw", params), WeakKdfParameters);
  }
});

test("the vectors' parameters above the ceiling are refused with their own error", async () => {
  for (const params of V.excessive_params) {
    assert.throws(() => checkKdfParams(params), ExcessiveKdfParameters);
    await assert.rejects(derivePasswordKeys("pw", params), ExcessiveKdfParameters);
  }
});

test("parameters above the ceiling are refused before deriving (no frozen tab)", async () => {
  const salt = V.argon2id[0].salt;
  for (const [ops, mem] of [[11, 2 ** 26], [3, 2 ** 30 + 1], [3, 2 ** 42]]) {
    // Its own error and message, not "below the floor".
    assert.throws(
      () => checkKdfParams({ alg: "argon2id13", ops, mem, salt }),
      (error) => error instanceof ExcessiveKdfParameters && /above the ceiling/.test(error.message),
    );
    assert.throws(() => checkKdfParams({ alg: "argon2id13", ops, mem, salt }), (e) => !(e instanceof WeakKdfParameters));
    await assert.rejects(deriveMaster("pw", { alg: "argon2id13", ops, mem, salt }), ExcessiveKdfParameters);
  }
});

test("the floor is checked BEFORE deriving anything", async () => {
  // Parameters libsodium itself would reject with another error (4 TiB of memory, 1 KiB):
  // seeing WeakKdfParameters proves the check ran first and crypto_pwhash never did.
  const salt = V.argon2id[0].salt;
  await assert.rejects(
    deriveMaster("pw", { alg: "argon2id13", ops: 2, mem: 2 ** 42, salt }),
    WeakKdfParameters,
  );
  await assert.rejects(
    deriveMaster("pw", { alg: "argon2id13", ops: 2 ** 31, mem: 1024, salt }),
    WeakKdfParameters,
  );
});

test("malformed parameters are refused: non-integers, wrong salt length", () => {
  const { salt } = V.argon2id[0];
  assert.throws(() => checkKdfParams({ alg: "argon2id13", ops: "3", mem: 67108864, salt }));
  assert.throws(() => checkKdfParams({ alg: "argon2id13", ops: 3.5, mem: 67108864, salt }));
  assert.throws(() => checkKdfParams({ alg: "argon2id13", ops: 3, mem: 67108864, salt: "AAAA" }));
  assert.throws(() => checkKdfParams(null), WeakKdfParameters);
});

test("new accounts get the default parameters and a fresh 16-byte salt", () => {
  const a = newKdfParams();
  const b = newKdfParams();
  assert.deepEqual(
    { ...a, salt: undefined },
    { alg: "argon2id13", ops: 3, mem: 67108864, salt: undefined },
  );
  assert.equal(fromBase64url(a.salt).length, 16);
  assert.notEqual(a.salt, b.salt);
  checkKdfParams(a);
});
