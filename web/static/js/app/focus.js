// Keeping the reader's place when the page changes under the focus (helpers; the listener
// for htmx swaps is keep-focus.js, loaded by every page).

/** True when focus is nowhere useful: on the body, or on an element no longer in the page. */
export function focusLost() {
  const active = document.activeElement;
  return !active || active === document.body || !active.isConnected;
}

/**
 * Focus `el`, making it focusable by script only if it is not already. Without `scroll` the
 * view does not move (a refreshed list keeps the reader's place); with it, `el` is brought
 * into view if it is not (a form's invalid field).
 */
export function focusOn(el, scroll = false) {
  if (!el) return;
  if (!el.matches("a[href], button, input, select, textarea, summary, [tabindex]")) {
    el.setAttribute("tabindex", "-1");
  }
  el.focus({ preventScroll: true });
  if (scroll) el.scrollIntoView({ block: "nearest" });
}

/** Where focus goes in a part of the page that was just replaced. */
export function landingIn(part) {
  return (
    part.querySelector('[role="alert"]:not(:empty), [data-error]:not(:empty)') ||
    part.querySelector("h1, h2, h3") ||
    part
  );
}
