/**
 * Sorted-set commands (Redis 7.0's t_zset.c) over `ZSet` (src/store/zset.ts).
 *
 * Encoding. Redis keeps a small sorted set (at most zset-max-listpack-entries
 * members, none longer than zset-max-listpack-value bytes) as a listpack and
 * converts it to a skiplist once it outgrows that, never back; results of
 * ZRANGESTORE / Z*STORE are listpacks when small enough. `ZSet.encoding`
 * records that history for OBJECT ENCODING. It is visible in two more places,
 * reproduced here: ZSCAN returns a listpack whole in one call, printing
 * scores the way a listpack stores them (`d2string`: integral scores up to
 * 2^62 as integers, "100000000000000000" rather than "1e+17"); and a listpack
 * cannot hold -0, so a -0 score stored in one reads back as 0.
 *
 * Propagation: ZMPOP propagates `ZPOPMIN|ZPOPMAX key count` with the number
 * popped; everything else (ZINCRBY and ZADD INCR included: double addition
 * is deterministic) propagates as called.
 *
 * @module
 */
import type { CommandContext, CommandSpec } from "./types.ts";
import { NOTIFY, notifyKeyspaceEvent } from "../store/notify.ts";
import { fail, NOT_A_FLOAT, SYNTAX_ERROR, WrongTypeError } from "../errors.ts";
import { formatDouble, parseDouble } from "../util/numbers.ts";
import {
  formatScore,
  isEmptyLexRange,
  isEmptyScoreRange,
  type LexRange,
  parseLexRange,
  parseScoreRange,
  type ScoredMember,
  type ScoreRange,
  ZSet,
} from "../store/zset.ts";
import type { RedisSet } from "../store/types.ts";
import { StringSet } from "../store/set.ts";
import {
  checkRandomCountWithValues,
  checkRandomReplyBytes,
  parseLong,
  parseNumKeys,
  parsePositiveLong,
  parseRandomCount,
  parseScanCursor,
  parseScanOptions,
  scanPage,
  scanReply,
} from "./sets.ts";

const SCORE_RANGE_ERROR = "ERR min or max is not a float";
const LEX_RANGE_ERROR = "ERR min or max not valid string range item";

// ============================================================== encoding

function maxListpackEntries(ctx: CommandContext): number {
  return ctx.server.config.getNumber("zset-max-listpack-entries");
}

function maxListpackValue(ctx: CommandContext): number {
  return ctx.server.config.getNumber("zset-max-listpack-value");
}

/**
 * Adds or updates `member` the way zsetAdd stores it: a new member that
 * would not fit a listpack converts the set to a skiplist first, and a
 * listpack stores -0 as 0. Returns true when the member is new.
 */
function storeMember(ctx: CommandContext, z: ZSet, member: string, score: number): boolean {
  const isNew = !z.has(member);
  if (
    isNew && z.encoding === "listpack" &&
    (z.size + 1 > maxListpackEntries(ctx) || member.length > maxListpackValue(ctx))
  ) {
    z.encoding = "skiplist";
  }
  if (z.encoding === "listpack" && score === 0) score = 0; // -0 → 0
  z.add(member, score);
  return isNew;
}

/**
 * Gives a freshly built result set the encoding Redis would
 * (zsetConvertToListpackIfNeeded), normalizing -0 when it is a listpack.
 */
function settleEncoding(ctx: CommandContext, z: ZSet): void {
  let maxLen = 0;
  for (const member of z.dict.keys()) if (member.length > maxLen) maxLen = member.length;
  const listpack = z.size <= maxListpackEntries(ctx) && maxLen <= maxListpackValue(ctx);
  z.encoding = listpack ? "listpack" : "skiplist";
  if (!listpack) return;
  const negativeZeros: string[] = [];
  for (const [member, score] of z.dict) if (Object.is(score, -0)) negativeZeros.push(member);
  for (const member of negativeZeros) {
    z.remove(member);
    z.add(member, 0);
  }
}

/** `d2string`: how a listpack stores a score, which ZSCAN then returns. */
function listpackScoreText(score: number): string {
  if (Number.isInteger(score) && Math.abs(score) <= 4611686018427387904) {
    return score === 0 ? "0" : BigInt(score).toString();
  }
  return formatDouble(score);
}

// ============================================================== replies

function replyScore(ctx: CommandContext, score: number): void {
  ctx.reply.double(formatScore(score));
}

