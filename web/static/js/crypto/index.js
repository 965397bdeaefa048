// Permanence browser crypto, format v1 (docs/format.md). Import this module only:
//   import { ready, derivePasswordKeys, openItem, … } from "/static/js/crypto/index.js";
// Importing it waits for libsodium (top-level await), so every function is usable at once.
export { ready } from "./sodium.js";
// Raw Ed25519 over a seed, for signed requests that are not format v1 structures.
export { equalBytes, signDetached, verifyDetached } from "./primitives.js";
export {
  CryptoError,
  DecryptionFailed,
  ExcessiveKdfParameters,
  InvalidRecoveryCode,
  MalformedInput,
  UnsupportedVersion,
  WeakKdfParameters,
} from "./errors.js";
export {
  bytesToUuid,
  concatBytes,
  crockfordDecode,
  crockfordEncode,
  fromBase64url,
  fromHex,
  newItemId,
  shortItemId,
  toBase64url,
  toHex,
  utf8Decode,
  utf8Encode,
  uuidToBytes,
} from "./encoding.js";
export {
  ALG_ARGON2ID13,
  checkKdfParams,
  deriveAuthKey,
  deriveKek,
  deriveMaster,
  derivePasswordKeys,
  MIN_MEM,
  MIN_OPS,
  newKdfParams,
  normalizePassword,
} from "./kdf.js";
export {
  generateUserKeys,
  publicKeysJson,
  unwrapUserKeys,
  userKeysFromSecrets,
  wrapUserKeys,
  WrapPurpose,
} from "./userkeys.js";
export {
  formatRecoveryCode,
  newRecoveryCode,
  parseRecoveryCode,
  recoveryKey,
  recoveryProofMessage,
} from "./recovery.js";
export { practiceFingerprint, userFingerprint } from "./fingerprint.js";
export { MAX_LABEL_CHARS, normalizeLabel, openLabel, sealLabel } from "./label.js";
export {
  generatePracticeKeys,
  GrantKind,
  newTeamKey,
  openGrant,
  practiceKeysFromSecret,
  sealGrant,
} from "./grants.js";
export {
  decodeBody,
  decodeHeader,
  encodeBody,
  encodeHeader,
  HEADER_BYTES,
  ItemKind,
  MAX_CALL_SECONDS,
  openItem,
  readUnverifiedHeader,
  sealItem,
  Urgency,
  verifyEnvelope,
} from "./envelope.js";
export {
  CHUNK_SIZE,
  CIPHER_CHUNK_SIZE,
  decryptFile,
  decryptFileToBlob,
  encryptFileToBlob,
  FileEncryptor,
  parseManifest,
  streamLength,
} from "./stream.js";
export {
  decodeTeamKeyRecord,
  encodeTeamKeyRecord,
  openTeamKey,
  signTeamKeyRecord,
  teamKeyCommit,
  verifyTeamKeyRecord,
} from "./teamkey.js";
export {
  decodeInstructionHeader,
  DocType,
  encodeInstructionHeader,
  NO_SUBJECT,
  openInstruction,
  readUnverifiedInstructionHeader,
  sealInstruction,
  secretariesMayWrite,
  verifyInstruction,
} from "./instruction.js";
