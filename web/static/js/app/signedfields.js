// What the author signed against what the server's record says (issue 10): the item page
// shows the signed value of every field and a tamper warning for each difference. Pure
// functions (no DOM), tested in tests/js/signedfields.test.mjs.
import { ItemKind, Urgency } from "../crypto/index.js";
import { formatDuration, longTime, machineTime } from "./localdates.js";

export { formatDuration };

export const KIND_NAME = Object.freeze({
  [ItemKind.CALL_NOTE]: "call_note",
  [ItemKind.MESSAGE]: "message",
  [ItemKind.EXTRACT]: "extract",
  [ItemKind.FORM]: "form",
});
export const URGENCY_NAME = Object.freeze({
  [Urgency.LOW]: "low",
  [Urgency.NORMAL]: "normal",
  [Urgency.URGENT]: "urgent",
});
// The fields compared, in the order the warning lists them. A difference in an id means the
// envelope was moved to another item, practice or author: its content is not shown at all.
export const FIELDS = Object.freeze([
  "kind",
  "urgency",
  "authorId",
  "itemId",
  "practiceId",
  "callStartedAt",
  "callSeconds",
]);
export const ID_FIELDS = Object.freeze(new Set(["authorId", "itemId", "practiceId"]));

const LABELS = {
  kind: { fr: "Type", en: "Kind" },
  urgency: { fr: "Urgence", en: "Urgency" },
  authorId: { fr: "Auteur (identifiant)", en: "Author (account id)" },
  itemId: { fr: "Identifiant de l'élément", en: "Item id" },
  practiceId: { fr: "Cabinet (identifiant)", en: "Practice (id)" },
  callStartedAt: { fr: "Début de l'appel", en: "Call started" },
  callSeconds: { fr: "Durée de l'appel", en: "Call duration" },
};
const KIND_LABELS = {
  call_note: { fr: "Note d'appel", en: "Call note" },
  message: { fr: "Message écrit", en: "Written message" },
  extract: { fr: "Extrait", en: "Extract" },
  form: { fr: "Formulaire", en: "Form" },
};
const URGENCY_LABELS = {
  urgent: { fr: "Urgente", en: "Urgent" },
  normal: { fr: "Normale", en: "Normal" },
  low: { fr: "Basse", en: "Low" },
};
const NONE = { fr: "aucun", en: "none" };

function seconds(value) {
  return Number.isInteger(value) ? value : null;
}

/** The values the author signed, all from the verified header (docs/format.md §5): the call
 *  time is a call note's only (the header carries 0 for the other kinds). */
export function signedRecord(header) {
  const isCall = header.kind === ItemKind.CALL_NOTE;
  return {
    kind: KIND_NAME[header.kind],
    urgency: URGENCY_NAME[header.urgency],
    authorId: header.authorId.toLowerCase(),
    itemId: header.itemId.toLowerCase(),
    practiceId: header.clientId.toLowerCase(),
    callStartedAt: isCall ? seconds(header.callStartedAt) : null,
    callSeconds: isCall ? seconds(header.callSeconds) : null,
  };
}

/** The server's record as the page carries it (data attributes, all text). */
export function claimedRecord(data) {
  const number = (text) => (text === undefined || text === "" ? null : Number(text));
  return {
    kind: data.kind,
    urgency: data.urgency,
    authorId: String(data.authorId).toLowerCase(),
    itemId: String(data.itemId).toLowerCase(),
    practiceId: String(data.practiceId).toLowerCase(),
    callStartedAt: number(data.callStarted),
    callSeconds: number(data.callSeconds),
  };
}

/** Every field whose signed value differs from the server's: [{ field, signed, claimed }]. */
export function differences(signed, claimed) {
  return FIELDS.filter((field) => signed[field] !== claimed[field]).map((field) => ({
    field,
    signed: signed[field],
    claimed: claimed[field],
  }));
}

export function kindLabel(kind, lang) {
  return KIND_LABELS[kind]?.[lang] ?? String(kind);
}

export function urgencyLabel(urgency, lang) {
  return URGENCY_LABELS[urgency]?.[lang] ?? String(urgency);
}

/** A call's start, in the practice's time zone, in the page's language: the long form the
 *  server writes the deposit time in beside it (app/localdates.js, web/local_dates.py). */
export function formatCallTime(unixSeconds, timeZone, lang) {
  return longTime(unixSeconds, timeZone, lang);
}

/** One field's value as a person reads it. */
export function formatValue(field, value, { lang, timeZone }) {
  if (value === null || value === undefined) return NONE[lang];
  if (field === "kind") return kindLabel(value, lang);
  if (field === "urgency") return urgencyLabel(value, lang);
  if (field === "callStartedAt") return formatCallTime(value, timeZone, lang);
  if (field === "callSeconds") return formatDuration(value);
  return String(value);
}

/** The warning's sentence for one difference, in `lang`. */
export function describe({ field, signed, claimed }, options) {
  const label = LABELS[field][options.lang];
  let s = formatValue(field, signed, options);
  let c = formatValue(field, claimed, options);
  if (field === "callStartedAt" && s === c && signed !== null && claimed !== null) {
    // The long form stops at the minute: seconds apart, say them (UTC, to the second).
    [s, c] = [`${s} (${machineTime(signed)})`, `${c} (${machineTime(claimed)})`];
  }
  return options.lang === "en"
    ? `${label}: the author signed “${s}”, the server's record says “${c}”.`
    : `${label}\u00a0: l'auteur a signé «\u00a0${s}\u00a0», le registre du serveur indique «\u00a0${c}\u00a0».`;
}
