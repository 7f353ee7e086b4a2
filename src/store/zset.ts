/**
 * The sorted-set value: Redis's skiplist (`zsl` in t_zset.c) plus a map from
 * member to score, or, for a small set, two sorted arrays (the flat form,
 * like Redis's listpack; see `ZSet.#flat`).
 *
 * Order is by score, then by member bytes. Members are byte strings held one
 * byte per UTF-16 code unit (DESIGN decision 1), so JS string comparison is
 * exactly Redis's `sdscmp` (memcmp, then the shorter first). Scores are never
 * NaN; callers reject NaN before they get here. -0 and 0 compare equal, as
 * in C.
 *
 * The skiplist is Pugh's with Redis's three changes: repeated scores, ties
 * broken by member, a backward pointer on level 0. Each forward link carries a
 * span (how many level-0 steps it covers), so ranks are O(log n). Levels are
 * drawn with probability {@link SKIPLIST_P} up to {@link SKIPLIST_MAXLEVEL}.
 *
 * This file also holds the parsers for score and lex ranges
 * ({@link parseScoreRange}, {@link parseLexRange}) with Redis's exact
 * acceptance rules, and {@link formatScore}.
 *
 * Rank arguments here are 0-based and already normalized by the caller
 * (non-negative, inclusive, within the set), unless a method says otherwise.
 *
 * @module
 */
import { formatDouble } from "../util/numbers.ts";

/** Redis's ZSKIPLIST_MAXLEVEL: enough for 2^64 elements. */
export const SKIPLIST_MAXLEVEL = 32;
/** Redis's ZSKIPLIST_P: the chance that a node reaches the next level. */
export const SKIPLIST_P = 0.25;

// ------------------------------------------------------------------ ranges

/**
 * A score interval, as ZRANGEBYSCORE and friends take it. `min` is always the
 * low end: for ZREVRANGEBYSCORE key max min, parse `(argv[3], argv[2])`, i.e.
 * `parseScoreRange(minArg, maxArg)` with the arguments swapped back.
 */
export interface ScoreRange {
  min: number;
  max: number;
  /** True for `(min`: scores equal to min are out. */
  minExclusive: boolean;
  /** True for `(max`: scores equal to max are out. */
  maxExclusive: boolean;
}

/**
 * A lexicographic interval, as ZRANGEBYLEX and friends take it; `min` is
 * always the low end (swap ZREVRANGEBYLEX's arguments back, as for scores).
 *
 * `-` and `+` are not strings but the ends of the member space: they are
 * represented by `minInfinity`/`maxInfinity` (-1 for `-`, +1 for `+`), and the
 * string field is then "". Either bound may be either infinity: `+` as min
 * gives an empty range, as in Redis. As in Redis, the infinities count as
 * exclusive.
 */
export interface LexRange {
  min: string;
  max: string;
  minExclusive: boolean;
  maxExclusive: boolean;
  /** -1 when min is `-`, 1 when min is `+`, 0 when `min` holds the bound. */
  minInfinity: -1 | 0 | 1;
  /** -1 when max is `-`, 1 when max is `+`, 0 when `max` holds the bound. */
  maxInfinity: -1 | 0 | 1;
}

/** Options for range queries. */
export interface RangeOptions {
  /** Walk from the high end down (ZREVRANGEBYSCORE / ZREVRANGEBYLEX). */
  reverse?: boolean;
  /** Matches to skip first (LIMIT offset); negative gives an empty result, as in Redis. */
  offset?: number;
  /** Most matches to return (LIMIT count); negative or absent means all, 0 none. */
  limit?: number;
}

/** A member and its score. */
export type ScoredMember = [member: string, score: number];

const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_FLOAT =
  /^([+-]?)0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const INFINITY_TEXT = /^([+-]?)(?:inf|infinity)$/i;

/** C's isspace in the "C" locale. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** The value of a hex float text that matched HEX_FLOAT (correct for normal results). */
function hexFloatValue(m: RegExpExecArray): number {
  const intDigits = m[2] ?? "";
  const fraction = m[3] ?? m[4] ?? "";
  const digits = (intDigits + fraction).replace(/^0+/, "");
  const sign = m[1] === "-" ? -1 : 1;
  if (digits === "") return sign * 0;
  let exponent = m[5] === undefined ? 0 : Number(m[5]);
  exponent -= 4 * fraction.length;
  // Keep 15 hex digits (60 bits) and a sticky bit: the conversion to double
  // then rounds once, correctly, for normal results.
  let head = digits;
  if (digits.length > 15) {
    head = digits.slice(0, 15) + (/[^0]/.test(digits.slice(15)) ? "1" : "0");
    exponent += 4 * (digits.length - 16);
  }
  let value = Number(BigInt("0x" + head));
  // Scale in steps so that 2^exponent itself never overflows or underflows.
  while (exponent > 0 && value !== Infinity) {
    const step = Math.min(exponent, 1000);
    value *= 2 ** step;
    exponent -= step;
  }
  while (exponent < 0 && value !== 0) {
    const step = Math.max(exponent, -1000);
    value *= 2 ** step;
    exponent -= step;
  }
  return sign * value;
}

/**
 * C's `strtod` over the whole of `s`, as zslParseRange uses it: the value, or
 * undefined when strtod would stop before the end of the C string. So leading
 * whitespace is skipped, the text ends at the first NUL byte, "" is 0,
 * overflow gives ±inf and underflow 0 (no ERANGE check), and NaN is refused.
 */
function strtodWhole(s: string): number | undefined {
  const nul = s.indexOf("\0");
  if (nul !== -1) s = s.slice(0, nul);
  if (s === "") return 0; // no conversion, and the end pointer is at the NUL
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  if (i === s.length) return undefined; // no conversion: the end pointer is at the spaces
  const t = i === 0 ? s : s.slice(i);
  if (DECIMAL_FLOAT.test(t)) return Number(t);
  const inf = INFINITY_TEXT.exec(t);
  if (inf !== null) return inf[1] === "-" ? -Infinity : Infinity;
  const hex = HEX_FLOAT.exec(t);
  if (hex !== null) return hexFloatValue(hex);
  return undefined;
}

/** One end of a score range: `(x` exclusive, else inclusive. */
function parseScoreBound(arg: string): [value: number, exclusive: boolean] | undefined {
  const exclusive = arg.charCodeAt(0) === 0x28; // '('
  const value = strtodWhole(exclusive ? arg.slice(1) : arg);
  return value === undefined ? undefined : [value, exclusive];
}

/**
 * Redis's zslParseRange: `(` makes a bound exclusive; the rest is read with
 * C's strtod, so `inf`, `-inf`, `+inf`, `infinity`, hex floats, leading
 * whitespace and "" (0) are accepted, and text after a NUL byte is ignored;
 * NaN and trailing bytes are rejected. Returns undefined on bad syntax (the
 * caller replies "ERR min or max is not a float"). For ZREVRANGEBYSCORE pass
 * the arguments as (min, max), i.e. swapped back.
 */
export function parseScoreRange(minArg: string, maxArg: string): ScoreRange | undefined {
  const min = parseScoreBound(minArg);
  if (min === undefined) return undefined;
  const max = parseScoreBound(maxArg);
  if (max === undefined) return undefined;
  return { min: min[0], max: max[0], minExclusive: min[1], maxExclusive: max[1] };
}

