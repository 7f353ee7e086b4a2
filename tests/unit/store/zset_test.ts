import assert from "node:assert/strict";
import {
  FLAT_MAX_ENTRIES,
  formatScore,
  type LexRange,
  parseLexRange,
  parseScoreRange,
  type ScoredMember,
  type ScoreRange,
  ZSet,
} from "../../../src/store/zset.ts";
import { prng } from "../../helpers/prng.ts";

// ------------------------------------------------------------------ model

/** The naive sorted set: a map, sorted on demand by (score, member bytes). */
class Model {
  map = new Map<string, number>();

  add(member: string, score: number): boolean {
    const current = this.map.get(member);
    if (current === undefined) {
      this.map.set(member, score);
      return true;
    }
    if (current !== score) this.map.set(member, score);
    return false;
  }

  sorted(): ScoredMember[] {
    return [...this.map].sort((a, b) =>
      a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
    );
  }
}

function inScore(score: number, r: ScoreRange): boolean {
  const aboveMin = r.minExclusive ? score > r.min : score >= r.min;
  const belowMax = r.maxExclusive ? score < r.max : score <= r.max;
  return aboveMin && belowMax;
}

function inLex(member: string, r: LexRange): boolean {
  const aboveMin = r.minInfinity === -1 ||
    (r.minInfinity === 0 && (r.minExclusive ? member > r.min : member >= r.min));
  const belowMax = r.maxInfinity === 1 ||
    (r.maxInfinity === 0 && (r.maxExclusive ? member < r.max : member <= r.max));
  return aboveMin && belowMax;
}

function window(
  matches: ScoredMember[],
  reverse: boolean,
  offset: number,
  limit: number,
): ScoredMember[] {
  if (offset < 0) return [];
  const ordered = reverse ? matches.slice().reverse() : matches;
  return ordered.slice(offset, limit < 0 ? undefined : offset + limit);
}

// ------------------------------------------------------------- property tests

