/**
 * SORT and SORT_RO (Redis 7.0's sort.c) over lists, sets and sorted sets.
 *
 * Elements are compared as doubles (parsed like C's strtod over the whole
 * element, which must be consumed) or, with ALPHA, as byte strings. BY
 * pattern replaces each element by the string (or hash field, `key->field`)
 * at the pattern with `*` substituted; a BY pattern without `*` (say
 * "nosort") skips sorting. GET patterns fetch values the same way, `#` being
 * the element itself. Ties in numeric order are broken by comparing the
 * elements, as Redis does, and the sort is stable, so results are
 * deterministic.
 *
 * Differences in what cannot be reproduced: Redis compares ALPHA strings
 * with strcoll() in the server's locale (here: byte order, which is what the
 * C locale gives); a set sorted with BY nosort comes out in the set's own
 * iteration order, which is Redis's hash order there and insertion order
 * here.
 *
 * SORT … STORE is propagated as called (Redis forces ALPHA order for a set
 * with BY nosort and STORE, so it replays identically).
 *
 * @module
 */
import { fail, NOT_AN_INTEGER, SYNTAX_ERROR, WrongTypeError } from "../errors.ts";
import { parseDouble, parseLongLong } from "../util/numbers.ts";
import { Hash } from "../store/hash.ts";
import { List } from "../store/list.ts";
import { StringSet } from "../store/set.ts";
import { ZSet } from "../store/zset.ts";
import type { Db } from "../store/keyspace.ts";
import type { CommandContext, CommandSpec } from "./types.ts";
import { NOTIFY, notifyKeyspaceEvent } from "../store/notify.ts";

/** One element being sorted with its sort key. */
interface SortItem {
  element: string;
  score: number;
  /** ALPHA with BY: the BY value, null when missing. */
  compareWith: string | null;
}

/**
 * lookupKeyByPattern: the string (or hash field) the pattern names once its
 * first `*` is replaced by `subst`; `#` alone is `subst` itself. Patterns are
 * scanned like C strings (up to a NUL byte), as in Redis.
 */
function lookupByPattern(db: Db, pattern: string, subst: string): string | undefined {
  if (pattern.charCodeAt(0) === 0x23 && (pattern.length === 1 || pattern.charCodeAt(1) === 0)) {
    return subst;
  }
  const nul = pattern.indexOf("\0");
  const cPattern = nul === -1 ? pattern : pattern.slice(0, nul);
  const star = cPattern.indexOf("*");
  if (star === -1) return undefined;
  const arrow = cPattern.indexOf("->", star + 1);
  let fieldLen = 0;
  let field: string | undefined;
  if (arrow !== -1 && arrow + 2 < cPattern.length) {
    fieldLen = pattern.length - arrow - 2;
    field = pattern.slice(arrow + 2);
  }
  const postfixLen = pattern.length - (star + 1) - (fieldLen > 0 ? fieldLen + 2 : 0);
  const key = pattern.slice(0, star) + subst + pattern.slice(star + 1, star + 1 + postfixLen);
  const value = db.lookupRead(key);
  if (value === undefined) return undefined;
  if (field !== undefined) {
    return value instanceof Hash ? value.get(field) : undefined;
  }
  return typeof value === "string" ? value : undefined;
}

/**
 * The score SORT gives an element: C's strtod over the whole text (up to a
 * NUL byte), or undefined when it does not convert ("One or more scores
 * can't be converted into double"). Empty text is 0; leading white space is
 * skipped; NaN and out-of-range values do not convert.
 */
function sortScore(text: string): number | undefined {
  const nul = text.indexOf("\0");
  const s = nul === -1 ? text : text.slice(0, nul);
  if (s.length === 0) return 0;
  const trimmed = s.replace(/^[ \t\n\v\f\r]+/, "");
  if (trimmed.length === 0) return undefined;
  return parseDouble(trimmed);
}

/** compareStringObjects: binary comparison. */
function compareBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcoll() in the C locale: byte order up to the first NUL byte. */
function compareCollate(a: string, b: string): number {
  const na = a.indexOf("\0");
  const nb = b.indexOf("\0");
  return compareBinary(na === -1 ? a : a.slice(0, na), nb === -1 ? b : b.slice(0, nb));
}

