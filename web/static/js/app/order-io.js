// Order forms as items (docs/items.md "Orders"): an order is a form item (docs/format.md §5,
// kind 0x04) filled in from the practice's order template (the form template whose `origin`
// is "order", §10 "Form templates"), sealed to the practice key, signed, deposited, then
// placed (its state "ordered" on the server). The field ids are those of the built-in order
// template; a field of the practice's version that the order page does not fill is written
// empty, as every form writes every field of its version.
import { ItemKind, newItemId, sealItem, toBase64url, Urgency } from "../crypto/index.js";
import { ApiError, send } from "./api.js";
import { loadKeys } from "./keystore.js";
import { checkValues, formBody, latestVersion, loadTemplates, normaliseTemplates, offeredTemplates } from "./forms/index.js";
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

/** The practice's order templates (normalised 0x06 body, app/forms/template.js): those whose
 *  `origin` is "order", not archived, in the document's order: [{ template, version }] with
 *  `version` the last one (the one secretaries fill in). */
export function orderTemplates(body) {
  return offeredTemplates(normaliseTemplates(body))
    .filter((t) => t.origin === "order")
    .map((template) => ({ template, version: latestVersion(template) }))
    .filter((t) => t.version);
}

/** The order template secretaries fill: the first one offered; null when none. */
export async function orderTemplateOf(practiceId) {
  const { body } = await loadTemplates(practiceId);
  return orderTemplates(body)[0] ?? null;
}

/** What the order page fills, by the built-in order template's field ids. */
export function orderValues(version, order) {
  const values = {};
  for (const field of list(version.fields).map(object)) {
    if (field.id === "lines" && field.type === "table") {
      values.lines = order.lines.map((l) => Object.fromEntries(list(field.columns).map((c) => [c.id, l[c.id] ?? ""])));
    } else if (field.type !== "table" && typeof order[field.id] === "string") {
      values[field.id] = order[field.id];
    }
  }
  return values;
}

/**
 * The form item's body (docs/format.md §5, form) of `order` filled in from the order
 * template `{ template, version }`, every field written and checked as forms are
 * (app/forms/values.js): a problem (a field the practice made required that the order page
 * does not fill) is an OrderError in one sentence.
 */
export function orderBody({ template, version }, order) {
  if (!version.fields.some((f) => f.id === "lines" && f.type === "table")) throw new OrderError(NO_TEMPLATE);
  const { values, problems } = checkValues(version, orderValues(version, order));
  if (problems.length > 0) throw new OrderError(problems[0].message);
  return formBody(template, version, values);
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
    const itemId = newItemId();
    const envelope = sealItem(
      { kind: ItemKind.FORM, urgency: Urgency.NORMAL, itemId, clientId: practice.id, authorId: me.accountId, callStartedAt: 0, callSeconds: 0 },
      orderBody(template, order),
      practice.publicKey,
      me.keys.ed25519Seed,
    );
    request = { practice_id: practice.id, item_id: itemId, envelope: toBase64url(envelope), form_template: template.template.id };
    pending.set(key, request);
  }
  await withRetry(() => send("POST", "/items", request));
  await withRetry(() => send("POST", `/items/${request.item_id}/order`, {}));
  pending.delete(key);
  return request.item_id;
}

export { ApiError };
