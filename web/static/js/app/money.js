// Exact money arithmetic for order forms (docs/format.md §10 "Orders", docs/decisions.md
// "orders"). Pure functions, no DOM, tested under node (tests/js/money.test.mjs).
//
// Every amount is a BigInt of cents, every unit price a BigInt of ten-thousandths of a euro
// (a catalogue may price a glove at 0,0350 €), every quantity a BigInt of thousandths, every
// VAT rate a BigInt of hundredths of a percent (20 % = 2000n, 5,5 % = 550n): no binary
// floating point anywhere, so 0,10 + 0,20 is 0,30 and 19,99 × 3 at 20 % is 59,97 + 11,99 =
// 71,96.
//
// Rounding, as French invoices do: each line's amount excluding VAT (unit price × quantity) is
// rounded half-up to the cent; the VAT of each rate is computed once on the sum of that rate's
// line amounts and rounded half-up to the cent; the total including VAT is the total
// excluding VAT plus the VAT of every rate. "Half-up" rounds a half away from zero.

/** Input that is not an amount, a quantity or a rate: `sentences` is {fr, en}, for t(). */
export class MoneyError extends Error {
  constructor(sentences) {
    super(sentences.en);
    this.name = "MoneyError";
    this.sentences = sentences;
  }
}

const NBSP = "\u00a0"; // before "€" and "%"
const NNBSP = "\u202f"; // between groups of thousands (as Intl's fr-FR)
const SPACES = /[\s\u00a0\u202f\u2007\u2009]/g;
const MAX_DIGITS = 15; // before the decimal separator: amounts below a thousand billion

/**
 * Parse a French or English decimal ("1 234,56", "1234.56", "1.234,56", "1,234.56", "-3",
 * "12 €") into a BigInt scaled by 10^scale. More decimals than `scale` is refused (a price
 * of 0,125 € is not a price in cents), as is anything but digits, one decimal separator and
 * groups of three digits.
 */
export function parseDecimal(text, scale, what) {
  let s = String(text ?? "")
    .normalize("NFKC")
    .replace(SPACES, "")
    .replace(/€$/, "")
    .replace(/%$/, "");
  const refuse = () => {
    throw new MoneyError(what);
  };
  let sign = 1n;
  if (s.startsWith("-") || s.startsWith("\u2212")) {
    sign = -1n;
    s = s.slice(1);
  } else if (s.startsWith("+")) s = s.slice(1);
  if (s === "") refuse();
  const comma = s.lastIndexOf(",");
  const dot = s.lastIndexOf(".");
  let whole = s;
  let fraction = "";
  if (comma >= 0 && dot >= 0) {
    // Both: the last is the decimal separator, the other groups thousands.
    const decimal = comma > dot ? "," : ".";
    const group = decimal === "," ? "." : ",";
    const at = s.lastIndexOf(decimal);
    whole = s.slice(0, at);
    fraction = s.slice(at + 1);
    if (!groupedByThree(whole, group)) refuse();
    whole = whole.split(group).join("");
  } else if (comma >= 0 || dot >= 0) {
    const at = Math.max(comma, dot);
    if (s.indexOf(s[at]) !== at) refuse(); // "1,234,567" or "1.2.3"
    whole = s.slice(0, at);
    fraction = s.slice(at + 1);
  }
  if (whole === "") whole = "0"; // ",5"
  if (!/^\d+$/.test(whole) || !/^\d*$/.test(fraction)) refuse();
  if (fraction.length > scale) refuse();
  if (whole.replace(/^0+/, "").length > MAX_DIGITS) refuse();
  const scaled = BigInt(whole) * 10n ** BigInt(scale) + BigInt((fraction + "0".repeat(scale)).slice(0, scale) || "0");
  return sign * scaled;
}

function groupedByThree(whole, group) {
  const parts = whole.split(group);
  return parts.length > 1 && /^\d{1,3}$/.test(parts[0]) && parts.slice(1).every((p) => /^\d{3}$/.test(p));
}

const BAD_AMOUNT = Object.freeze({
  fr: "Ce montant n'est pas valide\u00a0: écrivez par exemple 1234,56 (deux décimales au plus).",
  en: "This amount is not valid: write for example 1234.56 (at most two decimals).",
});
const BAD_PRICE = Object.freeze({
  fr: "Ce prix n'est pas valide\u00a0: écrivez par exemple 19,99 ou 0,0350 (quatre décimales au plus).",
  en: "This price is not valid: write for example 19.99 or 0.0350 (at most four decimals).",
});
const BAD_QUANTITY = Object.freeze({
  fr: "Cette quantité n'est pas valide\u00a0: écrivez par exemple 3 ou 2,5 (trois décimales au plus).",
  en: "This quantity is not valid: write for example 3 or 2.5 (at most three decimals).",
});
const BAD_RATE = Object.freeze({
  fr: "Ce taux de TVA n'est pas valide\u00a0: écrivez par exemple 20 ou 5,5 (entre 0 et 100 %).",
  en: "This VAT rate is not valid: write for example 20 or 5.5 (between 0 and 100 %).",
});

/** "1 234,56" → 123456n (cents). */
export function parseAmount(text) {
  return parseDecimal(text, 2, BAD_AMOUNT);
}

