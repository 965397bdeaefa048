// The times the scripts write outside localdates.js itself (issue 12): a reply, a request's
// state line, an instruction's revision and the inbox's search results in the short form
// "2 déc. 2026, 2 h 20" in the practice's zone (never UTC by default); closures' days in the
// short date form "1 déc. 2026 → 5 déc. 2026".
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const page = { zone: "Europe/Paris", lang: "fr" };
globalThis.document = {
  querySelector: (selector) => (selector === 'meta[name="practice-timezone"]' ? { content: page.zone } : null),
  documentElement: {
    get lang() {
      return page.lang;
    },
  },
};
const memory = () => {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
};
globalThis.sessionStorage = memory();
globalThis.localStorage = memory();

const { dateSpan, shortDate } = await import("../../web/static/js/app/localdates.js");
const { formatTime } = await import("../../web/static/js/app/thread.js");
const io = await import("../../web/static/js/app/instructions-io.js");

const N = "\u00a0";
const at = "2026-12-02T01:20:14Z"; // 2 h 20 in Paris, 1 h 20 in UTC

test("a reply's or a request's time is the short form in the page's zone by default", () => {
  page.lang = "fr";
  assert.equal(formatTime(at), `2${N}déc.${N}2026, 2${N}h${N}20`);
  assert.equal(formatTime(at, "Europe/Paris"), `2${N}déc.${N}2026, 2${N}h${N}20`);
  page.lang = "en";
  assert.equal(formatTime(at), `2${N}Dec${N}2026, 2:20${N}am`);
  page.zone = "America/New_York";
  assert.equal(formatTime(at), `1${N}Dec${N}2026, 8:20${N}pm`);
  page.zone = "Europe/Paris";
  page.lang = "fr";
});

test("an instruction's revision time is the short form in the page's zone", () => {
  assert.equal(typeof io.when, "function");
  assert.equal(io.when(at), `2${N}déc.${N}2026, 2${N}h${N}20`);
  assert.equal(io.when(null), "");
});

test("a closure's days in the short date form", () => {
  assert.equal(shortDate("2026-12-01", "fr"), `1${N}déc.${N}2026`);
  assert.equal(shortDate("2026-12-01", "en"), `1${N}Dec${N}2026`);
  assert.equal(dateSpan("2026-12-01", "2026-12-05", "fr"), `1${N}déc.${N}2026 → 5${N}déc.${N}2026`);
  assert.equal(dateSpan("2026-12-01", "2026-12-01", "en"), `1${N}Dec${N}2026`);
  assert.equal(dateSpan("2026-12-01", "", "fr"), `1${N}déc.${N}2026`);
  assert.equal(shortDate("bientôt", "fr"), "bientôt");
});

// The page modules (inbox.js, desk.js, deposits.js) run against the DOM on import; what they
// use to write times is checked in their text: localdates.js, never Intl's own words or ISO.
const source = (path) => readFileSync(new URL(`../../web/static/js/${path}`, import.meta.url), "utf8");

test("no script writes a time with Intl's own date styles", () => {
  for (const path of ["pages/inbox.js", "app/instructions-io.js", "app/thread.js", "app/requests-panel.js", "pages/desk.js"]) {
    assert.doesNotMatch(source(path), /dateStyle|timeStyle/, path);
  }
  assert.match(source("pages/inbox.js"), /function localTime\(iso\) \{\n\s+return shortTime\(/);
});

test("closures on the desk are written with dateSpan, the deposits' thread in the page's zone", () => {
  assert.doesNotMatch(source("pages/desk.js"), /`\$\{c\.from\} → \$\{c\.to\}`/);
  assert.match(source("pages/desk.js"), /dateSpan\(c\.from, c\.to/);
  assert.match(source("pages/deposits.js"), /showThread\(box, \{[^}]*timeZone: pageZone\(\)/);
  assert.doesNotMatch(source("app/thread.js"), /\|\| "UTC"/);
});

test("without a zone, the scripts use the page's zone, never UTC", async () => {
  const { localMoment } = await import("../../web/static/js/app/instructions.js");
  const { zonedToUtc } = await import("../../web/static/js/app/zoned.js");
  const { clockTime } = await import("../../web/static/js/app/callnote.js");
  page.zone = "Europe/Paris";
  page.lang = "fr";
  assert.equal(localMoment(new Date(at)).time, "02:20");
  assert.equal(zonedToUtc("2026-12-02T02:20"), "2026-12-02T01:20:00Z");
  assert.match(clockTime(new Date(at)), /^2\s?h\s?20$/);
  assert.doesNotMatch(source("pages/item.js"), /\|\| "UTC"/);
});
