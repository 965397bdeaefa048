// Own account: shows the key fingerprint; changes the password by re-wrapping the same keys
// under the new password's kek (nothing is re-encrypted).
import {
  derivePasswordKeys,
  fromBase64url,
  newKdfParams,
  toBase64url,
  unwrapUserKeys,
  userFingerprint,
  wrapUserKeys,
  WrapPurpose,
} from "../crypto/index.js";
import { ApiError, getJson, postJson } from "../app/api.js";
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import { forgetKeys, loadKeys } from "../app/keystore.js";
import { passwordProblem } from "../app/passwords.js";

const form = document.getElementById("password-form");
const fingerprint = document.querySelector("[data-own-fingerprint]");

// The fingerprint read aloud to colleagues is computed from the keys this tab holds, never
// from what the server publishes; a published key that differs is flagged (a colleague's
// grant would be sealed to it).
getJson("/account/keys").then(({ keys }) => {
  const unlocked = loadKeys();
  if (!unlocked) {
    fingerprint.textContent = t({
      fr: "(vos clés ne sont pas ouvertes dans cet onglet\u00a0: reconnectez-vous pour la voir)",
      en: "(your keys are not open in this tab: sign in again to see it)",
    });
    return;
  }
  const mine = userFingerprint(unlocked.keys.x25519PublicKey, unlocked.keys.ed25519PublicKey);
  fingerprint.textContent = mine;
  const published = userFingerprint(fromBase64url(keys.x25519_pk), fromBase64url(keys.ed25519_pk));
  if (published !== mine) {
    const warning = document.querySelector("[data-own-key-warning]");
    warning.textContent = t({
      fr: `Attention\u00a0: le serveur publie pour vous une autre clé (empreinte ${published}). Ne laissez personne vous partager de clé et prévenez l'administrateur.`,
      en: `Warning: the server publishes another key for you (fingerprint ${published}). Let no one share a key with you and tell the administrator.`,
    });
    warning.hidden = false;
  }
});

armForm(form, async () => {
  const { username, accountId, minLength } = form.dataset;
  const password = form.elements.password.value;
  if (password !== form.elements.password2.value) {
    showError(form, t({ fr: "Les deux mots de passe diffèrent.", en: "The two passwords differ." }), form.elements.password2);
    return;
  }
  const problem = passwordProblem(password, Number(minLength));
  if (problem) {
    showError(form, t(problem), form.elements.password);
    return;
  }
  busy(form, true);
  try {
    showStatus(form, t({ fr: "Vérification…", en: "Checking…" }));
    const { kdf: currentKdf } = await postJson("/login/prelogin", { username });
    const current = await derivePasswordKeys(form.elements.current.value, currentKdf);
    const { keys: bundle } = await getJson("/account/keys");
    let keys;
    try {
      keys = unwrapUserKeys(fromBase64url(bundle.wrapped_kek), current.kek, WrapPurpose.PASSWORD, accountId);
    } catch {
      showError(form, t({ fr: "Le mot de passe actuel n'est pas le bon.", en: "The current password is not right." }));
      return;
    }
    showStatus(form, t({ fr: "Nouvelles clés…", en: "New keys…" }));
    const kdf = newKdfParams();
    const next = await derivePasswordKeys(password, kdf);
    const answer = await postJson("/account/password", {
      current: { auth_key: toBase64url(current.authKey) },
      code: form.elements.code.value,
      kdf,
      auth_key: toBase64url(next.authKey),
      wrapped_kek: toBase64url(wrapUserKeys(keys, next.kek, WrapPurpose.PASSWORD, accountId)),
    });
    forgetKeys();
    window.location.assign(answer.next);
  } catch (error) {
    showError(form, error instanceof ApiError ? error.message : t({
      fr: "Le changement a échoué. Réessayez.",
      en: "The change failed. Please try again.",
    }), error.field);
  } finally {
    busy(form, false);
  }
});
