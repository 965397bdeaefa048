// A practice's instructions for its secretaries (docs/format.md §10, "Instruction bodies"):
// one document per type, each body a JSON object whose keys are defined here and in the
// format. Pure functions: reading a body whatever it holds (a reader never trusts a body's
// shape), today's on-call person and closures in the practice's time zone, the dialled line
// that names a practice, and the editor's forms to and from bodies.
import { DocType } from "../crypto/index.js";
import { normaliseCatalogue } from "./catalogue.js";
import { pageZone } from "./localdates.js";

export { DocType };

/** The instruction types the desk reads and the editor writes, in the editor's order. */
export const INSTRUCTION_TYPES = [
  DocType.PRACTICE_CARD,
  DocType.CALL_RULES,
  DocType.CUSTOM_FIELDS,
  DocType.CLOSURES,
  DocType.ON_CALL,
  DocType.CATALOGUE,
];

export const FIELD_TYPES = ["text", "choice", "yes_no", "date"];
export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const text = (value) => (typeof value === "string" ? value : value === undefined || value === null ? "" : String(value));
const list = (value) => (Array.isArray(value) ? value : []);
const strings = (value) => list(value).map(text).filter((s) => s !== "");
const object = (value) => (value !== null && typeof value === "object" && !Array.isArray(value) ? value : {});

/** A body of `type` read defensively: every key present, of the type the format names. */
export function normalise(type, body) {
  const b = object(body);
  switch (type) {
    case DocType.PRACTICE_CARD:
      return {
        address: text(b.address),
        opening_hours: text(b.opening_hours),
        services: text(b.services),
        what_to_say: text(b.what_to_say),
        practitioners: list(b.practitioners).map(object).map((p) => ({
          name: text(p.name),
          role: text(p.role),
          days: text(p.days),
        })),
        lines: list(b.lines).map(object).map((l) => ({ number: text(l.number), label: text(l.label) })),
      };
    case DocType.CALL_RULES:
      return {
        rules: list(b.rules).map(object).map((r) => ({
          id: text(r.id),
          name: text(r.name),
          instructions: text(r.instructions),
          fields: strings(r.fields),
        })),
      };
    case DocType.CUSTOM_FIELDS:
      return {
        fields: list(b.fields).map(object).map((f) => ({
          id: text(f.id),
          label: text(f.label),
          type: FIELD_TYPES.includes(f.type) ? f.type : "text",
          choices: strings(f.choices),
        })),
      };
    case DocType.CLOSURES:
      return {
        closures: list(b.closures).map(object).map((c) => ({
          from: text(c.from),
          to: text(c.to),
          who: text(c.who),
          replacement: text(c.replacement),
          note: text(c.note),
        })),
        // Appointment hours (docs/format.md §10, "Appointments"), beside the closures.
        availability: list(b.availability).map(object).map((r) => ({
          practitioner: text(r.practitioner),
          days: strings(r.days).filter((d) => DAYS.includes(d)),
          from: text(r.from),
          to: text(r.to),
          minutes: text(r.minutes),
        })),
      };
    case DocType.ON_CALL:
      return {
        entries: list(b.entries).map(object).map((e) => ({
          days: strings(e.days).filter((d) => DAYS.includes(d)),
          from: text(e.from),
          to: text(e.to),
          name: text(e.name),
          phone: text(e.phone),
          note: text(e.note),
        })),
      };
    case DocType.CATALOGUE:
      return normaliseCatalogue(b);
    default:
      return b;
  }
}

/** The practice's local day ("2026-12-01"), weekday ("tue") and time ("19:15") at `date`. */
export function localMoment(date, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: timeZone || pageZone(),
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      weekday: "short",
      hourCycle: "h23",
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return {
    day: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: parts.weekday.slice(0, 3).toLowerCase(),
    time: `${parts.hour}:${parts.minute}`,
  };
}

function previousDay(weekday) {
  return DAYS[(DAYS.indexOf(weekday) + 6) % 7];
}

/** The on-call entries that cover `date` (local day and time). An entry whose `to` is not
 *  after its `from` runs past midnight, into the next day; empty times mean the whole day. */
export function onCallAt(entries, date, timeZone) {
  const { weekday, time } = localMoment(date, timeZone);
  return entries.filter((e) => {
    const from = e.from || "00:00";
    const to = e.to || "24:00";
    if (from < to) return e.days.includes(weekday) && from <= time && time < to;
    return (e.days.includes(weekday) && time >= from) || (e.days.includes(previousDay(weekday)) && time < to);
  });
}

/** The on-call entries of the local day of `date` (whatever the hour), in time order. */
export function onCallToday(entries, date, timeZone) {
  const { weekday } = localMoment(date, timeZone);
  return entries.filter((e) => e.days.includes(weekday)).sort((a, b) => (a.from < b.from ? -1 : 1));
}

