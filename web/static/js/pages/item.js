// One item of the practice: the envelope is fetched (the server audits the reading first),
// its author's signature verified with the author's registered key, whose fingerprint is
// computed here from that very key, shown and pinned; then it is decrypted here and every
// field filled with textContent. Kind, urgency, author and call time are shown from the
// verified header, never from the server's record: each is compared with the record and any
// difference is shown as a tamper warning (an id that differs refuses the item).
// An extract's file is downloaded and decrypted chunk by chunk in a Worker (app/transfer.js);
// the decrypted file is offered only once the whole stream verified.
// The keys come from this tab, another open tab of the session, or the password alone
// (app/unlock-prompt.js); the handling buttons appear only once the item is decrypted.
import {
  fromBase64url,
  openItem,
  parseManifest,
  userFingerprint,
  verifyEnvelope,
} from "../crypto/index.js";
import { getJson } from "../app/api.js";
import { downloadExtract, TRANSFER_WORKERS, warmTransferWorker } from "../app/transfer.js";
import { previewCsv } from "../app/csv-preview.js";
import { lang, t } from "../app/form.js";
import { renderCustomFields } from "../app/customfields.js";
import { renderFormItem } from "../app/forms/item-form.js";
import { accountSubject } from "../app/fingerprints.js";
import { enableActions } from "../app/handling.js";
import { welcomeNewcomers } from "../app/newcomers.js";
import { keysForThisPage } from "../app/unlock-prompt.js";
import { pageZone } from "../app/localdates.js";
import { guardFingerprint, lookAlikeWarning } from "../app/pinwarning.js";
import {
  claimedRecord,
  describe,
  differences,
  formatCallTime,
  formatDuration,
  ID_FIELDS,
  kindLabel,
  signedRecord,
  urgencyLabel,
} from "../app/signedfields.js";

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

function warnTampered(diffs) {
  const box = section.querySelector("[data-tamper-warning]");
  box.querySelector("[data-tamper-text]").textContent = t({
    fr: "Attention\u00a0: le registre du serveur ne correspond pas à ce que l'auteur a signé. Cette page montre les valeurs signées\u00a0; signalez-le à l'administrateur.",
    en: "Warning: the server's record does not match what the author signed. This page shows the signed values; report it to the administrator.",
  });
  const list = box.querySelector("[data-tamper-list]");
  list.replaceChildren();
  const options = { lang: lang(), timeZone: section.dataset.timezone || pageZone() };
  for (const diff of diffs) {
    const line = document.createElement("li");
    line.dataset.tamperedField = diff.field;
    line.textContent = describe(diff, options);
    list.append(line);
  }
  box.hidden = false;
  section.dataset.tampered = diffs.map((d) => d.field).join(" ");
}

function showSigned(signed) {
  const heading = section.querySelector("[data-signed-heading]");
  const urgency = document.createElement(signed.urgency === "urgent" ? "strong" : "span");
  if (signed.urgency === "urgent") urgency.className = "urgent";
  urgency.textContent = urgencyLabel(signed.urgency, lang());
  heading.replaceChildren(`${kindLabel(signed.kind, lang())} · `, urgency);
  document.title = `${heading.textContent} · Permanence`;
  section.dataset.signedKind = signed.kind;
  section.dataset.signedUrgency = signed.urgency;
}

function fillFields(signed, json) {
  const group = section.querySelector(`[data-fields-for="${signed.kind}"]`);
  group.hidden = false;
  for (const field of group.querySelectorAll("[data-field]")) {
    const name = field.dataset.field;
    let value = json[name];
    if (name === "call_started_at") {
      value = signed.callStartedAt === null ? "" : formatCallTime(signed.callStartedAt, section.dataset.timezone || pageZone(), lang());
    } else if (name === "call_seconds") {
      value = signed.callSeconds === null ? "" : formatDuration(signed.callSeconds);
    }
    const caller = name === "caller_is" ? CALLER[value] : null;
    field.textContent = caller ? t(caller) : value === undefined || value === null ? "" : String(value);
  }
  if (signed.kind === "call_note") renderCustomFields(group, json);
  if (signed.kind === "form") {
    return renderFormItem(group, json, { practiceId: section.dataset.practiceId, claimedTemplate: section.dataset.formTemplate });
  }
  return null;
}

