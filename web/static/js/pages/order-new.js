// The secretary fills an order form for one of her practices: suppliers and products from
// the practice's catalogue (a team document, verified and decrypted here), lines free or from
// the catalogue, exact totals as she types (app/money.js), then the order is encrypted here,
// sealed to the practice key whose fingerprint is computed here, signed, deposited, and placed
// (its state "ordered" on the server, docs/items.md "Orders").
import { DocType, fromBase64url, practiceFingerprint } from "../crypto/index.js";
import { ApiError } from "../app/api.js";
import { normaliseCatalogue, productsOf } from "../app/catalogue.js";
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import { loadKeys } from "../app/keystore.js";
import { formatEuros, formatRate } from "../app/money.js";
import { checkOrder, labels, supplierName, supplierText, totalsOf } from "../app/order.js";
import { depositOrder } from "../app/order-io.js";
import { guardFingerprint } from "../app/pinwarning.js";
import { keysReady } from "../app/unlock-prompt.js";

const section = document.getElementById("order-new");
const form = document.getElementById("order-form");
const select = form.querySelector("[data-practice-select]");
const catalogueStatus = form.querySelector("[data-catalogue-status]");
const supplierChoice = form.querySelector("[data-supplier-choice]");
const linesBox = form.querySelector("[data-lines]");
const template = form.querySelector("template[data-line-template]");
const totalsBox = form.querySelector("[data-totals]");
let catalogue = normaliseCatalogue({});
let current = null;
let lineCount = 0;

function practiceOf(option) {
  const publicKey = fromBase64url(option.dataset.publicKey);
  return { id: option.value, name: option.textContent.trim(), publicKey, fingerprint: practiceFingerprint(publicKey) };
}

function option(value, label) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  return o;
}

function supplierFields() {
  return Object.fromEntries([...form.querySelectorAll("[data-supplier]")].map((i) => [i.dataset.supplier, i.value]));
}

function productLabel(p) {
  return `${p.reference ? `${p.reference} — ` : ""}${p.label}`;
}

function fillProductChoices(line) {
  const choice = line.querySelector("[data-line-product]");
  const chosen = choice.value;
  choice.replaceChildren(choice.options[0]);
  for (const p of productsOf(catalogue, form.elements.supplier_name.value.trim())) choice.append(option(p.id, productLabel(p)));
  choice.value = [...choice.options].some((o) => o.value === chosen) ? chosen : "";
}

function addLine(values = {}) {
  const line = template.content.firstElementChild.cloneNode(true);
  const n = lineCount++;
  for (const input of line.querySelectorAll("[data-line-key]")) {
    input.name = `line-${n}-${input.dataset.lineKey}`;
    input.value = values[input.dataset.lineKey] ?? (input.dataset.lineKey === "quantity" ? "1" : "");
  }
  line.querySelector("[data-line-product]").name = `line-${n}-product`;
  linesBox.append(line);
  fillProductChoices(line);
  return line;
}

function typedLines() {
  return [...linesBox.querySelectorAll("[data-line]")].map((line) =>
    Object.fromEntries([...line.querySelectorAll("[data-line-key]")].map((i) => [i.dataset.lineKey, i.value])));
}

function typedOrder() {
  return {
    supplier: supplierText(supplierFields(), document.documentElement.lang),
    lines: typedLines(),
    delivery_address: form.querySelector("[data-delivery-address]").value,
    delivery_date: form.querySelector("[data-delivery-date]").value,
    notes: form.querySelector("[data-note]").value,
  };
}

function term(label, value, key) {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value;
  dd.dataset.total = key;
  return [dt, dd];
}

/** Live totals: each line's amount, the totals excl. VAT, per rate, incl. VAT. */
function showTotals() {
  const w = labels(document.documentElement.lang === "en" ? "en" : "fr");
  const checked = checkOrder(typedOrder());
  const lines = [...linesBox.querySelectorAll("[data-line]")];
  for (const line of lines) line.querySelector("[data-line-amount]").textContent = "";
  if (!checked.order) {
    totalsBox.replaceChildren(...term(w.net, "—", "net"));
    totalsBox.dataset.problem = t(checked.problem);
    return null;
  }
  delete totalsBox.dataset.problem;
  const totals = totalsOf(checked.order);
  // Lines emptied entirely are dropped by checkOrder: match amounts to the filled lines.
  const filled = lines.filter((line) => [...line.querySelectorAll("[data-line-key]")].some((i) => i.value.trim() !== ""));
  filled.forEach((line, i) => {
    line.querySelector("[data-line-amount]").textContent = `${w.amount}${w.colon} ${formatEuros(totals.lines[i])}`;
  });
  const rows = [...term(w.net, formatEuros(totals.net), "net")];
  for (const r of totals.byRate) rows.push(...term(`${w.vatAt} ${formatRate(r.rate)}`, formatEuros(r.vat), `vat-${r.rate}`));
  rows.push(...term(w.gross, formatEuros(totals.gross), "gross"));
  totalsBox.replaceChildren(...rows);
  return totals;
}

function fillSupplierChoices() {
  supplierChoice.replaceChildren(supplierChoice.options[0]);
  for (const s of catalogue.suppliers) supplierChoice.append(option(s.id || s.name, s.name));
}