/** One end of a lex range, as zslParseLexRangeItem reads it. */
function parseLexBound(
  arg: string,
): [value: string, exclusive: boolean, infinity: -1 | 0 | 1] | undefined {
  switch (arg.charCodeAt(0)) {
    case 0x2b: // '+': the C code only checks that the next byte is NUL
      return arg.length === 1 || arg.charCodeAt(1) === 0 ? ["", true, 1] : undefined;
    case 0x2d: // '-'
      return arg.length === 1 || arg.charCodeAt(1) === 0 ? ["", true, -1] : undefined;
    case 0x28: // '('
      return [arg.slice(1), true, 0];
    case 0x5b: // '['
      return [arg.slice(1), false, 0];
    default:
      return undefined;
  }
}

/**
 * Redis's zslParseLexRange: each bound is `-`, `+`, `[bytes` (inclusive) or
 * `(bytes` (exclusive). Returns undefined on bad syntax (the caller replies
 * "ERR min or max not valid string range item"). For ZREVRANGEBYLEX pass the
 * arguments as (min, max), i.e. swapped back.
 */
export function parseLexRange(minArg: string, maxArg: string): LexRange | undefined {
  const min = parseLexBound(minArg);
  if (min === undefined) return undefined;
  const max = parseLexBound(maxArg);
  if (max === undefined) return undefined;
  return {
    min: min[0],
    max: max[0],
    minExclusive: min[1],
    maxExclusive: max[1],
    minInfinity: min[2],
    maxInfinity: max[2],
  };
}

/**
 * How Redis 7.0 replies a score (`addReplyDouble`, `%.17g`): "3",
 * "0.10000000000000001", "1e+20", "1.4999999999999999e-07", "inf", "-inf",
 * and "-0" for negative zero (a listpack-encoded zset in Redis stores -0 as
 * "0"; normalizing that is the caller's choice).
 */
export function formatScore(score: number): string {
  return formatDouble(score);
}

function scoreGteMin(score: number, r: ScoreRange): boolean {
  return r.minExclusive ? score > r.min : score >= r.min;
}

function scoreLteMax(score: number, r: ScoreRange): boolean {
  return r.maxExclusive ? score < r.max : score <= r.max;
}

/** Whether no score can be in `r` (zslIsInRange's first test). */
export function isEmptyScoreRange(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minExclusive || r.maxExclusive));
}

function lexGteMin(member: string, r: LexRange): boolean {
  if (r.minInfinity !== 0) return r.minInfinity < 0;
  return r.minExclusive ? member > r.min : member >= r.min;
}

function lexLteMax(member: string, r: LexRange): boolean {
  if (r.maxInfinity !== 0) return r.maxInfinity > 0;
  return r.maxExclusive ? member < r.max : member <= r.max;
}

/** Whether no member can be in `r` (sdscmplex-based test of zslIsInLexRange). */
export function isEmptyLexRange(r: LexRange): boolean {
  let cmp: number;
  if (r.minInfinity !== 0 && r.minInfinity === r.maxInfinity) cmp = 0;
  else if (r.minInfinity < 0 || r.maxInfinity > 0) cmp = -1;
  else if (r.minInfinity > 0 || r.maxInfinity < 0) cmp = 1;
  else cmp = r.min < r.max ? -1 : r.min > r.max ? 1 : 0;
  return cmp > 0 || (cmp === 0 && (r.minExclusive || r.maxExclusive));
}

// ---------------------------------------------------------------- skiplist
//
// Node storage. Following pointers through JS objects costs two or three
// cache misses per skiplist hop (node, forward array, span array), which made
// random inserts into a 1M-member set several times slower than Redis. So the
// nodes live in one ArrayBuffer as fixed-layout records, like Redis's C
// structs: a hop reads the forward link and span next to each other and then
// a copy of the next node's score, so a comparison that does not advance
// touches no other record (Redis reads the next node; here that read is the
// expensive part). A record is `3 + 2 * level` units of 8 bytes, and a node is
// addressed by its unit offset `x`:
//
//   f64[x]              score
//   i32[2x + 2]         member slot (index into #members)
//   i32[2x + 3]         backward: the previous node, or NIL
//   i32[2x + 4]         level
//   i32[2x + 6 + 4i]    forward at level i, or NIL
//   i32[2x + 7 + 4i]    span at level i
//   f64[x + 4 + 2i]     the score of the forward node at level i (a cache)
//
// The header is a record too, with room for #headerLevels levels; it moves to
// a larger record when a taller node arrives (nothing points at it: the first
// node's backward is NIL). Freed records go to a free list per level and are
// reused by new nodes of that level; when more than half of the buffer is
// free, the set is rebuilt compactly.

/** A null link. */
const NIL = -1;
/** Units (8 bytes) of a fresh set's buffer: room for the header and a few nodes. */
const INITIAL_UNITS = 32;
/** Header levels of a fresh set; doubled (up to SKIPLIST_MAXLEVEL) as needed. */
const INITIAL_HEADER_LEVELS = 4;
/** Free units below which a set is never rebuilt to reclaim space. */
const COMPACT_MIN_FREE_UNITS = 4096;

/** zslRandomLevel: 1 + the number of successes at probability SKIPLIST_P. */
function randomLevel(): number {
  let level = 1;
  while (Math.random() < SKIPLIST_P && level < SKIPLIST_MAXLEVEL) level++;
  return level;
}

// Scratch for search paths (single-threaded, never re-entered): the node
// before the position at each level, and its rank.
const UPDATE = new Int32Array(SKIPLIST_MAXLEVEL);
const RANK = new Int32Array(SKIPLIST_MAXLEVEL);
// Scratch for linking sorted nodes in bulk: the last node at each level, its rank.
const LAST = new Int32Array(SKIPLIST_MAXLEVEL);
const LAST_RANK = new Int32Array(SKIPLIST_MAXLEVEL);
/** Scratch for the levels of a bulk build (grown on demand). */
let bulkLevels = new Int32Array(256);

/** Members up to which a set stays flat and is changed in place (see `#flat`). */
export const FLAT_MAX_ENTRIES = 128;
/** The tables of a flat set: never written, #materialize replaces them. */
const NO_UNITS = new Float64Array(0);
const NO_UNITS_I32 = new Int32Array(NO_UNITS.buffer);
const NO_ITEMS: never[] = [];
const NO_ENTRIES: Map<string, number> = new Map();

/** A set's entries as two parallel arrays: ascending by (score, member), distinct. */
interface FlatEntries {
  members: string[];
  scores: ArrayLike<number>;
}

/** Flat entries that can change in place. */
interface SmallEntries {
  members: string[];
  scores: number[];
}

/** Whether (sa, ma) sorts before (sb, mb): by score, then member bytes. */
function sortsBefore(sa: number, ma: string, sb: number, mb: string): boolean {
  return sa < sb || (sa === sb && ma < mb);
}

/** Insert a member not in the set at its place in the order. */
function flatInsert(small: SmallEntries, member: string, score: number): void {
  const { members, scores } = small;
  let lo = 0;
  let hi = members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sortsBefore(scores[mid], members[mid], score, member)) lo = mid + 1;
    else hi = mid;
  }
  small.members = withItemAt(members, lo, member);
  small.scores = withItemAt(scores, lo, score);
}

/**
 * A copy of `items` with `item` inserted at `at`, exactly as long as it
 * must be: splice grows the capacity by half (measured, 10 members with
 * their strings: 932 bytes a set with splice, 899–926 with this, 1669 with
 * nodes and a map).
 */
