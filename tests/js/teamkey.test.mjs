// Team key records and instruction envelopes (docs/format.md §10) against Python's vectors.
import { fixedRandom, flip, loadVectors } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DecryptionFailed,
  decodeInstructionHeader,
  decodeTeamKeyRecord,
  DocType,
  encodeInstructionHeader,
  encodeTeamKeyRecord,
  fromBase64url as b,
  generateUserKeys,
  GrantKind,
  MalformedInput,
  newTeamKey,
  NO_SUBJECT,
  openInstruction,
  openTeamKey,
  readUnverifiedInstructionHeader,
  sealGrant,
  sealInstruction,
  secretariesMayWrite,
  signTeamKeyRecord,
  teamKeyCommit,
  toBase64url,
  UnsupportedVersion,
  verifyInstruction,
  verifyTeamKeyRecord,
} from "../../web/static/js/crypto/index.js";

const V = loadVectors();
const VERSIONS = V.team_keys.versions;
const DOCS = V.instructions.envelopes;

function openFor(v, g) {
  return openTeamKey(b(g.grant), {
    record: b(v.record),
    signature: b(v.signature),
    creatorPublicKey: b(v.creator_ed25519_public),
    creatorId: v.creator_id,
    clientId: v.client_id,
    version: v.version,
    recipientId: g.recipient_id,
    recipientSecretKey: b(g.recipient_x25519_secret),
  });
}

test("Python's records encode, sign and verify byte for byte; their grants open to the key", () => {
  for (const v of VERSIONS) {
    assert.equal(toBase64url(teamKeyCommit(b(v.key))), v.commit);
    const fields = {
      clientId: v.client_id,
      version: v.version,
      creatorId: v.creator_id,
      createdAt: v.created_at,
      commit: b(v.commit),
      recipients: [...v.recipients].reverse(),
    };
    assert.equal(toBase64url(encodeTeamKeyRecord(fields)), v.record);
    assert.equal(toBase64url(signTeamKeyRecord(fields, b(v.creator_ed25519_seed))), v.signature);
    const record = verifyTeamKeyRecord(b(v.record), b(v.signature), b(v.creator_ed25519_public));
    assert.deepEqual([...record.recipients], v.recipients);
    assert.equal(record.createdAt, v.created_at);
    assert.deepEqual(decodeTeamKeyRecord(b(v.record)), record);
    for (const g of v.grants) {
      assert.equal(toBase64url(openFor(v, g)), v.key);
      const resealed = sealGrant(GrantKind.TEAM_KEY, v.client_id, b(v.key), b(g.recipient_x25519_public), {
        randomBytes: fixedRandom(b(g.ephemeral_secret)),
      });
      assert.equal(toBase64url(resealed), g.grant);
    }
  }
});

test("every refused record of the vectors is refused with the listed error", () => {
  const pk = b(VERSIONS[0].creator_ed25519_public);
  for (const c of V.team_keys.refused) {
    const expected = c.error === "UnsupportedVersion" ? UnsupportedVersion : DecryptionFailed;
    assert.throws(() => verifyTeamKeyRecord(b(c.record), b(c.signature), pk), expected, c.name);
  }
});

test("a team key is refused under a record of another version, creator or without the reader", () => {
  const [v1, v2] = VERSIONS;
  const secretaryGrant = v1.grants.find((g) => g.recipient_id !== v1.creator_id);
  // Version 2 was made after the secretary's assignment ended: it does not list her.
  assert.ok(!v2.recipients.includes(secretaryGrant.recipient_id));
  assert.equal(v2.grants.length, 1);
  // Her version-1 grant presented as version 2, or under version 2's record: refused.
  assert.throws(() => openFor({ ...v1, version: 2 }, secretaryGrant), DecryptionFailed);
  assert.throws(() => openFor({ ...v2 }, secretaryGrant), DecryptionFailed);
  // The member's version-2 grant does not open with her key.
  const memberV2 = v2.grants[0];
  assert.throws(
    () => openFor(v2, { ...memberV2, recipient_id: secretaryGrant.recipient_id, recipient_x25519_secret: secretaryGrant.recipient_x25519_secret }),
    DecryptionFailed,
  );
  // Another creator id than the record's, or a record whose commit is another key's.
  assert.throws(() => openFor({ ...v1, creator_id: secretaryGrant.recipient_id }, secretaryGrant), DecryptionFailed);
  const other = generateUserKeys();
  const grant = sealGrant(GrantKind.TEAM_KEY, v1.client_id, newTeamKey(), other.x25519PublicKey);
  const fields = {
    clientId: v1.client_id,
    version: 1,
    creatorId: v1.creator_id,
    createdAt: 1,
    commit: b(v1.commit),
    recipients: [v1.creator_id],
  };
  const record = encodeTeamKeyRecord(fields);
  assert.throws(
    () =>
      openTeamKey(grant, {
        record,
        signature: signTeamKeyRecord(record, b(v1.creator_ed25519_seed)),
        creatorPublicKey: b(v1.creator_ed25519_public),
        creatorId: v1.creator_id,
        clientId: v1.client_id,
        version: 1,
        recipientId: v1.creator_id,
        recipientSecretKey: other.x25519SecretKey,
      }),
    DecryptionFailed,
  );
});

