/**
 * Generic key commands (Redis's db.c, expire.c and object.c): DEL, UNLINK,
 * EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, RENAME(NX), MOVE, COPY, the EXPIRE and
 * TTL families, PERSIST, TOUCH and OBJECT.
 *
 * Also home to what the string family shares with them: expire-time
 * arithmetic (exact over int64, like the C code) and the bookkeeping behind
 * OBJECT ENCODING, whose answer in Redis depends on a value's history, not
 * only on its bytes.
 *
 * Each write handler raises its keyspace notification where the write
 * happens (`notifyKeyspaceEvent`, src/store/notify.ts).
 */
import { fail, NO_SUCH_KEY, NOT_AN_INTEGER, ReplyError, SYNTAX_ERROR } from "../errors.ts";
import { typeOf } from "../store/keyspace.ts";
import type { Db } from "../store/keyspace.ts";
import { Hash } from "../store/hash.ts";
import { List } from "../store/list.ts";
import { StringSet } from "../store/set.ts";
import { ZSet } from "../store/zset.ts";
import type { RedisHash, RedisSet, RedisValue } from "../store/types.ts";
import { globMatch } from "../util/glob.ts";
import { isIntegerEncodable, parseInt64, parseLongLong, parseSafeInt } from "../util/numbers.ts";
import type { Config } from "../config.ts";
import { ArgParser } from "./args.ts";
import { replyHelp } from "./command_info.ts";
import type { CommandContext, CommandSpec } from "./types.ts";
import { NOTIFY, notifyKeyspaceEvent } from "../store/notify.ts";
import { AccessTracker, LFU_INIT_VAL } from "../memory/access.ts";

/** Redis's shared.sameobjecterr. */
const SAME_OBJECT = "ERR source and destination objects are the same";
const DB_OUT_OF_RANGE = "ERR DB index is out of range";

// ------------------------------------------------------------- expire times

const LLONG_MAX = 0x7fffffffffffffffn;
const LLONG_MIN = -0x8000000000000000n;
/** |when| below this keeps every expire computation exact in doubles (2^53 / 1000 / 2). */
const EXACT_EXPIRE_LIMIT = 4e12;

/** Redis's addReplyErrorExpireTime: "ERR invalid expire time in '<command>' command". */
export function invalidExpireTime(command: string): ReplyError {
  return new ReplyError(`ERR invalid expire time in '${command}' command`);
}

/**
 * An absolute unix-ms deadline as EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT
 * compute it (expireGenericCommand): `arg` in seconds or ms, plus `basetime`
 * (now for the relative forms, 0 for the absolute ones). Negative results are
 * allowed (they delete the key). A number when it is exact as a double, else
 * a bigint (stored rounded, propagated exactly).
 * @throws ReplyError not-an-integer, or invalid expire time on int64 overflow
 */
export function expireDeadline(
  arg: string,
  unitSeconds: boolean,
  basetime: number,
  command: string,
): number | bigint {
  const quick = parseSafeInt(arg);
  if (quick !== undefined && quick < EXACT_EXPIRE_LIMIT && quick > -EXACT_EXPIRE_LIMIT) {
    return (unitSeconds ? quick * 1000 : quick) + basetime;
  }
  let when = parseInt64(arg);
  if (when === undefined) throw new ReplyError(NOT_AN_INTEGER);
  if (unitSeconds) {
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) throw invalidExpireTime(command);
    when *= 1000n;
  }
  const base = BigInt(basetime);
  if (when > LLONG_MAX - base) throw invalidExpireTime(command);
  return narrow(when + base);
}

/**
 * The deadline of SET EX/PX/EXAT/PXAT, SETEX, PSETEX and GETEX
 * (getExpireMillisecondsOrReply): the value must be positive, and the
 * conversion and the addition of `now` (for EX/PX) must not overflow.
 * @throws ReplyError not-an-integer or invalid expire time
 */
