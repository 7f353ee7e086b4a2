/**
 * Set commands (Redis 7.0's t_set.c), plus the helpers the collection
 * families share: Redis's integer-argument parsers with their exact error
 * texts, random sampling for SRANDMEMBER/SPOP/HRANDFIELD, and the *SCAN
 * cursor machinery used by SSCAN, HSCAN and ZSCAN.
 *
 * A set is a `StringSet` (src/store/set.ts). Redis 7.0 keeps small all-integer sets as
 * an intset and converts them to a hash table, never back, once they get a
 * non-integer member or outgrow set-max-intset-entries; writes here record
 * that conversion in keys.ts's `hashtableEncoded`. Besides OBJECT ENCODING,
 * the difference shows in SSCAN, which returns an intset whole in one call.
 *
 * Propagation (DESIGN decision 3): SPOP propagates one SREM per popped member
 * (several commands go out wrapped in MULTI/EXEC, as Redis 7.0 does), or DEL
 * when it popped the whole set; everything else propagates as called.
 *
 * @module
 */
import type { CommandContext, CommandSpec } from "./types.ts";
import { NOTIFY, notifyKeyspaceEvent } from "../store/notify.ts";
import { fail, NOT_AN_INTEGER, SYNTAX_ERROR, WrongTypeError } from "../errors.ts";
import { parseInt64, parseLongLong } from "../util/numbers.ts";
import { compileGlob } from "../util/glob.ts";
import type { RedisHash, RedisSet } from "../store/types.ts";
import { StringSet } from "../store/set.ts";
import { hashtableEncoded, objectEncoding } from "./keys.ts";

// ===================================================== shared argument parsing

/** Text of C's LONG_MIN, which Redis's "-LONG_MAX .. LONG_MAX" ranges exclude. */
const LONG_MIN_TEXT = "-9223372036854775808";
/** Redis's error for a negative count where a positive one is required. */
export const MUST_BE_POSITIVE = "ERR value is out of range, must be positive";
/** Redis's generic range error (HRANDFIELD/ZRANDMEMBER WITHVALUES, huge random counts). */
export const OUT_OF_RANGE = "ERR value is out of range";

/**
 * getLongFromObjectOrReply: an int64 argument as a number (exact within
 * ±2^53, rounded beyond, which only matters for values that are compared or
 * clamped). Throws `message` (default Redis's not-an-integer error).
 */
export function parseLong(arg: string, message: string = NOT_AN_INTEGER): number {
  const n = parseLongLong(arg);
  if (n === undefined) fail(message);
  return n;
}

/**
 * getPositiveLongFromObjectOrReply: a non-negative integer. Redis answers
 * `message` for both a non-integer and a negative value; without one, it
 * answers "value is out of range, must be positive" for both.
 */
export function parsePositiveLong(arg: string, message: string = MUST_BE_POSITIVE): number {
  const n = parseLong(arg, message);
  if (n < 0) fail(message);
  return n;
}

/**
 * A count for SRANDMEMBER/HRANDFIELD/ZRANDMEMBER: Redis's
 * getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX). A negative count asks
 * for -count members with repetitions; Redis 7.0 builds that reply however
 * large it is (and can be killed for it), so Redeno refuses more than
 * {@link MAX_RANDOM_REPLY} members, or (see {@link checkRandomReplyBytes})
 * more than {@link MAX_RANDOM_REPLY_BYTES} bytes, with Redis's range error.
 */
