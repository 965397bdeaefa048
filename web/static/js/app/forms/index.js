// The form machinery (docs/items.md "Forms"; docs/format.md §5 form items, §10 form
// templates), in one import for the pages that build on it (appointments, order forms):
//
//   template.js  reading the 0x06 body, versions, saving an edited template as a new version
//   builtins.js  the built-in templates (appointment, order form, record)
//   values.js    canonical values, checks before a deposit, the form item's body, display
//   fields.js    a version rendered as form fields, values read back and checked (DOM)
//   view.js      a form item's values rendered read-only, a one-line summary (DOM)
//   io.js        the practice's 0x06 document under the team key, read and saved
//   editor.js    the template editor's inputs: a draft rendered, read back, rearranged (DOM)
//   filler.js    the secretary's form filler (desk, deposit page) and sealForm (DOM)
//
// Each module documents its exported functions at its top. The API is kept stable: it only
// grows.
export * from "./template.js";
export * from "./builtins.js";
export * from "./values.js";
export * from "./fields.js";
export * from "./view.js";
export * from "./io.js";
export * from "./editor.js";
export * from "./filler.js";
