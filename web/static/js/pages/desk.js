// The secretary's desk: one practice at a time, its instructions (decrypted here under the
// team key) beside the call-note form. The practice comes from the switcher, from
// #practice=<id>, or from a softphone's #from=<caller>&to=<dialled line> (the line is looked up
// in the practices' cards); the fragment is read here and never sent to the server, and is
// replaced by #practice=<id> once read, so a reload does not start another call.
// Every call note is sealed to the key whose fingerprint the switcher shows, computed here.
import { fromBase64url, ItemKind, newItemId, practiceFingerprint, sealItem, toBase64url, Urgency } from "../crypto/index.js";
import { ApiError, send } from "../app/api.js";
import {
  CallTimer,
  checkFilled,
  clockTime,
  collect,
  confirmDeposit,
  keyboard,
  resetForNextCall,
  showPracticeFields,
  urgencyOf,
} from "../app/callnote.js";
import { checkPin } from "../app/fingerprints.js";
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import {
  closuresAround,
  DocType,
  INSTRUCTION_TYPES,
  onCallAt,
  onCallToday,
  practiceForLine,
} from "../app/instructions.js";
import { loadKeys } from "../app/keystore.js";
import { dateSpan } from "../app/localdates.js";
import { phoneLink } from "../app/tel.js";
import { keysReady } from "../app/unlock-prompt.js";
import { guardFingerprint } from "../app/pinwarning.js";
import { withRetry } from "../app/transfer.js";

const section = document.getElementById("desk");
const timeZone = section.dataset.timezone || "UTC";
const form = document.getElementById("call-note-form");
const status = section.querySelector("[data-instructions-status]");
const problem = section.querySelector("[data-instructions-error]");
const URGENCY = { low: Urgency.LOW, normal: Urgency.NORMAL, urgent: Urgency.URGENT };
const DAY_NAMES = {
  mon: { fr: "lundi", en: "Monday" },
  tue: { fr: "mardi", en: "Tuesday" },
  wed: { fr: "mercredi", en: "Wednesday" },
  thu: { fr: "jeudi", en: "Thursday" },
  fri: { fr: "vendredi", en: "Friday" },
  sat: { fr: "samedi", en: "Saturday" },
  sun: { fr: "dimanche", en: "Sunday" },
};

const practices = new Map();
for (const button of section.querySelectorAll("[data-practice]")) {
  const publicKey = fromBase64url(button.dataset.publicKey);
  // The fingerprint shown is that of the very key the call notes are sealed to.
  const fingerprint = practiceFingerprint(publicKey);
  button.querySelector("[data-fingerprint-shown]").textContent = fingerprint;
  practices.set(button.dataset.practiceId, {
    id: button.dataset.practiceId,
    name: button.dataset.name,
    publicKey,
    fingerprint,
    button,
    instructions: null,
    trusted: null,
  });
  if (checkPin(`practice:${button.dataset.practiceId}`, fingerprint).state === "changed") {
    button.querySelector("[data-pin-changed]").textContent = t({ fr: "empreinte changée", en: "fingerprint changed" });
  }
}

let current = null;
// The instructions' module (team key) is loaded on first use: should it fail, the desk still
// takes calls, and says the instructions could not be opened.
let io = null;
async function instructionsIO() {
  io ??= await import("../app/instructions-io.js");
  return io;
}

// ---- Elements, always with textContent ----
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}
function heading(text) {
  return el("h3", {}, text);
}
function days(list) {
  return list.map((d) => t(DAY_NAMES[d])).join(", ");
}
function hours(e) {
  if (!e.from && !e.to) return t({ fr: "toute la journée", en: "all day" });
  return `${e.from || "00:00"}–${e.to || "24:00"}`;
}
function who(c) {
  return c.who || t({ fr: "tout le cabinet", en: "the whole practice" });
}
function closureLine(c) {
  const span = dateSpan(c.from, c.to, document.documentElement.lang);
  const replacement = c.replacement ? t({ fr: ` — remplacé par ${c.replacement}`, en: ` — replaced by ${c.replacement}` }) : "";
  return `${span}\u00a0: ${who(c)}${replacement}${c.note ? ` (${c.note})` : ""}`;
}
function signedLine(doc) {
  const by = io ? io.signedBy(doc) : "";
  return by ? el("p", { class: "hint", "data-signed-by": "" }, by) : null;
}

