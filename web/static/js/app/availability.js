// Booking guided by the practice's instructions (docs/format.md §10, "Appointments"):
// the availability rules (per practitioner: days, hours, slot length) kept in the closures
// document beside the closures, and the busy slots (times only) the practice's browser
// publishes under the team key. Pure functions over local wall-clock times of the practice
// ("2026-12-03", "09:30"), no instant involved: conflicts and slots are decided in the
// practice's own time, as its agenda shows them.
import { DAYS } from "./instructions.js";

const text = (value) => (typeof value === "string" ? value : "");
const list = (value) => (Array.isArray(value) ? value : []);
const object = (value) => (value !== null && typeof value === "object" && !Array.isArray(value) ? value : {});
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Minutes since midnight of "HH:MM", or null. "24:00" is the end of the day. */
export function minutesOf(time) {
  if (time === "24:00") return 1440;
  if (!TIME.test(time)) return null;
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

/** "HH:MM" of minutes since midnight (0..1439). */
export function timeOf(minutes) {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** A slot length read from its text: an integer of minutes 5..480, else the default 30. */
export function slotMinutes(value) {
  const n = /^\d{1,3}$/.test(text(value)) ? Number(value) : NaN;
  return n >= 5 && n <= 480 ? n : 30;
}

/** The availability rules of a closures body, read defensively (every value a string or a list). */
export function normaliseAvailability(body) {
  return list(object(body).availability).map(object).map((r) => ({
    practitioner: text(r.practitioner),
    days: list(r.days).filter((d) => DAYS.includes(d)),
    from: text(r.from),
    to: text(r.to),
    minutes: text(r.minutes),
  }));
}

/** The busy slots of a busy-slots body: `[{practitioner, start: "YYYY-MM-DDTHH:MM", minutes}]`,
 *  those that do not parse left out. */
export function normaliseBusy(body) {
  return list(object(body).slots)
    .map(object)
    .map((s) => ({ practitioner: text(s.practitioner), start: text(s.start), minutes: text(s.minutes) }))
    .filter((s) => parseStart(s.start) !== null);
}

/** {day, minutes} of "YYYY-MM-DDTHH:MM", or null. */
export function parseStart(start) {
  const [day, time] = text(start).split("T");
  if (!DAY.test(day || "") || minutesOf(time || "") === null || time === "24:00") return null;
  return { day, minutes: minutesOf(time) };
}

/** The weekday ("mon"…"sun") of a local day "YYYY-MM-DD" (a calendar day: no zone involved). */
export function weekdayOf(day) {
  const [y, m, d] = day.split("-").map(Number);
  return DAYS[(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7];
}

/** "YYYY-MM-DD" `n` days after `day`. */
export function addDays(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

// A wall-clock position in minutes from an arbitrary origin, to compare slots across days.
function position(day, minutes) {
  const [y, m, d] = day.split("-").map(Number);
  return Date.UTC(y, m - 1, d) / 60000 + minutes;
}

const samePerson = (a, b) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The closures that cover `day` for `practitioner` (those of the whole practice, `who` ""). */
export function closedOn(closures, practitioner, day) {
  return closures.filter((c) => {
    const from = c.from || c.to;
    const to = c.to || c.from;
    if (!from || from > day || day > to) return false;
    return c.who === "" || samePerson(c.who, practitioner);
  });
}

/** The slots offered for `practitioner` on `day`: `[{start: "HH:MM", minutes}]` from the rules
 *  of that weekday, none on a closed day. */
export function slotsFor(rules, closures, practitioner, day) {
  if (!DAY.test(day) || closedOn(closures, practitioner, day).length) return [];
  const weekday = weekdayOf(day);
  const out = [];
  for (const r of rules) {
    if (!samePerson(r.practitioner, practitioner) || !r.days.includes(weekday)) continue;
    const from = minutesOf(r.from);
    const to = minutesOf(r.to);
    if (from === null || to === null || to <= from) continue;
    const length = slotMinutes(r.minutes);
    for (let m = from; m + length <= to; m += length) out.push({ start: timeOf(m), minutes: length });
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** The practitioners the rules name, in their order, once each. */
export function practitionersOf(rules) {
  const out = [];
  for (const r of rules) if (r.practitioner && !out.some((p) => samePerson(p, r.practitioner))) out.push(r.practitioner);
  return out;
}

/** The busy slots that overlap the wanted one (same practitioner; a busy slot of nobody in
 *  particular, practitioner "", blocks everyone). `wanted` = {practitioner, start, minutes}. */
export function conflicts(busy, wanted) {
  const w = parseStart(wanted.start);
  if (w === null) return [];
  const a = position(w.day, w.minutes);
  const b = a + slotMinutes(String(wanted.minutes));
  return busy.filter((s) => {
    if (s.practitioner !== "" && !samePerson(s.practitioner, wanted.practitioner)) return false;
    const p = parseStart(s.start);
    const c = position(p.day, p.minutes);
    const d = c + slotMinutes(s.minutes);
    return a < d && c < b;
  });
}

/** Why a wanted slot is outside what the instructions offer: "closed" (a closure covers the
 *  day), "hours" (no rule of that practitioner covers it), or "" (inside). With no rule at all
 *  for that practitioner, hours are not checked (the practice has not written them). */
export function outsideAvailability(rules, closures, wanted) {
  const w = parseStart(wanted.start);
  if (w === null) return "hours";
  if (closedOn(closures, wanted.practitioner, w.day).length) return "closed";
  const own = rules.filter((r) => samePerson(r.practitioner, wanted.practitioner));
  if (!own.length) return "";
  const end = w.minutes + slotMinutes(String(wanted.minutes));
  const weekday = weekdayOf(w.day);
  const inside = own.some((r) => {
    const from = minutesOf(r.from);
    const to = minutesOf(r.to);
    return r.days.includes(weekday) && from !== null && to !== null && from <= w.minutes && end <= to;
  });
  return inside ? "" : "hours";
}
