// The instruction bodies read by the desk: on-call by day and hour, closures, dialled lines.
import assert from "node:assert/strict";
import { test } from "node:test";
import "./helpers.mjs";

import {
  closuresAround,
  DocType,
  normalise,
  onCallAt,
  onCallToday,
  practiceForLine,
  sameNumber,
} from "../../web/static/js/app/instructions.js";

const PARIS = "Europe/Paris";
// Tuesday 1 December 2026, 19:15 in Paris (18:15 UTC).
const TUESDAY_EVENING = new Date("2026-12-01T18:15:00Z");

test("a body of any shape reads as the keys of its type", () => {
  assert.deepEqual(normalise(DocType.ON_CALL, { entries: [{ days: ["tue", "xyz", 3], name: 7 }] }), {
    entries: [{ days: ["tue"], from: "", to: "", name: "7", phone: "", note: "" }],
  });
  assert.deepEqual(normalise(DocType.CUSTOM_FIELDS, null), { fields: [] });
  assert.equal(normalise(DocType.CUSTOM_FIELDS, { fields: [{ type: "weird" }] }).fields[0].type, "text");
  assert.deepEqual(normalise(DocType.PRACTICE_CARD, []).lines, []);
});

test("the on-call person by day and hour, in the practice's time zone", () => {
  const entries = normalise(DocType.ON_CALL, {
    entries: [
      { days: ["tue"], from: "08:00", to: "19:00", name: "Dr Day" },
      { days: ["tue"], from: "19:00", to: "08:00", name: "Dr Night" },
      { days: ["wed"], from: "", to: "", name: "Dr Wednesday" },
    ],
  }).entries;
  assert.deepEqual(onCallAt(entries, TUESDAY_EVENING, PARIS).map((e) => e.name), ["Dr Night"]);
  // At 18:15 UTC it is still day time in UTC's clock, night time in Paris.
  assert.deepEqual(onCallAt(entries, TUESDAY_EVENING, "UTC").map((e) => e.name), ["Dr Day"]);
  // Wednesday 03:00 in Paris: the Tuesday night entry runs past midnight, and Wednesday's all-day one.
  const wednesdayNight = new Date("2026-12-02T02:00:00Z");
  assert.deepEqual(onCallAt(entries, wednesdayNight, PARIS).map((e) => e.name).sort(), ["Dr Night", "Dr Wednesday"]);
  assert.deepEqual(onCallToday(entries, TUESDAY_EVENING, PARIS).map((e) => e.name), ["Dr Day", "Dr Night"]);
});

test("closures that cover today, and those coming within a week", () => {
  const closures = normalise(DocType.CLOSURES, {
    closures: [
      { from: "2026-11-30", to: "2026-12-02", who: "Dr Martin", replacement: "Dr Durand" },
      { from: "2026-12-05", to: "2026-12-06", who: "" },
      { from: "2026-12-20", to: "2026-12-31", who: "" },
      { from: "2026-11-01", to: "2026-11-02", who: "" },
    ],
  }).closures;
  const { current, coming } = closuresAround(closures, TUESDAY_EVENING, PARIS);
  assert.deepEqual(current.map((c) => c.who), ["Dr Martin"]);
  assert.deepEqual(coming.map((c) => c.from), ["2026-12-05"]);
});

test("the dialled line names one practice, whatever its spelling", () => {
  assert.ok(sameNumber("+33 1 23 45 67 89", "01.23.45.67.89"));
  assert.ok(!sameNumber("+33 1 23 45 67 89", "01 23 45 67 80"));
  assert.ok(!sameNumber("", ""));
  assert.ok(sameNumber("112", "112"));
  const cards = {
    a: normalise(DocType.PRACTICE_CARD, { lines: [{ number: "+33 1 23 45 67 89" }] }),
    b: normalise(DocType.PRACTICE_CARD, { lines: [{ number: "04 11 22 33 44" }] }),
    c: null,
  };
  assert.equal(practiceForLine(cards, "0123456789"), "a");
  assert.equal(practiceForLine(cards, "+33411223344"), "b");
  assert.equal(practiceForLine(cards, "0999999999"), null);
  cards.d = cards.a;
  assert.equal(practiceForLine(cards, "0123456789"), null); // two practices claim it: none is chosen
});
