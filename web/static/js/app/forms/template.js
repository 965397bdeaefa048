// Form templates (docs/format.md §10, "Form templates", type 0x06): reading the document's
// body whatever it holds, finding a template's versions, and saving an edited template as a
// new version. Pure functions (no DOM), tested in tests/js/forms.test.mjs.
//
// Exported:
//   FIELD_TYPES                     the field types, in the editor's order
//   ORIGINS                         the built-in templates' names ("appointment", "order", "record")
//   normaliseTemplates(body)        → {templates: [template]}: every key present and typed,
//                                     invalid templates, versions and fields left out
//   normaliseField(field, inTable)  → one field read defensively (a nested table is text)
//   latestVersion(template)         → its last version (or null)
//   versionOf(template, n)          → version n of the template (or null)
//   templateById(body, id)          → the template of that id in a normalised body (or null)
//   offeredTemplates(body)          → the templates a secretary may fill in (not archived)
//   templateProblems(version)       → [{fr, en}] what prevents saving an edited version
//   withEditedVersion(body, id, ed) → a new body: template `id` with `ed` ({name,
//                                     description, fields}) appended as its next version when
//                                     it differs from the last one (a new template if `id` is
//                                     not in the body); `{body, version, changed}`
//   setArchived(body, id, archived) → a new body with that template archived or offered again
//   newFieldId()                    → "f-" and 8 hex digits, for a field the editor adds
//   FIELD_ID                        the pattern of a field id

