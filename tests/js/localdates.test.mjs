// Times, durations and numbers in the browser (web/static/js/app/localdates.js) write the
// same text as the server (web/local_dates.py): both are checked against the same cases
// (local_dates_cases.json; tests/web/test_local_dates.py also runs emit_local_dates.mjs over
// a sweep of instants and compares its output with Python's, character for character).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  formatDuration,
  formatNumber,
  longTime,
  machineTime,
  pageZone,
  shortTime,
} from "../../web/static/js/app/localdates.js";

const CASES = JSON.parse(readFileSync(new URL("./local_dates_cases.json", import.meta.url), "utf8"));
const text = (notation) => notation.replaceAll("~", "\u00a0").replaceAll("^", "\u202f");

test("times in the practice's zone, short and long, as the server writes them", () => {
  for (const c of CASES.times) {
    for (const lang of ["fr", "en"]) {
      const [short, long] = c[lang].map(text);
      assert.equal(shortTime(c.at, c.zone, lang), short, `${c.at} ${c.zone} ${lang}`);
      assert.equal(longTime(c.at, c.zone, lang), long, `${c.at} ${c.zone} ${lang}`);
      // Unix seconds and Date objects give the same text as ISO strings.
      const seconds = Date.parse(c.at) / 1000;
      assert.equal(shortTime(seconds, c.zone, lang), short);
      assert.equal(longTime(new Date(c.at), c.zone, lang), long);
    }
  }
});

test("any other language reads French, the default", () => {
  const c = CASES.times[0];
  assert.equal(shortTime(c.at, c.zone, "de"), text(c.fr[0]));
});

test("durations and numbers as the server writes them", () => {
  for (const [seconds, expected] of CASES.durations) assert.equal(formatDuration(seconds), text(expected));
  for (const n of CASES.numbers) {
    assert.equal(formatNumber(n.value, "fr"), text(n.fr), String(n.value));
    assert.equal(formatNumber(n.value, "en"), text(n.en), String(n.value));
  }
});

test("the page states the practice's zone; Paris when it does not", () => {
  const page = (zone) => ({ querySelector: () => (zone ? { content: zone } : null) });
  assert.equal(pageZone(page("Indian/Reunion")), "Indian/Reunion");
  assert.equal(pageZone(page("")), "Europe/Paris");
  assert.equal(pageZone(undefined), "Europe/Paris");
});

test("the machine-readable time is UTC to the second", () => {
  assert.equal(machineTime("2026-12-01T19:15:00.250+01:00"), "2026-12-01T18:15:00Z");
  assert.equal(machineTime(0), "1970-01-01T00:00:00Z");
});
