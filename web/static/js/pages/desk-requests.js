// The practice's requests on the secretary's desk (#desk-requests, branch desk's desk.html):
// whenever the desk shows another practice (its "desk:practice" event, or #desk's
// data-practice-id set by pages/desk.js), the panel of app/requests-panel.js is mounted for
// it. Nothing here touches the call form.
import { mountRequestsPanel } from "../app/requests-panel.js";

const desk = document.getElementById("desk");
const slot = document.getElementById("desk-requests");

function mount(event) {
  const practiceId = event?.detail?.practiceId || desk.dataset.practiceId;
  if (!practiceId || slot.dataset.practiceId === practiceId) return;
  mountRequestsPanel(slot, { practiceId, role: "secretary", timeZone: desk.dataset.timezone });
}

if (desk && slot) {
  desk.addEventListener("desk:practice", mount);
  new MutationObserver(() => mount()).observe(desk, { attributes: true, attributeFilter: ["data-practice-id"] });
  mount();
}
