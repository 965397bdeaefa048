// Tells a member whether this tab holds the unlocked practice key, getting it from another
// open tab of the session or the password alone if needed (app/unlock-prompt.js), and shows
// that key's fingerprint, computed here from the key this tab decrypts with. The handling
// buttons of the rows appear once the key is open (app/handling.js).
import { fromBase64url, practiceFingerprint, practiceKeysFromSecret, toBase64url } from "../crypto/index.js";
import { t } from "../app/form.js";
import { enableActions } from "../app/handling.js";
import { welcomeNewcomers } from "../app/newcomers.js";
import { keysForThisPage } from "../app/unlock-prompt.js";

const state = document.querySelector("[data-keys-state]");
const shown = document.querySelector("[data-practice-fingerprint]");

function showState(unlocked) {
  if (unlocked && unlocked.practice) {
    state.textContent = t({
      fr: "Les clés du cabinet sont ouvertes dans cet onglet.",
      en: "The practice keys are open in this tab.",
    });
    state.dataset.unlocked = "true";
  } else {
    state.textContent = t({
      fr: "Les clés du cabinet ne sont pas ouvertes dans cet onglet\u00a0: saisissez votre mot de passe ci-dessous pour les ouvrir.",
      en: "The practice keys are not open in this tab: enter your password below to open them.",
    });
    state.dataset.unlocked = "false";
  }
  if (!shown || !shown.dataset.publicKey) return;
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
      return;
    }
    enableActions();
  } else {
    shown.textContent = t({ fr: "(clés non ouvertes dans cet onglet)", en: "(keys not open in this tab)" });
  }
}

keysForThisPage(document.querySelector("[data-unlock-form]"), { onPrompt: () => showState(null) })
  .then((unlocked) => {
    showState(unlocked);
    welcomeNewcomers(unlocked);
  })
  .catch(() => showState(null));
