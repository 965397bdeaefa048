// One item of the practice: the envelope is fetched (the server audits the reading first),
// its author's signature verified with the author's registered key, whose fingerprint is
// shown and pinned, then it is decrypted here and every field filled with textContent.
// An extract's file is downloaded and decrypted chunk by chunk; the decrypted file is offered
// only once the whole stream verified.
import {
  decryptFile,
  fromBase64url,
  openItem,
  parseManifest,
  userFingerprint,
} from "../crypto/index.js";
import { getJson } from "../app/api.js";
import { previewCsv } from "../app/csv-preview.js";
import { t } from "../app/form.js";
import { loadKeys } from "../app/keystore.js";
import { guardFingerprint } from "../app/pinwarning.js";

const section = document.getElementById("item");
const itemId = section.dataset.itemId;
const errorBox = section.querySelector("[data-error]");
const signatureState = section.querySelector("[data-signature-state]");
const CALLER = {
  self: { fr: "le patient ou client", en: "the patient or client" },
  third_party: { fr: "un tiers", en: "a third party" },
};

function fail(sentence) {
  errorBox.textContent = t(sentence);
  signatureState.textContent = "";
}

async function show() {
  const unlocked = loadKeys();
  if (!unlocked || !unlocked.practice) {
    fail({
      fr: "Les clés du cabinet ne sont pas ouvertes dans cet onglet : reconnectez-vous.",
      en: "The practice keys are not open in this tab: please sign in again.",
    });
    return null;
  }
  const answer = await getJson(`/items/${itemId}/envelope`);
  const authorX = fromBase64url(answer.author.x25519_pk);
  const authorEd = fromBase64url(answer.author.ed25519_pk);
  const fingerprint = userFingerprint(authorX, authorEd);
  section.querySelector("[data-author-fingerprint]").textContent = fingerprint;
  let opened;
  try {
    opened = openItem(fromBase64url(answer.envelope), {
      authorPublicKey: authorEd,
      practiceSecretKey: unlocked.practice.secretKey,
      itemId,
      clientId: section.dataset.practiceId,
      authorId: answer.author.id,
    });
  } catch {
    fail({
      fr: "Cet élément n'a pas pu être vérifié ni déchiffré : sa signature ou son contenu ne correspond pas.",
      en: "This item could not be verified or decrypted: its signature or content does not match.",
    });
    return null;
  }
  await guardFingerprint(section.querySelector("[data-pin-warning]"), `author:${answer.author.id}`, fingerprint);
  signatureState.textContent = t({
    fr: `Signature vérifiée : écrit par ${answer.author.name}.`,
    en: `Signature verified: written by ${answer.author.name}.`,
  });
  signatureState.dataset.verified = "true";
  // The call time is signed in the header (signed-format; browser-trust shows it fully).
  const { callStartedAt, callSeconds } = opened.header;
  const signedCall = {
    call_started_at: callStartedAt ? new Date(callStartedAt * 1000).toISOString() : undefined,
    call_seconds: opened.header.kind === 1 ? callSeconds : undefined,
  };
  for (const field of section.querySelectorAll("[data-field]")) {
    const value = { ...opened.json, ...signedCall }[field.dataset.field];
    const caller = field.dataset.field === "caller_is" ? CALLER[value] : null;
    field.textContent = caller ? t(caller) : value === undefined || value === null ? "" : String(value);
  }
  section.dataset.decrypted = "true";
  return opened;
}

async function* counted(body, total, progress) {
  const reader = body.getReader();
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      received += value.length;
      progress.value = Math.round((received / Math.max(total, 1)) * 100);
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function setUpDownload(manifest) {
  const button = section.querySelector("[data-download]");
  const progress = section.querySelector("[data-progress]");
  const save = section.querySelector("[data-save]");
  const status = section.querySelector("[data-download-status]");
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = t({ fr: "Téléchargement et déchiffrement…", en: "Downloading and decrypting…" });
    try {
      const response = await fetch(`/items/${itemId}/file`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const total = Number(response.headers.get("content-length") || 0);
      const parts = [];
      for await (const piece of decryptFile(counted(response.body, total, progress), manifest)) {
        parts.push(piece);
      }
      const blob = new Blob(parts, { type: manifest.mediaType });
      save.href = URL.createObjectURL(blob);
      save.download = manifest.name || "extract";
      save.hidden = false;
      status.textContent = t({ fr: "Fichier vérifié et déchiffré.", en: "File verified and decrypted." });
      status.dataset.done = "true";
      if (/\.csv$/i.test(manifest.name) || manifest.mediaType === "text/csv") {
        await previewCsv(blob, section.querySelector("[data-preview-table]"));
        section.querySelector("[data-preview]").hidden = false;
      }
    } catch {
      status.textContent = t({
        fr: "Le fichier n'a pas pu être téléchargé ou vérifié. Rien n'a été enregistré.",
        en: "The file could not be downloaded or verified. Nothing was saved.",
      });
      button.disabled = false;
    }
  });
}

show()
  .then((opened) => {
    if (opened && section.dataset.kind === "extract") setUpDownload(parseManifest(opened.json));
  })
  .catch((error) => {
    errorBox.textContent = error.message || String(error);
  });