/** Members, with scores as RESP2 flat pairs or RESP3 nested pairs. */
function replyScored(ctx: CommandContext, items: ScoredMember[], withScores: boolean): void {
  const r = ctx.reply;
  if (!withScores) {
    r.array(items.length);
    for (const [member] of items) r.bulk(member);
    return;
  }
  const resp3 = r.protocol === 3;
  r.array(resp3 ? items.length : items.length * 2);
  for (const [member, score] of items) {
    if (resp3) r.array(2);
    r.bulk(member);
    replyScore(ctx, score);
  }
}

// ================================================================ ZADD

/** ZADD and ZINCRBY (zaddGenericCommand). */
function zaddGeneric(ctx: CommandContext, argv: string[], incrOnly: boolean): void {
  const key = argv[1];
  let nx = false, xx = false, gt = false, lt = false, ch = false, incr = incrOnly;
  let scoreIdx = 2;
  // ZINCRBY runs the same option loop, so "ZINCRBY key nx m" is a syntax error.
  for (; scoreIdx < argv.length; scoreIdx++) {
    const opt = argv[scoreIdx].toLowerCase();
    if (opt === "nx") nx = true;
    else if (opt === "xx") xx = true;
    else if (opt === "ch") ch = true;
    else if (opt === "incr") incr = true;
    else if (opt === "gt") gt = true;
    else if (opt === "lt") lt = true;
    else break;
  }
  const elements = argv.length - scoreIdx;
  if (elements % 2 !== 0 || elements === 0) fail(SYNTAX_ERROR);
  const pairs = elements / 2;
  if (nx && xx) fail("ERR XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    fail("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (incr && pairs > 1) fail("ERR INCR option supports a single increment-element pair");
  const scores = new Array<number>(pairs);
  for (let j = 0; j < pairs; j++) {
    const score = parseDouble(argv[scoreIdx + j * 2]);
    if (score === undefined) fail(NOT_A_FLOAT);
    scores[j] = score;
  }

  let z = ctx.db.getZSet(key, true);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let lastScore = 0;
  if (z === undefined && !xx) {
    z = new ZSet();
    ctx.db.add(key, z);
  }
  if (z !== undefined) {
    for (let j = 0; j < pairs; j++) {
      const member = argv[scoreIdx + j * 2 + 1];
      let score = scores[j];
      const current = z.score(member);
      if (current !== undefined) {
        if (nx) continue;
        if (incr) {
          score += current;
          // Only INCR gets here, with a single pair: nothing was changed yet.
          if (Number.isNaN(score)) fail("ERR resulting score is not a number (NaN)");
        }
        if ((lt && score >= current) || (gt && score <= current)) continue;
        lastScore = score;
        processed++;
        if (score !== current) {
          storeMember(ctx, z, member, score);
          updated++;
        }
      } else if (!xx) {
        storeMember(ctx, z, member, score);
        lastScore = score;
        processed++;
        added++;
      }
    }
  }
  if (added + updated > 0) {
    ctx.db.modified(key);
    ctx.server.dirty += added + updated;
    notifyKeyspaceEvent(ctx.server, NOTIFY.ZSET, incr ? "zincr" : "zadd", key, ctx.db.id);
  }
  if (incr) {
    processed > 0 ? replyScore(ctx, lastScore) : ctx.reply.nil();
  } else {
    ctx.reply.int(ch ? added + updated : added);
  }
}

const zadd: CommandSpec = {
  name: "zadd",
  arity: -4,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "sortedset", "fast"],
  run(ctx, argv) {
    zaddGeneric(ctx, argv, false);
  },
};

const zincrby: CommandSpec = {
  name: "zincrby",
  arity: 4,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "sortedset", "fast"],
  run(ctx, argv) {
    zaddGeneric(ctx, argv, true);
  },
};

// ============================================================ simple reads

const zrem: CommandSpec = {
  name: "zrem",
  arity: -3,
  flags: ["write", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "sortedset", "fast"],
  run(ctx, argv) {
    const key = argv[1];
    const z = ctx.db.getZSet(key, true);
    if (z === undefined) return ctx.reply.int(0);
    let deleted = 0;
    for (let i = 2; i < argv.length; i++) {
      if (z.remove(argv[i])) {
        deleted++;
        if (z.size === 0) break;
      }
    }
    if (deleted > 0) {
      notifyKeyspaceEvent(ctx.server, NOTIFY.ZSET, "zrem", key, ctx.db.id);
      if (ctx.db.deleteIfEmpty(key, z)) {
        notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, ctx.db.id);
      }
      ctx.db.modified(key);
      ctx.server.dirty += deleted;
    }
    ctx.reply.int(deleted);
  },
};

