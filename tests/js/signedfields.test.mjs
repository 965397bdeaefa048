// The item page's comparison of the signed header with the server's record
// (web/static/js/app/signedfields.js): every signed field, its shown value, its warning.
import "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  generatePracticeKeys,
  generateUserKeys,
  ItemKind,
  openItem,
  sealItem,
  Urgency,
} from "../../web/static/js/crypto/index.js";
import {
  claimedRecord,
  describe,
  differences,
  formatCallTime,
  formatDuration,
  ID_FIELDS,
  signedRecord,
} from "../../web/static/js/app/signedfields.js";

const ITEM = "0f8fad5b-d9cb-469f-a165-70867728950e";
const PRACTICE = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const AUTHOR = "16fd2706-8baf-433b-82eb-8c7fada847da";
const STARTED = "2026-11-27T08:15:00Z"; // 09:15 in Paris
const STARTED_S = Date.parse(STARTED) / 1000;
const PARIS = { timeZone: "Europe/Paris" };

function sealedNote(urgency = Urgency.URGENT, kind = ItemKind.CALL_NOTE) {
  const practice = generatePracticeKeys();
  const author = generateUserKeys();
  const isCall = kind === ItemKind.CALL_NOTE;
  const body = isCall ? { caller_name: "Jeanne" } : { subject: "s", text: "t" };
  const call = isCall ? { callStartedAt: STARTED_S, callSeconds: 245 } : {};
  const envelope = sealItem(
    { kind, urgency, itemId: ITEM, clientId: PRACTICE, authorId: AUTHOR, ...call },
    body,
    practice.publicKey,
    author.ed25519Seed,
  );
  return openItem(envelope, {
    authorPublicKey: author.ed25519PublicKey,
    practiceSecretKey: practice.secretKey,
    itemId: ITEM,
    clientId: PRACTICE,
    authorId: AUTHOR,
  });
}

function page(overrides = {}) {
  // What the item page's data attributes hold for an honest server.
  return {
    kind: "call_note",
    urgency: "urgent",
    authorId: AUTHOR.toUpperCase(),
    itemId: ITEM,
    practiceId: PRACTICE,
    callStarted: String(STARTED_S),
    callSeconds: "245",
    ...overrides,
  };
}

test("an honest record matches every signed field (ids compared case-insensitively)", () => {
  const opened = sealedNote();
  const signed = signedRecord(opened.header);
  assert.deepEqual(signed, {
    kind: "call_note",
    urgency: "urgent",
    authorId: AUTHOR,
    itemId: ITEM,
    practiceId: PRACTICE,
    callStartedAt: STARTED_S,
    callSeconds: 245,
  });
  assert.deepEqual(differences(signed, claimedRecord(page())), []);
});

test("an urgent note lowered to low in the database: the signed urgency wins, one warning", () => {
  const opened = sealedNote();
  const diffs = differences(signedRecord(opened.header), claimedRecord(page({ urgency: "low" })));
  assert.deepEqual(diffs, [{ field: "urgency", signed: "urgent", claimed: "low" }]);
  assert.equal(
    describe(diffs[0], { lang: "en", ...PARIS }),
    "Urgency: the author signed “Urgent”, the server's record says “Low”.",
  );
  assert.equal(
    describe(diffs[0], { lang: "fr", ...PARIS }),
    "Urgence\u00a0: l'auteur a signé «\u00a0Urgente\u00a0», le registre du serveur indique «\u00a0Basse\u00a0».",
  );
});

test("kind, author, item and practice changed in the record are each reported; ids refuse", () => {
  const opened = sealedNote();
  const claimed = claimedRecord(
    page({ kind: "message", authorId: ITEM, itemId: AUTHOR, practiceId: ITEM }),
  );
  const diffs = differences(signedRecord(opened.header), claimed);
  assert.deepEqual(
    diffs.map((d) => d.field),
    ["kind", "authorId", "itemId", "practiceId"],
  );
  assert.deepEqual(
    diffs.filter((d) => ID_FIELDS.has(d.field)).map((d) => d.field),
    ["authorId", "itemId", "practiceId"],
  );
  assert.match(describe(diffs[0], { lang: "en", ...PARIS }), /signed “Call note”.*says “Written message”/);
});