function withItemAt<T>(items: readonly T[], at: number, item: T): T[] {
  const out = new Array<T>(items.length + 1);
  for (let k = 0; k < at; k++) out[k] = items[k];
  out[at] = item;
  for (let k = at; k < items.length; k++) out[k + 1] = items[k];
  return out;
}

/** The indexes lo..hi-1 of a flat set's entries whose scores are in `range`. */
function flatScoreSpan(flat: FlatEntries, range: ScoreRange): [lo: number, hi: number] {
  const n = flat.members.length;
  let lo = 0;
  while (lo < n && !scoreGteMin(flat.scores[lo], range)) lo++;
  let hi = lo;
  while (hi < n && scoreLteMax(flat.scores[hi], range)) hi++;
  return [lo, hi];
}

/** The indexes lo..hi-1 of a flat set's entries in the lex `range` (zzlFirstInLexRange's scan). */
function flatLexSpan(flat: FlatEntries, range: LexRange): [lo: number, hi: number] {
  const n = flat.members.length;
  let lo = 0;
  while (lo < n && !lexGteMin(flat.members[lo], range)) lo++;
  let hi = lo;
  while (hi < n && lexLteMax(flat.members[hi], range)) hi++;
  return [lo, hi];
}

/**
 * The entries at indexes lo..hi-1 of a flat set, ascending or descending
 * with `opts.reverse`, after skipping `opts.offset` and up to `opts.limit`.
 */
function flatWindow(flat: FlatEntries, lo: number, hi: number, opts: RangeOptions): ScoredMember[] {
  const offset = opts.offset ?? 0;
  const limit = opts.limit ?? -1;
  const available = hi - lo - offset;
  if (offset < 0 || limit === 0 || available <= 0) return [];
  const n = limit < 0 ? available : Math.min(limit, available);
  const out = new Array<ScoredMember>(n);
  for (let k = 0; k < n; k++) {
    const at = opts.reverse === true ? hi - 1 - offset - k : lo + offset + k;
    out[k] = [flat.members[at], flat.scores[at]];
  }
  return out;
}

/** A Redis sorted set: members with scores, ordered by (score, member). */
export class ZSet {
  #dict: Map<string, number>;
  #f64: Float64Array;
  #i32: Int32Array;
  /** Units in use from the start of the buffer (bump allocation). */
  #top = 0;
  /** Freed record offsets by level. */
  #free: number[][];
  /** Units held by freed records. */
  #freeUnits = 0;
  /** Member strings by slot; a free slot holds "". */
  #members: string[];
  #freeSlots: number[];
  #header = 0;
  #headerLevels = 0;
  #tail = NIL;
  /** Levels in use (zsl->level). */
  #level = 1;
  #memberBytes = 0;
  #maxMemberLength = 0;
  /** Rank (1-based) of the node the last #first/#last*InRange call found. */
  #foundRank = 0;
  /**
   * A flat set keeps its entries here, with no map, buffer or nodes. Every
   * set starts flat, and one of up to FLAT_MAX_ENTRIES members stays flat
   * and is changed in place, by linear scans, the way Redis keeps a small
   * zset in a listpack: the nodes, map and buffer cost ~750 bytes more per
   * 10-member set. A bigger set from {@link ZSet.fromEntries} (a load) stays
   * flat until something other than iteration or a size needs its nodes: a
   * map of fresh member strings costs V8 a string-table insertion per member.
   * A set that outgrows the flat form gets its nodes (`#materialize`) and
   * keeps them.
   */
  #flat: FlatEntries | undefined;

  /**
   * OBJECT ENCODING bookkeeping, owned by the command layer: Redis converts a
   * listpack zset to a skiplist once it outgrows zset-max-listpack-entries or
   * -value and (mostly) never back, so the answer depends on history.
   */
  encoding: "listpack" | "skiplist" = "listpack";

  /** An empty sorted set. */
  constructor() {
    // Flat (see #flat): nothing reads these before #materialize replaces them.
    this.#dict = NO_ENTRIES;
    this.#f64 = NO_UNITS;
    this.#i32 = NO_UNITS_I32;
    this.#free = this.#members = this.#freeSlots = NO_ITEMS;
    this.#flat = { members: [], scores: [] };
  }

  /** A sorted set from (member, score) pairs; a repeated member keeps its last score. */
  static from(entries: Iterable<readonly [string, number]>): ZSet {
    const z = new ZSet();
    for (const [member, score] of entries) z.add(member, score);
    return z;
  }

  /**
   * A sorted set of `members` with their `scores` (same index), in one O(n)
   * pass when they come in ascending order (an RDB listpack) or descending
   * order (RDB ZSET_2, highest score first), sorted otherwise. The caller
   * guarantees what a decoder checks: members distinct, no NaN score. Takes
   * ownership of `members` (it becomes the set's member table, reordered).
   */
  static fromEntries(members: string[], scores: ArrayLike<number>): ZSet {
    const n = members.length;
    let ascending = true;
    let descending = true;
    for (let k = 1; k < n && (ascending || descending); k++) {
      const before = sortsBefore(scores[k - 1], members[k - 1], scores[k], members[k]);
      if (before) descending = false;
      else ascending = false;
    }
    let sortedScores: ArrayLike<number> = scores;
    if (!ascending) {
      if (descending) {
        members.reverse();
        const reversed = new Array<number>(n);
        for (let k = 0; k < n; k++) reversed[k] = scores[n - 1 - k];
        sortedScores = reversed;
      } else {
        const order = Array.from({ length: n }, (_, k) => k);
        order.sort((a, b) => {
          if (scores[a] !== scores[b]) return scores[a] < scores[b] ? -1 : 1;
          return members[a] < members[b] ? -1 : members[a] > members[b] ? 1 : 0;
        });
        const byOrder = order.map((k) => members[k]);
        sortedScores = order.map((k) => scores[k]);
        for (let k = 0; k < n; k++) members[k] = byOrder[k];
      }
    }
    const z = new ZSet();
    z.#flat = { members, scores: sortedScores };
    let memberBytes = 0;
    let maxMemberLength = 0;
    for (let k = 0; k < n; k++) {
      const length = members[k].length;
      memberBytes += length;
      if (length > maxMemberLength) maxMemberLength = length;
    }
    z.#memberBytes = memberBytes;
    z.#maxMemberLength = maxMemberLength;
    return z;
  }

