// Pinning the key fingerprints this browser has seen (DESIGN §2): a practice's key, an
// author's keys. A change is shown as a warning the person must acknowledge before going on.
const KEY = "permanence.fingerprints";

function load() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "{}");
  } catch {
    return {};
  }
}

/** Compare `fingerprint` with what was pinned for `subject` ("practice:<id>", "author:<id>").
 *  Returns { state: "new" | "same" | "changed", previous }. A new subject is pinned at once. */
export function checkPin(subject, fingerprint) {
  const pins = load();
  const previous = pins[subject];
  if (previous === undefined) {
    pins[subject] = fingerprint;
    localStorage.setItem(KEY, JSON.stringify(pins));
    return { state: "new", previous: null };
  }
  return { state: previous === fingerprint ? "same" : "changed", previous };
}

/** Accept a changed fingerprint after the person checked it out of band. */
export function acceptPin(subject, fingerprint) {
  const pins = load();
  pins[subject] = fingerprint;
  localStorage.setItem(KEY, JSON.stringify(pins));
}
