// Keeping the reader's place: after htmx replaces part of the page, focus must not fall back
// to the top of the document (the button that was pressed may be gone with the old HTML).
// Focus goes to the swapped part's message if it shows one, else its first heading, else the
// part itself. Loaded by every page (base.html); does nothing while focus is still in place.
import { focusLost, focusOn, landingIn } from "./focus.js";

document.addEventListener("htmx:afterSettle", (event) => {
  if (!focusLost()) return;
  let part = event.detail && event.detail.target;
  if (part && !part.isConnected && part.id) part = document.getElementById(part.id);
  if (part && part.isConnected) focusOn(landingIn(part));
});