export function setDeadline(
  arg: string,
  unitSeconds: boolean,
  now: number | undefined,
  command: string,
): number | bigint {
  const quick = parseSafeInt(arg);
  if (quick !== undefined && quick < EXACT_EXPIRE_LIMIT) {
    if (quick <= 0) throw invalidExpireTime(command);
    return (unitSeconds ? quick * 1000 : quick) + (now ?? 0);
  }
  let ms = parseInt64(arg);
  if (ms === undefined) throw new ReplyError(NOT_AN_INTEGER);
  if (ms <= 0n || (unitSeconds && ms > LLONG_MAX / 1000n)) throw invalidExpireTime(command);
  if (unitSeconds) ms *= 1000n;
  if (now !== undefined) {
    ms += BigInt(now);
    if (ms > LLONG_MAX) throw invalidExpireTime(command); // C wraps to negative here
  }
  return narrow(ms);
}

function narrow(n: bigint): number | bigint {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(-Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n;
}

/**
 * Redis's checkAlreadyExpired: a deadline in the past deletes the key at
 * once, except on a replica, which keeps it and waits for its master's DEL,
 * and while loading (an AOF replays the PEXPIREAT; the key expires later).
 */
export function alreadyExpired(ctx: CommandContext, when: number): boolean {
  const server = ctx.server;
  return when <= server.keyspace.now() && !server.loading && !server.keyspace.isReplica();
}

/**
 * Deletes `key` because an EXPIRE-like command gave it a deadline in the
 * past, and propagates that as DEL (UNLINK under lazyfree-lazy-expire).
 */
export function deleteForPastDeadline(ctx: CommandContext, key: string): void {
  ctx.db.delete(key);
  ctx.server.dirty++;
  ctx.propagate([ctx.server.config.getBool("lazyfree-lazy-expire") ? "UNLINK" : "DEL", key]);
  notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, ctx.db.id);
}

// --------------------------------------------------- OBJECT ENCODING state

type Dict = Db["dict"];
/** A string encoding that differs from what the bytes alone imply. */
type StringEncoding = "raw" | "embstr";

/** Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT. */
export const EMBSTR_SIZE_LIMIT = 44;
/** Redis's OBJ_SHARED_INTEGERS: values 0..9999 share one object (OBJECT REFCOUNT 2147483647). */
const SHARED_INTEGERS = 10000;
const SHARED_REFCOUNT = 2147483647;

/**
 * Per db dict: keys whose string value carries an encoding its bytes do not
 * imply — APPEND and SETRANGE leave "raw" strings, INCRBYFLOAT an "embstr"
 * even for integer text. The entry holds the value it was recorded for, so a
 * later overwrite by anything makes it stale; the string family also drops
 * entries when it overwrites. Keyed by the dict so FLUSHDB/SWAPDB drop it.
 */
const stringEncodings = new WeakMap<Dict, Map<string, [value: string, encoding: StringEncoding]>>();
/** Entries recorded and not yet dropped (an upper bound): 0 makes forgetting free. */
let stringEncodingCount = 0;
const STRING_ENCODING_SWEEP_MIN = 1024;
let stringEncodingSweepAt = STRING_ENCODING_SWEEP_MIN;

/** The encoding a string gets from tryObjectEncoding: int, embstr (≤ 44 bytes) or raw. */
export function naturalStringEncoding(value: string): "int" | "embstr" | "raw" {
  if (isIntegerEncodable(value)) return "int";
  return value.length <= EMBSTR_SIZE_LIMIT ? "embstr" : "raw";
}

/** Records that `key`'s string `value` has `encoding` (when that differs from the natural one). */
export function noteStringEncoding(
  db: Db,
  key: string,
  value: string,
  encoding: StringEncoding,
): void {
  if (naturalStringEncoding(value) === encoding) {
    forgetStringEncoding(db, key);
    return;
  }
  let notes = stringEncodings.get(db.dict);
  if (notes === undefined) {
    notes = new Map();
    stringEncodings.set(db.dict, notes);
  }
  if (!notes.has(key)) stringEncodingCount++;
  notes.set(key, [value, encoding]);
  if (notes.size > stringEncodingSweepAt) {
    // Drop entries whose key was since deleted or overwritten.
    for (const [k, [v]] of notes) {
      if (db.dict.get(k) !== v) {
        notes.delete(k);
        stringEncodingCount--;
      }
    }
    stringEncodingSweepAt = Math.max(STRING_ENCODING_SWEEP_MIN, notes.size * 2);
  }
}

