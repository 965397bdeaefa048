// Order forms as items (docs/items.md "Orders"): an order is a form item (docs/format.md §5,
// kind 0x04) filled in from the practice's order template (the form template whose `origin`
// is "order", §10 "Form templates"), sealed to the practice key, signed, deposited, then
// placed (its state "ordered" on the server). The field ids are those of the built-in order
// template; a field of the practice's version that the order page does not fill is written
// empty, as every form writes every field of its version.
import { DocType, ItemKind, sealItem, toBase64url, Urgency } from "../crypto/index.js";
import { ApiError, send } from "./api.js";
import { loadKeys } from "./keystore.js";
import { readDocuments } from "./team.js";
import { withRetry } from "./transfer.js";

const NO_TEMPLATE = Object.freeze({
  fr: "Le cabinet n'a pas encore de modèle de bon de commande\u00a0: demandez-lui d'en ajouter un dans ses consignes (modèle « Bon de commande »).",
  en: "The practice has no order form template yet: ask it to add one in its instructions (the \"Order form\" template).",
});

/** A refusal in one sentence, {fr, en}. */
export class OrderError extends Error {
  constructor(sentences) {
    super(sentences.en);
    this.name = "OrderError";
    this.sentences = sentences;
  }
}

const object = (value) => (value !== null && typeof value === "object" && !Array.isArray(value) ? value : {});
const list = (value) => (Array.isArray(value) ? value : []);

/** The practice's order templates, in the newest form-templates document: [{ id, version }]
 *  with `version` its last version ({ version, name, fields }). */
export function orderTemplates(body) {
  return list(object(body).templates)
    .map(object)
    .filter((t) => t.origin === "order" && t.archived !== true && typeof t.id === "string")
    .map((t) => ({ id: t.id, version: list(t.versions).map(object).at(-1) }))
    .filter((t) => t.version && Number.isInteger(t.version.version) && t.version.version >= 1);
}

/** The order template secretaries fill: the first one not archived; null when none. */
export async function orderTemplateOf(practiceId) {
  const docs = (await readDocuments(practiceId, { type: DocType.FORM_TEMPLATES })).filter((d) => !d.failed);
  const newest = docs.at(-1);
  return newest ? (orderTemplates(newest.body)[0] ?? null) : null;
}

function emptyOf(field) {
  return field.type === "table" ? [] : "";
}

/** The form's values: one key per field of the version, the order's where the ids match. */
export function orderValues(version, order) {
  const values = {};
  for (const field of list(version.fields).map(object)) {
    if (typeof field.id !== "string") continue;
    if (field.type === "table") {
      const columns = list(field.columns).map(object).filter((c) => typeof c.id === "string");
      values[field.id] = field.id === "lines"
        ? order.lines.map((l) => Object.fromEntries(columns.map((c) => [c.id, l[c.id] ?? emptyOf(c)])))
        : [];
    } else {
      values[field.id] = typeof order[field.id] === "string" ? order[field.id] : emptyOf(field);
    }
  }
  return values;
}

/** The form item's body (docs/format.md §5, form) of `order` filled in from `template`. */
export function orderBody(template, order) {
  const fields = list(template.version.fields).map(object);
  if (!fields.some((f) => f.id === "lines" && f.type === "table")) throw new OrderError(NO_TEMPLATE);
  return {
    template_id: template.id,
    template_version: template.version.version,
    template_name: typeof template.version.name === "string" ? template.version.name : "",
    values: orderValues(template.version, order),
  };
}

const pending = new Map(); // what was sealed for an order not yet placed: retried as it is

/**
 * Seal, deposit and place `order` for `practice` ({ id, publicKey }); returns the item id.
 * A retry of the very same order after a failure re-sends the very same envelope (the
 * deposit answers "already there") and places it, so no order is deposited twice.
 */
export async function depositOrder(practice, order) {
  const key = `${practice.id}\n${JSON.stringify(order)}`;
  let request = pending.get(key);
  if (!request) {
    const template = await orderTemplateOf(practice.id);
    if (!template) throw new OrderError(NO_TEMPLATE);
    const me = loadKeys();
    const itemId = crypto.randomUUID();
    const envelope = sealItem(
      { kind: ItemKind.FORM, urgency: Urgency.NORMAL, itemId, clientId: practice.id, authorId: me.accountId, callStartedAt: 0, callSeconds: 0 },
      orderBody(template, order),
      practice.publicKey,
      me.keys.ed25519Seed,
    );
    request = { practice_id: practice.id, item_id: itemId, envelope: toBase64url(envelope), form_template: template.id };
    pending.set(key, request);
  }
  await withRetry(() => send("POST", "/items", request));
  await withRetry(() => send("POST", `/items/${request.item_id}/order`, {}));
  pending.delete(key);
  return request.item_id;
}

export { ApiError };
