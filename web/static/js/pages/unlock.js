// Tells a member whether this tab holds the unlocked practice key (it lives in sessionStorage),
// and shows that key's fingerprint, computed here from the key this tab decrypts with.
import { fromBase64url, practiceFingerprint, practiceKeysFromSecret, toBase64url } from "../crypto/index.js";
import { t } from "../app/form.js";
import { loadKeys } from "../app/keystore.js";

const state = document.querySelector("[data-keys-state]");
const unlocked = loadKeys();
if (unlocked && unlocked.practice) {
  state.textContent = t({
    fr: "Les clés du cabinet sont ouvertes dans cet onglet.",
    en: "The practice keys are open in this tab.",
  });
  state.dataset.unlocked = "true";
} else {
  state.textContent = t({
    fr: "Les clés du cabinet ne sont pas ouvertes dans cet onglet : reconnectez-vous pour lire les éléments, ou demandez à un confrère de vous partager la clé.",
    en: "The practice keys are not open in this tab: sign in again to read items, or ask a colleague to share the key with you.",
  });
  state.dataset.unlocked = "false";
}

const shown = document.querySelector("[data-practice-fingerprint]");
if (shown && shown.dataset.publicKey) {
  if (unlocked && unlocked.practice) {
    const keys = practiceKeysFromSecret(unlocked.practice.secretKey);
    shown.textContent = keys.fingerprint;
    if (toBase64url(keys.publicKey) !== shown.dataset.publicKey) {
      // The server publishes another key than the one this member holds: deposits sealed to
      // it would not be readable here, or readable by someone else.
      const published = practiceFingerprint(fromBase64url(shown.dataset.publicKey));
      state.textContent = t({
        fr: `Attention\u00a0: le serveur publie pour ce cabinet une autre clé que la vôtre (empreinte ${published})\u00a0: les dépôts des secrétaires seraient scellés pour elle. Prévenez l'administrateur.`,
        en: `Warning: the server publishes another key for this practice than the one you hold (fingerprint ${published}): secretaries' deposits would be sealed to it. Tell the administrator.`,
      });
      state.dataset.publishedKeyDiffers = "true";
    }
  } else {
    shown.textContent = t({ fr: "(clés non ouvertes dans cet onglet)", en: "(keys not open in this tab)" });
  }
}
