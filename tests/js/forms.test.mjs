// The form machinery's pure modules (web/static/js/app/forms/: template.js, values.js,
// builtins.js) and the read-only view's resolution (view.js without the DOM).
import "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { BUILTINS, builtinVersion, newTemplateFrom } from "../../web/static/js/app/forms/builtins.js";
import {
  FIELD_ID,
  FIELD_TYPES,
  latestVersion,
  newFieldId,
  normaliseTemplates,
  offeredTemplates,
  setArchived,
  templateById,
  templateProblems,
  versionOf,
  withEditedVersion,
} from "../../web/static/js/app/forms/template.js";
import {
  canonicalDate,
  canonicalMoney,
  canonicalNumber,
  canonicalTime,
  checkValues,
  displayValue,
  emptyValues,
  formBody,
  isEmpty,
} from "../../web/static/js/app/forms/values.js";
import { fallbackVersion, formSummary, isFormBody, readFormBody, resolveForm } from "../../web/static/js/app/forms/view.js";
import { encodeBody, decodeBody } from "../../web/static/js/crypto/index.js";

const T1 = "0f8fad5b-d9cb-469f-a165-70867728950e";
const T2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

test("numbers: French and English spellings become one canonical decimal", () => {
  const cases = {
    "12,5": "12.5",
    "12.50": "12.5",
    "+12.5": "12.5",
    " 1 234,5 ": "1234.5",
    "1\u202f234,5": "1234.5",
    "1.234,5": "1234.5",
    "1,234.5": "1234.5",
    "1,234": "1.234", // French first: a comma is the decimal mark
    "007": "7",
    "-0": "0",
    "-0,00": "0",
    "-3": "-3",
    ",5": "0.5",
    "5.": "5",
    "0.1": "0.1",
  };
  for (const [typed, canonical] of Object.entries(cases)) assert.equal(canonicalNumber(typed), canonical, typed);
  for (const bad of ["", "abc", "1e3", "1,2,3", "12,5 kg", "0x10", "Infinity", "NaN", "--1", "1..2"]) {
    assert.equal(canonicalNumber(bad), null, bad);
  }
});

test("money: at least two and at most four decimals, euro sign and spaces accepted", () => {
  assert.equal(canonicalMoney("12,5"), "12.50");
  assert.equal(canonicalMoney("12 €"), "12.00");
  assert.equal(canonicalMoney("€3"), "3.00");
  assert.equal(canonicalMoney("0,035"), "0.035");
  assert.equal(canonicalMoney("0.03500"), "0.035");
  assert.equal(canonicalMoney("1\u00a0234,56\u00a0€"), "1234.56");
  assert.equal(canonicalMoney("0.1234"), "0.1234");
  assert.equal(canonicalMoney("0.12345"), null);
  assert.equal(canonicalMoney("12,5 EUR"), null);
});

test("dates and times: canonical ISO forms, impossible ones refused", () => {
  assert.equal(canonicalDate("2026-12-02"), "2026-12-02");
  assert.equal(canonicalDate("2/12/2026"), "2026-12-02");
  assert.equal(canonicalDate("29.02.2028"), "2028-02-29");
  for (const bad of ["2026-02-29", "2026-13-01", "2026-1-2", "12/2026", "", "0000-01-01"]) assert.equal(canonicalDate(bad), null, bad);
  assert.equal(canonicalTime("9:30"), "09:30");
  assert.equal(canonicalTime("9h30"), "09:30");
  assert.equal(canonicalTime("19 h 15"), "19:15");
  assert.equal(canonicalTime("19\u00a0h\u00a015"), "19:15");
  assert.equal(canonicalTime("9 h"), "09:00");
  for (const bad of ["9", "24:00", "12:60", "9:5", "midi"]) assert.equal(canonicalTime(bad), null, bad);
});

