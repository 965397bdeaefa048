// The fingerprint-change warning of a page: shown with both fingerprints, cleared only by
// an explicit acknowledgement. Resolves once the fingerprint is trusted.
import { acceptPin, checkPin, isPinned, namesakes } from "./fingerprints.js";
import { t } from "./form.js";

export function guardFingerprint(box, subject, fingerprint, label = null) {
  const { state, previous } = checkPin(subject, fingerprint, label);
  if (state !== "changed") return Promise.resolve(true);
  box.hidden = false;
  box.querySelector("[data-pin-text]").textContent = t({
    fr: `Attention : l'empreinte de clé a changé. Vue auparavant : ${previous}. Maintenant : ${fingerprint}. Vérifiez-la par téléphone avant de continuer.`,
    en: `Warning: the key fingerprint changed. Seen before: ${previous}. Now: ${fingerprint}. Check it by phone before going on.`,
  });
  return new Promise((resolve) => {
    box.querySelector("[data-pin-accept]").addEventListener("click", () => {
      acceptPin(subject, fingerprint, label);
      box.hidden = true;
      resolve(true);
    });
  });
}

/** The sentence warning that a never-seen account bears the display name of an account this
 *  browser already knows (look-alike authors), or null. Call it before pinning `subject`. */
export function lookAlikeWarning(subject, { name, username }) {
  if (isPinned(subject)) return null;
  const twins = namesakes(subject, name);
  if (twins.length === 0) return null;
  const known = twins.map((twin) => twin.username).join(", ");
  return t({
    fr: `Attention\u00a0: ce compte (${username}) n'a jamais été vu dans ce navigateur, mais son nom «\u00a0${name}\u00a0» est celui d'un autre compte déjà connu (${known}). Vérifiez de qui il s'agit avant de vous y fier.`,
    en: `Warning: this account (${username}) was never seen in this browser, but its name "${name}" is that of another account already known here (${known}). Check who it is before relying on it.`,
  });
}
