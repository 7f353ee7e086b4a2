/**
 * RDB decoder: reads what Redis 7.0 writes (RDB version ≤ 10) and the older
 * encodings it still loads (zipmap, ziplist, quicklist v1, string scores), like
 * rdb.c's `rdbLoadRio` and `rdbLoadObject`.
 *
 * `RdbDecoder` is driven one key at a time (`next()`), so a loader can yield
 * between keys; `decodeRdb` decodes a whole file. Everything is validated as it
 * is read: corrupt, truncated or unsupported input raises an `RdbError` naming
 * the problem and the byte offset, never another exception.
 */
import { crc64Init, type Crc64State, crc64Update } from "./crc64.ts";
import { intsetEntries } from "./intset.ts";
import { listpackEntries } from "./listpack.ts";
import { lzfDecompress } from "./lzf.ts";
import {
  DUMP_FOOTER_SIZE,
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_32BITLEN,
  RDB_64BITLEN,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_INT8,
  RDB_ENC_LZF,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_FUNCTION_PRE_GA,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_MODULE_AUX,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_MODULE_2,
  RDB_TYPE_MODULE_PRE_GA,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_SET_LISTPACK,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_ZSET_ZIPLIST,
  RDB_VERSION,
  strtod,
} from "./rdb_constants.ts";
import { ziplistEntries, zipmapEntries } from "./ziplist.ts";
import { bytesToString } from "../util/bytes.ts";
import { Hash } from "../store/hash.ts";
import { List } from "../store/list.ts";
import { StringSet } from "../store/set.ts";
import { ZSet } from "../store/zset.ts";
import type { RedisHash, RedisValue } from "../store/types.ts";

/** What went wrong, for callers that react differently (RESTORE, replica sync, start-up). */
export type RdbErrorKind =
  /** Bad magic or an RDB version this server cannot read. */
  | "version"
  /** The data ends before the structure does. */
  | "eof"
  /** Structurally invalid data. */
  | "corrupt"
  /** The stored CRC-64 does not match. */
  | "checksum"
  /** Valid RDB this server cannot load (streams, modules, functions, too many dbs). */
  | "unsupported"
  /** A DUMP payload whose footer (version or CRC) is wrong. */
  | "payload";

/** An RDB file or DUMP payload that cannot be loaded. */
export class RdbError extends Error {
  /** The problem, in Redis's words where it has some. */
  readonly reason: string;
  /** Byte offset in the input where the problem was found. */
  readonly offset: number;
  /** The class of problem. */
  readonly kind: RdbErrorKind;

  /** Creates an error; the message is the reason followed by the offset. */
  constructor(reason: string, offset: number, kind: RdbErrorKind, options?: ErrorOptions) {
    super(`${reason} (RDB offset ${offset})`, options);
    this.name = "RdbError";
    this.reason = reason;
    this.offset = offset;
    this.kind = kind;
  }
}

/** rdb.c's wording when the input ends early. */
export const SHORT_READ_REASON =
  "Short read or OOM loading DB. Unrecoverable error, aborting now. Unexpected EOF reading RDB file";

/** Decoder settings. */
export interface RdbDecoderOptions {
  /** Verify the CRC-64 trailer (`rdbchecksum yes`; a stored 0 is never checked). Default true. */
  verifyChecksum?: boolean;
  /** `databases`: SELECTDB beyond this is refused. Default 16. */
  databases?: number;
}

/** One key as read from the file. */
export interface RdbEntry {
  /** The db the key belongs to. */
  db: number;
  /** The key (a byte string). */
  key: string;
  /** The value. */
  value: RedisValue;
  /** Absolute expire time in unix milliseconds, if the key has one (may be in the past). */
  expireAtMs: number | undefined;
  /** LFU counter (FREQ opcode), if present. */
  lfuFreq: number | undefined;
  /** LRU idle seconds (IDLE opcode), if present. */
  lruIdle: number | undefined;
}

/**
 * A value as decoded, before it becomes a store value: a string, or a
 * collection as flat arrays of its byte strings (a hash's `pairs` are field,
 * value, field, value…). Members and fields are distinct and scores never
 * NaN (the decoder refused the file otherwise); sorted sets are in file
 * order. Plain arrays, because they cross to another thread by structured
 * clone far cheaper than Maps and Sets do (V8 rebuilds those one call per
 * entry).
 */
export type RdbPlainValue =
  | string
  | { type: "list"; elements: string[] }
  | { type: "hash"; pairs: string[] }
  | { type: "set"; members: string[] }
  | { type: "zset"; members: string[]; scores: number[] };

/** One key as read from the file, with its value in plain form. */
export interface RdbPlainEntry extends Omit<RdbEntry, "value"> {
  /** The value. */
  value: RdbPlainValue;
  /** The value's RDB object type (the byte before the key). */
  rdbType: number;
  /** Where the value's body starts and ends in the decoder's bytes ({@link RdbDecoder.bytes}). */
  bodyStart: number;
  bodyEnd: number;
}

/**
 * Where {@link RdbDecoder.nextInto} copies the bytes of each key, and of each
 * string value, instead of making JS strings of them: the load worker's batch
 * text, which the main thread makes the strings from anyway.
 */
