// Wall-clock times of the practice's zone as instants (a request's due time, format §11).
import { pageZone } from "./localdates.js";

/** The offset of `timeZone` at the instant `ms`, in milliseconds (local − UTC). */
export function offsetAt(ms, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return local - Math.floor(ms / 1000) * 1000;
}

/** "2026-12-03T14:00" read in `timeZone` → "2026-12-03T13:00:00Z". */
export function zonedToUtc(value, timeZone) {
  const [date, time] = value.split("T");
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  const zone = timeZone || pageZone();
  let instant = wall - offsetAt(wall, zone);
  instant = wall - offsetAt(instant, zone); // around a change of offset
  return new Date(instant).toISOString().replace(/\.\d{3}Z$/, "Z");
}
