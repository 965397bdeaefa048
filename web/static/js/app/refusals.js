// Refusals of htmx requests (forms and buttons inside a page): the server answers with one
// sentence (`_partials/refusal.html`), shown here in the form's status area and tied to the
// field it is about, instead of replacing the request's target with it.
import { markField } from "./form.js";

const FALLBACK = {
  fr: "La demande a été refusée. Réessayez.",
  en: "The request was refused. Please try again.",
};

function sentenceOf(xhr) {
  const answer = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  const refusal = answer.querySelector("[data-refusal]");
  const lang = document.documentElement.lang === "en" ? "en" : "fr";
  return {
    text: refusal ? refusal.textContent.trim() : FALLBACK[lang],
    field: refusal ? refusal.dataset.field : undefined,
  };
}

/** The element that holds the sentence: the form's `[data-error]`, made when it has none. */
function areaFor(source) {
  const form = source.closest("form");
  const owner = form ?? source;
  const existing = form
    ? form.querySelector("[data-error]")
    : owner.nextElementSibling?.matches("[data-refusal-shown]")
      ? owner.nextElementSibling
      : null;
  if (existing) return { form, area: existing };
  const area = document.createElement("p");
  area.className = "error";
  area.setAttribute("role", "alert");
  if (form) {
    area.dataset.error = "";
    form.append(area);
  } else {
    area.dataset.refusalShown = "";
    owner.after(area);
  }
  return { form, area };
}

document.addEventListener("htmx:beforeSwap", (event) => {
  const { xhr, requestConfig } = event.detail;
  if (xhr.status < 400) return;
  const source = requestConfig?.elt ?? event.target;
  const { text, field } = sentenceOf(xhr);
  const { form, area } = areaFor(source);
  const status = form?.querySelector("[data-status]");
  if (status) status.textContent = "";
  area.textContent = text;
  if (form) markField(form, area, field);
  event.detail.shouldSwap = false;
  event.detail.isError = false; // shown to the person: not an error for the console
});

// A later success clears the sentence and the field's mark.
document.addEventListener("htmx:afterRequest", (event) => {
  const answered = event.detail.xhr?.status ?? 0;
  if (answered < 200 || answered >= 400) return; // a refusal was just shown: keep it
  const source = event.detail.requestConfig?.elt ?? event.target;
  const form = source.closest?.("form");
  if (form) {
    const area = form.querySelector("[data-error]");
    if (area) area.textContent = "";
    markField(form, area, undefined);
  } else if (source.nextElementSibling?.matches("[data-refusal-shown]")) {
    source.nextElementSibling.remove();
  }
});

// Forms that share a block (`[data-error-scope]`, such as /account's contact details): a
// request from one of them clears the sentences the others still show, so an old refusal
// never stays beside a later answer.
document.addEventListener("htmx:beforeRequest", (event) => {
  const source = event.detail.requestConfig?.elt ?? event.target;
  const form = source.closest?.("form");
  const scope = form?.closest("[data-error-scope]");
  if (!scope) return;
  for (const other of scope.querySelectorAll("form")) {
    if (other === form) continue;
    const area = other.querySelector("[data-error]");
    if (!area || !area.textContent) continue;
    area.textContent = "";
    markField(other, area, undefined);
  }
});
