// What an inbox row says and how the in-browser search matches (web/static/js/app/rowtext.js),
// and opening a batch of envelopes (web/static/js/app/envelopes.js).
import "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  generatePracticeKeys,
  generateUserKeys,
  ItemKind,
  sealItem,
  toBase64url,
  Urgency,
} from "../../web/static/js/crypto/index.js";
import { openBatch } from "../../web/static/js/app/envelopes.js";
import {
  essentials,
  fold,
  formatSize,
  queryWords,
  SearchIndex,
  searchText,
  telHref,
} from "../../web/static/js/app/rowtext.js";

test("folding ignores accents and case: lefevre, LEFEVRE and Lefèvre are one word", () => {
  assert.equal(fold("Lefèvre"), "lefevre");
  assert.equal(fold("LEFEVRE"), fold("lefèvre"));
  assert.equal(fold("ÉLODIE Œuvray-Straße"), "elodie oeuvray-strasse");
  assert.equal(fold("Ｌｅｆｅｖｒｅ"), "lefevre"); // full-width letters
  assert.equal(fold("İlker"), "ilker");
  assert.equal(fold("Lefe\u0300vre"), "lefevre"); // already decomposed
});

test("a search finds an item by an accent-less upper-case surname among others, newest first", () => {
  const index = new SearchIndex();
  for (let n = 0; n < 2000; n += 1) {
    index.add({ id: `old-${n}`, at: `2025-01-01T00:00:${String(n % 60).padStart(2, "0")}.000Z`, text: searchText("call_note", { caller_name: `Martin ${n}`, reason: "Rendez-vous" }) });
  }
  index.add({ id: "target", at: "2026-12-01T18:15:00.000Z", text: searchText("call_note", { caller_name: "Mme Lefèvre", reason: "Résultats d'analyse", callback_number: "06 12 34 56 78" }) });
  assert.deepEqual(index.search("LEFEVRE").map((e) => e.id), ["target"]);
  assert.deepEqual(index.search("lefevre resultats").map((e) => e.id), ["target"]);
  assert.deepEqual(index.search("0612").map((e) => e.id), ["target"]); // the digits run together
  assert.deepEqual(index.search("lefevre dupont"), []); // every word must match
  assert.deepEqual(index.search("   "), []);
  assert.equal(index.search("martin").length, 2000);
  assert.deepEqual(queryWords("  Lefèvre   ANALYSE "), ["lefevre", "analyse"]);
});

test("a callback number becomes a tel: URI of a plus and digits only, or nothing", () => {
  assert.equal(telHref("06 12 34 56 78"), "tel:0612345678");
  assert.equal(telHref("+33 (0)6 12.34-56-78"), "tel:+33612345678");
  assert.equal(telHref("+33 (0)6 12.34-56/78"), "tel:+336123456"); // stops at the slash
  assert.equal(telHref("06 12 34 56 78 poste 12"), "tel:0612345678");
  assert.equal(telHref("\u00a0０６ １２ ３４ ５６ ７８ "), "tel:0612345678");
  assert.equal(telHref("15"), "tel:15");
  for (const hostile of [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)//0612345678",
    "data:text/html,<script>alert(1)</script>",
    "tel:0612345678?body=x",
    "0612345678;ext=javascript:alert(1)",
    "<img src=x onerror=alert(1)>",
    "",
    null,
    undefined,
    "1",
    "1234567890123456", // 16 digits: no E.164 number
  ]) {
    const href = telHref(hostile);
    assert.ok(href === null || /^tel:\+?[0-9]{2,15}$/.test(href), `${hostile} → ${href}`);
  }
  assert.equal(telHref("javascript:alert(1)"), null);
  assert.equal(telHref("0612345678;ext=javascript:alert(1)"), "tel:0612345678");
});

test("a search finds custom-field and call-rule field values, not their ids or types", () => {
  const index = new SearchIndex();
  index.add({ id: "plain", at: "2026-12-01T10:00:00.000Z", text: searchText("call_note", { caller_name: "M. Durand", reason: "Rendez-vous" }) });
  index.add({
    id: "custom",
    at: "2026-12-01T11:00:00.000Z",
    text: searchText("call_note", {
      caller_name: "Mme Roux",
      reason: "Douleur",
      call_type: "Urgence",
      custom_fields: [
        { id: "f1", label: "Mutuelle", type: "text", value: "Harmonie Santé" },
        { id: "rule:r1:0", label: "Médecin traitant", type: "choice", value: "Dr Béranger" },
        { id: "f2", label: "Date de naissance", type: "date", value: "1950-03-04" },
      ],
    }),
  });
  assert.deepEqual(index.search("harmonie sante").map((e) => e.id), ["custom"]);
  assert.deepEqual(index.search("beranger").map((e) => e.id), ["custom"]);
  assert.deepEqual(index.search("1950-03-04").map((e) => e.id), ["custom"]);
  assert.deepEqual(index.search("mutuelle").map((e) => e.id), ["custom"]);
  assert.deepEqual(index.search("urgence").map((e) => e.id), ["custom"]);
  assert.deepEqual(index.search("rule:r1"), []);
  assert.deepEqual(index.search("choice"), []);
});

