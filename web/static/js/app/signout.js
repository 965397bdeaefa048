// Signing out also forgets the keys this tab had unlocked.
import { forgetKeys } from "./keystore.js";

for (const button of document.querySelectorAll("[data-signout]")) {
  button.addEventListener("click", () => forgetKeys());
}
