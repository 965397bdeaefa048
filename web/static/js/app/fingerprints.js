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

// Cyrillic and Greek letters a reader takes for Latin ones (cli/name_folding.py has the same).
const LOOKALIKE_FROM =
  "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0423\u0405\u0406\u0408\u051a\u051c\u04c0" +
  "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0455\u0456\u0458\u0501\u04bb\u051b\u051d\u04cf" +
  "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7" +
  "\u03b1\u03b9\u03ba\u03bd\u03bf\u03c1\u03c5\u03c7\u0131";
const LOOKALIKE_TO = "ABEKMHOPCTXYSIJQWIaeopcyxsijdhqwlABEZHIKMNOPTYXaikvopuxi";
const LOOKALIKE = new Map([...LOOKALIKE_FROM].map((ch, i) => [ch, LOOKALIKE_TO[i]]));

/** The form two display names share when a reader would take one for the other: NFKD,
 *  combining marks, format characters and blank letters dropped, Cyrillic and Greek
 *  look-alikes mapped to Latin, lower case, runs of spaces and controls as one space.
 *  The rule of cli/name_folding.py, tested on the cases of tests/cli/look_alike_names.json. */
export function foldName(text) {
  let out = "";
  for (const ch of String(text).normalize("NFKD")) {
    if (/[\p{M}\p{Cf}\u115f\u1160\u3164\uffa0]/u.test(ch)) continue;
    if (/[\p{Zs}\p{Zl}\p{Zp}\p{Cc}]/u.test(ch)) {
      if (out !== "" && !out.endsWith(" ")) out += " ";
      continue;
    }
    const lower = (LOOKALIKE.get(ch) ?? ch).toLowerCase();
    out += LOOKALIKE.get(lower) ?? lower;
  }
  return out.replace(/^ +| +$/g, "");
}

/** Display names compared the way a reader sees them (foldName), never empty ones. */
export function sameName(a, b) {
  return foldName(a) !== "" && foldName(a) === foldName(b);
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
