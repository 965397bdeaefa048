// Records (saisie, docs/items.md "Forms"): the forms of one template as a table — one column
// per field of any of its versions (the last version's order and labels first), then the
// version, the deposit time and the author — searched in the browser, and written as CSV for
// French Excel: UTF-8 with a BOM, ";" between cells, CRLF between records, a cell quoted
// (RFC 4180, quotes doubled) when it holds ";", a quote, CR or LF; decimal comma, dates
// DD/MM/YYYY, times HH:MM, yes/no as Oui/Non. Text cells are exactly what was entered.
// Pure functions (no DOM), tested in tests/js/forms-records.test.mjs; `permanence fetch`
// writes the same bytes (cli/forms_export.py).
//
// Exported:
//   recordColumns(template)           → [{id, label, field}] the fields of every version
//   recordRow(columns, form, meta)    → the row's cells as text (meta: {version, at, author})
//   recordsTable(template, forms, {timeZone}) → {header, rows, ids}: forms is
//        [{id, json, at (ISO), author}] (the template's forms, newest first)
//   csvCell(text)                     → one cell, quoted when it must be
//   toCsv(header, rows)               → the CSV text (without BOM), CRLF after every record
//   csvBytes(header, rows)            → Uint8Array: BOM + UTF-8 of toCsv
//   cellText(field, value)            → one value as its CSV cell's text (French conventions)
//   localStamp(iso, timeZone)         → "02/12/2026 14:30" in that zone
//   matchesAll(rowText, words)        → whether a row (its folded text) holds every word
import { latestVersion } from "./template.js";
import { readFormBody } from "./view.js";

const HEAD = { version: "Version", at: "Déposé le", author: "Par" };
const YES_NO = { yes: "Oui", no: "Non" };

/** One column per field id of any version: the last version's first, then older ones. */
export function recordColumns(template) {
  const columns = [];
  const seen = new Set();
  const versions = [latestVersion(template), ...[...template.versions].sort((a, b) => b.version - a.version)];
  for (const version of versions) {
    for (const field of version?.fields ?? []) {
      if (seen.has(field.id)) continue;
      seen.add(field.id);
      columns.push({ id: field.id, label: field.label || field.id, field });
    }
  }
  return columns;
}

function decimal(value) {
  return /^-?\d+(\.\d+)?$/.test(value) ? value.replace(".", ",") : value;
}

/** A value as its cell's text: French Excel's decimal comma and date order; text as entered. */
export function cellText(field, value) {
  if (value === undefined || value === null) return "";
  if (field.type === "table") {
    if (!Array.isArray(value)) return typeof value === "string" ? value : "";
    return value
      .map((row) => field.columns.map((c) => cellText(c, row?.[c.id])).join(" | "))
      .join("\n");
  }
  if (typeof value !== "string") return Array.isArray(value) ? "" : String(value);
  switch (field.type) {
    case "number":
    case "money":
      return decimal(value);
    case "date": {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      return m ? `${m[3]}/${m[2]}/${m[1]}` : value;
    }
    case "yes_no":
      return YES_NO[value] ?? value;
    default:
      return value;
  }
}

/** "02/12/2026 14:30": a deposit time in the practice's zone, as French Excel reads one. */
export function localStamp(iso, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

/** The cells of one form: its values by column, then version, deposit time and author. */
export function recordRow(columns, json, meta) {
  const body = readFormBody(json);
  const version = body.templateVersion;
  return [...columns.map((c) => cellText(c.field, body.values[c.id])), String(version), meta.at, meta.author];
}

/** The records table of `template` from its opened forms. */
export function recordsTable(template, forms, { timeZone } = {}) {
  const columns = recordColumns(template);
  const header = [...columns.map((c) => c.label), HEAD.version, HEAD.at, HEAD.author];
  const rows = forms.map((f) => recordRow(columns, f.json, { at: f.at ? localStamp(f.at, timeZone) : "", author: f.author ?? "" }));
  return { header, rows, ids: forms.map((f) => f.id), columns };
}

/** One CSV cell: quoted (quotes doubled) when it holds the separator, a quote, CR or LF. */
export function csvCell(text) {
  const s = String(text);
  return /[;"\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV text: ";" between cells, CRLF after every record (the last one too). */
export function toCsv(header, rows) {
  return [header, ...rows].map((r) => `${r.map(csvCell).join(";")}\r\n`).join("");
}

/** The file's bytes: the UTF-8 BOM French Excel needs to read UTF-8, then the CSV. */
export function csvBytes(header, rows) {
  const body = new TextEncoder().encode(toCsv(header, rows));
  const out = new Uint8Array(body.length + 3);
  out.set([0xef, 0xbb, 0xbf]);
  out.set(body, 3);
  return out;
}

/** Whether a row's folded text holds every folded word of a query. */
export function matchesAll(rowText, words) {
  return words.every((w) => rowText.includes(w));
}
