// Times, durations and numbers as the reader reads them, written exactly as the server writes
// them (web/local_dates.py; both are checked against tests/js/local_dates_cases.json):
//   short: "1 déc. 2026, 19 h 15" / "1 Dec 2026, 7:15 pm"
//   long:  "mardi 1 décembre 2026, 19 h 15" / "Tuesday 1 December 2026, 7:15 pm" (no seconds:
//          "19 h 15 min 05 s" reads like a duration; they stay in the `datetime` attribute)
//   date:  "1 déc. 2026" / "1 Dec 2026" (a calendar day, "YYYY-MM-DD")
//   duration: "3 min 05 s"; numbers: "1 234,5" / "1,234.5".
// Intl only converts to the practice's zone (numeric parts); the words are ours, so that the
// text does not depend on the browser's locale data. Pure functions (`timeElement` takes the document).

export const NBSP = "\u00a0";
export const NNBSP = "\u202f";

const MONTHS = {
  en: "January February March April May June July August September October November December".split(" "),
  fr: "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(" "),
};
const MONTHS_SHORT = {
  en: "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" "),
  fr: "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split(" "),
};
const WEEKDAYS = {
  en: "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(" "),
  fr: "lundi mardi mercredi jeudi vendredi samedi dimanche".split(" "),
};

const formatters = new Map();

function language(lang) {
  return lang === "en" ? "en" : "fr";
}

function toDate(at) {
  if (at instanceof Date) return at;
  if (typeof at === "number") return new Date(at * 1000); // Unix seconds
  return new Date(at); // ISO 8601 text
}

/** The wall clock in `timeZone` at `at` (Date, Unix seconds or ISO text). */
export function localParts(at, timeZone) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, format);
  }
  const parts = {};
  for (const p of format.formatToParts(toDate(at))) parts[p.type] = p.value;
  const [year, month, day] = [Number(parts.year), Number(parts.month), Number(parts.day)];
  const weekday = (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7; // 0 = Monday
  return {
    year,
    month,
    day,
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday,
  };
}

const two = (n) => String(n).padStart(2, "0");

function clock(t, lang) {
  if (lang === "fr") return `${t.hour}${NBSP}h${NBSP}${two(t.minute)}`;
  const hour = t.hour % 12 || 12;
  const suffix = t.hour < 12 ? "am" : "pm";
  return `${hour}:${two(t.minute)}${NBSP}${suffix}`;
}

/** "1 déc. 2026" / "1 Dec 2026" for a calendar day "YYYY-MM-DD" (no zone: a day is a day);
 *  any other text is returned as it is. */
export function shortDate(day, lang) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day ?? ""));
  if (!m) return String(day ?? "");
  const l = language(lang);
  return `${Number(m[3])}${NBSP}${MONTHS_SHORT[l][Number(m[2]) - 1]}${NBSP}${m[1]}`;
}

/** "1 déc. 2026 → 5 déc. 2026", or one day when `to` is empty or the same. */
export function dateSpan(from, to, lang) {
  return !to || to === from ? shortDate(from, lang) : `${shortDate(from, lang)} → ${shortDate(to, lang)}`;
}

/** "1 déc. 2026, 19 h 15" / "1 Dec 2026, 7:15 pm". */
export function shortTime(at, timeZone, lang) {
  const l = language(lang);
  const t = localParts(at, timeZone);
  return `${t.day}${NBSP}${MONTHS_SHORT[l][t.month - 1]}${NBSP}${t.year}, ${clock(t, l)}`;
}

/** "mardi 1 décembre 2026, 19 h 15" / "Tuesday 1 December 2026, 7:15 pm". */
export function longTime(at, timeZone, lang) {
  const l = language(lang);
  const t = localParts(at, timeZone);
  const day = `${WEEKDAYS[l][t.weekday]}${NBSP}${t.day}${NBSP}${MONTHS[l][t.month - 1]}${NBSP}${t.year}`;
  return `${day}, ${clock(t, l)}`;
}

/** "45 s", "3 min 05 s", "1 h 02 min 05 s" (both languages). */
export function formatDuration(total) {
  const all = Math.max(0, Math.trunc(Number(total)));
  const hours = Math.floor(all / 3600);
  const minutes = Math.floor((all % 3600) / 60);
  const seconds = all % 60;
  if (hours) return `${hours}${NBSP}h ${two(minutes)}${NBSP}min ${two(seconds)}${NBSP}s`;
  if (minutes) return `${minutes}${NBSP}min ${two(seconds)}${NBSP}s`;
  return `${seconds}${NBSP}s`;
}

/** "1 234,5" (French: U+202F between thousands, decimal comma) / "1,234.5" (English),
 *  with the digits the value has (round it first). */
export function formatNumber(value, lang) {
  const n = Number(value);
  const text = String(Math.abs(n));
  const [whole, fraction] = text.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const sign = n < 0 ? "-" : "";
  const en = `${sign}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
  return language(lang) === "en" ? en : en.replaceAll(",", NNBSP).replace(".", ",");
}

/** The practice's time zone, as every page states it (`<meta name="practice-timezone">`, the
 *  setting `timezone`): what a script passes to `shortTime` / `longTime` for its times. */
export function pageZone(doc = globalThis.document) {
  return doc?.querySelector?.('meta[name="practice-timezone"]')?.content || "Europe/Paris";
}

/** The `datetime` attribute the server writes: UTC to the second, with "Z". */
export function machineTime(at) {
  return toDate(at).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A `<time>` element for `at`, in the short form with the long one as its title (or long). */
export function timeElement(doc, at, timeZone, lang, { long = false } = {}) {
  const el = doc.createElement("time");
  el.dateTime = machineTime(at);
  el.textContent = long ? longTime(at, timeZone, lang) : shortTime(at, timeZone, lang);
  if (!long) el.title = longTime(at, timeZone, lang);
  return el;
}