async function show() {
  signatureState.textContent = t({ fr: "Ouverture des clés…", en: "Opening the keys…" });
  const unlocked = await keysForThisPage(document.querySelector("[data-unlock-form]"));
  if (!unlocked || !unlocked.practice) {
    fail({
      fr: "Les clés du cabinet ne sont pas ouvertes dans cet onglet.",
      en: "The practice keys are not open in this tab.",
    });
    return null;
  }
  welcomeNewcomers(unlocked);
  signatureState.textContent = t({ fr: "Vérification de la signature…", en: "Checking the signature…" });
  const answer = await getJson(`/items/${itemId}/envelope`);
  const author = answer.author;
  const authorX = fromBase64url(author.x25519_pk);
  const authorEd = fromBase64url(author.ed25519_pk);
  // The fingerprint of the very keys the signature is checked with.
  const fingerprint = userFingerprint(authorX, authorEd);
  const label = { name: String(author.name), username: String(author.username ?? "") };
  section.querySelector("[data-author-fingerprint]").textContent = fingerprint;
  section.querySelector("[data-author-name]").textContent = `${label.name} (${label.username})`;
  const envelope = fromBase64url(answer.envelope);
  const unreadable = {
    fr: "Cet élément n'a pas pu être vérifié ni déchiffré : sa signature ou son contenu ne correspond pas.",
    en: "This item could not be verified or decrypted: its signature or content does not match.",
  };
  let header;
  try {
    header = verifyEnvelope(envelope, authorEd);
  } catch {
    fail(unreadable);
    return null;
  }
  const claimed = claimedRecord({ ...section.dataset, authorId: author.id });
  const moved = differences(signedRecord(header), claimed).filter((d) => ID_FIELDS.has(d.field));
  if (moved.length > 0) {
    warnTampered(moved);
    fail({
      fr: "Cet élément n'est pas affiché\u00a0: sa signature le désigne comme un autre élément, d'un autre cabinet ou d'un autre auteur.",
      en: "This item is not shown: its signature names another item, practice or author.",
    });
    return null;
  }
  let opened;
  try {
    opened = openItem(envelope, {
      authorPublicKey: authorEd,
      practiceSecretKey: unlocked.practice.secretKey,
      itemId: header.itemId,
      clientId: header.clientId,
      authorId: header.authorId,
    });
  } catch {
    fail(unreadable);
    return null;
  }
  const signed = signedRecord(opened.header);
  const diffs = differences(signed, claimed);
  if (diffs.length > 0) warnTampered(diffs);
  showSigned(signed);
  const subject = accountSubject(author.id);
  const lookAlike = lookAlikeWarning(subject, label);
  if (lookAlike) {
    const box = section.querySelector("[data-lookalike-warning]");
    box.textContent = lookAlike;
    box.hidden = false;
  }
  await guardFingerprint(section.querySelector("[data-pin-warning]"), subject, fingerprint, label);
  signatureState.textContent = t({
    fr: `Signature vérifiée\u00a0: écrit par ${label.name} (${label.username}).`,
    en: `Signature verified: written by ${label.name} (${label.username}).`,
  });
  signatureState.dataset.verified = "true";
  await fillFields(signed, opened.json);
  section.dataset.decrypted = "true";
  enableActions();
  return { opened, signed };
}

function setUpDownload(manifest) {
  warmTransferWorker(TRANSFER_WORKERS); // compiled before the click
  const button = section.querySelector("[data-download]");
  const progress = section.querySelector("[data-progress]");
  const save = section.querySelector("[data-save]");
  const status = section.querySelector("[data-download-status]");
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = t({ fr: "Téléchargement et déchiffrement…", en: "Downloading and decrypting…" });
    try {
      // Fetched and decrypted in a worker (hashed in another where the device has cores to
      // spare); the Blob exists only once the stream verified.
      const blob = await downloadExtract(
        {
          url: `/items/${itemId}/file`,
          fileKey: manifest.fileKey,
          streamHash: manifest.streamHash,
          mediaType: manifest.mediaType,
        },
        (received, total) => {
          progress.value = Math.round((received / Math.max(total, 1)) * 100);
        },
      );
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
  .then((shown) => {
    if (shown && shown.signed.kind === "extract") setUpDownload(parseManifest(shown.opened.json));
  })
  .catch((error) => {
    errorBox.textContent = error.message || String(error);
  });
