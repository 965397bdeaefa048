// Item envelopes (docs/format.md §5) against the vectors, and every refusal.
import { deterministicRandom, fixedRandom, flip, loadVectors } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DecryptionFailed,
  decodeBody,
  decodeHeader,
  encodeBody,
  encodeHeader,
  fromBase64url as b,
  generatePracticeKeys,
  generateUserKeys,
  HEADER_BYTES,
  ItemKind,
  MalformedInput,
  MAX_CALL_SECONDS,
  openItem,
  readUnverifiedHeader,
  sealItem,
  toBase64url,
  UnsupportedVersion,
  Urgency,
  utf8Encode,
  verifyEnvelope,
} from "../../web/static/js/crypto/index.js";

const ALL = loadVectors();
const V = ALL.items;

function openArgs(v) {
  return {
    authorPublicKey: b(v.author_ed25519_public),
    practiceSecretKey: b(v.practice_x25519_secret),
    itemId: v.item_id,
    clientId: v.client_id,
    authorId: v.author_id,
  };
}

test("Python's envelopes verify and open to the vector's body", () => {
  for (const v of V) {
    const envelope = b(v.envelope);
    const header = verifyEnvelope(envelope, b(v.author_ed25519_public));
    assert.deepEqual(
      { ...header },
      {
        kind: v.kind,
        urgency: v.urgency,
        itemId: v.item_id,
        clientId: v.client_id,
        authorId: v.author_id,
        callStartedAt: v.call_started_at,
        callSeconds: v.call_seconds,
      },
    );
    const opened = openItem(envelope, openArgs(v));
    assert.equal(new TextDecoder().decode(opened.body), v.body);
    assert.deepEqual(opened.json, JSON.parse(v.body));
  }
});

test("JS canonical bodies are byte-identical to Python's (sorted keys, raw UTF-8, no spaces)", () => {
  for (const v of V)
    assert.equal(toBase64url(encodeBody(JSON.parse(v.body))), toBase64url(utf8Encode(v.body)));
});

test("header encoding and every envelope field match the vector", () => {
  for (const v of V) {
    const header = encodeHeader({
      kind: v.kind,
      urgency: v.urgency,
      itemId: v.item_id,
      clientId: v.client_id,
      authorId: v.author_id,
      callStartedAt: v.call_started_at,
      callSeconds: v.call_seconds,
    });
    assert.equal(toBase64url(header), v.header);
    assert.deepEqual(decodeHeader(header), readUnverifiedHeader(b(v.envelope)));
    const envelope = b(v.envelope);
    assert.equal(toBase64url(envelope.subarray(63, 143)), v.sealed_key);
    assert.equal(toBase64url(envelope.subarray(143, 207)), v.signature);
    assert.equal(toBase64url(envelope.subarray(207, 231)), v.nonce);
    assert.equal(toBase64url(envelope.subarray(231)), v.ciphertext);
  }
});

test("with the generator's randomness, sealing reproduces Python's envelopes byte for byte", () => {
  // Python draws item id, content key, nonce, then the sealed box's ephemeral key from
  // SHAKE-256("item/<kind>"); sealItem draws content key, nonce, ephemeral key in that order.
  const names = { 1: "call_note", 2: "message", 3: "extract" };
  for (const v of V) {
    const rng = deterministicRandom(`item/${names[v.kind]}`);
    rng(16); // the item id
    const envelope = sealItem(
      {
        kind: v.kind,
        urgency: v.urgency,
        itemId: v.item_id,
        clientId: v.client_id,
        authorId: v.author_id,
        callStartedAt: v.call_started_at,
        callSeconds: v.call_seconds,
      },
      utf8Encode(v.body),
      b(v.practice_x25519_public),
      b(v.author_ed25519_seed),
      { randomBytes: rng },
    );
    assert.equal(toBase64url(envelope), v.envelope);
  }
});

