// A form's one-line summary in an inbox row (pages/inbox.js): at first from the signed body
// alone (the template's name as signed, values in canonical form), then, once the practice's
// templates are opened under the team key (once per page), with the version's labels,
// order and display forms (view.js formSummary). Written with textContent only.
//
// Exported:
//   setFormPractice(practiceId) → the practice whose templates the summaries use
//   formRowNode(json)           → a <span class="row-form"> with the summary, updated when
//                                 the templates arrive
import { loadTemplates } from "./io.js";
import { formSummary } from "./view.js";

let practice = null;
let templates = null; // a normalised 0x06 body once loaded
let loading = null;
const waiting = new Set();

export function setFormPractice(practiceId) {
  if (practiceId && practiceId !== practice) {
    practice = practiceId;
    templates = null;
    loading = null;
  }
}

function load() {
  if (loading || !practice) return;
  loading = loadTemplates(practice)
    .then((loaded) => {
      templates = loaded.body;
      for (const span of waiting) span.textContent = formSummary(span._json, templates);
      waiting.clear();
    })
    .catch(() => {}); // the summary from the signed body stays
}

export function formRowNode(json) {
  const span = document.createElement("span");
  span.className = "row-form";
  span.textContent = formSummary(json, templates ?? { templates: [] });
  if (!templates) {
    span._json = json;
    waiting.add(span);
    load();
  }
  return span;
}
