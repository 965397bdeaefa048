// Tells a member whether this tab holds the unlocked practice key (it lives in sessionStorage).
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