/** Closures and absences that cover the local day of `date` ("current") or start within
 *  `days` days ("coming"). */
export function closuresAround(closures, date, timeZone, days = 7) {
  const today = localMoment(date, timeZone).day;
  const horizon = localMoment(new Date(date.getTime() + days * 86400_000), timeZone).day;
  const current = [];
  const coming = [];
  for (const c of closures) {
    const from = c.from || c.to;
    const to = c.to || c.from;
    if (!from) continue;
    if (from <= today && today <= to) current.push(c);
    else if (today < from && from <= horizon) coming.push(c);
  }
  return { current, coming };
}

/** A phone number reduced for comparison: its digits, "+33 1 23…" and "01 23…" alike
 *  (the last 9 digits when both have at least 9). */
export function sameNumber(a, b) {
  const da = text(a).replace(/\D/g, "");
  const db = text(b).replace(/\D/g, "");
  if (da === "" || db === "") return false;
  if (da.length >= 9 && db.length >= 9) return da.slice(-9) === db.slice(-9);
  return da === db;
}

/** The id of the practice whose card lists the dialled line `to`, or null (none or several). */
export function practiceForLine(cards, to) {
  const matches = Object.entries(cards).filter(([, card]) => card && card.lines.some((l) => sameNumber(l.number, to)));
  return matches.length === 1 ? matches[0][0] : null;
}

// The editor's forms: scalar inputs carry data-key; lists are [data-list] holding rows
// [data-row] whose inputs carry data-key; checkboxes of one key give an array; data-split
// fields ("lines") give an array of their non-empty lines.

function readInput(inputs) {
  const first = inputs[0];
  if (first.type === "checkbox") return inputs.filter((i) => i.checked).map((i) => i.value);
  if (first.dataset.split !== undefined) {
    return first.value.split("\n").map((s) => s.trim()).filter((s) => s !== "");
  }
  return first.value.trim();
}

function group(inputs) {
  const keys = new Map();
  for (const input of inputs) {
    if (!keys.has(input.dataset.key)) keys.set(input.dataset.key, []);
    keys.get(input.dataset.key).push(input);
  }
  return keys;
}

/** The body a form of the editor describes. */
export function formBody(form) {
  const body = {};
  const own = [...form.querySelectorAll("[data-key]")].filter((i) => !i.closest("[data-row]"));
  for (const [key, inputs] of group(own)) body[key] = readInput(inputs);
  for (const box of form.querySelectorAll("[data-list]")) {
    body[box.dataset.list] = [...box.querySelectorAll(":scope > [data-row]")].map((row) => {
      const item = {};
      for (const [key, inputs] of group(row.querySelectorAll("[data-key]"))) item[key] = readInput(inputs);
      return item;
    }).filter((item) => Object.entries(item).some(([k, v]) => k !== "id" && (Array.isArray(v) ? v.length > 0 : v !== "")));
  }
  return body;
}

function writeInputs(inputs, value) {
  const first = inputs[0];
  if (first.type === "checkbox") {
    for (const input of inputs) input.checked = Array.isArray(value) && value.includes(input.value);
  } else if (first.dataset.split !== undefined) {
    first.value = Array.isArray(value) ? value.join("\n") : "";
  } else {
    first.value = value ?? "";
  }
}

/** A new row of list `name` in `form`, from its <template data-row-for=name>, with `item`. */
export function addRow(form, name, item = {}) {
  const template = form.querySelector(`template[data-row-for="${name}"]`);
  const row = template.content.firstElementChild.cloneNode(true);
  const n = form.querySelectorAll(`[data-list="${name}"] > [data-row]`).length;
  // Each row's labels point at their own inputs.
  for (const input of row.querySelectorAll("[data-key]")) {
    input.name = `${name}-${n}-${input.dataset.key}`;
  }
  for (const [key, inputs] of group(row.querySelectorAll("[data-key]"))) {
    writeInputs(inputs, key === "id" ? item.id || crypto.randomUUID() : item[key]);
  }
  form.querySelector(`[data-list="${name}"]`).append(row);
  return row;
}

/** Fill `form` with `body` (normalised), rebuilding its lists. */
export function fillForm(form, body) {
  const own = [...form.querySelectorAll("[data-key]")].filter((i) => !i.closest("[data-row]"));
  for (const [key, inputs] of group(own)) writeInputs(inputs, body[key]);
  for (const box of form.querySelectorAll("[data-list]")) {
    box.replaceChildren();
    for (const item of list(body[box.dataset.list])) addRow(form, box.dataset.list, item);
  }
}
