// Password reset with the recovery code: the code opens the user's keys here; the keys are
// re-wrapped under the new password, and a signature proves the code was right.
import {
  derivePasswordKeys,
  fromBase64url,
  newKdfParams,
  parseRecoveryCode,
  recoveryKey,
  recoveryProofMessage,
  signDetached,
  toBase64url,
  unwrapUserKeys,
  wrapUserKeys,
  WrapPurpose,
} from "../crypto/index.js";
import { ApiError, postJson } from "../app/api.js";
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import { passwordProblem } from "../app/passwords.js";

const form = document.getElementById("recover-form");
const FAILED = {
  fr: "La réinitialisation a échoué : vérifiez l'identifiant, le code de récupération et le code de l'application.",
  en: "Recovery failed: check your username, recovery code and authenticator code.",
};

armForm(form, async () => {
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  if (password !== form.elements.password2.value) {
    showError(form, t({ fr: "Les deux mots de passe diffèrent.", en: "The two passwords differ." }), form.elements.password2);
    return;
  }
  busy(form, true);
  try {
    const raw = parseRecoveryCode(form.elements.recovery.value);
    showStatus(form, t({ fr: "Ouverture de vos clés…", en: "Opening your keys…" }));
    const start = await postJson("/recover/start", { username });
    // The minimum depends on the account's role, which only the server knows.
    const problem = passwordProblem(password, start.min_password_length);
    if (problem) {
      showError(form, t(problem));
      return;
    }
    let keys;
    try {
      keys = unwrapUserKeys(
        fromBase64url(start.wrapped_recovery),
        recoveryKey(raw),
        WrapPurpose.RECOVERY,
        start.account_id,
      );
    } catch {
      showError(form, t(FAILED));
      return;
    }
    const kdf = newKdfParams();
    const { authKey, kek } = await derivePasswordKeys(password, kdf);
    const wrapped = wrapUserKeys(keys, kek, WrapPurpose.PASSWORD, start.account_id);
    // The server's single-use challenge is signed in: a captured request cannot be replayed.
    const challenge = fromBase64url(start.challenge);
    const message = recoveryProofMessage(
      start.account_id,
      challenge,
      fromBase64url(kdf.salt),
      authKey,
      wrapped,
    );
    await postJson("/recover/finish", {
      username,
      code: form.elements.code.value,
      kdf,
      auth_key: toBase64url(authKey),
      wrapped_kek: toBase64url(wrapped),
      challenge: toBase64url(challenge),
      signature: toBase64url(signDetached(message, keys.ed25519Seed)),
    });
    form.reset();
    showStatus(form, t({
      fr: "Mot de passe changé. Vous pouvez vous connecter.",
      en: "Password changed. You can sign in now.",
    }));
  } catch (error) {
    showError(form, error instanceof ApiError ? error.message : t(FAILED));
  } finally {
    busy(form, false);
  }
});
