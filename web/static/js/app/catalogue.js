// The practice's suppliers and catalogue for order forms (docs/format.md §10, type 0x07
// "catalogue"): read defensively (a reader never trusts a body's shape) and checked before a
// member saves it. Pure functions, tested under node (tests/js/catalogue.test.mjs).
import { canonical, MoneyError, parseRate, parseUnitPrice, priceText } from "./money.js";

const text = (value) => (typeof value === "string" ? value : value === undefined || value === null ? "" : String(value));
const list = (value) => (Array.isArray(value) ? value : []);
const object = (value) => (value !== null && typeof value === "object" && !Array.isArray(value) ? value : {});

/** A catalogue body read defensively: every key present, strings only. */
export function normaliseCatalogue(body) {
  const b = object(body);
  return {
    delivery_address: text(b.delivery_address),
    suppliers: list(b.suppliers).map(object).map((s) => ({
      id: text(s.id),
      name: text(s.name),
      address: text(s.address),
      email: text(s.email),
      phone: text(s.phone),
      account: text(s.account),
    })),
    products: list(b.products).map(object).map((p) => ({
      id: text(p.id),
      supplier: text(p.supplier),
      reference: text(p.reference),
      label: text(p.label),
      unit_price: text(p.unit_price),
      vat_rate: text(p.vat_rate),
    })),
  };
}

/**
 * The catalogue a member typed, checked and written canonically ("19,99" → "19.99",
 * "5,5 %" → "5.5"): `{ body }`, or `{ problem: {fr, en} }` naming the first wrong product.
 */
export function checkCatalogue(body) {
  const b = normaliseCatalogue(body);
  const names = new Set(b.suppliers.map((s) => s.name));
  for (const [i, p] of b.products.entries()) {
    const which = p.reference || p.label || String(i + 1);
    if (!p.label) {
      return { problem: { fr: `Produit ${which}\u00a0: le libellé manque.`, en: `Product ${which}: the label is missing.` } };
    }
    try {
      p.unit_price = priceText(parseUnitPrice(p.unit_price));
      p.vat_rate = canonical(parseRate(p.vat_rate || "20"), 2);
    } catch (error) {
      if (!(error instanceof MoneyError)) throw error;
      return {
        problem: {
          fr: `Produit ${which}\u00a0: ${error.sentences.fr}`,
          en: `Product ${which}: ${error.sentences.en}`,
        },
      };
    }
    if (p.supplier && !names.has(p.supplier)) {
      return {
        problem: {
          fr: `Produit ${which}\u00a0: le fournisseur «\u00a0${p.supplier}\u00a0» n'est pas dans la liste des fournisseurs.`,
          en: `Product ${which}: the supplier "${p.supplier}" is not in the list of suppliers.`,
        },
      };
    }
  }
  return { body: b };
}

/** The products a secretary may pick for `supplierName` (its own and those of no supplier). */
export function productsOf(catalogue, supplierName) {
  return catalogue.products.filter((p) => p.supplier === "" || p.supplier === supplierName);
}
