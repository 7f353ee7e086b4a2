import assert from "node:assert/strict";
import { Hash, HASH_FLAT_MAX_FIELDS } from "../../../src/store/hash.ts";
import { prng } from "../../helpers/prng.ts";

Deno.test("hash matches a Map under random operations, flat and past the flat limit", () => {
  // 40 names never leave the flat form; 200 outgrow it.
  for (const [seed, pool] of [[1, 40], [2, 200], [3, 200]]) {
    const rnd = prng(seed);
    const int = (n: number) => Math.floor(rnd() * n);
    const hash = new Hash();
    const model = new Map<string, string>();
    // A value may equal a field name: lookups must match fields only.
    const name = () => "f" + int(pool);
    for (let step = 0; step < 4000; step++) {
      const op = int(10);
      const field = name();
      if (op < 5) {
        const value = int(4) === 0 ? name() : "v" + step;
        hash.set(field, value);
        model.set(field, value);
      } else if (op < 7) {
        assert.equal(hash.delete(field), model.delete(field));
      } else {
        assert.equal(hash.get(field), model.get(field));
        assert.equal(hash.has(field), model.has(field));
      }
      assert.equal(hash.size, model.size);
      if (step % 97 === 0) {
        assert.deepEqual([...hash], [...model]);
        assert.deepEqual([...hash.keys()], [...model.keys()]);
        assert.deepEqual([...hash.values()], [...model.values()]);
        const visited: [string, string][] = [];
        hash.forEach((value, f) => visited.push([f, value]));
        assert.deepEqual(visited, [...model]);
      }
    }
    assert.equal(hash.isFlat, pool <= HASH_FLAT_MAX_FIELDS);
  }
});

Deno.test("a flat hash becomes a Map past HASH_FLAT_MAX_FIELDS and keeps its order", () => {
  const hash = new Hash();
  for (let i = 0; i < HASH_FLAT_MAX_FIELDS; i++) hash.set("f" + i, "v" + i);
  assert.ok(hash.isFlat);
  hash.set("f0", "again"); // an update does not grow it
  assert.ok(hash.isFlat);
  hash.set("last", "x");
  assert.ok(!hash.isFlat);
  const keys = [...hash.keys()];
  assert.equal(keys.length, HASH_FLAT_MAX_FIELDS + 1);
  assert.equal(keys[0], "f0");
  assert.equal(keys.at(-1), "last");
  assert.equal(hash.get("f0"), "again");
});

Deno.test("a flat hash may be changed while iterated, as a Map may", () => {
  const hash = Hash.from([["a", "1"], ["b", "2"], ["c", "3"]]);
  const seen: string[] = [];
  for (const field of hash.keys()) {
    seen.push(field);
    hash.delete(field);
  }
  assert.deepEqual(seen, ["a", "b", "c"]);
  assert.equal(hash.size, 0);
});
