// The requests pages: a member writes a request (sealed here under the team key) and follows
// it; a secretary sees each assigned practice's requests, takes one and marks it done.
import { armForm, busy, showError, showStatus, t } from "../app/form.js";
import { mountRequestsPanel, sendRequest } from "../app/requests-panel.js";
import { sentenceOf } from "../app/thread.js";
import { keysReady } from "../app/unlock-prompt.js";
import { zonedToUtc } from "../app/zoned.js";

// The panels read under the team key: the keys first (another tab's, or the password only).
await keysReady();

const member = document.getElementById("practice-requests");
const secretary = document.getElementById("secretary-requests");

if (member) {
  const practiceId = member.dataset.practiceId;
  const timeZone = member.dataset.timezone;
  const panel = mountRequestsPanel(member.querySelector("[data-requests-panel]"), {
    practiceId,
    role: "member",
    timeZone,
  });
  const form = member.querySelector("[data-request-form]");
  armForm(form, async () => {
    const text = form.querySelector("[data-request-text]").value.trim();
    const dueValue = form.querySelector("[data-request-due]").value;
    if (!text) {
      showError(form, t({ fr: "Écrivez la demande d'abord.", en: "Write the request first." }));
      return;
    }
    // A datetime-local value is a wall-clock time in the practice's zone: sent as its instant.
    const due = dueValue ? zonedToUtc(dueValue, timeZone) : "";
    busy(form, true);
    showStatus(form, t({ fr: "Chiffrement et envoi…", en: "Encrypting and sending…" }));
    try {
      await sendRequest(practiceId, text, due);
      form.reset();
      showStatus(form, t({ fr: "Demande envoyée à vos secrétaires.", en: "Request sent to your secretaries." }));
      await panel.refresh();
    } catch (error) {
      showError(form, sentenceOf(error));
    } finally {
      busy(form, false);
    }
  });
}

if (secretary) {
  for (const element of secretary.querySelectorAll("[data-requests-panel]")) {
    mountRequestsPanel(element, {
      practiceId: element.dataset.practiceId,
      role: "secretary",
      timeZone: secretary.dataset.timezone,
    });
  }
}
