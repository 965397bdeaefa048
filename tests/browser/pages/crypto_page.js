// Test page module: loads the production crypto module (under the production CSP) and
// exposes a JSON-in/JSON-out API on window.permanenceTest for tests/browser/test_crypto_browser.py.
// Binary values cross the boundary as base64url text.
import * as pc from "/static/js/crypto/index.js";

const b = pc.fromBase64url;
const b64 = pc.toBase64url;

/** Deterministic filler so Python can regenerate the plaintext of a browser-made file. */
function filler(size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 8)) & 255;
  return out;
}

async function errorName(promiseOrFn) {
  try {
    await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
    return null;
  } catch (e) {
    return e.name;
  }
}

window.permanenceTest = {
  /** Seal an item envelope with keys given by Python. */
  sealItem({ kind, urgency, itemId, clientId, authorId, body, practicePublicKey, authorSeed }) {
    const envelope = pc.sealItem(
      { kind, urgency, itemId, clientId, authorId },
      body,
      b(practicePublicKey),
      b(authorSeed),
    );
    return b64(envelope);
  },

  /** Encrypt `size` filler bytes as a File, chunk by chunk; return stream and manifest. */
  async encryptFile({ size, fileKey, name, mediaType }) {
    const file = new File([filler(size)], name, { type: mediaType });
    const enc = await pc.encryptFileToBlob(file, { name, mediaType, fileKey: b(fileKey) });
    return { stream: b64(new Uint8Array(await enc.blob.arrayBuffer())), manifest: enc.manifest };
  },

  /** Open a (Python-made) envelope; return the header and parsed body. */
  openItem({ envelope, authorPublicKey, practiceSecretKey, itemId, clientId, authorId }) {
    const opened = pc.openItem(b(envelope), {
      authorPublicKey: b(authorPublicKey),
      practiceSecretKey: b(practiceSecretKey),
      itemId,
      clientId,
      authorId,
    });
    return { header: { ...opened.header }, json: opened.json };
  },

  /** Error name when opening with these arguments fails, or null. */
  openItemError(args) {
    return errorName(() => window.permanenceTest.openItem(args));
  },

  /** Decrypt a (Python-made) stream from a Blob with its manifest; return the plaintext. */
  async decryptFile({ stream, manifest }) {
    const m = pc.parseManifest(manifest);
    const blob = await pc.decryptFileToBlob(new Blob([b(stream)]), m);
    return b64(new Uint8Array(await blob.arrayBuffer()));
  },

  decryptFileError(args) {
    return errorName(() => window.permanenceTest.decryptFile(args));
  },

  /** Derive auth_key and kek in WebAssembly (Argon2id); null-free JSON out. */
  async derive({ password, params }) {
    const keys = await pc.derivePasswordKeys(password, params);
    return { authKey: b64(keys.authKey), kek: b64(keys.kek) };
  },

  deriveError(args) {
    return errorName(window.permanenceTest.derive(args));
  },

  /** Unwrap Python-wrapped user keys; open a Python-made grant. */
  unwrapAndOpenGrant({ wrapped, kek, userId, grant, clientId }) {
    const keys = pc.unwrapUserKeys(b(wrapped), b(kek), pc.WrapPurpose.PASSWORD, userId);
    const key = pc.openGrant(
      b(grant),
      pc.GrantKind.PRACTICE_SECRET_KEY,
      clientId,
      keys.x25519SecretKey,
    );
    return { practiceSecretKey: b64(key), fingerprint: keys.fingerprint };
  },

  /** Time Argon2id at (ops, mem) in this tab: milliseconds per run (bench only). */
  async timeArgon2({ ops, mem, runs }) {
    const params = { alg: "argon2id13", ops, mem, salt: b64(new Uint8Array(16)) };
    const times = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await pc.deriveMaster("correct horse battery staple", params);
      times.push(performance.now() - start);
    }
    return times;
  },
};

await pc.ready;
document.getElementById("status").textContent = "ready";
document.documentElement.dataset.ready = "true";
