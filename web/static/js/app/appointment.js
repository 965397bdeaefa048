// An appointment as the practice's browser reads it: the values of the deposited form (the
// built-in appointment template, docs/format.md §5 and §10), the state the server keeps
// (requested, confirmed, moved, declined) and, for a move, the new time from the practice's
// reply (§11: `{"text", "start", "minutes"}`, encrypted under the team key). Pure functions.
import { parseStart, slotMinutes } from "./availability.js";

export const STATUSES = ["requested", "confirmed", "moved", "declined"];
// The field ids of the built-in appointment template (app/forms/builtins.js), kept by the
// practice's copies whatever their labels say → the keys of an appointment here.
export const FIELDS = {
  person: "caller",
  contact: "contact",
  practitioner: "practitioner",
  date: "date",
  time: "time",
  duration: "minutes",
  reason: "reason",
  visit: "visit",
};
const FIRST = ["première visite", "first visit"];
const FOLLOW_UP = ["suivi", "follow-up"];

const text = (value) => (typeof value === "string" ? value : typeof value === "number" ? String(value) : "");
const object = (value) => (value !== null && typeof value === "object" && !Array.isArray(value) ? value : {});

/** The values of a form body, as `{key: text}`: `values` an object, or a list of
 *  `{id | key, value}`. Unknown shapes give `{}`. */
export function valuesOf(body) {
  const values = object(body).values;
  if (Array.isArray(values)) {
    const out = {};
    for (const v of values.map(object)) out[text(v.key) || text(v.id)] = v.value;
    return out;
  }
  return object(values);
}

/** The appointment described by a form body (read defensively). */
export function appointmentOf(body) {
  const v = valuesOf(body);
  const out = {};
  for (const [id, key] of Object.entries(FIELDS)) out[key] = text(v[id]).trim();
  out.minutes = String(slotMinutes(out.minutes));
  const visit = out.visit.toLowerCase();
  out.visit = FIRST.includes(visit) ? "first" : FOLLOW_UP.includes(visit) ? "follow_up" : out.visit;
  out.start = out.date && out.time ? `${out.date}T${out.time}` : "";
  // Whether the secretary booked a slot or took a request (the desk's own key, §10).
  out.mode = object(body).appointment === "request" ? "request" : "slot";
  return out;
}

/** The time an appointment holds: the practice's new time for a move, else the one asked. */
export function heldTime(appointment, state, reply) {
  if (state.status === "moved" && reply && parseStart(text(reply.start))) {
    return { start: reply.start, minutes: String(slotMinutes(text(reply.minutes))) };
  }
  return { start: appointment.start, minutes: appointment.minutes };
}

/** The busy slots to publish (times only: practitioner, start, minutes), from the confirmed
 *  and moved appointments starting on `today` or later, sorted. */
export function busySlots(entries, today) {
  const slots = [];
  for (const e of entries) {
    if (e.status !== "confirmed" && e.status !== "moved") continue;
    const p = parseStart(e.start);
    if (p === null || p.day < today) continue;
    slots.push({ practitioner: e.practitioner, start: e.start, minutes: e.minutes });
  }
  return slots.sort((a, b) => (a.start + a.practitioner < b.start + b.practitioner ? -1 : 1));
}

/** Whether two busy-slot lists are the same (no new revision needed). */
export function sameSlots(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}
