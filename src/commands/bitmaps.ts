/**
 * Bitmap commands (Redis 7.0's bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS,
 * BITOP, BITFIELD and BITFIELD_RO over string values.
 *
 * Bits are numbered from the most significant bit of the first byte. A write
 * past the end of a string zero-pads it first (sdsgrowzero); bit offsets are
 * limited to proto-max-bulk-len bytes (2^32 bits by default), as in Redis.
 *
 * Strings are immutable JS strings, so a write must produce a new one.
 * Small strings are rebuilt from slices of the old one around the changed
 * bytes. Large ones (4 KB and up) keep a byte copy in a bounded cache
 * (`BitmapWriter`): reads use the bytes, and a write builds its string as
 * slices of a flat base around the bytes changed since, rebuilding the base
 * (O(n), native copy) every 32 writes. Measured on a 1 MB bitmap, pipelined
 * SETBITs cost ~30 µs each (Redis: ~3 µs); the first write after anything
 * else changed the string costs a full copy.
 *
 * Like Redis 7.0, SETBIT and BITFIELD only count (and propagate) a write when
 * the string was created or grown or a value actually changed. Strings these
 * commands write are "raw" in Redis; OBJECT ENCODING is told so.
 *
 * @module
 */
import { fail, NOT_AN_INTEGER, SYNTAX_ERROR, WrongTypeError } from "../errors.ts";
import { parseInt64, parseLongLong } from "../util/numbers.ts";
import { bytesToString, stringToBytes, writeString } from "../util/bytes.ts";
import { MAX_STRING_LENGTH } from "./strings.ts";
import { noteStringEncoding } from "./keys.ts";
import type { CommandContext, CommandSpec } from "./types.ts";
import { NOTIFY, notifyKeyspaceEvent } from "../store/notify.ts";
import type { Db } from "../store/keyspace.ts";

const BIT_OFFSET_ERROR = "ERR bit offset is not an integer or out of range";
const BIT_VALUE_ERROR = "ERR bit is not an integer or out of range";
const BITFIELD_TYPE_ERROR =
  "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/** Set bits in each byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

// ------------------------------------------------------------ arguments

/**
 * getBitOffsetFromArgument: a bit offset, or `#N` (N × bits) when `bits` is
 * given (BITFIELD). Negative offsets and offsets at or past
 * proto-max-bulk-len bytes are refused (the master's stream is exempt).
 */
function parseBitOffset(ctx: CommandContext, arg: string, bits = 0): number {
  const useHash = bits > 0 && arg.charCodeAt(0) === 0x23; // '#'
  const parsed = parseInt64(useHash ? arg.slice(1) : arg);
  if (parsed === undefined) fail(BIT_OFFSET_ERROR);
  // C multiplies in int64 (wrapping on overflow); so do we.
  const offset = useHash ? BigInt.asIntN(64, parsed * BigInt(bits)) : parsed;
  if (
    offset < 0n ||
    (!ctx.client.flags.master && (offset >> 3n) >= BigInt(ctx.server.protoMaxBulkLen))
  ) {
    fail(BIT_OFFSET_ERROR);
  }
  return Number(offset);
}

/** getLongLongFromObjectOrReply for a range index. */
function parseIndex(arg: string): number {
  const value = parseLongLong(arg);
  if (value === undefined) fail(NOT_AN_INTEGER);
  return value;
}

/** "BIT" → true, "BYTE" → false, anything else a syntax error. */
function parseBitUnit(arg: string): boolean {
  const unit = arg.toLowerCase();
  if (unit === "bit") return true;
  if (unit === "byte") return false;
  fail(SYNTAX_ERROR);
}

// ------------------------------------------------------------ byte access

/** Strings from this many bytes on keep a byte copy between bit commands. */
const BITMAP_CACHE_MIN_BYTES = 4096;
/** Bytes the cache may hold in all (byte copies plus base strings); least recently written go first. */
const BITMAP_CACHE_MAX_BYTES = 32 * 1024 * 1024;
/** Byte changes a cached bitmap's string carries as slices of its base before it is rebuilt flat. */
const MAX_ROPE_PATCHES = 32;