const VERSION = {
  version: 2,
  name: "Commande",
  description: "",
  fields: [
    { id: "supplier", label: "Fournisseur", type: "text", required: true, help: "", choices: [], columns: [] },
    { id: "amount", label: "Montant", type: "money", required: false, help: "", choices: [], columns: [] },
    { id: "when", label: "Date", type: "date", required: false, help: "", choices: [], columns: [] },
    { id: "at", label: "Heure", type: "time", required: false, help: "", choices: [], columns: [] },
    { id: "kind", label: "Type", type: "choice", required: false, help: "", choices: ["Première visite", "Suivi"], columns: [] },
    { id: "urgent", label: "Urgent", type: "yes_no", required: false, help: "", choices: [], columns: [] },
    {
      id: "lines",
      label: "Lignes",
      type: "table",
      required: true,
      help: "",
      choices: [],
      columns: [
        { id: "label", label: "Désignation", type: "text", required: true, help: "", choices: [], columns: [] },
        { id: "qty", label: "Quantité", type: "number", required: false, help: "", choices: [], columns: [] },
      ],
    },
  ],
};

test("checking values: canonical forms, required fields and columns, one sentence each", () => {
  const ok = checkValues(VERSION, {
    supplier: "Médical & Co; \"Paris\"",
    amount: "12,5",
    when: "02/12/2026",
    at: "9h05",
    kind: "Suivi",
    urgent: "yes",
    lines: [{ label: "Gants", qty: "3,0" }, { label: "", qty: "" }],
  });
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.values, {
    supplier: "Médical & Co; \"Paris\"",
    amount: "12.50",
    when: "2026-12-02",
    at: "09:05",
    kind: "Suivi",
    urgent: "yes",
    lines: [{ label: "Gants", qty: "3" }], // the empty line is not kept
  });

  const bad = checkValues(VERSION, { supplier: "  ", amount: "douze", kind: "Autre", urgent: "maybe", lines: [{ label: "", qty: "2" }] });
  const byField = bad.problems.map((p) => [p.field, p.row, p.column]);
  assert.deepEqual(byField, [
    ["supplier", undefined, undefined],
    ["amount", undefined, undefined],
    ["kind", undefined, undefined],
    ["urgent", undefined, undefined],
    ["lines", 0, "label"],
  ]);
  assert.equal(bad.problems[0].message.fr, "« Fournisseur » est obligatoire.");
  assert.equal(bad.problems[0].message.en, '"Fournisseur" is required.');
  assert.match(bad.problems[4].message.fr, /ligne 1\u00a0: « Désignation » est obligatoire\.$/);

  const noLines = checkValues(VERSION, { supplier: "x", lines: [] });
  assert.deepEqual(noLines.problems.map((p) => p.field), ["lines"]);
  assert.match(noLines.problems[0].message.en, /at least one line/);
  const badCell = checkValues(VERSION, { supplier: "x", lines: [{ label: "a", qty: "trois" }] });
  assert.deepEqual([badCell.problems[0].row, badCell.problems[0].column], [0, "qty"]);
  assert.match(badCell.problems[0].message.fr, /^« Lignes », ligne 1, « Quantité » n'est pas un nombre/);
});

test("the form item's body names template and version and writes every field", () => {
  const template = { id: T1, origin: "order", archived: false, versions: [VERSION] };
  const body = formBody(template, VERSION, { supplier: "A" });
  assert.deepEqual(Object.keys(body).sort(), ["template_id", "template_name", "template_version", "values"]);
  assert.equal(body.template_version, 2);
  assert.deepEqual(body.values, { ...emptyValues(VERSION), supplier: "A" });
  // Canonical JSON (docs/format.md §5) round-trips.
  assert.deepEqual(decodeBody(encodeBody(body)), body);
});

