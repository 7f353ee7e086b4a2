/**
 * Glob-style pattern matching, an exact port of Redis 7.0's `stringmatchlen`
 * (src/util.c), used by KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET and friends.
 *
 * Patterns and subjects are byte strings (one char code 0–255 per byte). The
 * grammar and its quirks follow the C code exactly:
 * - `*` matches any run of bytes, `?` any one byte, `\x` the byte `x`;
 * - `[...]` is a class: `^` first negates it, `a-z` is a range (a reversed
 *   range `z-a` is swapped), `\x` inside a class is the literal `x` compared
 *   case-sensitively even in nocase mode; an unterminated class ends at the
 *   end of the pattern;
 * - ranges compare bytes as C's signed `char`, so a range that mixes a byte
 *   ≥ 0x80 with an ASCII one behaves as it does on x86-64 Redis;
 * - a pattern never matches the empty subject unless it is empty itself (the
 *   main loop needs both sides non-empty): `*` does not match `""`. KEYS and
 *   SCAN special-case the exact pattern `*` before calling the matcher;
 * - the "skip longer matches" cut-off: once the rest of a pattern after a `*`
 *   matched nowhere in the rest of the subject, every enclosing `*` gives up,
 *   which keeps patterns like `a*a*a*a*b` linear-ish;
 * - recursion deeper than 1000 stars fails the match (Redis's protection
 *   against abusive patterns, CVE-2022-36021).
 * Bytes past either end read as 0, like the NUL terminator C reads there.
 *
 * @module
 */

/** Redis's limit on `*` recursion depth; deeper matches fail. */
export const GLOB_MAX_NESTING = 1000;

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const BACKSLASH = 0x5c;

/** C's `tolower` in the C locale: ASCII A–Z only. */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/** A byte as C's signed `char` (x86-64): 0x80–0xff become -128…-1. */
function signed(c: number): number {
  return (c << 24) >> 24;
}

/** Shared state of one top-level match: the skipLongerMatches flag. */
interface MatchState {
  skipLongerMatches: boolean;
}

/**
 * `stringmatchlen_impl`: `p`/`s` are the current positions; both strings keep
 * their real ends, as in C where every recursion passes the same end.
 */
function matchFrom(
  pattern: string,
  p: number,
  subject: string,
  s: number,
  nocase: boolean,
  state: MatchState,
  nesting: number,
): boolean {
  if (nesting > GLOB_MAX_NESTING) return false;
  const pEnd = pattern.length;
  const sEnd = subject.length;
  // charCodeAt past the end is NaN; `at` maps it to 0 like the C terminator.
  const at = (i: number): number => (i < pEnd ? pattern.charCodeAt(i) : 0);

  while (p < pEnd && s < sEnd) {
    const pc = pattern.charCodeAt(p);
    if (pc === STAR) {
      while (p < pEnd && at(p + 1) === STAR) p++;
      if (pEnd - p === 1) return true;
      while (s < sEnd) {
        if (matchFrom(pattern, p + 1, subject, s, nocase, state, nesting + 1)) return true;
        if (state.skipLongerMatches) return false;
        s++;
      }
      // The rest of the pattern matched nowhere in the rest of the subject:
      // an earlier `*` taking a longer run would need it to match even later.
      state.skipLongerMatches = true;
      return false;
    } else if (pc === QUESTION) {
      s++;
    } else if (pc === OPEN_BRACKET) {
      p++;
      const not = at(p) === CARET;
      if (not) p++;
      let match = false;
      const sc = subject.charCodeAt(s);
      for (;;) {
        const c0 = at(p);
        if (c0 === BACKSLASH && pEnd - p >= 2) {
          p++;
          if (at(p) === sc) match = true;
        } else if (c0 === CLOSE_BRACKET) {
          break;
        } else if (p >= pEnd) {
          p--;
          break;
        } else if (pEnd - p >= 3 && at(p + 1) === DASH) {
          let start = signed(c0);
          let end = signed(at(p + 2));
          let c = signed(sc);
          if (start > end) {
            const t = start;
            start = end;
            end = t;
          }
          if (nocase) {
            start = lower(start);
            end = lower(end);
            c = lower(c);
          }
          p += 2;
          if (c >= start && c <= end) match = true;
        } else if (!nocase) {
          if (c0 === sc) match = true;
        } else if (lower(c0) === lower(sc)) {
          match = true;
        }
        p++;
      }
      if (not) match = !match;
      if (!match) return false;
      s++;
    } else {
      let c0 = pc;
      if (pc === BACKSLASH && pEnd - p >= 2) {
        p++;
        c0 = pattern.charCodeAt(p);
      }
      const sc = subject.charCodeAt(s);
      if (nocase ? lower(c0) !== lower(sc) : c0 !== sc) return false;
      s++;
    }
    p++;
    if (s === sEnd) {
      while (at(p) === STAR) p++;
      break;
    }
  }
  return p >= pEnd && s === sEnd;
}

/**
 * Whether `subject` matches the glob `pattern`, exactly as Redis's
 * `stringmatchlen(pattern, subject, nocase)`. `nocase` folds ASCII letters only.
 */
export function globMatch(pattern: string, subject: string, nocase = false): boolean {
  return matchFrom(pattern, 0, subject, 0, nocase, { skipLongerMatches: false }, 0);
}

/** True when the pattern has no glob metacharacter at all. */
function isLiteral(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === STAR || c === QUESTION || c === OPEN_BRACKET || c === BACKSLASH) return false;
  }
  return true;
}

/**
 * A matcher for one pattern, equivalent to `(s) => globMatch(pattern, s, nocase)`
 * but with fast paths for the common shapes: a literal, `prefix*`, `*suffix`,
 * `*infix*` and `*` (which, like `stringmatchlen`, does not match `""`).
 */
export function compileGlob(pattern: string, nocase = false): (subject: string) => boolean {
  if (!nocase) {
    const n = pattern.length;
    if (isLiteral(pattern)) return (subject) => subject === pattern;
    if (n === 1 && pattern.charCodeAt(0) === STAR) return (subject) => subject.length > 0;
    const starFirst = pattern.charCodeAt(0) === STAR;
    const starLast = pattern.charCodeAt(n - 1) === STAR;
    if (starLast && !starFirst) {
      const prefix = pattern.slice(0, n - 1);
      if (isLiteral(prefix)) return (subject) => subject.startsWith(prefix);
    } else if (starFirst && !starLast) {
      const suffix = pattern.slice(1);
      if (isLiteral(suffix)) return (subject) => subject.endsWith(suffix);
    } else if (starFirst && starLast && n >= 3) {
      const infix = pattern.slice(1, n - 1);
      if (isLiteral(infix)) return (subject) => subject.includes(infix);
    }
  }
  return (subject) => globMatch(pattern, subject, nocase);
}
