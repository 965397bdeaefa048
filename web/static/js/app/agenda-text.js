// Times of appointments as the pages show them: "9 h 30" in French, "9:30 am" in English.
import { lang } from "./form.js";
import { NBSP } from "./localdates.js";

/** "9 h 30" / "9:30 am" of a wall-clock time "09:30". */
export function clockText(hhmm, l = lang()) {
  const [h, m] = String(hhmm).split(":").map(Number);
  if (!Number.isInteger(h) || !Number.isInteger(m)) return String(hhmm);
  if (l === "fr") return `${h}${NBSP}h${NBSP}${String(m).padStart(2, "0")}`;
  return `${h % 12 || 12}:${String(m).padStart(2, "0")}${NBSP}${h < 12 ? "am" : "pm"}`;
}
