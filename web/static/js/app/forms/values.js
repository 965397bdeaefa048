// Form values (docs/format.md §5, "Form values"): what a secretary typed turned into the one
// canonical form each field type has, the checks before a deposit, the form item's body, and
// a value written for reading. Pure functions (no DOM), tested in tests/js/forms.test.mjs.
//
// Exported:
//   canonicalNumber(text)            → "12.5" for "12,5", " 12.50 ", "+12.5"; null when not a number
//   canonicalMoney(text)             → "12.50" for "12,5", "12 €", "1 234,5"; null when not an amount
//   canonicalDate(text)              → "2026-12-02" for a valid date typed so (or "02/12/2026"); null
//   canonicalTime(text)              → "09:30" for "9:30", "9h30", "09 h 30"; null
//   canonicalValue(field, raw)       → {value} canonical, or {problem: {fr, en}} (raw: what was typed;
//                                      a yes/no "yes"/"no"/""; a table: rows of raw cells)
//   emptyValues(version)             → every field of the version, empty
//   checkValues(version, raw)        → {values, problems: [{field, row?, column?, message: {fr, en}}]}
//                                      every value canonical, required fields and columns checked
//   formBody(template, version, values) → the form item's body (§5), every field written
//   displayValue(field, value, lang) → the value as a person reads it ("12,50 €", "oui",
//                                      "2 déc. 2026"…) — tables excluded (rows of cells)
//   decimalForDisplay(canonical, lang) → "12,5" in French, "12.5" in English
//   isEmpty(field, value)            → whether a value counts as not filled in

const YES_NO = { yes: { fr: "oui", en: "yes" }, no: { fr: "non", en: "no" } };

function cleanDecimal(raw) {
  if (typeof raw !== "string") return null;
  // Spaces of any kind (thousands: "1 234,5" with U+00A0 or U+202F) and a euro sign go.
  let s = raw.replace(/[\s\u00a0\u202f]/g, "").replace(/€$/, "").replace(/^€/, "");
  if (s.startsWith("+")) s = s.slice(1);
  s = s.replace(/^(-?)([.,]\d)/, "$10$2"); // ",5" is 0.5
  if (/^-?\d+,\d+$/.test(s)) s = s.replace(",", ".");
  else if (/^-?\d{1,3}(\.\d{3})+,\d+$/.test(s)) s = s.replace(/\./g, "").replace(",", "."); // 1.234,5
  else if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, ""); // 1,234.5
  if (/^-?\d+\.$/.test(s)) s = s.slice(0, -1);
  if (!/^-?\d+(\.\d+)?$/.test(s)) return null;
  const negative = s.startsWith("-");
  let [whole, fraction = ""] = (negative ? s.slice(1) : s).split(".");
  whole = whole.replace(/^0+(?=\d)/, "");
  return { negative, whole, fraction };
}

function joinDecimal({ negative, whole, fraction }) {
  const body = fraction ? `${whole}.${fraction}` : whole;
  return negative && /[1-9]/.test(body) ? `-${body}` : body;
}

/** "12.5" for "12,5", "+12.50", "1 234,5" (→ "1234.5"); trailing zeros of the fraction go. */
export function canonicalNumber(raw) {
  const d = cleanDecimal(raw);
  if (!d) return null;
  return joinDecimal({ ...d, fraction: d.fraction.replace(/0+$/, "") });
}

/** "12.50" for "12,5", "12 €", "12.5000"; at least 2, at most 4 decimals; null otherwise. */
export function canonicalMoney(raw) {
  const d = cleanDecimal(raw);
  if (!d) return null;
  let fraction = d.fraction.replace(/0+$/, "");
  if (fraction.length > 4) return null;
  fraction = fraction.padEnd(2, "0");
  return joinDecimal({ ...d, fraction });
}