Deno.test("zset matches a naive sorted array under random score operations", () => {
  // Pools of 400 names outgrow the flat form; 100 (+ 8 odd names) never leave it.
  for (const [seed, pool] of [[11, 400], [12, 400], [13, 400], [14, 100], [15, 100]]) {
    assert.ok(pool + 8 <= FLAT_MAX_ENTRIES || pool > FLAT_MAX_ENTRIES);
    const rnd = prng(seed);
    const int = (n: number) => Math.floor(rnd() * n);
    const z = new ZSet();
    const model = new Model();
    const memberNames = ["", "a", "b", "ab", "\xff", "\x80x", "zz", "a\x00b"];
    const member = () => int(5) === 0 ? memberNames[int(memberNames.length)] : "m" + int(pool);
    const score = () => {
      const k = int(20);
      if (k === 0) return [Infinity, -Infinity, -0, 0.5, 1e300][int(5)];
      return int(25) - 12;
    };
    const bound = () => {
      const k = int(10);
      return k === 0 ? -Infinity : k === 1 ? Infinity : int(29) - 14 + (int(4) === 0 ? 0.5 : 0);
    };
    const range = (): ScoreRange => ({
      min: bound(),
      max: bound(),
      minExclusive: int(3) === 0,
      maxExclusive: int(3) === 0,
    });
    for (let step = 0; step < 5000; step++) {
      // Alternate growing and shrinking phases so sizes sweep up and down.
      const growing = Math.floor(step / 1000) % 2 === 0;
      const op = int(100);
      if (op < (growing ? 45 : 20)) {
        const m = member();
        const s = score();
        assert.equal(z.add(m, s), model.add(m, s), `add at step ${step}`);
      } else if (op < 50) {
        const m = member();
        assert.equal(z.remove(m), model.map.delete(m));
      } else if (op < 58) {
        const m = int(3) === 0 ? "absent" : [...model.map.keys()][int(model.map.size)] ?? "x";
        const sorted = model.sorted();
        const i = sorted.findIndex(([name]) => name === m);
        assert.equal(z.rank(m), i < 0 ? undefined : i);
        assert.equal(z.rank(m, true), i < 0 ? undefined : sorted.length - 1 - i);
        assert.equal(z.score(m), model.map.get(m));
      } else if (op < 66) {
        const sorted = model.sorted();
        const n = sorted.length;
        const start = int(n + 3) - 1;
        const stop = int(n + 3) - 1;
        const reverse = int(2) === 0;
        const order = reverse ? sorted.slice().reverse() : sorted;
        const want = start < 0 || start > stop ? [] : order.slice(Math.max(0, start), stop + 1);
        if (start >= 0) assert.deepEqual(z.rangeByRank(start, stop, reverse), want);
        if (start >= 0 && start < n) assert.deepEqual(z.at(start), sorted[start]);
      } else if (op < 78) {
        const r = range();
        const reverse = int(2) === 0;
        const offset = int(4) === 0 ? int(30) - 1 : 0;
        const limit = int(3) === 0 ? int(12) - 1 : -1;
        const matches = model.sorted().filter(([, s]) => inScore(s, r));
        assert.deepEqual(
          z.rangeByScore(r, { reverse, offset, limit }),
          window(matches, reverse, offset, limit),
          `rangeByScore ${JSON.stringify(r)} ${reverse} ${offset} ${limit} at step ${step}`,
        );
        assert.equal(z.countInScoreRange(r), matches.length);
      } else if (op < 82) {
        const r = range();
        const before = model.sorted();
        const removed = before.filter(([, s]) => inScore(s, r));
        for (const [m] of removed) model.map.delete(m);
        assert.equal(z.removeRangeByScore(r), removed.length);
      } else if (op < 86) {
        const n = model.map.size;
        const start = int(n + 2);
        const stop = start + int(6) - 1;
        const sorted = model.sorted();
        const removed = start > stop ? [] : sorted.slice(start, stop + 1);
        for (const [m] of removed) model.map.delete(m);
        assert.equal(z.removeRangeByRank(start, stop), removed.length);
      } else if (op < 93) {
        const count = int(6);
        const sorted = model.sorted();
        const want = sorted.slice(0, count);
        for (const [m] of want) model.map.delete(m);
        assert.deepEqual(z.popMin(count), want);
      } else {
        const count = int(6);
        const want = model.sorted().reverse().slice(0, count);
        for (const [m] of want) model.map.delete(m);
        assert.deepEqual(z.popMax(count), want);
      }
      assert.equal(z.size, model.map.size);
      if (step % 100 === 0) {
        z.verify();
        assert.deepEqual([...z], model.sorted());
        assert.deepEqual([...z.reverseEntries()], model.sorted().reverse());
        const copy = z.clone();
        copy.verify();
        assert.deepEqual([...copy], model.sorted());
      }
    }
    z.verify();
  }
});

Deno.test("zset matches a naive sorted array under random lex operations", () => {
  // Words of up to 3 letters (259) outgrow the flat form; of up to 2 (43) never leave it.
  for (const [seed, maxLength] of [[21, 3], [22, 2]]) {
    lexOperations(seed, maxLength);
  }
});