// ---- The instructions pane ----
function renderToday(instr) {
  const box = section.querySelector("[data-today]");
  box.replaceChildren();
  const now = new Date();
  const onCall = instr[DocType.ON_CALL]?.body.entries ?? [];
  const nowOnCall = onCallAt(onCall, now, timeZone);
  const oncallBox = el("div", { class: "desk-highlight", "data-oncall-now": "" });
  oncallBox.append(el("h3", {}, t({ fr: "De garde maintenant", en: "On call now" })));
  if (nowOnCall.length === 0) {
    oncallBox.append(el("p", {}, t({ fr: "Personne n'est indiqué pour cette heure.", en: "Nobody is listed for this hour." })));
  }
  for (const e of nowOnCall) {
    const tel = phoneLink(e.phone);
    const phone = tel.href ? el("a", { href: tel.href }, tel.number) : null;
    oncallBox.append(el("p", { "data-oncall-person": "" }, el("strong", {}, e.name), ` (${hours(e)}) `, phone, tel.rest || null, e.note ? ` — ${e.note}` : ""));
  }
  box.append(oncallBox);
  const { current: closed, coming } = closuresAround(instr[DocType.CLOSURES]?.body.closures ?? [], now, timeZone);
  if (closed.length > 0) {
    box.append(
      el("div", { class: "desk-highlight", "data-closures-today": "" },
        el("h3", {}, t({ fr: "Fermetures et absences aujourd'hui", en: "Closures and absences today" })),
        el("ul", {}, ...closed.map((c) => el("li", {}, closureLine(c))))),
    );
  }
  if (coming.length > 0) {
    box.append(
      el("div", { "data-closures-coming": "" },
        el("h3", {}, t({ fr: "Dans les 7 prochains jours", en: "In the next 7 days" })),
        el("ul", {}, ...coming.map((c) => el("li", {}, closureLine(c))))),
    );
  }
}

function renderCard(instr) {
  const doc = instr[DocType.PRACTICE_CARD];
  const box = section.querySelector("[data-card]");
  box.replaceChildren();
  if (!doc) return;
  const card = doc.body;
  const dl = el("dl", { class: "fields" });
  const add = (label, value) => {
    if (value) dl.append(el("dt", {}, t(label)), el("dd", {}, value));
  };
  add({ fr: "Ce qu'il faut dire", en: "What to tell callers" }, card.what_to_say);
  add({ fr: "Adresse", en: "Address" }, card.address);
  add({ fr: "Horaires", en: "Opening hours" }, card.opening_hours);
  add({ fr: "Services", en: "Services" }, card.services);
  const people = card.practitioners.map((p) => `${p.name}${p.role ? ` — ${p.role}` : ""}${p.days ? ` (${p.days})` : ""}`).join("\n");
  add({ fr: "Praticiens", en: "Practitioners" }, people);
  box.append(heading(t({ fr: "Fiche du cabinet", en: "Practice card" })), dl, signedLine(doc));
}

function renderOnCall(instr) {
  const doc = instr[DocType.ON_CALL];
  const box = section.querySelector("[data-oncall]");
  box.replaceChildren();
  if (!doc) return;
  const today = onCallToday(doc.body.entries, new Date(), timeZone);
  box.append(
    heading(t({ fr: "Astreintes du jour", en: "Today's on-call list" })),
    el("ul", {}, ...today.map((e) => el("li", {}, `${hours(e)}\u00a0: ${e.name}${e.phone ? ` — ${e.phone}` : ""}`))),
    el("details", {},
      el("summary", {}, t({ fr: "Toute la semaine", en: "The whole week" })),
      el("ul", {}, ...doc.body.entries.map((e) => el("li", {}, `${days(e.days)} ${hours(e)}\u00a0: ${e.name}${e.phone ? ` — ${e.phone}` : ""}`)))),
    signedLine(doc),
  );
}