export function parseRandomCount(arg: string): number {
  const n = parseLong(arg);
  if (arg === LONG_MIN_TEXT) {
    fail(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
  }
  if (n < -MAX_RANDOM_REPLY) fail(OUT_OF_RANGE);
  return n;
}

/** HRANDFIELD/ZRANDMEMBER with values: Redis refuses |count| > LONG_MAX / 2. */
export function checkRandomCountWithValues(countArg: string): void {
  // Exact: doubles cannot tell 2^62 - 1 from 2^62. The argument is a valid int64 here.
  const n = BigInt(countArg);
  if (n > 4611686018427387903n || n < -4611686018427387903n) fail(OUT_OF_RANGE);
}

/** The most members a negative random count may ask for (see {@link parseRandomCount}). */
export const MAX_RANDOM_REPLY = 10_000_000;

/** The most bytes of members (and values) a reply with repetitions may carry. */
export const MAX_RANDOM_REPLY_BYTES = 512 * 1024 * 1024;

/** Refuses a reply with repetitions whose strings add up to more than MAX_RANDOM_REPLY_BYTES. */
export function checkRandomReplyBytes(strings: Iterable<string>): void {
  let bytes = 0;
  for (const s of strings) bytes += s.length;
  if (bytes > MAX_RANDOM_REPLY_BYTES) fail(OUT_OF_RANGE);
}

// ========================================================= random sampling

/**
 * Random access into Sets and Maps, which JS only iterates. A snapshot of
 * the members in an array is built on first use and kept in step by the
 * commands that mutate collections (they call {@link sampleAdded} and
 * {@link sampleInvalidate}). A snapshot whose length disagrees with the
 * collection is rebuilt, and so is one that yields a member no longer there
 * (the collection was changed by code that does not keep it). So repeated
 * SRANDMEMBER/SPOP/HRANDFIELD cost O(1) per member instead of O(n) per call.
 */
const samples = new WeakMap<RedisSet | RedisHash, string[]>();

function snapshot(coll: RedisSet | RedisHash): string[] {
  let arr = samples.get(coll);
  if (arr === undefined || arr.length !== coll.size) {
    arr = [...coll.keys()];
    samples.set(coll, arr);
  }
  return arr;
}

/** Runs `choose` over the snapshot, again over a fresh one if it picked a stale member. */
function chooseFrom(
  coll: RedisSet | RedisHash,
  choose: (members: string[]) => string[],
): string[] {
  const picked = choose(snapshot(coll));
  if (picked.every((m) => coll.has(m))) return picked;
  samples.delete(coll);
  return choose(snapshot(coll));
}

function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

/** Records that `member` was added to `coll` (keeps a live snapshot in step). */
export function sampleAdded(coll: RedisSet | RedisHash, member: string): void {
  samples.get(coll)?.push(member);
}

/** Drops `coll`'s snapshot after members were removed other than by {@link popRandom}. */
export function sampleInvalidate(coll: RedisSet | RedisHash): void {
  samples.delete(coll);
}

/** A uniformly random member (key) of a non-empty collection. */
export function randomMember(coll: RedisSet | RedisHash): string {
  return chooseFrom(coll, (arr) => [arr[randomIndex(arr.length)]])[0];
}

/** `count` random members with repetitions (negative SRANDMEMBER counts). */
export function randomMembersWithRepeats(
  coll: RedisSet | RedisHash,
  count: number,
): string[] {
  const out = chooseFrom(coll, (arr) => {
    const picked = new Array<string>(count);
    for (let i = 0; i < count; i++) picked[i] = arr[randomIndex(arr.length)];
    return picked;
  });
  checkRandomReplyBytes(out);
  return out;
}

/** `count` distinct random members, `count` < size (positive SRANDMEMBER counts). */
export function randomDistinctMembers(
  coll: RedisSet | RedisHash,
  count: number,
): string[] {
  return chooseFrom(coll, (arr) => {
    const n = arr.length;
    if (count * 2 < n) {
      const chosen = new Set<number>();
      while (chosen.size < count) chosen.add(randomIndex(n));
      return [...chosen].map((i) => arr[i]);
    }
    // Partial Fisher–Yates over a copy.
    const copy = arr.slice();
    for (let i = 0; i < count; i++) {
      const j = i + randomIndex(n - i);
      const t = copy[i];
      copy[i] = copy[j];
      copy[j] = t;
    }
    copy.length = count;
    return copy;
  });
}

/** Removes and returns a random member of a non-empty set, keeping the snapshot in step. */
function popRandom(set: RedisSet): string {
  let arr = snapshot(set);
  let i = randomIndex(arr.length);
  if (!set.has(arr[i])) {
    samples.delete(set);
    arr = snapshot(set);
    i = randomIndex(arr.length);
  }
  const member = arr[i];
  arr[i] = arr[arr.length - 1];
  arr.pop();
  set.delete(member);
  return member;
}

// ================================================================ *SCAN

/** C's isspace in the "C" locale. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

const ULONG_MAX = 18446744073709551615n;

/**
 * parseScanCursorOrReply: `strtoul` over the argument (a sign is accepted
 * and "-1" wraps to 2^64 - 1, "" is 0, text ends at a NUL byte), refused
 * with "ERR invalid cursor" for leading space, trailing bytes or overflow.
 * Cursors beyond 2^53 are returned rounded; such cursors are past any
 * collection anyway.
 */
export function parseScanCursor(arg: string): number {
  const nul = arg.indexOf("\0");
  const s = nul === -1 ? arg : arg.slice(0, nul);
  if (s.length === 0) return 0;
  if (isSpace(s.charCodeAt(0))) fail("ERR invalid cursor");
  const m = /^([+-]?)(\d+)$/.exec(s);
  if (m === null) fail("ERR invalid cursor");
  let v = BigInt(m[2]);
  if (v > ULONG_MAX) fail("ERR invalid cursor");
  if (m[1] === "-" && v !== 0n) v = ULONG_MAX + 1n - v;
  return Number(v);
}

/** The COUNT and MATCH options of a *SCAN command. */
export interface ScanOptions {
  count: number;
  /** The compiled MATCH pattern, or undefined when absent or `*`. */
  match: ((subject: string) => boolean) | undefined;
}

/** Parses `[MATCH pattern] [COUNT count]` from argv[start] on, like scanGenericCommand. */
export function parseScanOptions(argv: string[], start: number): ScanOptions {
  let count = 10;
  let match: ((subject: string) => boolean) | undefined;
  for (let i = start; i < argv.length; i += 2) {
    const opt = argv[i].toLowerCase();
    const more = argv.length - i >= 2;
    if (opt === "count" && more) {
      count = parseLong(argv[i + 1]);
      if (count < 1) fail(SYNTAX_ERROR);
    } else if (opt === "match" && more) {
      const pattern = argv[i + 1];
      match = pattern === "*" ? undefined : compileGlob(pattern);
    } else {
      fail(SYNTAX_ERROR);
    }
  }
  return { count, match };
}

/** How many resumable scan positions are kept per collection. */
const SCAN_STATES_PER_COLLECTION = 16;

interface ScanState {
  iterator: Iterator<string>;
  /** The next key the iterator produced, not yet returned. */
  head: IteratorResult<string>;
}

const scanStates = new WeakMap<object, Map<number, ScanState>>();

/**
 * One page of a cursor scan over `keys()` of a collection that is too big to
 * return whole. The cursor is the number of keys handed out so far.
 *
 * Guarantees. The page's iterator is kept, keyed by the cursor it returned,
 * and the next call with that cursor resumes it. JS Map and Set iterators
 * are live: a resumed scan returns every key present from the first call to
 * the last exactly once, keys deleted meanwhile are not returned, and keys
 * added meanwhile may be — Redis's SCAN guarantees, without its duplicates.
 * A cursor whose iterator is no longer kept (more than
 * {@link SCAN_STATES_PER_COLLECTION} scans at once on one collection, or the
 * collection was replaced) is resumed by position instead: correct when the
 * collection did not change, and it may skip or repeat keys when it did.
 * Returns the next cursor (0 when done) and the keys, whose presence the
 * caller re-checks (a kept look-ahead key may have been deleted since).
 */
export function scanPage(
  owner: object,
  keys: () => Iterator<string>,
  cursor: number,
  count: number,
): [next: number, page: string[]] {
  let states = scanStates.get(owner);
  let state = cursor === 0 ? undefined : states?.get(cursor);
  if (state !== undefined) {
    states!.delete(cursor);
  } else {
    const iterator = keys();
    for (let i = 0; i < cursor; i++) {
      if (iterator.next().done) return [0, []];
    }
    state = { iterator, head: iterator.next() };
  }
  const page: string[] = [];
  let head = state.head;
  while (!head.done && page.length < count) {
    page.push(head.value);
    head = state.iterator.next();
  }
  if (head.done) return [0, page];
  const next = cursor + page.length;
  if (states === undefined) {
    states = new Map();
    scanStates.set(owner, states);
  }
  if (states.size >= SCAN_STATES_PER_COLLECTION) states.delete(states.keys().next().value!);
  states.set(next, { iterator: state.iterator, head });
  return [next, page];
}

/**
 * Writes a *SCAN reply: `[cursor, [items…]]`. `items` holds the flat
 * element list (for HSCAN/ZSCAN: key, value pairs).
 */
export function scanReply(ctx: CommandContext, cursor: number, items: string[]): void {
  ctx.reply.array(2);
  ctx.reply.bulk(String(cursor));
  ctx.reply.bulkArray(items);
}

/** Parses the SINTERCARD / LMPOP / ZMPOP style numkeys argument (≥ 1). */
export function parseNumKeys(arg: string): number {
  const n = parseLong(arg, "ERR numkeys should be greater than 0");
  if (n < 1) fail("ERR numkeys should be greater than 0");
  return n;
}

// ================================================================ sets

/**
 * Records Redis's one-way intset → hashtable conversion when `member` was
 * just added to `set`: a member that is not an int64, or more members than
 * set-max-intset-entries (OBJECT ENCODING and SSCAN read the mark).
 */
function noteSetAdd(ctx: CommandContext, set: RedisSet, member: string): void {
  if (hashtableEncoded.has(set)) return;
  if (
    parseInt64(member) === undefined ||
    set.size > ctx.server.config.getNumber("set-max-intset-entries")
  ) {
    hashtableEncoded.add(set);
  }
}

/** Adds `member` to `set`; true when it was new. */
function addMember(ctx: CommandContext, set: RedisSet, member: string): boolean {
  if (set.has(member)) return false;
  set.add(member);
  sampleAdded(set, member);
  noteSetAdd(ctx, set, member);
  return true;
}

function replyMembers(ctx: CommandContext, members: Iterable<string>, size: number): void {
  ctx.reply.set(size);
  for (const m of members) ctx.reply.bulk(m);
}

const sadd: CommandSpec = {
  name: "sadd",
  arity: -3,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "set", "fast"],
  run(ctx, argv) {
    const key = argv[1];
    let set = ctx.db.getSet(key, true);
    if (set === undefined) {
      set = new StringSet();
      ctx.db.add(key, set);
    }
    let added = 0;
    for (let i = 2; i < argv.length; i++) {
      if (addMember(ctx, set, argv[i])) added++;
    }
    if (added > 0) {
      ctx.db.modified(key);
      ctx.server.dirty += added;
      notifyKeyspaceEvent(ctx.server, NOTIFY.SET, "sadd", key, ctx.db.id);
    }
    ctx.reply.int(added);
  },
};

