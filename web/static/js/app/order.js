// An order form (bon de commande): what the secretary typed, checked and written canonically,
// its exact totals (app/money.js), the printable document, and the CSV of French Excel.
// Pure functions but for renderOrder (DOM, textContent only); tested under node
// (tests/js/order.test.mjs).
import { shortDate } from "./localdates.js";
import {
  canonical,
  formatEuros,
  formatPlain,
  formatPrice,
  formatQuantity,
  formatRate,
  MoneyError,
  orderTotals,
  parseQuantity,
  parseRate,
  parseUnitPrice,
  priceText,
} from "./money.js";

const text = (value) => (typeof value === "string" ? value : value === undefined || value === null ? "" : String(value));
const list = (value) => (Array.isArray(value) ? value : []);
const object = (value) => (value !== null && typeof value === "object" && !Array.isArray(value) ? value : {});
const DATE = /^\d{4}-\d\d-\d\d$/;
export const MAX_LINES = 200;

/**
 * An order read defensively: every key present, strings only. Its keys are the field ids of
 * the built-in order template (docs/items.md "Orders"): `supplier` (name on the first line,
 * then address and contact), `lines` (`reference`, `label`, `quantity`, `unit_price`,
 * `vat_rate`), `delivery_address`, `delivery_date`, `notes`.
 */
export function normaliseOrder(value) {
  const o = object(value);
  return {
    supplier: text(o.supplier),
    lines: list(o.lines).map(object).map((l) => ({
      reference: text(l.reference),
      label: text(l.label),
      quantity: text(l.quantity),
      unit_price: text(l.unit_price),
      vat_rate: text(l.vat_rate),
    })),
    delivery_address: text(o.delivery_address),
    delivery_date: text(o.delivery_date),
    notes: text(o.notes),
  };
}

/** The supplier's text of an order: its name, then its address, e-mail, phone, our number. */
export function supplierText({ name = "", address = "", email = "", phone = "", account = "" }, lang = "fr") {
  const number = account.trim() ? (lang === "en" ? `Customer no.: ${account.trim()}` : `N° client\u00a0: ${account.trim()}`) : "";
  return [name, address, email, phone, number].map((s) => s.trim()).filter((s) => s !== "").join("\n");
}

/** The supplier's name: the first line of its text. */
export function supplierName(order) {
  return order.supplier.split("\n")[0].trim();
}

function lineProblem(n, sentences) {
  return { problem: { fr: `Ligne ${n}\u00a0: ${sentences.fr}`, en: `Line ${n}: ${sentences.en}` } };
}

/**
 * What the secretary typed, checked and written canonically ("19,99" → "19.99", "2,5" →
 * "2.5", "5,5 %" → "5.5"): `{ order }` or `{ problem: {fr, en} }` in one sentence.
 */
export function checkOrder(value) {
  const o = normaliseOrder(value);
  o.supplier = o.supplier.trim();
  o.lines = o.lines
    .map((l) => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, v.trim()])))
    .filter((l) => Object.values(l).some((v) => v !== ""));
  if (!supplierName(o)) {
    return { problem: { fr: "Choisissez ou écrivez le fournisseur.", en: "Choose or write the supplier." } };
  }
  if (o.lines.length === 0) {
    return { problem: { fr: "Ajoutez au moins une ligne à la commande.", en: "Add at least one line to the order." } };
  }
  if (o.lines.length > MAX_LINES) {
    return { problem: { fr: `Une commande a au plus ${MAX_LINES} lignes.`, en: `An order has at most ${MAX_LINES} lines.` } };
  }
  for (const [i, l] of o.lines.entries()) {
    if (!l.label) return lineProblem(i + 1, { fr: "la désignation manque.", en: "the description is missing." });
    try {
      const quantity = parseQuantity(l.quantity);
      if (quantity === 0n) {
        return lineProblem(i + 1, { fr: "la quantité doit être plus grande que zéro.", en: "the quantity must be more than zero." });
      }
      l.quantity = canonical(quantity, 3);
      l.unit_price = priceText(parseUnitPrice(l.unit_price));
      l.vat_rate = canonical(parseRate(l.vat_rate), 2);
    } catch (error) {
      if (!(error instanceof MoneyError)) throw error;
      return lineProblem(i + 1, error.sentences);
    }
  }
  o.delivery_address = o.delivery_address.trim();
  o.delivery_date = o.delivery_date.trim();
  o.notes = o.notes.trim();
  if (o.delivery_date && !(DATE.test(o.delivery_date) && !Number.isNaN(Date.parse(o.delivery_date)))) {
    return { problem: { fr: "La date de livraison n'est pas valide.", en: "The delivery date is not valid." } };
  }
  return { order: o };
}

