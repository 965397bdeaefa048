// The replies under an item (partial _partials/item_thread.html): loaded, verified and decrypted
// here; the member answers ("rappelée, RDV pris lundi 9 h") and the depositor sees it.
import { showThread } from "../app/thread.js";

const section = document.getElementById("item-thread");
if (section) {
  showThread(section.querySelector("[data-thread]"), {
    itemId: section.dataset.itemId,
    practiceId: section.dataset.practiceId,
    canWrite: true,
    timeZone: section.dataset.timezone,
  });
}
