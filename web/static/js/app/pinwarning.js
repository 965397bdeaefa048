// The fingerprint-change warning of a page: shown with both fingerprints, cleared only by
// an explicit acknowledgement. Resolves once the fingerprint is trusted.
import { acceptPin, checkPin } from "./fingerprints.js";
import { t } from "./form.js";

export function guardFingerprint(box, subject, fingerprint) {
  const { state, previous } = checkPin(subject, fingerprint);
  if (state !== "changed") return Promise.resolve(true);
  box.hidden = false;
  box.querySelector("[data-pin-text]").textContent = t({
    fr: `Attention : l'empreinte de clé a changé. Vue auparavant : ${previous}. Maintenant : ${fingerprint}. Vérifiez-la par téléphone avant de continuer.`,
    en: `Warning: the key fingerprint changed. Seen before: ${previous}. Now: ${fingerprint}. Check it by phone before going on.`,
  });
  return new Promise((resolve) => {
    box.querySelector("[data-pin-accept]").addEventListener("click", () => {
      acceptPin(subject, fingerprint);
      box.hidden = true;
      resolve(true);
    });
  });
}
