// A worker of the inbox search (pages/inbox.js): it verifies and decrypts one batch of
// envelopes with the practice key the page hands it, and returns the index entries. Several
// run at once on a long history, one batch each; nothing is kept here between batches.
// It says "ready" once libsodium has loaded (a message posted before would be lost).
import { openOne } from "./envelopes.js";
import { indexBatch } from "./rowtext.js";

self.onmessage = (event) => {
  const { job, answer, practiceKey } = event.data;
  try {
    self.postMessage({ job, ...indexBatch(answer, practiceKey, openOne) });
  } catch (error) {
    self.postMessage({ job, error: String(error) });
  }
};
self.postMessage({ ready: true });