const srem: CommandSpec = {
  name: "srem",
  arity: -3,
  flags: ["write", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "set", "fast"],
  run(ctx, argv) {
    const key = argv[1];
    const set = ctx.db.getSet(key, true);
    if (set === undefined) return ctx.reply.int(0);
    let removed = 0;
    for (let i = 2; i < argv.length; i++) {
      if (set.delete(argv[i])) {
        removed++;
        if (set.size === 0) break; // Redis stops once the set is gone
      }
    }
    if (removed > 0) {
      sampleInvalidate(set);
      notifyKeyspaceEvent(ctx.server, NOTIFY.SET, "srem", key, ctx.db.id);
      if (ctx.db.deleteIfEmpty(key, set)) {
        notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, ctx.db.id);
      }
      ctx.db.modified(key);
      ctx.server.dirty += removed;
    }
    ctx.reply.int(removed);
  },
};

const smembers: CommandSpec = {
  name: "smembers",
  arity: 2,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "set", "slow"],
  run(ctx, argv) {
    const set = ctx.db.getSet(argv[1]);
    if (set === undefined) return ctx.reply.set(0);
    replyMembers(ctx, set, set.size);
  },
};

const sismember: CommandSpec = {
  name: "sismember",
  arity: 3,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "set", "fast"],
  run(ctx, argv) {
    const set = ctx.db.getSet(argv[1]);
    ctx.reply.int(set?.has(argv[2]) ? 1 : 0);
  },
};

