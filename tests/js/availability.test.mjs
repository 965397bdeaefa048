// Slots offered from the availability rules and closures, and conflicts with busy slots.
import "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addDays,
  conflicts,
  normaliseAvailability,
  normaliseBusy,
  outsideAvailability,
  practitionersOf,
  slotMinutes,
  slotsFor,
  weekdayOf,
} from "../../web/static/js/app/availability.js";

const RULES = normaliseAvailability({
  availability: [
    { practitioner: "Dr Martin", days: ["mon", "thu", "bogus"], from: "09:00", to: "11:00", minutes: "30" },
    { practitioner: "Dr Martin", days: ["thu"], from: "14:00", to: "15:00", minutes: "20" },
    { practitioner: "Dr Roux", days: ["fri"], from: "08:00", to: "08:40", minutes: "nope" },
    "garbage",
  ],
});

test("rules are read defensively", () => {
  assert.deepEqual(RULES[0].days, ["mon", "thu"]);
  assert.deepEqual(RULES[3], { practitioner: "", days: [], from: "", to: "", minutes: "" });
  assert.deepEqual(normaliseAvailability(null), []);
  assert.equal(slotMinutes("nope"), 30);
  assert.equal(slotMinutes("4"), 30);
  assert.equal(slotMinutes("45"), 45);
  assert.deepEqual(practitionersOf(RULES), ["Dr Martin", "Dr Roux"]);
});

test("weekdays of calendar days, across months and years", () => {
  assert.equal(weekdayOf("2026-12-03"), "thu");
  assert.equal(weekdayOf("2026-12-07"), "mon");
  assert.equal(addDays("2026-12-31", 1), "2027-01-01");
  assert.equal(addDays("2026-03-28", 1), "2026-03-29"); // the night the clocks change
});

test("slots of a day from every rule of that weekday, in order", () => {
  const thursday = slotsFor(RULES, [], "dr martin", "2026-12-03").map((s) => `${s.start}/${s.minutes}`);
  assert.deepEqual(thursday, ["09:00/30", "09:30/30", "10:00/30", "10:30/30", "14:00/20", "14:20/20", "14:40/20"]);
  assert.deepEqual(slotsFor(RULES, [], "Dr Martin", "2026-12-02"), []); // a Wednesday
  // A slot that would run past the end of the hours is not offered (08:00-08:40 in 30 min).
  assert.deepEqual(slotsFor(RULES, [], "Dr Roux", "2026-12-04").map((s) => s.start), ["08:00"]);
});

test("closures of the practice or of the practitioner remove the day's slots", () => {
  const closures = [
    { from: "2026-12-03", to: "2026-12-04", who: "Dr Roux", replacement: "", note: "" },
    { from: "2026-12-07", to: "", who: "", replacement: "", note: "" },
  ];
  assert.equal(slotsFor(RULES, closures, "Dr Martin", "2026-12-03").length, 7);
  assert.deepEqual(slotsFor(RULES, closures, "Dr Roux", "2026-12-04"), []);
  assert.deepEqual(slotsFor(RULES, closures, "Dr Martin", "2026-12-07"), []);
  assert.equal(outsideAvailability(RULES, closures, { practitioner: "Dr Martin", start: "2026-12-07T09:00", minutes: 30 }), "closed");
  assert.equal(outsideAvailability(RULES, closures, { practitioner: "Dr Martin", start: "2026-12-03T10:45", minutes: 30 }), "hours");
  assert.equal(outsideAvailability(RULES, closures, { practitioner: "Dr Martin", start: "2026-12-03T10:30", minutes: 30 }), "");
  assert.equal(outsideAvailability(RULES, closures, { practitioner: "Dr Nobody", start: "2026-12-03T23:00", minutes: 30 }), "");
});

test("conflicts: overlapping busy slots of the same practitioner, end exclusive", () => {
  const busy = normaliseBusy({
    slots: [
      { practitioner: "Dr Martin", start: "2026-12-03T09:00", minutes: "30" },
      { practitioner: "Dr Roux", start: "2026-12-03T10:00", minutes: "30" },
      { practitioner: "", start: "2026-12-03T12:00", minutes: "60" },
      { practitioner: "Dr Martin", start: "2026-12-03T23:45", minutes: "30" },
      { practitioner: "Dr Martin", start: "not a time", minutes: "30" },
    ],
  });
  assert.equal(busy.length, 4);
  const at = (start, minutes = 30, practitioner = "Dr Martin") => conflicts(busy, { practitioner, start, minutes });
  assert.equal(at("2026-12-03T09:00").length, 1);
  assert.equal(at("2026-12-03T09:15").length, 1);
  assert.equal(at("2026-12-03T08:45", 15).length, 0); // ends when the busy one starts
  assert.equal(at("2026-12-03T09:30").length, 0); // starts when it ends
  assert.equal(at("2026-12-03T10:00").length, 0); // Dr Roux's
  assert.equal(at("2026-12-03T12:30").length, 1); // the whole practice's
  assert.equal(at("2026-12-04T00:00").length, 1); // past midnight
  assert.equal(at("garbage").length, 0);
});

import { appointmentOf, busySlots, heldTime, valuesOf } from "../../web/static/js/app/appointment.js";