/** A unit price, "0,0350" → 350n (ten-thousandths of a euro, at most four decimals). */
export function parseUnitPrice(text) {
  return parseDecimal(text, 4, BAD_PRICE);
}

/** "2,5" → 2500n (thousandths); never negative. */
export function parseQuantity(text) {
  const q = parseDecimal(text, 3, BAD_QUANTITY);
  if (q < 0n) throw new MoneyError(BAD_QUANTITY);
  return q;
}

/** "5,5" or "5,5 %" → 550n (hundredths of a percent), 0 to 100 %. */
export function parseRate(text) {
  const r = parseDecimal(text, 2, BAD_RATE);
  if (r < 0n || r > 10000n) throw new MoneyError(BAD_RATE);
  return r;
}

/** numerator / denominator rounded half away from zero (denominator > 0). */
export function divideHalfUp(numerator, denominator) {
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const q = (2n * n + denominator) / (2n * denominator);
  return negative ? -q : q;
}

/** A line's amount excluding VAT, in cents: unit price (ten-thousandths of a euro) ×
 *  quantity (thousandths), rounded half-up once. */
export function lineAmount(unitPrice, quantityMilli) {
  return divideHalfUp(unitPrice * quantityMilli, 100_000n);
}

/** The VAT on `baseCents` at `rate` (hundredths of a percent), in cents. */
export function vatOn(baseCents, rate) {
  return divideHalfUp(baseCents * rate, 10000n);
}

/**
 * Totals of order lines `[{ unitPrice: ten-thousandths of a euro, quantity: thousandths,
 * rate: hundredths of % }]`:
 * `{ lines: [cents excl. VAT, …], byRate: [{ rate, base, vat }] (rates ascending), net, vat,
 * gross }`, every value a BigInt.
 */
export function orderTotals(lines) {
  const amounts = lines.map((l) => lineAmount(l.unitPrice, l.quantity));
  const bases = new Map();
  lines.forEach((l, i) => bases.set(l.rate, (bases.get(l.rate) ?? 0n) + amounts[i]));
  const byRate = [...bases.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([rate, base]) => ({ rate, base, vat: vatOn(base, rate) }));
  const net = amounts.reduce((a, b) => a + b, 0n);
  const vat = byRate.reduce((a, r) => a + r.vat, 0n);
  return { lines: amounts, byRate, net, vat, gross: net + vat };
}

function digitsOf(value, scale) {
  const negative = value < 0n;
  const s = (negative ? -value : value).toString().padStart(scale + 1, "0");
  return { negative, whole: s.slice(0, s.length - scale), fraction: s.slice(s.length - scale) };
}

function grouped(whole) {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, NNBSP);
}

/** 123456n → "1 234,56 €" (narrow no-break space between thousands, no-break space before €). */
export function formatEuros(cents) {
  const { negative, whole, fraction } = digitsOf(BigInt(cents), 2);
  return `${negative ? "-" : ""}${grouped(whole)},${fraction}${NBSP}€`;
}

/** 123456n → "1234,56": the plain decimal-comma number of a CSV cell for French Excel. */
export function formatPlain(cents) {
  const { negative, whole, fraction } = digitsOf(BigInt(cents), 2);
  return `${negative ? "-" : ""}${whole},${fraction}`;
}

function priceDigits(unitPrice) {
  const { negative, whole, fraction } = digitsOf(BigInt(unitPrice), 4);
  return { negative, whole, fraction: fraction.replace(/0+$/, "").padEnd(2, "0") };
}

/** A unit price (ten-thousandths): 199900n → "19,99 €", 350n → "0,035 €" (2 to 4 decimals). */
export function formatPrice(unitPrice) {
  const { negative, whole, fraction } = priceDigits(unitPrice);
  return `${negative ? "-" : ""}${grouped(whole)},${fraction}${NBSP}€`;
}

/** A unit price as written in bodies and CSV: 350n → "0.035" (or "0,035" with `comma`). */
export function priceText(unitPrice, comma = false) {
  const { negative, whole, fraction } = priceDigits(unitPrice);
  return `${negative ? "-" : ""}${whole}${comma ? "," : "."}${fraction}`;
}

/** 2500n → "2,5", 3000n → "3" (thousandths, trailing zeros dropped). */
export function formatQuantity(milli) {
  const { negative, whole, fraction } = digitsOf(BigInt(milli), 3);
  const f = fraction.replace(/0+$/, "");
  return `${negative ? "-" : ""}${grouped(whole)}${f ? `,${f}` : ""}`;
}

/** 550n → "5,5 %", 2000n → "20 %". */
export function formatRate(rate) {
  const { whole, fraction } = digitsOf(BigInt(rate), 2);
  const f = fraction.replace(/0+$/, "");
  return `${whole}${f ? `,${f}` : ""}${NBSP}%`;
}

/** The canonical text written in bodies (docs/format.md §10): "1234.56", "2.5", "5.5". */
export function canonical(value, scale) {
  const { negative, whole, fraction } = digitsOf(BigInt(value), scale);
  const f = fraction.replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${f ? `.${f}` : ""}`;
}