function lexOperations(seed: number, maxLength: number): void {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const alphabet = ["a", "b", "c", "\x80", "\xff", "\x00"];
  const word = () => {
    let w = "";
    const len = int(maxLength + 1);
    for (let i = 0; i < len; i++) w += alphabet[int(alphabet.length)];
    return w;
  };
  const bound = (): string => {
    const k = int(12);
    if (k === 0) return "-";
    if (k === 1) return "+";
    return (int(2) === 0 ? "[" : "(") + word();
  };
  const z = new ZSet();
  const model = new Model();
  for (let step = 0; step < 4000; step++) {
    const op = int(100);
    if (op < 45) {
      const m = word();
      assert.equal(z.add(m, 0), model.add(m, 0));
    } else if (op < 55) {
      const m = word();
      assert.equal(z.remove(m), model.map.delete(m));
    } else if (op < 90) {
      const r = parseLexRange(bound(), bound())!;
      const reverse = int(2) === 0;
      const offset = int(4) === 0 ? int(10) - 1 : 0;
      const limit = int(3) === 0 ? int(6) - 1 : -1;
      const matches = model.sorted().filter(([m]) => inLex(m, r));
      assert.deepEqual(
        z.rangeByLex(r, { reverse, offset, limit }),
        window(matches, reverse, offset, limit),
      );
      assert.equal(z.countInLexRange(r), matches.length);
    } else {
      const r = parseLexRange(bound(), bound())!;
      const removed = model.sorted().filter(([m]) => inLex(m, r));
      for (const [m] of removed) model.map.delete(m);
      assert.equal(z.removeRangeByLex(r), removed.length);
    }
    if (step % 200 === 0) z.verify();
  }
  z.verify();
}

Deno.test("zset updates a score in place or moves the member", () => {
  const z = ZSet.from([["a", 1], ["b", 2], ["c", 3]]);
  assert.equal(z.add("b", 2.5), false); // stays between a and c
  assert.deepEqual([...z], [["a", 1], ["b", 2.5], ["c", 3]]);
  assert.equal(z.add("a", 10), false); // moves to the end
  assert.deepEqual([...z], [["b", 2.5], ["c", 3], ["a", 10]]);
  assert.equal(z.add("c", 3), false);
  assert.equal(z.rank("a"), 2);
  assert.equal(z.rank("a", true), 0);
  z.verify();
});

Deno.test("zset keeps equal scores in member byte order", () => {
  const z = new ZSet();
  for (const m of ["b", "\xff", "a", "ab", "", "\x80"]) z.add(m, 1);
  assert.deepEqual([...z].map(([m]) => m), ["", "a", "ab", "b", "\x80", "\xff"]);
});

Deno.test("zset treats 0 and -0 as the same score, keeping the first", () => {
  const z = new ZSet();
  z.add("a", -0);
  assert.equal(z.add("a", 0), false);
  assert.ok(Object.is(z.score("a"), -0));
  assert.equal(formatScore(z.score("a")!), "-0");
});

Deno.test("zset reclaims space after most members are removed", () => {
  const z = new ZSet();
  for (let i = 0; i < 20000; i++) z.add("m" + i, i % 97);
  const full = z.byteSize();
  z.removeRangeByRank(0, 18999);
  z.verify();
  assert.equal(z.size, 1000);
  assert.ok(z.byteSize() < full / 2, `${z.byteSize()} vs ${full}`);
  for (let i = 0; i < 5000; i++) z.add("n" + i, i);
  z.verify();
});

Deno.test("zset pops from both ends and handles counts past the size", () => {
  const z = ZSet.from([["a", 1], ["b", 2], ["c", 3]]);
  assert.deepEqual(z.popMax(2), [["c", 3], ["b", 2]]);
  assert.deepEqual(z.popMin(0), []);
  assert.deepEqual(z.popMin(10), [["a", 1]]);
  assert.equal(z.size, 0);
  assert.deepEqual(z.popMax(1), []);
  z.verify();
});

Deno.test("zset rangeByScore skips far offsets through ranks", () => {
  const z = new ZSet();
  for (let i = 0; i < 1000; i++) z.add("m" + String(i).padStart(4, "0"), i);
  const r = parseScoreRange("(100", "900")!;
  assert.deepEqual(z.rangeByScore(r, { offset: 500, limit: 2 }), [["m0601", 601], ["m0602", 602]]);
  assert.deepEqual(z.rangeByScore(r, { reverse: true, offset: 500, limit: 2 }), [
    ["m0400", 400],
    ["m0399", 399],
  ]);
  assert.deepEqual(z.rangeByScore(r, { offset: 799, limit: 5 }), [["m0900", 900]]);
  assert.deepEqual(z.rangeByScore(r, { offset: 800 }), []);
  assert.deepEqual(z.rangeByScore(r, { offset: -1 }), []);
  assert.deepEqual(z.rangeByScore(r, { limit: 0 }), []);
  assert.equal(z.countInScoreRange(r), 800);
});