/** Drops what `noteStringEncoding` recorded for `key` (cheap when nothing was ever recorded). */
export function forgetStringEncoding(db: Db, key: string): void {
  if (stringEncodingCount === 0) return;
  const notes = stringEncodings.get(db.dict);
  if (notes !== undefined && notes.delete(key)) stringEncodingCount--;
}

/** Carries a recorded string encoding along when a value moves to another key (RENAME, MOVE, COPY). */
function carryStringEncoding(from: Db, fromKey: string, to: Db, toKey: string): void {
  if (stringEncodingCount === 0) return;
  const note = stringEncodings.get(from.dict)?.get(fromKey);
  forgetStringEncoding(to, toKey);
  if (note !== undefined && from.dict.get(fromKey) === note[0]) {
    noteStringEncoding(to, toKey, note[0], note[1]);
  }
}

/** The encoding Redis would report for the string `value` at `key`. */
export function stringEncodingOf(db: Db, key: string, value: string): string {
  if (stringEncodingCount !== 0) {
    const note = stringEncodings.get(db.dict)?.get(key);
    if (note !== undefined && note[0] === value) return note[1];
  }
  return naturalStringEncoding(value);
}

/**
 * Hashes and sets that outgrew their compact encoding (listpack, intset).
 * Redis converts them to a hashtable and never back, so once seen big they
 * stay big. Families that grow a hash or set may add to it at the moment of
 * conversion; OBJECT ENCODING also adds what it finds over the limits.
 */
export const hashtableEncoded = new WeakSet<RedisHash | RedisSet>();

/**
 * OBJECT ENCODING for any value, with Redis 7.0's rules and the thresholds
 * from config: lists are always "quicklist"; hashes "listpack" up to
 * hash-max-listpack-entries entries of at most hash-max-listpack-value bytes;
 * sets "intset" up to set-max-intset-entries int64 members; sorted sets
 * "listpack" up to zset-max-listpack-entries/-value; otherwise "hashtable" or
 * "skiplist".
 */
export function objectEncoding(db: Db, key: string, value: RedisValue, config: Config): string {
  if (typeof value === "string") return stringEncodingOf(db, key, value);
  if (value instanceof List) return "quicklist";
  if (value instanceof ZSet) {
    if (value.encoding === "listpack") {
      if (
        value.size > config.getNumber("zset-max-listpack-entries") ||
        value.maxMemberLength > config.getNumber("zset-max-listpack-value")
      ) {
        value.encoding = "skiplist";
      }
    }
    return value.encoding;
  }
  if (hashtableEncoded.has(value)) return "hashtable";
  if (value instanceof Hash) {
    let compact = value.size <= config.getNumber("hash-max-listpack-entries");
    if (compact) {
      const max = config.getNumber("hash-max-listpack-value");
      for (const [field, v] of value) {
        if (field.length > max || v.length > max) {
          compact = false;
          break;
        }
      }
    }
    if (compact) return "listpack";
  } else {
    let compact = value.size <= config.getNumber("set-max-intset-entries");
    if (compact) {
      for (const member of value) {
        if (parseInt64(member) === undefined) {
          compact = false;
          break;
        }
      }
    }
    if (compact) return "intset";
  }
  hashtableEncoded.add(value);
  return "hashtable";
}

/** A deep copy of a value for COPY, keeping its encoding state as Redis's *Dup functions do. */
function duplicate(value: RedisValue): RedisValue {
  if (typeof value === "string") return value;
  if (value instanceof List) return List.from(value);
  if (value instanceof ZSet) return value.clone();
  const copy = value instanceof Hash ? Hash.from(value) : StringSet.from(value);
  if (hashtableEncoded.has(value)) hashtableEncoded.add(copy);
  return copy;
}

function isLfuPolicy(config: Config): boolean {
  return config.getString("maxmemory-policy").endsWith("-lfu");
}

function isLruOrLfuPolicy(config: Config): boolean {
  const policy = config.getString("maxmemory-policy");
  return policy.endsWith("-lru") || policy.endsWith("-lfu");
}

// --------------------------------------------------------------------- SCAN

/** Where one SCAN left off: a live iterator over the db's dict. */
interface ScanState {
  iterator: Iterator<string>;
  /** Keys the iterator has yielded so far. */
  position: number;
  lastUse: number;
}

