// The practice's agenda (day and week): the appointments' states come from the server, what
// they say is decrypted here (the deposited forms with the practice key, a move's new time
// from the practice's reply under the team key). Confirming, moving or declining seals the
// reply here, then republishes the busy slots (times only) the secretaries' desks check
// for conflicts (docs/format.md §10, "Appointments"). The .ics export is made here too.
import { DocType, NO_SUBJECT } from "../crypto/index.js";
import { getJson, postJson } from "../app/api.js";
import { addDays, conflicts, parseStart, weekdayOf } from "../app/availability.js";
import { appointmentOf, busySlots, heldTime, sameSlots } from "../app/appointment.js";
import { fetchListed, openBatch } from "../app/envelopes.js";
import { lang, t } from "../app/form.js";
import { clockText, decryptedSentence, endClock, exportedSentence, overlapSentence } from "../app/agenda-text.js";
import { icsCalendar } from "../app/ics.js";
import { localMoment } from "../app/instructions.js";
import { NBSP, shortDate } from "../app/localdates.js";
import { readDocuments, writeDocument } from "../app/team.js";
import { openDocument, sealNew } from "../app/team-docs.js";
import { sentenceOf } from "../app/thread.js";
import { keysForThisPage } from "../app/unlock-prompt.js";

const section = document.getElementById("agenda");
const practiceId = section.dataset.practiceId;
const timeZone = section.dataset.timezone;
const daysBox = section.querySelector("[data-agenda-days]");
const requestedBox = section.querySelector("[data-agenda-requested]");
const statusLine = section.querySelector("[data-status]");
const errorLine = section.querySelector("[data-error]");
const viewSelect = section.querySelector("[data-agenda-view]");
const icsButton = section.querySelector("[data-agenda-ics]");
const MAX_BATCH = 100; // vault/items/listing.py MAX_LISTED

const WEEKDAYS = {
  fr: ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
  en: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
};
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const STATUS_TEXT = {
  requested: { fr: "À confirmer", en: "To confirm" },
  confirmed: { fr: "Confirmé", en: "Confirmed" },
  moved: { fr: "Déplacé", en: "Moved" },
  declined: { fr: "Refusé", en: "Declined" },
};
const VISIT_TEXT = { first: { fr: "première visite", en: "first visit" }, follow_up: { fr: "suivi", en: "follow-up" } };

let entries = [];
let focusDay = localMoment(new Date(), timeZone).day;
let busyDoc = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}


function dayTitle(day) {
  return `${WEEKDAYS[lang()][DAYS.indexOf(weekdayOf(day))]} ${shortDate(day, lang())}`;
}

async function load() {
  statusLine.textContent = t({ fr: "Déchiffrement des rendez-vous…", en: "Decrypting the appointments…" });
  const unlocked = await keysForThisPage(document.querySelector("[data-unlock-form]"));
  const practiceKey = unlocked?.practice?.secretKey;
  const { appointments } = await getJson(`/practices/${practiceId}/appointments`);
  const opened = new Map();
  for (let i = 0; i < appointments.length; i += MAX_BATCH) {
    const ids = appointments.slice(i, i + MAX_BATCH).map((a) => a.item_id);
    for (const item of openBatch(await fetchListed(ids), practiceKey)) opened.set(item.id, item);
  }
  const out = [];
  for (const state of appointments) {
    const item = opened.get(state.item_id);
    if (!item || !item.ok) {
      out.push({ itemId: state.item_id, status: state.status, failed: true, start: "", minutes: "30", practitioner: "" });
      continue;
    }
    const appointment = appointmentOf(item.json);
    let reply = null;
    if (state.reply_id) {
      const { replies } = await getJson(`/items/${state.item_id}/replies`);
      const doc = replies.find((r) => r.document_id === state.reply_id);
      if (doc) {
        const o = await openDocument(practiceId, doc, { type: DocType.REPLY, subjectId: state.item_id });
        reply = o.failed ? null : o.json;
      }
    }
    const held = heldTime(appointment, state, reply);
    out.push({ ...appointment, ...held, itemId: state.item_id, status: state.status, bookedBy: state.booked_by, reply });
  }
  entries = out;
  const busy = (await readDocuments(practiceId, { type: DocType.BUSY_SLOTS })).filter((d) => !d.failed);
  busyDoc = busy.sort((a, b) => String(a.storedAt).localeCompare(String(b.storedAt))).pop() ?? null;
  statusLine.textContent = decryptedSentence(entries.length);
  section.dataset.agendaReady = "true";
  icsButton.disabled = false;
}

