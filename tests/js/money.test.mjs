// Exact money arithmetic of order forms (web/static/js/app/money.js): values chosen so that
// binary floating point gets them wrong (each test shows the float answer differs).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  canonical,
  divideHalfUp,
  formatEuros,
  formatPlain,
  formatQuantity,
  formatRate,
  MoneyError,
  orderTotals,
  parseAmount,
  parseQuantity,
  parseRate,
  parseUnitPrice,
} from "../../web/static/js/app/money.js";

const NBSP = "\u00a0";
const NNBSP = "\u202f";

test("0,10 + 0,20 is 0,30, not 0.30000000000000004", () => {
  assert.notEqual(0.1 + 0.2, 0.3);
  const t = orderTotals([
    { unitPrice: parseUnitPrice("0,10"), quantity: parseQuantity("1"), rate: parseRate("20") },
    { unitPrice: parseUnitPrice("0.20"), quantity: parseQuantity("1"), rate: parseRate("20") },
  ]);
  assert.equal(t.net, 30n);
  assert.equal(t.vat, 6n);
  assert.equal(t.gross, 36n);
  assert.equal(formatEuros(t.net), `0,30${NBSP}€`);
});

test("19,99 × 3 at 20 %: 59,97 + 11,99 = 71,96 (float says 71.964)", () => {
  assert.equal(19.99 * 3 * 1.2, 71.964);
  const t = orderTotals([{ unitPrice: parseUnitPrice("19,99"), quantity: parseQuantity("3"), rate: parseRate("20 %") }]);
  assert.deepEqual(t.lines, [5997n]);
  assert.deepEqual(t.byRate, [{ rate: 2000n, base: 5997n, vat: 1199n }]);
  assert.equal(t.gross, 7196n);
});

test("three lines at two rates: the VAT of 5,5 % on 23,00 is 1,27 where float rounds to 1,26", () => {
  const lines = [
    { unitPrice: "19,99", quantity: "3", rate: "20" },
    { unitPrice: "10,20", quantity: "2", rate: "5,5" },
    { unitPrice: "0,10", quantity: "26", rate: "5,5" },
  ];
  // What a float implementation computes: 23 × 0.055 = 1.265 rounds to 1.26 (1.2649999…).
  const floatVat = Math.round((10.2 * 2 + 0.1 * 26) * 0.055 * 100) / 100;
  assert.equal(floatVat, 1.26);
  const t = orderTotals(
    lines.map((l) => ({
      unitPrice: parseUnitPrice(l.unitPrice),
      quantity: parseQuantity(l.quantity),
      rate: parseRate(l.rate),
    })),
  );
  assert.deepEqual(t.lines, [5997n, 2040n, 260n]);
  assert.deepEqual(t.byRate, [
    { rate: 550n, base: 2300n, vat: 127n },
    { rate: 2000n, base: 5997n, vat: 1199n },
  ]);
  assert.equal(t.net, 8297n);
  assert.equal(t.vat, 1326n);
  assert.equal(t.gross, 9623n);
  assert.equal(formatEuros(t.gross), `96,23${NBSP}€`);
});

test("a line is rounded half-up to the cent: 0,33 × 1,5 = 0,495 → 0,50; 1,005 is not a price", () => {
  const t = orderTotals([{ unitPrice: 3300n, quantity: parseQuantity("1,5"), rate: 0n }]);
  assert.deepEqual(t.lines, [50n]);
  // A unit price may have four decimals; the line is rounded once: 0,0350 × 333 = 11,655 → 11,66.
  const gloves = orderTotals([{ unitPrice: parseUnitPrice("0,0350"), quantity: parseQuantity("333"), rate: 0n }]);
  assert.deepEqual(gloves.lines, [1166n]);
  assert.throws(() => parseUnitPrice("0,03505"), MoneyError);
  assert.equal(Math.round(1.005 * 100), 100); // float would round 1,005 down
  assert.throws(() => parseAmount("1,005"), MoneyError);
  assert.equal(divideHalfUp(5n, 10n), 1n);
  assert.equal(divideHalfUp(4n, 10n), 0n);
  assert.equal(divideHalfUp(-5n, 10n), -1n);
  assert.equal(divideHalfUp(-4n, 10n), 0n);
});

test("French and English spellings of amounts parse to the same cents", () => {
  for (const text of ["1 234,56", "1234.56", "1234,56", `1${NBSP}234,56`, `1${NNBSP}234,56 €`, "1.234,56", "1,234.56"]) {
    assert.equal(parseAmount(text), 123456n, text);
  }
  assert.equal(parseAmount("12"), 1200n);
  assert.equal(parseAmount(",5"), 50n);
  assert.equal(parseAmount("-3,5"), -350n);
  for (const bad of ["", "abc", "1,2,3", "1.2.3", "12,345.6.7", "1.23,4,5", "1e3", "0x10", "1,2345", "12..3", "--1"]) {
    assert.throws(() => parseAmount(bad), MoneyError, bad);
  }
  assert.throws(() => parseQuantity("-1"), MoneyError);
  assert.throws(() => parseRate("101"), MoneyError);
  assert.throws(() => parseRate("-1"), MoneyError);
  assert.equal(parseRate("5,5"), 550n);
  assert.equal(parseRate("2.1"), 210n);
  const refused = (() => {
    try {
      parseAmount("x");
    } catch (e) {
      return e;
    }
  })();
  assert.match(refused.sentences.fr, /\u00a0:/);
});

test("formatted in French with the right no-break spaces", () => {
  assert.equal(formatEuros(123456n), `1${NNBSP}234,56${NBSP}€`);
  assert.equal(formatEuros(123456789012n), `1${NNBSP}234${NNBSP}567${NNBSP}890,12${NBSP}€`);
  assert.equal(formatEuros(5n), `0,05${NBSP}€`);
  assert.equal(formatEuros(-5n), `-0,05${NBSP}€`);
  assert.equal(formatEuros(100000n), `1${NNBSP}000,00${NBSP}€`);
  // The same text as the browser's own French currency format.
  const intl = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
  assert.equal(formatEuros(123456n), intl.format(1234.56));
  assert.equal(formatPlain(123456n), "1234,56");
  assert.equal(formatPlain(-7n), "-0,07");
  assert.equal(formatQuantity(2500n), "2,5");
  assert.equal(formatQuantity(3000n), "3");
  assert.equal(formatRate(550n), `5,5${NBSP}%`);
  assert.equal(formatRate(2000n), `20${NBSP}%`);
  assert.equal(canonical(123456n, 2), "1234.56");
  assert.equal(canonical(2500n, 3), "2.5");
  assert.equal(canonical(550n, 2), "5.5");
  assert.equal(parseAmount(canonical(123456n, 2)), 123456n);
});

test("large amounts stay exact beyond 2^53", () => {
  const unit = parseUnitPrice("999 999 999 999,99");
  const t = orderTotals([{ unitPrice: unit, quantity: parseQuantity("1000"), rate: parseRate("20") }]);
  assert.equal(t.net, 99999999999999000n);
  assert.ok(t.net > BigInt(Number.MAX_SAFE_INTEGER));
  assert.equal(t.gross, 119999999999998800n);
  assert.throws(() => parseAmount("1 000 000 000 000 000"), MoneyError);
});
