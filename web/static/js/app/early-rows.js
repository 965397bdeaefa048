// The inbox page's envelopes, asked for as soon as the page is parsed — while libsodium
// (WebAssembly) is still being compiled for the other modules — when this tab holds a
// practice key. pages/inbox.js takes the answer for the first rows (the same single
// request, the same one `items.listed` entry); nothing here needs or touches a key.
import { postJson } from "./api.js";

function holdsPracticeKey() {
  try {
    return Boolean(JSON.parse(sessionStorage.getItem("permanence.keys") || "null")?.practice);
  } catch {
    return false;
  }
}

const rows = [...document.querySelectorAll("#items [data-item-row]")].slice(0, 50);
const ids = rows.map((row) => row.dataset.itemId);
let early = null;
if (ids.length > 0 && holdsPracticeKey()) {
  const answer = postJson("/inbox/envelopes", { ids });
  answer.catch(() => {}); // a failure is handled by whoever takes it
  early = { ids, answer };
}

/** The early answer for exactly these ids, once; else null. */
export function takeEarly(wanted) {
  if (!early || wanted.length !== early.ids.length || wanted.some((id, i) => id !== early.ids[i])) {
    return null;
  }
  const { answer } = early;
  early = null;
  return answer;
}