export interface RdbByteSink {
  /** Appends `bytes[start, end)` as the next string. */
  append(bytes: Uint8Array, start: number, end: number): void;
  /** Strings appended so far. */
  readonly count: number;
  /** Drops the strings appended from the `count`th on. */
  truncate(count: number): void;
  /** String `k` as a byte string (for error messages). */
  stringAt(k: number): string;
}

/** One key from {@link RdbDecoder.nextInto}: its bytes went to the sink. */
export interface RdbSinkEntry extends Omit<RdbPlainEntry, "key" | "value"> {
  /** A collection, or undefined for a string (whose bytes followed the key's into the sink). */
  value: Exclude<RdbPlainValue, string> | undefined;
}

/** What the decoder reads per key: an RdbPlainEntry, or with a sink an RdbSinkEntry (key ""). */
type DecodedEntry = Omit<RdbPlainEntry, "value"> & { value: RdbPlainValue | undefined };

/** The store value of a plain value. Takes ownership of its arrays. */
export function storeValue(value: RdbPlainValue): RedisValue {
  if (typeof value === "string") return value;
  switch (value.type) {
    case "list":
      return List.fromArray(value.elements);
    case "hash":
      return hashFromPairs(value.pairs);
    case "set":
      return StringSet.from(value.members);
    case "zset":
      return ZSet.fromEntries(value.members, value.scores);
  }
}

/** A hash of the field/value pairs in `pairs`, or in `pairs[range.start, range.end)`. */
export function hashFromPairs(
  pairs: readonly string[],
  range: { start: number; end: number } = { start: 0, end: pairs.length },
): RedisHash {
  const { start, end } = range;
  const hash = new Hash();
  for (let i = start; i < end; i += 2) hash.set(pairs[i], pairs[i + 1]);
  return hash;
}

/** Collections up to this size are checked for duplicates by a scan instead of a Set. */
const DUPLICATE_SCAN_MAX = 16;

/**
 * Whether `item` is already among `items[0]`, `items[stride]`, … (`seen`,
 * when defined, holds them all and learns `item`).
 */
function isDuplicate(
  items: readonly string[],
  item: string,
  stride: number,
  seen: Set<string> | undefined,
): boolean {
  if (seen !== undefined) {
    if (seen.has(item)) return true;
    seen.add(item);
    return false;
  }
  for (let i = 0; i < items.length; i += stride) if (items[i] === item) return true;
  return false;
}

/** Whether any of `items[0]`, `items[stride]`, … occurs twice. */
function hasRepeats(items: readonly string[], stride: number): boolean {
  const n = items.length;
  if (n / stride > DUPLICATE_SCAN_MAX) {
    const seen = new Set<string>();
    for (let i = 0; i < n; i += stride) seen.add(items[i]);
    return seen.size !== Math.ceil(n / stride);
  }
  for (let i = stride; i < n; i += stride) {
    const item = items[i];
    for (let j = 0; j < i; j += stride) if (items[j] === item) return true;
  }
  return false;
}

/** A Set for {@link isDuplicate} when a collection of `n` is too large to scan. */
function duplicateSet(n: number): Set<string> | undefined {
  return n > DUPLICATE_SCAN_MAX ? new Set<string>() : undefined;
}

/** The aux fields of a file, raw and interpreted like rdbLoadRio does. */
export interface RdbAuxInfo {
  /** Every aux field, in file order (later duplicates win). */
  fields: Map<string, string>;
  /** `redis-ver`. */
  redisVer?: string;
  /** `redis-bits`. */
  redisBits?: number;
  /** `ctime`, unix seconds. */
  ctime?: number;
  /** `used-mem`, bytes. */
  usedMem?: number;
  /** `repl-stream-db`. */
  replStreamDb?: number;
  /** `repl-id`, only when it is 40 characters long (like Redis). */
  replId?: string;
  /** `repl-offset`. */
  replOffset?: number;
  /** `aof-base` (true when non-zero). */
  aofBase?: boolean;
  /** `aof-preamble` (true when non-zero), from older AOF files. */
  aofPreamble?: boolean;
}

/** RESIZEDB hints for one db. */
export interface RdbResizeHint {
  /** Keys in the db. */
  size: number;
  /** Keys with an expire. */
  expiresSize: number;
}

const TWO_32 = 4294967296;
/** Largest expansion LZF can achieve: 3 bytes of back reference yield 264. */
const LZF_MAX_RATIO = 88;
const CRC_SLICE = 1 << 20;
const MODULE_NAME_CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** module.c `moduleTypeNameByID`: the 9-character name in a module type id. */
function moduleTypeName(id: bigint): string {
  let v = id >> 10n;
  const chars: string[] = [];
  for (let j = 0; j < 9; j++) {
    chars.unshift(MODULE_NAME_CHARSET[Number(v & 63n)]);
    v >>= 6n;
  }
  return chars.join("");
}

/** C's atoi/strtoll prefix parse, 0 when there are no digits. */
function atoi(s: string): number {
  const n = parseInt(s, 10);
  return Number.isNaN(n) ? 0 : n;
}

/**
 * Reads RDB primitives and objects from `bytes[start, end)`. Shared by the
 * file decoder and the DUMP payload decoder.
 */
class RdbReader {
  b: Uint8Array;
  p: number;
  end: number;
  /** Set by readLen(): the length was a special encoding. */
  isEncoded = false;
  #scratch = new Uint8Array(256);
  #dv: DataView;

