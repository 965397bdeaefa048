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

export function showError(form, text) {
  const { status, error } = formParts(form);
  if (status) status.textContent = "";
  if (error) error.textContent = text;
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
