// One folding rule for display names in the browser and the command line (sameName in
// web/static/js/app/fingerprints.js): the cases of tests/cli/look_alike_names.json, also
// run by tests/cli/test_name_folding.py against cli/name_folding.py.
import { REPO } from "./helpers.mjs";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { sameName } from "../../web/static/js/app/fingerprints.js";

const { cases } = JSON.parse(
  readFileSync(join(REPO, "tests", "cli", "look_alike_names.json"), "utf8"),
);

for (const { a, b, same, why } of cases) {
  test(`display names: ${why}`, () => {
    assert.equal(sameName(a, b), same);
    assert.equal(sameName(b, a), same);
  });
}