const zcard: CommandSpec = {
  name: "zcard",
  arity: 2,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "sortedset", "fast"],
  run(ctx, argv) {
    ctx.reply.int(ctx.db.getZSet(argv[1])?.size ?? 0);
  },
};

function parseScoreRangeOrFail(minArg: string, maxArg: string): ScoreRange {
  const range = parseScoreRange(minArg, maxArg);
  if (range === undefined) fail(SCORE_RANGE_ERROR);
  return range;
}

function parseLexRangeOrFail(minArg: string, maxArg: string): LexRange {
  const range = parseLexRange(minArg, maxArg);
  if (range === undefined) fail(LEX_RANGE_ERROR);
  return range;
}

const zcount: CommandSpec = {
  name: "zcount",
  arity: 4,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "sortedset", "fast"],
  run(ctx, argv) {
    const range = parseScoreRangeOrFail(argv[2], argv[3]);
    const z = ctx.db.getZSet(argv[1]);
    if (z === undefined || isEmptyScoreRange(range)) return ctx.reply.int(0);
    ctx.reply.int(z.countInScoreRange(range));
  },
};

const zlexcount: CommandSpec = {
  name: "zlexcount",
  arity: 4,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "sortedset", "fast"],
  run(ctx, argv) {
    const range = parseLexRangeOrFail(argv[2], argv[3]);
    const z = ctx.db.getZSet(argv[1]);
    if (z === undefined || isEmptyLexRange(range)) return ctx.reply.int(0);
    ctx.reply.int(
      z.encoding === "listpack" ? lexMembers(z, range).length : z.countInLexRange(range),
    );
  },
};

const zscore: CommandSpec = {
  name: "zscore",
  arity: 3,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "sortedset", "fast"],
  run(ctx, argv) {
    const score = ctx.db.getZSet(argv[1])?.score(argv[2]);
    score === undefined ? ctx.reply.nil() : replyScore(ctx, score);
  },
};

const zmscore: CommandSpec = {
  name: "zmscore",
  arity: -3,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "sortedset", "fast"],
  run(ctx, argv) {
    const z = ctx.db.getZSet(argv[1]);
    ctx.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) {
      const score = z?.score(argv[i]);
      score === undefined ? ctx.reply.nil() : replyScore(ctx, score);
    }
  },
};

function zrankGeneric(ctx: CommandContext, argv: string[], reverse: boolean): void {
  const rank = ctx.db.getZSet(argv[1])?.rank(argv[2], reverse);
  rank === undefined ? ctx.reply.nil() : ctx.reply.int(rank);
}

const zrank: CommandSpec = {
  name: "zrank",
  arity: 3,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "sortedset", "fast"],
  run(ctx, argv) {
    zrankGeneric(ctx, argv, false);
  },
};

const zrevrank: CommandSpec = {
  name: "zrevrank",
  arity: 3,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "sortedset", "fast"],
  run(ctx, argv) {
    zrankGeneric(ctx, argv, true);
  },
};

// ============================================================ lex ranges

/*
 * Lex ranges are meant for sets whose scores are all equal; with mixed
 * scores Redis's answer follows its algorithm. For a listpack that is a
 * linear scan in (score, member) order, reproduced below so that small sets
 * answer exactly like Redis whatever their scores (a skiplist's answer
 * depends on its random levels, in Redis as here, so large sets use the
 * ZSet's own search).
 */

function lexGteMin(member: string, r: LexRange): boolean {
  if (r.minInfinity !== 0) return r.minInfinity < 0;
  return r.minExclusive ? member > r.min : member >= r.min;
}

function lexLteMax(member: string, r: LexRange): boolean {
  if (r.maxInfinity !== 0) return r.maxInfinity > 0;
  return r.maxExclusive ? member < r.max : member <= r.max;
}

/**
 * zzlFirstInLexRange / zzlLastInLexRange over the entries in order: the
 * index of the first (or, reversed, last) entry in range, or -1.
 */
