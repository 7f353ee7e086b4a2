import assert from "node:assert/strict";
import { compileGlob, globMatch } from "../../../src/util/glob.ts";

// [pattern, subject, matches]. Every row was checked against redis-server
// 7.0.15 with KEYS (one key per database), so the results are Redis's, quirks
// included: "*" alone does not match "" in stringmatchlen (KEYS special-cases
// the exact pattern "*", so "**" shows it), ranges compare signed chars, and
// an unterminated class runs to the end of the pattern.
const CASES: [string, string, boolean][] = [
  ["", "", true],
  ["", "a", false],
  ["a", "", false],
  ["*", "abc", true],
  ["**", "", false],
  ["*", "\x00", true],
  ["?", "", false],
  ["?", "a", true],
  ["??", "a", false],
  ["a*", "a", true],
  ["a*", "abc", true],
  ["a*", "ba", false],
  ["*a", "ba", true],
  ["*a", "ab", false],
  ["*a*", "bab", true],
  ["a*b*c", "aXbYc", true],
  ["a*b*c", "acb", false],
  ["h?llo", "hello", true],
  ["h?llo", "hllo", false],
  ["h*llo", "hllo", true],
  ["h[ae]llo", "hello", true],
  ["h[ae]llo", "hillo", false],
  ["h[^e]llo", "hallo", true],
  ["h[^e]llo", "hello", false],
  ["h[a-b]llo", "hbllo", true],
  ["h[b-a]llo", "hallo", true],
  ["h[a-b]llo", "hcllo", false],
  ["[a-]", "-", false],
  ["[a-]", "a", true],
  ["[-a]", "-", true],
  ["[]]", "]", false],
  ["[]a]", "a", false],
  ["[a", "a", true],
  ["[a", "b", false],
  ["[", "[", false],
  ["[^", "x", true],
  ["[^", "", false],
  ["[^a", "a", false],
  ["[\\]]", "]", true],
  ["[\\", "\\", true],
  ["[a\\", "\\", true],
  ["\\", "\\", true],
  ["\\*", "*", true],
  ["\\*", "a", false],
  ["\\?", "?", true],
  ["\\?", "x", false],
  ["a\\", "a\\", true],
  ["\\\\", "\\", true],
  ["[\\-]", "-", true],
  ["[a-c-e]", "d", false],
  ["[a-c-e]", "-", true],
  ["[a-c-e]", "e", true],
  ["[^a-c]", "d", true],
  ["[^]", "x", true],
  ["[^]]", "]", false],
  ["[\x80-\xff]", "\x90", true],
  ["[a-\xff]", "\x90", false],
  ["[a-\xff]", "b", false],
  ["[a-\xff]", "~", false],
  ["[\xff-a]", "\x00", true],
  ["[\x00-a]", "\x7f", false],
  ["\xe9*", "\xe9t\xe9", true],
  ["*\x00*", "a\x00b", true],
  ["a\x00", "a", false],
  ["A", "a", false],
  ["[A-Z]", "a", false],
  ["*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false],
  ["*a*a*b", "aaaab", true],
  ["*?", "a", true],
  ["*?", "", false],
  ["?*", "a", true],
  ["*??*", "a", false],
  ["a**b", "ab", true],
  ["a**b", "axxb", true],
  ["user:*:name", "user:42:name", true],
  ["user:*:name", "user:42:email", false],
];

function show(pattern: string, subject: string): string {
  return `${JSON.stringify(pattern)} ~ ${JSON.stringify(subject)}`;
}

Deno.test("glob matches like Redis 7.0 stringmatchlen on the verified table", () => {
  for (const [pattern, subject, expected] of CASES) {
    assert.equal(globMatch(pattern, subject), expected, show(pattern, subject));
  }
});

Deno.test("compiled globs agree with globMatch on the verified table", () => {
  for (const [pattern, subject, expected] of CASES) {
    assert.equal(compileGlob(pattern)(subject), expected, show(pattern, subject));
  }
});

Deno.test("compiled fast paths handle prefixes, suffixes, infixes and literals", () => {
  const table: [string, string, boolean][] = [
    ["user:*", "user:", true],
    ["user:*", "user", false],
    ["user:*", "", false],
    ["*:name", ":name", true],
    ["*:name", "x:nam", false],
    ["*mid*", "mid", true],
    ["*mid*", "xmidy", true],
    ["*mid*", "mi", false],
    ["*", "", false],
    ["*", "x", true],
    ["plain", "plain", true],
    ["plain", "plainx", false],
  ];
  for (const [pattern, subject, expected] of table) {
    assert.equal(compileGlob(pattern)(subject), expected, show(pattern, subject));
    assert.equal(globMatch(pattern, subject), expected, show(pattern, subject));
  }
});

// Checked against redis-server 7.0.15 with COMMAND LIST FILTERBY PATTERN,
// which matches command names with nocase = 1.
Deno.test("nocase folds ASCII letters in literals and ranges but not escaped class members", () => {
  const table: [string, string, boolean][] = [
    ["G[D-F]T", "get", true],
    ["[^A-F]ET", "get", true],
    ["[^A-F]ET", "set", true],
    ["[\\G]et", "get", false],
    ["[\\g]ET", "get", true],
    ["[Z-A]ET", "get", true],
    ["[Z-A]ET", "set", true],
    ["[a-Z]et", "get", false],
    ["[_-a]et", "get", false],
    ["[G-g]et", "get", true],
    ["[^G-g]et", "set", true],
    ["[^G-g]et", "get", false],
    ["\\GET", "get", true],
    ["G\\ET", "get", true],
    ["s[^e]t", "set", false],
    ["S[E]T", "set", true],
    ["CLIENT|K?LL", "client|kill", true],
  ];
  for (const [pattern, subject, expected] of table) {
    assert.equal(globMatch(pattern, subject, true), expected, show(pattern, subject));
    assert.equal(compileGlob(pattern, true)(subject), expected, show(pattern, subject));
  }
  assert.equal(globMatch("GET", "get"), false);
  assert.equal(globMatch("\xc9", "\xe9", true), false); // C-locale tolower is ASCII only
});

// Checked against redis-server 7.0.15: recursion past 1000 stars fails the match.
Deno.test("glob fails matches that need more than 1000 nested stars", () => {
  assert.equal(globMatch("*a".repeat(1000), "a".repeat(1000)), true);
  assert.equal(globMatch("*a".repeat(1001), "a".repeat(1001)), false);
  assert.equal(globMatch("a*".repeat(1000) + "b", "a".repeat(1000) + "b"), true);
  assert.equal(globMatch("a*".repeat(1001) + "b", "a".repeat(1001) + "b"), false);
  assert.equal(globMatch("*".repeat(1002) + "?", "a"), true); // consecutive stars collapse
});

// A matcher that backtracks exponentially would not finish these.
Deno.test("pathological star patterns finish on long subjects", () => {
  const subject = "a".repeat(10_000);
  const failing = [
    "a*a*a*a*a*a*a*b",
    "*a*a*a*a*a*a*a*a*a*a*b",
    "*?*?*?*?*?*?*?*b",
    "a*" + "*a".repeat(500) + "b",
  ];
  for (const pattern of failing) assert.equal(globMatch(pattern, subject), false);
  assert.equal(globMatch("*a*a*a*a*a*a*a*a", subject), true);
});
