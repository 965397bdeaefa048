// A practice's requests (docs/items.md "Requests"): the text, decrypted here under the team key,
// and the state the server keeps (asked by whom and when, taken by whom and when, done by whom
// and when). Secretaries take a request and mark it done with a short note sealed here as a
// REPLY about it; members see who and when and answer in the request's thread.
//
// mountRequestsPanel(element, { practiceId, role: "member"|"secretary", timeZone })
// is what the desk page and the requests pages call; it returns { refresh }.
import { DocType } from "../crypto/index.js";
import { getJson, postJson } from "./api.js";
import { t } from "./form.js";
import { loadKeys } from "./keystore.js";
import { requestTexts, sealNew } from "./team-docs.js";
import { formatTime, MAX_REPLY, sentenceOf, showThread } from "./thread.js";

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "class") node.className = value;
    else node[name] = value;
  }
  node.append(...children);
  return node;
}

function stateLine(s, timeZone) {
  const at = (iso) => formatTime(iso, timeZone);
  const parts = [t({ fr: `Demandée par ${s.created_by.name} le ${at(s.created_at)}`, en: `Asked by ${s.created_by.name} on ${at(s.created_at)}` })];
  if (s.taken_by) {
    parts.push(t({ fr: `prise par ${s.taken_by.name} le ${at(s.taken_at)}`, en: `taken by ${s.taken_by.name} on ${at(s.taken_at)}` }));
  }
  if (s.done_by) {
    parts.push(t({ fr: `faite par ${s.done_by.name} le ${at(s.done_at)}`, en: `done by ${s.done_by.name} on ${at(s.done_at)}` }));
  }
  return parts.join(" · ");
}

const STATUS = {
  open: { fr: "À prendre", en: "Open" },
  taken: { fr: "Prise", en: "Taken" },
  done: { fr: "Faite", en: "Done" },
};

function dueText(due, timeZone) {
  if (!due) return "";
  const parsed = Date.parse(due);
  const when = Number.isNaN(parsed) ? String(due) : formatTime(due, timeZone);
  return t({ fr: `Échéance\u00a0: ${when}`, en: `Due: ${when}` });
}

