// The form templates part of the member's instructions editor (docs/desk.md, "Form
// templates"): the practice's templates listed, a new one started from a built-in or blank,
// its fields edited (add, reorder, remove, preview as the secretary sees it), and saved as
// the template's next version in the practice's one 0x06 document, encrypted here under the
// team key and signed with this member's key (app/forms/io.js over app/team.js).
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import {
  builtinVersion,
  editorAction,
  latestVersion,
  loadTemplates,
  readDraft,
  renderEditor,
  renderFields,
  saveTemplates,
  setArchived,
  templateById,
  templateProblems,
  withEditedVersion,
} from "../app/forms/index.js";
import { failureText, signedBy } from "../app/instructions-io.js";
import { loadKeys } from "../app/keystore.js";
import { forgetTeamKeys } from "../app/team.js";

const section = document.querySelector("[data-form-templates]");
const practiceId = document.getElementById("instructions").dataset.practiceId;
const list = section.querySelector("[data-template-list]");
const status = section.querySelector("[data-templates-status]");
const error = section.querySelector("[data-templates-error]");
const creator = section.querySelector("[data-new-template]");
const editor = section.querySelector("[data-template-editor]");
const box = editor.querySelector("[data-editor-fields]");
const preview = section.querySelector("[data-template-preview]");
const previewFields = preview.querySelector("[data-preview-fields]");
const lang = document.documentElement.lang === "en" ? "en" : "fr";

let current = { doc: null, body: { templates: [] } };
let editing = null; // {id, origin, isNew}

function say(text, problem = "") {
  status.textContent = text;
  error.textContent = problem;
}

function showList() {
  list.replaceChildren();
  for (const template of current.body.templates) {
    const last = latestVersion(template);
    const item = document.createElement("li");
    item.dataset.templateId = template.id;
    const name = document.createElement("strong");
    name.textContent = last.name;
    const state = template.archived ? t({ fr: " (archivé : plus proposé aux secrétaires)", en: " (archived: no longer offered to secretaries)" }) : "";
    item.append(name, ` — ${t({ fr: "version", en: "version" })} ${last.version}${state.replace(" :", "\u00a0:")} `);
    const edit = document.createElement("button");
    edit.type = "button";
    edit.className = "secondary";
    edit.dataset.editTemplate = template.id;
    edit.textContent = t({ fr: "Modifier", en: "Edit" });
    edit.setAttribute("aria-label", `${t({ fr: "Modifier", en: "Edit" })} ${last.name}`);
    const records = document.createElement("a");
    records.href = `/practice/records#template=${template.id}`;
    records.textContent = t({ fr: "Voir les fiches", en: "See the records" });
    records.setAttribute("aria-label", `${t({ fr: "Voir les fiches", en: "See the records" })} ${last.name}`);
    item.append(edit, records);
    list.append(item);
  }
  if (current.body.templates.length === 0) {
    const item = document.createElement("li");
    item.className = "hint";
    item.textContent = t({ fr: "Aucun modèle de formulaire pour l'instant.", en: "No form template yet." });
    list.append(item);
  }
  section.querySelector("[data-templates-signed-by]").textContent = current.doc ? signedBy(current.doc) : "";
}

function showPreview() {
  const draft = readDraft(box);
  preview.hidden = false;
  renderFields(previewFields, { version: 0, ...draft }, { lang, prefix: "preview" });
}

function open(draft, { id, origin, isNew, archived }) {
  editing = { id, origin, isNew, archived };
  editor.hidden = false;
  editor.querySelector("[data-editor-title]").textContent = isNew
    ? t({ fr: "Nouveau modèle de formulaire", en: "New form template" })
    : t({ fr: `Modifier « ${draft.name} »`, en: `Edit "${draft.name}"` });
  const archive = editor.querySelector("[data-archive]");
  archive.hidden = isNew;
  archive.textContent = archived
    ? t({ fr: "Proposer de nouveau aux secrétaires", en: "Offer to secretaries again" })
    : t({ fr: "Archiver (ne plus proposer)", en: "Archive (no longer offer)" });
  renderEditor(box, draft, { lang });
  showPreview();
  showStatus(editor, "");
  box.querySelector('[data-prop="name"]').focus();
}

function close() {
  editing = null;
  editor.hidden = true;
  preview.hidden = true;
  box.replaceChildren();
  previewFields.replaceChildren();
}

