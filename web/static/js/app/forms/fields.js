// A form template's version rendered as the fields of an HTML form, for the secretary's
// filler and the pages of appointments and order forms (docs/items.md, "Forms"). Labels,
// help and choices come from the decrypted template and are written with textContent only.
// What is typed is read back as raw values and turned into canonical ones by values.js.
//
// Exported:
//   renderFields(container, version, {values, lang, prefix})
//        replace the container's children with one block per field of `version`
//        (normalised, template.js), filled with `values` (canonical, e.g. a previous form's)
//        — text, number and money inputs, date and time inputs, a select for a choice,
//        two radios for yes/no, and for a table an editable table of lines with
//        "Add a line" / "Remove" buttons; required fields marked `required` and "*"
//   readFields(container, version) → raw values: field id → string, a table → [{column: string}]
//   fillFields(container, version, values) → put canonical values back into the inputs
//   collectValues(container, version) → checkValues(version, readFields(…)) (values.js):
//        {values, problems}; also marks the fields in error (showProblems)
//   showProblems(container, problems, lang) → aria-invalid and the message under each field
//        concerned (cleared first); the first one gets the focus when `focus` is true
//   addLine(container, fieldId, row) → append a line to a table field (returns its <tr>)
import { checkValues, decimalForDisplay } from "./values.js";

const WORDS = {
  yes: { fr: "Oui", en: "Yes" },
  no: { fr: "Non", en: "No" },
  none: { fr: "—", en: "—" },
  add: { fr: "Ajouter une ligne", en: "Add a line" },
  remove: { fr: "Retirer", en: "Remove" },
  line: { fr: "ligne", en: "line" },
  required: { fr: "obligatoire", en: "required" },
  actions: { fr: "Actions", en: "Actions" },
};

const pageLang = () => (globalThis.document?.documentElement.lang === "en" ? "en" : "fr");
let counter = 0;

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

function shown(field, value, lang) {
  if (typeof value !== "string") return "";
  if ((field.type === "number" || field.type === "money") && /^-?\d+(\.\d+)?$/.test(value)) return decimalForDisplay(value, lang);
  return value;
}

/** One input (or select, or radio group) for a scalar field; `name` unique in the page. */
function control(field, value, name, lang, ariaLabel) {
  const common = { name, "data-input": true, "aria-label": ariaLabel, autocomplete: "off" };
  switch (field.type) {
    case "number":
    case "money":
      return el("input", { ...common, type: "text", inputmode: "decimal", value: shown(field, value, lang), maxlength: 40 });
    case "date":
      return el("input", { ...common, type: "date", value: typeof value === "string" ? value : "" });
    case "time":
      return el("input", { ...common, type: "time", value: typeof value === "string" ? value : "" });
    case "choice": {
      const select = el("select", common, el("option", { value: "", text: WORDS.none[lang] }));
      for (const choice of field.choices) select.append(el("option", { value: choice, text: choice }));
      select.value = field.choices.includes(value) ? value : "";
      return select;
    }
    case "yes_no": {
      const group = el("span", { class: "form-yes-no", role: "radiogroup", "aria-label": ariaLabel, "data-input": true });
      for (const answer of ["yes", "no"]) {
        const radio = el("input", { type: "radio", name, value: answer });
        radio.checked = value === answer;
        group.append(el("label", {}, radio, ` ${WORDS[answer][lang]}`));
      }
      return group;
    }
    default:
      return el("input", { ...common, type: "text", value: typeof value === "string" ? value : "", maxlength: 5000 });
  }
}

function labelText(field) {
  return field.required ? `${field.label} *` : field.label;
}

function tableLine(field, row, lang, prefix, n) {
  const tr = el("tr", { "data-line": true });
  for (const column of field.columns) {
    const name = `${prefix}-${field.id}-${++counter}-${column.id}`;
    const input = control(column, row?.[column.id], name, lang, `${labelText(column)}, ${WORDS.line[lang]} ${n + 1}`);
    input.dataset.column = column.id;
    if (column.required && input.tagName !== "SPAN") input.setAttribute("aria-required", "true");
    tr.append(el("td", { "data-label": labelText(column) }, input));
  }
  tr.append(el("td", {}, el("button", { type: "button", "data-remove-line": true, text: WORDS.remove[lang], "aria-label": `${WORDS.remove[lang]} : ${WORDS.line[lang]} ${n + 1}`.replace(" :", lang === "fr" ? "\u00a0:" : ":") })));
  return tr;
}

function renumber(tbody, field, lang) {
  [...tbody.querySelectorAll(":scope > tr")].forEach((tr, n) => {
    field.columns.forEach((column, c) => {
      const input = tr.children[c].firstElementChild;
      input.setAttribute("aria-label", `${labelText(column)}, ${WORDS.line[lang]} ${n + 1}`);
    });
    tr.lastElementChild.firstElementChild.setAttribute("aria-label", `${WORDS.remove[lang]}${lang === "fr" ? "\u00a0:" : ":"} ${WORDS.line[lang]} ${n + 1}`);
  });
}

function tableBlock(field, rows, lang, prefix) {
  const head = el("tr", {}, ...field.columns.map((c) => el("th", { scope: "col", text: labelText(c) })), el("th", { scope: "col", text: WORDS.actions[lang] }));
  const tbody = el("tbody");
  (Array.isArray(rows) ? rows : []).forEach((row, n) => tbody.append(tableLine(field, row, lang, prefix, n)));
  const add = el("button", { type: "button", "data-add-line": true, text: WORDS.add[lang] });
  const caption = el("caption", { text: labelText(field), class: "visually-hidden" });
  const table = el("table", { class: "form-lines" }, caption, el("thead", {}, head), tbody);
  return { scroll: el("div", { class: "form-lines-scroll", tabindex: "0", role: "region", "aria-label": field.label }, table), add, tbody };
}

