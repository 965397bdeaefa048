// A thread of replies (docs/format.md §11): under a deposited item or under a request. Each
// reply is verified with its author's registered key and decrypted here with the team key;
// its text is shown with textContent only. Writing seals a REPLY about the same subject.
import { DocType } from "../crypto/index.js";
import { getJson, postJson } from "./api.js";
import { lang, t } from "./form.js";
import { pageZone, shortTime } from "./localdates.js";
import { openDocument, sealNew } from "./team-docs.js";

export const MAX_REPLY = 2000;

/** What to tell the reader of an error: a team key refusal in her language, else the
 * server's sentence (already in her language). */
export function sentenceOf(error) {
  if (error && error.sentences) return t(error.sentences);
  return (error && error.message) || String(error);
}

/** A stored time (RFC 3339 UTC) in the short form, in `timeZone` (by default the practice's,
 * as the page states it). */
export function formatTime(iso, timeZone) {
  return shortTime(iso, timeZone || pageZone(), lang());
}

function threadUrl({ itemId, practiceId, requestId }) {
  return itemId ? `/items/${itemId}/replies` : `/practices/${practiceId}/requests/${requestId}/replies`;
}

function renderReply(list, opened, timeZone) {
  const li = document.createElement("li");
  li.dataset.reply = opened.id;
  li.dataset.author = opened.author.id;
  const who = document.createElement("strong");
  who.textContent = opened.author.name;
  const when = document.createElement("time");
  when.dateTime = opened.storedAt;
  when.textContent = formatTime(opened.storedAt, timeZone);
  const text = document.createElement("p");
  text.className = "pre";
  if (opened.failed) {
    li.dataset.failed = "true";
    text.className = "error";
    text.textContent = t({
      fr: "Cette réponse n'a pas pu être vérifiée ni déchiffrée.",
      en: "This reply could not be verified or decrypted.",
    });
  } else {
    text.dataset.replyText = "";
    text.textContent = String(opened.json.text ?? "");
  }
  li.append(who, " · ", when, text);
  list.append(li);
}

/**
 * Fill `box` with the thread of `{ itemId }` or `{ practiceId, requestId }` and, when
 * `canWrite`, a form to answer. `practiceId` is the practice whose team key the replies use.
 */
export async function showThread(box, { itemId, practiceId, requestId, canWrite = true, timeZone }) {
  box.dataset.threadState = "loading";
  box.replaceChildren();
  const list = document.createElement("ol");
  list.className = "plain thread";
  list.setAttribute("aria-label", t({ fr: "Réponses", en: "Replies" }));
  const status = document.createElement("p");
  status.className = "status";
  status.setAttribute("role", "status");
  status.textContent = t({ fr: "Chargement des réponses…", en: "Loading the replies…" });
  box.append(list, status);
  const subjectId = itemId || requestId;
  let practice = practiceId;
  try {
    const answer = await getJson(threadUrl({ itemId, practiceId, requestId }));
    practice = answer.practice_id;
    for (const doc of answer.replies) {
      renderReply(list, await openDocument(practice, doc, { type: DocType.REPLY, subjectId }), timeZone);
    }
    status.textContent =
      answer.replies.length === 0 ? t({ fr: "Aucune réponse pour l'instant.", en: "No reply yet." }) : "";
  } catch (error) {
    status.textContent = sentenceOf(error);
    box.dataset.threadState = "failed";
    return;
  }
  if (canWrite) box.append(replyForm(list, status, { itemId, practiceId: practice, requestId, timeZone }));
  box.dataset.threadState = "ready";
}

function replyForm(list, status, { itemId, practiceId, requestId, timeZone }) {
  const form = document.createElement("form");
  form.className = "stack";
  form.dataset.replyForm = "";
  const label = document.createElement("label");
  label.textContent = t({ fr: "Votre réponse", en: "Your reply" });
  const input = document.createElement("textarea");
  input.name = "text";
  input.rows = 2;
  input.maxLength = MAX_REPLY;
  input.required = true;
  input.dataset.replyInput = "";
  label.append(input);
  const button = document.createElement("button");
  button.type = "submit";
  button.textContent = t({ fr: "Envoyer la réponse", en: "Send the reply" });
  const error = document.createElement("p");
  error.className = "error";
  error.setAttribute("role", "alert");
  form.append(label, button, error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    error.textContent = "";
    if (!text) {
      error.textContent = t({ fr: "Écrivez une réponse d'abord.", en: "Write a reply first." });
      input.focus();
      return;
    }
    button.disabled = true;
    status.textContent = t({ fr: "Chiffrement et envoi…", en: "Encrypting and sending…" });
    try {
      const sealed = await sealNew(practiceId, DocType.REPLY, { text }, itemId || requestId);
      const stored = await postJson(threadUrl({ itemId, practiceId, requestId }), {
        reply_id: sealed.id,
        envelope: sealed.envelope,
      });
      const me = { id: "", name: t({ fr: "Vous", en: "You" }), role: "" };
      renderReply(list, { id: sealed.id, author: me, storedAt: stored.stored_at, json: { text } }, timeZone);
      input.value = "";
      status.textContent = t({ fr: "Réponse envoyée.", en: "Reply sent." });
    } catch (e) {
      status.textContent = "";
      error.textContent = sentenceOf(e);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