/**
 * A large bitmap's bytes kept next to the string the db holds. The string
 * (`value`) is built as slices of a flat `base` around the bytes changed
 * since (`patched`), which V8 keeps as a rope: a write costs O(changes since
 * the last rebuild), and every MAX_ROPE_PATCHES writes the base is rebuilt
 * from the bytes (O(n), native). The entry is valid while the db still holds
 * a string equal to `value`; strings are immutable, so equal means same bytes.
 */
interface CachedBitmap {
  value: string;
  base: string;
  bytes: Uint8Array;
  length: number;
  /** Byte positions changed since `base`, or undefined when `base` must be rebuilt. */
  patched: number[] | undefined;
}

/** Cached bitmaps by db index and key, least recently written first. */
const bitmapCache = new Map<string, CachedBitmap>();
let bitmapCacheBytes = 0;

function cacheKey(db: Db, key: string): string {
  return `${db.id}\n${key}`;
}

function entrySize(entry: CachedBitmap): number {
  return entry.bytes.length + entry.base.length;
}

function dropCached(id: string): void {
  const entry = bitmapCache.get(id);
  if (entry === undefined) return;
  bitmapCacheBytes -= entrySize(entry);
  bitmapCache.delete(id);
}

/** The cached bytes of the string `value` at `key`, if the cache holds them. */
function cachedBytes(db: Db, key: string, value: string): Uint8Array | undefined {
  if (value.length < BITMAP_CACHE_MIN_BYTES || bitmapCache.size === 0) return undefined;
  const entry = bitmapCache.get(cacheKey(db, key));
  if (entry === undefined || entry.value !== value) return undefined;
  return entry.bytes.subarray(0, entry.length);
}

/** The bytes to read of a string: its cached copy when there is one, else the string. */
function readable(ctx: CommandContext, key: string, value: string): string | Uint8Array {
  return cachedBytes(ctx.db, key, value) ?? value;
}

function byteAt(src: string | Uint8Array, i: number): number {
  if (i >= src.length) return 0;
  return typeof src === "string" ? src.charCodeAt(i) : src[i];
}

/**
 * A string about to take bit writes (lookupStringForBitCommand's result):
 * zero-padded to `length`, written byte by byte, turned back into a string by
 * `finish`. Small strings keep their changes in a map and rebuild from
 * slices; large ones go through the bitmap cache.
 */
class BitmapWriter {
  /** The string before the write ("" for a new key). */
  readonly original: string;
  readonly length: number;
  #patches = new Map<number, number>();
  #entry: CachedBitmap | undefined;
  #id = "";

