// The on-call ladder editor (members): reads and replaces the practice's ladder through the
// JSON API of web/routes/ladder.py (GET/PUT /practice/oncall). Each line names a member, the
// days and the hours they are on call; the order is the order of escalation.
import { ApiError, getJson, send } from "../app/api.js";
import { armForm, busy, showError, showStatus, t } from "../app/form.js";

const form = document.getElementById("ladder-form");
const list = form.querySelector("[data-rungs]");
const loading = form.querySelector("[data-loading]");
const addButton = form.querySelector("[data-add-rung]");
const delayInput = form.querySelector("[data-delay]");
const zoneLine = form.querySelector("[data-zone]");

const DAYS = [
  [1, { fr: "lun.", en: "Mon" }, { fr: "lundi", en: "Monday" }],
  [2, { fr: "mar.", en: "Tue" }, { fr: "mardi", en: "Tuesday" }],
  [3, { fr: "mer.", en: "Wed" }, { fr: "mercredi", en: "Wednesday" }],
  [4, { fr: "jeu.", en: "Thu" }, { fr: "jeudi", en: "Thursday" }],
  [5, { fr: "ven.", en: "Fri" }, { fr: "vendredi", en: "Friday" }],
  [6, { fr: "sam.", en: "Sat" }, { fr: "samedi", en: "Saturday" }],
  [7, { fr: "dim.", en: "Sun" }, { fr: "dimanche", en: "Sunday" }],
];

let members = [];
let timezone = "";
let serial = 0;

function element(tag, attributes = {}, text) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  if (text !== undefined) el.textContent = text;
  return el;
}

function renumber() {
  const rows = [...list.children];
  rows.forEach((row, index) => {
    row.querySelector("legend").textContent = t({ fr: `Personne n°\u00a0${index + 1}`, en: `Person no. ${index + 1}` });
    row.querySelector("[data-up]").disabled = index === 0;
    row.querySelector("[data-down]").disabled = index === rows.length - 1;
  });
}

function rungRow(rung) {
  const id = ++serial;
  const row = element("li", { "data-rung": "" });
  const set = element("fieldset");
  set.append(element("legend"));
  if (rung.on_call_now) set.append(element("p", { class: "badge", "data-on-call": "" }, t({ fr: "De garde maintenant", en: "On call now" })));

  const who = element("label", {}, t({ fr: "Membre", en: "Member" }));
  const select = element("select", { name: `member-${id}`, "data-member": "", required: "" });
  for (const m of members) {
    const option = element("option", { value: m.account_id }, m.display_name);
    if (m.account_id === rung.account_id) option.selected = true;
    select.append(option);
  }
  who.append(select);
  set.append(who);

  const days = element("fieldset", { class: "days" });
  days.append(element("legend", {}, t({ fr: "Jours", en: "Days" })));
  const chosen = new Set(rung.days ?? [1, 2, 3, 4, 5]);
  for (const [number, short, long] of DAYS) {
    const label = element("label", { class: "check" });
    const box = element("input", { type: "checkbox", value: String(number), "data-day": "", "aria-label": t(long) });
    box.checked = chosen.has(number);
    label.append(box, document.createTextNode(` ${t(short)}`));
    days.append(label);
  }
  set.append(days);

  const from = element("label", {}, t({ fr: "De", en: "From" }));
  from.append(element("input", { type: "time", required: "", value: rung.start ?? "08:00", "data-start": "" }));
  const to = element("label", {}, t({ fr: "à", en: "to" }));
  to.append(element("input", { type: "time", required: "", value: rung.end ?? "19:00", "data-end": "" }));
  set.append(from, to);
  set.append(element("p", { class: "hint" }, t({
    fr: "Une fin avant le début court après minuit\u00a0; le même horaire au début et à la fin\u00a0: toute la journée.",
    en: "An end before the start runs past midnight; the same start and end: the whole day.",
  })));

  const moves = element("p", { class: "inline" });
  const up = element("button", { type: "button", "data-up": "" }, t({ fr: "Monter", en: "Move up" }));
  const down = element("button", { type: "button", "data-down": "" }, t({ fr: "Descendre", en: "Move down" }));
  const remove = element("button", { type: "button", class: "secondary", "data-remove": "" }, t({ fr: "Retirer", en: "Remove" }));
  up.addEventListener("click", () => {
    if (row.previousElementSibling) list.insertBefore(row, row.previousElementSibling);
    renumber();
    up.disabled ? down.focus() : up.focus();
  });
  down.addEventListener("click", () => {
    if (row.nextElementSibling) list.insertBefore(row.nextElementSibling, row);
    renumber();
    down.disabled ? up.focus() : down.focus();
  });
  remove.addEventListener("click", () => {
    const next = row.nextElementSibling ?? row.previousElementSibling;
    row.remove();
    renumber();
    (next?.querySelector("select") ?? addButton).focus();
  });
  moves.append(up, down, remove);
  set.append(moves);
  row.append(set);
  return row;
}

