// The activity report's "forms by template" table for a member: the server knows each
// template by its id only; this browser opens the practice's templates under the team key
// (app/forms/io.js) and writes each template's current name beside its id.
import { latestVersion, templateById } from "../app/forms/template.js";
import { loadTemplates } from "../app/forms/io.js";
import { loadKeys } from "../app/keystore.js";

const cells = [...document.querySelectorAll("[data-template-name]")];
const practiceId = cells[0]?.dataset.practiceId;
if (practiceId && loadKeys()) {
  loadTemplates(practiceId)
    .then(({ body }) => {
      for (const cell of cells) {
        const template = templateById(body, cell.dataset.templateName);
        if (!template) continue;
        const name = document.createElement("strong");
        name.textContent = latestVersion(template).name;
        cell.replaceWith(name, " ", cell);
        cell.parentElement.dataset.named = "true";
      }
    })
    .catch(() => {}); // the ids stay
}
