// Sign-in: pre-login for salt and parameters (refused below the floor), Argon2id here,
// then only auth_key and the code go to the server; the wrapped keys are opened here.
import {
  derivePasswordKeys,
  ExcessiveKdfParameters,
  toBase64url,
  WeakKdfParameters,
} from "../crypto/index.js";
import { ApiError, postJson } from "../app/api.js";
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import { forgetKeys, unlockAndStore } from "../app/keystore.js";
import { localPath } from "../app/local-path.js";

const form = document.getElementById("login-form");
// The page the guard sent us from (?next=/path), only if it is a path on this site; the
// server checks it again by the same rule and answers where to go.
const next = localPath(new URLSearchParams(window.location.search).get("next"));

armForm(form, async () => {
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  const code = form.elements.code.value;
  busy(form, true);
  forgetKeys();
  try {
    showStatus(form, t({ fr: "Préparation des clés…", en: "Preparing keys…" }));
    const { kdf } = await postJson("/login/prelogin", { username });
    const { authKey, kek } = await derivePasswordKeys(password, kdf);
    showStatus(form, t({ fr: "Connexion…", en: "Signing in…" }));
    const body = { username, auth_key: toBase64url(authKey), code };
    if (next) body.next = next;
    const answer = await postJson("/login", body);
    unlockAndStore(answer.keys, kek, answer.tab_session);
    form.reset();
    window.location.assign(localPath(answer.next) ?? "/");
  } catch (error) {
    if (error instanceof ExcessiveKdfParameters) {
      showError(form, t({
        fr: "Le serveur a demandé des paramètres de mot de passe trop coûteux pour cet appareil : connexion refusée par ce navigateur.",
        en: "The server asked for password settings too costly for this device: this browser refuses to sign in.",
      }));
    } else if (error instanceof WeakKdfParameters) {
      showError(form, t({
        fr: "Le serveur a demandé des paramètres de mot de passe affaiblis : connexion refusée par ce navigateur.",
        en: "The server asked for weakened password settings: this browser refuses to sign in.",
      }));
    } else if (error instanceof ApiError) {
      showError(form, error.message);
    } else {
      showError(form, t({
        fr: "La connexion a échoué. Vérifiez vos informations et réessayez.",
        en: "Sign-in failed. Check your details and try again.",
      }));
    }
  } finally {
    busy(form, false);
  }
});