// ------------------------------------------------------------------ parsers

Deno.test("parseScoreRange accepts what Redis's strtod-based parser accepts", () => {
  const one = (arg: string) => {
    const r = parseScoreRange(arg, "0");
    return r === undefined ? undefined : [r.min, r.minExclusive];
  };
  assert.deepEqual(one("1.5"), [1.5, false]);
  assert.deepEqual(one("(1.5"), [1.5, true]);
  assert.deepEqual(one("("), [0, true]); // strtod of "" converts nothing, ending at the NUL
  assert.deepEqual(one(""), [0, false]);
  assert.deepEqual(one(" 1"), [1, false]); // leading whitespace is skipped
  assert.deepEqual(one("\t\n-2"), [-2, false]);
  assert.deepEqual(one("inf"), [Infinity, false]);
  assert.deepEqual(one("+inf"), [Infinity, false]);
  assert.deepEqual(one("-inf"), [-Infinity, false]);
  assert.deepEqual(one("(-inf"), [-Infinity, true]);
  assert.deepEqual(one("INFINITY"), [Infinity, false]);
  assert.deepEqual(one("-Infinity"), [-Infinity, false]);
  assert.deepEqual(one("0x10"), [16, false]);
  assert.deepEqual(one("0x1p1"), [2, false]);
  assert.deepEqual(one("-0x1.8p1"), [-3, false]);
  assert.deepEqual(one("1e400"), [Infinity, false]); // overflow is not an error here
  assert.deepEqual(one("1e-400"), [0, false]);
  assert.deepEqual(one(".5"), [0.5, false]);
  assert.deepEqual(one("5."), [5, false]);
  assert.deepEqual(one("-.5e1"), [-5, false]);
  assert.deepEqual(one("1\x00zz"), [1, false]); // the C string ends at the NUL
  for (const bad of ["1 ", " ", "nan", "(nan", "-nan", "abc", "1e", "0x", "1.5.", "((1", "1,5"]) {
    assert.equal(parseScoreRange(bad, "1"), undefined, JSON.stringify(bad));
    assert.equal(parseScoreRange("1", bad), undefined, JSON.stringify(bad));
  }
  assert.deepEqual(parseScoreRange("(1", "(2"), {
    min: 1,
    max: 2,
    minExclusive: true,
    maxExclusive: true,
  });
});

