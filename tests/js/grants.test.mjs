// Key grants (docs/format.md §4) against the vectors, and their refusals.
import { deterministicRandom, fixedRandom, flip, loadVectors } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DecryptionFailed,
  fromBase64url as b,
  generatePracticeKeys,
  generateUserKeys,
  GrantKind,
  newTeamKey,
  openGrant,
  sealGrant,
  toBase64url,
  UnsupportedVersion,
} from "../../web/static/js/crypto/index.js";
import { concatBytes, uuidToBytes } from "../../web/static/js/crypto/encoding.js";
import { boxSeal } from "../../web/static/js/crypto/primitives.js";

const V = loadVectors().grants;

test("Python's grants open with the recipient's key and give the granted key", () => {
  for (const v of V) {
    const key = openGrant(b(v.grant), v.kind, v.client_id, b(v.recipient_x25519_secret));
    assert.equal(toBase64url(key), v.key);
    assert.equal(b(v.grant).length, 99);
  }
});

test("with the generator's ephemeral keys, sealing reproduces Python's grants byte for byte", () => {
  // The generator draws the team key, then one ephemeral key per grant, from SHAKE-256("grants").
  const rng = deterministicRandom("grants");
  assert.equal(toBase64url(rng(32)), V.find((v) => v.kind === GrantKind.TEAM_KEY).key);
  for (const v of V) {
    const grant = sealGrant(v.kind, v.client_id, b(v.key), b(v.recipient_x25519_public), {
      randomBytes: rng,
    });
    assert.equal(toBase64url(grant), v.grant);
  }
});

test("with the vector's ephemeral secret key, a grant is reproduced byte for byte", () => {
  for (const v of V) {
    const grant = sealGrant(v.kind, v.client_id, b(v.key), b(v.recipient_x25519_public), {
      randomBytes: fixedRandom(b(v.ephemeral_secret)),
    });
    assert.equal(toBase64url(grant), v.grant);
    const sealed = boxSeal(b(v.grant_plain), b(v.recipient_x25519_public), fixedRandom(b(v.ephemeral_secret)));
    assert.equal(toBase64url(concatBytes(Uint8Array.of(0x01), sealed)), v.grant);
  }
});

test("a grant opened as another kind, for another practice or by someone else fails", () => {
  const v = V[0];
  const grant = b(v.grant);
  const sk = b(v.recipient_x25519_secret);
  const other = v.kind === GrantKind.TEAM_KEY ? GrantKind.PRACTICE_SECRET_KEY : GrantKind.TEAM_KEY;
  assert.throws(() => openGrant(grant, other, v.client_id, sk), DecryptionFailed);
  assert.throws(
    () => openGrant(grant, v.kind, "0f8fad5b-d9cb-469f-a165-70867728950e", sk),
    DecryptionFailed,
  );
  assert.throws(
    () => openGrant(grant, v.kind, v.client_id, b(V[1].recipient_x25519_secret)),
    DecryptionFailed,
  );
  for (let i = 1; i < grant.length; i += 7) {
    assert.throws(() => openGrant(flip(grant, i), v.kind, v.client_id, sk), DecryptionFailed);
  }
  assert.throws(() => openGrant(grant.slice(0, 98), v.kind, v.client_id, sk), DecryptionFailed);
  const v2 = Uint8Array.from(grant);
  v2[0] = 7;
  assert.throws(() => openGrant(v2, v.kind, v.client_id, sk), UnsupportedVersion);
});

test("a grant whose inner version is wrong fails although the box opens", () => {
  // Seal 0x02 || kind || client || key by hand inside a valid v1 outer structure.
  const v = V[0];
  const plain = concatBytes(Uint8Array.of(0x02, v.kind), uuidToBytes(v.client_id), b(v.key));
  const grant = concatBytes(Uint8Array.of(0x01), boxSeal(plain, b(v.recipient_x25519_public)));
  assert.throws(
    () => openGrant(grant, v.kind, v.client_id, b(v.recipient_x25519_secret)),
    DecryptionFailed,
  );
  plain[0] = 0x01; // the same plaintext with the right inner version opens: the check is the version
  const fixed = concatBytes(Uint8Array.of(0x01), boxSeal(plain, b(v.recipient_x25519_public)));
  assert.deepEqual(openGrant(fixed, v.kind, v.client_id, b(v.recipient_x25519_secret)), b(v.key));
});

test("fresh practice and team keys round-trip through grants", () => {
  const member = generateUserKeys();
  const practice = generatePracticeKeys();
  const clientId = "0f8fad5b-d9cb-469f-a165-70867728950e";
  const teamKey = newTeamKey();
  const grant = sealGrant(GrantKind.TEAM_KEY, clientId, teamKey, member.x25519PublicKey);
  assert.deepEqual(openGrant(grant, GrantKind.TEAM_KEY, clientId, member.x25519SecretKey), teamKey);
  const pgrant = sealGrant(
    GrantKind.PRACTICE_SECRET_KEY,
    clientId,
    practice.secretKey,
    member.x25519PublicKey,
  );
  assert.deepEqual(
    openGrant(pgrant, GrantKind.PRACTICE_SECRET_KEY, clientId, member.x25519SecretKey),
    practice.secretKey,
  );
});
