// Enrolment: everything secret is made here — password keys, key pairs, recovery code,
// the authenticator secret, the practice key for its first member — and only public or
// wrapped values are sent, with the authenticator secret the server must check codes against.
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

const form = document.getElementById("enrolment-form");
const done = document.getElementById("enrolment-done");
const showTotp = form.querySelector("[data-totp-show]");
const TOTP_SECRET_BYTES = 20;
let totpSecret = null; // drawn here when the invitee asks for the code to scan
// Set once the server accepted the enrolment: the invitation is used up, so a second submit
// (a double click, Enter pressed again) must send nothing and show nothing over the codes.
let enrolled = false;
let running = false;

// The QR code of a secret this browser drew: the server only draws the picture (it stores
// nothing), so whoever opened the invitation link first never saw the second factor.
showTotp.addEventListener("click", async () => {
  showTotp.disabled = true;
  try {
    const secret = crypto.getRandomValues(new Uint8Array(TOTP_SECRET_BYTES));
    const answer = await postJson(
      `/enrol/${encodeURIComponent(form.dataset.token)}/authenticator`,
      { totp_secret: toBase64url(secret) },
    );
    // Parsed as an inert document (no script runs), then moved into the page.
    const picture = new DOMParser().parseFromString(answer.svg, "text/html").querySelector("svg");
    form.querySelector("[data-totp-qr]").replaceChildren(picture);
    form.querySelector("[data-totp-secret]").textContent = answer.text;
    form.querySelector("[data-totp-setup]").hidden = false;
    totpSecret = secret;
    showTotp.hidden = true;
    form.elements.code.focus();
  } catch (error) {
    showTotp.disabled = false;
    showError(form, error instanceof ApiError ? error.message : t({
      fr: "Le code à scanner n'a pas pu être affiché. Réessayez.",
      en: "The code to scan could not be shown. Please try again.",
    }));
  }
});
showTotp.disabled = false;

/** Once enrolled: the form (and the authenticator key it showed) leaves the page for good. */
function finish(recoveryCode, backupCodes) {
  enrolled = true;
  form.querySelector("[data-totp-secret]").textContent = "";
  form.querySelector("[data-totp-qr]").replaceChildren();
  form.querySelector("[data-totp-setup]").hidden = true;
  for (const input of form.querySelectorAll("input")) input.value = "";
  form.hidden = true;
  form.inert = true;
  totpSecret = null;
  done.querySelector("[data-recovery-code]").textContent = recoveryCode;
  const list = done.querySelector("[data-backup-codes]");
  list.replaceChildren();
  for (const code of backupCodes) {
    const item = document.createElement("li");
    const text = document.createElement("code");
    text.textContent = code;
    item.append(text);
    list.append(item);
  }
  done.hidden = false;
  done.querySelector("h2").focus();
}

armForm(form, async () => {
  if (enrolled || running) return; // one enrolment per invitation: never a second request
  const { token, accountId, minLength, role, practiceId, practicePk } = form.dataset;
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
  if (!totpSecret) {
    showError(form, t({
      fr: "Affichez d'abord le code à scanner et ajoutez-le à votre application (étape 2).",
      en: "First show the code to scan and add it to your app (step 2).",
    }));
    return;
  }
  running = true;
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
      totp_secret: toBase64url(totpSecret),
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
    const answer = await postJson(`/enrol/${encodeURIComponent(token)}`, body);
    finish(recovery.code, answer.backup_codes);
  } catch (error) {
    if (enrolled) return; // nothing is ever shown over "your access is ready"
    showError(form, error instanceof ApiError ? error.message : t({
      fr: "L'inscription a échoué. Réessayez.",
      en: "Enrolment failed. Please try again.",
    }), error.field);
  } finally {
    running = false;
    if (!enrolled) busy(form, false);
  }
});