function listpackLexStart(all: ScoredMember[], range: LexRange, reverse: boolean): number {
  if (all.length === 0 || isEmptyLexRange(range)) return -1;
  if (!lexGteMin(all[all.length - 1][0], range) || !lexLteMax(all[0][0], range)) return -1;
  if (!reverse) {
    const i = all.findIndex(([m]) => lexGteMin(m, range));
    return i !== -1 && lexLteMax(all[i][0], range) ? i : -1;
  }
  for (let i = all.length - 1; i >= 0; i--) {
    if (lexLteMax(all[i][0], range)) return lexGteMin(all[i][0], range) ? i : -1;
  }
  return -1;
}

/** Members in a lex range, listpack or skiplist style by the set's encoding. */
function lexRangeOf(
  z: ZSet,
  range: LexRange,
  reverse: boolean,
  offset: number,
  limit: number,
): ScoredMember[] {
  if (z.encoding !== "listpack") {
    return isEmptyLexRange(range) ? [] : z.rangeByLex(range, { reverse, offset, limit });
  }
  const all = [...z.entries()];
  let i = listpackLexStart(all, range, reverse);
  const out: ScoredMember[] = [];
  if (i === -1 || offset < 0) return out;
  const step = reverse ? -1 : 1;
  i += step * offset;
  while (i >= 0 && i < all.length && out.length !== limit) {
    const member = all[i][0];
    if (reverse ? !lexGteMin(member, range) : !lexLteMax(member, range)) break;
    out.push(all[i]);
    i += step;
  }
  return out;
}

/** The members a forward lex scan from the first in range covers (ZLEXCOUNT, ZREMRANGEBYLEX). */
function lexMembers(z: ZSet, range: LexRange): ScoredMember[] {
  return lexRangeOf(z, range, false, 0, -1);
}

// ================================================================ ZRANGE

type RangeType = "auto" | "rank" | "score" | "lex";
type Direction = "auto" | "forward" | "reverse";

/**
 * ZRANGE, ZREVRANGE, Z[REV]RANGEBY{SCORE,LEX} and ZRANGESTORE
 * (zrangeGenericCommand): `start` is the index of the source key in argv;
 * `dst` is ZRANGESTORE's destination.
 */
