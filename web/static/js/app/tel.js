// The one way a typed phone number becomes a `tel:` link (inbox "Call back", desk on-call
// list). Pure function (no DOM), tested under node (tests/js/tel.test.mjs).

const MAX_DIGITS = 15; // E.164: at most 15 digits, country code included
const MIN_DIGITS = 2; // "15", "112": short emergency and service numbers

// A number at the start of the text: an optional "+" and country code (then an optional
// "(0)" trunk), digits in groups separated by one space, dot or hyphen. It ends at anything
// else: a bracket, a letter, a slash, two separators (" - "), so "(18h)", "poste 12",
// "- 2" or "ou 07 …" are never dialled.
const INTERNATIONAL = /^\+\d+(?: ?\(0\) ?\d+)?(?:[ .-]\d+)*/;
const NATIONAL = /^\d+(?:[ .-]\d+)*/;

/**
 * The first well-formed phone number of a typed text: `{ href, number, rest }` where `href`
 * is `tel:` followed by `+?[0-9]{2,15}` (the digits of `number`, "(0)" dropped), `number`
 * is the text of exactly that number (the link's text) and `rest` what follows it (shown
 * as plain text). When the text does not start with such a number, `href` is null,
 * `number` is "" and `rest` is the whole text.
 */
export function phoneLink(value) {
  const text = String(value ?? "")
    .normalize("NFKC") // full-width digits, no-break spaces
    .trim();
  const match = (text.startsWith("+") ? INTERNATIONAL : NATIONAL).exec(text);
  const none = { href: null, number: "", rest: text };
  if (!match) return none;
  const number = match[0];
  const digits = number.replace(/\(0\)/g, "").replace(/[^0-9]/g, "");
  if (digits.length < MIN_DIGITS || digits.length > MAX_DIGITS) return none;
  return {
    href: `tel:${number.startsWith("+") ? "+" : ""}${digits}`,
    number,
    rest: text.slice(number.length),
  };
}

/** The `tel:` URI of a typed number (see phoneLink), or null when it starts with none. */
export function telHref(value) {
  return phoneLink(value).href;
}
