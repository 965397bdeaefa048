// The secretary's practices: each key fingerprint computed here from the key the server
// sent, compared with the one this browser pinned; a change is flagged on the row.
import { fromBase64url, practiceFingerprint } from "../crypto/index.js";
import { checkPin } from "../app/fingerprints.js";
import { t } from "../app/form.js";

for (const row of document.querySelectorAll("[data-practice]")) {
  if (!row.dataset.publicKey) continue;
  const fingerprint = practiceFingerprint(fromBase64url(row.dataset.publicKey));
  row.querySelector("[data-fingerprint-shown]").textContent = fingerprint;
  const warning = row.querySelector("[data-pin-warning]");
  const { state } = checkPin(`practice:${row.dataset.practiceId}`, fingerprint);
  if (state === "changed") {
    warning.textContent = t({
      fr: "Cette empreinte a changé depuis votre dernière visite : vérifiez-la avec le cabinet.",
      en: "This fingerprint changed since your last visit: check it with the practice.",
    });
  }
}