const smismember: CommandSpec = {
  name: "smismember",
  arity: -3,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "set", "fast"],
  run(ctx, argv) {
    const set = ctx.db.getSet(argv[1]);
    ctx.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) ctx.reply.int(set?.has(argv[i]) ? 1 : 0);
  },
};

const scard: CommandSpec = {
  name: "scard",
  arity: 2,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "set", "fast"],
  run(ctx, argv) {
    ctx.reply.int(ctx.db.getSet(argv[1])?.size ?? 0);
  },
};

const spop: CommandSpec = {
  name: "spop",
  arity: -2,
  flags: ["write", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "set", "fast"],
  run(ctx, argv) {
    const key = argv[1];
    if (argv.length > 3) fail(SYNTAX_ERROR);
    if (argv.length === 3) return spopWithCount(ctx, key, parsePositiveLong(argv[2]));
    const set = ctx.db.getSet(key, true);
    if (set === undefined) return ctx.reply.nil();
    const member = popRandom(set);
    notifyKeyspaceEvent(ctx.server, NOTIFY.SET, "spop", key, ctx.db.id);
    if (ctx.db.deleteIfEmpty(key, set)) {
      notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, ctx.db.id);
    }
    ctx.db.modified(key);
    ctx.server.dirty++;
    ctx.propagate(["SREM", key, member]);
    ctx.reply.bulk(member);
  },
};

