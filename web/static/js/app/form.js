// Showing progress and errors in a form: always as text, never as HTML.

export function formParts(form) {
  return {
    status: form.querySelector("[data-status]"),
    error: form.querySelector("[data-error]"),
    button: form.querySelector('button[type="submit"]'),
  };
}

export function showStatus(form, text) {
  const { status, error } = formParts(form);
  if (error) error.textContent = "";
  if (status) status.textContent = text;
}

export function showError(form, text, field) {
  const { status, error } = formParts(form);
  if (status) status.textContent = "";
  if (error) error.textContent = text;
  markField(form, error, field);
}

/**
 * Tie the form's error sentence to the field it is about (`aria-invalid`, described by the
 * sentence, focused), and untie every other field; no `field`: untie them all.
 */
export function markField(form, error, field) {
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    if (error && input.getAttribute("aria-describedby") === error.id) {
      input.removeAttribute("aria-describedby");
    }
  }
  const input = field && form.elements.namedItem(field);
  if (!input || !error || !(input instanceof HTMLElement)) return;
  if (!error.id) error.id = `${form.id || "form"}-error-${Math.random().toString(36).slice(2, 8)}`;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", error.id);
  input.focus();
}

export function busy(form, on) {
  const { button } = formParts(form);
  if (button) button.disabled = on;
  form.setAttribute("aria-busy", on ? "true" : "false");
}

/** The page's language, for the few sentences the modules write themselves. */
export function lang() {
  return document.documentElement.lang === "en" ? "en" : "fr";
}

/** Pick the sentence in the page's language: t({ fr: "…", en: "…" }). */
export function t(sentences) {
  return sentences[lang()];
}

/**
 * Attach `handler` as the submit listener of `form` and only then enable its submit button.
 * Forms holding passwords have no action and a disabled button in the HTML, so nothing can
 * ever be submitted natively (password in a request body or URL) when this module did not run.
 */
export function armForm(form, handler) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    return handler(event);
  });
  const { button } = formParts(form);
  if (button) button.disabled = false;
}