function summaryOf(e) {
  const visit = VISIT_TEXT[e.visit] ? t(VISIT_TEXT[e.visit]) : e.visit;
  return [e.caller, e.practitioner, visit].filter(Boolean).join(" · ");
}

function row(e) {
  const li = el("li", { class: "agenda-item", "data-appointment": e.itemId, "data-status": e.status });
  if (e.failed) {
    li.append(el("span", { class: "row-warning" }, t({ fr: "Ce rendez-vous n'a pas pu être vérifié.", en: "This appointment could not be verified." })));
    return li;
  }
  li.append(
    el("span", { class: "agenda-time", "data-time": e.start }, `${clockText(e.start.slice(11))}–${clockText(endClock(e.start, e.minutes))}`),
    " ",
    el("strong", {}, summaryOf(e)),
    " ",
    el("span", { class: "badge", "data-badge": e.status }, t(STATUS_TEXT[e.status])),
  );
  if (e.mode === "request" && e.status === "requested") {
    li.append(" ", el("span", { class: "hint", "data-request-mode": "" }, t({ fr: "(demande : le cabinet choisit l'heure)", en: "(request: the practice chooses the time)" }).replace(" :", "\u00a0:")));
  }
  if (e.reason) li.append(el("div", { class: "hint" }, e.reason));
  if (e.contact) li.append(el("div", { class: "hint" }, e.contact));
  return li;
}

function render() {
  const week = viewSelect.value === "week";
  const monday = addDays(focusDay, -DAYS.indexOf(weekdayOf(focusDay)));
  const days = week ? [...Array(7).keys()].map((i) => addDays(monday, i)) : [focusDay];
  section.querySelector("[data-agenda-title]").textContent = week
    ? t({ fr: `Semaine du ${shortDate(monday, "fr")}`, en: `Week of ${shortDate(monday, "en")}` })
    : dayTitle(focusDay);
  daysBox.replaceChildren();
  daysBox.dataset.view = week ? "week" : "day";
  for (const day of days) {
    const shown = entries
      .filter((e) => e.status !== "declined" && e.start.slice(0, 10) === day)
      .sort((a, b) => (a.start < b.start ? -1 : 1));
    const list = el("ul", { class: "agenda-list" }, ...shown.map(row));
    if (!shown.length) list.append(el("li", { class: "hint" }, t({ fr: "Aucun rendez-vous.", en: "No appointments." })));
    daysBox.append(el("section", { class: "agenda-day", "data-day": day }, el("h3", {}, dayTitle(day)), list));
  }
  renderRequested();
}

function decisionForm(e) {
  const box = el("div", { class: "agenda-decide stack" });
  const held = entries.filter((o) => o !== e && (o.status === "confirmed" || o.status === "moved"));
  const clash = conflicts(held, { practitioner: e.practitioner, start: e.start, minutes: e.minutes });
  if (clash.length) {
    box.append(el("p", { class: "warning", "data-conflict": "" }, overlapSentence(clash.length)));
  }
  const confirm = el("button", { type: "button", "data-confirm": "" }, t({ fr: "Confirmer", en: "Confirm" }));
  confirm.addEventListener("click", () => decide(e, "confirmed", null, box));
  const date = el("input", { type: "date", name: `move-date-${e.itemId}`, value: e.start.slice(0, 10), "data-move-date": "" });
  const time = el("input", { type: "time", name: `move-time-${e.itemId}`, value: e.start.slice(11), "data-move-time": "" });
  const move = el("button", { type: "button", "data-move": "" }, t({ fr: "Déplacer", en: "Move" }));
  move.addEventListener("click", () => {
    if (!date.value || !time.value) return;
    const start = `${date.value}T${time.value}`;
    const text = t({
      fr: `Nouveau rendez-vous : ${dayTitle(date.value)}, ${clockText(time.value, "fr")}.`.replace(" :", `${NBSP}:`),
      en: `New time: ${dayTitle(date.value)}, ${clockText(time.value, "en")}.`,
    });
    decide(e, "moved", { text, start, minutes: e.minutes }, box);
  });
  const reason = el("input", { type: "text", name: `decline-${e.itemId}`, maxLength: 2000, "data-decline-reason": "" });
  const decline = el("button", { type: "button", "data-decline": "" }, t({ fr: "Refuser", en: "Decline" }));
  decline.addEventListener("click", () => {
    if (!reason.value.trim()) {
      reason.focus();
      return;
    }
    decide(e, "declined", { text: reason.value.trim() }, box);
  });
  box.append(
    el("p", {}, confirm),
    el("fieldset", {}, el("legend", {}, t({ fr: "Déplacer à", en: "Move to" })),
      el("label", {}, t({ fr: "Date", en: "Date" }), " ", date), " ",
      el("label", {}, t({ fr: "Heure", en: "Time" }), " ", time), " ", move),
    el("p", {}, el("label", {}, t({ fr: "Motif du refus", en: "Reason for declining" }), " ", reason), " ", decline),
    el("p", { class: "status", role: "status", "data-decide-status": "" }),
  );
  return box;
}

