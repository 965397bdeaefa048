// Invitation forms: cleared once the invitation is made (the link is shown below them), and a
// "Copy the link" button on the link — the clipboard API, or selecting the text and the
// browser's copy command where that API is missing or refused — that says when it copied.
import { t } from "./form.js";

document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.target.closest?.("[data-invite-form]");
  const answered = event.detail.xhr?.status ?? 0;
  if (!form || event.target !== form || answered < 200 || answered >= 300) return;
  form.reset();
  form.elements.username?.focus();
});

function selectText(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function copy(text, element) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // refused (permissions, focus): fall back to the selection
    }
  }
  selectText(element);
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest?.("[data-copy-link]");
  if (!button) return;
  const box = button.closest("[data-invitation]");
  const code = box.querySelector("[data-invitation-link]");
  const said = box.querySelector("[data-copied]");
  const copied = await copy(code.textContent.trim(), code);
  if (!copied) selectText(code);
  said.textContent = copied
    ? t({ fr: "Lien copié.", en: "Link copied." })
    : t({
        fr: "Le lien est sélectionné\u00a0: copiez-le avec Ctrl+C (⌘+C sur Mac).",
        en: "The link is selected: copy it with Ctrl+C (⌘+C on a Mac).",
      });
});
