// Appointments on the secretary's desk (#desk-appointment): the practice's appointment form
// (its copy of the built-in appointment template, app/forms/) filled in here, guided by its
// appointment hours and closures (the closures document, docs/format.md §10) and by the busy
// slots (times only) its members' browsers publish under the team key: a slot that overlaps
// a confirmed one is shown before anything is sent, and is not booked. The form is sealed
// here to the practice key like a call note, then registered as an appointment (server state
// "requested"); a label she seals to her own key says whom to call back. Below the form: her
// appointments with the practice's answer (confirmed, moved with the new time, declined with
// the reason, each from the reply the practice encrypted under the team key).
import {
  DocType,
  fromBase64url,
  ItemKind,
  openLabel,
  practiceFingerprint,
  sealItem,
  sealLabel,
  toBase64url,
  Urgency,
} from "../crypto/index.js";
import { getJson, postJson, send } from "../app/api.js";
import { conflicts, normaliseBusy, outsideAvailability, practitionersOf, slotMinutes, slotsFor } from "../app/availability.js";
import { checkPin } from "../app/fingerprints.js";
import { busy as busyForm, lang, showError, showStatus, t } from "../app/form.js";
import { normalise } from "../app/instructions.js";
import { loadKeys } from "../app/keystore.js";
import { shortDate, shortTime } from "../app/localdates.js";
import { readDocuments } from "../app/team.js";
import { openDocument } from "../app/team-docs.js";
import { sentenceOf } from "../app/thread.js";
import { withRetry } from "../app/transfer.js";
import { clockText, conflictSentence } from "../app/agenda-text.js";

const desk = document.getElementById("desk");
const pane = document.getElementById("desk-appointment");
const form = document.getElementById("appointment-form");
const fieldsBox = form.querySelector("[data-appointment-fields]");
const slotsBox = form.querySelector("[data-appointment-slots]");
const conflictLine = form.querySelector("[data-appointment-conflict]");
const hintLine = form.querySelector("[data-appointment-hint]");
const loading = form.querySelector("[data-appointment-loading]");
const outcomesBox = pane.querySelector("[data-appointment-outcomes]");
const submit = form.querySelector("button[type=submit]");

const STATUS = {
  requested: { fr: "En attente de réponse du cabinet", en: "Waiting for the practice's answer" },
  confirmed: { fr: "Confirmé", en: "Confirmed" },
  moved: { fr: "Déplacé", en: "Moved" },
  declined: { fr: "Refusé", en: "Declined" },
};

let state = null; // {practiceId, publicKey, template, version, rules, closures, busy}
// The forms' modules (app/forms/), loaded on first use: should they fail, the desk still
// shows the practice's answers.
let forms = null;

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

function newest(docs) {
  return docs.filter((d) => !d.failed).sort((a, b) => String(a.storedAt).localeCompare(String(b.storedAt))).pop() ?? null;
}

function mode() {
  return form.elements.appointment_mode.value === "request" ? "request" : "slot";
}

function inputOf(fieldId) {
  return fieldsBox.querySelector(`[data-form-field="${fieldId}"] [data-input]`);
}

function wanted() {
  const raw = forms.readFields(fieldsBox, state.version);
  const rule = state.rules.find((r) => r.practitioner.trim().toLowerCase() === String(raw.practitioner ?? "").trim().toLowerCase());
  const minutes = /^\d+$/.test(String(raw.duration ?? "").trim()) ? Number(raw.duration) : rule ? slotMinutes(rule.minutes) : 30;
  return {
    practitioner: String(raw.practitioner ?? "").trim(),
    day: String(raw.date ?? ""),
    start: raw.date && raw.time ? `${raw.date}T${raw.time}` : "",
    minutes,
  };
}