function collect() {
  return {
    delay_minutes: Number.parseInt(delayInput.value, 10),
    timezone,
    rungs: [...list.children].map((row) => ({
      account_id: row.querySelector("[data-member]").value,
      days: [...row.querySelectorAll("[data-day]")].filter((b) => b.checked).map((b) => Number(b.value)),
      start: row.querySelector("[data-start]").value,
      end: row.querySelector("[data-end]").value,
    })),
  };
}

function localProblem(ladder) {
  if (!Number.isInteger(ladder.delay_minutes) || ladder.delay_minutes < 1 || ladder.delay_minutes > 240) {
    return [t({ fr: "Le délai est un nombre entier de minutes, de 1 à 240.", en: "The delay is a whole number of minutes, from 1 to 240." }), delayInput];
  }
  const index = ladder.rungs.findIndex((r) => r.days.length === 0);
  if (index >= 0) {
    return [t({ fr: `Cochez au moins un jour pour la personne n°\u00a0${index + 1}.`, en: `Tick at least one day for person no. ${index + 1}.` }), list.children[index].querySelector("[data-day]")];
  }
  return null;
}

function show(ladder) {
  members = ladder.members;
  timezone = ladder.timezone;
  list.replaceChildren(...ladder.rungs.map(rungRow));
  renumber();
  delayInput.value = String(ladder.delay_minutes);
  zoneLine.textContent = t({ fr: `Jours et heures dans le fuseau ${ladder.timezone}.`, en: `Days and hours in the ${ladder.timezone} time zone.` });
  addButton.disabled = members.length === 0;
}

addButton.addEventListener("click", () => {
  const row = rungRow({ account_id: members[0]?.account_id });
  list.append(row);
  renumber();
  row.querySelector("select").focus();
});

armForm(form, async () => {
  const ladder = collect();
  const problem = localProblem(ladder);
  if (problem) {
    showError(form, problem[0], problem[1]);
    return;
  }
  busy(form, true);
  showStatus(form, t({ fr: "Enregistrement…", en: "Saving…" }));
  try {
    show(await send("PUT", "/practice/oncall", ladder));
    showStatus(form, t({ fr: "Échelle d'astreinte enregistrée.", en: "On-call ladder saved." }));
  } catch (error) {
    showError(form, error instanceof ApiError ? error.message : t({ fr: "L'échelle n'a pas pu être enregistrée. Réessayez.", en: "The ladder could not be saved. Please try again." }));
  } finally {
    busy(form, false);
  }
});

try {
  show(await getJson("/practice/oncall"));
  loading.textContent = "";
} catch (error) {
  loading.textContent = "";
  showError(form, error instanceof ApiError ? error.message : t({ fr: "L'échelle n'a pas pu être lue. Rechargez la page.", en: "The ladder could not be read. Reload the page." }));
}