function zrangeGeneric(
  ctx: CommandContext,
  argv: string[],
  start: number,
  dst: string | undefined,
  rangeType: RangeType,
  direction: Direction,
): void {
  const key = argv[start];
  let minIdx = start + 1;
  let maxIdx = start + 2;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = start + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const opt = argv[j].toLowerCase();
    if (dst === undefined && opt === "withscores") {
      withScores = true;
    } else if (opt === "limit" && left >= 2) {
      offset = parseLong(argv[j + 1]);
      limit = parseLong(argv[j + 2]);
      j += 2;
    } else if (direction === "auto" && opt === "rev") {
      direction = "reverse";
    } else if (rangeType === "auto" && opt === "bylex") {
      rangeType = "lex";
    } else if (rangeType === "auto" && opt === "byscore") {
      rangeType = "score";
    } else {
      fail(SYNTAX_ERROR);
    }
  }
  if (direction === "auto") direction = "forward";
  if (rangeType === "auto") rangeType = "rank";
  if (limit !== -1 && rangeType === "rank") {
    fail("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  }
  if (withScores && rangeType === "lex") {
    fail("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  const reverse = direction === "reverse";
  if (reverse && rangeType !== "rank") [minIdx, maxIdx] = [maxIdx, minIdx];

  let rankStart = 0;
  let rankEnd = 0;
  let scoreRange: ScoreRange | undefined;
  let lexRange: LexRange | undefined;
  if (rangeType === "rank") {
    rankStart = parseLong(argv[minIdx]);
    rankEnd = parseLong(argv[maxIdx]);
  } else if (rangeType === "score") {
    scoreRange = parseScoreRangeOrFail(argv[minIdx], argv[maxIdx]);
  } else {
    lexRange = parseLexRangeOrFail(argv[minIdx], argv[maxIdx]);
  }

  const z = ctx.db.getZSet(key);
  let items: ScoredMember[] = [];
  if (z !== undefined) {
    if (rangeType === "rank") {
      const n = z.size;
      if (rankStart < 0) rankStart += n;
      if (rankEnd < 0) rankEnd += n;
      if (rankStart < 0) rankStart = 0;
      if (rankStart <= rankEnd && rankStart < n) {
        items = z.rangeByRank(rankStart, Math.min(rankEnd, n - 1), reverse);
      }
    } else if (offset <= 0 || offset < z.size) {
      const opts = { reverse, offset, limit };
      if (scoreRange !== undefined) {
        if (!isEmptyScoreRange(scoreRange)) items = z.rangeByScore(scoreRange, opts);
      } else {
        items = lexRangeOf(z, lexRange!, reverse, offset, limit);
      }
    }
  }

  if (dst === undefined) return replyScored(ctx, items, withScores);
  if (items.length > 0) {
    const result = new ZSet();
    for (const [member, score] of items) result.add(member, score);
    settleEncoding(ctx, result);
    ctx.db.set(dst, result);
    ctx.server.dirty++;
    notifyKeyspaceEvent(ctx.server, NOTIFY.ZSET, "zrangestore", dst, ctx.db.id);
  } else if (ctx.db.delete(dst)) {
    ctx.server.dirty++;
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", dst, ctx.db.id);
  }
  ctx.reply.int(items.length);
}

function rangeSpec(
  name: string,
  arity: number,
  start: number,
  rangeType: RangeType,
  direction: Direction,
): CommandSpec {
  const store = name === "zrangestore";
  return {
    name,
    arity,
    flags: store ? ["write", "denyoom"] : ["readonly"],
    keys: store ? [1, 2, 1] : [1, 1, 1],
    acl: store ? ["write", "sortedset", "slow"] : ["read", "sortedset", "slow"],
    run(ctx, argv) {
      zrangeGeneric(ctx, argv, start, store ? argv[1] : undefined, rangeType, direction);
    },
  };
}

const zrange = rangeSpec("zrange", -4, 1, "auto", "auto");
const zrangestore = rangeSpec("zrangestore", -5, 2, "auto", "auto");
const zrevrange = rangeSpec("zrevrange", -4, 1, "rank", "reverse");
const zrangebyscore = rangeSpec("zrangebyscore", -4, 1, "score", "forward");
const zrevrangebyscore = rangeSpec("zrevrangebyscore", -4, 1, "score", "reverse");
const zrangebylex = rangeSpec("zrangebylex", -4, 1, "lex", "forward");
const zrevrangebylex = rangeSpec("zrevrangebylex", -4, 1, "lex", "reverse");

// ========================================================== ZREMRANGEBY*

function zremrangeGeneric(ctx: CommandContext, argv: string[], rangeType: RangeType): void {
  const key = argv[1];
  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | undefined;
  let lexRange: LexRange | undefined;
  if (rangeType === "rank") {
    start = parseLong(argv[2]);
    end = parseLong(argv[3]);
  } else if (rangeType === "score") {
    scoreRange = parseScoreRangeOrFail(argv[2], argv[3]);
  } else {
    lexRange = parseLexRangeOrFail(argv[2], argv[3]);
  }
  const z = ctx.db.getZSet(key, true);
  if (z === undefined) return ctx.reply.int(0);
  let deleted = 0;
  if (rangeType === "rank") {
    const n = z.size;
    if (start < 0) start += n;
    if (end < 0) end += n;
    if (start < 0) start = 0;
    if (start > end || start >= n) return ctx.reply.int(0);
    deleted = z.removeRangeByRank(start, Math.min(end, n - 1));
  } else if (scoreRange !== undefined) {
    if (!isEmptyScoreRange(scoreRange)) deleted = z.removeRangeByScore(scoreRange);
  } else if (z.encoding === "listpack") {
    const doomed = lexMembers(z, lexRange!);
    for (const [member] of doomed) z.remove(member);
    deleted = doomed.length;
  } else if (!isEmptyLexRange(lexRange!)) {
    deleted = z.removeRangeByLex(lexRange!);
  }
  if (deleted > 0) {
    notifyKeyspaceEvent(ctx.server, NOTIFY.ZSET, `zremrangeby${rangeType}`, key, ctx.db.id);
    if (ctx.db.deleteIfEmpty(key, z)) {
      notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, ctx.db.id);
    }
    ctx.db.modified(key);
    ctx.server.dirty += deleted;
  }
  ctx.reply.int(deleted);
}

function remrangeSpec(name: string, rangeType: RangeType): CommandSpec {
  return {
    name,
    arity: 4,
    flags: ["write"],
    keys: [1, 1, 1],
    acl: ["write", "sortedset", "slow"],
    run(ctx, argv) {
      zremrangeGeneric(ctx, argv, rangeType);
    },
  };
}

const zremrangebyrank = remrangeSpec("zremrangebyrank", "rank");
const zremrangebyscore = remrangeSpec("zremrangebyscore", "score");
const zremrangebylex = remrangeSpec("zremrangebylex", "lex");

// ================================================================= pops

/**
 * genericZpopCommand: pops from the first existing key of `keys`. `count`
 * -1 is a plain single pop. ZMPOP (`emitKey`) replies [key, [[m, s] …]] or
 * a nil array, and propagates as ZPOPMIN/ZPOPMAX key count.
 */
function zpopGeneric(
  ctx: CommandContext,
  keys: string[],
  max: boolean,
  count: number,
  emitKey: boolean,
): void {
  const r = ctx.reply;
  let key = "";
  let z: ZSet | undefined;
  for (const k of keys) {
    z = ctx.db.getZSet(k, true);
    if (z !== undefined) {
      key = k;
      break;
    }
  }
  if (z === undefined) return emitKey ? r.nilArray() : r.array(0);
  if (count === 0) return r.array(0);
  const nested = emitKey || (r.protocol === 3 && count !== -1);
  if (count === -1) count = 1;
  const popped = max ? z.popMax(count) : z.popMin(count);
  if (emitKey) {
    r.array(2);
    r.bulk(key);
    r.array(popped.length);
  } else {
    r.array(nested ? popped.length : popped.length * 2);
  }
  for (const [member, score] of popped) {
    if (nested) r.array(2);
    r.bulk(member);
    replyScore(ctx, score);
  }
  notifyKeyspaceEvent(ctx.server, NOTIFY.ZSET, max ? "zpopmax" : "zpopmin", key, ctx.db.id);
  if (ctx.db.deleteIfEmpty(key, z)) {
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, ctx.db.id);
  }
  ctx.db.modified(key);
  ctx.server.dirty += popped.length;
  if (emitKey) ctx.propagate([max ? "ZPOPMAX" : "ZPOPMIN", key, String(popped.length)]);
}

function zpopSpec(name: string, max: boolean): CommandSpec {
  return {
    name,
    arity: -2,
    flags: ["write", "fast"],
    keys: [1, 1, 1],
    acl: ["write", "sortedset", "fast"],
    run(ctx, argv) {
      if (argv.length > 3) fail(SYNTAX_ERROR);
      const count = argv.length === 3 ? parsePositiveLong(argv[2]) : -1;
      zpopGeneric(ctx, [argv[1]], max, count, false);
    },
  };
}

const zpopmin = zpopSpec("zpopmin", false);
const zpopmax = zpopSpec("zpopmax", true);

const zmpop: CommandSpec = {
  name: "zmpop",
  arity: -4,
  flags: ["write", "movablekeys"],
  keys: [0, 0, 0],
  acl: ["write", "sortedset", "slow"],
  run(ctx, argv) {
    const numkeys = parseNumKeys(argv[1]);
    const whereIdx = 1 + numkeys + 1;
    if (whereIdx >= argv.length) fail(SYNTAX_ERROR);
    const where = argv[whereIdx].toLowerCase();
    if (where !== "min" && where !== "max") fail(SYNTAX_ERROR);
    let count = -1;
    for (let j = whereIdx + 1; j < argv.length; j++) {
      if (count === -1 && argv[j].toLowerCase() === "count" && j < argv.length - 1) {
        count = parseLong(argv[++j], "ERR count should be greater than 0");
        if (count < 1) fail("ERR count should be greater than 0");
      } else {
        fail(SYNTAX_ERROR);
      }
    }
    if (count === -1) count = 1;
    zpopGeneric(ctx, argv.slice(2, whereIdx), where === "max", count, true);
  },
};

// ============================================================ ZRANDMEMBER

const zrandmember: CommandSpec = {
  name: "zrandmember",
  arity: -2,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "sortedset", "slow"],
  run(ctx, argv) {
    if (argv.length === 2) {
      const z = ctx.db.getZSet(argv[1]);
      if (z === undefined) return ctx.reply.nil();
      return ctx.reply.bulk(z.at(Math.floor(Math.random() * z.size))![0]);
    }
    const count = parseRandomCount(argv[2]);
    if (argv.length > 4 || (argv.length === 4 && argv[3].toLowerCase() !== "withscores")) {
      fail(SYNTAX_ERROR);
    }
    const withScores = argv.length === 4;
    if (withScores) checkRandomCountWithValues(argv[2]);
    const z = ctx.db.getZSet(argv[1]);
    if (z === undefined || count === 0) return ctx.reply.array(0);
    const n = z.size;
    let items: ScoredMember[];
    if (count < 0) {
      items = new Array<ScoredMember>(-count);
      for (let i = 0; i < -count; i++) items[i] = z.at(Math.floor(Math.random() * n))!;
      checkRandomReplyBytes(items.map(([member]) => member));
    } else if (count >= n) {
      items = [...z.entries()];
    } else {
      const ranks = new Set<number>();
      if (count * 2 < n) {
        while (ranks.size < count) ranks.add(Math.floor(Math.random() * n));
      } else {
        // Drop n - count random ranks instead.
        const drop = new Set<number>();
        while (drop.size < n - count) drop.add(Math.floor(Math.random() * n));
        for (let i = 0; i < n; i++) if (!drop.has(i)) ranks.add(i);
      }
      items = [...ranks].map((i) => z.at(i)!);
    }
    replyScored(ctx, items, withScores);
  },
};