function guide() {
  if (!state?.version) return [];
  const w = wanted();
  const free = w.practitioner && w.day
    ? slotsFor(state.rules, state.closures, w.practitioner, w.day)
      .filter((s) => conflicts(state.busy, { practitioner: w.practitioner, start: `${w.day}T${s.start}`, minutes: s.minutes }).length === 0)
    : null;
  // Rebuilt only when they change: a click on a slot must find its button still there
  // (the change event of the field left fires first).
  const key = JSON.stringify([w.practitioner, w.day, free]);
  if (slotsBox.dataset.key !== key) {
    slotsBox.dataset.key = key;
    slotsBox.replaceChildren();
  }
  if (free && !slotsBox.firstChild) {
    if (free.length) {
      const list = el("ul", { class: "slot-list", "aria-label": t({ fr: "Créneaux libres", en: "Free slots" }) });
      for (const s of free) {
        const button = el("button", { type: "button", class: "secondary", "data-slot": s.start }, clockText(s.start));
        button.addEventListener("click", () => {
          inputOf("time").value = s.start;
          const duration = inputOf("duration");
          if (duration && !duration.value) duration.value = String(s.minutes);
          guide();
          inputOf("reason")?.focus();
        });
        list.append(el("li", {}, button));
      }
      slotsBox.append(el("p", { class: "hint" }, t({ fr: "Créneaux libres ce jour-là :", en: "Free slots that day:" }).replace(" :", "\u00a0:")), list);
    } else {
      slotsBox.append(el("p", { class: "hint", "data-no-slot": "" }, t({ fr: "Aucun créneau libre ce jour-là pour ce praticien.", en: "No free slot that day for this practitioner." })));
    }
  }
  const clash = w.start ? conflicts(state.busy, w) : [];
  conflictLine.textContent = clash.length ? conflictSentence(clash[0]) : "";
  form.dataset.conflict = clash.length ? "true" : "false";
  const outside = w.start ? outsideAvailability(state.rules, state.closures, w) : "";
  hintLine.textContent = outside === "closed"
    ? t({ fr: "Attention : ce jour-là est fermé pour ce praticien (fermetures du cabinet).", en: "Careful: that day is closed for this practitioner (the practice's closures)." }).replace(" :", "\u00a0:")
    : outside === "hours"
    ? t({ fr: "Attention : hors des heures de rendez-vous de ce praticien.", en: "Careful: outside this practitioner's appointment hours." }).replace(" :", "\u00a0:")
    : "";
  return clash;
}

async function load(practiceId) {
  const button = desk.querySelector(`[data-practice][data-practice-id="${practiceId}"]`);
  state = null;
  submit.disabled = true;
  fieldsBox.replaceChildren();
  slotsBox.replaceChildren();
  conflictLine.textContent = "";
  loading.textContent = t({ fr: "Ouverture du formulaire de rendez-vous du cabinet…", en: "Opening the practice's appointment form…" });
  forms ??= await import("../app/forms/index.js");
  const templates = await forms.loadTemplates(practiceId);
  const template = forms.offeredTemplates(templates.body).find((x) => x.origin === "appointment") ?? null;
  const closures = normalise(DocType.CLOSURES, newest(await readDocuments(practiceId, { type: DocType.CLOSURES }))?.body ?? {});
  const busyDoc = newest(await readDocuments(practiceId, { type: DocType.BUSY_SLOTS }));
  if (desk.dataset.practiceId !== practiceId) return;
  state = {
    practiceId,
    publicKey: fromBase64url(button.dataset.publicKey),
    template,
    version: template ? forms.latestVersion(template) : null,
    rules: closures.availability,
    closures: closures.closures,
    busy: normaliseBusy(busyDoc?.body ?? {}),
  };
  if (!template) {
    loading.textContent = t({ fr: "Ce cabinet n'a pas encore de formulaire de rendez-vous.", en: "This practice has no appointment form yet." });
    return;
  }
  forms.renderFields(fieldsBox, state.version, { prefix: "appointment" });
  const practitioner = inputOf("practitioner");
  if (practitioner) {
    const list = el("datalist", { id: "appointment-practitioners" }, ...practitionersOf(state.rules).map((p) => el("option", { value: p })));
    fieldsBox.append(list);
    practitioner.setAttribute("list", list.id);
  }
  loading.textContent = "";
  submit.disabled = false;
  pane.dataset.ready = practiceId;
  guide();
}

function labelText(values) {
  const parts = [values.person, values.contact, values.date && `${shortDate(values.date, "fr")} ${values.time ? clockText(values.time, "fr") : ""}`.trim(), values.practitioner];
  const text = parts.filter(Boolean).join(" · ") || t({ fr: "Rendez-vous", en: "Appointment" });
  return [...text].slice(0, 120).join("");
}