/** The exact totals of a (checked) order; null when a line does not parse (a bad body). */
export function totalsOf(order) {
  try {
    return orderTotals(
      order.lines.map((l) => ({
        unitPrice: parseUnitPrice(l.unit_price),
        quantity: parseQuantity(l.quantity),
        rate: parseRate(l.vat_rate),
      })),
    );
  } catch (error) {
    if (error instanceof MoneyError) return null;
    throw error;
  }
}

const L = {
  title: { fr: "Bon de commande", en: "Order form" },
  lines: { fr: "Lignes de la commande", en: "Order lines" },
  number: { fr: "N°", en: "No." },
  date: { fr: "Date", en: "Date" },
  from: { fr: "Client", en: "Customer" },
  supplier: { fr: "Fournisseur", en: "Supplier" },
  delivery: { fr: "Livraison", en: "Delivery" },
  deliveryDate: { fr: "Date de livraison souhaitée", en: "Requested delivery date" },
  reference: { fr: "Réf.", en: "Ref." },
  label: { fr: "Désignation", en: "Description" },
  quantity: { fr: "Qté", en: "Qty" },
  unit: { fr: "P.U. HT", en: "Unit price excl. VAT" },
  rate: { fr: "TVA", en: "VAT" },
  amount: { fr: "Montant HT", en: "Amount excl. VAT" },
  net: { fr: "Total HT", en: "Total excl. VAT" },
  vatAt: { fr: "TVA à", en: "VAT at" },
  base: { fr: "sur", en: "on" },
  gross: { fr: "Total TTC", en: "Total incl. VAT" },
  notes: { fr: "Remarques", en: "Notes" },
  status: { fr: "Statut", en: "Status" },
};

/** Labels of the order form in `lang` ("fr" or "en"); `colon` is ":" with French spacing. */
export function labels(lang) {
  const words = Object.fromEntries(Object.entries(L).map(([k, v]) => [k, v[lang] ?? v.en]));
  return { ...words, colon: lang === "en" ? ":" : "\u00a0:" };
}

/** The order form's "N° 12 · Date : 2 déc. 2026" line: every label with its colon (French
 *  spacing), the number kept on the line of its "N°". */
export function headText(meta, lang) {
  const w = labels(lang);
  return `${w.number}\u00a0${meta.number} · ${w.date}${w.colon} ${meta.date}`;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (/^(data|aria)-/.test(key) || ["scope", "colspan", "role", "tabindex"].includes(key)) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child !== null && child !== undefined && child !== "") node.append(child);
  return node;
}

function lines(textValue) {
  const box = el("div", { class: "order-address" });
  for (const line of text(textValue).split("\n")) box.append(el("div", {}, line));
  return box;
}

/**
 * The order form as a document, into `container` (every value with textContent):
 * `meta` = { practiceName, number, date (text), status (text) }. Returns the totals.
 */