/**
 * Cursor layout: position × 2^20 + id. The id (1 … 2^20 - 1) finds the saved
 * iterator; the position lets a cursor we no longer hold resume roughly where
 * it was. Positions stay below 2^33, so cursors are exact doubles.
 */
const SCAN_ID_SPACE = 1 << 20;
/** Saved SCAN iterators per db; past this the least recently used is dropped. */
export const SCAN_MAX_CURSORS = 4096;
/** A saved SCAN iterator unused this long is dropped. */
export const SCAN_CURSOR_IDLE_MS = 10 * 60 * 1000;
/** Keys a SCAN step takes when COUNT is not given (Redis's default). */
const SCAN_DEFAULT_COUNT = 10;

/**
 * The saved iterators, per dict. JS Map iterators are live: they skip entries
 * deleted before being reached and reach entries added meanwhile, and visit
 * every other entry exactly once in insertion order. That is exactly SCAN's
 * guarantee (every key present for the whole scan is returned), so a cursor
 * is just a handle on a saved iterator. Keyed by the dict so that FLUSHDB,
 * SWAPDB and loads, which replace it, drop the iterators with it.
 */
const scanStates = new WeakMap<Dict, Map<number, ScanState>>();
let nextScanId = 1;

const ULONG_MAX = 0xffffffffffffffffn;

/**
 * SCAN's cursor the way Redis reads it (`strtoul`, base 10): a leading space
 * is rejected, a sign is allowed (a negative value wraps around 2^64), text
 * past the digits or a value beyond 2^64 - 1 is "ERR invalid cursor", and the
 * empty string is cursor 0. Returns a number (rounded beyond 2^53).
 */
export function parseScanCursor(text: string): number {
  const len = text.length;
  if (len === 0) return 0;
  const first = text.charCodeAt(0);
  if (first === 0x20 || (first >= 0x09 && first <= 0x0d)) fail("ERR invalid cursor");
  let i = 0;
  let negative = false;
  if (first === 0x2b || first === 0x2d) {
    negative = first === 0x2d;
    i = 1;
  }
  if (i === len) fail("ERR invalid cursor");
  for (let j = i; j < len; j++) {
    const c = text.charCodeAt(j);
    if (c < 0x30 || c > 0x39) fail("ERR invalid cursor");
  }
  const digits = text.slice(i);
  if (!negative && digits.length <= 15) return Number(digits);
  let value = BigInt(digits);
  if (value > ULONG_MAX) fail("ERR invalid cursor");
  if (negative && value !== 0n) value = ULONG_MAX + 1n - value;
  return Number(value);
}

/** One SCAN step over `db`: up to `count` keys from `cursor` on, and the next cursor (0 at the end). */
function scanStep(db: Db, cursor: number, count: number): [keys: string[], next: number] {
  const dict = db.dict;
  const now = Date.now();
  let table = scanStates.get(dict);
  let state = cursor === 0 ? undefined : table?.get(cursor);
  if (state !== undefined) {
    table!.delete(cursor);
  } else {
    // A new scan, or a cursor we do not hold (dropped, from before a FLUSHDB,
    // or made up): resume at its position, best effort.
    const position = Math.floor(cursor / SCAN_ID_SPACE);
    const iterator = dict.keys();
    let skipped = 0;
    while (skipped < position && !iterator.next().done) skipped++;
    state = { iterator, position: skipped, lastUse: now };
  }
  const keys: string[] = [];
  while (keys.length < count) {
    const step = state.iterator.next();
    if (step.done) return [keys, 0];
    keys.push(step.value);
    state.position++;
  }
  if (table === undefined) {
    table = new Map();
    scanStates.set(dict, table);
  }
  // The table is in least-recently-used order: each step re-inserts its state.
  for (const [oldCursor, old] of table) {
    if (table.size < SCAN_MAX_CURSORS && now - old.lastUse < SCAN_CURSOR_IDLE_MS) break;
    table.delete(oldCursor);
  }
  const id = nextScanId;
  nextScanId = nextScanId === SCAN_ID_SPACE - 1 ? 1 : nextScanId + 1;
  const next = state.position * SCAN_ID_SPACE + id;
  state.lastUse = now;
  table.set(next, state);
  return [keys, next];
}

