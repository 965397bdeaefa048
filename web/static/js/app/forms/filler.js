// The secretary's generic form filler (docs/items.md "Forms"): the practice's offered
// templates (the last version of each template not archived), one chosen, its fields filled
// and checked, then sealed to the practice key and signed here as an item of kind form,
// deposited with the template id in clear (docs/format.md §5). Used by the desk and the
// deposit page through pages/form-filler.js.
//
// Exported:
//   mountFiller(root, {trusted}) → {show(practice)}: `root` is the [data-form-filler]
//        section (_partials/form_filler.html); `trusted(practice)` says whether the
//        practice's key fingerprint is accepted; show({id, publicKey}) opens that practice's
//        templates (the section stays hidden when it has none). After each deposit,
//        root's form gets data-deposited=<item id> and the fields are emptied.
//   sealForm({practiceId, publicKey, template, version, values, urgency, keys})
//        → the JSON of POST /items for that form ({item_id, practice_id, envelope,
//          form_template})
import { ItemKind, newItemId, sealItem, toBase64url, Urgency } from "../../crypto/index.js";
import { ApiError, send } from "../api.js";
import { armForm, busy, showError, showStatus, t } from "../form.js";
import { loadKeys } from "../keystore.js";
import { shortTime, pageZone } from "../localdates.js";
import { withRetry } from "../transfer.js";
import { collectValues, renderFields } from "./fields.js";
import { loadTemplates } from "./io.js";
import { latestVersion, offeredTemplates } from "./template.js";
import { formBody } from "./values.js";

const URGENCY = { low: Urgency.LOW, normal: Urgency.NORMAL, urgent: Urgency.URGENT };

/** The deposit request of a filled form: sealed to the practice key, signed by `keys`. */
export function sealForm({ practiceId, publicKey, template, version, values, urgency = "normal", keys }) {
  const itemId = newItemId();
  const envelope = sealItem(
    { kind: ItemKind.FORM, urgency: URGENCY[urgency], itemId, clientId: practiceId, authorId: keys.accountId },
    formBody(template, version, values),
    publicKey,
    keys.keys.ed25519Seed,
  );
  return { item_id: itemId, practice_id: practiceId, envelope: toBase64url(envelope), form_template: template.id };
}

export function mountFiller(root, { trusted }) {
  const form = root.querySelector("[data-filler-form]");
  const select = form.querySelector("[data-filler-template]");
  const fields = form.querySelector("[data-filler-fields]");
  const description = form.querySelector("[data-filler-description]");
  const status = root.querySelector("[data-filler-status]");
  let practice = null;
  let templates = [];
  let chosen = null; // {template, version}

  function choose() {
    const template = templates.find((x) => x.id === select.value) ?? templates[0];
    if (!template) return;
    chosen = { template, version: latestVersion(template) };
    description.textContent = chosen.version.description;
    renderFields(fields, chosen.version, { prefix: "fill" });
    root.dataset.template = template.id;
  }
  select.addEventListener("change", () => {
    choose();
    showStatus(form, "");
  });

  armForm(form, async () => {
    if (!practice || !chosen) return;
    if (!trusted(practice)) {
      showError(form, t({ fr: "Confirmez d'abord l'empreinte de clé du cabinet ci-dessus.", en: "First confirm the practice's key fingerprint above." }));
      return;
    }
    const keys = loadKeys();
    if (!keys) {
      showError(form, t({ fr: "Vos clés ne sont pas ouvertes dans cet onglet : saisissez votre mot de passe dans le cadre ci-dessus.", en: "Your keys are not open in this tab: enter your password in the box above." }).replace(" :", "\u00a0:"));
      return;
    }
    const { values, problems } = collectValues(fields, chosen.version);
    if (problems.length) {
      const lang = document.documentElement.lang === "en" ? "en" : "fr";
      showError(form, problems.length === 1
        ? problems[0].message[lang]
        : t({ fr: `${problems.length} champs sont à corriger (voir sous chacun).`, en: `${problems.length} fields need correcting (see under each).` }));
      fields.querySelector("[aria-invalid=true]")?.focus();
      return;
    }
    busy(form, true);
    try {
      showStatus(form, t({ fr: "Chiffrement et envoi…", en: "Encrypting and sending…" }));
      const request = sealForm({
        practiceId: practice.id,
        publicKey: practice.publicKey,
        template: chosen.template,
        version: chosen.version,
        values,
        urgency: form.elements.urgency.value,
        keys,
      });
      await withRetry(() => send("POST", "/items", request));
      const at = shortTime(new Date().toISOString(), practice.timeZone || pageZone(), document.documentElement.lang === "en" ? "en" : "fr");
      showStatus(form, t({
        fr: `Formulaire « ${chosen.version.name} » déposé (${at}), chiffré pour le cabinet.`,
        en: `Form "${chosen.version.name}" deposited (${at}), encrypted for the practice.`,
      }));
      form.dataset.deposited = request.item_id;
      renderFields(fields, chosen.version, { prefix: "fill" });
      form.elements.urgency.value = "normal";
      fields.querySelector("input, select, textarea")?.focus();
    } catch (error) {
      showError(form, error instanceof ApiError ? error.message : t({
        fr: "Le dépôt a échoué ; rien n'a été perdu de ce qui était déjà déposé. Réessayez.",
        en: "The deposit failed; nothing already deposited was lost. Please try again.",
      }).replace(" ;", "\u00a0;"));
    } finally {
      busy(form, false);
    }
  });

  async function show(next) {
    practice = next;
    root.dataset.ready = "";
    try {
      const loaded = await loadTemplates(next.id);
      if (practice !== next) return; // another practice was chosen meanwhile
      templates = offeredTemplates(loaded.body);
      status.textContent = loaded.rolledBack
        ? t({ fr: "Attention : le serveur a servi une version plus ancienne des formulaires que celle déjà vue.", en: "Warning: the server served an older revision of the forms than one already seen." }).replace(" :", "\u00a0:")
        : "";
    } catch {
      templates = [];
    }
    root.hidden = templates.length === 0;
    select.replaceChildren();
    for (const template of templates) {
      const option = document.createElement("option");
      option.value = template.id;
      option.textContent = latestVersion(template).name;
      select.append(option);
    }
    chosen = null;
    fields.replaceChildren();
    if (templates.length) choose();
    root.dataset.ready = "true";
  }

  return { show };
}