// ================================================== ZUNION / ZINTER / ZDIFF

type SetOp = "union" | "inter" | "diff";
type Aggregate = "sum" | "min" | "max";

/** One input of a set operation: a sorted set, or a plain set whose scores are 1. */
interface OpSource {
  subject: ZSet | RedisSet | undefined;
  weight: number;
}

function sourceSize(s: OpSource): number {
  return s.subject?.size ?? 0;
}

function sourceScore(s: OpSource, member: string): number | undefined {
  const subject = s.subject;
  if (subject === undefined) return undefined;
  if (subject instanceof ZSet) return subject.score(member);
  return subject.has(member) ? 1 : undefined;
}

function* sourceEntries(s: OpSource): IterableIterator<ScoredMember> {
  const subject = s.subject;
  if (subject === undefined) return;
  if (subject instanceof ZSet) {
    yield* subject.entries();
  } else {
    for (const member of subject) yield [member, 1];
  }
}

/** zunionInterAggregate, with Redis's convention that inf + -inf is 0. */
function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === "sum") {
    const sum = target + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (how === "min") return value < target ? value : target;
  return value > target ? value : target;
}

/**
 * zunionInterDiffGenericCommand: ZUNION/ZINTER/ZDIFF, their STORE forms and
 * ZINTERCARD. `numkeysIdx` is where numkeys sits in argv.
 */