test("records refuse out-of-range fields when encoded", () => {
  const v = VERSIONS[0];
  const base = {
    clientId: v.client_id,
    version: 1,
    creatorId: v.creator_id,
    createdAt: 0,
    commit: b(v.commit),
    recipients: v.recipients,
  };
  for (const change of [
    { version: 0 },
    { version: 2 ** 32 },
    { version: 1.5 },
    { createdAt: -1 },
    { createdAt: 2 ** 53 },
    { commit: new Uint8Array(31) },
    { recipients: [] },
  ]) {
    assert.throws(() => encodeTeamKeyRecord({ ...base, ...change }), MalformedInput);
  }
  assert.throws(() => teamKeyCommit(new Uint8Array(31)), MalformedInput);
  assert.throws(() => decodeTeamKeyRecord(new Uint8Array(0)), DecryptionFailed);
  assert.throws(() => decodeTeamKeyRecord(b(v.record).subarray(0, 78)), DecryptionFailed);
});

function openDoc(c, envelope, change = {}) {
  return openInstruction(envelope, {
    teamKey: b(c.team_key),
    authorPublicKey: b(c.author_ed25519_public),
    clientId: c.client_id,
    documentId: c.document_id,
    authorId: c.author_id,
    version: c.version,
    type: c.type,
    subjectId: c.subject_id,
    ...change,
  });
}

test("Python's instruction envelopes verify, open, and reseal byte for byte", () => {
  for (const c of DOCS) {
    const envelope = b(c.envelope);
    const header = verifyInstruction(envelope, b(c.author_ed25519_public));
    assert.equal(header.type, c.type);
    assert.equal(header.subjectId, c.subject_id);
    assert.deepEqual(readUnverifiedInstructionHeader(envelope), header);
    assert.deepEqual(decodeInstructionHeader(b(c.header)), header);
    assert.equal(toBase64url(encodeInstructionHeader(header)), c.header);
    const opened = openDoc(c, envelope);
    assert.deepEqual(opened.json, JSON.parse(c.body));
    const resealed = sealInstruction(b(c.team_key), header, JSON.parse(c.body), b(c.author_ed25519_seed), {
      randomBytes: fixedRandom(b(c.nonce)),
    });
    assert.equal(toBase64url(resealed), c.envelope);
  }
});

test("every refused envelope of the vectors fails, and so does any wrong expectation", () => {
  const c = DOCS[0];
  for (const r of V.instructions.refused) {
    const expected = r.error === "UnsupportedVersion" ? UnsupportedVersion : DecryptionFailed;
    assert.throws(() => openDoc(c, b(r.envelope)), expected, r.name);
  }
  const envelope = b(c.envelope);
  const other = DOCS[2];
  for (const change of [
    { clientId: other.document_id },
    { documentId: other.document_id },
    { authorId: other.author_id },
    { version: 2 },
    { type: DocType.REPLY },
    { subjectId: other.subject_id },
    { teamKey: newTeamKey() },
    { authorPublicKey: b(other.author_ed25519_public) },
  ]) {
    assert.throws(() => openDoc(c, envelope, change), DecryptionFailed);
  }
  for (let i = 1; i < envelope.length; i += 9) {
    assert.throws(() => openDoc(c, flip(envelope, i)), DecryptionFailed);
  }
});

test("fresh documents round-trip; only replies may come from secretaries", () => {
  const author = generateUserKeys();
  const key = newTeamKey();
  const fields = {
    type: DocType.ON_CALL,
    documentId: "3b241101-e2bb-4255-8caf-4136c566a962",
    clientId: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    authorId: "0f8fad5b-d9cb-469f-a165-70867728950e",
    version: 4,
    revision: 9,
  };
  const envelope = sealInstruction(key, fields, { days: [{ who: "Dr Martin" }] }, author.ed25519Seed);
  const opened = openInstruction(envelope, {
    teamKey: key,
    authorPublicKey: author.ed25519PublicKey,
    clientId: fields.clientId,
    documentId: fields.documentId,
    authorId: fields.authorId,
    version: 4,
  });
  assert.equal(opened.header.subjectId, NO_SUBJECT);
  assert.equal(opened.header.revision, 9);
  assert.deepEqual(opened.json, { days: [{ who: "Dr Martin" }] });
  assert.deepEqual(
    Object.values(DocType).filter(secretariesMayWrite),
    [DocType.REPLY],
  );
  for (const change of [{ type: 0x0f }, { version: 0 }, { revision: 2 ** 32 }]) {
    assert.throws(() => encodeInstructionHeader({ ...fields, ...change }), MalformedInput);
  }
  assert.throws(() => sealInstruction(new Uint8Array(31), fields, {}, author.ed25519Seed), MalformedInput);
});