function renderClosures(instr) {
  const doc = instr[DocType.CLOSURES];
  const box = section.querySelector("[data-closures]");
  box.replaceChildren();
  if (!doc || doc.body.closures.length === 0) return;
  box.append(
    heading(t({ fr: "Fermetures et absences", en: "Closures and absences" })),
    el("ul", {}, ...doc.body.closures.map((c) => el("li", {}, closureLine(c)))),
    signedLine(doc),
  );
}

function rules(instr) {
  return instr[DocType.CALL_RULES]?.body.rules ?? [];
}

function renderRules(instr) {
  const doc = instr[DocType.CALL_RULES];
  const box = section.querySelector("[data-rules]");
  box.replaceChildren();
  if (!doc) return;
  box.append(
    heading(t({ fr: "Consignes par type d'appel", en: "Call rules by call type" })),
    ...rules(instr).map((r) =>
      el("details", { "data-rule": r.id },
        el("summary", {}, r.name),
        el("p", { class: "pre" }, r.instructions),
        r.fields.length ? el("p", { class: "hint" }, t({ fr: "À recueillir\u00a0: ", en: "To collect: " }) + r.fields.join(", ")) : null)),
    signedLine(doc),
  );
}

function showChosenRule() {
  const instr = current?.instructions;
  const box = section.querySelector("[data-rule-shown]");
  box.replaceChildren();
  if (!instr) return;
  const select = form.elements.call_type;
  const rule = rules(instr).find((r) => r.id === select.value);
  showPracticeFields(form, {
    custom: instr[DocType.CUSTOM_FIELDS]?.body.fields ?? [],
    rule: rule ? rule.fields.map((label, i) => ({ id: `rule:${rule.id}:${i}`, label, type: "text" })) : [],
  });
  if (!rule) return;
  box.append(
    el("div", { class: "desk-highlight desk-rule-chosen", "data-chosen-rule": rule.id },
      el("h3", {}, rule.name),
      el("p", { class: "pre" }, rule.instructions),
      rule.fields.length ? el("p", {}, t({ fr: "À recueillir\u00a0: ", en: "To collect: " }) + rule.fields.join(", ")) : null),
  );
}

function renderInstructions(practice) {
  const instr = practice.instructions;
  renderToday(instr);
  renderCard(instr);
  renderRules(instr);
  renderOnCall(instr);
  renderClosures(instr);
  const select = form.elements.call_type;
  const chosen = select.value;
  select.replaceChildren(new Option("—", ""), ...rules(instr).map((r) => new Option(r.name, r.id)));
  select.value = rules(instr).some((r) => r.id === chosen) ? chosen : "";
  showChosenRule();
  const none = INSTRUCTION_TYPES.every((type) => !instr[type]);
  problem.textContent = io ? io.warningText(instr) : "";
  // "None written" only when none failed to open: a failure is said as such (warningText).
  status.textContent = none && instr.unreadable
    ? ""
    : none
    ? t({ fr: "Ce cabinet n'a pas encore écrit de consignes.", en: "This practice has not written any instructions yet." })
    : t({ fr: "Consignes vérifiées et déchiffrées dans ce navigateur.", en: "Instructions verified and decrypted in this browser." });
  section.dataset.instructionsShown = practice.id;
}

async function instructionsOf(practice) {
  if (!practice.instructions) practice.instructions = await (await instructionsIO()).loadInstructions(practice.id);
  return practice.instructions;
}

