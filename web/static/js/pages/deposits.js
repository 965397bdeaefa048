// The secretary's deposits: each one's label, sealed by this browser to her own X25519 key
// (docs/format.md §11) and opened here with her own secret key — never by the server, never
// by the practice; and, on demand, the replies the practice wrote about it (app/thread.js).
import { fromBase64url, openLabel, sealLabel, toBase64url } from "../crypto/index.js";
import { send } from "../app/api.js";
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import { loadKeys } from "../app/keystore.js";
import { pageZone } from "../app/localdates.js";
import { keysReady } from "../app/unlock-prompt.js";
import { sentenceOf, showThread } from "../app/thread.js";

const section = document.getElementById("deposits");
const pageError = section.querySelector("[data-deposits-error]");

function setUpRow(row, unlocked) {
  if (row.dataset.ready) return;
  row.dataset.ready = "true";
  const itemId = row.dataset.itemId;
  const cell = row.querySelector("[data-label-cell]");
  const shown = cell.querySelector("[data-label-text]");
  if (cell.dataset.sealedLabel) {
    try {
      shown.textContent = openLabel(fromBase64url(cell.dataset.sealedLabel), itemId, unlocked.keys.x25519SecretKey);
      cell.dataset.opened = "true";
    } catch {
      shown.textContent = t({ fr: "(étiquette illisible)", en: "(unreadable label)" });
      cell.dataset.opened = "false";
    }
  }
  const form = cell.querySelector("[data-label-form]");
  const input = form.querySelector("[data-label-input]");
  if (cell.dataset.opened === "true") input.value = shown.textContent;
  armForm(form, async () => {
    busy(form, true);
    try {
      const text = input.value.trim();
      const label = text ? toBase64url(sealLabel(itemId, text, unlocked.keys.x25519PublicKey)) : null;
      await send("PUT", `/workspace/deposits/${itemId}/label`, { label });
      shown.textContent = text || "—";
      showStatus(form, t({ fr: "Étiquette enregistrée.", en: "Label saved." }));
      cell.dataset.opened = text ? "true" : "";
    } catch (error) {
      showError(form, sentenceOf(error));
    } finally {
      busy(form, false);
    }
  });
  const button = row.querySelector("[data-show-thread]");
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", open ? "false" : "true");
    let box = row.querySelector("[data-thread]");
    if (open) {
      if (box) box.hidden = true;
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.dataset.thread = "";
      box.dataset.itemId = itemId;
      box.dataset.practiceId = row.dataset.practiceId;
      button.after(box);
    }
    box.hidden = false;
    showThread(box, { itemId, practiceId: row.dataset.practiceId, canWrite: true, timeZone: pageZone() });
  });
}

function setUpAll() {
  const unlocked = loadKeys();
  if (!unlocked) {
    pageError.textContent = t({
      fr: "Vos clés ne sont pas ouvertes dans cet onglet\u00a0: reconnectez-vous pour lire vos étiquettes.",
      en: "Your keys are not open in this tab: sign in again to read your labels.",
    });
    return;
  }
  for (const row of section.querySelectorAll("tr[data-item-id]")) setUpRow(row, unlocked);
}

await keysReady();
setUpAll();
// "More" swaps the next page's rows in (htmx): set them up too.
document.body.addEventListener("htmx:afterSwap", setUpAll);
