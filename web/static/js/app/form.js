// Showing progress and errors in a form: always as text, never as HTML.
import { focusLost, focusOn } from "./focus.js";

let errorIds = 0;

/** The form's fields, to which a form-level message is tied (aria-describedby). */
function fieldsOf(form) {
  return [...form.querySelectorAll("input:not([type=hidden]), select, textarea")];
}

function describedBy(el, id, on) {
  const ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter((x) => x && x !== id);
  if (on) ids.push(id);
  if (ids.length) el.setAttribute("aria-describedby", ids.join(" "));
  else el.removeAttribute("aria-describedby");
}

/**
 * Tie the error message to the fields: every field is described by it, and the fields it is
 * about (`field`, or those the browser finds invalid) are marked aria-invalid. Cleared by
 * showStatus and by the next showError.
 */
function tieError(form, error, text, field) {
  if (!error.id) error.id = `form-error-${++errorIds}`;
  const invalid = field ? [field] : fieldsOf(form).filter((el) => !el.checkValidity());
  for (const el of fieldsOf(form)) {
    describedBy(el, error.id, Boolean(text));
    if (text && invalid.includes(el)) el.setAttribute("aria-invalid", "true");
    else el.removeAttribute("aria-invalid");
  }
  return invalid;
}

export function formParts(form) {
  return {
    status: form.querySelector("[data-status]"),
    error: form.querySelector("[data-error]"),
    button: form.querySelector('button[type="submit"]'),
  };
}

export function showStatus(form, text) {
  const { status, error } = formParts(form);
  if (error) {
    error.textContent = "";
    tieError(form, error, "");
  }
  if (status) status.textContent = text;
}

/** `field` as an element of `form`: an element, a field's name (a refusal's `field`), or none. */
function fieldElement(form, field) {
  if (!field) return undefined;
  const el = typeof field === "string" ? form.elements.namedItem(field) : field;
  return el instanceof HTMLElement ? el : undefined;
}

/**
 * Show `text` as the form's error, tied to its fields (or to `field`, an element or a field's
 * name, which is then marked invalid). If focus was lost (the submit button was disabled
 * while busy), it goes to the invalid field, or to the message.
 */
export function showError(form, text, field) {
  const { status, error } = formParts(form);
  if (status) status.textContent = "";
  if (!error) return;
  error.textContent = text;
  const invalid = tieError(form, error, text, fieldElement(form, field));
  if (text && (focusLost() || form.contains(document.activeElement))) {
    if (invalid.length) focusOn(invalid[0], true);
    else if (focusLost()) focusOn(error, true);
  }
}

/**
 * Tie the sentence `error` (already written) to the field it is about (`field`'s name:
 * marked invalid, described by it, focused); no `field`: untie every field.
 */
export function markField(form, error, field) {
  if (!error) return;
  const el = fieldElement(form, field);
  tieError(form, error, error.textContent && el ? error.textContent : "", el);
  if (el && error.textContent) el.focus();
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
