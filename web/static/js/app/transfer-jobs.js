// What the transfer worker (app/transfer-worker.js) does, apart from the Worker itself so that
// Node tests drive it through a MessageChannel. One job per worker:
//
// - `{op: "encrypt", file, partBytes, ahead, name, mediaType}`: reads the file with its own
//   stream, encrypts and hashes it (crypto/heapstream.js) and posts `{part}` Blobs of
//   `partBytes` bytes of stream, never more than `ahead` the page has not taken yet (the page
//   posts `{credit: 1}` for each part it takes), then `{done, manifest, stats}`.
// - `{op: "decrypt", url, fileKey, streamHash, mediaType}`: fetches the stream, decrypts it
//   as it arrives, posts `{progress, total}` about every MiB and, only once the whole stream
//   verified, `{blob, stats}`.
// Any failure is `{error}`; the page then terminates the worker.
import { decryptToBlob, HeapEncryptor, newStats } from "../crypto/heapstream.js";

const clock = () => (globalThis.performance ? performance.now() : Date.now());
const PROGRESS_STEP = 1 << 20;

export function serve(port) {
  let credits = 0;
  let wake = null;
  const credited = () =>
    new Promise((resolve) => {
      wake = resolve;
    });

  async function encrypt({ file, partBytes, ahead, name, mediaType }) {
    credits += ahead;
    const encryptor = new HeapEncryptor();
    let waitMs = 0;
    for await (const part of encryptor.parts(file, partBytes)) {
      const t0 = clock();
      while (credits === 0) await credited();
      waitMs += clock() - t0;
      credits -= 1;
      port.postMessage({ part });
    }
    const stats = { ...encryptor.stats, waitMs };
    port.postMessage({ done: true, manifest: encryptor.manifest({ name, mediaType }), stats });
  }

  async function decrypt({ url, fileKey, streamHash, mediaType }) {
    const stats = newStats();
    const t0 = clock();
    const response = await fetch(url, { credentials: "same-origin" });
    stats.firstByteMs = clock() - t0;
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const total = Number(response.headers.get("content-length") || 0);
    let told = 0;
    const onBytes = (received) => {
      if (received - told >= PROGRESS_STEP || received === total) {
        told = received;
        port.postMessage({ progress: received, total });
      }
    };
    const blob = await decryptToBlob(response.body, { fileKey, streamHash, mediaType, onBytes, stats });
    port.postMessage({ blob, stats });
  }

  port.onmessage = async ({ data }) => {
    if (data.credit) {
      credits += data.credit;
      if (wake) wake();
      wake = null;
      return;
    }
    try {
      if (data.op === "encrypt") await encrypt(data);
      else if (data.op === "decrypt") await decrypt(data);
      else throw new TypeError("unknown transfer job");
    } catch (error) {
      port.postMessage({ error: error && error.message ? error.message : String(error), name: error?.name });
    }
  };
  port.postMessage({ ready: true });
}
