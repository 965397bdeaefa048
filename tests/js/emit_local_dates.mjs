// Formats the instants given on stdin with web/static/js/app/localdates.js, for
// tests/web/test_local_dates.py to compare with Python's text. Not a test file itself.
// stdin: JSON [{"at": unix seconds, "zone": "Europe/Paris"}, ...]; stdout: JSON
// [{"fr": [short, long], "en": [short, long], "duration": text}, ...] in the same order.
import { readFileSync } from "node:fs";
import { formatDuration, longTime, shortTime } from "../../web/static/js/app/localdates.js";

const cases = JSON.parse(readFileSync(0, "utf8"));
const out = cases.map(({ at, zone }) => ({
  fr: [shortTime(at, zone, "fr"), longTime(at, zone, "fr")],
  en: [shortTime(at, zone, "en"), longTime(at, zone, "en")],
  duration: formatDuration(at % 100000),
}));
process.stdout.write(JSON.stringify(out));