function renderRequested() {
  const waiting = entries.filter((e) => e.status === "requested" && !e.failed);
  requestedBox.replaceChildren();
  if (!waiting.length) {
    requestedBox.append(el("p", { class: "hint" }, t({ fr: "Aucune demande en attente.", en: "No request waiting." })));
    return;
  }
  const list = el("ul", { class: "agenda-list" });
  for (const e of waiting.sort((a, b) => (a.start < b.start ? -1 : 1))) {
    const li = row(e);
    li.prepend(el("div", {}, shortDate(e.start.slice(0, 10), lang())));
    li.append(decisionForm(e));
    list.append(li);
  }
  requestedBox.append(list);
}

async function publishBusy() {
  const slots = busySlots(entries, localMoment(new Date(), timeZone).day);
  if (busyDoc ? sameSlots(busyDoc.body?.slots ?? null, slots) : slots.length === 0) return;
  const written = await writeDocument(practiceId, {
    type: DocType.BUSY_SLOTS,
    documentId: busyDoc?.documentId ?? crypto.randomUUID(),
    subjectId: NO_SUBJECT,
    body: { slots },
  });
  busyDoc = { documentId: written.documentId, body: { slots } };
}

async function decide(e, status, replyBody, box) {
  const say = box.querySelector("[data-decide-status]");
  for (const b of box.querySelectorAll("button")) b.disabled = true;
  say.textContent = t({ fr: "Chiffrement et envoi…", en: "Encrypting and sending…" });
  errorLine.textContent = "";
  try {
    const payload = { status };
    if (replyBody) {
      const sealed = await sealNew(practiceId, DocType.REPLY, replyBody, e.itemId);
      payload.reply_id = sealed.id;
      payload.envelope = sealed.envelope;
    }
    await postJson(`/practices/${practiceId}/appointments/${e.itemId}`, payload);
    e.status = status;
    if (status === "moved") Object.assign(e, { start: replyBody.start, minutes: replyBody.minutes, reply: replyBody });
    await publishBusy();
    statusLine.textContent = t({ fr: "Réponse envoyée à la secrétaire.", en: "Answer sent to the secretary." });
    render();
  } catch (error) {
    errorLine.textContent = sentenceOf(error);
    for (const b of box.querySelectorAll("button")) b.disabled = false;
    say.textContent = "";
  }
}

function exportIcs() {
  const events = entries
    .filter((x) => !x.failed && x.status !== "declined" && parseStart(x.start))
    .map((x) => ({
      uid: `${x.itemId}@permanence`,
      start: x.start,
      minutes: Number(x.minutes),
      summary: summaryOf(x),
      description: [x.reason, x.contact].filter(Boolean).join("\n"),
      status: x.status === "requested" ? "TENTATIVE" : "CONFIRMED",
    }));
  const ics = icsCalendar(events, { timeZone, now: new Date() });
  const link = el("a", { href: URL.createObjectURL(new Blob([ics], { type: "text/calendar" })), download: "agenda.ics" });
  document.body.append(link);
  link.click();
  link.remove();
  statusLine.textContent = exportedSentence(events.length);
}

function shift(days) {
  focusDay = addDays(focusDay, days);
  render();
}
section.querySelector("[data-agenda-previous]").addEventListener("click", () => shift(viewSelect.value === "week" ? -7 : -1));
section.querySelector("[data-agenda-next]").addEventListener("click", () => shift(viewSelect.value === "week" ? 7 : 1));
section.querySelector("[data-agenda-today]").addEventListener("click", () => {
  focusDay = localMoment(new Date(), timeZone).day;
  render();
});
viewSelect.addEventListener("change", render);
icsButton.addEventListener("click", exportIcs);
// `#day=YYYY-MM-DD` opens that day's week (the agenda of a booking in the future).
const wanted = /day=(\d{4}-\d{2}-\d{2})/.exec(location.hash);
if (wanted) focusDay = wanted[1];

try {
  await load();
  render();
  // A decision taken in another tab whose busy slots were not written (a failure, a race)
  // is published now: the desks check against what the agenda shows.
  publishBusy().catch((error) => {
    errorLine.textContent = sentenceOf(error);
  });
} catch (error) {
  statusLine.textContent = "";
  errorLine.textContent = sentenceOf(error);
}