function zsetOpGeneric(
  ctx: CommandContext,
  argv: string[],
  dst: string | undefined,
  numkeysIdx: number,
  op: SetOp,
  cardinalityOnly: boolean,
): void {
  const setnum = parseLong(argv[numkeysIdx]);
  if (setnum < 1) fail(`ERR at least 1 input key is needed for '${argv[0].toLowerCase()}' command`);
  if (setnum > argv.length - (numkeysIdx + 1)) fail(SYNTAX_ERROR);
  const sources: OpSource[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const value = ctx.db.lookupRead(argv[j]); // a read even for *STORE, as in Redis 7.0
    if (value !== undefined && !(value instanceof ZSet) && !(value instanceof StringSet)) {
      throw new WrongTypeError();
    }
    sources.push({ subject: value, weight: 1 });
  }
  let how: Aggregate = "sum";
  let withScores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const opt = argv[j].toLowerCase();
    if (op !== "diff" && !cardinalityOnly && remaining >= setnum + 1 && opt === "weights") {
      j++;
      for (let i = 0; i < setnum; i++, j++) {
        const weight = parseDouble(argv[j]);
        if (weight === undefined) fail("ERR weight value is not a float");
        sources[i].weight = weight;
      }
    } else if (op !== "diff" && !cardinalityOnly && remaining >= 2 && opt === "aggregate") {
      const a = argv[j + 1].toLowerCase();
      if (a !== "sum" && a !== "min" && a !== "max") fail(SYNTAX_ERROR);
      how = a;
      j += 2;
    } else if (dst === undefined && !cardinalityOnly && opt === "withscores") {
      withScores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && opt === "limit") {
      limit = parsePositiveLong(argv[j + 1], "ERR LIMIT can't be negative");
      j += 2;
    } else {
      fail(SYNTAX_ERROR);
    }
  }
  // Smallest first, as Redis sorts them (stable, like glibc's merge sort).
  if (op !== "diff") sources.sort((a, b) => sourceSize(a) - sourceSize(b));

  const result = new Map<string, number>();
  let cardinality = 0;
  if (op === "inter") {
    const first = sources[0];
    if (sourceSize(first) > 0) {
      for (const [member, firstScore] of sourceEntries(first)) {
        let score = first.weight * firstScore;
        if (Number.isNaN(score)) score = 0;
        let k = 1;
        for (; k < sources.length; k++) {
          const found = sourceScore(sources[k], member);
          if (found === undefined) break;
          score = aggregate(score, found * sources[k].weight, how);
        }
        if (k < sources.length) continue;
        if (cardinalityOnly) {
          cardinality++;
          if (limit > 0 && cardinality >= limit) break;
        } else {
          result.set(member, score);
        }
      }
    }
  } else if (op === "union") {
    for (const source of sources) {
      for (const [member, memberScore] of sourceEntries(source)) {
        let score = source.weight * memberScore;
        if (Number.isNaN(score)) score = 0;
        const existing = result.get(member);
        result.set(member, existing === undefined ? score : aggregate(existing, score, how));
      }
    }
  } else {
    const [first, ...rest] = sources;
    for (const [member, score] of sourceEntries(first)) {
      if (rest.every((s) => sourceScore(s, member) === undefined)) result.set(member, score);
    }
  }

  if (cardinalityOnly) return ctx.reply.int(cardinality);
  const z = new ZSet();
  for (const [member, score] of result) z.add(member, score);
  if (dst !== undefined) {
    if (z.size > 0) {
      settleEncoding(ctx, z);
      ctx.db.set(dst, z);
      ctx.server.dirty++;
      notifyKeyspaceEvent(ctx.server, NOTIFY.ZSET, `z${op}store`, dst, ctx.db.id);
    } else if (ctx.db.delete(dst)) {
      ctx.server.dirty++;
      notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", dst, ctx.db.id);
    }
    return ctx.reply.int(z.size);
  }
  replyScored(ctx, [...z.entries()], withScores);
}

