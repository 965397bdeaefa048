// Loads the vendored libsodium.js (sumo, ESM build, WebAssembly inside) and waits until it is ready.
//
// Top-level await: a module importing `sodium` from here gets an initialised library, so the
// rest of web/static/js/crypto/ can call it synchronously. Works under
// `script-src 'self' 'wasm-unsafe-eval'` (no eval, no Function) and under Node 18+.
import sodiumModule from "../../vendor/libsodium-wrappers-sumo/libsodium-wrappers.mjs";

/** Resolves to the initialised libsodium.js wrapper object. */
export const ready = sodiumModule.ready.then(() => sodiumModule);

export const sodium = await ready;

/**
 * Zero and free a native state libsodium.js allocated but never frees
 * (secretstream states): they hold key material.
 */
export function freeState(address, size) {
  const raw = sodium.libsodium;
  if (raw && typeof raw._free === "function" && typeof address === "number") {
    raw.HEAPU8.fill(0, address, address + size);
    raw._free(address);
  }
}

/** Secure random bytes: the default for every optional `randomBytes` parameter. */
export function randomBytes(n) {
  return sodium.randombytes_buf(n);
}
