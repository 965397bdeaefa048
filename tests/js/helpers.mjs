// Shared helpers of the JS tests (not a test file itself). Import it FIRST in every test:
// on Node 18 it installs Web Crypto as globalThis.crypto, which libsodium.js's ESM build needs.
import { createHash, webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

if (globalThis.crypto === undefined) globalThis.crypto = webcrypto;

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// The committed vectors; PERMANENCE_VECTORS points elsewhere only while regenerating them.
export const VECTOR_FILE =
  process.env.PERMANENCE_VECTORS ?? join(REPO, "tests", "vectors", "format-v1.json");

export function loadVectors() {
  return JSON.parse(readFileSync(VECTOR_FILE, "utf8"));
}

/** The vector generator's randomness: SHAKE-256(label || 0x00 || u64 counter), a fresh draw each call. */
export function deterministicRandom(label) {
  let counter = 0n;
  return (size) => {
    counter += 1n;
    const seed = Buffer.alloc(Buffer.byteLength(label) + 9);
    seed.write(label, 0, "utf8");
    seed.writeBigUInt64BE(counter, Buffer.byteLength(label) + 1);
    return new Uint8Array(createHash("shake256", { outputLength: size }).update(seed).digest());
  };
}

/** A `randomBytes` returning the given arrays in order (and checking the sizes asked for). */
export function fixedRandom(...draws) {
  const queue = [...draws];
  return (size) => {
    const next = queue.shift();
    if (next === undefined || next.length !== size) {
      throw new Error(`unexpected draw of ${size} bytes`);
    }
    return next;
  };
}

/** A copy of `bytes` with one bit of byte `index` flipped. */
export function flip(bytes, index) {
  const out = Uint8Array.from(bytes);
  out[index] ^= 0x01;
  return out;
}

/** Concatenate everything an async iterable of Uint8Array yields. */
export async function collect(iterable) {
  const parts = [];
  for await (const part of iterable) parts.push(part);
  return new Uint8Array(Buffer.concat(parts));
}

/** Deterministic filler bytes for file tests. */
export function filler(size, seed = 1) {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
