// Encodings of format v1 (docs/format.md §1): base64url without padding, hex, UUID <-> 16 bytes,
// UTF-8, Crockford base32, and byte helpers. Pure JavaScript, no libsodium needed.
import { MalformedInput } from "./errors.js";

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64URL_RE = /^[A-Za-z0-9_-]*$/;
const B64URL_INDEX = new Map([...B64URL].map((c, i) => [c, i]));

/** Base64url of `bytes`, without padding (RFC 4648 §5). */
export function toBase64url(bytes) {
  let out = "";
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63] + B64URL[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64URL[n >> 18] + B64URL[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63];
  }
  return out;
}

/** Decode unpadded base64url; refuse padding, foreign characters and non-zero trailing bits. */
export function fromBase64url(text) {
  if (typeof text !== "string" || !B64URL_RE.test(text) || text.length % 4 === 1) {
    throw new MalformedInput("not unpadded base64url");
  }
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const c of text) {
    value = (value << 6) | B64URL_INDEX.get(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  if (value & ((1 << bits) - 1)) {
    throw new MalformedInput("not canonical base64url (non-zero trailing bits)");
  }
  return out;
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Bytes of an even-length hex string. */
export function fromHex(text) {
  if (typeof text !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(text)) {
    throw new MalformedInput("not hex");
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `id16`: the 16 bytes of a canonical UUID (lowercase text form; upper case is accepted). */
export function uuidToBytes(uuid) {
  const text = typeof uuid === "string" ? uuid.toLowerCase() : "";
  if (!UUID_RE.test(text)) throw new MalformedInput("not a canonical UUID");
  return fromHex(text.replaceAll("-", ""));
}

/** Canonical lowercase UUID text of 16 bytes. */
export function bytesToUuid(bytes) {
  if (bytes.length !== 16) throw new MalformedInput("a UUID is 16 bytes");
  const h = toHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A new item id: a UUID version 7 (RFC 9562 §5.7), 48 bits of Unix milliseconds then 74
 * random bits. Ids drawn one after the other sort together, so the server's indexes on
 * item ids take each new row at their end instead of on a random page (docs/decisions.md,
 * "time-ordered item ids"); the time in it is the deposit's, which the server records anyway.
 */
export function newItemId(now = Date.now(), random = (b) => crypto.getRandomValues(b)) {
  if (!Number.isSafeInteger(now) || now < 0 || now >= 2 ** 48) {
    throw new MalformedInput("a UUIDv7 time is 0 to 2^48 - 1 milliseconds");
  }
  const bytes = random(new Uint8Array(16));
  for (let i = 5, t = now; i >= 0; i--, t = Math.floor(t / 256)) bytes[i] = t % 256;
  bytes[6] = 0x70 | (bytes[6] & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8] & 0x3f); // variant 10
  return bytesToUuid(bytes);
}

/**
 * Eight hex digits of an id that are random whatever its version, to tell items apart at a
 * glance (an order's number): the first ones of a random (version 4) id, as before UUIDv7,
 * the last ones of a version 7 id, whose first digits are its time (`vault.ids.random_digits`).
 */
export function shortItemId(id) {
  return id[14] === "7" ? id.slice(-8) : id.slice(0, 8);
}

const ENCODER = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8Encode(text) {
  return ENCODER.encode(text);
}

/** String of UTF-8 bytes; invalid UTF-8 throws (fatal decoder). */
export function utf8Decode(bytes) {
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
}

export const CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Crockford base32 of `bytes`, most significant bit first; the last group is zero-padded. */
export function crockfordEncode(bytes) {
  let out = "";
  let value = 0;
  let bits = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD_ALPHABET[(value >> bits) & 31];
    }
  }
  if (bits > 0) out += CROCKFORD_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Decode exactly `length` bytes of canonical Crockford base32 (upper case, no separators);
 * refuse a wrong length, a foreign character or non-zero padding bits.
 */
export function crockfordDecode(text, length) {
  const chars = Math.ceil((length * 8) / 5);
  if (typeof text !== "string" || text.length !== chars) {
    throw new MalformedInput("not Crockford base32 of the expected length");
  }
  const out = new Uint8Array(length);
  let value = 0;
  let bits = 0;
  let o = 0;
  for (const c of text) {
    const digit = CROCKFORD_ALPHABET.indexOf(c);
    if (digit < 0) throw new MalformedInput("not Crockford base32 of the expected length");
    value = ((value << 5) | digit) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  if (value & ((1 << bits) - 1)) throw new MalformedInput("non-zero padding bits");
  return out;
}

/** Concatenation of byte arrays. */
export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Throw MalformedInput unless `value` is a Uint8Array of `length` bytes; return it. */
export function requireBytes(name, value, length) {
  if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
    throw new MalformedInput(`${name} must be ${length ?? "some"} bytes`);
  }
  return value;
}
