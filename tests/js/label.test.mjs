// A secretary's self-sealed deposit labels (docs/format.md §11).
import { flip } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DecryptionFailed,
  generateUserKeys,
  MalformedInput,
  openLabel,
  sealLabel,
  UnsupportedVersion,
} from "../../web/static/js/crypto/index.js";

const ITEM = "7b0e5f0a-3c1d-4e2f-9a8b-1c2d3e4f5a6b";
const OTHER = "00000000-0000-4000-8000-000000000001";

test("her own key opens her label, trimmed, with its accents", () => {
  const me = generateUserKeys();
  const sealed = sealLabel(ITEM, "  Mme L. — ordonnance ", me.x25519PublicKey);
  assert.equal(sealed[0], 1);
  assert.equal(sealed.length, 1 + 48 + 17 + new TextEncoder().encode("Mme L. — ordonnance").length);
  assert.equal(openLabel(sealed, ITEM, me.x25519SecretKey), "Mme L. — ordonnance");
});

test("another key, another item, a flipped byte or another version fail", () => {
  const me = generateUserKeys();
  const someone = generateUserKeys();
  const sealed = sealLabel(ITEM, "Dupont", me.x25519PublicKey);
  assert.throws(() => openLabel(sealed, ITEM, someone.x25519SecretKey), DecryptionFailed);
  assert.throws(() => openLabel(sealed, OTHER, me.x25519SecretKey), DecryptionFailed);
  assert.throws(() => openLabel(flip(sealed, 30), ITEM, me.x25519SecretKey), DecryptionFailed);
  const v2 = Uint8Array.from(sealed);
  v2[0] = 2;
  assert.throws(() => openLabel(v2, ITEM, me.x25519SecretKey), UnsupportedVersion);
});

test("an empty or overlong label is refused before sealing", () => {
  const me = generateUserKeys();
  assert.throws(() => sealLabel(ITEM, "   ", me.x25519PublicKey), MalformedInput);
  assert.throws(() => sealLabel(ITEM, "é".repeat(121), me.x25519PublicKey), MalformedInput);
  assert.equal(openLabel(sealLabel(ITEM, "🙂".repeat(120), me.x25519PublicKey), ITEM, me.x25519SecretKey).length, 240);
});
