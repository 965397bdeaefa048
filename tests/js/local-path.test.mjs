// The ?next= rule of login.js (web/static/js/app/local-path.js): the shared cases, and the
// WHATWG URL parser (Node's URL, as in browsers) as the judge of where a target really leads.
import { REPO } from "./helpers.mjs";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { localPath, MAX_LOCAL_PATH } from "../../web/static/js/app/local-path.js";

const BASE = "https://vault.example";
const { cases } = JSON.parse(readFileSync(join(REPO, "tests", "web", "local_paths.json"), "utf8"));

test("every shared case gets the answer web/local_path.py gives", () => {
  assert.ok(cases.length > 30);
  for (const c of cases) {
    assert.equal(localPath(c.target), c.local ? c.target : null, `${JSON.stringify(c.target)}: ${c.why}`);
  }
});

test("the attacks of the review really lead off-site, so refusing them matters", () => {
  // What login.js did before: starts with "/", not "//", no backslash. These passed it.
  const oldRule = (n) => n.startsWith("/") && !n.startsWith("//") && !n.includes("\\");
  for (const target of ["/\t/evil.example", "/\n/evil.example", "/\r/evil.example"]) {
    assert.ok(oldRule(target));
    assert.equal(new URL(target, BASE).host, "evil.example");
    assert.equal(localPath(target), null);
  }
  assert.equal(new URL("/\\evil.example", BASE).host, "evil.example");
});

test("whatever the rule accepts stays on this site (random targets)", () => {
  // A small deterministic generator over the characters that matter to the URL parser.
  const alphabet = ["/", "\\", "\t", "\n", "\r", " ", ".", ":", "@", "%", "0", "9", "a", "?", "#",
    "e", "v", "\u00a0", "\u2028", "\u0000", "x"];
  let state = 0x2545f491;
  const next = () => {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    return (state >>> 0) % alphabet.length;
  };
  let accepted = 0;
  for (let n = 0; n < 20000; n += 1) {
    let target = "";
    const length = 1 + (n % 9);
    for (let i = 0; i < length; i += 1) target += alphabet[next()];
    if (localPath(target) === null) continue;
    accepted += 1;
    const url = new URL(target, BASE);
    assert.equal(url.origin, BASE, JSON.stringify(target));
  }
  assert.ok(accepted > 100, `only ${accepted} targets accepted`);
});

test("non-strings and over-long targets are refused", () => {
  for (const value of [null, undefined, 42, ["/inbox"], { toString: () => "/inbox" }]) {
    assert.equal(localPath(value), null);
  }
  assert.equal(localPath("/" + "a".repeat(MAX_LOCAL_PATH - 1)).length, MAX_LOCAL_PATH);
  assert.equal(localPath("/" + "a".repeat(MAX_LOCAL_PATH)), null);
});