// ----------------------------------------------------------------- commands

/** DEL/UNLINK: deletes the keys, replies how many existed. Propagated as is. */
function delGeneric(ctx: CommandContext, argv: string[]): void {
  const db = ctx.db;
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    if (db.delete(argv[i])) {
      deleted++;
      notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", argv[i], db.id);
    }
  }
  ctx.server.dirty += deleted;
  ctx.reply.int(deleted);
}

const del: CommandSpec = {
  name: "del",
  arity: -2,
  flags: ["write"],
  keys: [1, -1, 1],
  acl: ["keyspace", "write", "slow"],
  run: delGeneric,
};

const unlink: CommandSpec = {
  name: "unlink",
  arity: -2,
  flags: ["write", "fast"],
  keys: [1, -1, 1],
  acl: ["keyspace", "write", "fast"],
  run: delGeneric,
};

const exists: CommandSpec = {
  name: "exists",
  arity: -2,
  flags: ["readonly", "fast"],
  keys: [1, -1, 1],
  acl: ["keyspace", "read", "fast"],
  run(ctx, argv) {
    const db = ctx.db;
    let count = 0;
    for (let i = 1; i < argv.length; i++) if (db.lookupRead(argv[i]) !== undefined) count++;
    ctx.reply.int(count);
  },
};

const type: CommandSpec = {
  name: "type",
  arity: 2,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["keyspace", "read", "fast"],
  run(ctx, argv) {
    const value = ctx.db.lookupRead(argv[1]);
    ctx.reply.simple(value === undefined ? "none" : typeOf(value));
  },
};

const keys: CommandSpec = {
  name: "keys",
  arity: 2,
  flags: ["readonly"],
  keys: [0, 0, 0],
  acl: ["keyspace", "read", "slow", "dangerous"],
  run(ctx, argv) {
    const db = ctx.db;
    const pattern = argv[1];
    const all = pattern === "*";
    const expires = db.expires;
    const now = ctx.server.keyspace.now();
    const found: string[] = [];
    for (const key of db.dict.keys()) {
      if (!all && !globMatch(pattern, key)) continue;
      // keyIsExpired: hide logically expired keys without deleting them here.
      if (expires.size !== 0) {
        const when = expires.get(key);
        if (when !== undefined && now > when) continue;
      }
      found.push(key);
    }
    ctx.reply.bulkArray(found);
  },
};

const scan: CommandSpec = {
  name: "scan",
  arity: -2,
  flags: ["readonly"],
  keys: [0, 0, 0],
  acl: ["keyspace", "read", "slow"],
  run(ctx, argv) {
    const cursor = parseScanCursor(argv[1]);
    let count = SCAN_DEFAULT_COUNT;
    let pattern: string | undefined;
    let typeName: string | undefined;
    const args = new ArgParser(argv, 2);
    while (args.remaining > 0) {
      const option = args.next().toUpperCase();
      if (option === "COUNT" && args.remaining > 0) {
        count = args.nextInt();
        if (count < 1) fail(SYNTAX_ERROR);
      } else if (option === "MATCH" && args.remaining > 0) {
        pattern = args.next();
        if (pattern === "*") pattern = undefined;
      } else if (option === "TYPE" && args.remaining > 0) {
        typeName = args.next().toLowerCase();
      } else {
        fail(SYNTAX_ERROR);
      }
    }
    const db = ctx.db;
    const [candidates, next] = scanStep(db, cursor, count);
    const found: string[] = [];
    for (const key of candidates) {
      if (pattern !== undefined && !globMatch(pattern, key)) continue;
      if (typeName !== undefined) {
        const value = db.dict.get(key);
        if (value === undefined || typeOf(value) !== typeName) continue;
      }
      if (db.expires.size !== 0 && db.expireIfNeeded(key)) continue;
      found.push(key);
    }
    ctx.reply.array(2);
    ctx.reply.bulk(String(next));
    ctx.reply.bulkArray(found);
  },
};

const randomkey: CommandSpec = {
  name: "randomkey",
  arity: 1,
  flags: ["readonly"],
  keys: [0, 0, 0],
  acl: ["keyspace", "read", "slow"],
  run(ctx) {
    const key = ctx.db.randomKey();
    key === undefined ? ctx.reply.nil() : ctx.reply.bulk(key);
  },
};

