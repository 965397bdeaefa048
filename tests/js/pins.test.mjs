// The browser's fingerprint pins (web/static/js/app/fingerprints.js) and the look-alike
// author warning (pinwarning.js), over an in-memory localStorage.
import "./helpers.mjs";
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

const store = new Map();
globalThis.localStorage = {
  getItem: (key) => (store.has(key) ? store.get(key) : null),
  setItem: (key, value) => store.set(key, String(value)),
};
globalThis.document = { documentElement: { lang: "en" } };

const { acceptPin, accountSubject, checkPin, isPinned, namesakes, sameName } = await import(
  "../../web/static/js/app/fingerprints.js"
);
const { lookAlikeWarning } = await import("../../web/static/js/app/pinwarning.js");

const SOPHIE = accountSubject("0F8FAD5B-D9CB-469F-A165-70867728950E");
const PLANTED = accountSubject("7c9e6679-7425-40de-944b-e07fc1f90ae7");

beforeEach(() => {
  store.clear();
  globalThis.document.documentElement.lang = "en";
});

test("an account's subject is its lower-case id", () => {
  assert.equal(SOPHIE, "author:0f8fad5b-d9cb-469f-a165-70867728950e");
});

test("first use pins, the same fingerprint is same, another is changed until accepted", () => {
  assert.deepEqual(checkPin(SOPHIE, "AAAA"), { state: "new", previous: null });
  assert.deepEqual(checkPin(SOPHIE, "AAAA"), { state: "same", previous: "AAAA" });
  assert.deepEqual(checkPin(SOPHIE, "BBBB"), { state: "changed", previous: "AAAA" });
  assert.deepEqual(checkPin(SOPHIE, "BBBB"), { state: "changed", previous: "AAAA" });
  acceptPin(SOPHIE, "BBBB");
  assert.deepEqual(checkPin(SOPHIE, "BBBB"), { state: "same", previous: "BBBB" });
});

test("pins written before names were kept (bare strings) still compare", () => {
  store.set("permanence.fingerprints", JSON.stringify({ [SOPHIE]: "AAAA" }));
  assert.equal(checkPin(SOPHIE, "AAAA", { name: "Sophie", username: "sophie" }).state, "same");
  assert.equal(checkPin(SOPHIE, "CCCC").state, "changed");
  assert.deepEqual(namesakes(PLANTED, "Sophie"), [{ name: "Sophie", username: "sophie" }]);
});

test("a store that is not a JSON object counts as empty", () => {
  store.set("permanence.fingerprints", "[1, 2]");
  assert.equal(isPinned(SOPHIE), false);
  store.set("permanence.fingerprints", "{not json");
  assert.equal(checkPin(SOPHIE, "AAAA").state, "new");
});

test("names are compared ignoring accents, case and spacing, never empty ones", () => {
  assert.ok(sameName("Sophie Secrétaire", "sophie  secretaire "));
  assert.ok(sameName("Ｓophie", "sophie")); // full-width S (NFKD)
  assert.ok(!sameName("Sophie Secrétaire", "Sophie Secrétaires"));
  assert.ok(!sameName("", ""));
});

test("a never-seen account named like a pinned one is flagged, once, with both usernames", () => {
  checkPin(SOPHIE, "AAAA", { name: "Sophie Secrétaire", username: "sophie" });
  const label = { name: "Sophie Secretaire", username: "sophie.s" };
  const warning = lookAlikeWarning(PLANTED, label);
  assert.match(warning, /never seen in this browser/);
  assert.match(warning, /\(sophie\.s\)/);
  assert.match(warning, /already known here \(sophie\)/);
  document.documentElement.lang = "fr";
  assert.match(lookAlikeWarning(PLANTED, label), /n'a jamais été vu dans ce navigateur/);
  checkPin(PLANTED, "BBBB", label);
  assert.equal(lookAlikeWarning(PLANTED, label), null, "no longer never-seen");
});

test("no warning for the pinned account itself, nor for a new account with its own name", () => {
  const label = { name: "Sophie Secrétaire", username: "sophie" };
  checkPin(SOPHIE, "AAAA", label);
  assert.equal(lookAlikeWarning(SOPHIE, label), null);
  assert.equal(lookAlikeWarning(PLANTED, { name: "Paul Martin", username: "paul" }), null);
  assert.equal(lookAlikeWarning(PLANTED, { name: "", username: "x" }), null);
});

test("practice pins carry no name and never match an author's", () => {
  checkPin("practice:1", "PPPP");
  assert.deepEqual(namesakes(PLANTED, ""), []);
  assert.deepEqual(namesakes(PLANTED, "PPPP"), []);
});
