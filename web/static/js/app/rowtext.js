// What an inbox row says about an item, from its decrypted body, and the in-memory search
// index over every item of the practice. Pure functions (no DOM), tested under node.

import { phoneLink } from "./tel.js";

export { telHref } from "./tel.js";

/**
 * Text folded for searching: lower case, compatibility-decomposed (NFKD: "ﬁ" is "fi",
 * full-width digits are digits), combining marks removed ("Lefèvre" is "lefevre"),
 * and the ligatures NFKD keeps spelled out ("œ" is "oe", "æ" is "ae", "ß" is "ss").
 */
export function fold(text) {
  return String(text ?? "")
    .toLowerCase()
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .replace(/œ/g, "oe")
    .replace(/æ/g, "ae")
    .replace(/ß/g, "ss");
}

const UNITS = {
  fr: ["o", "Ko", "Mo", "Go", "To"],
  en: ["B", "KB", "MB", "GB", "TB"],
};

/** A file size as people read it: "12,5 Ko" / "12.5 KB" (powers of 1024). */
export function formatSize(bytes, lang) {
  const units = UNITS[lang === "en" ? "en" : "fr"];
  let value = Number(bytes) || 0;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const number = new Intl.NumberFormat(lang === "en" ? "en-GB" : "fr-FR", {
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
  return `${number}\u00a0${units[unit]}`;
}

function text(value) {
  return value === undefined || value === null ? "" : String(value);
}

/** The essentials a row shows, by kind (docs/format.md §5 bodies; any value shown as text). */
export function essentials(kind, json) {
  if (kind === "call_note") {
    const callback = text(json.callback_number);
    const phone = phoneLink(callback);
    return {
      kind,
      caller: text(json.caller_name),
      reason: text(json.reason),
      callback,
      tel: phone.href,
      telNumber: phone.number, // the link's text: exactly the number dialled
      telRest: phone.rest, // shown after the link, as plain text
    };
  }
  if (kind === "message") return { kind, subject: text(json.subject) };
  if (kind === "form") return { kind, json }; // summarised by app/forms/rows.js
  return { kind, name: text(json.name), size: Number.isSafeInteger(json.size) ? json.size : null };
}

// Inside nested objects (a call note's `custom_fields`: docs/format.md §5) the field's
// `id` and `type` ("rule:…", "text", "yes_no") are not what anyone searches for.
const NESTED_SKIP = new Set(["id", "type"]);
const MAX_DEPTH = 4;

/** Every string value of a decrypted body, nested ones included (labels and values). */
function strings(value, out, depth, nested) {
  if (typeof value === "string") out.push(value);
  else if (depth < MAX_DEPTH && value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      if (nested && NESTED_SKIP.has(key)) continue;
      strings(inner, out, depth + 1, depth > 0);
    }
  }
  return out;
}

/** Everything of an item a search looks in, folded once (digits of numbers also run together). */
export function searchText(kind, json, extra = []) {
  const values = strings(json ?? {}, [], 0, false).concat(extra.map(text));
  if (kind === "call_note") values.push(text(json.callback_number).replace(/[^0-9]/g, ""));
  return fold(values.join("\n"));
}

/** The words of a query, folded; an item matches when it contains every word. */
export function queryWords(query) {
  return fold(query).split(/\s+/).filter(Boolean);
}

/**
 * Every decrypted item of the practice, in memory only (gone with the page): id → entry
 * `{ id, at, text, ... }`. `search` returns the matching entries, newest first.
 */
export class SearchIndex {
  constructor() {
    this.entries = new Map();
  }

  get size() {
    return this.entries.size;
  }

  add(entry) {
    this.entries.set(entry.id, entry);
  }

  search(query) {
    const words = queryWords(query);
    if (words.length === 0) return [];
    const found = [];
    for (const entry of this.entries.values()) {
      if (words.every((w) => entry.text.includes(w))) found.push(entry);
    }
    return found.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }
}

/** The index entry of an opened item (`openOne`'s answer) and its batch row. */
export function indexEntry(opened, item) {
  return {
    id: opened.id,
    at: new Date(item.deposited_at).toISOString(),
    kind: opened.signed.kind,
    urgency: opened.signed.urgency,
    what: essentials(opened.signed.kind, opened.json),
    text: searchText(opened.signed.kind, opened.json, [opened.author.name]),
  };
}

/** Open every item of a search batch: its index entries and how many were unreadable. */
export function indexBatch(answer, practiceSecretKey, openOne) {
  const entries = [];
  let unreadable = 0;
  for (const item of answer.items) {
    const opened = openOne(item, answer, practiceSecretKey);
    if (opened.ok) entries.push(indexEntry(opened, item));
    else unreadable += 1;
  }
  return { entries, unreadable };
}
