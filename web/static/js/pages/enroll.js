// Enrolment: everything secret is made here — password keys, key pairs, recovery code,
// the practice key for its first member — and only public or wrapped values are sent.
import {
  derivePasswordKeys,
  generatePracticeKeys,
  generateUserKeys,
  GrantKind,
  newKdfParams,
  newRecoveryCode,
  sealGrant,
  toBase64url,
  wrapUserKeys,
  WrapPurpose,
} from "../crypto/index.js";
import { ApiError, postJson } from "../app/api.js";
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import { passwordProblem } from "../app/passwords.js";

const form = document.getElementById("enroll-form");
const done = document.getElementById("enroll-done");

armForm(form, async () => {
  const { token, accountId, minLength, role, practiceId, practicePk } = form.dataset;
  const password = form.elements.password.value;
  if (password !== form.elements.password2.value) {
    showError(form, t({ fr: "Les deux mots de passe diffèrent.", en: "The two passwords differ." }));
    return;
  }
  const problem = passwordProblem(password, Number(minLength));
  if (problem) {
    showError(form, t(problem));
    return;
  }
  busy(form, true);
  try {
    showStatus(form, t({ fr: "Création de vos clés…", en: "Creating your keys…" }));
    const kdf = newKdfParams();
    const { authKey, kek } = await derivePasswordKeys(password, kdf);
    const keys = generateUserKeys();
    const recovery = newRecoveryCode();
    const body = {
      kdf,
      auth_key: toBase64url(authKey),
      x25519_pk: toBase64url(keys.x25519PublicKey),
      ed25519_pk: toBase64url(keys.ed25519PublicKey),
      wrapped_kek: toBase64url(wrapUserKeys(keys, kek, WrapPurpose.PASSWORD, accountId)),
      wrapped_recovery: toBase64url(
        wrapUserKeys(keys, recovery.key, WrapPurpose.RECOVERY, accountId),
      ),
      code: form.elements.code.value,
    };
    if (role === "member" && practiceId && !practicePk) {
      // First member of the practice: its key pair is born here and sealed to us.
      const practice = generatePracticeKeys();
      body.practice_pk = toBase64url(practice.publicKey);
      body.practice_grant = toBase64url(
        sealGrant(GrantKind.PRACTICE_SECRET_KEY, practiceId, practice.secretKey, keys.x25519PublicKey),
      );
    }
    showStatus(form, t({ fr: "Enregistrement…", en: "Saving…" }));
    const answer = await postJson(`/enroll/${encodeURIComponent(token)}`, body);
    form.hidden = true;
    done.hidden = false;
    done.querySelector("[data-recovery-code]").textContent = recovery.code;
    const list = done.querySelector("[data-backup-codes]");
    for (const code of answer.backup_codes) {
      const item = document.createElement("li");
      const text = document.createElement("code");
      text.textContent = code;
      item.append(text);
      list.append(item);
    }
  } catch (error) {
    showError(form, error instanceof ApiError ? error.message : t({
      fr: "L'inscription a échoué. Réessayez.",
      en: "Enrolment failed. Please try again.",
    }));
  } finally {
    busy(form, false);
  }
});
