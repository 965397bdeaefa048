// The unlocked keys of this tab, in sessionStorage (docs/design.md §7): gone when the tab closes.
// They are stored with the session's tab binding (the <meta name="tab-session"> the server
// puts in every page of a session, never the cookie): keys of another session are never used.
// A tab without keys asks the other open tabs of the same session for them over a
// BroadcastChannel named after that binding (keysFromOtherTabs), and every tab holding keys
// answers (this module starts answering when any page imports it: signout.js is on every
// signed-in page). Keys received are checked against the public keys the server publishes
// for the account and the practice before they are stored. With no other tab open, the
// password alone unwraps them again from the session's key bundle (unlockWithPassword).
import {
  DecryptionFailed,
  equalBytes,
  fromBase64url,
  GrantKind,
  openGrant,
  practiceKeysFromSecret,
  toBase64url,
  unwrapUserKeys,
  userKeysFromSecrets,
  WrapPurpose,
} from "../crypto/index.js";

const KEY = "permanence.keys";
const CHANNEL = "permanence.keys.";
const WAIT_FOR_TABS_MS = 700;

/** The session binding of this page, or "" (not signed in). */
export function tabSession() {
  if (typeof document === "undefined") return "";
  const meta = document.querySelector('meta[name="tab-session"]');
  return meta ? meta.content : "";
}

function practiceSecret(bundle, userSecretKey) {
  const practice = bundle.practice;
  if (!practice || !practice.grant) return null;
  const secret = openGrant(fromBase64url(practice.grant), GrantKind.PRACTICE_SECRET_KEY, practice.id, userSecretKey);
  if (!equalBytes(practiceKeysFromSecret(secret).publicKey, fromBase64url(practice.public_key ?? ""))) {
    throw new DecryptionFailed();
  }
  return { id: practice.id, secretKey: toBase64url(secret) };
}

function save(stored) {
  sessionStorage.setItem(KEY, JSON.stringify(stored));
  // Modules of the page that read loadKeys() once can listen for keys opened later.
  if (typeof document !== "undefined" && document.dispatchEvent) {
    document.dispatchEvent(new CustomEvent("permanence:keys-opened"));
  }
}

/**
 * Unlock from the server's key bundle with the password's kek; store and return the keys.
 * The unwrapped keys must be those the server publishes for this account, and a granted
 * practice secret key that of the practice's published public key (docs/format.md §9):
 * otherwise DecryptionFailed, and nothing is stored. `session` is the tab binding the keys
 * belong to (the login answer's `tab_session`; this page's by default).
 */
export function unlockAndStore(bundle, kek, session = tabSession()) {
  const keys = unwrapUserKeys(fromBase64url(bundle.wrapped_kek), kek, WrapPurpose.PASSWORD, bundle.account_id);
  if (
    !equalBytes(keys.x25519PublicKey, fromBase64url(bundle.x25519_pk)) ||
    !equalBytes(keys.ed25519PublicKey, fromBase64url(bundle.ed25519_pk))
  ) {
    throw new DecryptionFailed();
  }
  const stored = {
    session,
    accountId: bundle.account_id,
    x25519: toBase64url(keys.x25519SecretKey),
    ed25519: toBase64url(keys.ed25519Seed),
  };
  const practice = practiceSecret(bundle, keys.x25519SecretKey);
  if (practice) stored.practice = practice;
  save(stored);
  return keys;
}

function storedRecord() {
  const text = sessionStorage.getItem(KEY);
  if (!text) return null;
  let stored;
  try {
    stored = JSON.parse(text);
  } catch {
    stored = null;
  }
  if (!stored || !stored.session || stored.session !== tabSession()) {
    // Keys of another session (signed out, someone else signed in): never used.
    sessionStorage.removeItem(KEY);
    return null;
  }
  return stored;
}

function decoded(stored) {
  const keys = userKeysFromSecrets(fromBase64url(stored.x25519), fromBase64url(stored.ed25519));
  return {
    accountId: stored.accountId,
    keys,
    practice: stored.practice
      ? { id: stored.practice.id, secretKey: fromBase64url(stored.practice.secretKey) }
      : null,
  };
}

/** The keys unlocked in this tab for this session, or null. */
export function loadKeys() {
  const stored = storedRecord();
  return stored ? decoded(stored) : null;
}

export function forgetKeys() {
  sessionStorage.removeItem(KEY);
}

/**
 * Keys another tab sent, checked against the bundle before they are kept: the account's
 * published public keys, and the practice's published public key (a granted practice key
 * the sending tab did not hold yet is opened here from the bundle's grant).
 */
function adopt(stored, bundle) {
  if (!stored || stored.accountId !== bundle.account_id) return null;
  const keys = userKeysFromSecrets(fromBase64url(stored.x25519), fromBase64url(stored.ed25519));
  if (
    !equalBytes(keys.x25519PublicKey, fromBase64url(bundle.x25519_pk)) ||
    !equalBytes(keys.ed25519PublicKey, fromBase64url(bundle.ed25519_pk))
  ) {
    return null;
  }
  const record = {
    session: tabSession(),
    accountId: stored.accountId,
    x25519: stored.x25519,
    ed25519: stored.ed25519,
  };
  const practice = practiceSecret(bundle, keys.x25519SecretKey);
  if (practice) record.practice = practice;
  save(record);
  return decoded(record);
}

/** Ask the other open tabs of this session for their keys; null after a short wait. */
function askOtherTabs() {
  const session = tabSession();
  if (!session || typeof BroadcastChannel === "undefined") return Promise.resolve(null);
  const nonce = toBase64url(crypto.getRandomValues(new Uint8Array(16)));
  const channel = new BroadcastChannel(CHANNEL + session);
  return new Promise((resolve) => {
    const done = (value) => {
      clearTimeout(timer);
      channel.close();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), WAIT_FOR_TABS_MS);
    channel.onmessage = (event) => {
      const data = event.data;
      if (data && data.type === "keys" && data.session === session && data.nonce === nonce) done(data.stored);
    };
    channel.postMessage({ type: "want", session, nonce });
  });
}

/**
 * This tab's keys, completed if the practice key was granted since they were unlocked
 * (the bundle's grant opens with the account's own key), or those of another open tab of
 * the session; null if neither: then unlockWithPassword. `bundle` is /account/keys' answer.
 */
export async function keysFromOtherTabs(bundle) {
  const here = storedRecord();
  if (here) {
    if (!here.practice && bundle.practice && bundle.practice.grant) return adopt(here, bundle) ?? decoded(here);
    return decoded(here);
  }
  try {
    return adopt(await askOtherTabs(), bundle);
  } catch {
    return null;
  }
}

/** The password's kek (derived here, as at sign-in) unwraps the session's bundle again. */
export function unlockWithPassword(bundle, kek) {
  unlockAndStore(bundle, kek);
  return loadKeys();
}

// Answer the other tabs of this session: only on this session's channel, only with keys
// stored for this session, only to a request that names the same session.
(function answerOtherTabs() {
  const session = tabSession();
  if (!session || typeof BroadcastChannel === "undefined") return;
  const channel = new BroadcastChannel(CHANNEL + session);
  if (typeof channel.unref === "function") channel.unref(); // Node (tests): do not hold the process
  channel.onmessage = (event) => {
    const data = event.data;
    if (!data || data.type !== "want" || data.session !== session || typeof data.nonce !== "string") return;
    const stored = storedRecord();
    if (!stored) return;
    channel.postMessage({ type: "keys", session, nonce: data.nonce, stored });
  };
})();