Deno.test("parseLexRange reads -, +, [x and (x and rejects the rest", () => {
  assert.deepEqual(parseLexRange("-", "+"), {
    min: "",
    max: "",
    minExclusive: true,
    maxExclusive: true,
    minInfinity: -1,
    maxInfinity: 1,
  });
  assert.deepEqual(parseLexRange("[a", "(b"), {
    min: "a",
    max: "b",
    minExclusive: false,
    maxExclusive: true,
    minInfinity: 0,
    maxInfinity: 0,
  });
  const empty = parseLexRange("[", "(")!;
  assert.equal(empty.min, "");
  assert.equal(empty.minExclusive, false);
  assert.equal(empty.minInfinity, 0);
  assert.equal(parseLexRange("-\x00junk", "+")?.minInfinity, -1); // C checks only c[1]
  for (const bad of ["a", "", "+a", "-a", "++", " [a"]) {
    assert.equal(parseLexRange(bad, "+"), undefined, JSON.stringify(bad));
    assert.equal(parseLexRange("-", bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("lex counts match redis-server on infinities and equal bounds", () => {
  const z = ZSet.from(["a", "b", "c", "d", "e"].map((m) => [m, 0] as [string, number]));
  // Expected values taken from redis-server 7.0.15 (ZLEXCOUNT).
  const cases: Array<[string, string, number]> = [
    ["-", "+", 5],
    ["+", "-", 0],
    ["-", "-", 0],
    ["+", "+", 0],
    ["[b", "(d", 2],
    ["(b", "[d", 2],
    ["[b", "[b", 1],
    ["(b", "[b", 0],
    ["[c", "[b", 0],
    ["-", "[c", 3],
    ["(c", "+", 2],
    ["[", "+", 5],
    ["[a", "[a", 1],
  ];
  for (const [min, max, want] of cases) {
    assert.equal(z.countInLexRange(parseLexRange(min, max)!), want, `${min} ${max}`);
  }
});

Deno.test("formatScore prints scores byte for byte like Redis 7.0", () => {
  // Expected values taken from redis-server 7.0.15 (ZSCORE on a skiplist zset).
  const cases: Array<[number, string]> = [
    [0.1, "0.10000000000000001"],
    [1e20, "1e+20"],
    [3, "3"],
    [1.5e-7, "1.4999999999999999e-07"],
    [1.00000762939453125, "1.0000076293945312"],
    [-0, "-0"],
    [0, "0"],
    [1e17, "1e+17"],
    [123456789012345678, "1.2345678901234568e+17"],
    [1e-5, "1.0000000000000001e-05"],
    [0.0001, "0.0001"],
    [1e16, "10000000000000000"],
    [5e-324, "4.9406564584124654e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [2.5, "2.5"],
    [-2.5, "-2.5"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
  ];
  for (const [score, want] of cases) assert.equal(formatScore(score), want, String(score));
});

function sortedEntries(z: ZSet): [string, number][] {
  const out: [string, number][] = [];
  z.forEach((m, s) => out.push([m, s]));
  return out;
}

Deno.test("fromEntries builds the same set as adds, from ascending, descending or shuffled input", () => {
  for (const n of [0, 1, 2, 10, 127, 128, 129, 5000]) {
    const members: string[] = [];
    const scores: number[] = [];
    for (let i = 0; i < n; i++) {
      members.push(`m${i % 7}:${i}`);
      scores.push(Math.floor(i / 3) * 1.5); // ties broken by member
    }
    const expected = ZSet.from(members.map((m, i) => [m, scores[i]] as const));
    const want = sortedEntries(expected);
    const asc = want.map(([m]) => m);
    const ascScores = want.map(([, s]) => s);
    const inputs: [string[], number[]][] = [
      [asc.slice(), ascScores.slice()],
      [asc.slice().reverse(), ascScores.slice().reverse()],
      [members.slice(), scores.slice()],
    ];
    for (const [m, s] of inputs) {
      const z = ZSet.fromEntries(m, s);
      z.verify();
      assert.deepEqual(sortedEntries(z), want);
      assert.equal(z.size, n);
      assert.equal(z.memberBytes, expected.memberBytes);
      assert.equal(z.maxMemberLength, expected.maxMemberLength);
      assert.equal(z.encoding, "listpack");
      // Still a fully working set afterwards.
      z.add("zzz", -1);
      if (n > 0) z.remove(asc[0]);
      z.verify();
      assert.equal(z.rank("zzz"), 0);
      assert.equal(z.size, Math.max(1, n));
    }
  }
});

Deno.test("fromEntries accepts scores from a typed array view", () => {
  const scores = new Float64Array([9, 3, 2, 1, 0]).subarray(1);
  const z = ZSet.fromEntries(["d", "c", "b", "a"], scores);
  z.verify();
  assert.deepEqual(sortedEntries(z), [["a", 0], ["b", 1], ["c", 2], ["d", 3]]);
});

Deno.test("a set from fromEntries answers iteration and sizes before its nodes exist, then every operation", () => {
  const members = Array.from({ length: 300 }, (_, i) => `m${i}`);
  const scores = members.map((_, i) => (i * 7919) % 101);
  const expected = ZSet.from(members.map((m, i) => [m, scores[i]] as const));
  const lazy = ZSet.fromEntries(members.slice(), scores.slice());
  // Served from the pending entries.
  assert.equal(lazy.size, expected.size);
  assert.equal(lazy.memberBytes, expected.memberBytes);
  assert.equal(lazy.maxMemberLength, expected.maxMemberLength);
  assert.deepEqual(Array.from(lazy.entries()), Array.from(expected.entries()));
  assert.deepEqual(Array.from(lazy.reverseEntries()), Array.from(expected.reverseEntries()));
  const visited: [string, number][] = [];
  lazy.forEach((m, s) => visited.push([m, s]));
  assert.deepEqual(visited, Array.from(expected.entries()));
  assert.ok(lazy.byteSize() > 0);
  // Each kind of operation first builds the set, and then agrees with one built by adds.
  const ops: [string, (z: ZSet) => unknown][] = [
    ["score", (z) => z.score("m17")],
    ["has", (z) => z.has("nope")],
    ["rank", (z) => z.rank("m42", true)],
    ["at", (z) => z.at(5)],
    ["rangeByRank", (z) => z.rangeByRank(3, 40, true)],
    ["rangeByScore", (z) => z.rangeByScore(parseScoreRange("10", "(20")!)],
    ["countInScoreRange", (z) => z.countInScoreRange(parseScoreRange("-inf", "50")!)],
    ["add", (z) => [z.add("new", 3), z.add("m1", 1000)]],
    ["remove", (z) => z.remove("m2")],
    ["removeRangeByScore", (z) => z.removeRangeByScore(parseScoreRange("0", "3")!)],
    ["removeRangeByRank", (z) => z.removeRangeByRank(0, 4)],
    ["popMin", (z) => z.popMin(3)],
    ["popMax", (z) => z.popMax(2)],
    ["dict", (z) => z.dict.get("m9")],
    ["clone", (z) => Array.from(z.clone().entries())],
  ];
  // Lex ranges are defined when all scores are equal (as in Redis).
  const lexOps: [string, (z: ZSet) => unknown][] = [
    ["rangeByLex", (z) => z.rangeByLex(parseLexRange("[m1", "(m2")!)],
    ["countInLexRange", (z) => z.countInLexRange(parseLexRange("-", "+")!)],
    ["removeRangeByLex", (z) => z.removeRangeByLex(parseLexRange("[m5", "[m6")!)],
  ];
  const cases = [
    ...ops.map(([name, op]) => [name, op, scores] as const),
    ...lexOps.map(([name, op]) => [name, op, scores.map(() => 1)] as const),
  ];
  for (const [name, op, scoresOf] of cases) {
    const a = ZSet.fromEntries(members.slice(), scoresOf.slice());
    const b = ZSet.from(members.map((m, i) => [m, scoresOf[i]] as const));
    assert.deepEqual(op(a), op(b), name);
    a.verify();
    assert.deepEqual(Array.from(a.entries()), Array.from(b.entries()), name);
    assert.equal(a.size, b.size, name);
  }
});

Deno.test("a flat set past FLAT_MAX_ENTRIES gets its nodes and agrees with one built by adds", () => {
  const z = new ZSet();
  for (let i = 0; i < FLAT_MAX_ENTRIES; i++) z.add("m" + i, i % 7);
  const flatBytes = z.byteSize();
  z.verify();
  const copy = z.clone();
  assert.ok(z.add("extra", 3));
  z.verify();
  // The nodes, buffer and map cost more than the two arrays did.
  assert.ok(z.byteSize() > flatBytes, `${z.byteSize()} vs ${flatBytes}`);
  assert.equal(z.size, FLAT_MAX_ENTRIES + 1);
  assert.equal(
    z.rank("extra"),
    copy.countInScoreRange(parseScoreRange("-inf", "(3")!) +
      copy.rangeByScore(parseScoreRange("3", "3")!).filter(([m]) => m < "extra").length,
  );
  // The clone taken while flat was not changed by the add.
  assert.equal(copy.size, FLAT_MAX_ENTRIES);
  assert.equal(copy.score("extra"), undefined);
  copy.verify();
});