  constructor(bytes: Uint8Array, start: number, end: number) {
    this.b = bytes;
    this.p = start;
    this.end = end;
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The same input, longer (see RdbDecoder.extend). */
  extend(bytes: Uint8Array): void {
    this.b = bytes;
    this.end = bytes.length;
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  eof(offset = this.p): RdbError {
    return new RdbError(SHORT_READ_REASON, offset, "eof");
  }

  corrupt(reason: string, offset = this.p): RdbError {
    return new RdbError(reason, offset, "corrupt");
  }

  need(n: number): void {
    if (this.p + n > this.end) throw this.eof();
  }

  byte(): number {
    if (this.p >= this.end) throw this.eof();
    return this.b[this.p++];
  }

  /** `rdbLoadLenByRef`: a length, or with `isEncoded` set, a special encoding number. */
  readLen(): number {
    const b0 = this.byte();
    const type = b0 >>> 6;
    this.isEncoded = false;
    if (type === 3) {
      this.isEncoded = true;
      return b0 & 0x3f;
    }
    if (type === 0) return b0 & 0x3f;
    if (type === 1) return ((b0 & 0x3f) << 8) | this.byte();
    if (b0 === RDB_32BITLEN) {
      this.need(4);
      const v = this.#dv.getUint32(this.p, false);
      this.p += 4;
      return v;
    }
    if (b0 === RDB_64BITLEN) {
      this.need(8);
      const hi = this.#dv.getUint32(this.p, false);
      const lo = this.#dv.getUint32(this.p + 4, false);
      this.p += 8;
      return hi * TWO_32 + lo; // beyond 2^53 it is inexact, and far beyond any real count
    }
    throw this.corrupt(`Unknown length encoding ${type} in rdbLoadLen()`, this.p - 1);
  }

  /** A plain (never encoded) length, as counts are. */
  readCount(): number {
    const at = this.p;
    const n = this.readLen();
    if (this.isEncoded) throw this.corrupt(`Unexpected encoded length ${n}`, at);
    return n;
  }

  /** A 64 bit length as a bigint (module ids). */
  readLenBig(): bigint {
    const at = this.p;
    const b0 = this.byte();
    if (b0 === RDB_64BITLEN) {
      this.need(8);
      const v = this.#dv.getBigUint64(this.p, false);
      this.p += 8;
      return v;
    }
    this.p = at;
    return BigInt(this.readCount());
  }

  /**
   * `rdbGenericLoadStringObject` into a position range: returns the bytes as
   * `[array, start, end]` without copying verbatim strings.
   */
  readStringRange(): [Uint8Array, number, number] {
    const at = this.p;
    const len = this.readLen();
    if (this.isEncoded) {
      switch (len) {
        case RDB_ENC_INT8:
        case RDB_ENC_INT16:
        case RDB_ENC_INT32: {
          const s = String(this.#readEncodedInt(len));
          const buf = this.#ensureScratch(s.length);
          for (let i = 0; i < s.length; i++) buf[i] = s.charCodeAt(i);
          return [buf, 0, s.length];
        }
        case RDB_ENC_LZF:
          return this.#readLzf(at);
        default:
          throw this.corrupt(`Unknown RDB string encoding type ${len}`, at);
      }
    }
    if (this.p + len > this.end) throw this.eof();
    const start = this.p;
    this.p += len;
    return [this.b, start, this.p];
  }

  /** A string into `sink` (see RdbByteSink). */
  readStringInto(sink: RdbByteSink): void {
    const [bytes, start, end] = this.readStringRange();
    sink.append(bytes, start, end);
  }

  /** A string as a byte string. */
  readString(): string {
    const at = this.p;
    const len = this.readLen();
    if (!this.isEncoded) {
      if (this.p + len > this.end) throw this.eof();
      const start = this.p;
      this.p += len;
      return bytesToString(this.b, start, this.p);
    }
    if (len === RDB_ENC_LZF) {
      const [buf, s, e] = this.#readLzf(at);
      return bytesToString(buf, s, e);
    }
    if (len === RDB_ENC_INT8 || len === RDB_ENC_INT16 || len === RDB_ENC_INT32) {
      return String(this.#readEncodedInt(len));
    }
    throw this.corrupt(`Unknown RDB string encoding type ${len}`, at);
  }

  /**
   * A string blob (listpack, ziplist, intset…) as a range; LZF and integer
   * forms live in a scratch buffer that the next read may overwrite.
   */
  readBlob(): [Uint8Array, number, number] {
    return this.readStringRange();
  }

  #readEncodedInt(enc: number): number {
    if (enc === RDB_ENC_INT8) {
      this.need(1);
      return this.#dv.getInt8(this.p++);
    }
    if (enc === RDB_ENC_INT16) {
      this.need(2);
      const v = this.#dv.getInt16(this.p, true);
      this.p += 2;
      return v;
    }
    this.need(4);
    const v = this.#dv.getInt32(this.p, true);
    this.p += 4;
    return v;
  }

  #ensureScratch(n: number): Uint8Array {
    if (this.#scratch.length < n) {
      this.#scratch = new Uint8Array(Math.max(n, this.#scratch.length * 2));
    }
    return this.#scratch;
  }

  #readLzf(at: number): [Uint8Array, number, number] {
    const clen = this.readCount();
    const len = this.readCount();
    if (this.p + clen > this.end) throw this.eof();
    if (clen === 0 || len > clen * LZF_MAX_RATIO + 32) {
      throw this.corrupt("Invalid LZF compressed string", at);
    }
    const out = this.#ensureScratch(len);
    const n = lzfDecompress(this.b, this.p, clen, out, 0, len);
    if (n !== len) throw this.corrupt("Invalid LZF compressed string", at);
    this.p += clen;
    return [out, 0, len];
  }

  /** `rdbLoadDoubleValue`: the pre-RDB-8 string form of a score. */
  readStringDouble(): number {
    const at = this.p;
    const len = this.byte();
    if (len === 255) return -Infinity;
    if (len === 254) return Infinity;
    if (len === 253) return NaN;
    this.need(len);
    const s = bytesToString(this.b, this.p, this.p + len);
    this.p += len;
    const v = strtod(s);
    if (Number.isNaN(v) && !/^\s*[+-]?nan/i.test(s)) {
      throw this.corrupt("Error reading double value", at);
    }
    return v;
  }

  /** `rdbLoadBinaryDoubleValue`. */
  readBinaryDouble(): number {
    this.need(8);
    const v = this.#dv.getFloat64(this.p, true);
    this.p += 8;
    return v;
  }

  /** A signed 64 bit little-endian integer as a number (times in ms). */
  readInt64(): number {
    this.need(8);
    const lo = this.#dv.getUint32(this.p, true);
    const hi = this.#dv.getInt32(this.p + 4, true);
    this.p += 8;
    return hi * TWO_32 + lo;
  }

  /** A signed 32 bit little-endian integer. */
  readInt32(): number {
    this.need(4);
    const v = this.#dv.getInt32(this.p, true);
    this.p += 4;
    return v;
  }

  /**
   * `rdbLoadObject`: the value of `type` at the current position, or
   * undefined for an empty collection (which Redis skips).
   */
  readObject(type: number, key: string, typeOffset: number): RdbPlainValue | undefined {
    switch (type) {
      case RDB_TYPE_STRING:
        return this.readString();
      case RDB_TYPE_LIST: {
        const len = this.readCount();
        if (len === 0) return undefined;
        const elements: string[] = [];
        for (let i = 0; i < len; i++) elements.push(this.readString());
        return { type: "list", elements };
      }
      case RDB_TYPE_SET: {
        const len = this.readCount();
        if (len === 0) return undefined;
        const members: string[] = [];
        const seen = duplicateSet(len);
        for (let i = 0; i < len; i++) {
          const at = this.p;
          const m = this.readString();
          if (isDuplicate(members, m, 1, seen)) {
            throw this.corrupt("Duplicate set members detected", at);
          }
          members.push(m);
        }
        return { type: "set", members };
      }
      case RDB_TYPE_ZSET:
      case RDB_TYPE_ZSET_2: {
        const len = this.readCount();
        if (len === 0) return undefined;
        const members: string[] = [];
        const scores: number[] = [];
        const seen = duplicateSet(len);
        for (let i = 0; i < len; i++) {
          const at = this.p;
          const m = this.readString();
          const score = type === RDB_TYPE_ZSET_2
            ? this.readBinaryDouble()
            : this.readStringDouble();
          if (Number.isNaN(score)) throw this.corrupt("Zset with NAN score detected", at);
          if (isDuplicate(members, m, 1, seen)) {
            throw this.corrupt("Duplicate zset fields detected", at);
          }
          members.push(m);
          scores.push(score);
        }
        return { type: "zset", members, scores };
      }
      case RDB_TYPE_HASH: {
        const len = this.readCount();
        if (len === 0) return undefined;
        const pairs: string[] = [];
        const seen = duplicateSet(len);
        for (let i = 0; i < len; i++) {
          const at = this.p;
          const f = this.readString();
          const v = this.readString();
          if (isDuplicate(pairs, f, 2, seen)) {
            throw this.corrupt("Duplicate hash fields detected", at);
          }
          pairs.push(f, v);
        }
        return { type: "hash", pairs };
      }
      case RDB_TYPE_LIST_QUICKLIST:
      case RDB_TYPE_LIST_QUICKLIST_2: {
        const nodes = this.readCount();
        if (nodes === 0) return undefined;
        let elements: string[] = [];
        for (let i = 0; i < nodes; i++) {
          let container = QUICKLIST_NODE_CONTAINER_PACKED;
          if (type === RDB_TYPE_LIST_QUICKLIST_2) {
            const at = this.p;
            container = this.readCount();
            if (
              container !== QUICKLIST_NODE_CONTAINER_PACKED &&
              container !== QUICKLIST_NODE_CONTAINER_PLAIN
            ) {
              throw this.corrupt("Quicklist integrity check failed.", at);
            }
          }
          const at = this.p;
          const [buf, s, e] = this.readBlob();
          if (e === s) throw this.corrupt("Empty quicklist node", at);
          if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
            elements.push(bytesToString(buf, s, e));
            continue;
          }
          const items = type === RDB_TYPE_LIST_QUICKLIST_2
            ? listpackEntries(buf, s, e)
            : ziplistEntries(buf, s, e);
          if (items === undefined) {
            throw this.corrupt(
              type === RDB_TYPE_LIST_QUICKLIST_2
                ? "Listpack integrity check failed."
                : "Ziplist integrity check failed.",
              at,
            );
          }
          if (elements.length === 0) elements = items;
          else for (let k = 0; k < items.length; k++) elements.push(items[k]);
        }
        return elements.length === 0 ? undefined : { type: "list", elements };
      }
      case RDB_TYPE_HASH_ZIPMAP:
      case RDB_TYPE_LIST_ZIPLIST:
      case RDB_TYPE_SET_INTSET:
      case RDB_TYPE_ZSET_ZIPLIST:
      case RDB_TYPE_ZSET_LISTPACK:
      case RDB_TYPE_HASH_ZIPLIST:
      case RDB_TYPE_HASH_LISTPACK:
      case RDB_TYPE_SET_LISTPACK:
        return this.#readEncodedBlobObject(type);
      case RDB_TYPE_STREAM_LISTPACKS:
      case RDB_TYPE_STREAM_LISTPACKS_2:
      case RDB_TYPE_STREAM_LISTPACKS_3:
        throw new RdbError(
          `stream values are not supported (key '${key}', RDB type ${type})`,
          typeOffset,
          "unsupported",
        );
      case RDB_TYPE_MODULE_PRE_GA:
      case RDB_TYPE_MODULE_2: {
        const id = this.readLenBig();
        throw new RdbError(
          `The RDB file contains module data I can't load: no matching module type ` +
            `'${moduleTypeName(id)}' (key '${key}')`,
          typeOffset,
          "unsupported",
        );
      }
      default:
        throw this.corrupt(`Unknown RDB encoding type ${type}`, typeOffset);
    }
  }