  constructor(db: Db, key: string, original: string, length: number) {
    this.original = original;
    this.length = Math.max(length, original.length);
    if (this.length < BITMAP_CACHE_MIN_BYTES) return;
    this.#id = cacheKey(db, key);
    let entry = bitmapCache.get(this.#id);
    if (entry === undefined || entry.value !== original) {
      dropCached(this.#id);
      const bytes = new Uint8Array(this.length);
      writeString(bytes, 0, original);
      entry = { value: original, base: original, bytes, length: original.length, patched: [] };
      bitmapCache.set(this.#id, entry);
      bitmapCacheBytes += entrySize(entry);
    }
    if (this.length > entry.length) {
      bitmapCacheBytes -= entrySize(entry);
      if (this.length > entry.bytes.length) {
        const capacity = Math.max(this.length, Math.floor(entry.length * 1.5));
        const grown = new Uint8Array(Math.min(MAX_STRING_LENGTH, capacity));
        grown.set(entry.bytes.subarray(0, entry.length));
        entry.bytes = grown;
      }
      entry.length = this.length;
      entry.patched = undefined;
      bitmapCacheBytes += entrySize(entry);
    }
    this.#entry = entry;
  }

  get(i: number): number {
    const entry = this.#entry;
    if (entry !== undefined) return entry.bytes[i];
    const patched = this.#patches.get(i);
    if (patched !== undefined) return patched;
    return i < this.original.length ? this.original.charCodeAt(i) : 0;
  }

  set(i: number, byte: number): void {
    const entry = this.#entry;
    if (entry === undefined) {
      this.#patches.set(i, byte & 0xff);
      return;
    }
    entry.bytes[i] = byte;
    entry.patched?.push(i);
  }

  /** The string with every write applied. */
  finish(): string {
    const entry = this.#entry;
    if (entry === undefined) return patchedString(this.original, this.#patches, this.length);
    let value: string;
    if (entry.patched === undefined || entry.patched.length > MAX_ROPE_PATCHES) {
      bitmapCacheBytes -= entry.base.length;
      entry.base = bytesToString(entry.bytes, 0, entry.length);
      bitmapCacheBytes += entry.base.length;
      entry.patched = [];
      value = entry.base;
    } else {
      const patches = new Map<number, number>();
      for (const i of entry.patched) patches.set(i, entry.bytes[i]);
      value = patchedString(entry.base, patches, entry.length);
    }
    entry.value = value;
    // Most recently written last; evict from the front.
    bitmapCache.delete(this.#id);
    bitmapCache.set(this.#id, entry);
    for (const [id] of bitmapCache) {
      if (bitmapCacheBytes <= BITMAP_CACHE_MAX_BYTES || id === this.#id) break;
      dropCached(id);
    }
    return value;
  }
}

/**
 * `base` zero-padded to `length` with the bytes at `patches` replaced, built
 * from slices of `base` (no copy of the unchanged parts).
 */
function patchedString(base: string, patches: Map<number, number>, length: number): string {
  const slice = (start: number, end: number): string => {
    if (end <= base.length) return base.slice(start, end);
    const head = start < base.length ? base.slice(start) : "";
    return head + "\0".repeat(end - Math.max(start, base.length));
  };
  if (patches.size === 0) return slice(0, length);
  const indexes = [...patches.keys()].sort((a, b) => a - b);
  let out = "";
  let cursor = 0;
  for (let k = 0; k < indexes.length;) {
    let last = k;
    while (last + 1 < indexes.length && indexes[last + 1] === indexes[last] + 1) last++;
    out += slice(cursor, indexes[k]);
    for (let j = k; j <= last; j++) out += String.fromCharCode(patches.get(indexes[j])!);
    cursor = indexes[last] + 1;
    k = last + 1;
  }
  return out + slice(cursor, length);
}

/**
 * lookupStringForBitCommand: the string at argv[1] for a write that reaches
 * bit `maxBit`, zero-padded far enough, and whether that already changed the
 * value (created or grown). WRONGTYPE for another type.
 */
function stringForBitWrite(
  ctx: CommandContext,
  key: string,
  maxBit: number,
): [BitmapWriter, boolean] {
  const current = ctx.db.peek(key);
  if (current !== undefined && typeof current !== "string") throw new WrongTypeError();
  const needed = Math.floor(maxBit / 8) + 1;
  if (needed > MAX_STRING_LENGTH) {
    fail("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
  const original = current ?? "";
  const writer = new BitmapWriter(ctx.db, key, original, needed);
  return [writer, current === undefined || needed > original.length];
}

/** Stores the result of a bit write at `key`, keeping its TTL; Redis holds it as a raw string. */
function storeBits(ctx: CommandContext, key: string, writer: BitmapWriter): void {
  const value = writer.finish();
  ctx.db.set(key, value, true);
  noteStringEncoding(ctx.db, key, value, "raw");
}

/** The string at `key` for a read (with stats), undefined when missing; WRONGTYPE otherwise. */
function stringForRead(ctx: CommandContext, key: string): string | undefined {
  return ctx.db.getString(key);
}

// --------------------------------------------------------------- SETBIT

/** SETBIT key offset value — sets or clears one bit, replying its previous value. */
const setbit: CommandSpec = {
  name: "setbit",
  arity: 4,
  flags: ["write", "denyoom"],
  keys: [1, 1, 1],
  acl: ["write", "bitmap", "slow"],
  run(ctx, argv) {
    const key = argv[1];
    const offset = parseBitOffset(ctx, argv[2]);
    const on = argv[3];
    if (on !== "0" && on !== "1") {
      // getLongFromObjectOrReply then `on & ~1`: both fail with the same text.
      fail(BIT_VALUE_ERROR);
    }
    const [writer, grown] = stringForBitWrite(ctx, key, offset);
    const byte = Math.floor(offset / 8);
    const bit = 7 - (offset % 8);
    let byteval = writer.get(byte);
    const bitval = (byteval >> bit) & 1;
    const value = on === "1" ? 1 : 0;
    if (grown || bitval !== value) {
      byteval = (byteval & ~(1 << bit)) | (value << bit);
      writer.set(byte, byteval);
      storeBits(ctx, key, writer);
      notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "setbit", key, ctx.db.id);
      ctx.server.dirty++;
    } else {
      // dbUnshareStringValue still leaves a raw string behind.
      noteStringEncoding(ctx.db, key, writer.original, "raw");
    }
    ctx.reply.int(bitval);
  },
};

/** GETBIT key offset — the bit at offset (0 past the end or for a missing key). */
const getbit: CommandSpec = {
  name: "getbit",
  arity: 3,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "bitmap", "fast"],
  run(ctx, argv) {
    const offset = parseBitOffset(ctx, argv[2]);
    const value = stringForRead(ctx, argv[1]);
    if (value === undefined) return ctx.reply.int(0);
    const byte = Math.floor(offset / 8);
    const bit = 7 - (offset % 8);
    ctx.reply.int((byteAt(readable(ctx, argv[1], value), byte) >> bit) & 1);
  },
};

// ------------------------------------------------------- BITCOUNT / BITPOS

/** Set bits of `src` from bit `first` to bit `last` inclusive (both within it). */
function countBits(src: string | Uint8Array, first: number, last: number): number {
  const firstByte = Math.floor(first / 8);
  const lastByte = Math.floor(last / 8);
  let count = 0;
  if (typeof src === "string") {
    for (let i = firstByte; i <= lastByte; i++) count += POPCOUNT[src.charCodeAt(i)];
  } else {
    for (let i = firstByte; i <= lastByte; i++) count += POPCOUNT[src[i]];
  }
  // Remove the bits outside the range in the edge bytes.
  const headMask = (0xff00 >> (first % 8)) & 0xff; // bits before `first`
  const tailMask = (1 << (7 - (last % 8))) - 1; // bits after `last`
  count -= POPCOUNT[byteAt(src, firstByte) & headMask];
  count -= POPCOUNT[byteAt(src, lastByte) & tailMask];
  return count;
}

/**
 * A BITCOUNT/BITPOS range (start, end in bytes or bits, negative from the
 * end) resolved to an inclusive bit range, or undefined when it is empty.
 */
function resolveRange(
  length: number,
  start: number,
  end: number,
  isBit: boolean,
): [number, number] | undefined {
  const total = isBit ? length * 8 : length;
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return undefined;
  return isBit ? [start, end] : [start * 8, end * 8 + 7];
}

/** BITCOUNT key [start end [BYTE|BIT]] — set bits in the string or a range of it. */
const bitcount: CommandSpec = {
  name: "bitcount",
  arity: -2,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "bitmap", "slow"],
  run(ctx, argv) {
    // Redis 7.0 looks the key up first: a missing key is 0 whatever the arguments.
    const value = stringForRead(ctx, argv[1]);
    if (value === undefined) return ctx.reply.int(0);
    let range: [number, number] | undefined;
    if (argv.length === 4 || argv.length === 5) {
      const start = parseIndex(argv[2]);
      const end = parseIndex(argv[3]);
      if (start < 0 && end < 0 && start > end) return ctx.reply.int(0);
      const isBit = argv.length === 5 ? parseBitUnit(argv[4]) : false;
      range = resolveRange(value.length, start, end, isBit);
    } else if (argv.length === 2) {
      range = value.length === 0 ? undefined : [0, value.length * 8 - 1];
    } else {
      fail(SYNTAX_ERROR);
    }
    ctx.reply.int(
      range === undefined ? 0 : countBits(readable(ctx, argv[1], value), range[0], range[1]),
    );
  },
};

/** The first bit equal to `bit` from bit `first` to bit `last` inclusive, or -1. */
function findBit(s: string | Uint8Array, bit: number, first: number, last: number): number {
  const skip = bit === 1 ? 0 : 0xff; // a byte with no such bit
  let pos = first;
  while (pos <= last) {
    if (pos % 8 === 0 && pos + 7 <= last) {
      const byte = byteAt(s, pos >> 3);
      if (byte === skip) {
        pos += 8;
        continue;
      }
      for (let k = 0; k < 8; k++) {
        if (((byte >> (7 - k)) & 1) === bit) return pos + k;
      }
    }
    if (((byteAt(s, pos >> 3) >> (7 - (pos % 8))) & 1) === bit) return pos;
    pos++;
  }
  return -1;
}

/**
 * BITPOS key bit [start [end [BYTE|BIT]]] — the first bit set to `bit`. A
 * string reads as followed by endless zeros unless an end is given.
 */
const bitpos: CommandSpec = {
  name: "bitpos",
  arity: -3,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "bitmap", "slow"],
  run(ctx, argv) {
    const bitArg = parseLongLong(argv[2]);
    if (bitArg === undefined) fail(NOT_AN_INTEGER);
    if (bitArg !== 0 && bitArg !== 1) fail("ERR The bit argument must be 1 or 0.");
    const bit = bitArg;
    const value = stringForRead(ctx, argv[1]);
    if (value === undefined) return ctx.reply.int(bit === 1 ? -1 : 0);
    let range: [number, number] | undefined;
    let endGiven = false;
    const argc = argv.length;
    if (argc >= 4 && argc <= 6) {
      const start = parseIndex(argv[3]);
      const isBit = argc === 6 ? parseBitUnit(argv[5]) : false;
      let end: number;
      if (argc >= 5) {
        end = parseIndex(argv[4]);
        endGiven = true;
      } else {
        end = isBit ? value.length * 8 + 7 : value.length - 1;
      }
      range = resolveRange(value.length, start, end, isBit);
    } else if (argc === 3) {
      range = value.length === 0 ? undefined : [0, value.length * 8 - 1];
    } else {
      fail(SYNTAX_ERROR);
    }
    if (range === undefined) return ctx.reply.int(-1);
    const found = findBit(readable(ctx, argv[1], value), bit, range[0], range[1]);
    if (found !== -1 || bit === 1) return ctx.reply.int(found);
    // Looking for a clear bit and found none: past the end unless the end was given.
    ctx.reply.int(endGiven ? -1 : range[1] + 1);
  },
};

// ---------------------------------------------------------------- BITOP

/** BITOP AND|OR|XOR|NOT destkey key [key ...] — stores the bitwise result, replies its length. */
const bitop: CommandSpec = {
  name: "bitop",
  arity: -4,
  flags: ["write", "denyoom"],
  keys: [2, -1, 1],
  acl: ["write", "bitmap", "slow"],
  run(ctx, argv) {
    const op = argv[1].toLowerCase();
    if (op !== "and" && op !== "or" && op !== "xor" && op !== "not") fail(SYNTAX_ERROR);
    if (op === "not" && argv.length !== 4) {
      fail("ERR BITOP NOT must be called with a single source key.");
    }
    const db = ctx.db;
    const sources: Uint8Array[] = [];
    let maxlen = 0;
    for (let j = 3; j < argv.length; j++) {
      const value = db.lookupRead(argv[j]);
      if (value === undefined) {
        sources.push(new Uint8Array(0));
        continue;
      }
      if (typeof value !== "string") throw new WrongTypeError();
      const src = readable(ctx, argv[j], value);
      sources.push(typeof src === "string" ? stringToBytes(src) : src);
      if (value.length > maxlen) maxlen = value.length;
    }
    const dest = argv[2];
    if (maxlen === 0) {
      if (db.delete(dest)) {
        notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", dest, ctx.db.id);
        ctx.server.dirty++;
      }
      ctx.reply.int(0);
      return;
    }
    const result = new Uint8Array(maxlen);
    result.set(sources[0]);
    if (op === "not") {
      for (let i = 0; i < maxlen; i++) result[i] = ~result[i];
    } else {
      for (let k = 1; k < sources.length; k++) {
        const src = sources[k];
        const n = src.length;
        if (op === "and") {
          for (let i = 0; i < n; i++) result[i] &= src[i];
          result.fill(0, n);
        } else if (op === "or") {
          for (let i = 0; i < n; i++) result[i] |= src[i];
        } else {
          for (let i = 0; i < n; i++) result[i] ^= src[i];
        }
      }
    }
    const value = bytesToString(result);
    db.set(dest, value);
    noteStringEncoding(db, dest, value, "raw");
    notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "set", dest, ctx.db.id);
    ctx.server.dirty++;
    ctx.reply.int(maxlen);
  },
};

// ------------------------------------------------------------- BITFIELD

const OVERFLOW_WRAP = 0;
const OVERFLOW_SAT = 1;
const OVERFLOW_FAIL = 2;

/** One parsed BITFIELD operation. */
interface BitfieldOp {
  kind: "get" | "set" | "incrby";
  offset: number;
  bits: number;
  signed: boolean;
  /** SET's value or INCRBY's increment. */
  value: bigint;
  overflow: number;
}

/** getBitfieldTypeFromArgument: `i1`–`i64` or `u1`–`u63`. */
function parseBitfieldType(arg: string): [signed: boolean, bits: number] {
  const sign = arg[0];
  if (sign !== "i" && sign !== "u") fail(BITFIELD_TYPE_ERROR);
  // strlen(p+1): C stops at a NUL byte.
  const nul = arg.indexOf("\0");
  const digits = arg.slice(1, nul === -1 ? undefined : nul);
  const bits = parseLongLong(digits);
  if (
    bits === undefined || bits < 1 || (sign === "i" && bits > 64) || (sign === "u" && bits > 63)
  ) {
    fail(BITFIELD_TYPE_ERROR);
  }
  return [sign === "i", bits];
}

/** getUnsignedBitfield: `bits` bits from `offset`, most significant first (zeros past the end). */
function readBits(src: BitmapWriter | string | Uint8Array, offset: number, bits: number): bigint {
  let value = 0n;
  const get = src instanceof BitmapWriter
    ? (i: number) => src.get(i)
    : (i: number) => byteAt(src, i);
  for (let j = 0; j < bits; j++, offset++) {
    const bitval = (get(Math.floor(offset / 8)) >> (7 - (offset % 8))) & 1;
    value = (value << 1n) | BigInt(bitval);
  }
  return value;
}

/** setUnsignedBitfield: writes the low `bits` bits of `value` from `offset`, most significant first. */
function writeBits(writer: BitmapWriter, offset: number, bits: number, value: bigint): void {
  for (let j = 0; j < bits; j++, offset++) {
    const bitval = Number((value >> BigInt(bits - 1 - j)) & 1n);
    const byte = Math.floor(offset / 8);
    const shift = 7 - (offset % 8);
    writer.set(byte, (writer.get(byte) & ~(1 << shift)) | (bitval << shift));
  }
}

const INT64_MAX = 0x7fffffffffffffffn;

/**
 * check{Signed,Unsigned}BitfieldOverflow: the value to store for
 * `value + incr` in a field of `bits` bits under the overflow policy, and
 * whether it overflowed. The tests are Redis's, including its int64
 * wrap-around: SET of a value near INT64_MIN into a signed field narrower
 * than 64 bits counts as a positive overflow there (SAT stores the maximum).
 */
function applyOverflow(
  value: bigint,
  incr: bigint,
  bits: number,
  signed: boolean,
  policy: number,
): [result: bigint, overflowed: boolean] {
  let direction = 0;
  let max: bigint;
  let min: bigint;
  if (signed) {
    max = bits === 64 ? INT64_MAX : (1n << BigInt(bits - 1)) - 1n;
    min = -max - 1n;
    const maxIncr = BigInt.asIntN(64, max - value);
    const minIncr = BigInt.asIntN(64, min - value);
    if (
      value > max || (bits !== 64 && incr > maxIncr) ||
      (value >= 0n && incr > 0n && incr > maxIncr)
    ) {
      direction = 1;
    } else if (
      value < min || (bits !== 64 && incr < minIncr) ||
      (value < 0n && incr < 0n && incr < minIncr)
    ) {
      direction = -1;
    }
  } else {
    max = (1n << BigInt(bits)) - 1n;
    min = 0n;
    const maxIncr = BigInt.asIntN(64, max - value);
    const minIncr = BigInt.asIntN(64, -value);
    if (value > max || (incr > 0n && incr > maxIncr)) direction = 1;
    else if (incr < 0n && incr < minIncr) direction = -1;
  }
  if (direction === 0) return [value + incr, false];
  if (policy === OVERFLOW_SAT) return [direction > 0 ? max : min, true];
  // WRAP (FAIL's result is not used).
  const sum = value + incr;
  return [signed ? BigInt.asIntN(bits, sum) : BigInt.asUintN(bits, sum), true];
}

/** BITFIELD and BITFIELD_RO (bitfieldGeneric). */
function bitfieldGeneric(ctx: CommandContext, argv: string[], readonlyCommand: boolean): void {
  const ops: BitfieldOp[] = [];
  let overflow = OVERFLOW_WRAP;
  let readonly = true;
  let highestWrite = 0;
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const sub = argv[j].toLowerCase();
    let kind: BitfieldOp["kind"];
    if (sub === "get" && remaining >= 2) kind = "get";
    else if (sub === "set" && remaining >= 3) kind = "set";
    else if (sub === "incrby" && remaining >= 3) kind = "incrby";
    else if (sub === "overflow" && remaining >= 1) {
      const policy = argv[++j].toLowerCase();
      if (policy === "wrap") overflow = OVERFLOW_WRAP;
      else if (policy === "sat") overflow = OVERFLOW_SAT;
      else if (policy === "fail") overflow = OVERFLOW_FAIL;
      else fail("ERR Invalid OVERFLOW type specified");
      continue;
    } else {
      fail(SYNTAX_ERROR);
    }
    const [signed, bits] = parseBitfieldType(argv[j + 1]);
    const offset = parseBitOffset(ctx, argv[j + 2], bits);
    let value = 0n;
    if (kind !== "get") {
      readonly = false;
      if (highestWrite < offset + bits - 1) highestWrite = offset + bits - 1;
      const parsed = parseInt64(argv[j + 3]);
      if (parsed === undefined) fail(NOT_AN_INTEGER);
      value = parsed;
    }
    ops.push({ kind, offset, bits, signed, value, overflow });
    j += kind === "get" ? 2 : 3;
  }

  const reply = ctx.reply;
  const key = argv[1];
  if (readonly) {
    const value = stringForRead(ctx, key) ?? "";
    const src = readable(ctx, key, value);
    reply.array(ops.length);
    for (const op of ops) {
      const raw = readBits(src, op.offset, op.bits);
      reply.int(op.signed ? BigInt.asIntN(op.bits, raw) : raw);
    }
    return;
  }
  if (readonlyCommand) fail("ERR BITFIELD_RO only supports the GET subcommand");

  const [writer, grown] = stringForBitWrite(ctx, key, highestWrite);
  let changes = 0;
  reply.array(ops.length);
  for (const op of ops) {
    const raw = readBits(writer, op.offset, op.bits);
    if (op.kind === "get") {
      reply.int(op.signed ? BigInt.asIntN(op.bits, raw) : raw);
      continue;
    }
    const old = op.signed ? BigInt.asIntN(op.bits, raw) : raw;
    let stored: bigint;
    let overflowed: boolean;
    let replyValue: bigint;
    if (op.kind === "incrby") {
      [stored, overflowed] = applyOverflow(old, op.value, op.bits, op.signed, op.overflow);
      replyValue = stored;
    } else {
      // SET: the new value itself is checked; an unsigned field takes it as uint64.
      const value = op.signed ? op.value : BigInt.asUintN(64, op.value);
      [stored, overflowed] = applyOverflow(value, 0n, op.bits, op.signed, op.overflow);
      replyValue = old;
    }
    if (overflowed && op.overflow === OVERFLOW_FAIL) {
      reply.nil();
      continue;
    }
    reply.int(replyValue);
    writeBits(writer, op.offset, op.bits, stored);
    if (grown || stored !== old) changes++;
  }
  if (changes > 0 || grown) storeBits(ctx, key, writer);
  else noteStringEncoding(ctx.db, key, writer.original, "raw");
  if (changes > 0) {
    notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "setbit", key, ctx.db.id);
    ctx.server.dirty += changes;
  }
}

/** BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ... */
const bitfield: CommandSpec = {
  name: "bitfield",
  arity: -2,
  flags: ["write", "denyoom"],
  keys: [1, 1, 1],
  acl: ["write", "bitmap", "slow"],
  run(ctx, argv) {
    bitfieldGeneric(ctx, argv, false);
  },
};

/** BITFIELD_RO key [GET type offset ...] — the read-only form. */
const bitfieldRo: CommandSpec = {
  name: "bitfield_ro",
  arity: -2,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "bitmap", "fast"],
  run(ctx, argv) {
    bitfieldGeneric(ctx, argv, true);
  },
};

/** The bitmap family. */
export const bitmapCommands: readonly CommandSpec[] = [
  setbit,
  getbit,
  bitcount,
  bitpos,
  bitop,
  bitfield,
  bitfieldRo,
];
