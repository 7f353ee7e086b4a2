import assert from "node:assert/strict";
import {
  SET_FLAT_MAX_CHARS,
  SET_FLAT_MAX_LENGTH,
  SET_FLAT_MAX_MEMBERS,
  StringSet,
} from "../../../src/store/set.ts";
import { prng } from "../../helpers/prng.ts";

Deno.test("a set matches a Set under random operations, flat and past the flat limit", () => {
  // 2 × 30 names never leave the flat form; 2 × 200 outgrow it.
  for (const [seed, pool] of [[1, 30], [4, 30], [2, 200], [3, 200]]) {
    const rnd = prng(seed);
    const int = (n: number) => Math.floor(rnd() * n);
    const set = new StringSet();
    const model = new Set<string>();
    // Members of 2 to 14 chars: below and above the length where V8 slices into a parent string.
    const name = () => (int(3) === 0 ? "member-long-" : "m") + int(pool);
    for (let step = 0; step < 4000; step++) {
      const op = int(10);
      const member = name();
      if (op < 5) {
        set.add(member);
        model.add(member);
      } else if (op < 7) {
        assert.equal(set.delete(member), model.delete(member));
      } else {
        assert.equal(set.has(member), model.has(member));
      }
      assert.equal(set.size, model.size);
      if (step % 97 === 0) {
        assert.deepEqual([...set], [...model]);
        assert.deepEqual([...set.keys()], [...model.keys()]);
        const visited: string[] = [];
        set.forEach((m) => visited.push(m));
        assert.deepEqual(visited, [...model]);
      }
    }
    assert.equal(set.isFlat, 2 * pool <= SET_FLAT_MAX_MEMBERS, `pool ${pool}`);
  }
});

Deno.test("a flat set holds any byte and the empty member", () => {
  const members = ["", "\x00", "\xff\x00\x01", "a".repeat(SET_FLAT_MAX_LENGTH), "ab"];
  const set = StringSet.from([...members, "", "ab"]);
  assert.ok(set.isFlat);
  assert.deepEqual([...set], members);
  for (const m of members) assert.ok(set.has(m));
  assert.ok(!set.has("a"));
  assert.ok(!set.has("b"));
  // Deleting the first, a middle and the last member keeps the others in order.
  for (const m of ["", "\xff\x00\x01", "ab"]) assert.ok(set.delete(m));
  assert.ok(!set.delete("ab"));
  assert.deepEqual([...set], [members[1], members[3]]);
});

Deno.test("a flat set becomes a Set at each of its limits, keeping its members and order", () => {
  const tooLong = "y".repeat(SET_FLAT_MAX_LENGTH + 1);
  const small = StringSet.from(["a", "b"]);
  small.add(tooLong);
  assert.ok(!small.isFlat);
  assert.deepEqual([...small], ["a", "b", tooLong]);
  const many = new StringSet();
  for (let i = 0; i < SET_FLAT_MAX_MEMBERS; i++) many.add("m" + i);
  assert.ok(many.isFlat);
  many.add("m0"); // a member already there does not grow it
  assert.ok(many.isFlat);
  many.add("last");
  assert.ok(!many.isFlat);
  assert.equal(many.size, SET_FLAT_MAX_MEMBERS + 1);
  assert.equal([...many].at(-1), "last");
  // Members that fit one by one but not together.
  const big = new StringSet();
  let count = 0;
  while (big.isFlat) big.add(String(count++).padStart(SET_FLAT_MAX_LENGTH, "0"));
  assert.equal(count, Math.floor(SET_FLAT_MAX_CHARS / (SET_FLAT_MAX_LENGTH + 1)) + 1);
  assert.equal(big.size, count);
});

Deno.test("a flat set may be changed while iterated, as a Set may", () => {
  const set = StringSet.from(["a", "b", "c"]);
  const seen: string[] = [];
  for (const m of set) {
    seen.push(m);
    set.delete(m);
  }
  assert.deepEqual(seen, ["a", "b", "c"]);
  assert.equal(set.size, 0);
});