function setOpSpec(name: string, op: SetOp, store: boolean, cardinality = false): CommandSpec {
  return {
    name,
    arity: store ? -4 : -3,
    flags: store ? ["write", "denyoom", "movablekeys"] : ["readonly", "movablekeys"],
    keys: store ? [1, 1, 1] : [0, 0, 0],
    acl: store ? ["write", "sortedset", "slow"] : ["read", "sortedset", "slow"],
    run(ctx, argv) {
      zsetOpGeneric(ctx, argv, store ? argv[1] : undefined, store ? 2 : 1, op, cardinality);
    },
  };
}

const zunion = setOpSpec("zunion", "union", false);
const zinter = setOpSpec("zinter", "inter", false);
const zdiff = setOpSpec("zdiff", "diff", false);
const zunionstore = setOpSpec("zunionstore", "union", true);
const zinterstore = setOpSpec("zinterstore", "inter", true);
const zdiffstore = setOpSpec("zdiffstore", "diff", true);
const zintercard = setOpSpec("zintercard", "inter", false, true);

// ================================================================== ZSCAN

const zscan: CommandSpec = {
  name: "zscan",
  arity: -3,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "sortedset", "slow"],
  run(ctx, argv) {
    const cursor = parseScanCursor(argv[2]);
    const z = ctx.db.getZSet(argv[1]);
    if (z === undefined) return scanReply(ctx, 0, []);
    const { count, match } = parseScanOptions(argv, 3);
    const items: string[] = [];
    if (z.encoding === "listpack") {
      for (const [member, score] of z.entries()) {
        if (match === undefined || match(member)) items.push(member, listpackScoreText(score));
      }
      return scanReply(ctx, 0, items);
    }
    const [next, members] = scanPage(z, () => z.dict.keys(), cursor, count);
    for (const member of members) {
      const score = z.score(member);
      if (score === undefined || (match !== undefined && !match(member))) continue;
      items.push(member, formatScore(score));
    }
    scanReply(ctx, next, items);
  },
};

/** The sorted-set family. */
export const zsetCommands: readonly CommandSpec[] = [
  zadd,
  zincrby,
  zrem,
  zcard,
  zcount,
  zlexcount,
  zscore,
  zmscore,
  zrank,
  zrevrank,
  zrange,
  zrangestore,
  zrevrange,
  zrangebyscore,
  zrevrangebyscore,
  zrangebylex,
  zrevrangebylex,
  zremrangebyrank,
  zremrangebyscore,
  zremrangebylex,
  zpopmin,
  zpopmax,
  zmpop,
  zrandmember,
  zunion,
  zinter,
  zdiff,
  zunionstore,
  zinterstore,
  zdiffstore,
  zintercard,
  zscan,
];