/** RENAME/RENAMENX (renameGenericCommand). */
function renameGeneric(ctx: CommandContext, argv: string[], nx: boolean): void {
  const db = ctx.db;
  const from = argv[1];
  const to = argv[2];
  const value = db.peek(from);
  if (value === undefined) fail(NO_SUCH_KEY);
  if (from === to) {
    nx ? ctx.reply.int(0) : ctx.reply.ok();
    return;
  }
  const expire = db.getExpire(from);
  if (db.peek(to) !== undefined) {
    if (nx) {
      ctx.reply.int(0);
      return;
    }
    db.delete(to);
  }
  db.add(to, value);
  if (expire !== undefined) db.setExpire(to, expire);
  db.modified(to);
  carryStringEncoding(db, from, db, to);
  db.delete(from);
  notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "rename_from", from, db.id);
  notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "rename_to", to, db.id);
  ctx.server.dirty++;
  nx ? ctx.reply.int(1) : ctx.reply.ok();
}

const rename: CommandSpec = {
  name: "rename",
  arity: 3,
  flags: ["write"],
  keys: [1, 2, 1],
  acl: ["keyspace", "write", "slow"],
  run: (ctx, argv) => renameGeneric(ctx, argv, false),
};

const renamenx: CommandSpec = {
  name: "renamenx",
  arity: 3,
  flags: ["write", "fast"],
  keys: [1, 2, 1],
  acl: ["keyspace", "write", "fast"],
  run: (ctx, argv) => renameGeneric(ctx, argv, true),
};

/** A db index argument (getIntFromObjectOrReply, then selectDb's range check). */
function targetDb(ctx: CommandContext, arg: string): Db {
  const index = parseLongLong(arg);
  if (index === undefined) fail(NOT_AN_INTEGER);
  if (index < -2147483648 || index > 2147483647) {
    fail("ERR value is out of range, value must between -2147483648 and 2147483647");
  }
  const dbs = ctx.server.keyspace.dbs;
  if (index < 0 || index >= dbs.length) fail(DB_OUT_OF_RANGE);
  return dbs[index];
}

const move: CommandSpec = {
  name: "move",
  arity: 3,
  flags: ["write", "fast"],
  keys: [1, 1, 1],
  acl: ["keyspace", "write", "fast"],
  run(ctx, argv) {
    const src = ctx.db;
    const dst = targetDb(ctx, argv[2]);
    if (src === dst) fail(SAME_OBJECT);
    const key = argv[1];
    const value = src.peek(key);
    if (value === undefined || dst.peek(key) !== undefined) {
      ctx.reply.int(0);
      return;
    }
    const expire = src.getExpire(key);
    dst.add(key, value);
    if (expire !== undefined) dst.setExpire(key, expire);
    dst.modified(key);
    carryStringEncoding(src, key, dst, key);
    src.delete(key);
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "move_from", key, src.id);
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "move_to", key, dst.id);
    ctx.server.dirty++;
    ctx.reply.int(1);
  },
};

const copy: CommandSpec = {
  name: "copy",
  arity: -3,
  flags: ["write", "denyoom"],
  keys: [1, 2, 1],
  acl: ["keyspace", "write", "slow"],
  run(ctx, argv) {
    const src = ctx.db;
    let dst = src;
    let replace = false;
    const args = new ArgParser(argv, 3);
    while (args.remaining > 0) {
      const option = args.next().toUpperCase();
      if (option === "REPLACE") replace = true;
      else if (option === "DB" && args.remaining > 0) dst = targetDb(ctx, args.next());
      else fail(SYNTAX_ERROR);
    }
    const from = argv[1];
    const to = argv[2];
    if (src === dst && from === to) fail(SAME_OBJECT);
    const value = src.lookupRead(from);
    if (value === undefined) {
      ctx.reply.int(0);
      return;
    }
    const expire = src.getExpire(from);
    if (dst.peek(to) !== undefined) {
      if (!replace) {
        ctx.reply.int(0);
        return;
      }
      dst.delete(to);
    }
    dst.add(to, duplicate(value));
    if (expire !== undefined) dst.setExpire(to, expire);
    dst.modified(to);
    carryStringEncoding(src, from, dst, to);
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "copy_to", to, dst.id);
    ctx.server.dirty++;
    ctx.reply.int(1);
  },
};