test("with the vector's content key, nonce and ephemeral secret key, sealing is exact", () => {
  // What an independent implementation can do without the generator's SHAKE-256 streams.
  for (const v of V) {
    const envelope = sealItem(
      {
        kind: v.kind,
        urgency: v.urgency,
        itemId: v.item_id,
        clientId: v.client_id,
        authorId: v.author_id,
        callStartedAt: v.call_started_at,
        callSeconds: v.call_seconds,
      },
      utf8Encode(v.body),
      b(v.practice_x25519_public),
      b(v.author_ed25519_seed),
      { randomBytes: fixedRandom(b(v.content_key), b(v.nonce), b(v.ephemeral_secret)) },
    );
    assert.equal(toBase64url(envelope.subarray(63, 143)), v.sealed_key);
    assert.equal(toBase64url(envelope), v.envelope);
  }
});

test("the vectors' tampered envelopes are refused with the expected error", () => {
  const v = V[ALL.refused.envelope_of_item];
  for (const c of ALL.refused.envelopes) {
    const expected = c.error === "UnsupportedVersion" ? UnsupportedVersion : DecryptionFailed;
    assert.throws(() => openItem(b(c.envelope), openArgs(v)), expected, c.name);
  }
});

test("every single flipped bit anywhere in an envelope is refused", () => {
  // Stronger than the sampled vector cases: header, sealed key, signature, nonce, ciphertext, tag.
  const v = V[1];
  const envelope = b(v.envelope);
  for (let i = 1; i < envelope.length; i++) {
    assert.throws(() => openItem(flip(envelope, i), openArgs(v)), DecryptionFailed, `byte ${i}`);
  }
});

test("an envelope moved to another item, practice or author fails to open", () => {
  const v = V[0];
  const other = "0f8fad5b-d9cb-469f-a165-70867728950e";
  for (const field of ["itemId", "clientId", "authorId"]) {
    assert.throws(
      () => openItem(b(v.envelope), { ...openArgs(v), [field]: other }),
      DecryptionFailed,
      field,
    );
  }
  // Another author's key, another practice's secret key.
  const stranger = generateUserKeys();
  assert.throws(
    () => openItem(b(v.envelope), { ...openArgs(v), authorPublicKey: stranger.ed25519PublicKey }),
    DecryptionFailed,
  );
  assert.throws(
    () =>
      openItem(b(v.envelope), {
        ...openArgs(v),
        practiceSecretKey: generatePracticeKeys().secretKey,
      }),
    DecryptionFailed,
  );
});

test("a signature over a re-sealed key or swapped ciphertext no longer verifies", () => {
  // The server cannot swap parts between two envelopes of the same practice and author.
  const [a, bb] = [b(V[0].envelope), b(V[1].envelope)];
  const swapped = Uint8Array.from(a);
  swapped.set(bb.subarray(63, 143), 63);
  assert.throws(() => verifyEnvelope(swapped, b(V[0].author_ed25519_public)), DecryptionFailed);
});

test("fresh items round-trip; urgency travels signed in the header", () => {
  const author = generateUserKeys();
  const practice = generatePracticeKeys();
  const ids = {
    itemId: "11111111-2222-4333-8444-555555555555",
    clientId: "21111111-2222-4333-8444-555555555555",
    authorId: "31111111-2222-4333-8444-555555555555",
  };
  const body = { subject: "Rappel", text: "Merci de rappeler Mme Dupont — urgent" };
  const envelope = sealItem(
    { kind: ItemKind.MESSAGE, urgency: Urgency.URGENT, ...ids },
    body,
    practice.publicKey,
    author.ed25519Seed,
  );
  const opened = openItem(envelope, {
    ...ids,
    authorPublicKey: author.ed25519PublicKey,
    practiceSecretKey: practice.secretKey,
  });
  assert.deepEqual(opened.json, body);
  assert.equal(opened.header.urgency, Urgency.URGENT);
  // Downgrading the urgency byte (what a server could try) breaks the signature.
  const downgraded = Uint8Array.from(envelope);
  downgraded[2] = Urgency.LOW;
  assert.throws(() => verifyEnvelope(downgraded, author.ed25519PublicKey), DecryptionFailed);
});

