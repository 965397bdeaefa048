// Deposits for one practice: call notes (with a start/stop call timer), messages and
// extracts, each sealed to the practice's key and signed with this secretary's key here.
// Item ids are drawn here and signed, so a retried deposit is the same deposit.
import {
  fromBase64url,
  ItemKind,
  newItemId,
  practiceFingerprint,
  sealItem,
  toBase64url,
  Urgency,
} from "../crypto/index.js";
import { ApiError, send } from "../app/api.js";
import {
  CallTimer,
  checkFilled,
  collect,
  confirmDeposit,
  keyboard,
  resetForNextCall,
  urgencyOf,
} from "../app/callnote.js";
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import { loadKeys } from "../app/keystore.js";
import { guardFingerprint } from "../app/pinwarning.js";
import { keysReady } from "../app/unlock-prompt.js";
import { withRetry } from "../app/transfer.js";
import { tooLargeMessage, uploadExtract } from "./extract-upload.js";

const section = document.getElementById("deposit");
const practiceId = section.dataset.practiceId;
const practiceKey = fromBase64url(section.dataset.publicKey);
const uploadLimit = Number(section.dataset.uploadLimit);
const URGENCY = { low: Urgency.LOW, normal: Urgency.NORMAL, urgent: Urgency.URGENT };
// The fingerprint shown is computed here from the very key every deposit is sealed to.
const fingerprint = practiceFingerprint(practiceKey);

// A refusal decided here, before anything is sent: a sentence to show, and no HTTP status
// (only the server's answers carry one).
class RefusedHere extends Error {}
section.querySelector("[data-fingerprint-shown]").textContent = fingerprint;
let trusted = false;
guardFingerprint(section.querySelector("[data-pin-warning]"), `practice:${practiceId}`, fingerprint)
  .then(() => {
    trusted = true;
  });

// The call timer (web/static/js/app/callnote.js): kept in this tab, it survives a deposit.
const callForm = document.getElementById("call-note-form");
const timer = new CallTimer(`permanence.calltimer.${practiceId}`, {
  display: section.querySelector("[data-timer-display]"),
  startButton: section.querySelector("[data-timer-start]"),
  stopButton: section.querySelector("[data-timer-stop]"),
});
function newCall() {
  timer.start();
  callForm.elements.caller_name.focus();
}
section.querySelector("[data-timer-start]").addEventListener("click", newCall);
section.querySelector("[data-timer-stop]").addEventListener("click", () => timer.stop());
keyboard(callForm, { onNewCall: newCall });

function seal(kind, urgency, itemId, body, call = {}) {
  const unlocked = loadKeys();
  if (!unlocked) throw new Error("keys");
  const envelope = sealItem(
    { kind, urgency, itemId, clientId: practiceId, authorId: unlocked.accountId, ...call },
    body,
    practiceKey,
    unlocked.keys.ed25519Seed,
  );
  return toBase64url(envelope);
}

function deposit(data) {
  return withRetry(() => send("POST", "/items", { practice_id: practiceId, ...data }));
}

const builders = {
  async call_note(form, itemId) {
    // The call time is signed in the header (Unix seconds) and sent in clear for the server,
    // which refuses a deposit where the two differ.
    const { callStartedAt, callSeconds } = timer.callTime();
    const body = collect(form);
    const envelope = seal(ItemKind.CALL_NOTE, URGENCY[urgencyOf(form)], itemId, body, { callStartedAt, callSeconds });
    form.sealedBody = body;
    return {
      item_id: itemId,
      envelope,
      call_started_at: new Date(callStartedAt * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      call_seconds: callSeconds,
    };
  },
  async message(form, itemId) {
    const f = form.elements;
    const body = { subject: f.subject.value, text: f.text.value };
    return { item_id: itemId, envelope: seal(ItemKind.MESSAGE, URGENCY[f.urgency.value], itemId, body) };
  },
  async extract(form, itemId) {
    const file = form.elements.file.files[0];
    const progress = form.querySelector("[data-progress]");
    progress.value = 0; // never the last file's 100 %
    if (file.size > uploadLimit) throw new RefusedHere(tooLargeMessage(file.size, uploadLimit));
    const { uploadId, manifest } = await uploadExtract(file, {
      practiceId,
      itemId,
      onProgress: (fraction) => {
        progress.value = Math.round(fraction * 100);
      },
    });
    const envelope = seal(ItemKind.EXTRACT, URGENCY[form.elements.urgency.value], itemId, manifest);
    return { item_id: itemId, envelope, upload_id: uploadId };
  },
};

// Submit buttons are disabled in the HTML and enabled only here: a form whose module did not
// run can never be submitted natively (its fields would end up in clear in a URL).
for (const form of section.querySelectorAll("[data-deposit-form]")) {
  armForm(form, async () => {
    if (!trusted) {
      showError(form, t({
        fr: "Confirmez d'abord l'empreinte de clé du cabinet ci-dessus.",
        en: "First confirm the practice's key fingerprint above.",
      }));
      return;
    }
    if (!loadKeys()) {
      showError(form, t({
        fr: "Vos clés ne sont pas encore ouvertes dans cet onglet : saisissez votre mot de passe dans le cadre ci-dessus.",
        en: "Your keys are not open in this tab yet: enter your password in the box above.",
      }));
      return;
    }
    const isCall = form === callForm;
    if (isCall && !checkFilled(form)) return;
    busy(form, true);
    try {
      showStatus(form, t({ fr: "Chiffrement et envoi…", en: "Encrypting and sending…" }));
      const itemId = newItemId();
      await deposit(await builders[form.dataset.depositForm](form, itemId));
      if (isCall) {
        const urgency = urgencyOf(form);
        timer.afterDeposit();
        showStatus(form, "");
        confirmDeposit(form.querySelector("[data-confirmation]"), {
          body: form.sealedBody,
          urgency,
          at: new Date(),
          timeZone: section.dataset.timezone,
        });
        resetForNextCall(form);
      } else {
        form.reset();
        showStatus(form, t({ fr: "Déposé.", en: "Deposited." }));
      }
      form.dataset.deposited = itemId;
    } catch (error) {
      showError(form, error instanceof ApiError || error instanceof RefusedHere ? error.message : t({
        fr: "Le dépôt a échoué ; rien n'a été perdu de ce qui était déjà déposé. Réessayez.",
        en: "The deposit failed; nothing already deposited was lost. Please try again.",
      }));
    } finally {
      busy(form, false);
    }
  });
}

// The keys from another tab of the session, or the password-only prompt at the top.
keysReady();