async function reload() {
  current = await loadTemplates(practiceId);
  showList();
  const warnings = [];
  if (current.unreadable) warnings.push(t({ fr: "Un document de modèles n'a pas pu être vérifié ni déchiffré.", en: "A templates document could not be verified or decrypted." }));
  if (current.rolledBack) warnings.push(t({ fr: "Attention : le serveur a servi une version plus ancienne des modèles que celle déjà vue.", en: "Warning: the server served an older revision of the templates than one already seen." }));
  error.textContent = warnings.join(" ");
}

async function store(body, done) {
  busy(editor, true);
  try {
    showStatus(editor, t({ fr: "Chiffrement, signature et envoi…", en: "Encrypting, signing and sending…" }));
    await saveTemplates(practiceId, current.doc, body);
    await reload();
    showStatus(editor, done());
    editor.dataset.saved = String(current.doc?.revision ?? "");
  } catch (e) {
    showError(editor, failureText(e));
  } finally {
    busy(editor, false);
  }
}

list.addEventListener("click", (event) => {
  const button = event.target.closest("[data-edit-template]");
  if (!button) return;
  const template = templateById(current.body, button.dataset.editTemplate);
  const last = latestVersion(template);
  open({ name: last.name, description: last.description, fields: last.fields }, { id: template.id, origin: template.origin, isNew: false, archived: template.archived });
});

box.addEventListener("click", (event) => {
  const button = event.target.closest("[data-edit]");
  if (!button) return;
  editorAction(box, button, lang);
  showPreview();
});
box.addEventListener("input", () => showPreview());
box.addEventListener("change", () => showPreview());

editor.querySelector("[data-close]").addEventListener("click", () => {
  close();
  creator.querySelector("select").focus();
});

editor.querySelector("[data-archive]").addEventListener("click", async () => {
  if (!editing || editing.isNew) return;
  const archived = !editing.archived;
  const id = editing.id;
  await store(setArchived(current.body, id, archived), () => {
    editing.archived = archived;
    open(readDraft(box), { ...editing });
    return archived
      ? t({ fr: "Archivé : les secrétaires ne le voient plus ; les formulaires déjà remplis restent lisibles.", en: "Archived: secretaries no longer see it; forms already filled in stay readable." }).replace(" :", "\u00a0:").replace(" ;", "\u00a0;")
      : t({ fr: "Proposé de nouveau aux secrétaires.", en: "Offered to secretaries again." });
  });
});

function arm() {
  armForm(creator, () => {
    const origin = creator.elements.origin.value;
    const draft = builtinVersion(origin, lang) ?? { name: "", description: "", fields: [] };
    open(draft, { id: crypto.randomUUID(), origin, isNew: true, archived: false });
  });
  armForm(editor, async () => {
    const draft = readDraft(box);
    const problems = templateProblems(draft);
    if (problems.length) {
      showError(editor, problems.map((p) => t(p)).join(" "));
      return;
    }
    const { body, version, changed } = withEditedVersion(current.body, editing.id, draft, editing.origin);
    if (!changed) {
      showStatus(editor, t({ fr: "Rien n'a changé : aucune nouvelle version.", en: "Nothing changed: no new version." }).replace(" :", "\u00a0:"));
      return;
    }
    const id = editing.id;
    await store(body, () => {
      editing = { ...editing, isNew: false };
      editor.querySelector("[data-editor-title]").textContent = t({ fr: `Modifier « ${draft.name} »`, en: `Edit "${draft.name}"` });
      editor.querySelector("[data-archive]").hidden = false;
      return t({
        fr: `Enregistré : « ${draft.name} », version ${version}, chiffré pour l'équipe du cabinet.`,
        en: `Saved: "${draft.name}", version ${version}, encrypted for the practice's team.`,
      }).replace(" :", "\u00a0:");
    });
    void id;
  });
}

// After the instructions' module: on a member's first visit it makes team key version 1,
// which a parallel read would try to make too.
function waitForInstructions() {
  const instructions = document.getElementById("instructions");
  const pageError = instructions.querySelector("[data-page-error]");
  return new Promise((resolve) => {
    const check = () => (loadKeys() && (instructions.dataset.ready === "true" || pageError.textContent) ? resolve() : setTimeout(check, 200));
    check();
  });
}

async function start() {
  say(t({ fr: "Ouverture des modèles…", en: "Opening the templates…" }));
  await waitForInstructions();
  try {
    try {
      await reload();
    } catch {
      forgetTeamKeys(); // a version made meanwhile (another tab, another member): once more
      await reload();
    }
    arm();
    say(t({ fr: "Modèles vérifiés et déchiffrés dans ce navigateur.", en: "Templates verified and decrypted in this browser." }), error.textContent);
    section.dataset.ready = "true";
  } catch (e) {
    say("", failureText(e));
  }
}

start();
