// Encodings of docs/format.md §1 and the Crockford base32 of §3.
import { loadVectors } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bytesToUuid,
  crockfordDecode,
  crockfordEncode,
  fromBase64url,
  MalformedInput,
  toBase64url,
  uuidToBytes,
} from "../../web/static/js/crypto/index.js";

test("base64url round-trips every length and matches Node's encoder", () => {
  // Proves the hand-written codec agrees with a reference on 0..64-byte inputs.
  for (let n = 0; n <= 64; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
    const text = toBase64url(bytes);
    assert.equal(text, Buffer.from(bytes).toString("base64url"));
    assert.deepEqual(fromBase64url(text), bytes);
  }
});

test("base64url decoder refuses padding, foreign characters and non-canonical input", () => {
  // Spec §1: decoders refuse padding and non-alphabet characters (and, like libsodium and
  // Python, non-zero trailing bits, so every value has exactly one encoding).
  for (const bad of ["AA==", "AAA=", "A", "AB+/", "AB/C", "AB C", "AB\n", "AB", "AAB"]) {
    assert.throws(() => fromBase64url(bad), MalformedInput, bad);
  }
  assert.deepEqual(fromBase64url("AA"), Uint8Array.of(0));
  assert.deepEqual(fromBase64url("AAE"), Uint8Array.of(0, 1));
});

test("UUIDs map to their 16 bytes in network order and back", () => {
  const id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  const bytes = uuidToBytes(id);
  assert.equal(Buffer.from(bytes).toString("hex"), "0f8fad5bd9cb469fa16570867728950e");
  assert.equal(bytesToUuid(bytes), id);
  assert.equal(bytesToUuid(uuidToBytes(id.toUpperCase())), id);
  for (const bad of [
    "0f8fad5bd9cb469fa16570867728950e",
    "{0f8fad5b-d9cb-469f-a165-70867728950e}",
    "",
  ]) {
    assert.throws(() => uuidToBytes(bad), MalformedInput);
  }
});

test("Crockford base32 pads the last group with zero bits and refuses anything else", () => {
  // 23 bytes -> 37 characters; the 185th bit must be zero.
  const raw = Uint8Array.from({ length: 23 }, (_, i) => 255 - i);
  const text = crockfordEncode(raw);
  assert.equal(text.length, 37);
  assert.deepEqual(crockfordDecode(text, 23), raw);
  const lastDigit = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".indexOf(text.at(-1));
  const padded = text.slice(0, -1) + "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[lastDigit | 1];
  assert.throws(() => crockfordDecode(padded, 23), MalformedInput);
  assert.throws(() => crockfordDecode(text.slice(1), 23), MalformedInput);
  assert.throws(() => crockfordDecode("U" + text.slice(1), 23), MalformedInput);
});

test("Crockford encoding of the vectors' recovery codes matches Python's", () => {
  // Each valid recovery code is crockford(r || checksum) in groups: same encoder both sides.
  for (const v of loadVectors().recovery.valid) {
    assert.equal(crockfordEncode(fromBase64url(v.raw)), v.code.replaceAll("-", "").slice(0, 32));
  }
});

test("newItemId is a UUIDv7 carrying the given millisecond time, ids in time order sort in order", async () => {
  const { newItemId } = await import("../../web/static/js/crypto/index.js");
  const ones = (b) => b.fill(0xff);
  const id = newItemId(0x0123456789ab, ones);
  // RFC 9562 §5.7: 48-bit time, version nibble 7, variant bits 10, the rest random.
  assert.equal(id, "01234567-89ab-7fff-bfff-ffffffffffff");
  assert.equal(newItemId(0, (b) => b.fill(0)), "00000000-0000-7000-8000-000000000000");
  assert.deepEqual(uuidToBytes(id).length, 16);
  const times = [1764979200000, 1764979200001, 1764979260000, 1893456000000];
  const ids = times.map((t) => newItemId(t));
  assert.deepEqual([...ids].sort(), ids);
  assert.notEqual(newItemId(times[0]), newItemId(times[0])); // random bits differ
  for (const bad of [-1, 2 ** 48, 1.5, NaN]) assert.throws(() => newItemId(bad), MalformedInput);
});

test("shortItemId takes a version 7 id's random end and any other id's start", async () => {
  const { newItemId, shortItemId } = await import("../../web/static/js/crypto/index.js");
  assert.equal(shortItemId("0f8fad5b-d9cb-469f-a165-70867728950e"), "0f8fad5b");
  assert.equal(shortItemId("01234567-89ab-7fff-bfff-ffffffff1234"), "ffff1234");
  // Ids drawn in the same minute share their first eight digits, not their short form.
  const burst = Array.from({ length: 50 }, (_, i) => newItemId(1764979200000 + i));
  assert.equal(new Set(burst.map((id) => id.slice(0, 8))).size, 1);
  assert.equal(new Set(burst.map(shortItemId)).size, 50);
});