  #readEncodedBlobObject(type: number): RdbPlainValue | undefined {
    const at = this.p;
    const [buf, s, e] = this.readBlob();
    switch (type) {
      case RDB_TYPE_HASH_ZIPMAP: {
        const items = zipmapEntries(buf, s, e);
        if (items === undefined) throw this.corrupt("Zipmap integrity check failed.", at);
        this.#checkPairs(items, at, "Hash zipmap with dup elements");
        return items.length === 0 ? undefined : { type: "hash", pairs: items };
      }
      case RDB_TYPE_LIST_ZIPLIST: {
        const items = ziplistEntries(buf, s, e);
        if (items === undefined) throw this.corrupt("List ziplist integrity check failed.", at);
        return items.length === 0 ? undefined : { type: "list", elements: items };
      }
      case RDB_TYPE_SET_INTSET: {
        const items = intsetEntries(buf, s, e);
        if (items === undefined) throw this.corrupt("Intset integrity check failed.", at);
        // Validated strictly ascending, so distinct.
        return { type: "set", members: items };
      }
      case RDB_TYPE_SET_LISTPACK: {
        const items = listpackEntries(buf, s, e);
        if (items === undefined) throw this.corrupt("Set listpack integrity check failed.", at);
        if (hasRepeats(items, 1)) throw this.corrupt("Set listpack integrity check failed.", at);
        return items.length === 0 ? undefined : { type: "set", members: items };
      }
      case RDB_TYPE_ZSET_ZIPLIST:
      case RDB_TYPE_ZSET_LISTPACK: {
        const zip = type === RDB_TYPE_ZSET_ZIPLIST;
        const items = zip ? ziplistEntries(buf, s, e) : listpackEntries(buf, s, e);
        const what = zip
          ? "Zset ziplist integrity check failed."
          : "Zset listpack integrity check failed.";
        if (items === undefined || items.length % 2 !== 0) throw this.corrupt(what, at);
        if (items.length === 0) return undefined;
        const count = items.length >> 1;
        const members: string[] = [];
        const scores: number[] = [];
        const seen = duplicateSet(count);
        for (let i = 0; i < items.length; i += 2) {
          const score = strtod(items[i + 1]);
          if (Number.isNaN(score)) throw this.corrupt("Zset with NAN score detected", at);
          if (isDuplicate(members, items[i], 1, seen)) throw this.corrupt(what, at);
          members.push(items[i]);
          scores.push(score);
        }
        return { type: "zset", members, scores };
      }
      default: {
        // RDB_TYPE_HASH_ZIPLIST, RDB_TYPE_HASH_LISTPACK
        const zip = type === RDB_TYPE_HASH_ZIPLIST;
        const items = zip ? ziplistEntries(buf, s, e) : listpackEntries(buf, s, e);
        const what = zip
          ? "Hash ziplist integrity check failed."
          : "Hash listpack integrity check failed.";
        if (items === undefined || items.length % 2 !== 0) throw this.corrupt(what, at);
        this.#checkPairs(items, at, what);
        return items.length === 0 ? undefined : { type: "hash", pairs: items };
      }
    }
  }

  /** Refuses field/value `pairs` with a repeated field. */
  #checkPairs(pairs: readonly string[], at: number, dupReason: string): void {
    if (hasRepeats(pairs, 2)) throw this.corrupt(dupReason, at);
  }
}