// ---- Choosing a practice ----
async function select(practiceId) {
  const practice = practices.get(practiceId);
  if (!practice) return;
  current = practice;
  for (const p of practices.values()) p.button.setAttribute("aria-pressed", p === practice ? "true" : "false");
  section.querySelector("[data-desk-practice-title]").textContent = ` · ${practice.name}`;
  document.title = `${t({ fr: "Bureau", en: "Desk" })} · ${practice.name} · Permanence`;
  section.dataset.practiceId = practice.id;
  // For the panels other branches add to the desk (#desk-requests): the practice shown.
  section.dispatchEvent(new CustomEvent("desk:practice", { detail: { practiceId: practice.id } }));
  history.replaceState(null, "", `#practice=${practice.id}`);
  sessionStorage.setItem("permanence.desk.practice", practice.id);
  if (practice.trusted === null) {
    practice.trusted = false;
    guardFingerprint(section.querySelector("[data-pin-warning]"), `practice:${practice.id}`, practice.fingerprint).then(() => {
      practice.trusted = true;
    });
  }
  problem.textContent = "";
  status.textContent = t({ fr: "Ouverture des consignes du cabinet…", en: "Opening the practice's instructions…" });
  try {
    await instructionsOf(practice);
    if (current === practice) renderInstructions(practice);
  } catch (error) {
    status.textContent = "";
    problem.textContent = io ? io.failureText(error) : t({
      fr: "Les consignes de ce cabinet n'ont pas pu être ouvertes.",
      en: "This practice's instructions could not be opened.",
    });
  }
}

for (const practice of practices.values()) {
  practice.button.addEventListener("click", () => select(practice.id));
}
form.elements.call_type.addEventListener("change", showChosenRule);

// ---- Tabs (on a phone; both panes show side by side on a desktop) ----
const tabs = [...section.querySelectorAll("[role=tab]")];
function showTab(tab) {
  for (const other of tabs) {
    const on = other === tab;
    other.setAttribute("aria-selected", on ? "true" : "false");
    other.tabIndex = on ? 0 : -1;
    document.getElementById(other.dataset.tab).toggleAttribute("data-inactive", !on);
  }
}
for (const tab of tabs) {
  tab.addEventListener("click", () => showTab(tab));
  tab.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const next = tabs[(tabs.indexOf(tab) + 1) % tabs.length];
    next.focus();
    showTab(next);
  });
}

// ---- The call ----
const timer = new CallTimer("permanence.calltimer.desk", {
  display: form.querySelector("[data-timer-display]"),
  startButton: form.querySelector("[data-timer-start]"),
  stopButton: form.querySelector("[data-timer-stop]"),
});
function newCall({ callback = "" } = {}) {
  timer.start();
  resetForNextCall(form);
  showChosenRule();
  form.querySelector("[data-confirmation]").replaceChildren();
  if (callback) form.elements.callback_number.value = callback;
  showTab(tabs[0]);
  form.elements.caller_name.focus();
}
form.querySelector("[data-timer-start]").addEventListener("click", () => newCall());
form.querySelector("[data-timer-stop]").addEventListener("click", () => timer.stop());
keyboard(form, { onNewCall: () => newCall() });

