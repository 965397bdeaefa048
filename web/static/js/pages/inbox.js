// Searching the inbox: the items of this page are decrypted here (each reading is audited
// by the server as a search, without changing its status) and rows that do not contain
// the words are hidden. The server never sees the search.
import { fromBase64url, openItem } from "../crypto/index.js";
import { getJson } from "../app/api.js";
import { armForm, t } from "../app/form.js";
import { loadKeys } from "../app/keystore.js";

const form = document.getElementById("search-form");
const status = form.querySelector("[data-status]");
const texts = new Map();

async function textOf(row, unlocked) {
  const id = row.dataset.itemId;
  if (!texts.has(id)) {
    const answer = await getJson(`/items/${id}/envelope?purpose=search`);
    const opened = openItem(fromBase64url(answer.envelope), {
      authorPublicKey: fromBase64url(answer.author.ed25519_pk),
      practiceSecretKey: unlocked.practice.secretKey,
      itemId: id,
      clientId: answer.practice_id,
      authorId: answer.author.id,
    });
    texts.set(id, Object.values(opened.json).join(" ").toLowerCase());
  }
  return texts.get(id);
}

armForm(form, async () => {
  const query = form.elements.q.value.trim().toLowerCase();
  const rows = [...document.querySelectorAll("[data-item-row]")];
  if (!query) {
    for (const row of rows) row.hidden = false;
    status.textContent = "";
    return;
  }
  const unlocked = loadKeys();
  if (!unlocked || !unlocked.practice) {
    status.textContent = t({ fr: "Reconnectez-vous pour chercher.", en: "Sign in again to search." });
    return;
  }
  let found = 0;
  for (const row of rows) {
    let match = false;
    try {
      match = (await textOf(row, unlocked)).includes(query);
    } catch {
      match = false;
    }
    row.hidden = !match;
    if (match) found += 1;
  }
  status.textContent = t({ fr: `${found} élément(s) trouvé(s).`, en: `${found} item(s) found.` });
});