form.addEventListener("input", () => guide());
form.addEventListener("change", () => guide());
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!state?.version) return;
  const unlocked = loadKeys();
  if (!unlocked) {
    showError(form, t({ fr: "Vos clés ne sont pas ouvertes dans cet onglet.", en: "Your keys are not open in this tab." }));
    return;
  }
  if (checkPin(`practice:${state.practiceId}`, practiceFingerprint(state.publicKey)).state === "changed") {
    showError(form, t({ fr: "Confirmez d'abord l'empreinte de clé du cabinet ci-dessus.", en: "First confirm the practice's key fingerprint above." }));
    return;
  }
  const { values, problems } = forms.collectValues(fieldsBox, state.version);
  if (problems.length) {
    showError(form, t({ fr: "Complétez les champs signalés.", en: "Complete the fields marked." }));
    return;
  }
  if (guide().length && mode() === "slot") {
    showError(form, conflictLine.textContent);
    return;
  }
  busyForm(form, true);
  showStatus(form, t({ fr: "Chiffrement et envoi…", en: "Encrypting and sending…" }));
  try {
    // Random, not time-ordered (newItemId): the id becomes the event's UID in the calendar
    // file the practice hands its calendar provider, which need not learn when it was booked.
    const itemId = crypto.randomUUID();
    // `appointment` says whether a slot was booked or a request taken (§10, "Appointments").
    const body = { ...forms.formBody(state.template, state.version, values), appointment: mode() };
    const envelope = sealItem(
      { kind: ItemKind.FORM, urgency: Urgency.NORMAL, itemId, clientId: state.practiceId, authorId: unlocked.accountId, callStartedAt: 0, callSeconds: 0 },
      body,
      state.publicKey,
      unlocked.keys.ed25519Seed,
    );
    await withRetry(() => send("POST", "/items", {
      practice_id: state.practiceId,
      item_id: itemId,
      envelope: toBase64url(envelope),
      form_template: state.template.id,
    }));
    await postJson(`/practices/${state.practiceId}/appointments`, { item_id: itemId });
    const label = toBase64url(sealLabel(itemId, labelText(values), unlocked.keys.x25519PublicKey));
    await send("PUT", `/workspace/deposits/${itemId}/label`, { label });
    form.dataset.booked = itemId;
    forms.renderFields(fieldsBox, state.version, { prefix: "appointment" });
    guide();
    showStatus(form, t({
      fr: "Rendez-vous envoyé au cabinet, qui va le confirmer, le déplacer ou le refuser.",
      en: "Appointment sent to the practice, which will confirm, move or decline it.",
    }));
    await showOutcomes(state.practiceId);
  } catch (error) {
    showError(form, sentenceOf(error));
  } finally {
    busyForm(form, false);
  }
});

async function replyText(itemId, replyId, practiceId) {
  const { replies } = await getJson(`/items/${itemId}/replies`);
  const doc = replies.find((r) => r.document_id === replyId);
  if (!doc) return "";
  const opened = await openDocument(practiceId, doc, { type: DocType.REPLY, subjectId: itemId });
  return opened.failed ? t({ fr: "(réponse illisible)", en: "(unreadable answer)" }) : String(opened.json.text ?? "");
}

async function showOutcomes(practiceId) {
  const unlocked = loadKeys();
  const { appointments } = await getJson(`/practices/${practiceId}/appointments`);
  const list = el("ul", { class: "agenda-list" });
  for (const a of appointments) {
    let label = t({ fr: "Rendez-vous", en: "Appointment" });
    if (a.sealed_label && unlocked) {
      try {
        label = openLabel(fromBase64url(a.sealed_label), a.item_id, unlocked.keys.x25519SecretKey);
      } catch {
        label = t({ fr: "(libellé illisible)", en: "(unreadable label)" });
      }
    }
    const li = el("li", { class: "agenda-item", "data-appointment": a.item_id, "data-status": a.status },
      el("strong", {}, label), " ", el("span", { class: "badge" }, t(STATUS[a.status] ?? STATUS.requested)));
    if (a.decided_by) {
      const when = a.decided_at ? `, ${shortTime(a.decided_at, desk.dataset.timezone, lang())}` : "";
      li.append(" ", el("span", { class: "hint", "data-decided": "" }, `${a.decided_by.name}${when}`));
    }
    if (a.reply_id) li.append(el("div", { "data-answer": "" }, await replyText(a.item_id, a.reply_id, practiceId)));
    if (a.status !== "requested") li.append(el("div", { class: "hint" }, t({ fr: "Rappelez la personne pour le lui dire.", en: "Call the person back to tell them." })));
    list.append(li);
  }
  if (!appointments.length) list.append(el("li", { class: "hint" }, t({ fr: "Aucun rendez-vous pris pour ce cabinet.", en: "No appointment taken for this practice." })));
  outcomesBox.replaceChildren(list);
  outcomesBox.dataset.practiceId = practiceId;
}

async function show(practiceId) {
  if (!practiceId) return;
  const [loaded, shown] = await Promise.allSettled([load(practiceId), showOutcomes(practiceId)]);
  for (const result of [loaded, shown]) {
    if (result.status === "rejected") {
      loading.textContent = "";
      showError(form, sentenceOf(result.reason));
    }
  }
}

desk.addEventListener("desk:practice", (event) => show(event.detail.practiceId));
if (desk.dataset.practiceId) show(desk.dataset.practiceId);
// The practice's answers arrive while she works: looked at again every minute.
setInterval(() => {
  if (desk.dataset.practiceId) showOutcomes(desk.dataset.practiceId).catch(() => {});
}, 60_000);
