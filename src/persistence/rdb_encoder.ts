/**
 * RDB version 10 encoder: writes what Redis 7.0's rdb.c writes.
 *
 * The methods mirror rdb.c's save functions (`saveLen` is `rdbSaveLen`,
 * `saveRawString` is `rdbSaveRawString`, …). Everything is appended to one
 * growable buffer; `takeChunk()` hands over what has been written so far, so a
 * snapshot can stream a large keyspace to a worker in pieces, and `finish()`
 * appends the EOF opcode and the CRC-64 trailer.
 *
 * Encodings chosen per value, like Redis 7.0 with default configuration:
 * - string → STRING (integer-encoded when short and canonical, LZF when > 20
 *   bytes and it saves at least 4 bytes);
 * - list → QUICKLIST_2 of listpack nodes of at most 8 KB (list-max-listpack-size
 *   -2), with a plain node for any element ≥ 1 GB;
 * - hash → HASH_LISTPACK when ≤ 128 fields and every field and value ≤ 64
 *   bytes, else HASH;
 * - set → SET_INTSET when every member is an integer and ≤ 512 members, else SET;
 * - zset → ZSET_LISTPACK when ≤ 128 members each ≤ 64 bytes, else ZSET_2 with
 *   binary scores, highest score first.
 */
import { crc64Init, type Crc64State, crc64Update, crc64WriteLE } from "./crc64.ts";
import { writeIntset } from "./intset.ts";
import { lzfCompress } from "./lzf.ts";
import { ByteWriter, ListpackWriter } from "./listpack.ts";
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_14BITLEN,
  RDB_32BITLEN,
  RDB_64BITLEN,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_INT8,
  RDB_ENC_LZF,
  RDB_ENCVAL,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_VERSION,
  stringToInt64,
} from "./rdb_constants.ts";
import { formatDouble } from "../util/numbers.ts";
import { bytesToString, writeString } from "../util/bytes.ts";
import { Hash } from "../store/hash.ts";
import { List } from "../store/list.ts";
import { StringSet } from "../store/set.ts";
import type { ZSet } from "../store/zset.ts";
import type { RedisHash, RedisSet, RedisValue } from "../store/types.ts";

/** The four collection types, whose bodies are written from {@link Elements}. */
export type CollectionKind = "hash" | "set" | "list" | "zset";

/**
 * A collection's elements as the body writers read them, by index: byte
 * strings held as JS strings (a keyspace value) or as spans of one buffer (a
 * snapshot batch in the worker), so one writer serves both. A hash's
 * elements are field, value, field, value …; a sorted set's scores come
 * apart.
 */
export interface Elements {
  readonly count: number;
  /** Byte length of element `i`. */
  length(i: number): number;
  /** The int64 element `i` spells exactly (`string2ll`), or undefined. */
  int64(i: number): number | bigint | undefined;
  /** Appends element `i` to a listpack (an integer entry when it spells one). */
  appendTo(lp: ListpackWriter, i: number): void;
  /** `rdbSaveRawString` of element `i`. */
  saveTo(enc: RdbEncoder, i: number): void;
}

/** Elements held as JS byte strings. */
export class StringElements implements Elements {
  constructor(readonly items: string[]) {}
  get count(): number {
    return this.items.length;
  }
  length(i: number): number {
    return this.items[i].length;
  }
  int64(i: number): number | bigint | undefined {
    return stringToInt64(this.items[i]);
  }
  appendTo(lp: ListpackWriter, i: number): void {
    lp.appendString(this.items[i]);
  }
  saveTo(enc: RdbEncoder, i: number): void {
    enc.saveRawString(this.items[i]);
  }
}

/** Elements held as spans `[starts[i], ends[i])` of one byte buffer; reusable. */
export class SpanElements implements Elements {
  bytes: Uint8Array = new Uint8Array(0);
  count = 0;
  starts = new Int32Array(64);
  ends = new Int32Array(64);

