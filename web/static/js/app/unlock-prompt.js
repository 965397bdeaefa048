// The keys of this page's session, for a page that reads items (item, inbox): this tab's,
// or another open tab's of the same session (app/keystore.js), or else the password only —
// never a full sign-in: the session's key bundle comes from /account/keys, the password
// derives the kek here with the account's parameters (as at sign-in), and the kek unwraps
// the bundle in this browser. Nothing of the password leaves the page.
import { derivePasswordKeys } from "../crypto/index.js";
import { getJson, postJson } from "./api.js";
import { armForm, busy, t } from "./form.js";
import { keysFromOtherTabs, loadKeys, unlockWithPassword } from "./keystore.js";

// Its own hooks, not [data-status]/[data-error]: the page around it has those.
function say(form, status, error) {
  form.querySelector("[data-unlock-status]").textContent = status;
  form.querySelector("[data-unlock-error]").textContent = error;
}

function readable(unlocked, bundle) {
  return unlocked && (unlocked.practice || !(bundle.practice && bundle.practice.grant));
}

/**
 * Resolve with the unlocked keys once they are open in this tab; `form` is the page's
 * [data-unlock-form] (shown only when no other tab had them).
 */
export async function keysForThisPage(form, { onPrompt } = {}) {
  const { keys: bundle } = await getJson("/account/keys");
  const found = await keysFromOtherTabs(bundle);
  if (readable(found, bundle)) return found;
  if (!form) return found;
  if (onPrompt) onPrompt();
  form.hidden = false;
  form.elements.password.focus();
  return new Promise((resolve) => {
    armForm(form, async () => {
      busy(form, true);
      try {
        say(form, t({ fr: "Ouverture des clés…", en: "Opening the keys…" }), "");
        const { kdf } = await postJson("/login/prelogin", { username: bundle.username });
        const { kek } = await derivePasswordKeys(form.elements.password.value, kdf);
        const unlocked = unlockWithPassword(bundle, kek);
        form.reset();
        form.hidden = true;
        resolve(unlocked);
      } catch {
        say(form, "", t({
          fr: "Ce mot de passe n'ouvre pas vos clés. Vérifiez-le et réessayez.",
          en: "This password does not open your keys. Check it and try again.",
        }));
      } finally {
        busy(form, false);
      }
    });
  });
}

/**
 * For a page that only needs the account's keys (desk, requests, deposits, instructions):
 * this tab's, or another tab's of the session, or the password-only prompt of the page's
 * [data-unlock-form] — never "sign in again". Resolves once the keys are open here.
 */
export async function keysReady(form = document.querySelector("[data-unlock-form]")) {
  return loadKeys() ?? (await keysForThisPage(form));
}
