// Item envelopes: call notes, messages and extracts (docs/format.md §5).
//
// header     = 0x01 || kind || urgency || id16(item) || id16(client) || id16(author)
//              || call_started_at (u64, Unix seconds UTC) || call_seconds (u32)        -- 63 bytes
// envelope   = header || sealed_key (80) || signature (64) || nonce (24) || ciphertext (>= 16)
// signature  = SIGN(author, "permanence/v1/item\0" || header || sealed_key || H(32, nonce || ciphertext))
import {
  bytesToUuid,
  concatBytes,
  requireBytes,
  utf8Decode,
  utf8Encode,
  uuidToBytes,
} from "./encoding.js";
import { DecryptionFailed, MalformedInput } from "./errors.js";
import {
  aeadOpen,
  aeadSeal,
  boxSeal,
  boxSealOpen,
  checkVersion,
  generichash,
  NONCE_BYTES,
  rng,
  SEAL_OVERHEAD,
  SIGNATURE_BYTES,
  signDetached,
  VERSION,
  verifyDetached,
} from "./primitives.js";

export const HEADER_BYTES = 63;
export const MAX_CALL_SECONDS = 24 * 3600;
export const SEALED_KEY_BYTES = 32 + SEAL_OVERHEAD; // 80
export const MIN_ENVELOPE_BYTES =
  HEADER_BYTES + SEALED_KEY_BYTES + SIGNATURE_BYTES + NONCE_BYTES + 16;
export const ItemKind = Object.freeze({ CALL_NOTE: 0x01, MESSAGE: 0x02, EXTRACT: 0x03, FORM: 0x04 });
export const Urgency = Object.freeze({ LOW: 0x00, NORMAL: 0x01, URGENT: 0x02 });
const KINDS = new Set(Object.values(ItemKind));
const URGENCIES = new Set(Object.values(Urgency));
const SIGNATURE_LABEL = utf8Encode("permanence/v1/item\0");

const SEALED_KEY_END = HEADER_BYTES + SEALED_KEY_BYTES;
const SIGNATURE_END = SEALED_KEY_END + SIGNATURE_BYTES;
const NONCE_END = SIGNATURE_END + NONCE_BYTES;

function checkCallTime(kind, callStartedAt, callSeconds) {
  if (kind === ItemKind.CALL_NOTE) {
    return (
      Number.isSafeInteger(callStartedAt) &&
      callStartedAt >= 0 &&
      Number.isSafeInteger(callSeconds) &&
      callSeconds >= 0 &&
      callSeconds <= MAX_CALL_SECONDS
    );
  }
  return callStartedAt === 0 && callSeconds === 0;
}

/**
 * The 63 header bytes of `{ kind, urgency, itemId, clientId, authorId, callStartedAt,
 * callSeconds }` (ids as UUID text; the call time, Unix seconds and a duration, only for a
 * call note, 0 otherwise and by default).
 */
export function encodeHeader({
  kind,
  urgency,
  itemId,
  clientId,
  authorId,
  callStartedAt = 0,
  callSeconds = 0,
}) {
  if (!KINDS.has(kind) || !URGENCIES.has(urgency)) {
    throw new MalformedInput("kind is an ItemKind and urgency an Urgency");
  }
  if (!checkCallTime(kind, callStartedAt, callSeconds)) {
    throw new MalformedInput("a call note's call lasts 0..86400 s; other kinds have no call time");
  }
  const call = new Uint8Array(12);
  const view = new DataView(call.buffer);
  view.setBigUint64(0, BigInt(callStartedAt));
  view.setUint32(8, callSeconds);
  return concatBytes(
    Uint8Array.of(VERSION, kind, urgency),
    uuidToBytes(itemId),
    uuidToBytes(clientId),
    uuidToBytes(authorId),
    call,
  );
}

/**
 * Parse 63 header bytes: UnsupportedVersion for an unknown version, else any anomaly (call
 * time on another kind than a call note, a call over 24 hours) is DecryptionFailed.
 */
export function decodeHeader(bytes) {
  checkVersion(bytes);
  if (bytes.length !== HEADER_BYTES || !KINDS.has(bytes[1]) || !URGENCIES.has(bytes[2])) {
    throw new DecryptionFailed();
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + 51, 12);
  const started = view.getBigUint64(0);
  const callSeconds = view.getUint32(8);
  if (started > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecryptionFailed();
  const callStartedAt = Number(started);
  if (!checkCallTime(bytes[1], callStartedAt, callSeconds)) throw new DecryptionFailed();
  return Object.freeze({
    kind: bytes[1],
    urgency: bytes[2],
    itemId: bytesToUuid(bytes.subarray(3, 19)),
    clientId: bytesToUuid(bytes.subarray(19, 35)),
    authorId: bytesToUuid(bytes.subarray(35, 51)),
    callStartedAt,
    callSeconds,
  });
}

function sortedValue(value) {
  if (Array.isArray(value)) return value.map(sortedValue);
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = sortedValue(value[key]);
    return out;
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new MalformedInput("a body holds no NaN or Infinity");
  }
  return value;
}

