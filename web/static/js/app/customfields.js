// The practice's own fields of a call note (docs/format.md §5: `call_type` and
// `custom_fields`), shown on the item page under the standard fields. A rendering hook that
// item.js calls once the note is verified and decrypted: labels and values come from the
// signed body, as the secretary saw and filled them, and are written with textContent.
import { t } from "./form.js";

const YES_NO = { yes: { fr: "oui", en: "yes" }, no: { fr: "non", en: "no" } };

function valueText(field) {
  const value = typeof field.value === "string" ? field.value : field.value == null ? "" : String(field.value);
  return field.type === "yes_no" && YES_NO[value] ? t(YES_NO[value]) : value;
}

/** Append the call type and custom fields of `json` to `group` (the call note's fields). */
export function renderCustomFields(group, json) {
  group.querySelector("[data-custom-fields-shown]")?.remove();
  const fields = Array.isArray(json.custom_fields) ? json.custom_fields.filter((f) => f && typeof f === "object") : [];
  const callType = typeof json.call_type === "string" ? json.call_type : "";
  if (fields.length === 0 && callType === "") return;
  const list = document.createElement("dl");
  list.className = "fields";
  list.dataset.customFieldsShown = "";
  const add = (label, value, id) => {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    if (id) dd.dataset.customField = id;
    list.append(dt, dd);
  };
  if (callType) add(t({ fr: "Type d'appel", en: "Call type" }), callType, "call_type");
  for (const field of fields) add(String(field.label ?? field.id ?? ""), valueText(field), String(field.id ?? ""));
  group.append(list);
}