  /** Forgets the elements and makes room for `n`. */
  reset(bytes: Uint8Array, n: number): void {
    this.bytes = bytes;
    this.count = 0;
    if (this.starts.length < n) {
      this.starts = new Int32Array(n);
      this.ends = new Int32Array(n);
    }
  }
  push(start: number, end: number): void {
    this.starts[this.count] = start;
    this.ends[this.count++] = end;
  }
  length(i: number): number {
    return this.ends[i] - this.starts[i];
  }
  int64(i: number): number | bigint | undefined {
    const start = this.starts[i];
    const end = this.ends[i];
    const c = this.bytes[start];
    if (end - start > 20 || end === start || (c !== 45 && (c < 48 || c > 57))) return undefined;
    return stringToInt64(bytesToString(this.bytes, start, end));
  }
  appendTo(lp: ListpackWriter, i: number): void {
    lp.appendBytes(this.bytes, this.starts[i], this.ends[i]);
  }
  saveTo(enc: RdbEncoder, i: number): void {
    enc.saveRawBytes(this.bytes, this.starts[i], this.ends[i]);
  }
}

/** The collection kind of a non-string value. */
function kindOf(value: Exclude<RedisValue, string>): CollectionKind {
  if (value instanceof List) return "list";
  if (value instanceof Hash) return "hash";
  if (value instanceof StringSet) return "set";
  return "zset";
}

/** A collection's elements (and a sorted set's scores) as the body writers read them. */
function elementsOf(
  value: Exclude<RedisValue, string>,
): { kind: CollectionKind; elements: StringElements; scores?: number[] } {
  const kind = kindOf(value);
  if (kind === "list") {
    return { kind, elements: new StringElements(Array.from((value as List).values())) };
  }
  if (kind === "set") return { kind, elements: new StringElements(Array.from(value as RedisSet)) };
  if (kind === "hash") {
    const items: string[] = [];
    for (const [f, v] of value as RedisHash) items.push(f, v);
    return { kind, elements: new StringElements(items) };
  }
  const members: string[] = [];
  const scores: number[] = [];
  for (const [m, score] of (value as ZSet).entries()) {
    members.push(m);
    scores.push(score);
  }
  return { kind, elements: new StringElements(members), scores };
}

/** Redis's `hash-max-listpack-entries` default. */
export const DEFAULT_HASH_MAX_LISTPACK_ENTRIES = 128;
/** Redis's `hash-max-listpack-value` default. */
export const DEFAULT_HASH_MAX_LISTPACK_VALUE = 64;
/** Redis's `set-max-intset-entries` default. */
export const DEFAULT_SET_MAX_INTSET_ENTRIES = 512;
/** Redis's `zset-max-listpack-entries` default. */
export const DEFAULT_ZSET_MAX_LISTPACK_ENTRIES = 128;
/** Redis's `zset-max-listpack-value` default. */
export const DEFAULT_ZSET_MAX_LISTPACK_VALUE = 64;
/** Redis's `list-max-listpack-size` default (-2: nodes of at most 8 KB). */
export const DEFAULT_LIST_MAX_LISTPACK_SIZE = -2;
/** Elements this large get a quicklist node of their own (quicklist.c `packed_threshold`). */
export const DEFAULT_LIST_PACKED_THRESHOLD = 1 << 30;
/** The version Redeno claims in the `redis-ver` aux field. */
export const DEFAULT_REDIS_VER = "7.0.15";

/** quicklist.c `optimization_level`: node size limits for fill -1 … -5. */
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];
/** quicklist.c `SIZE_SAFETY_LIMIT`. */
const SIZE_SAFETY_LIMIT = 8192;
/** quicklist.c `SIZE_ESTIMATE_OVERHEAD`. */
const SIZE_ESTIMATE_OVERHEAD = 8;

const TWO_32 = 4294967296;
const EMPTY = new Uint8Array(0);
/** Scratch buffers grown beyond this for one value are released after it. */
const SCRATCH_KEEP_MAX = 1 << 20;
/** util.c `double2ll`'s range: `(double)(LLONG_MAX / 2)`. */
const DOUBLE2LL_LIMIT = 4611686018427387904;

/** Encoder settings; every field defaults to Redis 7.0's default configuration. */
export interface RdbEncoderOptions {
  /** `rdbcompression`: LZF-compress strings longer than 20 bytes. Default true. */
  compression?: boolean;
  /** `rdbchecksum`: when false the trailer is 8 zero bytes. Default true. */
  checksum?: boolean;
  /**
   * When true the encoder neither computes nor writes the CRC trailer:
   * `finish()` ends right after the EOF opcode and the caller (say, the
   * snapshot worker that computes CRC-64 over the chunks) appends 8 bytes.
   */
  externalChecksum?: boolean;
  /** `hash-max-listpack-entries`. */
  hashMaxListpackEntries?: number;
  /** `hash-max-listpack-value`. */
  hashMaxListpackValue?: number;
  /** `set-max-intset-entries`. */
  setMaxIntsetEntries?: number;
  /** `zset-max-listpack-entries`. */
  zsetMaxListpackEntries?: number;
  /** `zset-max-listpack-value`. */
  zsetMaxListpackValue?: number;
  /** `list-max-listpack-size`. */
  listMaxListpackSize?: number;
  /** Element size from which a list element gets a plain quicklist node. */
  listPackedThreshold?: number;
  /** Initial capacity of the output buffer, in bytes. */
  initialCapacity?: number;
}