  /**
   * Turns the flat entries into the map and nodes every other operation
   * works on, in one O(n) pass over a buffer sized for exactly those nodes.
   */
  #materialize(): void {
    const { members, scores } = this.#flat!;
    this.#flat = undefined;
    const n = members.length;
    if (bulkLevels.length < n) bulkLevels = new Int32Array(Math.max(n, bulkLevels.length * 2));
    const levels = bulkLevels;
    let maxLevel = 1;
    let units = 0;
    for (let k = 0; k < n; k++) {
      const level = randomLevel();
      levels[k] = level;
      units += 3 + 2 * level;
      if (level > maxLevel) maxLevel = level;
    }
    const headerLevels = Math.max(INITIAL_HEADER_LEVELS, maxLevel);
    this.#f64 = new Float64Array(Math.max(INITIAL_UNITS, units + 3 + 2 * headerLevels));
    this.#i32 = new Int32Array(this.#f64.buffer);
    this.#top = 0;
    this.#free = [];
    this.#freeUnits = 0;
    this.#freeSlots = [];
    this.#members = members;
    const dict = this.#dict = new Map();
    const header = this.#header = this.#newHeader(headerLevels);
    const f64 = this.#f64;
    const i32 = this.#i32;
    LAST.fill(header);
    LAST_RANK.fill(0);
    let prev = NIL;
    for (let k = 0; k < n; k++) {
      const level = levels[k];
      const score = scores[k];
      // #allocRecord without its growth check: the buffer was sized for all of them.
      const x = this.#top;
      this.#top += 3 + 2 * level;
      f64[x] = score;
      i32[2 * x + 2] = k;
      i32[2 * x + 3] = prev;
      i32[2 * x + 4] = level;
      const rank = k + 1;
      for (let i = 0; i < level; i++) {
        const last = LAST[i];
        i32[2 * last + 6 + 4 * i] = x;
        i32[2 * last + 7 + 4 * i] = rank - LAST_RANK[i];
        f64[last + 4 + 2 * i] = score;
        i32[2 * x + 6 + 4 * i] = NIL;
        LAST[i] = x;
        LAST_RANK[i] = rank;
      }
      prev = x;
      dict.set(members[k], score);
    }
    // Links that end the list span to the virtual position `length`, as zslInsert keeps them.
    for (let i = 0; i < maxLevel; i++) i32[2 * LAST[i] + 7 + 4 * i] = n - LAST_RANK[i];
    this.#level = maxLevel;
    this.#tail = prev;
  }

  /** Number of members. */
  get size(): number {
    return this.#flat !== undefined ? this.#flat.members.length : this.#dict.size;
  }

  /** Member → score (read-only view; mutate through add/remove). */
  get dict(): ReadonlyMap<string, number> {
    if (this.#flat !== undefined) this.#materialize();
    return this.#dict;
  }

  /** Total bytes of the members. */
  get memberBytes(): number {
    return this.#memberBytes;
  }

  /**
   * The longest member ever added, in bytes (a high-water mark: removals do
   * not lower it), for listpack-versus-skiplist encoding decisions.
   */
  get maxMemberLength(): number {
    return this.#maxMemberLength;
  }

  /**
   * Approximate memory held, in bytes: the two arrays of a flat set, or the
   * buffer, member table and map of one with nodes; plus member strings.
   */
  byteSize(): number {
    if (this.#flat !== undefined) return 96 + this.size * 40 + this.#memberBytes;
    return 128 + this.#f64.byteLength + this.#members.length * 8 + this.size * 40 +
      this.#memberBytes;
  }

  /**
   * The arrays of a small flat set, ready to change in place; undefined when
   * the set has nodes, which a big flat set gets here first.
   */
  #small(): SmallEntries | undefined {
    const flat = this.#flat;
    if (flat === undefined) return undefined;
    if (flat.members.length > FLAT_MAX_ENTRIES) {
      this.#materialize();
      return undefined;
    }
    if (!Array.isArray(flat.scores)) flat.scores = Array.from(flat.scores);
    return flat as SmallEntries;
  }

  /** The score of `member`, or undefined when absent. */
  score(member: string): number | undefined {
    const small = this.#small();
    if (small !== undefined) {
      const k = small.members.indexOf(member);
      return k < 0 ? undefined : small.scores[k];
    }
    return this.#dict.get(member);
  }

  /** Whether `member` is in the set. */
  has(member: string): boolean {
    const small = this.#small();
    if (small !== undefined) return small.members.includes(member);
    return this.#dict.has(member);
  }

  /**
   * Set the score of `member` (never NaN). Returns true when the member is
   * new. An existing member with an equal score (0 and -0 are equal) is left
   * untouched, as in Redis.
   */
  add(member: string, score: number): boolean {
    const small = this.#small();
    if (small !== undefined) {
      const k = small.members.indexOf(member);
      if (k >= 0) {
        if (small.scores[k] !== score) {
          small.members.splice(k, 1);
          small.scores.splice(k, 1);
          flatInsert(small, member, score);
        }
        return false;
      }
      if (small.members.length < FLAT_MAX_ENTRIES) {
        flatInsert(small, member, score);
        this.#memberBytes += member.length;
        if (member.length > this.#maxMemberLength) this.#maxMemberLength = member.length;
        return true;
      }
      this.#materialize();
    }
    const current = this.#dict.get(member);
    if (current === undefined) {
      const level = randomLevel();
      const x = this.#newNode(level, member, score);
      this.#insert(x, level, score, member);
      this.#dict.set(member, score);
      this.#memberBytes += member.length;
      if (member.length > this.#maxMemberLength) this.#maxMemberLength = member.length;
      return true;
    }
    if (current !== score) {
      this.#updateScore(member, current, score);
      this.#dict.set(member, score);
    }
    return false;
  }

  /** Remove `member`; false when it was absent. */
  remove(member: string): boolean {
    const small = this.#small();
    if (small !== undefined) {
      const k = small.members.indexOf(member);
      if (k < 0) return false;
      this.#flatDelete(small, k, k + 1);
      return true;
    }
    const score = this.#dict.get(member);
    if (score === undefined) return false;
    this.#deleteNode(this.#findPath(score, member));
    this.#maybeCompact();
    return true;
  }

  /** 0-based rank of `member` counting from the lowest (or the highest with `reverse`). */
  rank(member: string, reverse = false): number | undefined {
    const small = this.#small();
    if (small !== undefined) {
      const k = small.members.indexOf(member);
      if (k < 0) return undefined;
      return reverse ? small.members.length - 1 - k : k;
    }
    const score = this.#dict.get(member);
    if (score === undefined) return undefined;
    // zslGetRank: walk while (score, member) ≤ the target, summing spans.
    const f64 = this.#f64;
    const i32 = this.#i32;
    const members = this.#members;
    const header = this.#header;
    let x = header;
    let rank = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const link = 2 * x + 6 + 4 * i;
        const n = i32[link];
        if (n === NIL) break;
        const ns = f64[x + 4 + 2 * i];
        if (ns < score || (ns === score && members[i32[2 * n + 2]] <= member)) {
          rank += i32[link + 1];
          x = n;
        } else {
          break;
        }
      }
      // Compare the score first: reading the member costs cache misses.
      if (x !== header && f64[x] === score && members[i32[2 * x + 2]] === member) {
        return reverse ? this.size - rank : rank - 1;
      }
    }
    return undefined; // unreachable while the map and the skiplist agree
  }

  /** The member at 0-based `rank` from the lowest, with its score. */
  at(rank: number): ScoredMember | undefined {
    if (rank < 0 || rank >= this.size) return undefined;
    const small = this.#small();
    if (small !== undefined) return [small.members[rank], small.scores[rank]];
    const x = this.#nodeAt(rank + 1);
    return [this.#memberOf(x), this.#f64[x]];
  }

  // -------------------------------------------------------------- ranges

  /**
   * Members with ranks `start..stop` (0-based, inclusive; clamped to the
   * set), counted from the highest when `reverse`, in that order (ZRANGE /
   * ZREVRANGE).
   */
  rangeByRank(start: number, stop: number, reverse = false): ScoredMember[] {
    const size = this.size;
    if (start < 0) start = 0;
    if (stop >= size) stop = size - 1;
    if (start > stop) return [];
    const small = this.#small();
    if (small !== undefined) {
      return reverse
        ? flatWindow(small, size - 1 - stop, size - start, { reverse })
        : flatWindow(small, start, stop + 1, {});
    }
    const out = new Array<ScoredMember>(stop - start + 1);
    const f64 = this.#f64;
    const i32 = this.#i32;
    const members = this.#members;
    let x = this.#nodeAt(reverse ? size - start : start + 1);
    for (let k = 0; k < out.length; k++) {
      out[k] = [members[i32[2 * x + 2]], f64[x]];
      x = reverse ? i32[2 * x + 3] : i32[2 * x + 6];
    }
    return out;
  }

  /**
   * Members with scores in `range`, ascending, or descending with
   * `opts.reverse` (range.min stays the low end either way), after skipping
   * `opts.offset` matches (O(log n)) and up to `opts.limit` of them.
   */
  rangeByScore(range: ScoreRange, opts: RangeOptions = {}): ScoredMember[] {
    const small = this.#small();
    if (small !== undefined) {
      const [lo, hi] = flatScoreSpan(small, range);
      return flatWindow(small, lo, hi, opts);
    }
    const out: ScoredMember[] = [];
    const offset = opts.offset ?? 0;
    const limit = opts.limit ?? -1;
    if (offset < 0 || limit === 0) return out;
    const reverse = opts.reverse === true;
    let x = reverse ? this.#lastInScoreRange(range) : this.#firstInScoreRange(range);
    if (x === NIL) return out;
    x = this.#skip(x, offset, reverse);
    const f64 = this.#f64;
    const i32 = this.#i32;
    const members = this.#members;
    if (reverse) {
      while (x !== NIL && scoreGteMin(f64[x], range) && out.length !== limit) {
        out.push([members[i32[2 * x + 2]], f64[x]]);
        x = i32[2 * x + 3];
      }
    } else {
      while (x !== NIL && scoreLteMax(f64[x], range) && out.length !== limit) {
        out.push([members[i32[2 * x + 2]], f64[x]]);
        x = i32[2 * x + 6];
      }
    }
    return out;
  }

  /**
   * Members in the lex `range`, ascending, or descending with `opts.reverse`
   * (range.min stays the low end either way), after skipping `opts.offset`
   * matches (O(log n)) and up to `opts.limit` of them. Meaningful when all
   * scores are equal, as in Redis.
   */
  rangeByLex(range: LexRange, opts: RangeOptions = {}): ScoredMember[] {
    const small = this.#small();
    if (small !== undefined) {
      const [lo, hi] = flatLexSpan(small, range);
      return flatWindow(small, lo, hi, opts);
    }
    const out: ScoredMember[] = [];
    const offset = opts.offset ?? 0;
    const limit = opts.limit ?? -1;
    if (offset < 0 || limit === 0) return out;
    const reverse = opts.reverse === true;
    let x = reverse ? this.#lastInLexRange(range) : this.#firstInLexRange(range);
    if (x === NIL) return out;
    x = this.#skip(x, offset, reverse);
    const f64 = this.#f64;
    const i32 = this.#i32;
    const members = this.#members;
    if (reverse) {
      while (x !== NIL && lexGteMin(members[i32[2 * x + 2]], range) && out.length !== limit) {
        out.push([members[i32[2 * x + 2]], f64[x]]);
        x = i32[2 * x + 3];
      }
    } else {
      while (x !== NIL && lexLteMax(members[i32[2 * x + 2]], range) && out.length !== limit) {
        out.push([members[i32[2 * x + 2]], f64[x]]);
        x = i32[2 * x + 6];
      }
    }
    return out;
  }

  /** How many members have scores in `range` (ZCOUNT), in O(log n). */
  countInScoreRange(range: ScoreRange): number {
    const small = this.#small();
    if (small !== undefined) {
      const [lo, hi] = flatScoreSpan(small, range);
      return hi - lo;
    }
    if (this.#firstInScoreRange(range) === NIL) return 0;
    const first = this.#foundRank;
    this.#lastInScoreRange(range);
    return this.#foundRank - first + 1;
  }

  /** How many members are in the lex `range` (ZLEXCOUNT), in O(log n). */
  countInLexRange(range: LexRange): number {
    const small = this.#small();
    if (small !== undefined) {
      const [lo, hi] = flatLexSpan(small, range);
      return hi - lo;
    }
    if (this.#firstInLexRange(range) === NIL) return 0;
    const first = this.#foundRank;
    this.#lastInLexRange(range);
    return this.#foundRank - first + 1;
  }

  /** Remove the members with scores in `range` (ZREMRANGEBYSCORE); returns how many. */
  removeRangeByScore(range: ScoreRange): number {
    const small = this.#small();
    if (small !== undefined) {
      const [lo, hi] = flatScoreSpan(small, range);
      return this.#flatDelete(small, lo, hi);
    }
    // zslDeleteRangeByScore: find the last node below the range, then unlink forward.
    const f64 = this.#f64;
    const i32 = this.#i32;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const n = i32[2 * x + 6 + 4 * i];
        if (n === NIL || scoreGteMin(f64[x + 4 + 2 * i], range)) break;
        x = n;
      }
      UPDATE[i] = x;
    }
    let removed = 0;
    let n = i32[2 * x + 6];
    while (n !== NIL && scoreLteMax(f64[n], range)) {
      const following = i32[2 * n + 6];
      this.#deleteNode(n);
      removed++;
      n = following;
    }
    if (removed > 0) this.#maybeCompact();
    return removed;
  }

  /** Remove the members in the lex `range` (ZREMRANGEBYLEX); returns how many. */
  removeRangeByLex(range: LexRange): number {
    const small = this.#small();
    if (small !== undefined) {
      const [lo, hi] = flatLexSpan(small, range);
      return this.#flatDelete(small, lo, hi);
    }
    const i32 = this.#i32;
    const members = this.#members;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const n = i32[2 * x + 6 + 4 * i];
        if (n === NIL || lexGteMin(members[i32[2 * n + 2]], range)) break;
        x = n;
      }
      UPDATE[i] = x;
    }
    let removed = 0;
    let n = i32[2 * x + 6];
    while (n !== NIL && lexLteMax(members[i32[2 * n + 2]], range)) {
      const following = i32[2 * n + 6];
      this.#deleteNode(n);
      removed++;
      n = following;
    }
    if (removed > 0) this.#maybeCompact();
    return removed;
  }

  /**
   * Remove the members with ranks `start..stop` (0-based, inclusive, from the
   * lowest; clamped to the set) (ZREMRANGEBYRANK); returns how many.
   */
  removeRangeByRank(start: number, stop: number): number {
    if (start < 0) start = 0;
    if (stop >= this.size) stop = this.size - 1;
    if (start > stop) return 0;
    const small = this.#small();
    if (small !== undefined) return this.#flatDelete(small, start, stop + 1);
    // zslDeleteRangeByRank with 1-based ranks start + 1 .. stop + 1.
    const i32 = this.#i32;
    let x = this.#header;
    let traversed = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const link = 2 * x + 6 + 4 * i;
        const n = i32[link];
        if (n === NIL || traversed + i32[link + 1] > start) break;
        traversed += i32[link + 1];
        x = n;
      }
      UPDATE[i] = x;
    }
    let removed = 0;
    let n = i32[2 * x + 6];
    for (let k = start; n !== NIL && k <= stop; k++) {
      const following = i32[2 * n + 6];
      this.#deleteNode(n);
      removed++;
      n = following;
    }
    if (removed > 0) this.#maybeCompact();
    return removed;
  }

  /** Remove and return up to `count` lowest members, lowest first (ZPOPMIN). */
  popMin(count = 1): ScoredMember[] {
    const k = Math.min(count, this.size);
    if (k <= 0) return [];
    const out = this.rangeByRank(0, k - 1, false);
    this.removeRangeByRank(0, k - 1);
    return out;
  }

  /** Remove and return up to `count` highest members, highest first (ZPOPMAX). */
  popMax(count = 1): ScoredMember[] {
    const k = Math.min(count, this.size);
    if (k <= 0) return [];
    const out = this.rangeByRank(0, k - 1, true);
    this.removeRangeByRank(this.size - k, this.size - 1);
    return out;
  }

  // ----------------------------------------------------------- iteration

  /** (member, score) pairs from the lowest to the highest. Do not mutate the set meanwhile. */
  *entries(): IterableIterator<ScoredMember> {
    const flat = this.#flat;
    if (flat !== undefined) {
      for (let k = 0; k < flat.members.length; k++) {
        yield [flat.members[k], flat.scores[k]];
      }
      return;
    }
    for (let x = this.#i32[2 * this.#header + 6]; x !== NIL; x = this.#i32[2 * x + 6]) {
      yield [this.#memberOf(x), this.#f64[x]];
    }
  }

  /** (member, score) pairs from the highest to the lowest (the order RDB ZSET_2 stores). */
  *reverseEntries(): IterableIterator<ScoredMember> {
    const flat = this.#flat;
    if (flat !== undefined) {
      for (let k = flat.members.length - 1; k >= 0; k--) {
        yield [flat.members[k], flat.scores[k]];
      }
      return;
    }
    for (let x = this.#tail; x !== NIL; x = this.#i32[2 * x + 3]) {
      yield [this.#memberOf(x), this.#f64[x]];
    }
  }

  /** Same as entries(). */
  [Symbol.iterator](): IterableIterator<ScoredMember> {
    return this.entries();
  }

  /** Visit every member in ascending order without allocating pairs; `visit` must not mutate. */
  forEach(visit: (member: string, score: number) => void): void {
    const flat = this.#flat;
    if (flat !== undefined) {
      for (let k = 0; k < flat.members.length; k++) visit(flat.members[k], flat.scores[k]);
      return;
    }
    const f64 = this.#f64;
    const i32 = this.#i32;
    const members = this.#members;
    for (let x = i32[2 * this.#header + 6]; x !== NIL; x = i32[2 * x + 6]) {
      visit(members[i32[2 * x + 2]], f64[x]);
    }
  }

  /** An independent copy (a buffer copy: O(n) without any search). */
  clone(): ZSet {
    const copy = new ZSet();
    const flat = this.#flat;
    if (flat !== undefined) {
      copy.#flat = { members: flat.members.slice(), scores: Array.from(flat.scores) };
      copy.#memberBytes = this.#memberBytes;
      copy.#maxMemberLength = this.#maxMemberLength;
      copy.encoding = this.encoding;
      return copy;
    }
    copy.#flat = undefined;
    copy.#f64 = this.#f64.slice();
    copy.#i32 = new Int32Array(copy.#f64.buffer);
    copy.#top = this.#top;
    copy.#free = this.#free.map((list) => list.slice());
    copy.#freeUnits = this.#freeUnits;
    copy.#members = this.#members.slice();
    copy.#freeSlots = this.#freeSlots.slice();
    copy.#header = this.#header;
    copy.#headerLevels = this.#headerLevels;
    copy.#tail = this.#tail;
    copy.#level = this.#level;
    copy.#dict = new Map(this.#dict);
    copy.#memberBytes = this.#memberBytes;
    copy.#maxMemberLength = this.#maxMemberLength;
    copy.encoding = this.encoding;
    return copy;
  }

  /**
   * Check every invariant (links, spans, backward pointers, order, the map);
   * throws on the first violation. O(n log n); for tests.
   */
  verify(): void {
    const fail = (what: string): never => {
      throw new Error("zset invariant broken: " + what);
    };
    const flat = this.#flat;
    if (flat !== undefined) {
      const { members, scores } = flat;
      if (members.length !== scores.length) fail("flat lengths");
      let bytes = 0;
      for (let k = 0; k < members.length; k++) {
        bytes += members[k].length;
        if (Number.isNaN(scores[k])) fail("NaN score");
        if (k > 0 && !sortsBefore(scores[k - 1], members[k - 1], scores[k], members[k])) {
          fail("flat order at rank " + k);
        }
      }
      if (bytes !== this.#memberBytes) fail("member bytes");
      return;
    }
    const f64 = this.#f64;
    const i32 = this.#i32;
    const members = this.#members;
    const header = this.#header;
    // Level 0: order, backward links, map agreement.
    const rankOf = new Map<number, number>();
    let prev = NIL;
    let count = 0;
    for (let x = i32[2 * header + 6]; x !== NIL; x = i32[2 * x + 6]) {
      count++;
      rankOf.set(x, count);
      if (i32[2 * x + 3] !== prev) fail("backward link");
      const m = members[i32[2 * x + 2]];
      if (this.#dict.get(m) !== f64[x] && !(this.#dict.get(m) === 0 && f64[x] === 0)) {
        fail("map score of " + m);
      }
      if (prev !== NIL) {
        const ps = f64[prev];
        const pm = members[i32[2 * prev + 2]];
        if (!(ps < f64[x] || (ps === f64[x] && pm < m))) fail("order at rank " + count);
      }
      prev = x;
    }
    if (prev !== this.#tail) fail("tail");
    if (count !== this.#dict.size) fail("size");
    // Every level: spans equal rank differences.
    for (let i = 0; i < this.#level; i++) {
      let x = header;
      let rank = 0;
      for (;;) {
        const n = i32[2 * x + 6 + 4 * i];
        if (n === NIL) break;
        const nr = rankOf.get(n) ?? fail("link to an unlisted node");
        if (i32[2 * n + 4] <= i) fail("link to a lower node");
        if (i32[2 * x + 7 + 4 * i] !== nr - rank) fail("span at level " + i);
        if (!Object.is(f64[x + 4 + 2 * i], f64[n])) fail("cached score at level " + i);
        x = n;
        rank = nr;
      }
    }
    for (let i = this.#level; i < this.#headerLevels; i++) {
      if (i32[2 * header + 6 + 4 * i] !== NIL) fail("link above the level");
    }
    if (this.#level > 1 && i32[2 * header + 6 + 4 * (this.#level - 1)] === NIL) {
      fail("level not trimmed");
    }
  }

  // ----------------------------------------------------------- internals

  /** Delete the entries at indexes lo..hi-1 of a small flat set; returns how many. */
  #flatDelete(small: SmallEntries, lo: number, hi: number): number {
    if (hi <= lo) return 0;
    for (let k = lo; k < hi; k++) this.#memberBytes -= small.members[k].length;
    small.members.splice(lo, hi - lo);
    small.scores.splice(lo, hi - lo);
    return hi - lo;
  }

  #memberOf(x: number): string {
    return this.#members[this.#i32[2 * x + 2]];
  }

  /** Reserve a record for a node of `level` levels; may replace the buffer. */
  #allocRecord(level: number): number {
    const list = this.#free[level];
    if (list !== undefined && list.length > 0) {
      this.#freeUnits -= 3 + 2 * level;
      return list.pop()!;
    }
    const units = 3 + 2 * level;
    if (this.#top + units > this.#f64.length) {
      const grown = new Float64Array(Math.max(this.#f64.length * 2, this.#top + units));
      grown.set(this.#f64.subarray(0, this.#top));
      this.#f64 = grown;
      this.#i32 = new Int32Array(grown.buffer);
    }
    const x = this.#top;
    this.#top += units;
    return x;
  }

  #freeRecord(x: number): void {
    const level = this.#i32[2 * x + 4];
    (this.#free[level] ??= []).push(x);
    this.#freeUnits += 3 + 2 * level;
  }

  /** A header record with `levels` empty levels. */
  #newHeader(levels: number): number {
    const h = this.#allocRecord(levels);
    const i32 = this.#i32;
    this.#f64[h] = 0;
    i32[2 * h + 2] = -1;
    i32[2 * h + 3] = NIL;
    i32[2 * h + 4] = levels;
    for (let i = 0; i < levels; i++) {
      i32[2 * h + 6 + 4 * i] = NIL;
      i32[2 * h + 7 + 4 * i] = 0;
    }
    this.#headerLevels = levels;
    return h;
  }

  /** Move the header to a record with room for at least `level` levels. */
  #growHeader(level: number): void {
    const old = this.#header;
    const oldLevels = this.#headerLevels;
    const h = this.#newHeader(Math.min(SKIPLIST_MAXLEVEL, Math.max(level, oldLevels * 2)));
    const i32 = this.#i32;
    for (let i = 0; i < oldLevels; i++) {
      i32[2 * h + 6 + 4 * i] = i32[2 * old + 6 + 4 * i];
      i32[2 * h + 7 + 4 * i] = i32[2 * old + 7 + 4 * i];
      this.#f64[h + 4 + 2 * i] = this.#f64[old + 4 + 2 * i];
    }
    this.#freeRecord(old);
    this.#header = h;
  }

  /** A detached node record for (member, score). */
  #newNode(level: number, member: string, score: number): number {
    if (level > this.#headerLevels) this.#growHeader(level);
    const x = this.#allocRecord(level);
    let slot: number;
    if (this.#freeSlots.length > 0) {
      slot = this.#freeSlots.pop()!;
      this.#members[slot] = member;
    } else {
      slot = this.#members.length;
      this.#members.push(member);
    }
    const i32 = this.#i32;
    this.#f64[x] = score;
    i32[2 * x + 2] = slot;
    i32[2 * x + 3] = NIL;
    i32[2 * x + 4] = level;
    return x;
  }

  /**
   * zslInsert of the detached node `x`. The map must not count its member yet
   * (its size is the list's length before the insert).
   */
  #insert(x: number, level: number, score: number, member: string): void {
    const f64 = this.#f64;
    const i32 = this.#i32;
    const members = this.#members;
    const header = this.#header;
    let p = header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let rank = i === this.#level - 1 ? 0 : RANK[i + 1];
      for (;;) {
        const link = 2 * p + 6 + 4 * i;
        const n = i32[link];
        if (n === NIL) break;
        const ns = f64[p + 4 + 2 * i];
        if (ns < score || (ns === score && members[i32[2 * n + 2]] < member)) {
          rank += i32[link + 1];
          p = n;
        } else {
          break;
        }
      }
      RANK[i] = rank;
      UPDATE[i] = p;
    }
    if (level > this.#level) {
      const length = this.#dict.size;
      for (let i = this.#level; i < level; i++) {
        RANK[i] = 0;
        UPDATE[i] = header;
        i32[2 * header + 7 + 4 * i] = length;
      }
      this.#level = level;
    }
    const rank0 = RANK[0];
    for (let i = 0; i < level; i++) {
      const update = UPDATE[i];
      const u = 2 * update + 6 + 4 * i;
      const xl = 2 * x + 6 + 4 * i;
      i32[xl] = i32[u];
      f64[x + 4 + 2 * i] = f64[update + 4 + 2 * i];
      i32[u] = x;
      f64[update + 4 + 2 * i] = score;
      i32[xl + 1] = i32[u + 1] - (rank0 - RANK[i]);
      i32[u + 1] = rank0 - RANK[i] + 1;
    }
    for (let i = level; i < this.#level; i++) i32[2 * UPDATE[i] + 7 + 4 * i]++;
    i32[2 * x + 3] = UPDATE[0] === header ? NIL : UPDATE[0];
    const following = i32[2 * x + 6];
    if (following !== NIL) i32[2 * following + 3] = x;
    else this.#tail = x;
  }

  /** Fill UPDATE with the search path to (score, member) and return its node, which must exist. */
  #findPath(score: number, member: string): number {
    const f64 = this.#f64;
    const i32 = this.#i32;
    const members = this.#members;
    let p = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const n = i32[2 * p + 6 + 4 * i];
        if (n === NIL) break;
        const ns = f64[p + 4 + 2 * i];
        if (ns < score || (ns === score && members[i32[2 * n + 2]] < member)) p = n;
        else break;
      }
      UPDATE[i] = p;
    }
    return i32[2 * p + 6];
  }

  /** zslDeleteNode: unlink `x` using the search path in UPDATE; the record stays allocated. */
  #unlink(x: number): void {
    const f64 = this.#f64;
    const i32 = this.#i32;
    for (let i = 0; i < this.#level; i++) {
      const update = UPDATE[i];
      const u = 2 * update + 6 + 4 * i;
      if (i32[u] === x) {
        const xl = 2 * x + 6 + 4 * i;
        i32[u + 1] += i32[xl + 1] - 1;
        i32[u] = i32[xl];
        f64[update + 4 + 2 * i] = f64[x + 4 + 2 * i];
      } else {
        i32[u + 1] -= 1;
      }
    }
    const following = i32[2 * x + 6];
    if (following !== NIL) i32[2 * following + 3] = i32[2 * x + 3];
    else this.#tail = i32[2 * x + 3];
    const header = this.#header;
    while (this.#level > 1 && i32[2 * header + 6 + 4 * (this.#level - 1)] === NIL) this.#level--;
  }

  /** Unlink `x` (path in UPDATE), drop it from the map and free its record and slot. */
  #deleteNode(x: number): void {
    this.#unlink(x);
    const slot = this.#i32[2 * x + 2];
    const member = this.#members[slot];
    this.#dict.delete(member);
    this.#memberBytes -= member.length;
    this.#members[slot] = "";
    this.#freeSlots.push(slot);
    this.#freeRecord(x);
  }

  /** zslUpdateScore: move `member` from `oldScore` to `newScore`. */
  #updateScore(member: string, oldScore: number, newScore: number): void {
    const x = this.#findPath(oldScore, member);
    const f64 = this.#f64;
    const i32 = this.#i32;
    // Still in place between its neighbours: only the score changes.
    const prev = i32[2 * x + 3];
    const following = i32[2 * x + 6];
    if (
      (prev === NIL || f64[prev] < newScore) &&
      (following === NIL || f64[following] > newScore)
    ) {
      f64[x] = newScore;
      // The links into x cache its score; for i < level(x) they come from UPDATE[i].
      const level = i32[2 * x + 4];
      for (let i = 0; i < level; i++) f64[UPDATE[i] + 4 + 2 * i] = newScore;
      return;
    }
    this.#unlink(x);
    f64[x] = newScore;
    i32[2 * x + 3] = NIL;
    // #insert takes the length from the map, which must not count the member.
    this.#dict.delete(member);
    this.#insert(x, i32[2 * x + 4], newScore, member);
  }

  /** Rebuild compactly once more than half of the buffer is free records. */
  #maybeCompact(): void {
    if (this.#freeUnits < COMPACT_MIN_FREE_UNITS || this.#freeUnits * 2 < this.#top) return;
    const n = this.size;
    const members = new Array<string>(n);
    const scores = new Float64Array(n);
    let k = 0;
    const i32 = this.#i32;
    for (let x = i32[2 * this.#header + 6]; x !== NIL; x = i32[2 * x + 6]) {
      members[k] = this.#members[i32[2 * x + 2]];
      scores[k++] = this.#f64[x];
    }
    this.#f64 = new Float64Array(Math.max(INITIAL_UNITS, Math.ceil(n * 5.8) + 128));
    this.#i32 = new Int32Array(this.#f64.buffer);
    this.#top = 0;
    this.#free = [];
    this.#freeUnits = 0;
    this.#members = [];
    this.#freeSlots = [];
    this.#tail = NIL;
    this.#level = 1;
    this.#header = this.#newHeader(INITIAL_HEADER_LEVELS);
    this.#appendSorted(members, scores);
  }

  /**
   * Link nodes for `members`/`scores` (ascending, distinct) after the current
   * last node in O(n); the set must be empty. The map is left as it is.
   */
  #appendSorted(members: string[], scores: Float64Array): void {
    const last = new Int32Array(SKIPLIST_MAXLEVEL).fill(this.#header);
    const lastRank = new Int32Array(SKIPLIST_MAXLEVEL);
    let prev = NIL;
    for (let k = 0; k < members.length; k++) {
      const level = randomLevel();
      const oldHeader = this.#header;
      const x = this.#newNode(level, members[k], scores[k]);
      if (this.#header !== oldHeader) {
        for (let i = 0; i < SKIPLIST_MAXLEVEL; i++) {
          if (last[i] === oldHeader) last[i] = this.#header;
        }
      }
      if (level > this.#level) this.#level = level;
      const i32 = this.#i32;
      const rank = k + 1;
      for (let i = 0; i < level; i++) {
        i32[2 * last[i] + 6 + 4 * i] = x;
        i32[2 * last[i] + 7 + 4 * i] = rank - lastRank[i];
        this.#f64[last[i] + 4 + 2 * i] = scores[k];
        i32[2 * x + 6 + 4 * i] = NIL;
        last[i] = x;
        lastRank[i] = rank;
      }
      i32[2 * x + 3] = prev;
      prev = x;
    }
    // Links that end the list span to the virtual position `length`, as zslInsert keeps them.
    const i32 = this.#i32;
    for (let i = 0; i < this.#level; i++) {
      i32[2 * last[i] + 7 + 4 * i] = members.length - lastRank[i];
    }
    this.#tail = prev;
  }

  /** zslGetElementByRank: the node at 1-based `rank`, or NIL. */
  #nodeAt(rank: number): number {
    const i32 = this.#i32;
    const header = this.#header;
    let x = header;
    let traversed = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const link = 2 * x + 6 + 4 * i;
        const n = i32[link];
        if (n === NIL || traversed + i32[link + 1] > rank) break;
        traversed += i32[link + 1];
        x = n;
      }
      if (traversed === rank) return x === header ? NIL : x;
    }
    return NIL;
  }

  /** The node `offset` places after `x` (before it when reversing), using #foundRank. */
  #skip(x: number, offset: number, reverse: boolean): number {
    if (offset === 0) return x;
    const target = reverse ? this.#foundRank - offset : this.#foundRank + offset;
    if (target < 1 || target > this.size) return NIL;
    // Short hops walk; long ones descend from the top in O(log n).
    if (offset <= 8) {
      const i32 = this.#i32;
      for (let k = 0; k < offset; k++) x = reverse ? i32[2 * x + 3] : i32[2 * x + 6];
      return x;
    }
    return this.#nodeAt(target);
  }

  /** The first node (lowest member) and the last node, or NIL when empty. */
  #ends(): [first: number, last: number] {
    return [this.#i32[2 * this.#header + 6], this.#tail];
  }

  #firstInScoreRange(range: ScoreRange): number {
    if (isEmptyScoreRange(range)) return NIL;
    const f64 = this.#f64;
    const i32 = this.#i32;
    const [first, last] = this.#ends();
    if (last === NIL || !scoreGteMin(f64[last], range)) return NIL;
    if (!scoreLteMax(f64[first], range)) return NIL;
    let x = this.#header;
    let rank = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const link = 2 * x + 6 + 4 * i;
        const n = i32[link];
        if (n === NIL || scoreGteMin(f64[x + 4 + 2 * i], range)) break;
        rank += i32[link + 1];
        x = n;
      }
    }
    const found = i32[2 * x + 6];
    if (!scoreLteMax(f64[found], range)) return NIL;
    this.#foundRank = rank + 1;
    return found;
  }

  #lastInScoreRange(range: ScoreRange): number {
    if (isEmptyScoreRange(range)) return NIL;
    const f64 = this.#f64;
    const i32 = this.#i32;
    const [first, last] = this.#ends();
    if (last === NIL || !scoreGteMin(f64[last], range)) return NIL;
    if (!scoreLteMax(f64[first], range)) return NIL;
    let x = this.#header;
    let rank = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const link = 2 * x + 6 + 4 * i;
        const n = i32[link];
        if (n === NIL || !scoreLteMax(f64[x + 4 + 2 * i], range)) break;
        rank += i32[link + 1];
        x = n;
      }
    }
    if (x === this.#header || !scoreGteMin(f64[x], range)) return NIL;
    this.#foundRank = rank;
    return x;
  }

  #firstInLexRange(range: LexRange): number {
    if (isEmptyLexRange(range)) return NIL;
    const i32 = this.#i32;
    const members = this.#members;
    const [first, last] = this.#ends();
    if (last === NIL || !lexGteMin(members[i32[2 * last + 2]], range)) return NIL;
    if (!lexLteMax(members[i32[2 * first + 2]], range)) return NIL;
    let x = this.#header;
    let rank = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const link = 2 * x + 6 + 4 * i;
        const n = i32[link];
        if (n === NIL || lexGteMin(members[i32[2 * n + 2]], range)) break;
        rank += i32[link + 1];
        x = n;
      }
    }
    const found = i32[2 * x + 6];
    if (!lexLteMax(members[i32[2 * found + 2]], range)) return NIL;
    this.#foundRank = rank + 1;
    return found;
  }

  #lastInLexRange(range: LexRange): number {
    if (isEmptyLexRange(range)) return NIL;
    const i32 = this.#i32;
    const members = this.#members;
    const [first, last] = this.#ends();
    if (last === NIL || !lexGteMin(members[i32[2 * last + 2]], range)) return NIL;
    if (!lexLteMax(members[i32[2 * first + 2]], range)) return NIL;
    let x = this.#header;
    let rank = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const link = 2 * x + 6 + 4 * i;
        const n = i32[link];
        if (n === NIL || !lexLteMax(members[i32[2 * n + 2]], range)) break;
        rank += i32[link + 1];
        x = n;
      }
    }
    if (x === this.#header || !lexGteMin(members[i32[2 * x + 2]], range)) return NIL;
    this.#foundRank = rank;
    return x;
  }
}