/** sortCommandGeneric. */
function sortGeneric(ctx: CommandContext, argv: string[], readonly: boolean): void {
  const db = ctx.db;
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let dontsort = false;
  let sortBy: string | undefined;
  let storeKey: string | undefined;
  const getPatterns: string[] = [];

  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const option = argv[j].toLowerCase();
    if (option === "asc") {
      desc = false;
    } else if (option === "desc") {
      desc = true;
    } else if (option === "alpha") {
      alpha = true;
    } else if (option === "limit" && left >= 2) {
      const start = parseLongLong(argv[j + 1]);
      const count = parseLongLong(argv[j + 2]);
      if (start === undefined || count === undefined) fail(NOT_AN_INTEGER);
      limitStart = start;
      limitCount = count;
      j += 2;
    } else if (!readonly && option === "store" && left >= 1) {
      storeKey = argv[++j];
    } else if (option === "by" && left >= 1) {
      sortBy = argv[++j];
      // A BY pattern without '*' (C string) means: don't sort.
      const nul = sortBy.indexOf("\0");
      if ((nul === -1 ? sortBy : sortBy.slice(0, nul)).indexOf("*") === -1) dontsort = true;
    } else if (option === "get" && left >= 1) {
      getPatterns.push(argv[++j]);
    } else {
      fail(SYNTAX_ERROR);
    }
  }

  const found = db.lookupRead(argv[1]);
  if (
    found !== undefined && !(found instanceof List) && !(found instanceof StringSet) &&
    !(found instanceof ZSet)
  ) {
    throw new WrongTypeError();
  }
  const source: List | StringSet | ZSet = found ?? new List();

  // A set has no order of its own: with STORE it must still replay the same
  // way on replicas, so Redis sorts it ALPHA.
  if (dontsort && source instanceof StringSet && storeKey !== undefined) {
    dontsort = false;
    alpha = true;
    sortBy = undefined;
  }
  // zsetConvert(OBJ_ENCODING_SKIPLIST): SORT leaves a sorted set skiplist-encoded.
  if (source instanceof ZSet) source.encoding = "skiplist";

  const vectorLen = source instanceof List ? source.length : source.size;
  let start = Math.min(Math.max(limitStart, 0), vectorLen);
  limitCount = Math.min(Math.max(limitCount, -1), vectorLen);
  let end = limitCount < 0 ? vectorLen - 1 : start + limitCount - 1;
  if (start >= vectorLen) {
    start = vectorLen - 1;
    end = vectorLen - 2;
  }
  if (end >= vectorLen) end = vectorLen - 1;

  // Load the elements; ordered types with nothing to sort load just the range.
  let elements: string[];
  if (dontsort && !(source instanceof StringSet)) {
    const count = Math.max(end - start + 1, 0);
    if (count === 0) {
      elements = [];
    } else if (source instanceof List) {
      const n = source.length;
      elements = desc
        ? source.range(n - start - count, n - start - 1).reverse()
        : source.range(start, start + count - 1);
    } else {
      elements = source.rangeByRank(start, start + count - 1, desc).map(([member]) => member);
    }
    end -= start;
    start = 0;
  } else if (source instanceof List) {
    elements = source.toArray();
  } else if (source instanceof StringSet) {
    elements = [...source];
  } else {
    elements = [...source.dict.keys()];
  }

  const items: SortItem[] = elements.map((element) => ({ element, score: 0, compareWith: null }));
  let conversionError = false;
  if (!dontsort) {
    for (const item of items) {
      let byValue: string | undefined;
      if (sortBy !== undefined) {
        byValue = lookupByPattern(db, sortBy, item.element);
        if (byValue === undefined) continue;
      } else {
        byValue = item.element;
      }
      if (alpha) {
        if (sortBy !== undefined) item.compareWith = byValue;
      } else {
        const score = sortScore(byValue);
        if (score === undefined) conversionError = true;
        else item.score = score;
      }
    }
    const byPattern = sortBy !== undefined;
    const storing = storeKey !== undefined;
    const compare = (a: SortItem, b: SortItem): number => {
      let cmp: number;
      if (!alpha) {
        cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : compareBinary(a.element, b.element);
      } else if (byPattern) {
        if (a.compareWith === null || b.compareWith === null) {
          cmp = a.compareWith === b.compareWith ? 0 : a.compareWith === null ? -1 : 1;
        } else {
          cmp = storing
            ? compareBinary(a.compareWith, b.compareWith)
            : compareCollate(a.compareWith, b.compareWith);
        }
      } else {
        cmp = storing ? compareBinary(a.element, b.element) : compareCollate(a.element, b.element);
      }
      return desc ? -cmp : cmp;
    };
    items.sort(compare);
  }

  if (conversionError) fail("ERR One or more scores can't be converted into double");
  const rows = end - start + 1;
  const outputLen = getPatterns.length > 0 ? getPatterns.length * rows : rows;
  const reply = ctx.reply;
  if (storeKey === undefined) {
    reply.array(Math.max(outputLen, 0));
    for (let j = start; j <= end; j++) {
      const element = items[j].element;
      if (getPatterns.length === 0) reply.bulk(element);
      for (const pattern of getPatterns) {
        const value = lookupByPattern(db, pattern, element);
        value === undefined ? reply.nil() : reply.bulk(value);
      }
    }
    return;
  }
  const stored = new List();
  for (let j = start; j <= end; j++) {
    const element = items[j].element;
    if (getPatterns.length === 0) stored.pushTail(element);
    for (const pattern of getPatterns) stored.pushTail(lookupByPattern(db, pattern, element) ?? "");
  }
  if (outputLen > 0) {
    db.set(storeKey, stored);
    notifyKeyspaceEvent(ctx.server, NOTIFY.LIST, "sortstore", storeKey, db.id);
    ctx.server.dirty += outputLen;
  } else if (db.delete(storeKey)) {
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", storeKey, db.id);
    ctx.server.dirty++;
  }
  reply.int(Math.max(outputLen, 0));
}

/** SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination] */
const sort: CommandSpec = {
  name: "sort",
  arity: -2,
  flags: ["write", "denyoom", "movablekeys"],
  keys: [1, 1, 1],
  acl: ["write", "set", "sortedset", "list", "slow", "dangerous"],
  run(ctx, argv) {
    sortGeneric(ctx, argv, false);
  },
};

/** SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] */
const sortRo: CommandSpec = {
  name: "sort_ro",
  arity: -2,
  flags: ["readonly", "movablekeys"],
  keys: [1, 1, 1],
  acl: ["read", "set", "sortedset", "list", "slow", "dangerous"],
  run(ctx, argv) {
    sortGeneric(ctx, argv, true);
  },
};

/** The SORT family. */
export const sortCommands: readonly CommandSpec[] = [sort, sortRo];