test("an appointment from a form body, a move's new time, the busy slots published", () => {
  assert.deepEqual(valuesOf({ values: [{ id: "person", value: "Mme D" }] }), { person: "Mme D" });
  assert.deepEqual(valuesOf("junk"), {});
  const a = appointmentOf({
    template_id: "t",
    template_version: 1,
    values: { person: "Mme D", practitioner: "Dr Martin", date: "2026-12-03", time: "09:00", duration: "45", visit: "Première visite" },
  });
  assert.equal(a.start, "2026-12-03T09:00");
  assert.equal(a.caller, "Mme D");
  assert.equal(a.minutes, "45");
  assert.equal(a.visit, "first");
  assert.equal(appointmentOf({ values: { visit: "Follow-up", duration: "" } }).visit, "follow_up");
  assert.equal(appointmentOf({ values: { duration: "" } }).minutes, "30");
  assert.equal(a.contact, "");
  assert.equal(a.mode, "slot");
  assert.equal(appointmentOf({ appointment: "request", values: {} }).mode, "request");
  const moved = heldTime(a, { status: "moved" }, { start: "2026-12-04T10:00", minutes: "45" });
  assert.deepEqual(moved, { start: "2026-12-04T10:00", minutes: "45" });
  assert.deepEqual(heldTime(a, { status: "moved" }, { start: "bad" }), { start: a.start, minutes: "45" });
  const entries = [
    { status: "confirmed", practitioner: "Dr Martin", start: "2026-12-03T09:00", minutes: "30", caller: "Mme D" },
    { status: "requested", practitioner: "Dr Martin", start: "2026-12-03T10:00", minutes: "30" },
    { status: "moved", practitioner: "Dr Roux", start: "2026-12-02T08:00", minutes: "30" },
    { status: "confirmed", practitioner: "Dr Roux", start: "2026-12-01T08:00", minutes: "30" },
  ];
  const slots = busySlots(entries, "2026-12-02");
  assert.deepEqual(slots, [
    { practitioner: "Dr Roux", start: "2026-12-02T08:00", minutes: "30" },
    { practitioner: "Dr Martin", start: "2026-12-03T09:00", minutes: "30" },
  ]);
  assert.equal(JSON.stringify(slots).includes("Mme D"), false); // times only
});

import {
  clockSpan,
  clockText,
  conflictSentence,
  decryptedSentence,
  exportedSentence,
  overlapSentence,
} from "../../web/static/js/app/agenda-text.js";

test("appointment times in French and English", () => {
  assert.equal(clockText("09:05", "fr"), "9\u00a0h\u00a005");
  assert.equal(clockText("14:30", "en"), "2:30\u00a0pm");
  assert.equal(clockText("00:15", "en"), "12:15\u00a0am");
  assert.equal(clockText("bad", "fr"), "bad");
});

test("a conflict names the confirmed slot's start and end, not its length", () => {
  const slot = { practitioner: "Dr Martin", start: "2026-12-03T10:30", minutes: "30" };
  assert.equal(
    conflictSentence(slot, "fr"),
    "Ce créneau est déjà pris\u00a0: un rendez-vous confirmé de Dr Martin le 3\u00a0déc.\u00a02026 de 10\u00a0h\u00a030 à 11\u00a0h\u00a000. Choisissez un autre créneau, ou prenez une demande.",
  );
  assert.equal(
    conflictSentence(slot, "en"),
    "This slot is already taken: a confirmed appointment with Dr Martin on 3\u00a0Dec\u00a02026 from 10:30\u00a0am to 11:00\u00a0am. Choose another slot, or take a request.",
  );
  assert.doesNotMatch(conflictSentence(slot, "fr"), /min\)/);
  assert.equal(clockSpan("2026-12-03T11:45", 30, "en"), "from 11:45\u00a0am to 12:15\u00a0pm");
  assert.equal(clockSpan("2026-12-03T23:30", 60, "fr"), "de 23\u00a0h\u00a030 à 0\u00a0h\u00a030");
  // A slot with no readable length is taken as the default 30 minutes, as conflicts() does.
  assert.match(conflictSentence({ practitioner: "", start: "2026-12-03T09:00", minutes: "" }, "fr"), /ce cabinet .* de 9\u00a0h\u00a000 à 9\u00a0h\u00a030\./);
});

test("counts of appointments agree in number, French and English", () => {
  assert.equal(decryptedSentence(0, "fr"), "0 rendez-vous déchiffré dans ce navigateur.");
  assert.equal(decryptedSentence(1, "fr"), "1 rendez-vous déchiffré dans ce navigateur.");
  assert.equal(decryptedSentence(2, "fr"), "2 rendez-vous déchiffrés dans ce navigateur.");
  assert.equal(decryptedSentence(0, "en"), "0 appointments decrypted in this browser.");
  assert.equal(decryptedSentence(1, "en"), "1 appointment decrypted in this browser.");
  assert.equal(decryptedSentence(3, "en"), "3 appointments decrypted in this browser.");
  assert.equal(exportedSentence(1, "fr"), "1 rendez-vous exporté.");
  assert.equal(exportedSentence(4, "fr"), "4 rendez-vous exportés.");
  assert.equal(exportedSentence(1, "en"), "1 appointment exported.");
  assert.equal(overlapSentence(1, "fr"), "Ce créneau chevauche 1 rendez-vous confirmé.");
  assert.equal(overlapSentence(2, "fr"), "Ce créneau chevauche 2 rendez-vous confirmés.");
  assert.equal(overlapSentence(1, "en"), "This slot overlaps 1 confirmed appointment.");
  assert.equal(overlapSentence(2, "en"), "This slot overlaps 2 confirmed appointments.");
});