// EXPIRE's option flags (expire.c's EXPIRE_NX …).
const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** The NX/XX/GT/LT options of the EXPIRE family (parseExtendedExpireArgumentsOrReply). */
function parseExpireFlags(argv: string[]): number {
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const option = argv[i].toUpperCase();
    if (option === "NX") flags |= EXPIRE_NX;
    else if (option === "XX") flags |= EXPIRE_XX;
    else if (option === "GT") flags |= EXPIRE_GT;
    else if (option === "LT") flags |= EXPIRE_LT;
    else fail(`ERR Unsupported option ${argv[i]}`);
  }
  if ((flags & EXPIRE_NX) !== 0 && (flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) !== 0) {
    fail("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if ((flags & EXPIRE_GT) !== 0 && (flags & EXPIRE_LT) !== 0) {
    fail("ERR GT and LT options at the same time are not compatible");
  }
  return flags;
}

/**
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (expireGenericCommand). Propagated as
 * PEXPIREAT with the absolute ms deadline and the same options, or as DEL
 * when the deadline is already past.
 */
function expireGeneric(
  ctx: CommandContext,
  argv: string[],
  relative: boolean,
  unitSeconds: boolean,
  command: string,
): void {
  const flags = parseExpireFlags(argv);
  const key = argv[1];
  const basetime = relative ? ctx.server.keyspace.now() : 0;
  const deadline = expireDeadline(argv[2], unitSeconds, basetime, command);
  const when = Number(deadline);
  const db = ctx.db;
  if (db.peek(key) === undefined) {
    ctx.reply.int(0);
    return;
  }
  if (flags !== 0) {
    const current = db.getExpire(key);
    if (
      ((flags & EXPIRE_NX) !== 0 && current !== undefined) ||
      ((flags & EXPIRE_XX) !== 0 && current === undefined) ||
      // No TTL counts as an infinite one: GT never beats it, LT always does.
      ((flags & EXPIRE_GT) !== 0 && (current === undefined || when <= current)) ||
      ((flags & EXPIRE_LT) !== 0 && current !== undefined && when >= current)
    ) {
      ctx.reply.int(0);
      return;
    }
  }
  if (alreadyExpired(ctx, when)) {
    deleteForPastDeadline(ctx, key);
    ctx.reply.int(1);
    return;
  }
  db.setExpire(key, when);
  notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "expire", key, db.id);
  ctx.server.dirty++;
  if (command !== "pexpireat") {
    const rewritten = ["PEXPIREAT", key, String(deadline)];
    for (let i = 3; i < argv.length; i++) rewritten.push(argv[i]);
    ctx.propagate(rewritten);
  }
  ctx.reply.int(1);
}

/** The spec of one EXPIRE-family command. */
function expireCommand(name: string, relative: boolean, unitSeconds: boolean): CommandSpec {
  return {
    name,
    arity: -3,
    flags: ["write", "fast"],
    keys: [1, 1, 1],
    acl: ["keyspace", "write", "fast"],
    run: (ctx, argv) => expireGeneric(ctx, argv, relative, unitSeconds, name),
  };
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME (ttlGenericCommand). */
function ttlCommand(name: string, inMs: boolean, absolute: boolean): CommandSpec {
  return {
    name,
    arity: 2,
    flags: ["readonly", "fast"],
    keys: [1, 1, 1],
    acl: ["keyspace", "read", "fast"],
    run(ctx, argv) {
      const db = ctx.db;
      if (db.lookupRead(argv[1]) === undefined) {
        ctx.reply.int(-2);
        return;
      }
      const expire = db.getExpire(argv[1]);
      if (expire === undefined) {
        ctx.reply.int(-1);
        return;
      }
      let ttl = absolute ? expire : expire - ctx.server.keyspace.now();
      if (ttl < 0) ttl = 0;
      ctx.reply.int(inMs ? ttl : Math.floor((ttl + 500) / 1000));
    },
  };
}

const persist: CommandSpec = {
  name: "persist",
  arity: 2,
  flags: ["write", "fast"],
  keys: [1, 1, 1],
  acl: ["keyspace", "write", "fast"],
  run(ctx, argv) {
    const db = ctx.db;
    if (db.peek(argv[1]) !== undefined && db.persist(argv[1])) {
      notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "persist", argv[1], db.id);
      ctx.server.dirty++;
      ctx.reply.int(1);
    } else {
      ctx.reply.int(0);
    }
  },
};

