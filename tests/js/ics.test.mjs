// The agenda's .ics export: RFC 5545 line endings, folding, escaping and UTC conversion.
import "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeText, foldLine, icsCalendar } from "../../web/static/js/app/ics.js";

test("TEXT escaping of backslash, semicolon, comma and newlines", () => {
  assert.equal(escapeText("a\\b;c,d\ne\r\nf"), "a\\\\b\\;c\\,d\\ne\\nf");
});

test("lines fold at 75 octets without splitting a character", () => {
  const line = "DESCRIPTION:" + "é".repeat(80);
  const folded = foldLine(line);
  assert.ok(folded.endsWith("\r\n"));
  const parts = folded.slice(0, -2).split("\r\n");
  for (const [i, p] of parts.entries()) {
    const octets = Buffer.byteLength(p, "utf8");
    assert.ok(octets <= 75, `line ${i} has ${octets} octets`);
    if (i > 0) assert.equal(p[0], " ");
  }
  assert.equal(parts.map((p, i) => (i ? p.slice(1) : p)).join(""), line);
  assert.equal(foldLine("SHORT:x"), "SHORT:x\r\n");
});

test("a calendar in UTC converted from the practice's zone, CRLF only", () => {
  const ics = icsCalendar(
    [
      { uid: "a@permanence", start: "2026-12-03T09:30", minutes: 30, summary: "Mme Durand, suivi", status: "CONFIRMED" },
      { uid: "b@permanence", start: "2026-07-03T14:00", minutes: 45, summary: "M. X", description: "Douleur; genou", status: "TENTATIVE" },
    ],
    { timeZone: "Europe/Paris", now: new Date("2026-12-02T10:00:00.123Z") },
  );
  assert.ok(ics.startsWith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
  assert.ok(ics.endsWith("END:VCALENDAR\r\n"));
  assert.equal(ics.replace(/\r\n/g, "").includes("\n"), false);
  assert.match(ics, /DTSTART:20261203T083000Z\r\nDTEND:20261203T090000Z\r\n/);
  assert.match(ics, /DTSTART:20260703T120000Z\r\nDTEND:20260703T124500Z\r\n/); // summer time
  assert.match(ics, /SUMMARY:Mme Durand\\, suivi\r\n/);
  assert.match(ics, /DESCRIPTION:Douleur\\; genou\r\n/);
  assert.match(ics, /DTSTAMP:20261202T100000Z\r\n/);
});