export function renderOrder(container, order, meta, lang) {
  const w = labels(lang);
  const totals = totalsOf(order);
  const head = el("header", { class: "order-head" },
    el("h2", { "data-order-title": "" }, w.title),
    el("p", { "data-order-number-date": "" }, headText(meta, lang)),
    meta.status ? el("p", { "data-order-status-shown": "" }, `${w.status}${w.colon} ${meta.status}`) : null);
  const [name, ...rest] = order.supplier.split("\n");
  const parties = el("div", { class: "order-parties" },
    el("section", { "data-order-customer": "" }, el("h3", {}, w.from), el("p", {}, meta.practiceName)),
    el("section", { "data-order-supplier": "" }, el("h3", {}, w.supplier), el("p", {}, el("strong", {}, name)),
      lines(rest.join("\n"))),
    el("section", { "data-order-delivery": "" }, el("h3", {}, w.delivery), lines(order.delivery_address),
      order.delivery_date ? el("p", {}, `${w.deliveryDate}${w.colon} ${shortDate(order.delivery_date, lang)}`) : null));
  const table = el("table", { class: "order-lines", "data-order-lines": "" });
  table.append(el("thead", {}, el("tr", {}, ...["reference", "label", "quantity", "unit", "rate", "amount"].map((k) =>
    el("th", { scope: "col", class: ["quantity", "unit", "rate", "amount"].includes(k) ? "number" : "" }, w[k])))));
  const body = el("tbody");
  order.lines.forEach((l, i) => {
    const ok = totals !== null;
    body.append(el("tr", { "data-order-line": String(i) },
      el("td", {}, l.reference),
      el("td", {}, l.label),
      el("td", { class: "number" }, ok ? formatQuantity(parseQuantity(l.quantity)) : l.quantity),
      el("td", { class: "number" }, ok ? formatPrice(parseUnitPrice(l.unit_price)) : l.unit_price),
      el("td", { class: "number" }, ok ? formatRate(parseRate(l.vat_rate)) : l.vat_rate),
      el("td", { class: "number", "data-line-amount": "" }, ok ? formatEuros(totals.lines[i]) : "")));
  });
  table.append(body);
  const foot = el("tfoot");
  if (totals) {
    foot.append(totalRow(w.net, formatEuros(totals.net), "net"));
    for (const r of totals.byRate) {
      foot.append(totalRow(`${w.vatAt} ${formatRate(r.rate)} ${w.base} ${formatEuros(r.base)}`, formatEuros(r.vat), `vat-${canonical(r.rate, 2)}`));
    }
    foot.append(totalRow(w.gross, formatEuros(totals.gross), "gross"));
  }
  table.append(foot);
  const note = order.notes ? [el("p", { "data-order-note": "" }, `${w.notes}${w.colon} ${order.notes}`)] : [];
  container.replaceChildren(head, parties, el("div", { class: "table-scroll", role: "region", tabindex: "0", "aria-label": w.lines }, table), ...note);
  return totals;
}

function totalRow(label, value, key) {
  return el("tr", { "data-total": key }, el("th", { scope: "row", colspan: "5" }, label), el("td", { class: "number" }, value));
}

// ---- CSV for French Excel: ";" separator, UTF-8 with a byte-order mark, decimal comma ----

export const CSV_COLUMNS = Object.freeze([
  "commande", "date", "statut", "fournisseur", "reference", "designation", "quantite",
  "prix_unitaire_ht", "taux_tva", "montant_ht", "total_ht", "total_tva", "total_ttc",
  "adresse_livraison", "date_livraison",
]);

function cell(value) {
  const s = text(value);
  return /[";\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function decimalComma(value, scale) {
  const s = canonical(value, scale);
  return s.replace(".", ",");
}

/**
 * The CSV of `orders` ([{ id, date, status, order }]), one row per line, as French Excel
 * opens it: BOM, ";" between cells, CRLF between rows, amounts with a decimal comma.
 */
export function ordersCsv(orders) {
  const rows = [CSV_COLUMNS.join(";")];
  for (const { id, date, status, order } of orders) {
    const totals = totalsOf(order);
    order.lines.forEach((l, i) => {
      rows.push([
        id, date, status, supplierName(order), l.reference, l.label,
        totals ? decimalComma(parseQuantity(l.quantity), 3) : l.quantity,
        totals ? priceText(parseUnitPrice(l.unit_price), true) : l.unit_price,
        totals ? decimalComma(parseRate(l.vat_rate), 2) : l.vat_rate,
        totals ? formatPlain(totals.lines[i]) : "",
        totals ? formatPlain(totals.net) : "",
        totals ? formatPlain(totals.vat) : "",
        totals ? formatPlain(totals.gross) : "",
        order.delivery_address, order.delivery_date,
      ].map(cell).join(";"));
    });
  }
  return `\ufeff${rows.join("\r\n")}\r\n`;
}