test("display: decimal comma, euros, long dates, 19 h 15, oui/non; odd values as their text", () => {
  const f = (type) => ({ type, choices: [], columns: [] });
  assert.equal(displayValue(f("number"), "12.5", "fr"), "12,5");
  assert.equal(displayValue(f("number"), "12.5", "en"), "12.5");
  assert.equal(displayValue(f("money"), "12.50", "fr"), "12,50\u00a0€");
  assert.equal(displayValue(f("date"), "2026-12-02", "fr"), "2 décembre 2026");
  assert.equal(displayValue(f("time"), "19:15", "fr"), "19\u00a0h\u00a015");
  assert.equal(displayValue(f("yes_no"), "no", "fr"), "non");
  assert.equal(displayValue(f("money"), "douze", "fr"), "douze");
  assert.equal(displayValue(f("date"), "demain", "fr"), "demain");
  assert.equal(displayValue(f("number"), 12, "fr"), "12");
  assert.equal(isEmpty(f("table"), []), true);
  assert.equal(isEmpty(f("text"), " "), true);
});

test("templates are read defensively: bad ids, versions and fields are left out", () => {
  const body = normaliseTemplates({
    templates: [
      { id: T1, origin: "order", archived: true, versions: [{ version: 1, name: "A", fields: [{ id: "x", type: "weird" }, { id: "x" }, { id: "Bad Id" }, { id: "t", type: "table", columns: [{ id: "n", type: "table" }] }] }, { version: 1 }, { version: 0 }, { version: 1.5 }] },
      { id: T1, versions: [{ version: 1 }] }, // repeated id
      { id: "not-a-uuid", versions: [{ version: 1 }] },
      { id: T2, origin: "spaceship", versions: [] }, // no version
      "junk",
    ],
  });
  assert.equal(body.templates.length, 1);
  const [t] = body.templates;
  assert.equal(t.origin, "order");
  assert.equal(t.archived, true);
  assert.deepEqual(t.versions.map((v) => v.version), [1]);
  assert.deepEqual(t.versions[0].fields.map((f) => [f.id, f.type]), [["x", "text"], ["t", "table"]]);
  assert.equal(t.versions[0].fields[1].columns[0].type, "text");
  assert.deepEqual(normaliseTemplates(null), { templates: [] });
  assert.deepEqual(offeredTemplates(body), []);
});

test("editing a template appends a version; earlier versions stay as they were", () => {
  const first = withEditedVersion({}, T1, builtinVersion("record", "fr"), "record");
  assert.equal(first.changed, true);
  assert.equal(first.version, 1);
  const unchanged = withEditedVersion(first.body, T1, builtinVersion("record", "fr"));
  assert.equal(unchanged.changed, false);
  assert.equal(unchanged.version, 1);
  const edited = builtinVersion("record", "fr");
  edited.fields = edited.fields.filter((f) => f.id !== "email");
  edited.fields.push({ id: newFieldId(), label: " Mutuelle ", type: "text" });
  const second = withEditedVersion(first.body, T1, edited);
  assert.equal(second.version, 2);
  const t = templateById(second.body, T1);
  assert.equal(t.origin, "record");
  assert.deepEqual(t.versions.map((v) => v.version), [1, 2]);
  assert.deepEqual(versionOf(t, 1), versionOf(templateById(first.body, T1), 1));
  assert.equal(latestVersion(t).fields.at(-1).label, "Mutuelle");
  assert.ok(versionOf(t, 1).fields.some((f) => f.id === "email"));
  assert.equal(versionOf(t, 3), null);
  // Archiving keeps every version and hides the template from secretaries.
  const archived = setArchived(second.body, T1, true);
  assert.equal(offeredTemplates(archived).length, 0);
  assert.equal(templateById(archived, T1).versions.length, 2);
  assert.equal(offeredTemplates(setArchived(archived, T1, false)).length, 1);
  // What the editor saves is a valid body: normalising it again changes nothing.
  assert.deepEqual(normaliseTemplates(JSON.parse(JSON.stringify(second.body))), second.body);
});

