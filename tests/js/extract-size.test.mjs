// The size stated when an extract is over the vault's limit (web/static/js/pages/extract-upload.js):
// mebibytes, "Mio" with a decimal comma and a no-break space in French, "MiB" in English.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatMib } from "../../web/static/js/pages/extract-upload.js";

const MIB = 1024 * 1024;

test("French: decimal comma, no-break space, Mio", () => {
  assert.equal(formatMib(100 * MIB, "fr"), "100\u00a0Mio");
  assert.equal(formatMib(12.5 * MIB, "fr"), "12,5\u00a0Mio");
  assert.equal(formatMib(0.25 * MIB, "fr"), "0,3\u00a0Mio");
});

test("English: decimal point, MiB", () => {
  assert.equal(formatMib(12.5 * MIB, "en"), "12.5 MiB");
  assert.equal(formatMib(3 * MIB, "en"), "3 MiB");
});
