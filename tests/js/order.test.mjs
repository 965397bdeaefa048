// Order forms (web/static/js/app/order.js, catalogue.js, order-io.js): what the secretary
// typed is checked and written canonically, totals are exact, the CSV is French Excel's,
// and the form item's values follow the practice's order template.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkCatalogue, normaliseCatalogue, productsOf } from "../../web/static/js/app/catalogue.js";
import { checkOrder, headText, labels, normaliseOrder, ordersCsv, supplierName, supplierText, totalsOf } from "../../web/static/js/app/order.js";
import { orderBody, orderTemplates } from "../../web/static/js/app/order-io.js";

const typed = {
  supplier: supplierText({ name: "Médical Sud", address: "12 rue des Lilas\n13001 Marseille", account: "C-42" }),
  lines: [
    { reference: "GNT-M", label: "Compresses stériles", quantity: "3", unit_price: "19,99", vat_rate: "20 %" },
    { reference: "SER-5", label: "Sérum physiologique", quantity: "2", unit_price: "10,2", vat_rate: "5,5" },
    { reference: "", label: "Abaisse-langue; bois \"large\"", quantity: "26", unit_price: "0.10", vat_rate: "5.5" },
    { reference: "", label: "", quantity: "", unit_price: "", vat_rate: "" },
  ],
  delivery_address: "Cabinet Dr Martin\n1 place du Marché",
  delivery_date: "2026-12-10",
  notes: "",
};

test("an order is checked and written canonically; empty lines are dropped", () => {
  const { order, problem } = checkOrder(typed);
  assert.equal(problem, undefined);
  assert.equal(order.lines.length, 3);
  assert.deepEqual(order.lines.map((l) => [l.quantity, l.unit_price, l.vat_rate]), [
    ["3", "19.99", "20"],
    ["2", "10.20", "5.5"],
    ["26", "0.10", "5.5"],
  ]);
  assert.equal(supplierName(order), "Médical Sud");
  assert.match(order.supplier, /N° client\u00a0: C-42$/);
  const totals = totalsOf(order);
  assert.equal(totals.net, 8297n);
  assert.deepEqual(totals.byRate.map((r) => [r.rate, r.base, r.vat]), [[550n, 2300n, 127n], [2000n, 5997n, 1199n]]);
  assert.equal(totals.gross, 9623n);
});

test("a wrong line is refused in one sentence naming it, in French and English", () => {
  const bad = (line) => checkOrder({ ...typed, lines: [typed.lines[0], line] }).problem;
  assert.match(bad({ label: "x", quantity: "0", unit_price: "1", vat_rate: "20" }).fr, /^Ligne 2\u00a0: /);
  assert.match(bad({ label: "x", quantity: "1", unit_price: "1,2,3", vat_rate: "20" }).en, /^Line 2: This price is not valid/);
  assert.match(bad({ label: "x", quantity: "1", unit_price: "1", vat_rate: "120" }).en, /VAT rate/);
  assert.match(bad({ label: "", quantity: "1", unit_price: "1", vat_rate: "20" }).en, /description/);
  assert.ok(checkOrder({ ...typed, supplier: "" }).problem);
  assert.ok(checkOrder({ ...typed, lines: [] }).problem);
  assert.ok(checkOrder({ ...typed, delivery_date: "2026-13-45" }).problem);
});

test("a body of any shape reads as an order; unparseable amounts give no totals", () => {
  assert.deepEqual(normaliseOrder(null).lines, []);
  const odd = normaliseOrder({ supplier: 3, lines: [{ unit_price: "abc", quantity: "1", vat_rate: "20", label: "x" }, "no"] });
  assert.equal(odd.supplier, "3");
  assert.equal(odd.lines.length, 2);
  assert.equal(totalsOf(odd), null);
});

test("the CSV opens in French Excel: BOM, semicolons, CRLF, decimal comma, quoted cells", () => {
  const { order } = checkOrder(typed);
  const csv = ordersCsv([{ id: "0f8fad5b-d9cb-469f-a165-70867728950e", date: "2026-12-02", status: "commandee", order }]);
  assert.ok(csv.startsWith("\ufeffcommande;date;statut;fournisseur;"));
  const lines = csv.slice(1).split("\r\n");
  assert.equal(lines.length, 5); // header, three lines, and the final CRLF
  assert.equal(lines[4], "");
  assert.equal(
    lines[1],
    "0f8fad5b-d9cb-469f-a165-70867728950e;2026-12-02;commandee;Médical Sud;GNT-M;Compresses stériles;3;19,99;20;59,97;82,97;13,26;96,23;\"Cabinet Dr Martin\n1 place du Marché\";2026-12-10",
  );
  assert.ok(lines[3].includes(';"Abaisse-langue; bois ""large""";26;0,10;5,5;2,60;'));
});

