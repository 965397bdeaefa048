// A form item's values shown read-only (the practice's item page and inbox row, docs/items.md
// "Forms"), from its verified and decrypted body (docs/format.md §5) and the practice's form
// templates (§10): the version the form names gives the labels and types. Everything is
// written with textContent. A form whose version is not found (a document rolled back, a
// template the reader cannot open) is still shown: its template name as signed and each
// value under its field id.
//
// Exported:
//   isFormBody(json)                 → whether the body names its template (a string) and
//                                      version (an integer ≥ 1), which §5 requires (else the
//                                      item is shown as "decryption failed")
//   readFormBody(json)               → {templateId, templateVersion, templateName, values}
//                                      read defensively (missing: "", 0, {})
//   resolveForm(json, templates)     → {body, template, version, found}: the template version
//                                      the form names, in a normalised 0x06 body (template.js)
//   renderValues(container, version, values, {lang}) → a <dl> of label and value (a table
//                                      field as a <table> of its lines), replacing children
//   renderForm(container, json, templates, {lang}) → resolveForm + a title + renderValues, or
//                                      the fallback; returns what resolveForm answered
//   formSummary(json, templates, lang, count) → one line for an inbox row: the template's name
//                                      and the first `count` (3) non-empty values
//   fallbackVersion(body)            → a version made of the body's own keys (all text), for the fallback
import { templateById, versionOf } from "./template.js";
import { displayValue, isEmpty } from "./values.js";

const pageLang = () => (globalThis.document?.documentElement.lang === "en" ? "en" : "fr");

const WORDS = {
  unknown: {
    fr: "Ce formulaire nomme une version de modèle introuvable : ses valeurs sont montrées telles quelles.",
    en: "This form names a template version that cannot be found: its values are shown as they are.",
  },
  empty: { fr: "(vide)", en: "(empty)" },
  noLines: { fr: "Aucune ligne.", en: "No line." },
  version: { fr: "version", en: "version" },
};

const object = (value) => (value !== null && typeof value === "object" && !Array.isArray(value) ? value : {});

/** Whether the body has what docs/format.md §5 requires of a form: template id and version. */
export function isFormBody(json) {
  const b = object(json);
  return typeof b.template_id === "string" && Number.isSafeInteger(b.template_version) && b.template_version >= 1;
}

/** The body's keys read defensively. */
export function readFormBody(json) {
  const b = object(json);
  return {
    templateId: typeof b.template_id === "string" ? b.template_id : "",
    templateVersion: Number.isSafeInteger(b.template_version) ? b.template_version : 0,
    templateName: typeof b.template_name === "string" ? b.template_name : "",
    values: object(b.values),
  };
}

/** A version made of the body's own keys, every value shown as text (tables as lines). */
export function fallbackVersion(body) {
  return {
    version: body.templateVersion,
    name: body.templateName,
    description: "",
    fields: Object.keys(body.values).map((id) => {
      const value = body.values[id];
      const columns = Array.isArray(value)
        ? [...new Set(value.flatMap((row) => Object.keys(object(row))))].map((c) => ({ id: c, label: c, type: "text", required: false, help: "", choices: [], columns: [] }))
        : [];
      return { id, label: id, type: Array.isArray(value) ? "table" : "text", required: false, help: "", choices: [], columns };
    }),
  };
}

/** The template version the form names, or the fallback (`found` false). */
export function resolveForm(json, templates) {
  const body = readFormBody(json);
  const template = templateById(templates, body.templateId);
  const version = versionOf(template, body.templateVersion);
  return { body, template, version: version ?? fallbackVersion(body), found: Boolean(version) };
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, String(value));
  }
  node.append(...children);
  return node;
}

function cell(field, value, lang) {
  return displayValue(field, typeof value === "string" ? value : value == null ? "" : JSON.stringify(value), lang);
}

/** A <dl> of the version's fields and the values (replacing the container's children). */
export function renderValues(container, version, values, { lang = pageLang() } = {}) {
  const dl = el("dl", { class: "fields form-values" });
  for (const field of version.fields) {
    const value = values?.[field.id];
    const dd = el("dd", { dataset: { formValue: field.id } });
    if (field.type === "table") {
      const rows = Array.isArray(value) ? value.map(object) : [];
      if (rows.length === 0) dd.textContent = WORDS.noLines[lang];
      else {
        const head = el("tr", {}, ...field.columns.map((c) => el("th", { scope: "col", text: c.label || c.id })));
        const body = el("tbody", {}, ...rows.map((row) => el("tr", {}, ...field.columns.map((c) => el("td", { text: cell(c, row[c.id], lang), "data-label": c.label || c.id })))));
        dd.append(el("div", { class: "form-lines-scroll", tabindex: "0", role: "region", "aria-label": field.label || field.id }, el("table", { class: "form-lines" }, el("thead", {}, head), body)));
      }
    } else {
      dd.textContent = cell(field, value, lang);
      if (isEmpty(field, value)) dd.classList.add("empty");
    }
    dl.append(el("dt", { text: field.label || field.id }), dd);
  }
  container.replaceChildren(dl);
  return dl;
}

/** The form as the practice reads it: the template's name and version, then the values. */
export function renderForm(container, json, templates, { lang = pageLang() } = {}) {
  const resolved = resolveForm(json, templates);
  const { body, version, found } = resolved;
  const values = el("div");
  renderValues(values, version, body.values, { lang });
  const name = (found ? version.name : "") || body.templateName;
  const title = el("p", { class: "form-title", dataset: { formTemplate: body.templateId, formVersion: String(body.templateVersion) } });
  title.append(el("strong", { text: name }), ` (${WORDS.version[lang]} ${body.templateVersion})`);
  const parts = [title];
  if (!found) parts.push(el("p", { class: "warning", role: "status", "data-form-unknown": "", text: WORDS.unknown[lang] }));
  container.replaceChildren(...parts, ...values.childNodes);
  return resolved;
}

/** One line for a row of the inbox: the template's name, then the first non-empty values. */
export function formSummary(json, templates, lang = pageLang(), count = 3) {
  const { body, version, found } = resolveForm(json, templates);
  const name = (found ? version.name : "") || body.templateName;
  const parts = [];
  for (const field of version.fields) {
    if (parts.length >= count) break;
    const value = body.values[field.id];
    if (field.type === "table") {
      if (Array.isArray(value) && value.length) parts.push(`${field.label || field.id}\u00a0: ${value.length}`.replace("\u00a0:", lang === "fr" ? "\u00a0:" : ":"));
      continue;
    }
    if (!isEmpty(field, value)) parts.push(cell(field, value, lang));
  }
  return parts.length ? `${name} — ${parts.join(" · ")}` : name;
}
