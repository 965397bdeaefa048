// The form filler on the desk and on the deposit page (app/forms/filler.js): which practice
// it fills forms for comes from the page — the desk's chosen practice ("desk:practice" on
// #desk, its key from the switcher) or the deposit page's one — and a deposit waits until
// that practice's key fingerprint is accepted (the same pin the page shows and guards).
import { fromBase64url, practiceFingerprint } from "../crypto/index.js";
import { checkPin } from "../app/fingerprints.js";
import { mountFiller } from "../app/forms/filler.js";
import { loadKeys } from "../app/keystore.js";

const root = document.querySelector("[data-form-filler]");

function trusted(practice) {
  return checkPin(`practice:${practice.id}`, practiceFingerprint(practice.publicKey)).state !== "changed";
}

function waitForKeys() {
  return new Promise((resolve) => {
    const check = () => (loadKeys() ? resolve() : setTimeout(check, 250));
    check();
  });
}

if (root) {
  const filler = mountFiller(root, { trusted });
  const desk = document.getElementById("desk");
  const deposit = document.getElementById("deposit");
  const practiceOn = (host, id, key) => ({ id, publicKey: fromBase64url(key), timeZone: host.dataset.timezone });
  waitForKeys().then(() => {
    if (deposit) {
      filler.show(practiceOn(deposit, deposit.dataset.practiceId, deposit.dataset.publicKey));
    } else if (desk) {
      const open = (id) => {
        const button = desk.querySelector(`[data-practice-id="${CSS.escape(id)}"]`);
        if (button) filler.show(practiceOn(desk, id, button.dataset.publicKey));
      };
      desk.addEventListener("desk:practice", (event) => open(event.detail.practiceId));
      if (desk.dataset.practiceId) open(desk.dataset.practiceId);
    }
  });
}
