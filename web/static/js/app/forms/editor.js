// The template editor's form (docs/desk.md, "Form templates"): one template's draft — name,
// description, fields with their type, required flag, help, choices and a table's columns —
// rendered as inputs, read back, and changed by the editor's buttons (add, move up and
// down, remove a field or a column). Labels are written with textContent only.
//
// Exported:
//   renderEditor(box, draft, {lang}) → replace box's children with the draft's inputs;
//        draft: {name, description, fields: [field]} (template.js field shape)
//   readDraft(box)                   → the draft the inputs describe (choices one per line)
//   editorAction(box, button, lang)  → apply the button's data-edit action (add-field,
//        add-column, up, down, remove) to the draft and re-render; the focus moves to the
//        moved field's same button, or to the new field's label; returns the new draft
import { FIELD_TYPES, newFieldId } from "./template.js";

const TYPE_LABELS = {
  text: { fr: "Texte", en: "Text" },
  number: { fr: "Nombre", en: "Number" },
  money: { fr: "Montant (€)", en: "Amount (€)" },
  date: { fr: "Date", en: "Date" },
  time: { fr: "Heure", en: "Time" },
  choice: { fr: "Choix", en: "Choice" },
  yes_no: { fr: "Oui / non", en: "Yes / no" },
  table: { fr: "Tableau de lignes", en: "Table of lines" },
};

const W = {
  name: { fr: "Nom du formulaire", en: "Form's name" },
  description: { fr: "Description (pour les secrétaires)", en: "Description (for the secretaries)" },
  field: { fr: "Champ", en: "Field" },
  column: { fr: "Colonne", en: "Column" },
  label: { fr: "Libellé", en: "Label" },
  type: { fr: "Type", en: "Type" },
  required: { fr: "Obligatoire", en: "Required" },
  help: { fr: "Aide (facultatif)", en: "Help (optional)" },
  choices: { fr: "Choix, un par ligne", en: "Choices, one per line" },
  columns: { fr: "Colonnes du tableau", en: "Table's columns" },
  addField: { fr: "Ajouter un champ", en: "Add a field" },
  addColumn: { fr: "Ajouter une colonne", en: "Add a column" },
  up: { fr: "Monter", en: "Move up" },
  down: { fr: "Descendre", en: "Move down" },
  remove: { fr: "Retirer", en: "Remove" },
};

const pageLang = () => (document.documentElement.lang === "en" ? "en" : "fr");
let serial = 0;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(key, "");
    else if (value !== false && value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  node.append(...children);
  return node;
}

function labelled(text, control) {
  const id = `fe-${++serial}`;
  control.id = id;
  return el("div", { class: "stack" }, el("label", { for: id, text }), control);
}

function input(prop, value, extra = {}) {
  return el("input", { "data-prop": prop, value: value ?? "", maxlength: 500, autocomplete: "off", ...extra });
}

function fieldBlock(field, n, count, lang, inTable) {
  const kind = inTable ? W.column : W.field;
  const title = `${kind[lang]} ${n + 1}${field.label ? ` : ${field.label}` : ""}`.replace(" :", lang === "fr" ? "\u00a0:" : ":");
  const block = el("fieldset", { class: "stack form-editor-field", dataset: inTable ? { columnRow: "" } : { fieldRow: "" } });
  block.append(el("legend", { text: title }));
  block.append(el("input", { type: "hidden", "data-prop": "id", value: field.id }));
  block.append(labelled(W.label[lang], input("label", field.label, { maxlength: 200 })));
  const select = el("select", { "data-prop": "type" });
  for (const type of FIELD_TYPES) {
    if (inTable && type === "table") continue;
    select.append(el("option", { value: type, text: TYPE_LABELS[type][lang] }));
  }
  select.value = field.type;
  block.append(labelled(W.type[lang], select));
  const required = el("input", { type: "checkbox", "data-prop": "required" });
  required.checked = field.required === true;
  block.append(el("label", { class: "inline-check" }, required, ` ${W.required[lang]}`));
  block.append(labelled(W.help[lang], input("help", field.help)));
  const choices = el("textarea", { "data-prop": "choices", rows: 3, maxlength: 5000 });
  choices.value = (field.choices ?? []).join("\n");
  const choiceBox = labelled(W.choices[lang], choices);
  choiceBox.hidden = field.type !== "choice";
  choiceBox.dataset.forType = "choice";
  block.append(choiceBox);
  if (!inTable) {
    const columns = el("fieldset", { class: "stack", dataset: { forType: "table" } }, el("legend", { text: W.columns[lang] }));
    const list = el("div", { class: "stack rows", "data-columns": true });
    (field.columns ?? []).forEach((c, i) => list.append(fieldBlock(c, i, field.columns.length, lang, true)));
    columns.append(list, el("button", { type: "button", class: "secondary", "data-edit": "add-column", text: W.addColumn[lang] }));
    columns.hidden = field.type !== "table";
    block.append(columns);
  }
  const name = field.label || `${kind[lang]} ${n + 1}`;
  const actions = el("div", { class: "row-actions" });
  const action = (what, text, disabled) =>
    el("button", { type: "button", class: "secondary", "data-edit": what, "aria-label": `${text} : ${name}`.replace(" :", lang === "fr" ? "\u00a0:" : ":"), text, disabled });
  actions.append(action("up", W.up[lang], n === 0), action("down", W.down[lang], n === count - 1), action("remove", W.remove[lang], false));
  block.append(actions);
  return block;
}