function spopWithCount(ctx: CommandContext, key: string, count: number): void {
  const set = ctx.db.getSet(key, true);
  if (set === undefined || count === 0) return ctx.reply.set(0);
  if (count >= set.size) {
    // Redis's CASE 1: the whole set goes, propagated as DEL.
    replyMembers(ctx, set, set.size);
    ctx.server.dirty += set.size;
    notifyKeyspaceEvent(ctx.server, NOTIFY.SET, "spop", key, ctx.db.id);
    ctx.db.delete(key);
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, ctx.db.id);
    // Redis 7.0 propagates DEL here even with lazyfree-lazy-server-del.
    ctx.propagate(["DEL", key]);
    return;
  }
  ctx.reply.set(count);
  notifyKeyspaceEvent(ctx.server, NOTIFY.SET, "spop", key, ctx.db.id);
  for (let i = 0; i < count; i++) {
    const member = popRandom(set);
    ctx.reply.bulk(member);
    ctx.propagate(["SREM", key, member]);
  }
  ctx.db.modified(key);
  ctx.server.dirty += count;
}

const srandmember: CommandSpec = {
  name: "srandmember",
  arity: -2,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "set", "slow"],
  run(ctx, argv) {
    if (argv.length > 3) fail(SYNTAX_ERROR);
    if (argv.length === 3) {
      const count = parseRandomCount(argv[2]);
      const set = ctx.db.getSet(argv[1]);
      if (set === undefined || count === 0) return ctx.reply.array(0);
      if (count < 0) return ctx.reply.bulkArray(randomMembersWithRepeats(set, -count));
      if (count >= set.size) return ctx.reply.bulkArray([...set]);
      return ctx.reply.bulkArray(randomDistinctMembers(set, count));
    }
    const set = ctx.db.getSet(argv[1]);
    if (set === undefined) return ctx.reply.nil();
    ctx.reply.bulk(randomMember(set));
  },
};

