// A form item on the practice's item page (pages/item.js calls it once the envelope is
// verified and decrypted): the practice's templates opened under the team key, the form
// rendered with the version it names (view.js), and a warning when the template id the
// server keeps in clear differs from the signed one (docs/format.md §5).
//
// Exported:
//   renderFormItem(group, json, {practiceId, claimedTemplate}) → Promise<{found, mismatch,
//        valid}>: fills `group` ([data-fields-for=form]); `valid` false (and nothing shown
//        but a sentence) when the body lacks the template id or version §5 requires
import { t } from "../form.js";
import { loadTemplates } from "./io.js";
import { isFormBody, readFormBody, renderForm } from "./view.js";

export async function renderFormItem(group, json, { practiceId, claimedTemplate }) {
  const box = group.querySelector("[data-form-shown]");
  const note = group.querySelector("[data-form-note]");
  if (!isFormBody(json)) {
    note.textContent = t({
      fr: "Ce formulaire n'a pas pu être lu : il ne nomme pas son modèle et sa version.",
      en: "This form could not be read: it does not name its template and version.",
    }).replace(" :", "\u00a0:");
    return { valid: false, found: false, mismatch: false };
  }
  let templates = { templates: [] };
  try {
    templates = (await loadTemplates(practiceId)).body;
  } catch (error) {
    note.textContent = error?.sentences ? t(error.sentences) : t({
      fr: "Les modèles de formulaires n'ont pas pu être ouverts : les valeurs sont montrées telles quelles.",
      en: "The form templates could not be opened: the values are shown as they are.",
    }).replace(" :", "\u00a0:");
  }
  const { found } = renderForm(box, json, templates);
  const signed = readFormBody(json).templateId;
  const mismatch = Boolean(claimedTemplate) && claimedTemplate !== signed;
  if (mismatch) {
    const warning = document.createElement("p");
    warning.className = "error";
    warning.setAttribute("role", "alert");
    warning.dataset.formTemplateMismatch = "";
    warning.textContent = t({
      fr: `Attention : le serveur classe ce formulaire sous le modèle ${claimedTemplate}, mais l'auteur a signé le modèle ${signed}. Cette page montre le formulaire signé ; signalez-le à l'administrateur.`,
      en: `Warning: the server files this form under template ${claimedTemplate}, but the author signed template ${signed}. This page shows the signed form; report it to the administrator.`,
    }).replace(" :", "\u00a0:").replace(" ;", "\u00a0;");
    box.prepend(warning);
  }
  group.dataset.formRendered = found ? "version" : "fallback";
  return { valid: true, found, mismatch };
}
