// The unlocked keys of this tab, in sessionStorage (docs/design.md §7): gone when the tab closes.
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

/**
 * Unlock from the server's key bundle with the password's kek; store and return the keys.
 * The unwrapped keys must be those the server publishes for this account, and a granted
 * practice secret key that of the practice's published public key (docs/format.md §9):
 * otherwise DecryptionFailed, and nothing is stored.
 */
export function unlockAndStore(bundle, kek) {
  const keys = unwrapUserKeys(
    fromBase64url(bundle.wrapped_kek),
    kek,
    WrapPurpose.PASSWORD,
    bundle.account_id,
  );
  if (
    !equalBytes(keys.x25519PublicKey, fromBase64url(bundle.x25519_pk)) ||
    !equalBytes(keys.ed25519PublicKey, fromBase64url(bundle.ed25519_pk))
  ) {
    throw new DecryptionFailed();
  }
  const stored = {
    accountId: bundle.account_id,
    x25519: toBase64url(keys.x25519SecretKey),
    ed25519: toBase64url(keys.ed25519Seed),
  };
  const practice = bundle.practice;
  if (practice && practice.grant) {
    const secret = openGrant(
      fromBase64url(practice.grant),
      GrantKind.PRACTICE_SECRET_KEY,
      practice.id,
      keys.x25519SecretKey,
    );
    const published = fromBase64url(practice.public_key ?? "");
    if (!equalBytes(practiceKeysFromSecret(secret).publicKey, published)) {
      throw new DecryptionFailed();
    }
    stored.practice = { id: practice.id, secretKey: toBase64url(secret) };
  }
  sessionStorage.setItem(KEY, JSON.stringify(stored));
  return keys;
}

/** The keys unlocked in this tab, or null. */
export function loadKeys() {
  const text = sessionStorage.getItem(KEY);
  if (!text) return null;
  const stored = JSON.parse(text);
  const keys = userKeysFromSecrets(fromBase64url(stored.x25519), fromBase64url(stored.ed25519));
  return {
    accountId: stored.accountId,
    keys,
    practice: stored.practice
      ? { id: stored.practice.id, secretKey: fromBase64url(stored.practice.secretKey) }
      : null,
  };
}

export function forgetKeys() {
  sessionStorage.removeItem(KEY);
}
