// Instruction envelopes under a practice's team key (docs/format.md §10).
//
// header     = 0x01 || type (u8) || id16(document_id) || id16(client_id) || id16(author_id)
//              || id16(subject_id) || version (u32) || revision (u32)                    -- 74 bytes
// ciphertext = AEAD_SEAL(team_key[version], nonce, body, ad = header)
// signature  = SIGN(author, "permanence/v1/instruction\0" || header || H(32, nonce || ciphertext))
// envelope   = header (74) || signature (64) || nonce (24) || ciphertext (>= 16)
import { bytesToUuid, concatBytes, requireBytes, utf8Encode, uuidToBytes } from "./encoding.js";
import { decodeBody, encodeBody } from "./envelope.js";
import { DecryptionFailed, MalformedInput } from "./errors.js";
import {
  aeadOpen,
  aeadSeal,
  checkVersion,
  generichash,
  NONCE_BYTES,
  rng,
  SIGNATURE_BYTES,
  signDetached,
  VERSION,
  verifyDetached,
} from "./primitives.js";

export const INSTRUCTION_HEADER_BYTES = 74;
export const MIN_INSTRUCTION_BYTES = INSTRUCTION_HEADER_BYTES + SIGNATURE_BYTES + NONCE_BYTES + 16;
export const NO_SUBJECT = "00000000-0000-0000-0000-000000000000";
/** What an instruction document is; REPLY is the only type a secretary may write. */
export const DocType = Object.freeze({
  PRACTICE_CARD: 0x01,
  CALL_RULES: 0x02,
  CUSTOM_FIELDS: 0x03,
  CLOSURES: 0x04,
  ON_CALL: 0x05,
  FORM_TEMPLATES: 0x06,
  CATALOGUE: 0x07, // suppliers and products of order forms
  BUSY_SLOTS: 0x08,
  REQUEST: 0x10,
  REPLY: 0x11,
});
const TYPES = new Set(Object.values(DocType));
const SIGNATURE_LABEL = utf8Encode("permanence/v1/instruction\0");
const SIGNATURE_END = INSTRUCTION_HEADER_BYTES + SIGNATURE_BYTES;
const NONCE_END = SIGNATURE_END + NONCE_BYTES;
const MAX_U32 = 2 ** 32 - 1;

/** Whether an assigned secretary may author a document of `type` (else members only). */
export function secretariesMayWrite(type) {
  return type === DocType.REPLY;
}

function counter(n) {
  return Number.isInteger(n) && n >= 1 && n <= MAX_U32;
}

/** The 74 header bytes of `{ type, documentId, clientId, authorId, subjectId?, version, revision }`. */
export function encodeInstructionHeader({
  type,
  documentId,
  clientId,
  authorId,
  subjectId = NO_SUBJECT,
  version,
  revision,
}) {
  if (!TYPES.has(type)) throw new MalformedInput("type is a DocType");
  if (!counter(version) || !counter(revision)) {
    throw new MalformedInput("a team key version and a revision are 1..2^32-1");
  }
  const numbers = new Uint8Array(8);
  const view = new DataView(numbers.buffer);
  view.setUint32(0, version);
  view.setUint32(4, revision);
  return concatBytes(
    Uint8Array.of(VERSION, type),
    uuidToBytes(documentId),
    uuidToBytes(clientId),
    uuidToBytes(authorId),
    uuidToBytes(subjectId),
    numbers,
  );
}

/** Parse 74 header bytes: UnsupportedVersion, else any anomaly is DecryptionFailed. */
export function decodeInstructionHeader(bytes) {
  checkVersion(bytes);
  if (bytes.length !== INSTRUCTION_HEADER_BYTES || !TYPES.has(bytes[1])) {
    throw new DecryptionFailed();
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + 66, 8);
  const version = view.getUint32(0);
  const revision = view.getUint32(4);
  if (version === 0 || revision === 0) throw new DecryptionFailed();
  return Object.freeze({
    type: bytes[1],
    documentId: bytesToUuid(bytes.subarray(2, 18)),
    clientId: bytesToUuid(bytes.subarray(18, 34)),
    authorId: bytesToUuid(bytes.subarray(34, 50)),
    subjectId: bytesToUuid(bytes.subarray(50, 66)),
    version,
    revision,
  });
}

function signedMessage(header, nonce, ciphertext) {
  return concatBytes(SIGNATURE_LABEL, header, generichash(32, concatBytes(nonce, ciphertext)));
}

/**
 * Encrypt `body` (a JSON object, written canonically) under the team key of `headerFields.version`
 * and sign it with the author's Ed25519 seed. `randomBytes` (vectors only) draws the nonce.
 */
export function sealInstruction(teamKey, headerFields, body, authorSeed, { randomBytes } = {}) {
  requireBytes("team key", teamKey, 32);
  requireBytes("author Ed25519 seed", authorSeed, 32);
  const header = encodeInstructionHeader(headerFields);
  const nonce = rng(randomBytes)(NONCE_BYTES);
  const ciphertext = aeadSeal(teamKey, nonce, encodeBody(body), header);
  const signature = signDetached(signedMessage(header, nonce, ciphertext), authorSeed);
  return concatBytes(header, signature, nonce, ciphertext);
}

/** The header WITHOUT checking the signature: only to find the author's key and the version. */
export function readUnverifiedInstructionHeader(envelope) {
  checkVersion(envelope);
  return decodeInstructionHeader(envelope.subarray(0, INSTRUCTION_HEADER_BYTES));
}

/** Shape and the author's signature (no key, as the server checks); the verified header. */
export function verifyInstruction(envelope, authorPublicKey) {
  const header = readUnverifiedInstructionHeader(envelope);
  if (envelope.length < MIN_INSTRUCTION_BYTES) throw new DecryptionFailed();
  const message = signedMessage(
    envelope.subarray(0, INSTRUCTION_HEADER_BYTES),
    envelope.subarray(SIGNATURE_END, NONCE_END),
    envelope.subarray(NONCE_END),
  );
  if (!verifyDetached(envelope.subarray(INSTRUCTION_HEADER_BYTES, SIGNATURE_END), message, authorPublicKey)) {
    throw new DecryptionFailed();
  }
  return header;
}

const same = (a, b) => bytesToUuid(uuidToBytes(b)) === a;

/**
 * Verify and decrypt an envelope fetched as `documentId` of `clientId`, written by `authorId`
 * (whose registered Ed25519 key is `authorPublicKey`), with `teamKey` the key of `version`;
 * `type` and `subjectId`, when given, must match too. Returns `{ header, json }`; any mismatch
 * or tampering is DecryptionFailed.
 */
export function openInstruction(
  envelope,
  { teamKey, authorPublicKey, clientId, documentId, authorId, version, type, subjectId },
) {
  requireBytes("team key", teamKey, 32);
  const header = verifyInstruction(envelope, authorPublicKey);
  if (
    !same(header.clientId, clientId) ||
    !same(header.documentId, documentId) ||
    !same(header.authorId, authorId) ||
    header.version !== version ||
    (type !== undefined && header.type !== type) ||
    (subjectId !== undefined && !same(header.subjectId, subjectId))
  ) {
    throw new DecryptionFailed();
  }
  const body = aeadOpen(
    teamKey,
    envelope.subarray(SIGNATURE_END, NONCE_END),
    envelope.subarray(NONCE_END),
    envelope.subarray(0, INSTRUCTION_HEADER_BYTES),
  );
  return Object.freeze({ header, json: decodeBody(body) });
}
