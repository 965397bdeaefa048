// iCalendar files (RFC 5545) written in the browser from decrypted appointments: nothing in
// clear reaches the server. Times are written in UTC (`DTSTART:20261203T090000Z`), converted
// from the practice's wall-clock time in its zone, so that no VTIMEZONE is needed and every
// calendar shows the right local time. Lines end in CRLF and are folded at 75 octets (UTF-8,
// never inside a character); TEXT values escape backslash, semicolon, comma and newlines.
import { zonedToUtc } from "./zoned.js";

/** A TEXT value escaped (RFC 5545 §3.3.11). */
export function escapeText(value) {
  return String(value)
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r\n|\r|\n/g, "\\n");
}

const encoder = new TextEncoder();

/** One content line folded (RFC 5545 §3.1): at most 75 octets a line, continuation lines
 *  starting with a space, a character never split. Ends with CRLF. */
export function foldLine(line) {
  const out = [];
  let current = "";
  let size = 0;
  for (const ch of line) {
    const n = encoder.encode(ch).length;
    const limit = out.length === 0 ? 75 : 74; // the leading space counts
    if (size + n > limit) {
      out.push(current);
      current = "";
      size = 0;
    }
    current += ch;
    size += n;
  }
  out.push(current);
  return out.join("\r\n ") + "\r\n";
}

/** "2026-12-03T13:00:00Z" → "20261203T130000Z". */
export function icsUtc(iso) {
  return iso.replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/**
 * A VCALENDAR of `events`: `[{uid, start: "YYYY-MM-DDTHH:MM" (wall time in `timeZone`),
 * minutes, summary, description, status: "CONFIRMED"|"TENTATIVE"|"CANCELLED"}]`.
 * `now` (a Date) stamps DTSTAMP.
 */
export function icsCalendar(events, { timeZone, now }) {
  const stamp = icsUtc(now.toISOString());
  const lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Permanence//Agenda//FR", "CALSCALE:GREGORIAN"];
  for (const e of events) {
    const start = zonedToUtc(e.start, timeZone);
    const end = new Date(Date.parse(start) + e.minutes * 60000).toISOString();
    lines.push(
      "BEGIN:VEVENT",
      `UID:${e.uid}`,
      `DTSTAMP:${stamp}`,
      `DTSTART:${icsUtc(start)}`,
      `DTEND:${icsUtc(end)}`,
      `SUMMARY:${escapeText(e.summary)}`,
    );
    if (e.description) lines.push(`DESCRIPTION:${escapeText(e.description)}`);
    if (e.status) lines.push(`STATUS:${e.status}`);
    lines.push("END:VEVENT");
  }
  lines.push("END:VCALENDAR");
  return lines.map(foldLine).join("");
}