/** Canonical body: UTF-8 JSON object, keys sorted, no insignificant whitespace. */
export function encodeBody(body) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new MalformedInput("a body is a JSON object");
  }
  return utf8Encode(JSON.stringify(sortedValue(body)));
}

/** Parse a body; anything but a UTF-8 JSON object is DecryptionFailed. */
export function decodeBody(bytes) {
  let value;
  try {
    value = JSON.parse(utf8Decode(bytes));
  } catch {
    throw new DecryptionFailed();
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new DecryptionFailed();
  }
  return value;
}

function signedMessage(header, sealedKey, nonce, ciphertext) {
  const ctHash = generichash(32, concatBytes(nonce, ciphertext));
  return concatBytes(SIGNATURE_LABEL, header, sealedKey, ctHash);
}

/**
 * Encrypt `body` (a JSON object, or already-encoded bytes) for the practice and sign it with
 * the author's Ed25519 seed; `headerFields` as `encodeHeader` takes them. Returns the envelope bytes. `randomBytes` (vectors only) draws,
 * in order, the content key (32), the nonce (24) and the sealed box's ephemeral key (32).
 */
export function sealItem(headerFields, body, practicePublicKey, authorSeed, { randomBytes } = {}) {
  const header = encodeHeader(headerFields);
  const plain = body instanceof Uint8Array ? body : encodeBody(body);
  requireBytes("practice public key", practicePublicKey, 32);
  requireBytes("author Ed25519 seed", authorSeed, 32);
  const draw = rng(randomBytes);
  const contentKey = draw(32);
  const nonce = draw(NONCE_BYTES);
  const ciphertext = aeadSeal(contentKey, nonce, plain, header);
  const sealedKey = boxSeal(contentKey, practicePublicKey, randomBytes ?? null);
  const signature = signDetached(signedMessage(header, sealedKey, nonce, ciphertext), authorSeed);
  return concatBytes(header, sealedKey, signature, nonce, ciphertext);
}

/** The header WITHOUT checking the signature: only to find which author's key to fetch. */
export function readUnverifiedHeader(envelope) {
  checkVersion(envelope);
  return decodeHeader(envelope.subarray(0, HEADER_BYTES));
}

/**
 * Check structure and the author's signature (no secret needed, as the server does).
 * Returns the verified header; any failure is DecryptionFailed.
 */
export function verifyEnvelope(envelope, authorPublicKey) {
  const header = readUnverifiedHeader(envelope);
  if (envelope.length < MIN_ENVELOPE_BYTES) throw new DecryptionFailed();
  const message = signedMessage(
    envelope.subarray(0, HEADER_BYTES),
    envelope.subarray(HEADER_BYTES, SEALED_KEY_END),
    envelope.subarray(SIGNATURE_END, NONCE_END),
    envelope.subarray(NONCE_END),
  );
  if (!verifyDetached(envelope.subarray(SEALED_KEY_END, SIGNATURE_END), message, authorPublicKey)) {
    throw new DecryptionFailed();
  }
  return header;
}

/**
 * Verify, unseal and decrypt an envelope fetched as `itemId` of `clientId`, written by
 * `authorId` whose Ed25519 public key the caller looked up. Returns `{ header, body (bytes),
 * json (object) }`. An envelope moved to another item, practice or author, or tampered with
 * in any way, is DecryptionFailed.
 */
export function openItem(
  envelope,
  { authorPublicKey, practiceSecretKey, itemId, clientId, authorId },
) {
  const header = verifyEnvelope(envelope, authorPublicKey);
  const expected = [itemId, clientId, authorId].map((id) => bytesToUuid(uuidToBytes(id)));
  if (
    header.itemId !== expected[0] ||
    header.clientId !== expected[1] ||
    header.authorId !== expected[2]
  ) {
    throw new DecryptionFailed();
  }
  const contentKey = boxSealOpen(
    envelope.subarray(HEADER_BYTES, SEALED_KEY_END),
    practiceSecretKey,
  );
  const body = aeadOpen(
    contentKey,
    envelope.subarray(SIGNATURE_END, NONCE_END),
    envelope.subarray(NONCE_END),
    envelope.subarray(0, HEADER_BYTES),
  );
  return Object.freeze({ header, body, json: decodeBody(body) });
}
