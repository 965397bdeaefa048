// Pinning the key fingerprints this browser has seen (docs/design.md §2): a practice's key, an
// account's keys (an author of items, a colleague receiving the practice key). A change is
// shown as a warning the person must acknowledge before going on.
//
// One entry per subject ("practice:<id>", "author:<account id>"): the fingerprint, and for
// accounts the display name and username seen with it, so that a never-seen account whose
// display name equals a pinned one can be flagged (look-alike authors). Entries written
// before names were kept are a bare fingerprint string.
const KEY = "permanence.fingerprints";

function load() {
  try {
    const pins = JSON.parse(localStorage.getItem(KEY) || "{}");
    return pins !== null && typeof pins === "object" && !Array.isArray(pins) ? pins : {};
  } catch {
    return {};
  }
}

function save(pins) {
  localStorage.setItem(KEY, JSON.stringify(pins));
}

function entry(fingerprint, label) {
  return label ? { fingerprint, name: label.name ?? "", username: label.username ?? "" } : fingerprint;
}

function fingerprintOf(pinned) {
  return typeof pinned === "string" ? pinned : pinned?.fingerprint;
}

/** The subject under which an account's keys are pinned (the name predates colleagues). */
export function accountSubject(accountId) {
  return `author:${String(accountId).toLowerCase()}`;
}

/** Display names compared the way a reader sees them: accents, case and spacing ignored. */
export function sameName(a, b) {
  const fold = (text) =>
    String(text)
      .normalize("NFKD")
      .replace(/\p{M}/gu, "")
      .toLowerCase()
      .replace(/\s+/gu, " ")
      .trim();
  return fold(a) !== "" && fold(a) === fold(b);
}

/** Compare `fingerprint` with what was pinned for `subject`. A new subject is pinned at once
 *  (with `label` = { name, username } for an account). Returns { state: "new" | "same" |
 *  "changed", previous }. */
export function checkPin(subject, fingerprint, label = null) {
  const pins = load();
  const previous = fingerprintOf(pins[subject]);
  if (previous === undefined) {
    pins[subject] = entry(fingerprint, label);
    save(pins);
    return { state: "new", previous: null };
  }
  if (previous !== fingerprint) return { state: "changed", previous };
  if (label) {
    pins[subject] = entry(fingerprint, label);
    save(pins);
  }
  return { state: "same", previous };
}

/** Accept a changed fingerprint after the person checked it out of band. */
export function acceptPin(subject, fingerprint, label = null) {
  const pins = load();
  pins[subject] = entry(fingerprint, label);
  save(pins);
}

/** Accounts pinned under other subjects whose display name equals `name`: [{ name, username }]. */
export function namesakes(subject, name) {
  const pins = load();
  return Object.entries(pins)
    .filter(([other, pinned]) => other !== subject && typeof pinned === "object" && pinned)
    .filter(([, pinned]) => sameName(pinned.name, name))
    .map(([, pinned]) => ({ name: pinned.name, username: pinned.username }));
}

/** Whether `subject` was pinned before (checked before `checkPin` pins it). */
export function isPinned(subject) {
  return fingerprintOf(load()[subject]) !== undefined;
}