export const FIELD_TYPES = ["text", "number", "money", "date", "time", "choice", "yes_no", "table"];
export const ORIGINS = ["appointment", "order", "record"];
export const FIELD_ID = /^[a-z0-9_-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const text = (value) => (typeof value === "string" ? value : "");
const list = (value) => (Array.isArray(value) ? value : []);
const object = (value) => (value !== null && typeof value === "object" && !Array.isArray(value) ? value : {});
const strings = (value) => list(value).filter((s) => typeof s === "string");

/** One field read defensively; inside a table (`inTable`) a table column is read as text. */
export function normaliseField(field, inTable = false) {
  const f = object(field);
  let type = FIELD_TYPES.includes(f.type) ? f.type : "text";
  if (inTable && type === "table") type = "text";
  return {
    id: text(f.id),
    label: text(f.label),
    type,
    required: f.required === true,
    help: text(f.help),
    choices: type === "choice" ? strings(f.choices) : [],
    columns: type === "table" ? uniqueFields(list(f.columns), true) : [],
  };
}

function uniqueFields(fields, inTable) {
  const seen = new Set();
  const out = [];
  for (const raw of fields) {
    const field = normaliseField(raw, inTable);
    if (!FIELD_ID.test(field.id) || seen.has(field.id)) continue;
    seen.add(field.id);
    out.push(field);
  }
  return out;
}

function normaliseVersion(version) {
  const v = object(version);
  return {
    version: v.version,
    name: text(v.name),
    description: text(v.description),
    fields: uniqueFields(list(v.fields), false),
  };
}

/** The document's body read defensively: `{templates: [...]}`, each with its valid versions. */
export function normaliseTemplates(body) {
  const seen = new Set();
  const templates = [];
  for (const raw of list(object(body).templates)) {
    const t = object(raw);
    if (typeof t.id !== "string" || !UUID.test(t.id) || seen.has(t.id)) continue;
    const versions = [];
    const numbers = new Set();
    for (const v of list(t.versions).map(normaliseVersion)) {
      if (!Number.isSafeInteger(v.version) || v.version < 1 || numbers.has(v.version)) continue;
      numbers.add(v.version);
      versions.push(v);
    }
    if (versions.length === 0) continue;
    seen.add(t.id);
    templates.push({
      id: t.id,
      origin: ORIGINS.includes(t.origin) ? t.origin : "",
      archived: t.archived === true,
      versions,
    });
  }
  return { templates };
}

/** The template's last version (the current name and fields), or null. */
export function latestVersion(template) {
  const versions = template?.versions ?? [];
  return versions.length ? versions.reduce((a, b) => (b.version > a.version ? b : a)) : null;
}

/** Version `n` of the template, or null (a form naming a version the document lacks). */
export function versionOf(template, n) {
  return (template?.versions ?? []).find((v) => v.version === n) ?? null;
}

/** The template of id `id` in a normalised body, or null. */
export function templateById(body, id) {
  return (body?.templates ?? []).find((t) => t.id === id) ?? null;
}

/** The templates a secretary may fill in: those not archived, in the document's order. */
export function offeredTemplates(body) {
  return (body?.templates ?? []).filter((t) => !t.archived);
}

/** What prevents saving an edited version, as sentences {fr, en}; [] when it may be saved. */
export function templateProblems(version) {
  const problems = [];
  if (text(version?.name).trim() === "") problems.push({ fr: "Le formulaire n'a pas de nom.", en: "The form has no name." });
  const fields = list(version?.fields);
  if (fields.length === 0) problems.push({ fr: "Le formulaire n'a aucun champ.", en: "The form has no field." });
  const check = (field, where, inTable = false) => {
    const label = text(field.label).trim();
    if (label === "") problems.push({ fr: `${where.fr} n'a pas de libellé.`, en: `${where.en} has no label.` });
    const name = label || where.en;
    if (field.type === "choice" && strings(field.choices).filter((c) => c.trim() !== "").length === 0) {
      problems.push({ fr: `Le champ « ${name} » n'offre aucun choix.`, en: `The field "${name}" offers no choice.` });
    }
    if (!inTable && field.type === "table" && list(field.columns).length === 0) {
      problems.push({ fr: `Le tableau « ${name} » n'a aucune colonne.`, en: `The table "${name}" has no column.` });
    }
  };
  const ids = new Set();
  fields.forEach((field, n) => {
    if (!FIELD_ID.test(text(field.id)) || ids.has(field.id)) {
      problems.push({ fr: `Le champ ${n + 1} a un identifiant invalide ou répété.`, en: `Field ${n + 1} has an invalid or repeated id.` });
    }
    ids.add(field.id);
    check(field, { fr: `Le champ ${n + 1}`, en: `Field ${n + 1}` });
    const columnIds = new Set();
    list(field.columns).forEach((column, c) => {
      if (!FIELD_ID.test(text(column.id)) || columnIds.has(column.id) || column.type === "table") {
        problems.push({ fr: `La colonne ${c + 1} du champ ${n + 1} est invalide.`, en: `Column ${c + 1} of field ${n + 1} is not valid.` });
      }
      columnIds.add(column.id);
      check(column, { fr: `La colonne ${c + 1} du champ ${n + 1}`, en: `Column ${c + 1} of field ${n + 1}` }, true);
    });
  });
  return problems;
}

function cleanField(field, inTable) {
  const f = normaliseField(field, inTable);
  return {
    ...f,
    label: f.label.trim(),
    help: f.help.trim(),
    choices: f.choices.map((c) => c.trim()).filter((c) => c !== ""),
    columns: f.columns.map((c) => cleanField(c, true)),
  };
}

/**
 * A new body where template `id` has `edited` ({name, description, fields}) as its next
 * version, unless it equals the last one. A template not in the body is added (with
 * `origin`). Earlier versions are kept untouched. Answers `{body, version, changed}`.
 */
export function withEditedVersion(body, id, edited, origin = "") {
  const normal = normaliseTemplates(body);
  const next = {
    name: text(edited.name).trim(),
    description: text(edited.description).trim(),
    fields: list(edited.fields).map((f) => cleanField(f, false)),
  };
  const existing = templateById(normal, id);
  const last = latestVersion(existing);
  const same = last && JSON.stringify({ name: last.name, description: last.description, fields: last.fields }) === JSON.stringify(next);
  if (same) return { body: normal, version: last.version, changed: false };
  const version = last ? last.version + 1 : 1;
  const entry = { version, ...next };
  const templates = existing
    ? normal.templates.map((t) => (t.id === id ? { ...t, versions: [...t.versions, entry] } : t))
    : [...normal.templates, { id, origin: ORIGINS.includes(origin) ? origin : "", archived: false, versions: [entry] }];
  return { body: { templates }, version, changed: true };
}

/** A new body with template `id` archived (no longer offered) or offered again. */
export function setArchived(body, id, archived) {
  const normal = normaliseTemplates(body);
  return { templates: normal.templates.map((t) => (t.id === id ? { ...t, archived: Boolean(archived) } : t)) };
}

/** A new field's id: "f-" and 8 random hex digits. */
export function newFieldId() {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `f-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