/** Replace `box`'s children with the inputs of `draft`. */
export function renderEditor(box, draft, { lang = pageLang() } = {}) {
  box._lang = lang;
  const fields = el("div", { class: "stack rows", "data-fields": true });
  draft.fields.forEach((f, n) => fields.append(fieldBlock(f, n, draft.fields.length, lang, false)));
  const description = el("textarea", { "data-prop": "description", rows: 2, maxlength: 2000 });
  description.value = draft.description ?? "";
  box.replaceChildren(
    labelled(`${W.name[lang]} *`, input("name", draft.name, { maxlength: 200, required: true })),
    labelled(W.description[lang], description),
    fields,
    el("button", { type: "button", class: "secondary", "data-edit": "add-field", text: W.addField[lang] }),
  );
  // Choices and columns show only for their type.
  if (!box._armed) box.addEventListener("change", showForType);
  box._armed = true;
}

function showForType(event) {
  if (event.target.dataset.prop !== "type") return;
  const row = event.target.closest("[data-field-row], [data-column-row]");
  for (const part of row.querySelectorAll(":scope > [data-for-type]")) part.hidden = part.dataset.forType !== event.target.value;
}

function readField(row, inTable) {
  const get = (prop) => row.querySelector(`:scope > [data-prop="${prop}"], :scope > * > [data-prop="${prop}"], :scope > label > [data-prop="${prop}"]`);
  const type = get("type").value;
  return {
    id: get("id").value,
    label: get("label").value.trim(),
    type,
    required: get("required").checked,
    help: get("help").value.trim(),
    choices: type === "choice" ? get("choices").value.split("\n").map((c) => c.trim()).filter((c) => c !== "") : [],
    columns:
      !inTable && type === "table"
        ? [...row.querySelectorAll(":scope > [data-for-type=table] > [data-columns] > [data-column-row]")].map((c) => readField(c, true))
        : [],
  };
}

/** The draft the inputs describe. */
export function readDraft(box) {
  return {
    name: box.querySelector(':scope > * > [data-prop="name"]').value.trim(),
    description: box.querySelector(':scope > * > [data-prop="description"]').value.trim(),
    fields: [...box.querySelectorAll(":scope > [data-fields] > [data-field-row]")].map((row) => readField(row, false)),
  };
}

const blank = () => ({ id: newFieldId(), label: "", type: "text", required: false, help: "", choices: [], columns: [] });

function moveIn(list, index, what) {
  if (what === "remove") list.splice(index, 1);
  else if (what === "up" && index > 0) [list[index - 1], list[index]] = [list[index], list[index - 1]];
  else if (what === "down" && index < list.length - 1) [list[index + 1], list[index]] = [list[index], list[index + 1]];
}

/** Apply an editor button (data-edit) to the draft, re-render, and put the focus back. */
export function editorAction(box, button, lang = box._lang ?? pageLang()) {
  const what = button.dataset.edit;
  const draft = readDraft(box);
  const fieldRows = [...box.querySelectorAll(":scope > [data-fields] > [data-field-row]")];
  const row = button.closest("[data-column-row]") ?? button.closest("[data-field-row]");
  const fieldRow = button.closest("[data-field-row]");
  const f = fieldRow ? fieldRows.indexOf(fieldRow) : -1;
  let focus = null; // [field index, column index | null, what]
  if (what === "add-field") {
    draft.fields.push(blank());
    focus = [draft.fields.length - 1, null, "label"];
  } else if (what === "add-column") {
    draft.fields[f].columns.push(blank());
    focus = [f, draft.fields[f].columns.length - 1, "label"];
  } else if (row.dataset.columnRow !== undefined) {
    const columns = draft.fields[f].columns;
    const c = [...fieldRow.querySelectorAll("[data-column-row]")].indexOf(row);
    moveIn(columns, c, what);
    const at = what === "up" ? c - 1 : what === "down" ? c + 1 : null;
    focus = at === null ? [f, null, "add-column"] : [f, at, what];
  } else {
    moveIn(draft.fields, f, what);
    const at = what === "up" ? f - 1 : what === "down" ? f + 1 : null;
    focus = at === null ? [null, null, "add-field"] : [at, null, what];
  }
  draft.fields = draft.fields.map((x) => ({ ...x, columns: x.columns.map((c) => ({ ...c, columns: [] })) }));
  renderEditor(box, draft, { lang });
  const rows = [...box.querySelectorAll(":scope > [data-fields] > [data-field-row]")];
  const [fi, ci, target] = focus;
  let scope = fi === null ? box : rows[fi];
  if (scope && ci !== null) scope = scope.querySelectorAll("[data-column-row]")[ci];
  let node = null;
  if (scope) {
    if (target === "label") node = scope.querySelector('[data-prop="label"]');
    else if (target === "add-field") node = box.querySelector(':scope > [data-edit="add-field"]');
    else if (target === "add-column") node = scope.querySelector('[data-edit="add-column"]');
    else node = scope.querySelector(`:scope > .row-actions > [data-edit="${target}"]`);
    if (node?.disabled) node = scope.querySelector(':scope > .row-actions > [data-edit="remove"]');
  }
  node?.focus();
  return draft;
}
