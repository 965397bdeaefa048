// The member's instructions editor: each form is one instruction document of the practice
// (docs/format.md §10), read and decrypted here under the team key, and saved as its next
// revision, encrypted here and signed with this member's key (app/team.js). The server sees
// ciphertext only. Under each form: who signed the current revision, and the history.
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import { checkCatalogue } from "../app/catalogue.js";
import { addRow, DocType, fillForm, formBody, normalise } from "../app/instructions.js";
import {
  documentHistory,
  failureText,
  loadInstructions,
  saveInstruction,
  signedBy,
  warningText,
} from "../app/instructions-io.js";
import { loadKeys } from "../app/keystore.js";
import { keysReady } from "../app/unlock-prompt.js";

const section = document.getElementById("instructions");
const practiceId = section.dataset.practiceId;
const pageStatus = section.querySelector("[data-page-status]");
const pageError = section.querySelector("[data-page-error]");
const forms = [...section.querySelectorAll("form[data-doc-type]")];
let documents = {};

function failure(error) {
  return failureText(error);
}

async function showHistory(form, doc) {
  const list = form.querySelector("[data-history-list]");
  list.replaceChildren();
  form.querySelector("[data-signed-by]").textContent = doc ? signedBy(doc) : t({
    fr: "Pas encore écrit.",
    en: "Not written yet.",
  });
  if (!doc) return;
  try {
    for (const revision of await documentHistory(practiceId, doc.documentId)) {
      const item = document.createElement("li");
      item.textContent = `${revision.line} ${t({ fr: "Empreinte", en: "Fingerprint" })}\u00a0: ${revision.fingerprint}`;
      item.dataset.revision = String(revision.revision);
      if (!revision.verified) item.className = "error";
      list.append(item);
    }
  } catch (error) {
    const item = document.createElement("li");
    item.textContent = failure(error);
    list.append(item);
  }
}

function show(form) {
  const type = Number(form.dataset.docType);
  const doc = documents[type];
  fillForm(form, normalise(type, doc?.body ?? {}));
  return showHistory(form, doc);
}

section.addEventListener("click", (event) => {
  const add = event.target.closest("[data-add]");
  if (add) {
    const row = addRow(add.form, add.dataset.add);
    row.querySelector("input:not([type=hidden]), textarea, select")?.focus();
    return;
  }
  const remove = event.target.closest("[data-remove]");
  if (remove) {
    const form = remove.form;
    remove.closest("[data-row]").remove();
    form.querySelector("[data-add]")?.focus();
  }
});

// The forms are armed once the current revisions are known: a save is always "the next one".
function arm(form) {
  armForm(form, async () => {
    const type = Number(form.dataset.docType);
    let body = normalise(type, formBody(form));
    if (type === DocType.CATALOGUE) {
      // Prices and rates checked and written canonically before anything is sealed.
      const checked = checkCatalogue(body);
      if (checked.problem) {
        showError(form, t(checked.problem));
        return;
      }
      body = checked.body;
    }
    busy(form, true);
    try {
      showStatus(form, t({ fr: "Chiffrement, signature et envoi…", en: "Encrypting, signing and sending…" }));
      await saveInstruction(practiceId, type, documents[type], body);
      documents = await loadInstructions(practiceId);
      await show(form);
      showStatus(form, t({
        fr: `Enregistré (version ${documents[type]?.revision ?? "?"}), chiffré pour l'équipe du cabinet.`,
        en: `Saved (revision ${documents[type]?.revision ?? "?"}), encrypted for the practice's team.`,
      }));
      form.dataset.saved = String(documents[type]?.revision ?? "");
    } catch (error) {
      showError(form, failure(error));
    } finally {
      busy(form, false);
    }
  });
}

async function start() {
  if (!loadKeys()) {
    pageStatus.textContent = "";
    pageError.textContent = t({
      fr: "Vos clés ne sont pas ouvertes dans cet onglet : reconnectez-vous.",
      en: "Your keys are not open in this tab: please sign in again.",
    });
    return;
  }
  try {
    documents = await loadInstructions(practiceId);
    await Promise.all(forms.map(show));
    forms.forEach(arm);
    pageStatus.textContent = t({
      fr: "Consignes vérifiées et déchiffrées dans ce navigateur.",
      en: "Instructions verified and decrypted in this browser.",
    });
    pageError.textContent = warningText(documents);
    section.dataset.ready = "true";
  } catch (error) {
    pageStatus.textContent = "";
    pageError.textContent = failure(error);
  }
}

keysReady().then(() => start());