function sealNote(practice, itemId, body, urgency) {
  const unlocked = loadKeys();
  const { callStartedAt, callSeconds } = timer.callTime();
  const envelope = sealItem(
    {
      kind: ItemKind.CALL_NOTE,
      urgency: URGENCY[urgency],
      itemId,
      clientId: practice.id,
      authorId: unlocked.accountId,
      callStartedAt,
      callSeconds,
    },
    body,
    practice.publicKey,
    unlocked.keys.ed25519Seed,
  );
  return {
    practice_id: practice.id,
    item_id: itemId,
    envelope: toBase64url(envelope),
    call_started_at: new Date(callStartedAt * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    call_seconds: callSeconds,
  };
}

armForm(form, async () => {
  const practice = current;
  if (!practice) {
    showError(form, t({ fr: "Choisissez d'abord le cabinet ci-dessus.", en: "First choose the practice above." }));
    return;
  }
  if (!practice.trusted) {
    showError(form, t({
      fr: "Confirmez d'abord l'empreinte de clé du cabinet ci-dessus.",
      en: "First confirm the practice's key fingerprint above.",
    }));
    return;
  }
  if (!loadKeys()) {
    showError(form, t({
      fr: "Vos clés ne sont pas ouvertes dans cet onglet : reconnectez-vous.",
      en: "Your keys are not open in this tab: please sign in again.",
    }));
    return;
  }
  if (!checkFilled(form)) return;
  busy(form, true);
  try {
    showStatus(form, t({ fr: "Chiffrement et envoi…", en: "Encrypting and sending…" }));
    const itemId = newItemId();
    const body = collect(form);
    const urgency = urgencyOf(form);
    const request = sealNote(practice, itemId, body, urgency);
    await withRetry(() => send("POST", "/items", request));
    timer.afterDeposit();
    showStatus(form, "");
    confirmDeposit(form.querySelector("[data-confirmation]"), { body, urgency, at: new Date(), timeZone });
    form.dataset.deposited = itemId;
    resetForNextCall(form);
    showChosenRule(); // the call type is back to none: its rule and fields go
  } catch (error) {
    showError(form, error instanceof ApiError ? error.message : t({
      fr: "Le dépôt a échoué ; rien n'a été perdu de ce qui était déjà déposé. Réessayez.",
      en: "The deposit failed; nothing already deposited was lost. Please try again.",
    }));
  } finally {
    busy(form, false);
  }
});

// ---- Start: the fragment (never sent to the server) ----
async function start() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  // A "+" not written %2B reads as a space: a leading space is the "+" of an international number.
  const number = (name) => (fragment.get(name) || "").replace(/^ /, "+").trim().slice(0, 50);
  const from = number("from");
  const to = number("to");
  let chosen = fragment.get("practice");
  const notice = section.querySelector("[data-line-notice]");
  if (to) {
    // The dialled line is in the practices' cards: open them all to find it.
    const cards = {};
    await Promise.all([...practices.values()].map(async (p) => {
      try {
        cards[p.id] = (await instructionsOf(p))[DocType.PRACTICE_CARD]?.body ?? null;
      } catch {
        cards[p.id] = null;
      }
    }));
    chosen = practiceForLine(cards, to);
    if (!chosen) {
      notice.textContent = t({
        fr: `Aucun cabinet n'indique la ligne appelée ${to}\u00a0: choisissez le cabinet ci-dessus.`,
        en: `No practice lists the dialled line ${to}: choose the practice above.`,
      });
      notice.hidden = false;
    } else {
      notice.textContent = t({
        fr: `Appel sur la ligne ${to} de ${practices.get(chosen).name}, à ${clockTime(new Date(), timeZone)}.`,
        en: `Call on ${practices.get(chosen).name}'s line ${to}, at ${clockTime(new Date(), timeZone)}.`,
      });
      notice.hidden = false;
    }
  }
  if (!practices.has(chosen)) chosen = sessionStorage.getItem("permanence.desk.practice");
  if (!practices.has(chosen)) chosen = practices.keys().next().value;
  const shown = select(chosen);
  if (from || to) newCall({ callback: from });
  else form.elements.caller_name.focus();
  await shown;
  section.dataset.ready = "true";
}

// Who is on call changes with the hour: the highlighted box follows the clock.
setInterval(() => {
  if (current?.instructions) renderToday(current.instructions);
}, 60_000);

window.addEventListener("hashchange", () => {
  if (/(^|[#&])(from|to)=/.test(location.hash)) start();
});
// The keys: this tab's, another tab's of the session, or the password only; the fragment and
// the dialled line are looked up once they are open (the instructions need them).
keysReady().then(() => start());
