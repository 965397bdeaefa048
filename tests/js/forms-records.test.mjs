// Records as a table and as CSV for French Excel (web/static/js/app/forms/records.js).
import "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { builtinVersion } from "../../web/static/js/app/forms/builtins.js";
import { cellText, csvBytes, csvCell, localStamp, recordColumns, recordsTable, toCsv } from "../../web/static/js/app/forms/records.js";
import { normaliseTemplates, templateById, withEditedVersion } from "../../web/static/js/app/forms/template.js";
import { formBody } from "../../web/static/js/app/forms/values.js";

const T = "0f8fad5b-d9cb-469f-a165-70867728950e";

test("cells are quoted only when they must be, quotes doubled (RFC 4180)", () => {
  assert.equal(csvCell("Dupont"), "Dupont");
  assert.equal(csvCell("a;b"), '"a;b"');
  assert.equal(csvCell('dit "oui"'), '"dit ""oui"""');
  assert.equal(csvCell("ligne 1\nligne 2"), '"ligne 1\nligne 2"');
  assert.equal(csvCell("cr\r"), '"cr\r"');
  assert.equal(csvCell(" espaces , virgule "), " espaces , virgule ");
  assert.equal(toCsv(["a", "b"], [["1", "2;3"]]), 'a;b\r\n1;"2;3"\r\n');
  const bytes = csvBytes(["é"], []);
  assert.deepEqual([...bytes], [0xef, 0xbb, 0xbf, 0xc3, 0xa9, 0x0d, 0x0a]);
});

test("values in French Excel's conventions; text exactly as entered", () => {
  const f = (type, extra = {}) => ({ type, choices: [], columns: [], ...extra });
  assert.equal(cellText(f("number"), "12.5"), "12,5");
  assert.equal(cellText(f("money"), "1234.50"), "1234,50");
  assert.equal(cellText(f("date"), "2026-12-02"), "02/12/2026");
  assert.equal(cellText(f("time"), "09:30"), "09:30");
  assert.equal(cellText(f("yes_no"), "yes"), "Oui");
  assert.equal(cellText(f("text"), "  =1+1; \"x\"\n"), "  =1+1; \"x\"\n");
  assert.equal(cellText(f("number"), "douze"), "douze");
  const table = f("table", { columns: [{ id: "a", type: "text" }, { id: "q", type: "number" }] });
  assert.equal(cellText(table, [{ a: "Gants", q: "2.5" }, { a: "Masques", q: "1" }]), "Gants | 2,5\nMasques | 1");
  assert.equal(localStamp("2026-12-02T13:30:00.000Z", "Europe/Paris"), "02/12/2026 14:30");
});

test("a template's records: every version's fields, labels of the last, each form by its own values", () => {
  const v1 = builtinVersion("record", "fr");
  let body = withEditedVersion({}, T, v1, "record").body;
  const v2 = { ...v1, fields: [...v1.fields.filter((x) => x.id !== "email").map((x) => (x.id === "last_name" ? { ...x, label: "Nom de famille" } : x)), { id: "insurer", label: "Mutuelle", type: "text" }] };
  body = normaliseTemplates(withEditedVersion(body, T, v2).body);
  const template = templateById(body, T);
  const columns = recordColumns(template);
  assert.deepEqual(columns.map((c) => c.id), ["last_name", "first_name", "birth_date", "phone", "address", "notes", "insurer", "email"]);
  const old = formBody(template, template.versions[0], { last_name: "Dupont", email: "d@example.org", birth_date: "1980-05-04" });
  const recent = formBody(template, template.versions[1], { last_name: "Martin", insurer: "MGEN" });
  const table = recordsTable(template, [
    { id: "b", json: recent, at: "2026-12-02T13:30:00.000Z", author: "sophie" },
    { id: "a", json: old, at: "2026-12-01T08:05:00.000Z", author: "sophie" },
  ], { timeZone: "Europe/Paris" });
  assert.equal(table.header[0], "Nom de famille");
  assert.deepEqual(table.header.slice(-4), ["E-mail", "Version", "Déposé le", "Par"]);
  assert.deepEqual(table.rows[0], ["Martin", "", "", "", "", "", "MGEN", "", "2", "02/12/2026 14:30", "sophie"]);
  assert.deepEqual(table.rows[1], ["Dupont", "", "04/05/1980", "", "", "", "", "d@example.org", "1", "01/12/2026 09:05", "sophie"]);
});
