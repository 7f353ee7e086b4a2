import assert from "node:assert/strict";
import {
  Hash,
  HASH_FLAT_MAX_CHARS,
  HASH_FLAT_MAX_FIELDS,
  HASH_FLAT_MAX_LENGTH,
  setHashFlatLimits,
} from "../../../src/store/hash.ts";
import { prng } from "../../helpers/prng.ts";

// The constants' limits, whatever a server started in this process configured.
setHashFlatLimits(HASH_FLAT_MAX_FIELDS, HASH_FLAT_MAX_LENGTH);

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

Deno.test("a flat hash holds any byte, empty fields and values, and a value that names a field", () => {
  const entries: [string, string][] = [
    ["", "empty field"],
    ["e", ""],
    ["\x00\xff", "\x01\x00"],
    ["v", "e"], // a value equal to another field's name
    ["long", "x".repeat(HASH_FLAT_MAX_LENGTH)],
  ];
  const hash = Hash.from(entries);
  assert.ok(hash.isFlat);
  assert.deepEqual([...hash], entries);
  assert.equal(hash.get(""), "empty field");
  assert.equal(hash.get("e"), "");
  assert.equal(hash.get("\x00\xff"), "\x01\x00");
  assert.equal(hash.get("x"), undefined);
  assert.equal(hash.has("empty field"), false);
  // Deleting the first, a middle and the last field keeps the others in order.
  for (const field of ["", "v", "long"]) assert.ok(hash.delete(field));
  assert.deepEqual([...hash], [entries[1], entries[2]]);
  assert.deepEqual([...hash.values()], ["", "\x01\x00"]);
});

Deno.test("a flat hash becomes a Map at each of its limits, keeping its fields and order", () => {
  const base: [string, string][] = [["a", "1"], ["b", "2"], ["c", "3"]];
  const tooLong = "y".repeat(HASH_FLAT_MAX_LENGTH + 1);
  const cases: [string, (hash: Hash) => [string, string][]][] = [
    ["a value too long", (h) => (h.set("d", tooLong), [...base, ["d", tooLong]])],
    ["a field too long", (h) => (h.set(tooLong, "4"), [...base, [tooLong, "4"]])],
    [
      "an update to a value too long",
      (h) => (h.set("b", tooLong), [base[0], ["b", tooLong], base[2]]),
    ],
  ];
  for (const [what, change] of cases) {
    const hash = Hash.from(base);
    assert.ok(hash.isFlat, what);
    const expected = change(hash);
    assert.ok(!hash.isFlat, what);
    assert.deepEqual([...hash], expected, what);
  }
  // Fields that fit one by one but not together.
  const hash = new Hash();
  const value = "z".repeat(HASH_FLAT_MAX_LENGTH);
  let fields = 0;
  while (hash.isFlat) hash.set("f" + fields++, value);
  assert.equal(fields, Math.floor(HASH_FLAT_MAX_CHARS / (value.length + 4)) + 1);
  assert.equal(hash.size, fields);
  assert.equal(hash.get("f0"), value);
  assert.equal([...hash.keys()].at(-1), "f" + (fields - 1));
});

Deno.test("the configuration's listpack limits lower the flat limits, down to no flat hashes", () => {
  try {
    setHashFlatLimits(4, 8);
    const hash = Hash.from([["a", "1"], ["b", "2"], ["c", "3"], ["d", "4"]]);
    assert.ok(hash.isFlat);
    hash.set("e", "5");
    assert.ok(!hash.isFlat, "a fifth field");
    const long = Hash.from([["a", "12345678"]]);
    assert.ok(long.isFlat);
    long.set("a", "123456789");
    assert.ok(!long.isFlat, "a value over 8 bytes");
    assert.equal(long.get("a"), "123456789");
    setHashFlatLimits(0, 64);
    const none = Hash.from([["a", "1"]]);
    assert.ok(!none.isFlat, "hash-max-listpack-entries 0");
    // Above the flat form's own limits the constants win.
    setHashFlatLimits(512, 1000);
    const big = new Hash();
    for (let i = 0; i <= HASH_FLAT_MAX_FIELDS; i++) big.set("f" + i, "v");
    assert.ok(!big.isFlat);
  } finally {
    setHashFlatLimits(HASH_FLAT_MAX_FIELDS, HASH_FLAT_MAX_LENGTH);
  }
});