test("the catalogue is checked and written canonically before a member saves it", () => {
  const body = {
    suppliers: [{ name: "Médical Sud" }],
    products: [
      { reference: "G", label: "Gants", unit_price: "0,0350", vat_rate: "20", supplier: "Médical Sud" },
      { label: "Sérum", unit_price: "10,2", vat_rate: "5,5 %", supplier: "" },
    ],
  };
  const { body: checked } = checkCatalogue(body);
  assert.deepEqual(checked.products.map((p) => [p.unit_price, p.vat_rate]), [["0.035", "20"], ["10.20", "5.5"]]);
  assert.equal(productsOf(checked, "Médical Sud").length, 2);
  assert.equal(productsOf(checked, "Autre").length, 1);
  assert.match(checkCatalogue({ products: [{ label: "x", unit_price: "douze" }] }).problem.fr, /^Produit x\u00a0: /);
  assert.match(checkCatalogue({ products: [{ label: "x", unit_price: "1", supplier: "Inconnu" }] }).problem.en, /not in the list/);
  assert.deepEqual(normaliseCatalogue("nonsense"), { delivery_address: "", suppliers: [], products: [] });
});

const UUID_B = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
const UUID_C = "6fa459ea-ee8a-3ca4-894e-db77e160355e";

test("the form item's values follow the practice's order template, every field written", () => {
  const text = (id, extra = {}) => ({ id, label: id, type: "text", required: false, help: "", choices: [], columns: [], ...extra });
  const version = {
    version: 3,
    name: "Bon de commande",
    description: "",
    fields: [
      text("supplier", { required: true }),
      text("lines", {
        type: "table",
        required: true,
        columns: [text("reference"), text("label", { required: true }), text("quantity", { type: "number" }), text("unit_price", { type: "money" }), text("vat_rate", { type: "number" }), text("colour")],
      }),
      text("delivery_address"),
      text("delivery_date", { type: "date" }),
      text("notes"),
      text("budget_code"),
      text("attachments", { type: "table", columns: [text("x")] }),
    ],
  };
  const templates = orderTemplates({
    templates: [
      { id: UUID_B, origin: "record", versions: [version] },
      { id: "0f8fad5b-d9cb-469f-a165-70867728950e", origin: "order", archived: true, versions: [version] },
      { id: UUID_C, origin: "order", versions: [{ ...version, version: 1 }, version] },
    ],
  });
  assert.deepEqual(templates.map((t) => [t.template.id, t.version.version]), [[UUID_C, 3]]);
  const { order } = checkOrder(typed);
  const body = orderBody(templates[0], order);
  assert.equal(body.template_id, UUID_C);
  assert.equal(body.template_version, 3);
  assert.deepEqual(Object.keys(body.values).sort(), ["attachments", "budget_code", "delivery_address", "delivery_date", "lines", "notes", "supplier"]);
  assert.equal(body.values.budget_code, "");
  assert.deepEqual(body.values.attachments, []);
  assert.deepEqual(body.values.lines[1], { reference: "SER-5", label: "Sérum physiologique", quantity: "2", unit_price: "10.20", vat_rate: "5.5", colour: "" });
  // What the practice reads back is the same order.
  assert.deepEqual(normaliseOrder(body.values).lines, order.lines);
  // A field the practice made required that the order page does not fill: refused, named.
  const strict = { ...version, fields: [...version.fields.slice(0, 5), text("budget_code", { required: true })] };
  assert.throws(() => orderBody({ template: templates[0].template, version: strict }, order), /budget_code/);
  assert.throws(() => orderBody({ template: templates[0].template, version: { ...version, fields: [text("supplier")] } }, order));
});

test("the printed order's labels take their colon, with French spacing", () => {
  const meta = { number: "1A2B3C4D", date: "2\u00a0déc.\u00a02026" };
  assert.equal(headText(meta, "fr"), "N°\u00a01A2B3C4D · Date\u00a0: 2\u00a0déc.\u00a02026");
  assert.equal(headText({ ...meta, date: "2\u00a0Dec\u00a02026" }, "en"), "No.\u00a01A2B3C4D · Date: 2\u00a0Dec\u00a02026");
  assert.equal(labels("fr").colon, "\u00a0:");
  assert.equal(labels("en").colon, ":");
});
