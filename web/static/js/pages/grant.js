// Sharing the practice key with a colleague: sealed here to the colleague's public key,
// after the member has compared fingerprints; the server stores the sealed grant only.
import { fromBase64url, GrantKind, sealGrant, toBase64url } from "../crypto/index.js";
import { ApiError, postJson } from "../app/api.js";
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import { loadKeys } from "../app/keystore.js";

for (const form of document.querySelectorAll("form[data-grant]")) {
  armForm(form, async () => {
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
        fromBase64url(form.dataset.x25519Pk),
      );
      await postJson(`/practice/grants/${form.dataset.accountId}`, {
        grant: toBase64url(grant),
        code: form.elements.code.value,
      });
      showStatus(form, t({ fr: "Clé partagée.", en: "Key shared." }));
      form.querySelector('button[type="submit"]').remove();
    } catch (error) {
      showError(form, error instanceof ApiError ? error.message : String(error));
    } finally {
      busy(form, false);
    }
  });
}
