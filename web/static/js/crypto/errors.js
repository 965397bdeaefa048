// Errors of the browser crypto module: the same situations as Python's crypto/errors.py.
//
// Every failure to open a ciphertext is DecryptionFailed with one message, whatever check
// failed (no oracle). Only an unknown version byte is reported apart, before any crypto.

/** Base of every error thrown here; never thrown directly. */
export class CryptoError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

/** A ciphertext, wrapped key, grant, envelope or stream did not open. */
export class DecryptionFailed extends CryptoError {
  constructor() {
    super("decryption failed");
  }
}

/** A structure starts with a version byte this implementation does not know. */
export class UnsupportedVersion extends CryptoError {
  constructor(version) {
    super(`unsupported format version ${version}`);
    this.version = version;
  }
}

/** Key-derivation parameters below the floor (or of an unknown algorithm): refused. */
export class WeakKdfParameters extends CryptoError {}

/** Key-derivation parameters above the ceiling (a demand that would freeze the tab): refused. */
export class ExcessiveKdfParameters extends CryptoError {}

/** A typed recovery code has a wrong length, character or checksum. */
export class InvalidRecoveryCode extends CryptoError {
  constructor() {
    super("this recovery code is not valid");
  }
}

/** A caller passed a value of the wrong shape: key or id length, enum value, encoding. */
export class MalformedInput extends CryptoError {}
