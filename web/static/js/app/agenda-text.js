// Times of appointments as the pages show them: "9 h 30" in French, "9:30 am" in English.
import { lang } from "./form.js";
import { slotMinutes } from "./availability.js";
import { NBSP, shortDate } from "./localdates.js";

/** "9 h 30" / "9:30 am" of a wall-clock time "09:30". */
export function clockText(hhmm, l = lang()) {
  const [h, m] = String(hhmm).split(":").map(Number);
  if (!Number.isInteger(h) || !Number.isInteger(m)) return String(hhmm);
  if (l === "fr") return `${h}${NBSP}h${NBSP}${String(m).padStart(2, "0")}`;
  return `${h % 12 || 12}:${String(m).padStart(2, "0")}${NBSP}${h < 12 ? "am" : "pm"}`;
}

/** "HH:MM" at which a slot of `minutes` starting at "YYYY-MM-DDTHH:MM" ends (wall clock). */
export function endClock(start, minutes) {
  const [h, m] = String(start).slice(11).split(":").map(Number);
  const end = h * 60 + m + Number(minutes);
  return `${String(Math.floor(end / 60) % 24).padStart(2, "0")}:${String(end % 60).padStart(2, "0")}`;
}

/** "de 10 h 30 à 11 h 00" / "from 10:30 am to 11:00 am" of a slot. */
export function clockSpan(start, minutes, l = lang()) {
  const from = clockText(String(start).slice(11), l);
  const to = clockText(endClock(start, minutes), l);
  return l === "fr" ? `de ${from} à ${to}` : `from ${from} to ${to}`;
}

/** The number of appointments with its noun in the right number: French takes the singular
 *  for 0 and 1 ("1 rendez-vous déchiffré"), English for 1 only ("0 appointments").
 *  `words` = {fr: [singular, plural], en: [singular, plural]}. */
export function counted(n, words, l = lang()) {
  const one = l === "fr" ? n < 2 : n === 1;
  const [singular, plural] = words[l === "fr" ? "fr" : "en"];
  return `${n} ${one ? singular : plural}`;
}

/** The agenda's status line once its appointments are open. */
export function decryptedSentence(n, l = lang()) {
  return `${counted(n, { fr: ["rendez-vous déchiffré", "rendez-vous déchiffrés"], en: ["appointment", "appointments"] }, l)}${l === "fr" ? " dans ce navigateur." : " decrypted in this browser."}`;
}

/** The agenda's status line after an `.ics` export. */
export function exportedSentence(n, l = lang()) {
  return `${counted(n, { fr: ["rendez-vous exporté", "rendez-vous exportés"], en: ["appointment", "appointments"] }, l)}${l === "fr" ? "." : " exported."}`;
}

/** The warning over a requested slot that overlaps `n` confirmed ones. */
export function overlapSentence(n, l = lang()) {
  const what = counted(n, { fr: ["rendez-vous confirmé", "rendez-vous confirmés"], en: ["confirmed appointment", "confirmed appointments"] }, l);
  return l === "fr" ? `Ce créneau chevauche ${what}.` : `This slot overlaps ${what}.`;
}

/** The desk's sentence for a wanted slot that overlaps the confirmed `slot`
 *  ({practitioner, start, minutes}): its day, start and end. */
export function conflictSentence(slot, l = lang()) {
  const day = shortDate(String(slot.start).slice(0, 10), l);
  const span = clockSpan(slot.start, slotMinutes(String(slot.minutes)), l);
  return l === "fr"
    ? `Ce créneau est déjà pris${NBSP}: un rendez-vous confirmé de ${slot.practitioner || "ce cabinet"} le ${day} ${span}. Choisissez un autre créneau, ou prenez une demande.`
    : `This slot is already taken: a confirmed appointment with ${slot.practitioner || "this practice"} on ${day} ${span}. Choose another slot, or take a request.`;
}