test("an edited version with problems is not saved: name, labels, choices, columns, ids", () => {
  assert.deepEqual(templateProblems(builtinVersion("order", "en")), []);
  const problems = templateProblems({
    name: " ",
    fields: [
      { id: "a", label: "", type: "text" },
      { id: "a", label: "Choix", type: "choice", choices: [" "] },
      { id: "t", label: "Lignes", type: "table", columns: [] },
      { id: "u", label: "U", type: "table", columns: [{ id: "c", label: "", type: "table" }] },
    ],
  });
  assert.deepEqual(problems.map((p) => p.en), [
    "The form has no name.",
    "Field 1 has no label.",
    "Field 2 has an invalid or repeated id.",
    'The field "Choix" offers no choice.',
    'The table "Lignes" has no column.',
    "Column 1 of field 4 is not valid.",
    "Column 1 of field 4 has no label.",
  ]);
  assert.deepEqual(templateProblems({ name: "x", fields: [] }).map((p) => p.en), ["The form has no field."]);
});

test("the three built-in templates are valid in both languages and use every field type", () => {
  assert.deepEqual(Object.keys(BUILTINS), ["appointment", "order", "record"]);
  const used = new Set();
  for (const origin of Object.keys(BUILTINS)) {
    for (const lang of ["fr", "en"]) {
      const v = builtinVersion(origin, lang);
      assert.deepEqual(templateProblems(v), [], `${origin} ${lang}`);
      for (const f of v.fields) {
        used.add(f.type);
        assert.match(f.id, FIELD_ID);
        for (const c of f.columns) used.add(c.type);
      }
    }
  }
  assert.deepEqual([...used].sort(), [...FIELD_TYPES].filter((t) => t !== "yes_no").sort());
  assert.equal(builtinVersion("appointment", "fr").fields.find((f) => f.id === "visit").choices[0], "Première visite");
  assert.equal(builtinVersion("nope"), null);
  assert.equal(builtinVersion("__proto__"), null);
  const fresh = newTemplateFrom("appointment", "en");
  assert.match(fresh.id, /^[0-9a-f-]{36}$/);
  assert.equal(fresh.version.name, "Appointment");
  assert.match(newFieldId(), /^f-[0-9a-f]{8}$/);
});

test("a form renders from the version it names, after the template changed, or falls back", () => {
  const v1 = builtinVersion("record", "fr");
  const { body } = withEditedVersion({}, T1, v1, "record");
  const template = templateById(body, T1);
  const filled = formBody(template, latestVersion(template), { last_name: "Dupont", birth_date: "1980-05-04" });
  const v2 = { ...v1, fields: v1.fields.map((f) => (f.id === "last_name" ? { ...f, label: "Nom de famille" } : f)) };
  const later = withEditedVersion(body, T1, v2).body;
  const resolved = resolveForm(filled, later);
  assert.equal(resolved.found, true);
  assert.equal(resolved.version.version, 1);
  assert.equal(resolved.version.fields[0].label, "Nom");
  assert.equal(formSummary(filled, later, "fr"), "Fiche — Dupont · 4 mai 1980");

  const lost = resolveForm(filled, { templates: [] });
  assert.equal(lost.found, false);
  assert.equal(lost.version.fields[0].label, "last_name");
  assert.equal(formSummary(filled, { templates: [] }, "fr"), "Fiche — Dupont · 1980-05-04");
  assert.equal(isFormBody(filled), true);
  for (const bad of [{}, { template_id: T1 }, { template_id: T1, template_version: 0 }, { template_id: 1, template_version: 1 }, { template_id: T1, template_version: 1.5 }, null]) {
    assert.equal(isFormBody(bad), false, JSON.stringify(bad));
  }
  assert.deepEqual(readFormBody("junk"), { templateId: "", templateVersion: 0, templateName: "", values: {} });
  const table = fallbackVersion(readFormBody({ values: { lines: [{ a: "1", b: "2" }, { c: "3" }] } }));
  assert.deepEqual(table.fields[0].columns.map((c) => c.id), ["a", "b", "c"]);
});