/** The aux fields written after the magic; all caller-supplied. */
export interface RdbAuxFields {
  /** `redis-ver`. Default "7.0.15". */
  redisVer?: string;
  /** `redis-bits`. Default 64. */
  redisBits?: number;
  /** `ctime`, unix seconds. Default now. */
  ctime?: number;
  /** `used-mem`, bytes. Default 0. */
  usedMem?: number;
  /**
   * Replication info (`repl-stream-db`, `repl-id`, `repl-offset`). Redis writes
   * these only when it has replication info to save (rdbPopulateSaveInfo);
   * omitted when undefined.
   */
  repl?: { streamDb: number; id: string; offset: number };
  /** `aof-base`: 1 when this RDB is the base of a multi-part AOF. Default false. */
  aofBase?: boolean;
  /** More aux fields, written after `aof-base`. */
  extra?: Iterable<readonly [string, string]>;
}

interface ResolvedOptions {
  compression: boolean;
  checksum: boolean;
  externalChecksum: boolean;
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  listMaxListpackSize: number;
  listPackedThreshold: number;
}

function resolve(opts: RdbEncoderOptions): ResolvedOptions {
  return {
    compression: opts.compression ?? true,
    checksum: opts.checksum ?? true,
    externalChecksum: opts.externalChecksum ?? false,
    hashMaxListpackEntries: opts.hashMaxListpackEntries ?? DEFAULT_HASH_MAX_LISTPACK_ENTRIES,
    hashMaxListpackValue: opts.hashMaxListpackValue ?? DEFAULT_HASH_MAX_LISTPACK_VALUE,
    setMaxIntsetEntries: opts.setMaxIntsetEntries ?? DEFAULT_SET_MAX_INTSET_ENTRIES,
    zsetMaxListpackEntries: opts.zsetMaxListpackEntries ?? DEFAULT_ZSET_MAX_LISTPACK_ENTRIES,
    zsetMaxListpackValue: opts.zsetMaxListpackValue ?? DEFAULT_ZSET_MAX_LISTPACK_VALUE,
    listMaxListpackSize: opts.listMaxListpackSize ?? DEFAULT_LIST_MAX_LISTPACK_SIZE,
    listPackedThreshold: opts.listPackedThreshold ?? DEFAULT_LIST_PACKED_THRESHOLD,
  };
}

/** A quicklist node laid out before the node count is known. */
type PendingNode = { plain: false; start: number; end: number } | { plain: true; index: number };

/** Whether a value is empty (Redis never stores empty collections; they are skipped). */
function isEmptyValue(value: RedisValue): boolean {
  if (typeof value === "string") return false;
  if (value instanceof List) return value.length === 0;
  return value.size === 0;
}

/** Streaming RDB writer; see the module documentation. */
export class RdbEncoder {
  #o: ResolvedOptions;
  #w: ByteWriter;
  #crc: Crc64State | undefined;
  /** Bytes handed out by takeChunk() so far. */
  #taken = 0;
  /** Scratch for a string's bytes before LZF. */
  #tmp = EMPTY;
  /** LZF output scratch. */
  #lzfOut = EMPTY;
  /** Scratch for hash and zset listpacks and intsets. */
  #blobWriter: ListpackWriter | undefined;
  /** Scratch for a list's quicklist nodes. */
  #nodesWriter: ListpackWriter | undefined;
  #finished = false;
  /**
   * LZF hash-table continuity (see lzf.ts): Redis compresses the strings inside
   * one object from the same stack frame, so each sees the table the previous
   * one left. 0: outside an object; 1: in one, nothing compressed yet; 2: in
   * one, continue the table.
   */
  #lzfSession = 0;

  /** Creates an encoder; nothing is written until a method is called. */
  constructor(opts: RdbEncoderOptions = {}) {
    this.#o = resolve(opts);
    this.#w = new ByteWriter(opts.initialCapacity ?? 1 << 20);
    this.#crc = this.#o.checksum && !this.#o.externalChecksum ? crc64Init() : undefined;
  }