const smove: CommandSpec = {
  name: "smove",
  arity: 4,
  flags: ["write", "fast"],
  keys: [1, 2, 1],
  acl: ["write", "set", "fast"],
  run(ctx, argv) {
    const [, srcKey, dstKey, member] = argv;
    const srcSet = ctx.db.lookupWrite(srcKey);
    const dst = ctx.db.lookupWrite(dstKey);
    if (srcSet === undefined) return ctx.reply.int(0);
    if (!(srcSet instanceof StringSet) || (dst !== undefined && !(dst instanceof StringSet))) {
      throw new WrongTypeError();
    }
    if (srcSet === dst) return ctx.reply.int(srcSet.has(member) ? 1 : 0);
    if (!srcSet.delete(member)) return ctx.reply.int(0);
    sampleInvalidate(srcSet);
    notifyKeyspaceEvent(ctx.server, NOTIFY.SET, "srem", srcKey, ctx.db.id);
    if (ctx.db.deleteIfEmpty(srcKey, srcSet)) {
      notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", srcKey, ctx.db.id);
    }
    let dstSet = dst;
    if (dstSet === undefined) {
      dstSet = new StringSet();
      ctx.db.add(dstKey, dstSet);
    }
    ctx.db.modified(srcKey);
    ctx.server.dirty++;
    if (addMember(ctx, dstSet, member)) {
      ctx.server.dirty++;
      ctx.db.modified(dstKey);
      notifyKeyspaceEvent(ctx.server, NOTIFY.SET, "sadd", dstKey, ctx.db.id);
    }
    ctx.reply.int(1);
  },
};

/**
 * Looks up the sets of a SINTER/SUNION/SDIFF family command; undefined for a
 * missing key. Reads, also for the *STORE forms (Redis 7.0 counts them as
 * keyspace hits and misses).
 */
function lookupSets(ctx: CommandContext, keys: string[]): (RedisSet | undefined)[] {
  return keys.map((k) => ctx.db.getSet(k));
}

/**
 * Stores `members` (distinct) at `dst` like the *STORE commands: an empty
 * result deletes `dst`.
 */
function storeSet(ctx: CommandContext, dst: string, members: string[]): void {
  if (members.length > 0) {
    const result = StringSet.fromDistinct(members);
    // Redis builds the result as an intset and converts it as members come.
    for (const member of members) {
      noteSetAdd(ctx, result, member);
      if (hashtableEncoded.has(result)) break;
    }
    ctx.db.set(dst, result);
    ctx.server.dirty++;
    // The event is the command's name: sinterstore, sunionstore or sdiffstore.
    notifyKeyspaceEvent(ctx.server, NOTIFY.SET, ctx.client.lastCommand, dst, ctx.db.id);
  } else if (ctx.db.delete(dst)) {
    ctx.server.dirty++;
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", dst, ctx.db.id);
  }
  ctx.reply.int(members.length);
}

/**
 * The intersection of `sets` (smallest first, as Redis iterates), stopping
 * after `limit` members when limit > 0. Results are plain arrays: a reply
 * needs no set, and a stored one is built once, from distinct members.
 */
function intersect(sets: RedisSet[], limit = 0): string[] {
  const ordered = [...sets].sort((a, b) => a.size - b.size);
  const out: string[] = [];
  const [first, ...rest] = ordered;
  for (const m of first) {
    if (rest.every((s) => s.has(m))) {
      out.push(m);
      if (limit > 0 && out.length >= limit) break;
    }
  }
  return out;
}

function sinterGeneric(ctx: CommandContext, keys: string[], dst?: string): void {
  const sets = lookupSets(ctx, keys);
  if (sets.some((s) => s === undefined)) {
    if (dst !== undefined) return storeSet(ctx, dst, []);
    return ctx.reply.set(0);
  }
  const result = intersect(sets as RedisSet[]);
  if (dst !== undefined) return storeSet(ctx, dst, result);
  replyMembers(ctx, result, result.length);
}

function sunionDiffGeneric(
  ctx: CommandContext,
  keys: string[],
  diff: boolean,
  dst?: string,
): void {
  const sets = lookupSets(ctx, keys);
  let result: string[];
  if (!diff) {
    const union = new Set<string>();
    for (const s of sets) if (s !== undefined) { for (const m of s) union.add(m); }
    result = [...union];
  } else {
    result = [];
    const [first, ...rest] = sets;
    if (first !== undefined) {
      const others = rest.filter((s): s is RedisSet => s !== undefined && s.size > 0);
      for (const m of first) if (!others.some((s) => s.has(m))) result.push(m);
    }
  }
  if (dst !== undefined) return storeSet(ctx, dst, result);
  replyMembers(ctx, result, result.length);
}