test("a moved call time or duration is reported in the practice's time zone and language", () => {
  const opened = sealedNote();
  const claimed = claimedRecord(page({ callStarted: String(STARTED_S + 3600), callSeconds: "30" }));
  const diffs = differences(signedRecord(opened.header), claimed);
  assert.deepEqual(
    diffs.map((d) => d.field),
    ["callStartedAt", "callSeconds"],
  );
  assert.equal(
    describe(diffs[0], { lang: "fr", ...PARIS }),
    "Début de l'appel\u00a0: l'auteur a signé «\u00a0vendredi\u00a027\u00a0novembre\u00a02026, 9\u00a0h\u00a015\u00a0», le registre du serveur indique «\u00a0vendredi\u00a027\u00a0novembre\u00a02026, 10\u00a0h\u00a015\u00a0».",
  );
  assert.match(describe(diffs[0], { lang: "en", ...PARIS }), /“Friday\u00a027\u00a0November\u00a02026, 9:15\u00a0am”.*“Friday\u00a027\u00a0November\u00a02026, 10:15\u00a0am”/);
  assert.match(describe(diffs[1], { lang: "en", ...PARIS }), /“4\u00a0min 05\u00a0s”.*“30\u00a0s”/);
});

test("a call time the server adds to a message, or removes from a note, is a difference", () => {
  const message = sealedNote(Urgency.NORMAL, ItemKind.MESSAGE);
  const signed = signedRecord(message.header);
  assert.equal(signed.callStartedAt, null);
  const claimed = claimedRecord(page({ kind: "message", urgency: "normal" }));
  assert.deepEqual(
    differences(signed, claimed).map((d) => [d.field, d.signed]),
    [["callStartedAt", null], ["callSeconds", null]],
  );
  assert.match(describe(differences(signed, claimed)[0], { lang: "en", ...PARIS }), /signed “none”/);
  const note = sealedNote();
  const removed = claimedRecord(page({ callStarted: "", callSeconds: "" }));
  assert.equal(differences(signedRecord(note.header), removed).length, 2);
});

test("the call time compared is the header's; other kinds sign none", () => {
  const opened = sealedNote();
  assert.equal(opened.header.callStartedAt, STARTED_S);
  assert.equal(signedRecord(opened.header).callSeconds, 245);
  const extract = sealedNote(Urgency.LOW, ItemKind.EXTRACT).header;
  assert.equal(extract.callStartedAt, 0);
  assert.deepEqual([signedRecord(extract).callStartedAt, signedRecord(extract).callSeconds], [null, null]);
});

test("times and durations as people read them", () => {
  // The long form of app/localdates.js (tests/js/localdates.test.mjs checks it against Python).
  const nb = (text) => text.replaceAll(" ", "\u00a0").replaceAll("_", " ");
  assert.equal(formatCallTime(STARTED_S, "Europe/Paris", "fr"), nb("vendredi 27 novembre 2026,_9 h 15"));
  assert.equal(formatCallTime(STARTED_S, "America/New_York", "en"), nb("Friday 27 November 2026,_3:15 am"));
  assert.equal(formatDuration(0), nb("0 s"));
  assert.equal(formatDuration(59), nb("59 s"));
  assert.equal(formatDuration(245), nb("4 min_05 s"));
  assert.equal(formatDuration(3600), nb("1 h_00 min_00 s"));
});

test("a call time moved by seconds only still shows two different times", () => {
  const text = describe({ field: "callStartedAt", signed: STARTED_S, claimed: STARTED_S + 20 }, { lang: "en", ...PARIS });
  assert.match(text, /signed “[^”]+ \(2026-11-27T08:15:00Z\)”, the server's record says “[^”]+ \(2026-11-27T08:15:20Z\)”/);
});