export function mountRequestsPanel(element, { practiceId, role, timeZone }) {
  const alert = el("p", { class: "error", dataset: { panelError: "" } });
  alert.setAttribute("role", "alert");
  const list = el("div", { class: "stack", dataset: { requestList: "" } });
  element.replaceChildren(alert, list);
  element.dataset.practiceId = practiceId;
  element.dataset.panelState = "loading";

  let shown = null; // what the list shows: ids and statuses

  async function refresh({ onlyIfChanged = false } = {}) {
    let states;
    let texts;
    try {
      states = (await getJson(`/practices/${practiceId}/requests`)).requests;
      // The states are metadata (not audited as reading); the texts are read (and audited)
      // only when something changed.
      const seen = states.map((s) => `${s.id}:${s.status}`).sort().join(",");
      if (onlyIfChanged && seen === shown) return;
      shown = seen;
      element.dataset.panelState = "loading";
      alert.textContent = "";
      texts = states.length ? await requestTexts(practiceId) : new Map();
    } catch (error) {
      alert.textContent = sentenceOf(error);
      element.dataset.panelState = "failed";
      return;
    }
    const me = loadKeys()?.accountId;
    const order = { open: 0, taken: 1, done: 2 };
    states.sort((a, b) => order[a.status] - order[b.status]);
    list.replaceChildren();
    if (states.length === 0) {
      list.append(el("p", { class: "hint" }, t({ fr: "Aucune demande.", en: "No request." })));
    }
    for (const s of states) list.append(card(s, texts.get(s.id), me));
    element.dataset.panelState = "ready";
    element.dataset.count = String(states.length);
  }

  function card(s, opened, me) {
    const article = el("article", { class: "card request", dataset: { request: s.id, status: s.status } });
    const heading = el("h3", {}, t(STATUS[s.status] || { fr: s.status, en: s.status }));
    const text = el("p", { class: "pre", dataset: { requestText: "" } });
    if (!opened || opened.failed) {
      text.className = "error";
      text.textContent = t({ fr: "Cette demande n'a pas pu être vérifiée ni déchiffrée.", en: "This request could not be verified or decrypted." });
    } else {
      text.textContent = String(opened.json.text ?? "");
    }
    article.append(heading, text);
    const due = opened && !opened.failed ? dueText(opened.json.due, timeZone) : "";
    if (due) article.append(el("p", { dataset: { requestDue: "" } }, due));
    article.append(el("p", { class: "hint", dataset: { requestState: "" } }, stateLine(s, timeZone)));
    // No "take" or "done" on a request this page cannot read: one would act blind.
    if (role === "secretary" && opened && !opened.failed) secretaryActions(article, s, me);
    if (s.status === "done" || role === "member") {
      const details = el("details", { dataset: { requestThread: "" } });
      const box = el("div");
      details.append(el("summary", {}, t({ fr: "Note et réponses", en: "Note and replies" })), box);
      details.addEventListener("toggle", () => {
        if (details.open && !box.dataset.threadState) {
          showThread(box, { practiceId, requestId: s.id, canWrite: true, timeZone });
        }
      });
      if (s.status === "done") details.open = true;
      article.append(details);
      if (details.open) showThread(box, { practiceId, requestId: s.id, canWrite: true, timeZone });
    }
    return article;
  }

  function secretaryActions(article, s, me) {
    if (s.status === "open") {
      const take = el("button", { type: "button", dataset: { take: "" } }, t({ fr: "Je la prends", en: "I'll take it" }));
      take.addEventListener("click", async () => {
        take.disabled = true;
        try {
          await postJson(`/practices/${practiceId}/requests/${s.id}/take`, {});
          await refresh();
        } catch (error) {
          await refresh(); // someone else took it: show who, then the server's sentence
          alert.textContent = sentenceOf(error);
        }
      });
      article.append(take);
    }
    if (s.status === "open" || (s.status === "taken" && s.taken_by && s.taken_by.id === me)) {
      article.append(doneForm(s));
    }
  }

  function doneForm(s) {
    const form = el("form", { class: "stack", dataset: { doneForm: "" } });
    const input = el("textarea", { name: "note", rows: 2, maxLength: MAX_REPLY, required: true, dataset: { doneNote: "" } });
    const label = el("label", {}, t({ fr: "Note pour le cabinet (chiffrée)", en: "Note for the practice (encrypted)" }), input);
    const button = el("button", { type: "submit" }, t({ fr: "Marquer comme faite", en: "Mark as done" }));
    const status = el("p", { class: "status" });
    status.setAttribute("role", "status");
    form.append(label, button, status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const note = input.value.trim();
      if (!note) {
        alert.textContent = t({ fr: "Écrivez une courte note d'abord.", en: "Write a short note first." });
        input.focus();
        return;
      }
      button.disabled = true;
      status.textContent = t({ fr: "Chiffrement et envoi…", en: "Encrypting and sending…" });
      try {
        const sealed = await sealNew(practiceId, DocType.REPLY, { text: note }, s.id);
        await postJson(`/practices/${practiceId}/requests/${s.id}/done`, {
          reply_id: sealed.id,
          envelope: sealed.envelope,
        });
        await refresh();
      } catch (error) {
        status.textContent = "";
        alert.textContent = sentenceOf(error);
        button.disabled = false;
      }
    });
    return form;
  }

  refresh();
  // New requests appear by themselves (every 30 s), never over a note or reply being written.
  const every = Number(element.dataset.pollMs || 30_000);
  const timer = setInterval(() => {
    if (!element.isConnected || element.dataset.practiceId !== practiceId) {
      clearInterval(timer);
      return;
    }
    const typing = [...element.querySelectorAll("textarea, input")].some((f) => f.value.trim() !== "");
    if (!typing && !element.contains(document.activeElement)) refresh({ onlyIfChanged: true });
  }, every);
  return { refresh };
}

/** A member's new request, sealed here: `{ text, due }` with `due` "" or an RFC 3339 instant. */
export async function sendRequest(practiceId, text, due) {
  const sealed = await sealNew(practiceId, DocType.REQUEST, { text, due });
  return postJson(`/practices/${practiceId}/requests`, { request_id: sealed.id, envelope: sealed.envelope });
}