/** rdb.h `rdbIsObjectType` for 7.0, plus 7.2's SET_LISTPACK and stream type. */
function isObjectType(t: number): boolean {
  return (t >= 0 && t <= 7) || (t >= 9 && t <= 21);
}

/** Whether reading a value of `type` fails with an error that names its key (streams, modules). */
function namesKeyOnError(type: number): boolean {
  return type === RDB_TYPE_STREAM_LISTPACKS || type === RDB_TYPE_STREAM_LISTPACKS_2 ||
    type === RDB_TYPE_STREAM_LISTPACKS_3 || type === RDB_TYPE_MODULE_PRE_GA ||
    type === RDB_TYPE_MODULE_2;
}

/** Turns an unexpected exception (say, an allocation failure) into an RdbError. */
function asRdbError(e: unknown, offset: number): RdbError {
  if (e instanceof RdbError) return e;
  return new RdbError(SHORT_READ_REASON, offset, "eof", { cause: e });
}

/**
 * Reads an RDB file one key at a time. The constructor checks the magic and
 * version; `next()` returns keys until the EOF opcode, then verifies the
 * checksum and returns undefined.
 */
export class RdbDecoder {
  #r: RdbReader;
  #version: number;
  #verify: boolean;
  #databases: number;
  #db = 0;
  #done = false;
  #aux: RdbAuxInfo = { fields: new Map() };
  #resize = new Map<number, RdbResizeHint>();
  #emptyKeysSkipped = 0;
  #crc: Crc64State = crc64Init();
  #crcPos = 0;
  /** File offset of the first byte the decoder holds (see rebase); indices below are into `#r.b`. */
  #base = 0;
  #callOffset = 0;
  #callDb = 0;
  #callEmptyKeysSkipped = 0;