const sinter: CommandSpec = {
  name: "sinter",
  arity: -2,
  flags: ["readonly"],
  keys: [1, -1, 1],
  acl: ["read", "set", "slow"],
  run(ctx, argv) {
    sinterGeneric(ctx, argv.slice(1));
  },
};

const sintercard: CommandSpec = {
  name: "sintercard",
  arity: -3,
  flags: ["readonly", "movablekeys"],
  keys: [0, 0, 0],
  acl: ["read", "set", "slow"],
  run(ctx, argv) {
    const numkeys = parseNumKeys(argv[1]);
    if (numkeys > argv.length - 2) fail("ERR Number of keys can't be greater than number of args");
    let limit = 0;
    for (let j = 2 + numkeys; j < argv.length; j++) {
      if (argv[j].toLowerCase() === "limit" && j < argv.length - 1) {
        limit = parsePositiveLong(argv[++j], "ERR LIMIT can't be negative");
      } else {
        fail(SYNTAX_ERROR);
      }
    }
    const sets = lookupSets(ctx, argv.slice(2, 2 + numkeys));
    if (sets.some((s) => s === undefined)) return ctx.reply.int(0);
    ctx.reply.int(intersect(sets as RedisSet[], limit).length);
  },
};

const sinterstore: CommandSpec = {
  name: "sinterstore",
  arity: -3,
  flags: ["write", "denyoom"],
  keys: [1, -1, 1],
  acl: ["write", "set", "slow"],
  run(ctx, argv) {
    sinterGeneric(ctx, argv.slice(2), argv[1]);
  },
};

const sunion: CommandSpec = {
  name: "sunion",
  arity: -2,
  flags: ["readonly"],
  keys: [1, -1, 1],
  acl: ["read", "set", "slow"],
  run(ctx, argv) {
    sunionDiffGeneric(ctx, argv.slice(1), false);
  },
};

const sunionstore: CommandSpec = {
  name: "sunionstore",
  arity: -3,
  flags: ["write", "denyoom"],
  keys: [1, -1, 1],
  acl: ["write", "set", "slow"],
  run(ctx, argv) {
    sunionDiffGeneric(ctx, argv.slice(2), false, argv[1]);
  },
};

const sdiff: CommandSpec = {
  name: "sdiff",
  arity: -2,
  flags: ["readonly"],
  keys: [1, -1, 1],
  acl: ["read", "set", "slow"],
  run(ctx, argv) {
    sunionDiffGeneric(ctx, argv.slice(1), true);
  },
};

const sdiffstore: CommandSpec = {
  name: "sdiffstore",
  arity: -3,
  flags: ["write", "denyoom"],
  keys: [1, -1, 1],
  acl: ["write", "set", "slow"],
  run(ctx, argv) {
    sunionDiffGeneric(ctx, argv.slice(2), true, argv[1]);
  },
};

const sscan: CommandSpec = {
  name: "sscan",
  arity: -3,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "set", "slow"],
  run(ctx, argv) {
    const cursor = parseScanCursor(argv[2]);
    const set = ctx.db.getSet(argv[1]);
    if (set === undefined) return scanReply(ctx, 0, []);
    const { count, match } = parseScanOptions(argv, 3);
    let next = 0;
    let page: string[];
    if (objectEncoding(ctx.db, argv[1], set, ctx.server.config) === "intset") {
      page = [...set];
    } else {
      [next, page] = scanPage(set, () => set.values(), cursor, count);
      page = page.filter((m) => set.has(m));
    }
    scanReply(ctx, next, match === undefined ? page : page.filter(match));
  },
};

/** The set family. */
export const setCommands: readonly CommandSpec[] = [
  sadd,
  srem,
  smembers,
  sismember,
  smismember,
  scard,
  spop,
  srandmember,
  smove,
  sinter,
  sintercard,
  sinterstore,
  sunion,
  sunionstore,
  sdiff,
  sdiffstore,
  sscan,
];
