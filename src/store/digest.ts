/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE (Redis 7.0's debug.c): a SHA1-based
 * fingerprint of the dataset that does not depend on iteration order, so two
 * servers holding the same data agree on it.
 *
 * - `xorDigest(d, data)`: d ^= SHA1(data) — for unordered elements;
 * - `mixDigest(d, data)`: d = SHA1(d ^ SHA1(data)) — for ordered ones.
 *
 * A value's digest (xorObjectDigest) mixes its type as a 4-byte big-endian
 * integer, then: a string's bytes; each list element in order; for a set
 * the xor of its members' SHA1s; for a hash and a sorted set the xor of one
 * digest per pair (mix of field then value; of member then the score printed
 * with "%.17g", which is what 7.0 does for both the listpack and the skiplist
 * encoding); and finally xors SHA1("!!expire!!") when the key has a TTL.
 * The dataset digest mixes each non-empty db's index (4 bytes big endian)
 * and xors in the SHA1 of every key's digest (the key mixed first, then the
 * value's).
 *
 * @module
 */
import { sha1 } from "../util/sha1.ts";
import { formatDouble } from "../util/numbers.ts";
import { List } from "./list.ts";
import { StringSet } from "./set.ts";
import { ZSet } from "./zset.ts";
import type { Keyspace } from "./keyspace.ts";
import type { RedisValue } from "./types.ts";
import { unpacked } from "./packed.ts";

/** Redis's OBJ_STRING … OBJ_HASH type codes. */
const OBJ_STRING = 0;
const OBJ_LIST = 1;
const OBJ_SET = 2;
const OBJ_ZSET = 3;
const OBJ_HASH = 4;

const EXPIRE_MARK = "!!expire!!";

/** The bytes of a byte string (latin1 identity). */
function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** digest ^= SHA1(data). */
function xorDigest(digest: Uint8Array, data: Uint8Array): void {
  const hash = sha1(data);
  for (let j = 0; j < 20; j++) digest[j] ^= hash[j];
}

/** digest = SHA1(digest ^ SHA1(data)). */
function mixDigest(digest: Uint8Array, data: Uint8Array): void {
  xorDigest(digest, data);
  digest.set(sha1(digest));
}

function uint32BE(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

function hex(digest: Uint8Array): string {
  let out = "";
  for (const b of digest) out += b.toString(16).padStart(2, "0");
  return out;
}

/** xorObjectDigest: mixes `value` (and its TTL flag) into `digest`. */
function xorObjectDigest(digest: Uint8Array, value: RedisValue, hasExpire: boolean): void {
  if (typeof value === "string") {
    mixDigest(digest, uint32BE(OBJ_STRING));
    mixDigest(digest, bytesOf(value));
  } else if (value instanceof List) {
    mixDigest(digest, uint32BE(OBJ_LIST));
    for (const element of value) mixDigest(digest, bytesOf(element));
  } else if (value instanceof StringSet) {
    mixDigest(digest, uint32BE(OBJ_SET));
    for (const member of value) xorDigest(digest, bytesOf(member));
  } else if (value instanceof ZSet) {
    mixDigest(digest, uint32BE(OBJ_ZSET));
    // A listpack cannot hold -0: Redis stores it as the integer 0.
    const listpack = value.encoding === "listpack";
    const element = new Uint8Array(20);
    for (const [member, score] of value) {
      element.fill(0);
      mixDigest(element, bytesOf(member));
      mixDigest(element, bytesOf(formatDouble(listpack && score === 0 ? 0 : score)));
      xorDigest(digest, element);
    }
  } else {
    mixDigest(digest, uint32BE(OBJ_HASH));
    const element = new Uint8Array(20);
    for (const [field, v] of value) {
      element.fill(0);
      mixDigest(element, bytesOf(field));
      mixDigest(element, bytesOf(v));
      xorDigest(digest, element);
    }
  }
  if (hasExpire) xorDigest(digest, bytesOf(EXPIRE_MARK));
}

/**
 * DEBUG DIGEST-VALUE for one value: 40 hex digits. `hasExpire` is whether
 * the key has a TTL (Redis mixes that in). A missing key's digest is all
 * zeros (`"0".repeat(40)`), which the caller replies without calling this.
 */
export function valueDigest(value: RedisValue, hasExpire = false): string {
  const digest = new Uint8Array(20);
  xorObjectDigest(digest, value, hasExpire);
  return hex(digest);
}

/**
 * DEBUG DIGEST (computeDatasetDigest): 40 hex digits over every db, all zeros
 * for an empty dataset. Keys whose TTL passed but that are not deleted yet
 * count, as in Redis (it walks the dicts directly).
 */
export function datasetDigest(keyspace: Keyspace): string {
  const final = new Uint8Array(20);
  const digest = new Uint8Array(20);
  for (const db of keyspace.dbs) {
    if (db.dict.size === 0) continue;
    mixDigest(final, uint32BE(db.id));
    for (const [key, value] of db.dict) {
      digest.fill(0);
      mixDigest(digest, bytesOf(key));
      xorObjectDigest(digest, unpacked(value), db.expires.has(key));
      xorDigest(final, digest);
    }
  }
  return hex(final);
}