  /** Checks the header of `bytes`; throws RdbError on bad magic or version. */
  constructor(bytes: Uint8Array, opts: RdbDecoderOptions = {}) {
    this.#r = new RdbReader(bytes, 0, bytes.length);
    this.#verify = opts.verifyChecksum ?? true;
    this.#databases = opts.databases ?? 16;
    if (bytes.length < 9) throw this.#r.eof(bytes.length);
    const magic = bytesToString(bytes, 0, 9);
    if (!magic.startsWith("REDIS")) {
      throw new RdbError("Wrong signature trying to load DB from file", 0, "version");
    }
    this.#version = atoi(magic.slice(5));
    if (this.#version < 1 || this.#version > RDB_VERSION) {
      throw new RdbError(`Can't handle RDB format version ${this.#version}`, 5, "version");
    }
    this.#r.p = 9;
  }

  /**
   * For decoding a file as it arrives: `bytes` is the input given so far
   * followed by what arrived since (the same bytes, longer). Decoding goes on
   * where it stood; a key that raised a short read goes again once there is
   * more input, after a {@link rewind}.
   */
  extend(bytes: Uint8Array): void {
    this.#r.extend(bytes);
  }

  /**
   * Before the caller drops the input's bytes up to file offset `offset`
   * (at most {@link callOffset}): feeds them to the checksum while they are
   * still there. Then {@link rebase}.
   */
  release(offset: number): void {
    const upTo = offset - this.#base;
    if (upTo > this.#callOffset) throw new RangeError("release past the current key");
    if (this.#crcPos < upTo) this.#feedCrc(upTo);
  }

  /**
   * Like {@link extend}, for input that dropped its start: `bytes[0]` is the
   * file's byte at offset `base`, released first (see {@link release}). A
   * file arriving in pieces is then held from the key being decoded on, not
   * whole.
   */
  rebase(bytes: Uint8Array, base: number): void {
    const shift = base - this.#base;
    if (shift < 0 || shift > this.#crcPos) throw new RangeError("rebase past what was released");
    this.#r.extend(bytes);
    this.#r.p -= shift;
    this.#callOffset -= shift;
    this.#crcPos -= shift;
    this.#base = base;
  }

  /**
   * Back to where the last `next`/`nextPlain` call started, after it raised a
   * short read ("eof"), as if it had not been called. Whatever it read on the
   * way (SELECTDB, aux fields, RESIZEDB) reads the same again; the checksum
   * is fed past a point once.
   */
  rewind(): void {
    this.#r.p = this.#callOffset;
    this.#db = this.#callDb;
    this.#emptyKeysSkipped = this.#callEmptyKeysSkipped;
  }

  /** The file offset where the last next/nextPlain call started (see rewind). */
  get callOffset(): number {
    return this.#base + this.#callOffset;
  }

  /** The file's RDB version. */
  get version(): number {
    return this.#version;
  }

  /** Aux fields read so far (all of them once `done`). */
  get aux(): RdbAuxInfo {
    return this.#aux;
  }

  /** RESIZEDB hints seen so far, by db. */
  get resizeHints(): ReadonlyMap<number, RdbResizeHint> {
    return this.#resize;
  }

  /** Empty collections found and skipped, as Redis does. */
  get emptyKeysSkipped(): number {
    return this.#emptyKeysSkipped;
  }

  /** Bytes of the file consumed so far. */
  get offset(): number {
    return this.#base + this.#r.p;
  }

  /** Size of the input given so far (the file's, once whole). */
  get size(): number {
    return this.#base + this.#r.end;
  }

  /** Whether the EOF opcode (and checksum) has been read. */
  get done(): boolean {
    return this.#done;
  }

  /** The input as far as it was given and held (entries' body offsets index it). */
  get bytes(): Uint8Array {
    return this.#r.b;
  }

  /** The next key, or undefined once the end of the file has been reached and checked. */
  next(): RdbEntry | undefined {
    const entry = this.nextPlain();
    if (entry === undefined) return undefined;
    // The same object with its value converted: no second allocation per key.
    const stored = entry as unknown as RdbEntry;
    stored.value = storeValue(entry.value);
    return stored;
  }

  /** Like {@link next}, with the value in plain form (what the load worker sends). */
  nextPlain(): RdbPlainEntry | undefined {
    return this.#call(undefined) as RdbPlainEntry | undefined;
  }

  /**
   * Like {@link nextPlain}, with the key's bytes appended to `sink`, and a
   * string value's after them: no JS strings. A call that throws may have
   * appended some; the caller truncates the sink.
   */
  nextInto(sink: RdbByteSink): RdbSinkEntry | undefined {
    return this.#call(sink) as RdbSinkEntry | undefined;
  }

  #call(sink: RdbByteSink | undefined): DecodedEntry | undefined {
    if (this.#done) return undefined;
    this.#callOffset = this.#r.p;
    this.#callDb = this.#db;
    this.#callEmptyKeysSkipped = this.#emptyKeysSkipped;
    try {
      return this.#next(sink);
    } catch (e) {
      const err = asRdbError(e, this.#r.p);
      // Offsets inside are into the bytes held; a caller gets file offsets.
      if (this.#base === 0) throw err;
      throw new RdbError(err.reason, this.#base + err.offset, err.kind, { cause: err.cause });
    }
  }

  /** Iterates the remaining keys. */
  *entries(): IterableIterator<RdbEntry> {
    for (let e = this.next(); e !== undefined; e = this.next()) yield e;
  }

  #next(sink: RdbByteSink | undefined): DecodedEntry | undefined {
    const r = this.#r;
    let expireAtMs: number | undefined;
    let lfuFreq: number | undefined;
    let lruIdle: number | undefined;
    while (true) {
      const typeOffset = r.p;
      const type = r.byte();
      switch (type) {
        case RDB_OPCODE_EXPIRETIME:
          expireAtMs = r.readInt32() * 1000;
          continue;
        case RDB_OPCODE_EXPIRETIME_MS:
          expireAtMs = r.readInt64();
          continue;
        case RDB_OPCODE_FREQ:
          lfuFreq = r.byte();
          continue;
        case RDB_OPCODE_IDLE:
          lruIdle = r.readCount();
          continue;
        case RDB_OPCODE_EOF:
          this.#finish(typeOffset);
          return undefined;
        case RDB_OPCODE_SELECTDB: {
          const db = r.readCount();
          if (db >= this.#databases) {
            throw new RdbError(
              `FATAL: Data file was created with a Redis server configured to handle more than ` +
                `${this.#databases} databases. Exiting`,
              typeOffset,
              "unsupported",
            );
          }
          this.#db = db;
          continue;
        }
        case RDB_OPCODE_RESIZEDB: {
          const size = r.readCount();
          const expiresSize = r.readCount();
          this.#resize.set(this.#db, { size, expiresSize });
          continue;
        }
        case RDB_OPCODE_AUX: {
          const key = r.readString();
          const value = r.readString();
          this.#setAux(key, value);
          continue;
        }
        case RDB_OPCODE_MODULE_AUX: {
          const id = r.readLenBig();
          throw new RdbError(
            `The RDB file contains AUX module data I can't load: no matching module ` +
              `'${moduleTypeName(id)}'`,
            typeOffset,
            "unsupported",
          );
        }
        case RDB_OPCODE_FUNCTION2:
        case RDB_OPCODE_FUNCTION_PRE_GA:
          throw new RdbError(
            "The RDB file contains function libraries, which are not supported",
            typeOffset,
            "unsupported",
          );
      }
      if (!isObjectType(type)) throw r.corrupt(`Unknown RDB encoding type ${type}`, typeOffset);
      const keyIndex = sink === undefined ? 0 : sink.count;
      let key = "";
      if (sink === undefined) key = r.readString();
      else r.readStringInto(sink);
      const bodyStart = r.p;
      // With a sink, a string value's bytes follow the key's into it (value undefined).
      const stringIntoSink = sink !== undefined && type === RDB_TYPE_STRING;
      let value: RdbPlainValue | undefined;
      if (stringIntoSink) {
        r.readStringInto(sink);
      } else {
        if (sink !== undefined && namesKeyOnError(type)) key = sink.stringAt(keyIndex);
        value = r.readObject(type, key, typeOffset);
      }
      const bodyEnd = r.p;
      if (bodyEnd - this.#crcPos >= CRC_SLICE) this.#feedCrc(bodyEnd);
      if (value === undefined && !stringIntoSink) {
        sink?.truncate(keyIndex);
        this.#emptyKeysSkipped++;
        expireAtMs = lfuFreq = lruIdle = undefined;
        continue;
      }
      return {
        db: this.#db,
        key,
        value,
        expireAtMs,
        lfuFreq,
        lruIdle,
        rdbType: type,
        bodyStart,
        bodyEnd,
      };
    }
  }

  #feedCrc(upTo: number): void {
    if (this.#verify) crc64Update(this.#crc, this.#r.b, this.#crcPos, upTo);
    this.#crcPos = upTo;
  }

  #finish(eofOffset: number): void {
    const r = this.#r;
    if (this.#version >= 5) {
      this.#feedCrc(r.p);
      r.need(8);
      const stored = { lo: r.readInt32() >>> 0, hi: r.readInt32() >>> 0 };
      const zero = stored.lo === 0 && stored.hi === 0;
      if (this.#verify && !zero && (stored.lo !== this.#crc.lo || stored.hi !== this.#crc.hi)) {
        const hex = (s: Crc64State) => ((BigInt(s.hi) << 32n) | BigInt(s.lo)).toString(16);
        throw new RdbError(
          `Wrong RDB checksum expected: (${hex(this.#crc)}) but got (${
            hex(stored)
          }). Aborting now.`,
          eofOffset + 1,
          "checksum",
        );
      }
    }
    this.#done = true;
  }

  #setAux(key: string, value: string): void {
    const aux = this.#aux;
    aux.fields.set(key, value);
    switch (key.toLowerCase()) {
      case "redis-ver":
        aux.redisVer = value;
        break;
      case "redis-bits":
        aux.redisBits = atoi(value);
        break;
      case "ctime":
        aux.ctime = atoi(value);
        break;
      case "used-mem":
        aux.usedMem = atoi(value);
        break;
      case "repl-stream-db":
        aux.replStreamDb = atoi(value);
        break;
      case "repl-id":
        if (value.length === 40) aux.replId = value;
        break;
      case "repl-offset":
        aux.replOffset = atoi(value);
        break;
      case "aof-base":
        aux.aofBase = atoi(value) !== 0;
        break;
      case "aof-preamble":
        aux.aofPreamble = atoi(value) !== 0;
        break;
    }
  }
}

/** A whole decoded file. */
export interface DecodedRdb {
  /** RDB version of the file. */
  version: number;
  /** Aux fields. */
  aux: RdbAuxInfo;
  /** Keys by db, in file order. */
  dbs: Map<number, RdbEntry[]>;
  /** RESIZEDB hints by db. */
  resizeHints: ReadonlyMap<number, RdbResizeHint>;
  /** Empty collections skipped. */
  emptyKeysSkipped: number;
  /** Offset just past the checksum (or the EOF opcode for versions < 5). */
  endOffset: number;
}

/** Decodes a complete RDB file; throws RdbError on anything it cannot load. */
export function decodeRdb(bytes: Uint8Array, opts: RdbDecoderOptions = {}): DecodedRdb {
  const dec = new RdbDecoder(bytes, opts);
  const dbs = new Map<number, RdbEntry[]>();
  for (let e = dec.next(); e !== undefined; e = dec.next()) {
    let list = dbs.get(e.db);
    if (list === undefined) dbs.set(e.db, list = []);
    list.push(e);
  }
  return {
    version: dec.version,
    aux: dec.aux,
    dbs,
    resizeHints: dec.resizeHints,
    emptyKeysSkipped: dec.emptyKeysSkipped,
    endOffset: dec.offset,
  };
}

/**
 * Decodes a DUMP payload (cluster.c `verifyDumpPayload` then `rdbLoadObject`).
 * Throws RdbError of kind "payload" when the footer's version or CRC is wrong
 * (RESTORE: "ERR DUMP payload version or checksum are wrong") and of another
 * kind when the body is bad (RESTORE: "ERR Bad data format").
 */
export function decodeDumpPayload(
  bytes: Uint8Array,
  opts: { verifyChecksum?: boolean } = {},
): RedisValue {
  const len = bytes.length;
  if (len < DUMP_FOOTER_SIZE) {
    throw new RdbError("DUMP payload version or checksum are wrong", 0, "payload");
  }
  const footer = len - DUMP_FOOTER_SIZE;
  const version = bytes[footer] | (bytes[footer + 1] << 8);
  if (version > RDB_VERSION) {
    throw new RdbError("DUMP payload version or checksum are wrong", footer, "payload");
  }
  if (opts.verifyChecksum ?? true) {
    const crc = crc64Update(crc64Init(), bytes, 0, len - 8);
    const lo = (bytes[len - 8] | (bytes[len - 7] << 8) | (bytes[len - 6] << 16) |
      (bytes[len - 5] << 24)) >>> 0;
    const hi = (bytes[len - 4] | (bytes[len - 3] << 8) | (bytes[len - 2] << 16) |
      (bytes[len - 1] << 24)) >>> 0;
    if (lo !== crc.lo || hi !== crc.hi) {
      throw new RdbError("DUMP payload version or checksum are wrong", len - 8, "payload");
    }
  }
  return decodeRdbObject(bytes, 0, footer);
}

/**
 * The store value of one object in RDB form, `bytes[start, end)`: its type
 * byte, then its body (a DUMP payload without the footer, or a value the
 * load worker kept packed, see rdb_packed.ts). Throws RdbError when bad.
 */
export function decodeRdbObject(bytes: Uint8Array, start: number, end: number): RedisValue {
  const r = new RdbReader(bytes, start, end);
  try {
    const type = r.byte();
    if (!isObjectType(type)) throw r.corrupt("Bad data format", start);
    const value = r.readObject(type, "", start);
    if (value === undefined) throw r.corrupt("Bad data format (empty value)", start + 1);
    return storeValue(value);
  } catch (e) {
    throw asRdbError(e, r.p);
  }
}