test("sizes are written as people read them, in each language", () => {
  assert.equal(formatSize(512, "fr"), "512\u00a0o");
  assert.equal(formatSize(12_800, "fr"), "12,5\u00a0Ko");
  assert.equal(formatSize(12_800, "en"), "12.5\u00a0KB");
  assert.equal(formatSize(3 * 1024 * 1024, "en"), "3\u00a0MB");
});

test("the essentials of each kind; missing or odd values are shown as text", () => {
  assert.deepEqual(essentials("call_note", { caller_name: "Jeanne", reason: "Ordonnance", callback_number: "06 12 34 56 78" }), {
    kind: "call_note",
    caller: "Jeanne",
    reason: "Ordonnance",
    callback: "06 12 34 56 78",
    tel: "tel:0612345678",
    telNumber: "06 12 34 56 78",
    telRest: "",
  });
  assert.deepEqual(essentials("call_note", { reason: 12 }), { kind: "call_note", caller: "", reason: "12", callback: "", tel: null, telNumber: "", telRest: "" });
  // The link dials and shows only the number; the note after it is plain text.
  const noted = essentials("call_note", { callback_number: "01 23 45 67 89 (18h)" });
  assert.equal(noted.tel, "tel:0123456789");
  assert.equal(noted.telNumber, "01 23 45 67 89");
  assert.equal(noted.telRest, " (18h)");
  assert.equal(essentials("call_note", { callback_number: "06.12.34.56.78 - 2" }).tel, "tel:0612345678");
  assert.deepEqual(essentials("message", { subject: "Commande" }), { kind: "message", subject: "Commande" });
  assert.deepEqual(essentials("extract", { name: "a.csv", size: 10 }), { kind: "extract", name: "a.csv", size: 10 });
});

const PRACTICE = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const AUTHOR = "16fd2706-8baf-433b-82eb-8c7fada847da";

function batchOf(practice, author, items) {
  return {
    practice_id: PRACTICE,
    authors: { [AUTHOR]: { id: AUTHOR, name: "Sophie", username: "sophie", ed25519_pk: toBase64url(author.ed25519PublicKey) } },
    items: items.map(({ id, urgency, serverUrgency, body, envelope }) => ({
      item_id: id,
      kind: "message",
      urgency: serverUrgency ?? urgency,
      author_id: AUTHOR,
      call_started_at: null,
      call_seconds: null,
      deposited_at: "2026-12-01T18:00:00+00:00",
      envelope:
        envelope ??
        toBase64url(
          sealItem(
            { kind: ItemKind.MESSAGE, urgency: Urgency[urgency.toUpperCase()], itemId: id, clientId: PRACTICE, authorId: AUTHOR, callStartedAt: 0, callSeconds: 0 },
            body,
            practice.publicKey,
            author.ed25519Seed,
          ),
        ),
    })),
  };
}

test("a batch opens item by item: good ones shown, a bad one a warning, a changed urgency flagged", () => {
  const practice = generatePracticeKeys();
  const author = generateUserKeys();
  const ok = "0f8fad5b-d9cb-469f-a165-70867728950e";
  const lowered = "1f8fad5b-d9cb-469f-a165-70867728950e";
  const broken = "2f8fad5b-d9cb-469f-a165-70867728950e";
  const moved = "3f8fad5b-d9cb-469f-a165-70867728950e";
  const answer = batchOf(practice, author, [
    { id: ok, urgency: "normal", body: { subject: "Commande", text: "" } },
    { id: lowered, urgency: "urgent", serverUrgency: "low", body: { subject: "Vite", text: "" } },
    { id: broken, urgency: "normal", envelope: "AAAA" },
    { id: moved, urgency: "normal", body: { subject: "x", text: "" } },
  ]);
  answer.items[3].envelope = answer.items[0].envelope; // another item's envelope in this row
  const opened = openBatch(answer, practice.secretKey);
  assert.equal(opened[0].ok, true);
  assert.equal(opened[0].json.subject, "Commande");
  assert.deepEqual(opened[0].differs, []);
  assert.equal(opened[1].ok, true);
  assert.equal(opened[1].signed.urgency, "urgent");
  assert.deepEqual(opened[1].differs, ["urgency"]);
  assert.deepEqual([opened[2].ok, opened[2].reason], [false, "unverified"]);
  assert.deepEqual([opened[3].ok, opened[3].reason], [false, "moved"]);
  const other = generatePracticeKeys();
  assert.deepEqual(openBatch(answer, other.secretKey).map((o) => o.ok), [false, false, false, false]);
});