async function loadCatalogue(practice) {
  catalogue = normaliseCatalogue({});
  catalogueStatus.textContent = t({ fr: "Ouverture du catalogue du cabinet…", en: "Opening the practice's catalogue…" });
  try {
    const io = await import("../app/instructions-io.js");
    const instructions = await io.loadInstructions(practice.id);
    const doc = instructions[DocType.CATALOGUE];
    catalogue = normaliseCatalogue(doc?.body ?? {});
    catalogueStatus.textContent = doc
      ? t({ fr: `Catalogue vérifié et déchiffré (${catalogue.products.length} produits, ${catalogue.suppliers.length} fournisseurs).`, en: `Catalogue verified and decrypted (${catalogue.products.length} products, ${catalogue.suppliers.length} suppliers).` })
      : t({ fr: "Le cabinet n'a pas encore de catalogue\u00a0: écrivez les lignes vous-même.", en: "The practice has no catalogue yet: write the lines yourself." });
  } catch (error) {
    catalogueStatus.textContent = error?.sentences ? t(error.sentences) : t({
      fr: "Le catalogue n'a pas pu être ouvert\u00a0: écrivez les lignes vous-même.",
      en: "The catalogue could not be opened: write the lines yourself.",
    });
  }
  fillSupplierChoices();
  const address = form.querySelector("[data-delivery-address]");
  if (!address.value.trim()) address.value = catalogue.delivery_address;
  for (const line of linesBox.querySelectorAll("[data-line]")) fillProductChoices(line);
  section.dataset.catalogueReady = "true";
}

async function choosePractice() {
  const practice = practiceOf(select.selectedOptions[0]);
  current = { ...practice, trusted: false };
  section.dataset.practiceId = practice.id;
  delete section.dataset.catalogueReady;
  form.querySelector("[data-fingerprint-shown]").textContent = practice.fingerprint;
  const chosen = current;
  loadCatalogue(practice);
  await guardFingerprint(form.querySelector("[data-pin-warning]"), `practice:${practice.id}`, practice.fingerprint);
  chosen.trusted = true;
}

supplierChoice.addEventListener("change", () => {
  const s = catalogue.suppliers.find((x) => (x.id || x.name) === supplierChoice.value);
  for (const input of form.querySelectorAll("[data-supplier]")) input.value = s ? s[input.dataset.supplier] : "";
  for (const line of linesBox.querySelectorAll("[data-line]")) fillProductChoices(line);
  showTotals();
});
form.elements.supplier_name.addEventListener("change", () => {
  for (const line of linesBox.querySelectorAll("[data-line]")) fillProductChoices(line);
});
linesBox.addEventListener("change", (event) => {
  const choice = event.target.closest("[data-line-product]");
  if (!choice) return;
  const p = catalogue.products.find((x) => x.id === choice.value);
  if (!p) return;
  const line = choice.closest("[data-line]");
  for (const key of ["reference", "label", "unit_price", "vat_rate"]) {
    line.querySelector(`[data-line-key="${key}"]`).value = key === "unit_price" ? p.unit_price.replace(".", ",") : key === "vat_rate" ? p.vat_rate.replace(".", ",") : p[key];
  }
  showTotals();
});
form.addEventListener("input", () => showTotals());
form.addEventListener("click", (event) => {
  if (event.target.closest("[data-add-line]")) {
    addLine().querySelector("select, input").focus();
  } else if (event.target.closest("[data-remove-line]")) {
    event.target.closest("[data-line]").remove();
    form.querySelector("[data-add-line]").focus();
    showTotals();
  }
});
select.addEventListener("change", () => choosePractice());

function confirmSent(order, totals, itemId) {
  const box = form.querySelector("[data-confirmation]");
  const p = document.createElement("p");
  p.className = "notice";
  p.textContent = t({
    fr: `Commande envoyée au cabinet (${supplierName(order)}, ${order.lines.length} lignes, total TTC ${formatEuros(totals.gross)}). Elle attend son approbation.`,
    en: `Order sent to the practice (${supplierName(order)}, ${order.lines.length} lines, total incl. VAT ${formatEuros(totals.gross)}). It awaits approval.`,
  });
  box.replaceChildren(p);
  form.dataset.deposited = itemId;
}

function reset() {
  linesBox.replaceChildren();
  addLine();
  for (const input of form.querySelectorAll("[data-supplier], [data-delivery-date], [data-note]")) input.value = "";
  supplierChoice.value = "";
  form.querySelector("[data-delivery-address]").value = catalogue.delivery_address;
  showTotals();
}

armForm(form, async () => {
  const practice = current;
  if (!practice?.trusted) {
    showError(form, t({ fr: "Confirmez d'abord l'empreinte de clé du cabinet ci-dessus.", en: "First confirm the practice's key fingerprint above." }));
    return;
  }
  if (!loadKeys()) {
    showError(form, t({ fr: "Vos clés ne sont pas ouvertes dans cet onglet : reconnectez-vous.", en: "Your keys are not open in this tab: please sign in again." }));
    return;
  }
  const checked = checkOrder(typedOrder());
  if (checked.problem) {
    showError(form, t(checked.problem));
    return;
  }
  busy(form, true);
  try {
    showStatus(form, t({ fr: "Chiffrement et envoi…", en: "Encrypting and sending…" }));
    const itemId = await depositOrder(practice, checked.order);
    showStatus(form, "");
    confirmSent(checked.order, totalsOf(checked.order), itemId);
    reset();
  } catch (error) {
    showError(form, error instanceof ApiError ? error.message : error?.sentences ? t(error.sentences) : t({
      fr: "L'envoi a échoué ; réessayez.",
      en: "Sending failed; please try again.",
    }));
  } finally {
    busy(form, false);
  }
});

addLine();
keysReady().then(() => {
  choosePractice();
  showTotals();
});