/** Replace `container`'s children with the fields of `version`, filled with `values`. */
export function renderFields(container, version, { values = {}, lang = pageLang(), prefix } = {}) {
  const p = prefix ?? `form${++counter}`;
  container.dataset.formPrefix = p;
  container.classList.add("form-fields");
  container.replaceChildren();
  for (const field of version.fields) {
    const id = `${p}-${field.id}`;
    const helpId = `${id}-help`;
    const errorId = `${id}-error`;
    const block = el("div", { class: `form-field form-field-${field.type}`, dataset: { formField: field.id, fieldType: field.type } });
    const help = field.help ? el("p", { class: "hint", id: helpId, text: field.help }) : null;
    const error = el("p", { class: "error", id: errorId, "data-field-error": true });
    const describedBy = [help ? helpId : "", errorId].filter(Boolean).join(" ");
    if (field.type === "table") {
      const { scroll, add, tbody } = tableBlock(field, values[field.id], lang, p);
      const legend = el("legend", { text: labelText(field) });
      const set = el("fieldset", { "aria-describedby": describedBy }, legend, ...(help ? [help] : []), scroll, add, error);
      block.append(set);
      add.addEventListener("click", () => {
        const tr = addLine(container, field.id);
        tr.querySelector("[data-column]")?.focus();
      });
      tbody.addEventListener("click", (event) => {
        const remove = event.target.closest("[data-remove-line]");
        if (!remove) return;
        remove.closest("tr").remove();
        renumber(tbody, field, lang);
        add.focus();
      });
    } else if (field.type === "yes_no") {
      const group = control(field, values[field.id], id, lang, field.label);
      group.removeAttribute("aria-label");
      const set = el("fieldset", { "aria-describedby": describedBy }, el("legend", { text: labelText(field) }), group, ...(help ? [help] : []), error);
      block.append(set);
    } else {
      const input = control(field, values[field.id], id, lang, null);
      input.removeAttribute("aria-label");
      input.id = id;
      input.setAttribute("aria-describedby", describedBy);
      if (field.required) input.required = true;
      const label = el("label", { for: id, text: labelText(field) });
      block.append(label, input, ...(help ? [help] : []), error);
    }
    block._field = field;
    block._lang = lang;
    container.append(block);
  }
  container._lang = lang;
}

/** Append a line (with `row`'s canonical values) to the table field `fieldId`. */
export function addLine(container, fieldId, row = {}) {
  const block = container.querySelector(`[data-form-field="${CSS.escape(fieldId)}"]`);
  const tbody = block.querySelector("tbody");
  const field = block._field;
  const lang = block._lang;
  const tr = tableLine(field, row, lang, container.dataset.formPrefix, tbody.children.length);
  tbody.append(tr);
  return tr;
}

function scalar(block, field) {
  if (field.type === "yes_no") {
    const checked = block.querySelector("input[type=radio]:checked");
    return checked ? checked.value : "";
  }
  return block.querySelector("[data-input]").value;
}

function cellValue(td) {
  const input = td.querySelector("[data-column]");
  if (input.tagName === "SPAN") {
    const checked = input.querySelector("input:checked");
    return checked ? checked.value : "";
  }
  return input.value;
}

/** What was typed: field id → string, a table → [{column id: string}] (empty lines kept). */
export function readFields(container, version) {
  const raw = {};
  for (const field of version.fields) {
    const block = container.querySelector(`[data-form-field="${CSS.escape(field.id)}"]`);
    if (!block) continue;
    if (field.type === "table") {
      raw[field.id] = [...block.querySelectorAll("tbody > tr")].map((tr) =>
        Object.fromEntries(field.columns.map((c, n) => [c.id, cellValue(tr.children[n])])),
      );
    } else {
      raw[field.id] = scalar(block, field);
    }
  }
  return raw;
}

/** Put canonical values back into the inputs (a table's lines rebuilt). */
export function fillFields(container, version, values) {
  renderFields(container, version, { values, lang: container._lang ?? pageLang(), prefix: container.dataset.formPrefix });
}

/** Mark the fields of `problems` (values.js checkValues) and write each message under its field. */
export function showProblems(container, problems, { lang = pageLang(), focus = false } = {}) {
  for (const node of container.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  for (const node of container.querySelectorAll("[data-field-error]")) node.textContent = "";
  let first = null;
  for (const problem of problems) {
    const block = container.querySelector(`[data-form-field="${CSS.escape(problem.field)}"]`);
    if (!block) continue;
    const error = block.querySelector("[data-field-error]");
    error.textContent = error.textContent ? `${error.textContent} ${problem.message[lang]}` : problem.message[lang];
    let target;
    if (problem.column !== undefined) {
      const tr = block.querySelectorAll("tbody > tr")[problem.row];
      target = tr?.querySelector(`[data-column="${CSS.escape(problem.column)}"]`);
    }
    target ??= block.querySelector("[data-input], [data-add-line]");
    if (target) {
      target.setAttribute("aria-invalid", "true");
      if (target.tagName !== "SPAN" && !target.hasAttribute("aria-describedby")) target.setAttribute("aria-describedby", error.id);
    }
    first ??= target?.tagName === "SPAN" ? target.querySelector("input") : target;
  }
  if (focus && first) first.focus();
}

/** The canonical values and the problems that prevent a deposit; marks the fields in error. */
export function collectValues(container, version, { lang = pageLang(), focus = true } = {}) {
  const result = checkValues(version, readFields(container, version));
  showProblems(container, result.problems, { lang, focus });
  return result;
}