  /** Scratch for hash and zset listpacks and intsets, made on first use. */
  #blob(): ListpackWriter {
    return this.#blobWriter ??= new ListpackWriter(new ByteWriter(4096));
  }

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.#w.length;
  }

  /** Bytes written in total, taken or not. */
  get totalBytes(): number {
    return this.#taken + this.#w.length;
  }

  // ---- rdb.c primitives ----

  /** `rdbSaveType`: one byte (an object type or an opcode). */
  saveType(type: number): void {
    this.#w.byte(type);
  }

  /** `rdbSaveLen`: a length in 1, 2, 5 or 9 bytes. */
  saveLen(len: number): void {
    const w = this.#w;
    if (len < 1 << 6) {
      w.byte(len);
    } else if (len < 1 << 14) {
      w.ensure(2);
      w.byte(((len >>> 8) & 0xff) | (RDB_14BITLEN << 6));
      w.byte(len & 0xff);
    } else if (len < TWO_32) {
      w.ensure(5);
      w.byte(RDB_32BITLEN);
      w.u32be(len);
    } else {
      w.ensure(9);
      w.byte(RDB_64BITLEN);
      w.u64be(len);
    }
  }

  /** The EXPIRETIME_MS opcode and time that precede a key with a TTL. */
  #saveExpire(expireAtMs: number): void {
    this.saveType(RDB_OPCODE_EXPIRETIME_MS);
    this.saveMillisecondTime(expireAtMs);
  }

  /** `rdbSaveMillisecondTime`: a signed 64 bit little-endian time in ms. */
  saveMillisecondTime(ms: number): void {
    this.#w.i64le(ms);
  }

  /** `rdbSaveBinaryDoubleValue`: IEEE 754 binary64, little endian. */
  saveBinaryDouble(value: number): void {
    this.#w.f64le(value);
  }

  /**
   * `rdbSaveDoubleValue`: the pre-RDB-8 string form (a length byte, or 253 nan,
   * 254 +inf, 255 -inf). Redis 7.0 no longer writes it; kept for tests and tools.
   */
  saveDoubleValue(value: number): void {
    const w = this.#w;
    if (Number.isNaN(value)) {
      w.byte(253);
    } else if (!Number.isFinite(value)) {
      w.byte(value < 0 ? 255 : 254);
    } else {
      const s = formatDouble(value === 0 ? 0 : value);
      w.byte(s.length);
      w.latin1(s);
    }
  }

  /** `rdbEncodeInteger` for an int32: INT8, INT16 or INT32 encoding. */
  #saveEncodedInt(v: number): void {
    const w = this.#w;
    w.ensure(5);
    if (v >= -128 && v <= 127) {
      w.byte((RDB_ENCVAL << 6) | RDB_ENC_INT8);
      w.byte(v & 0xff);
    } else if (v >= -32768 && v <= 32767) {
      w.byte((RDB_ENCVAL << 6) | RDB_ENC_INT16);
      w.u16le(v & 0xffff);
    } else {
      w.byte((RDB_ENCVAL << 6) | RDB_ENC_INT32);
      w.u32le(v >>> 0);
    }
  }

  /**
   * `rdbSaveRawString` for a byte string: integer encoding when ≤ 11 bytes
   * and canonical int32, LZF when > 20 bytes and worth it, else verbatim.
   */
  saveRawString(s: string): void {
    const n = s.length;
    if (n <= 11 && n > 0) {
      const c = s.charCodeAt(0);
      if ((c >= 48 && c <= 57) || c === 45) {
        const v = stringToInt64(s);
        if (typeof v === "number" && v >= -2147483648 && v <= 2147483647) {
          this.#saveEncodedInt(v);
          return;
        }
      }
    }
    if (this.#o.compression && n > 20) {
      if (this.#tmp.length < n) this.#tmp = new Uint8Array(Math.max(n, 1024, this.#tmp.length * 2));
      writeString(this.#tmp, 0, s);
      this.#saveBlob(this.#tmp, 0, n);
      return;
    }
    this.saveLen(n);
    this.#w.latin1(s);
  }

  /** `rdbSaveRawString` for bytes (`src[start, end)`), such as listpack and intset blobs. */
  saveRawBytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    if (n <= 11 && n > 0) {
      const c = src[start];
      if ((c >= 48 && c <= 57) || c === 45) {
        let s = "";
        for (let i = start; i < end; i++) s += String.fromCharCode(src[i]);
        const v = stringToInt64(s);
        if (typeof v === "number" && v >= -2147483648 && v <= 2147483647) {
          this.#saveEncodedInt(v);
          return;
        }
      }
    }
    if (this.#o.compression && n > 20) {
      this.#saveBlob(src, start, n);
      return;
    }
    this.saveLen(n);
    this.#w.raw(src, start, end);
  }

  /** LZF (rdbSaveLzfStringObject) or, when it does not pay, verbatim. `n` > 20. */
  #saveBlob(src: Uint8Array, start: number, n: number): void {
    const outLen = n - 4; // "at least four bytes compression for this to be worth it"
    if (this.#lzfOut.length < outLen + 1) {
      this.#lzfOut = new Uint8Array(Math.max(outLen + 1, 1024, this.#lzfOut.length * 2));
    }
    const clen = lzfCompress(src, start, n, this.#lzfOut, 0, outLen, this.#lzfSession === 2);
    if (this.#lzfSession !== 0) this.#lzfSession = 2;
    if (clen > 0) {
      this.#w.byte((RDB_ENCVAL << 6) | RDB_ENC_LZF);
      this.saveLen(clen);
      this.saveLen(n);
      this.#w.raw(this.#lzfOut, 0, clen);
    } else {
      this.saveLen(n);
      this.#w.raw(src, start, start + n);
    }
    if (n > SCRATCH_KEEP_MAX) {
      // Don't hold on to scratch sized for one huge value.
      this.#tmp = EMPTY;
      this.#lzfOut = EMPTY;
    }
  }

  /** `rdbSaveAuxField`: AUX opcode, key, value. */
  saveAuxField(key: string, value: string): void {
    this.saveType(RDB_OPCODE_AUX);
    this.saveRawString(key);
    this.saveRawString(value);
  }

  /** The RDB object type Redis 7.0 would use for `value` (what `rdbSaveObjectType` writes). */
  objectType(value: RedisValue): number {
    if (typeof value === "string") return RDB_TYPE_STRING;
    const { kind, elements } = elementsOf(value);
    return this.collectionType(kind, elements);
  }

  /** The RDB object type of a collection, by Redis 7.0's size and length thresholds. */
  collectionType(kind: CollectionKind, els: Elements): number {
    const o = this.#o;
    const n = els.count;
    switch (kind) {
      case "list":
        return RDB_TYPE_LIST_QUICKLIST_2;
      case "hash": {
        if (n / 2 > o.hashMaxListpackEntries) return RDB_TYPE_HASH;
        const max = o.hashMaxListpackValue;
        for (let i = 0; i < n; i++) if (els.length(i) > max) return RDB_TYPE_HASH;
        return RDB_TYPE_HASH_LISTPACK;
      }
      case "set":
        if (n > o.setMaxIntsetEntries) return RDB_TYPE_SET;
        for (let i = 0; i < n; i++) if (els.int64(i) === undefined) return RDB_TYPE_SET;
        return RDB_TYPE_SET_INTSET;
      case "zset": {
        if (n > o.zsetMaxListpackEntries) return RDB_TYPE_ZSET_2;
        const max = o.zsetMaxListpackValue;
        for (let i = 0; i < n; i++) if (els.length(i) > max) return RDB_TYPE_ZSET_2;
        return RDB_TYPE_ZSET_LISTPACK;
      }
    }
  }

  /** `rdbSaveObjectType`: writes and returns the type byte for `value`. */
  saveObjectType(value: RedisValue): number {
    const type = this.objectType(value);
    this.saveType(type);
    return type;
  }

  /** `rdbSaveObject`: the value's body in the encoding `type` (from {@link objectType}). */
  saveObject(value: RedisValue, type: number = this.objectType(value)): void {
    this.#lzfSession = 1;
    try {
      if (typeof value === "string") {
        this.saveRawString(value);
        return;
      }
      const { elements, scores } = elementsOf(value);
      this.#saveCollectionBody(type, elements, scores);
    } finally {
      this.#lzfSession = 0;
    }
  }

  /**
   * `rdbSaveKeyValuePair` for a collection given as {@link Elements}: optional
   * EXPIRETIME_MS, type, key (a string, or a span of `key.bytes`), body.
   * Returns false (writing nothing) for an empty collection.
   */
  saveCollectionPair(
    kind: CollectionKind,
    key: string | { bytes: Uint8Array; start: number; end: number },
    els: Elements,
    scores: ArrayLike<number> | undefined,
    expireAtMs: number | undefined,
  ): boolean {
    if (els.count === 0) return false;
    if (expireAtMs !== undefined) this.#saveExpire(expireAtMs);
    const type = this.collectionType(kind, els);
    this.saveType(type);
    if (typeof key === "string") this.saveRawString(key);
    else this.saveRawBytes(key.bytes, key.start, key.end);
    this.#lzfSession = 1;
    try {
      this.#saveCollectionBody(type, els, scores);
    } finally {
      this.#lzfSession = 0;
    }
    return true;
  }

  #saveCollectionBody(type: number, els: Elements, scores: ArrayLike<number> | undefined): void {
    const n = els.count;
    switch (type) {
      case RDB_TYPE_LIST_QUICKLIST_2:
        this.#saveQuicklist(els);
        return;
      case RDB_TYPE_HASH_LISTPACK:
      case RDB_TYPE_ZSET_LISTPACK: {
        const lp = this.#blob();
        lp.reset();
        for (let i = 0; i < n; i++) {
          els.appendTo(lp, i);
          if (type === RDB_TYPE_ZSET_LISTPACK) this.#appendScore(lp, scores![i]);
        }
        const end = lp.finish();
        this.saveRawBytes(lp.writer.bytes, 0, end);
        return;
      }
      case RDB_TYPE_HASH:
        this.saveLen(n / 2);
        for (let i = 0; i < n; i++) els.saveTo(this, i);
        return;
      case RDB_TYPE_SET_INTSET: {
        const ints: (number | bigint)[] = [];
        for (let i = 0; i < n; i++) ints.push(els.int64(i)!);
        const w = this.#blob().writer;
        w.reset();
        writeIntset(w, ints);
        this.saveRawBytes(w.bytes, 0, w.length);
        this.#blob().reset();
        return;
      }
      case RDB_TYPE_SET:
        this.saveLen(n);
        for (let i = 0; i < n; i++) els.saveTo(this, i);
        return;
      case RDB_TYPE_ZSET_2:
        // Highest score first, like Redis (it walks the skiplist from the tail)
        // so that loading inserts at the head of the skiplist.
        this.saveLen(n);
        for (let i = n - 1; i >= 0; i--) {
          els.saveTo(this, i);
          this.saveBinaryDouble(scores![i]);
        }
        return;
      default:
        throw new RangeError(`Cannot encode RDB object type ${type}`);
    }
  }

  /**
   * A score in a zset listpack (zzlInsertAt): integral scores within
   * ±LLONG_MAX/2 (double2ll) are integer entries (-0 becomes 0); the others
   * are `%.17g` text.
   */
  #appendScore(lp: ListpackWriter, score: number): void {
    if (Number.isInteger(score) && score >= -DOUBLE2LL_LIMIT && score <= DOUBLE2LL_LIMIT) {
      lp.appendInteger(Number.isSafeInteger(score) ? score + 0 : BigInt(score));
    } else {
      lp.appendString(formatDouble(score));
    }
  }

  /** Whether quicklist.c's `_quicklistNodeAllowInsert` lets an element of `sz` bytes in. */
  #nodeAllowsInsert(nodeSize: number, nodeCount: number, sz: number): boolean {
    const fill = this.#o.listMaxListpackSize;
    const newSize = nodeSize + sz + SIZE_ESTIMATE_OVERHEAD;
    if (fill < 0) {
      const limit = OPTIMIZATION_LEVEL[-fill - 1];
      if (limit !== undefined && newSize <= limit) return true;
    }
    if (newSize > SIZE_SAFETY_LIMIT) return false;
    return nodeCount < fill;
  }

  /** A list as quicklistPushTail would have laid it out, written as QUICKLIST_2. */
  #saveQuicklist(els: Elements): void {
    const lp = this.#nodesWriter ??= new ListpackWriter(new ByteWriter(16 * 1024));
    lp.writer.reset();
    const nodes: PendingNode[] = [];
    let open = false; // a packed node is being filled
    const threshold = this.#o.listPackedThreshold;
    for (let i = 0; i < els.count; i++) {
      const sz = els.length(i);
      if (sz >= threshold) {
        if (open) {
          nodes.push({ plain: false, start: lp.start, end: lp.finish() });
          open = false;
        }
        nodes.push({ plain: true, index: i });
        continue;
      }
      if (open && !this.#nodeAllowsInsert(lp.size, lp.count, sz)) {
        nodes.push({ plain: false, start: lp.start, end: lp.finish() });
        open = false;
      }
      if (!open) {
        lp.begin();
        open = true;
      }
      els.appendTo(lp, i);
    }
    if (open) nodes.push({ plain: false, start: lp.start, end: lp.finish() });
    this.saveLen(nodes.length);
    const bytes = lp.writer.bytes;
    for (const node of nodes) {
      if (node.plain) {
        this.saveLen(QUICKLIST_NODE_CONTAINER_PLAIN);
        els.saveTo(this, node.index);
      } else {
        this.saveLen(QUICKLIST_NODE_CONTAINER_PACKED);
        this.saveRawBytes(bytes, node.start, node.end);
      }
    }
    if (lp.writer.bytes.length > 1 << 20) this.#nodesWriter = undefined; // don't hold a big scratch
  }

  /**
   * `rdbSaveKeyValuePair`: optional EXPIRETIME_MS, type, key, value. Returns
   * false (writing nothing) for an empty collection, which Redis never has.
   */
  saveKeyValuePair(key: string, value: RedisValue, expireAtMs?: number): boolean {
    if (typeof value !== "string") {
      const { kind, elements, scores } = elementsOf(value);
      return this.saveCollectionPair(kind, key, elements, scores, expireAtMs);
    }
    if (expireAtMs !== undefined) this.#saveExpire(expireAtMs);
    const type = this.saveObjectType(value);
    this.saveRawString(key);
    this.saveObject(value, type);
    return true;
  }

  /**
   * `rdbSaveKeyValuePair` for a string value given as bytes: `src[keyStart,
   * keyEnd)` is the key, `src[valueStart, valueEnd)` the value. Writes
   * exactly what {@link saveKeyValuePair} writes for the same strings.
   */
  saveStringPairBytes(
    src: Uint8Array,
    key: { start: number; end: number },
    value: { start: number; end: number },
    expireAtMs: number | undefined,
  ): void {
    if (expireAtMs !== undefined) this.#saveExpire(expireAtMs);
    this.saveType(RDB_TYPE_STRING);
    this.saveRawBytes(src, key.start, key.end);
    this.#lzfSession = 1;
    try {
      this.saveRawBytes(src, value.start, value.end);
    } finally {
      this.#lzfSession = 0;
    }
  }

  /** `rdbcompression`: whether strings may be LZF-compressed. */
  get compression(): boolean {
    return this.#o.compression;
  }

  /**
   * `rdbSaveKeyValuePair` for a value already in RDB form: `src[body.start]`
   * is its object type and the rest of the span its body, both copied as
   * they are (a packed value, see rdb_packed.ts); the key is `src[key.start,
   * key.end)`.
   */
  saveRawObjectPair(
    src: Uint8Array,
    key: { start: number; end: number },
    body: { start: number; end: number },
    expireAtMs: number | undefined,
  ): void {
    if (expireAtMs !== undefined) this.#saveExpire(expireAtMs);
    this.saveType(src[body.start]);
    this.saveRawBytes(src, key.start, key.end);
    this.#w.raw(src, body.start + 1, body.end);
  }

  // ---- file structure ----

  /** The magic `REDIS0010` and the aux fields (`rdbSaveInfoAuxFields`). */
  writeHeader(aux: RdbAuxFields = {}): void {
    this.#w.latin1("REDIS" + String(RDB_VERSION).padStart(4, "0"));
    this.saveAuxField("redis-ver", aux.redisVer ?? DEFAULT_REDIS_VER);
    this.saveAuxField("redis-bits", String(aux.redisBits ?? 64));
    this.saveAuxField("ctime", String(aux.ctime ?? Math.floor(Date.now() / 1000)));
    this.saveAuxField("used-mem", String(aux.usedMem ?? 0));
    if (aux.repl !== undefined) {
      this.saveAuxField("repl-stream-db", String(aux.repl.streamDb));
      this.saveAuxField("repl-id", aux.repl.id);
      this.saveAuxField("repl-offset", String(aux.repl.offset));
    }
    this.saveAuxField("aof-base", aux.aofBase ? "1" : "0");
    if (aux.extra !== undefined) { for (const [k, v] of aux.extra) this.saveAuxField(k, v); }
  }

  /** SELECTDB and RESIZEDB for the db whose keys follow (Redis skips empty dbs). */
  selectDb(db: number, size: number, expiresSize: number): void {
    this.saveType(RDB_OPCODE_SELECTDB);
    this.saveLen(db);
    this.saveType(RDB_OPCODE_RESIZEDB);
    this.saveLen(size);
    this.saveLen(expiresSize);
  }

  /** One key (see {@link saveKeyValuePair}); false when skipped as empty. */
  writeEntry(key: string, value: RedisValue, expireAtMs?: number): boolean {
    return this.saveKeyValuePair(key, value, expireAtMs);
  }

  /**
   * Returns the bytes written since the last call (a fresh, transferable
   * buffer) and forgets them; the checksum keeps running over them.
   */
  takeChunk(): Uint8Array {
    const w = this.#w;
    if (this.#crc !== undefined) crc64Update(this.#crc, w.bytes, 0, w.length);
    const chunk = w.copy();
    this.#taken += w.length;
    w.reset();
    return chunk;
  }

  /**
   * Appends the EOF opcode and the 8-byte little-endian CRC-64 (zeros with
   * `checksum: false`, nothing with `externalChecksum: true`) and returns the
   * bytes not yet taken: the whole file when takeChunk() was never called.
   */
  finish(): Uint8Array {
    if (this.#finished) throw new Error("RdbEncoder.finish() called twice");
    this.#finished = true;
    const w = this.#w;
    w.byte(RDB_OPCODE_EOF);
    if (!this.#o.externalChecksum) {
      const at = w.skip(8);
      if (this.#crc !== undefined) {
        crc64Update(this.#crc, w.bytes, 0, at);
        crc64WriteLE(this.#crc, w.bytes, at);
      } else {
        w.bytes.fill(0, at, at + 8);
      }
    }
    const out = w.copy();
    this.#taken += w.length;
    w.reset();
    return out;
  }
}

/** One db for {@link encodeRdb}. */
export interface RdbDbInput {
  /** The db number. */
  index: number;
  /** Keys with values and absolute expire times in ms (undefined: no expire). */
  entries: Iterable<readonly [string, RedisValue, number | undefined]>;
  /** RESIZEDB key count; counted from `entries` when omitted. */
  size?: number;
  /** RESIZEDB count of keys with an expire; counted from `entries` when omitted. */
  expiresSize?: number;
}

/** A whole RDB file in one call: header, every non-empty db, EOF and checksum. */
export function encodeRdb(
  dbs: Iterable<RdbDbInput>,
  aux: RdbAuxFields = {},
  opts: RdbEncoderOptions = {},
): Uint8Array {
  const enc = new RdbEncoder(opts);
  enc.writeHeader(aux);
  for (const db of dbs) {
    let entries = db.entries;
    let size = db.size;
    let expiresSize = db.expiresSize;
    if (size === undefined || expiresSize === undefined) {
      const all = Array.from(entries).filter(([, v]) => !isEmptyValue(v));
      entries = all;
      size ??= all.length;
      expiresSize ??= all.reduce((n, [, , e]) => (e === undefined ? n : n + 1), 0);
    }
    if (size === 0) continue;
    enc.selectDb(db.index, size, expiresSize);
    for (const [key, value, expireAt] of entries) enc.writeEntry(key, value, expireAt);
  }
  return enc.finish();
}

/**
 * The DUMP payload of a value (cluster.c `createDumpPayload`): object type,
 * object, RDB version as 2 bytes little endian, CRC-64 of all that as 8 bytes
 * little endian.
 */
export function encodeValueForDump(value: RedisValue, opts: RdbEncoderOptions = {}): Uint8Array {
  if (isEmptyValue(value)) throw new RangeError("Cannot DUMP an empty collection");
  const enc = new RdbEncoder({ ...opts, externalChecksum: true, initialCapacity: 256 });
  const type = enc.saveObjectType(value);
  enc.saveObject(value, type);
  const body = enc.takeChunk();
  const out = new Uint8Array(body.length + 10);
  out.set(body);
  out[body.length] = RDB_VERSION & 0xff;
  out[body.length + 1] = (RDB_VERSION >>> 8) & 0xff;
  const crc = crc64Update(crc64Init(), out, 0, body.length + 2);
  crc64WriteLE(crc, out, body.length + 2);
  return out;
}
