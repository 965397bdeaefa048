// A due time typed in the practice's zone is sent as the instant it names.
import "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { zonedToUtc } from "../../web/static/js/app/zoned.js";

test("Paris wall-clock times in winter, summer and UTC", () => {
  assert.equal(zonedToUtc("2026-12-03T14:00", "Europe/Paris"), "2026-12-03T13:00:00Z");
  assert.equal(zonedToUtc("2026-07-03T14:00", "Europe/Paris"), "2026-07-03T12:00:00Z");
  assert.equal(zonedToUtc("2026-12-03T14:00", "UTC"), "2026-12-03T14:00:00Z");
  assert.equal(zonedToUtc("2026-03-29T03:30", "Europe/Paris"), "2026-03-29T01:30:00Z");
});
