// Sharing the practice key with a colleague: sealed here to the colleague's X25519 key, after
// the member has compared fingerprints. The fingerprint shown is computed here from the very
// keys (X25519 and Ed25519, docs/format.md §3) the grant is sealed to, and compared with the
// one this browser pinned for that account: on a change nothing is sealed until the member
// checked the new fingerprint with the colleague and said so. The server stores the sealed
// grant only.
import { fromBase64url, GrantKind, sealGrant, toBase64url, userFingerprint } from "../crypto/index.js";
import { ApiError, postJson } from "../app/api.js";
import { accountSubject } from "../app/fingerprints.js";
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import { loadKeys } from "../app/keystore.js";
import { welcomeNewcomers } from "../app/newcomers.js";
import { guardFingerprint, lookAlikeWarning } from "../app/pinwarning.js";
import { keysReady } from "../app/unlock-prompt.js";

// The practice key to share: this tab's, another tab's of the session, or the password only.
await keysReady();

for (const form of document.querySelectorAll("form[data-grant]")) {
  // Read once: the key sealed to below is the key whose fingerprint is shown.
  const recipient = fromBase64url(form.dataset.x25519Pk);
  const fingerprint = userFingerprint(recipient, fromBase64url(form.dataset.ed25519Pk));
  form.querySelector("[data-fingerprint-shown]").textContent = fingerprint;
  const subject = accountSubject(form.dataset.accountId);
  const label = { name: form.dataset.displayName, username: form.dataset.username };
  const lookAlike = lookAlikeWarning(subject, label);
  if (lookAlike) {
    const box = form.querySelector("[data-lookalike-warning]");
    box.textContent = lookAlike;
    box.hidden = false;
  }
  let trusted = false;
  guardFingerprint(form.querySelector("[data-pin-warning]"), subject, fingerprint, label).then(() => {
    trusted = true;
    form.dataset.fingerprintTrusted = "true";
  });

  armForm(form, async () => {
    if (!trusted) {
      showError(form, t({
        fr: "La clé de ce confrère n'est pas partagée\u00a0: son empreinte a changé depuis que ce navigateur l'a vue. Vérifiez la nouvelle empreinte avec lui par téléphone avant de confirmer.",
        en: "The practice key was not shared: this colleague's fingerprint changed since this browser last saw it. Check the new fingerprint with them by phone before confirming.",
      }));
      return;
    }
    const unlocked = loadKeys();
    if (!unlocked || !unlocked.practice) {
      showError(form, t({
        fr: "Les clés de ce cabinet ne sont pas ouvertes dans cet onglet : reconnectez-vous.",
        en: "The practice keys are not open in this tab: please sign in again.",
      }));
      return;
    }
    busy(form, true);
    try {
      const grant = sealGrant(
        GrantKind.PRACTICE_SECRET_KEY,
        unlocked.practice.id,
        unlocked.practice.secretKey,
        recipient,
      );
      await postJson(`/practice/grants/${form.dataset.accountId}`, {
        grant: toBase64url(grant),
        code: form.elements.code.value,
      });
      showStatus(form, t({ fr: "Clé partagée.", en: "Key shared." }));
      // The colleague now a member gets the team key too (in the background).
      welcomeNewcomers(unlocked);
      form.querySelector('button[type="submit"]').remove();
    } catch (error) {
      showError(form, error instanceof ApiError ? error.message : String(error), error.field);
    } finally {
      busy(form, false);
    }
  });
}