test("unknown kind or urgency values are refused when reading a header", () => {
  const header = b(V[0].header);
  for (const [index, value] of [
    [1, 0],
    [1, 5],
    [2, 3],
  ]) {
    const bad = Uint8Array.from(header);
    bad[index] = value;
    assert.throws(() => decodeHeader(bad), DecryptionFailed);
  }
});

test("non-canonical bodies are read (spacing, order, escapes, last repeated key); NaN is not", () => {
  assert.deepEqual(decodeBody(utf8Encode(' { "b" : 1 , "a" : "\\u00e9" , "b" : 2 } ')), { a: "é", b: 2 });
  for (const bad of ['{"a":NaN}', '{"a":-Infinity}', "[1]", '"x"', "{"]) {
    assert.throws(() => decodeBody(utf8Encode(bad)), DecryptionFailed, bad);
  }
});

test("a call note's call time is signed at the end of the header (u64 and u32, big-endian)", () => {
  const ids = {
    itemId: "11111111-2222-4333-8444-555555555555",
    clientId: "21111111-2222-4333-8444-555555555555",
    authorId: "31111111-2222-4333-8444-555555555555",
  };
  const fields = { kind: ItemKind.CALL_NOTE, urgency: Urgency.LOW, ...ids };
  const header = encodeHeader({ ...fields, callStartedAt: 1795772465, callSeconds: 154 });
  assert.equal(header.length, HEADER_BYTES);
  assert.equal(Buffer.from(header.subarray(51)).toString("hex"), "000000006b0950310000009a");
  assert.deepEqual(
    { ...decodeHeader(header) },
    { ...fields, callStartedAt: 1795772465, callSeconds: 154 },
  );
  // The limits themselves are accepted.
  const longest = { ...fields, callStartedAt: Number.MAX_SAFE_INTEGER, callSeconds: MAX_CALL_SECONDS };
  assert.deepEqual({ ...decodeHeader(encodeHeader(longest)) }, longest);
  // Defaults: no call time.
  const message = { ...fields, kind: ItemKind.MESSAGE };
  assert.deepEqual(encodeHeader(message).subarray(51), new Uint8Array(12));
});

test("a call time on another kind, a call over 24 h or past 2^53 - 1 is refused both ways", () => {
  const ids = {
    itemId: "11111111-2222-4333-8444-555555555555",
    clientId: "21111111-2222-4333-8444-555555555555",
    authorId: "31111111-2222-4333-8444-555555555555",
  };
  const cases = [
    [ItemKind.MESSAGE, 1n, 0],
    [ItemKind.EXTRACT, 0n, 1],
    [ItemKind.CALL_NOTE, 0n, MAX_CALL_SECONDS + 1],
    [ItemKind.CALL_NOTE, BigInt(Number.MAX_SAFE_INTEGER) + 1n, 0],
    [ItemKind.CALL_NOTE, 2n ** 64n - 1n, 0],
  ];
  for (const [kind, started, seconds] of cases) {
    const name = `${kind} ${started} ${seconds}`;
    const fields = { kind, urgency: Urgency.NORMAL, ...ids };
    if (started <= BigInt(Number.MAX_SAFE_INTEGER)) {
      assert.throws(
        () => encodeHeader({ ...fields, callStartedAt: Number(started), callSeconds: seconds }),
        MalformedInput,
        name,
      );
    }
    const raw = encodeHeader({ ...fields, kind: ItemKind.MESSAGE });
    raw[1] = kind;
    const view = new DataView(raw.buffer, 51, 12);
    view.setBigUint64(0, started);
    view.setUint32(8, seconds);
    assert.throws(() => decodeHeader(raw), DecryptionFailed, name);
  }
  const fields = { kind: ItemKind.CALL_NOTE, urgency: Urgency.NORMAL, ...ids };
  for (const bad of [-1, 1.5, "60", null]) {
    assert.throws(() => encodeHeader({ ...fields, callSeconds: bad }), MalformedInput, String(bad));
    assert.throws(() => encodeHeader({ ...fields, callStartedAt: bad }), MalformedInput, String(bad));
  }
});