const touch: CommandSpec = {
  name: "touch",
  arity: -2,
  flags: ["readonly", "fast"],
  keys: [1, -1, 1],
  acl: ["keyspace", "read", "fast"],
  run(ctx, argv) {
    const db = ctx.db;
    let touched = 0;
    for (let i = 1; i < argv.length; i++) if (db.lookupRead(argv[i]) !== undefined) touched++;
    ctx.reply.int(touched);
  },
};

/** OBJECT HELP's lines between the header and HELP, as Redis 7.0 prints them. */
const OBJECT_HELP = [
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
];

/** One OBJECT subcommand on a key: nil when the key is missing, else `answer`. */
function objectSubcommand(
  name: string,
  answer: (ctx: CommandContext, key: string, value: RedisValue) => void,
): CommandSpec {
  return {
    name: "object|" + name,
    arity: 3,
    flags: ["readonly"],
    keys: [2, 2, 1],
    acl: ["keyspace", "read", "slow"],
    run(ctx, argv) {
      // LOOKUP_NOTOUCH: asking about a key is not a use of it.
      const value = ctx.db.lookupRead(argv[2], false);
      if (value === undefined) ctx.reply.nil();
      else answer(ctx, argv[2], value);
    },
  };
}

const object: CommandSpec = {
  name: "object",
  arity: -2,
  flags: [],
  keys: [0, 0, 0],
  acl: ["slow"],
  subcommands: [
    objectSubcommand("encoding", (ctx, key, value) => {
      ctx.reply.bulk(objectEncoding(ctx.db, key, value, ctx.server.config));
    }),
    objectSubcommand("refcount", (ctx, key, value) => {
      // Integers 0..9999 are shared objects unless an LRU/LFU maxmemory policy is in force.
      const config = ctx.server.config;
      let shared = false;
      if (typeof value === "string" && stringEncodingOf(ctx.db, key, value) === "int") {
        const n = parseSafeInt(value);
        shared = n !== undefined && n >= 0 && n < SHARED_INTEGERS &&
          (config.getNumber("maxmemory") === 0 || !isLruOrLfuPolicy(config));
      }
      ctx.reply.int(shared ? SHARED_REFCOUNT : 1);
    }),
    objectSubcommand("idletime", (ctx, key) => {
      if (isLfuPolicy(ctx.server.config)) {
        fail(
          "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        );
      }
      // Access times are recorded only under an LRU policy (access.ts);
      // otherwise every key reports as just used.
      const access = ctx.db.keyspace.access;
      ctx.reply.int(
        access instanceof AccessTracker ? Math.floor(access.idleMs(ctx.db, key) / 1000) : 0,
      );
    }),
    objectSubcommand("freq", (ctx, key) => {
      if (!isLfuPolicy(ctx.server.config)) {
        fail(
          "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        );
      }
      const access = ctx.db.keyspace.access;
      ctx.reply.int(access instanceof AccessTracker ? access.frequency(ctx.db, key) : LFU_INIT_VAL);
    }),
    {
      name: "object|help",
      arity: 2,
      flags: ["loading", "stale"],
      keys: [0, 0, 0],
      acl: ["keyspace", "slow"],
      run: (ctx, argv) => replyHelp(ctx, argv, OBJECT_HELP),
    },
  ],
};

/** The generic key family. */
export const keyCommands: readonly CommandSpec[] = [
  del,
  unlink,
  exists,
  type,
  keys,
  scan,
  randomkey,
  rename,
  renamenx,
  move,
  copy,
  expireCommand("expire", true, true),
  expireCommand("pexpire", true, false),
  expireCommand("expireat", false, true),
  expireCommand("pexpireat", false, false),
  ttlCommand("ttl", false, false),
  ttlCommand("pttl", true, false),
  ttlCommand("expiretime", false, true),
  ttlCommand("pexpiretime", true, true),
  persist,
  touch,
  object,
];
