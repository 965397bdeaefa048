// One order form, for the practice: the envelope is fetched (the server audits the reading
// first), verified with its author's registered key (whose fingerprint is computed here from
// that very key, shown and pinned), checked to be this item of this practice, decrypted with
// the practice key, and the order form built with textContent (app/order.js), its totals
// computed here exactly (app/money.js). Approve and mark delivered change the server's state;
// print prints this page with the A4 print stylesheet: nothing is rendered by the server.
import { fromBase64url, ItemKind, openItem, shortItemId, userFingerprint, verifyEnvelope } from "../crypto/index.js";
import { ApiError, getJson, postJson } from "../app/api.js";
import { lang, t } from "../app/form.js";
import { accountSubject } from "../app/fingerprints.js";
import { keysForThisPage } from "../app/unlock-prompt.js";
import { guardFingerprint } from "../app/pinwarning.js";
import { normaliseOrder, renderOrder } from "../app/order.js";
import { shortTime } from "../app/localdates.js";

const section = document.getElementById("order");
const itemId = section.dataset.itemId;
const errorBox = section.querySelector("[data-error]");
const signatureState = section.querySelector("[data-signature-state]");
const actionStatus = section.querySelector("[data-action-status]");
const STATUS = {
  ordered: { fr: "En attente d'approbation", en: "Awaiting approval" },
  approved: { fr: "Approuvée", en: "Approved" },
  delivered: { fr: "Livrée", en: "Delivered" },
};
const UNREADABLE = {
  fr: "Cette commande n'a pas pu être vérifiée ni déchiffrée\u00a0: sa signature ou son contenu ne correspond pas.",
  en: "This order could not be verified or decrypted: its signature or content does not match.",
};
let opened = null;

function fail(sentences) {
  errorBox.textContent = t(sentences);
  signatureState.textContent = "";
}

function show(order, status) {
  const meta = {
    practiceName: section.dataset.practiceName || document.querySelector("[data-practice-name]")?.textContent || "",
    number: shortItemId(itemId).toUpperCase(),
    date: shortTime(opened.at, section.dataset.timezone, lang()),
    status: t(STATUS[status] ?? { fr: status, en: status }),
  };
  renderOrder(section.querySelector("[data-order-document]"), order, meta, lang());
}

async function open() {
  signatureState.textContent = t({ fr: "Ouverture des clés…", en: "Opening the keys…" });
  const unlocked = await keysForThisPage(document.querySelector("[data-unlock-form]"));
  if (!unlocked?.practice) {
    fail({ fr: "Les clés du cabinet ne sont pas ouvertes dans cet onglet.", en: "The practice keys are not open in this tab." });
    return;
  }
  signatureState.textContent = t({ fr: "Vérification de la signature…", en: "Checking the signature…" });
  const answer = await getJson(`/items/${itemId}/envelope`);
  const authorEd = fromBase64url(answer.author.ed25519_pk);
  const fingerprint = userFingerprint(fromBase64url(answer.author.x25519_pk), authorEd);
  const label = { name: String(answer.author.name), username: String(answer.author.username ?? "") };
  section.querySelector("[data-author-fingerprint]").textContent = fingerprint;
  section.querySelector("[data-author-name]").textContent = `${label.name} (${label.username})`;
  let body;
  try {
    const envelope = fromBase64url(answer.envelope);
    const header = verifyEnvelope(envelope, authorEd);
    // This item, of this practice, by the author whose key verified it, signed as a form:
    // else not shown.
    const expected = [itemId, section.dataset.practiceId, answer.author.id].map((id) => id.toLowerCase());
    if (header.kind !== ItemKind.FORM || [header.itemId, header.clientId, header.authorId].some((id, i) => id.toLowerCase() !== expected[i])) {
      throw new Error("moved");
    }
    const result = openItem(envelope, {
      authorPublicKey: authorEd,
      practiceSecretKey: unlocked.practice.secretKey,
      itemId,
      clientId: header.clientId,
      authorId: header.authorId,
    });
    body = result.json;
  } catch {
    fail(UNREADABLE);
    return;
  }
  await guardFingerprint(section.querySelector("[data-pin-warning]"), accountSubject(answer.author.id), fingerprint, label);
  signatureState.textContent = t({
    fr: `Signature vérifiée\u00a0: écrit par ${label.name} (${label.username}).`,
    en: `Signature verified: written by ${label.name} (${label.username}).`,
  });
  signatureState.dataset.verified = "true";
  const values = body && typeof body.values === "object" && body.values !== null ? body.values : {};
  opened = { order: normaliseOrder(values), at: new Date(section.querySelector("[data-order-step=ordered] time")?.getAttribute("datetime") ?? Date.now()) };
  show(opened.order, section.dataset.status);
  section.dataset.decrypted = "true";
  for (const button of section.querySelectorAll("[data-approve], [data-delivered], [data-print]")) button.disabled = false;
}

async function change(path, doneSentence) {
  actionStatus.textContent = t({ fr: "Envoi…", en: "Sending…" });
  try {
    const { order } = await postJson(`/items/${itemId}/order/${path}`, {});
    section.dataset.status = order.status;
    section.querySelector("[data-order-status]").textContent = t(STATUS[order.status]);
    section.querySelector("[data-approve]").hidden = order.status !== "ordered";
    section.querySelector("[data-delivered]").hidden = order.status !== "approved";
    show(opened.order, order.status);
    actionStatus.textContent = t(doneSentence);
  } catch (error) {
    actionStatus.textContent = error instanceof ApiError ? error.message : t({ fr: "L'envoi a échoué\u00a0; réessayez.", en: "Sending failed; please try again." });
  }
}

section.querySelector("[data-approve]").addEventListener("click", () =>
  change("approve", { fr: "Commande approuvée. Vous pouvez l'imprimer.", en: "Order approved. You can print it." }));
section.querySelector("[data-delivered]").addEventListener("click", () =>
  change("delivered", { fr: "Commande marquée livrée.", en: "Order marked delivered." }));
section.querySelector("[data-print]").addEventListener("click", () => window.print());

open().catch((error) => {
  errorBox.textContent = error?.message || String(error);
});
