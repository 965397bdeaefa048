// The handling buttons ("I'm dealing with it", "Mark as handled", "Undo") are rendered
// hidden: a page shows them only once it can read what they act on (enableActions), so no
// button is offered on an item the page cannot read. An undo button goes away when its
// window closes (the server refuses a late undo anyway). Content swapped in by htmx (a
// status cell or block after a change) gets the same treatment.
let enabled = false;

/**
 * Show the handling buttons inside `root` if this page has enabled them (nothing before
 * enableActions): for nodes a page inserts itself, such as the inbox's refreshed rows.
 */
export function apply(root) {
  if (!enabled || !root.querySelectorAll) return;
  for (const box of root.querySelectorAll("[data-needs-keys]")) box.hidden = false;
  const now = Date.now();
  for (const form of root.querySelectorAll("[data-undo-until]")) {
    const left = Date.parse(form.dataset.undoUntil) - now;
    if (!(left > 0)) {
      form.remove();
    } else {
      setTimeout(() => form.remove(), left);
    }
  }
}

/** Show the handling buttons of this page (call once it can read its items). */
export function enableActions() {
  enabled = true;
  apply(document);
}

document.addEventListener("htmx:load", (event) => apply(event.target));
