// A typed phone number becomes a tel: link (web/static/js/app/tel.js): only the first
// well-formed number is dialled, and the link's text is exactly that number.
import assert from "node:assert/strict";
import { test } from "node:test";
import { phoneLink, telHref } from "../../web/static/js/app/tel.js";

test("only the number is dialled, not the digits of a note after it", () => {
  assert.deepEqual(phoneLink("01 23 45 67 89 (18h)"), {
    href: "tel:0123456789",
    number: "01 23 45 67 89",
    rest: " (18h)",
  });
  assert.deepEqual(phoneLink("06.12.34.56.78 - 2"), {
    href: "tel:0612345678",
    number: "06.12.34.56.78",
    rest: " - 2",
  });
  assert.deepEqual(phoneLink("06 12 34 56 78 poste 12"), {
    href: "tel:0612345678",
    number: "06 12 34 56 78",
    rest: " poste 12",
  });
  assert.equal(telHref("06 12 34 56 78/2"), "tel:0612345678");
});

test("two numbers: the first one is dialled, the second shown as text", () => {
  assert.deepEqual(phoneLink("06 12 34 56 78 ou 07 11 22 33 44"), {
    href: "tel:0612345678",
    number: "06 12 34 56 78",
    rest: " ou 07 11 22 33 44",
  });
});

test("an international number, with or without the (0) trunk", () => {
  assert.deepEqual(phoneLink("+33 (0)6 12 34 56 78"), {
    href: "tel:+33612345678",
    number: "+33 (0)6 12 34 56 78",
    rest: "",
  });
  assert.equal(telHref("+33(0)612345678"), "tel:+33612345678");
  assert.equal(telHref("+33 6-12-34-56-78"), "tel:+33612345678");
  assert.equal(telHref("+44 20 7946 0958"), "tel:+442079460958");
  assert.equal(telHref("(0)6 12 34 56 78"), null); // a trunk only after a country code
  assert.equal(telHref("06 (0)12 34 56 78"), "tel:06"); // stops at the bracket
  assert.equal(telHref("\u00a0０６ １２ ３４ ５６ ７８ "), "tel:0612345678");
  assert.equal(telHref("06\u00a012\u202f34 56 78"), "tel:0612345678");
});

test("2 to 15 digits, else no link", () => {
  assert.equal(telHref("15"), "tel:15");
  assert.equal(telHref("112"), "tel:112");
  assert.equal(telHref("1"), null);
  assert.equal(telHref("+1"), null);
  assert.equal(telHref("123456789012345"), "tel:123456789012345");
  assert.equal(telHref("1234567890123456"), null);
  assert.equal(telHref("06 12 34 56 78 07 11 22 33 44"), null); // 20 digits: no one number
  assert.equal(telHref("06  12 34 56 78"), "tel:06"); // two spaces end the number
});

test("hostile text is never linked nor used as the link's text", () => {
  for (const hostile of [
    "javascript:window.__tel=1//0611",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)//0612345678",
    "data:text/html,<script>alert(1)</script>",
    "tel:0612345678?body=x",
    "<img src=x onerror=alert(1)>",
    "Dr Martin 06 12 34 56 78",
    "",
    null,
    undefined,
  ]) {
    const link = phoneLink(hostile);
    assert.equal(link.href, null, `${hostile}`);
    assert.equal(link.number, "", `${hostile}`);
    assert.equal(link.rest, String(hostile ?? "").trim());
  }
  const link = phoneLink("0612345678;ext=javascript:alert(1)");
  assert.equal(link.href, "tel:0612345678");
  assert.equal(link.number, "0612345678");
  assert.equal(link.rest, ";ext=javascript:alert(1)");
});

test("the desk and the inbox use this one function", async () => {
  const { readFile } = await import("node:fs/promises");
  const root = new URL("../../web/static/js/", import.meta.url);
  const desk = await readFile(new URL("pages/desk.js", root), "utf8");
  const rowtext = await readFile(new URL("app/rowtext.js", root), "utf8");
  assert.match(desk, /import \{ phoneLink \} from "\.\.\/app\/tel\.js"/);
  assert.match(rowtext, /import \{ phoneLink \} from "\.\/tel\.js"/);
  assert.doesNotMatch(desk, /tel:\$\{/); // no tel: URI built by hand
});
