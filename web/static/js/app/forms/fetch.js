// The forms of one template, in batches (POST /inbox/search with `template`, docs/items.md
// "Forms"): one items.searched audit entry a batch, naming the template.
//
// Exported:
//   fetchSearchBatchOf(after, templateId) → the batch answer of app/envelopes.js's shape
import { postJson } from "../api.js";

export function fetchSearchBatchOf(after, templateId) {
  return postJson("/inbox/search", { after: after ?? null, template: templateId });
}