function validDate(y, m, d) {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** "2026-12-02" for "2026-12-02" or "2/12/2026" (day first, as in France); null otherwise. */
export function canonicalDate(raw) {
  if (typeof raw !== "string") return null;
  const s = raw.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  let y;
  let mo;
  let d;
  if (m) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else if ((m = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/.exec(s))) [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else return null;
  if (y < 1 || !validDate(y, mo, d)) return null;
  return `${String(y).padStart(4, "0")}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** "09:30" for "9:30", "9h30", "9 h", "09 h 30"; null otherwise (24 h clock). */
export function canonicalTime(raw) {
  if (typeof raw !== "string") return null;
  const m = /^(\d{1,2})\s*(?:[:h]\s*(\d{2})?)?$/i.exec(raw.trim().replace(/[\u00a0\u202f]/g, " "));
  if (!m) return null;
  const h = Number(m[1]);
  const min = m[2] === undefined ? 0 : Number(m[2]);
  if (m[2] === undefined && !/h/i.test(raw)) return null; // "9" alone is not a time
  if (h > 23 || min > 59) return null;
  return `${String(h).padStart(2, "0")}:${String(min).padStart(2, "0")}`;
}

const PROBLEM = {
  number: { fr: "n'est pas un nombre (par exemple 12,5).", en: "is not a number (for example 12.5)." },
  money: { fr: "n'est pas un montant en euros (par exemple 12,50, au plus 4 décimales).", en: "is not an amount in euros (for example 12.50, at most 4 decimals)." },
  date: { fr: "n'est pas une date (par exemple 2026-12-02).", en: "is not a date (for example 2026-12-02)." },
  time: { fr: "n'est pas une heure (par exemple 09:30).", en: "is not a time (for example 09:30)." },
  choice: { fr: "n'est pas l'un des choix proposés.", en: "is not one of the choices offered." },
  yes_no: { fr: "doit être oui ou non.", en: "must be yes or no." },
  table: { fr: "n'est pas un tableau de lignes.", en: "is not a table of lines." },
};

/** `{value}` in the canonical form of the field's type, or `{problem}` (a sentence's end). */
export function canonicalValue(field, raw) {
  if (field.type === "table") {
    if (raw === undefined || raw === null || raw === "") return { value: [] };
    if (!Array.isArray(raw)) return { problem: PROBLEM.table };
    const rows = [];
    for (const rawRow of raw) {
      const row = {};
      const source = rawRow !== null && typeof rawRow === "object" ? rawRow : {};
      for (const column of field.columns) {
        const cell = canonicalValue(column, source[column.id]);
        if (cell.problem) return { problem: cell.problem, column: column.id, row: rows.length };
        row[column.id] = cell.value;
      }
      if (Object.values(row).some((v) => v !== "")) rows.push(row);
    }
    return { value: rows };
  }
  if (raw === undefined || raw === null) return { value: "" };
  if (typeof raw !== "string") return { problem: PROBLEM[field.type] ?? PROBLEM.number };
  if (field.type === "text") return { value: raw };
  const s = raw.trim();
  if (s === "") return { value: "" };
  switch (field.type) {
    case "number": {
      const v = canonicalNumber(s);
      return v === null ? { problem: PROBLEM.number } : { value: v };
    }
    case "money": {
      const v = canonicalMoney(s);
      return v === null ? { problem: PROBLEM.money } : { value: v };
    }
    case "date": {
      const v = canonicalDate(s);
      return v === null ? { problem: PROBLEM.date } : { value: v };
    }
    case "time": {
      const v = canonicalTime(s);
      return v === null ? { problem: PROBLEM.time } : { value: v };
    }
    case "choice":
      return field.choices.includes(s) ? { value: s } : { problem: PROBLEM.choice };
    case "yes_no":
      return s === "yes" || s === "no" ? { value: s } : { problem: PROBLEM.yes_no };
    default:
      return { value: raw };
  }
}

/** Whether a (canonical) value counts as not filled in. */
export function isEmpty(field, value) {
  if (field.type === "table") return !Array.isArray(value) || value.length === 0;
  return typeof value !== "string" || value.trim() === "";
}

/** Every field of the version, empty ("" or []). */
export function emptyValues(version) {
  return Object.fromEntries(version.fields.map((f) => [f.id, f.type === "table" ? [] : ""]));
}

const label = (field) => field.label || field.id;

/**
 * Every value of `raw` (field id → what was typed) in canonical form, and the problems that
 * prevent a deposit: a value of the wrong form, a required field or column left empty.
 */
export function checkValues(version, raw) {
  const values = {};
  const problems = [];
  const source = raw !== null && typeof raw === "object" ? raw : {};
  for (const field of version.fields) {
    const result = canonicalValue(field, source[field.id]);
    if (result.problem) {
      const where = result.column
        ? field.columns.find((c) => c.id === result.column)
        : null;
      const name = where
        ? { fr: `« ${label(field)} », ligne ${result.row + 1}, « ${label(where)} »`, en: `"${label(field)}", line ${result.row + 1}, "${label(where)}"` }
        : { fr: `« ${label(field)} »`, en: `"${label(field)}"` };
      problems.push({
        field: field.id,
        ...(where ? { row: result.row, column: where.id } : {}),
        message: { fr: `${name.fr} ${result.problem.fr}`, en: `${name.en} ${result.problem.en}` },
      });
      values[field.id] = field.type === "table" ? [] : "";
      continue;
    }
    values[field.id] = result.value;
    if (field.required && isEmpty(field, result.value)) {
      problems.push({
        field: field.id,
        message: field.type === "table"
          ? { fr: `« ${label(field)} » doit avoir au moins une ligne.`, en: `"${label(field)}" needs at least one line.` }
          : { fr: `« ${label(field)} » est obligatoire.`, en: `"${label(field)}" is required.` },
      });
    }
    if (field.type === "table") {
      result.value.forEach((row, n) => {
        for (const column of field.columns) {
          if (column.required && isEmpty(column, row[column.id])) {
            problems.push({
              field: field.id,
              row: n,
              column: column.id,
              message: {
                fr: `« ${label(field)} », ligne ${n + 1} : « ${label(column)} » est obligatoire.`.replace(" :", "\u00a0:"),
                en: `"${label(field)}", line ${n + 1}: "${label(column)}" is required.`,
              },
            });
          }
        }
      });
    }
  }
  return { values, problems };
}

/** The form item's body (docs/format.md §5): template id and version, its name, every value. */
export function formBody(template, version, values) {
  const all = {};
  for (const field of version.fields) {
    const v = values?.[field.id];
    all[field.id] = v === undefined ? (field.type === "table" ? [] : "") : v;
  }
  return {
    template_id: template.id,
    template_version: version.version,
    template_name: version.name,
    values: all,
  };
}

/** A canonical decimal with the page's decimal mark: "12,5" in French. */
export function decimalForDisplay(canonical, lang = "fr") {
  return lang === "fr" ? canonical.replace(".", ",") : canonical;
}

function dateForDisplay(value, lang) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return value;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(lang === "fr" ? "fr-FR" : "en-GB", { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" }).format(date);
}

function timeForDisplay(value, lang) {
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  if (!m) return value;
  return lang === "fr" ? `${Number(m[1])}\u00a0h\u00a0${m[2]}` : value;
}

/**
 * A value as a person reads it, in `lang` ("fr" or "en"): a value that is not in its type's
 * canonical form (an older writer, a changed field) is shown as its text.
 */
export function displayValue(field, value, lang = "fr") {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") return Array.isArray(value) ? "" : String(value);
  switch (field.type) {
    case "number":
      return /^-?\d+(\.\d+)?$/.test(value) ? decimalForDisplay(value, lang) : value;
    case "money":
      return /^-?\d+(\.\d+)?$/.test(value) ? `${decimalForDisplay(value, lang)}\u00a0€` : value;
    case "date":
      return dateForDisplay(value, lang);
    case "time":
      return timeForDisplay(value, lang);
    case "yes_no":
      return YES_NO[value] ? YES_NO[value][lang] : value;
    default:
      return value;
  }
}
