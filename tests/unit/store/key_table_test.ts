import assert from "node:assert/strict";
import { hashKey, hashKeyBytes, KeyTable } from "../../../src/store/key_table.ts";
import { stringToBytes } from "../../../src/util/bytes.ts";
import { prng } from "../../helpers/prng.ts";

/** A fresh string with `text`'s contents (not the literal itself, as keys from a socket are). */
function fresh(text: string): string {
  return String.fromCharCode(...Array.from(text, (c) => c.charCodeAt(0)));
}

Deno.test("key table agrees with a Map over random sets, deletes and lookups", () => {
  const rand = prng(7);
  const table = new KeyTable<number>();
  const model = new Map<string, number>();
  for (let op = 0; op < 200_000; op++) {
    const key = fresh(`k${Math.floor(rand() * 5000)}`);
    const r = rand();
    if (r < 0.5) {
      table.set(key, op);
      model.set(key, op);
    } else if (r < 0.8) {
      assert.equal(table.delete(key), model.delete(key));
    } else {
      assert.equal(table.get(key), model.get(key));
      assert.equal(table.has(key), model.has(key));
    }
    assert.equal(table.size, model.size);
  }
  // Insertion order, as a Map keeps it (an overwrite keeps the key's place).
  assert.deepEqual([...table], [...model]);
  assert.deepEqual([...table.keys()], [...model.keys()]);
  assert.deepEqual([...table.values()], [...model.values()]);
});

Deno.test("key table holds binary, empty and long keys", () => {
  const table = new KeyTable<string>();
  const keys = ["", "\x00", "\x00\x00", "\xff\xfe", "a".repeat(100_000), "a".repeat(99_999) + "b"];
  for (const key of keys) table.set(key, `v:${key.length}`);
  assert.equal(table.size, keys.length);
  for (const key of keys) assert.equal(table.get(fresh(key)), `v:${key.length}`);
  assert.equal(table.get("\x01"), undefined);
});

Deno.test("key table iterators visit appended keys and skip deleted ones, across rebuilds", () => {
  const table = new KeyTable<number>();
  for (let i = 0; i < 1000; i++) table.set(`k${i}`, i);
  const it = table.keys();
  const seen: string[] = [];
  for (let i = 0; i < 100; i++) seen.push(it.next().value!);
  // Delete most of what is left (the table shrinks: a rebuild) and append more (it grows: another).
  for (let i = 100; i < 1000; i++) if (i % 10 !== 0) table.delete(`k${i}`);
  for (let i = 1000; i < 3000; i++) table.set(`k${i}`, i);
  for (let step = it.next(); !step.done; step = it.next()) seen.push(step.value);
  const expected = [
    ...Array.from({ length: 100 }, (_, i) => `k${i}`),
    ...Array.from({ length: 90 }, (_, i) => `k${100 + 10 * i}`),
    ...Array.from({ length: 2000 }, (_, i) => `k${1000 + i}`),
  ];
  assert.deepEqual(seen, expected);
  // Done stays done, as with a Map iterator.
  table.set("late", 1);
  assert.equal(it.next().done, true);
});

Deno.test("key table iterator survives deleting every entry it visits", () => {
  const table = new KeyTable<number>();
  for (let i = 0; i < 5000; i++) table.set(`k${i}`, i);
  let visited = 0;
  for (const key of table.keys()) {
    table.delete(key);
    visited++;
  }
  assert.equal(visited, 5000);
  assert.equal(table.size, 0);
});

Deno.test("key table random keys are live keys, each one picked", () => {
  const table = new KeyTable<number>();
  assert.equal(table.randomKey(), undefined);
  for (let i = 0; i < 64; i++) table.set(`k${i}`, i);
  for (let i = 0; i < 64; i += 2) table.delete(`k${i}`);
  const picked = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const key = table.randomKey()!;
    assert.ok(table.has(key), key);
    picked.add(key);
  }
  assert.equal(picked.size, 32);
});

Deno.test("key table clear empties it and ends its iterators", () => {
  const table = new KeyTable<number>(100);
  for (let i = 0; i < 100; i++) table.set(`k${i}`, i);
  const it = table.keys();
  it.next();
  table.clear();
  assert.equal(table.size, 0);
  assert.equal(table.get("k1"), undefined);
  assert.equal(it.next().done, true);
  table.set("again", 1);
  assert.deepEqual([...table], [["again", 1]]);
});

Deno.test("key table lets go of iterators dropped unfinished once they are collected", async () => {
  const fixture = new URL("../../fixtures/key_table_dropped_iterators.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", fixture.pathname],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
  const { open } = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.ok(open < 100, `${open} of 20000 dropped iterators still held`);
});

Deno.test("key table grows incrementally: every key is found while entries move to the new index", () => {
  const rand = prng(11);
  const table = new KeyTable<number>();
  const model = new Map<string, number>();
  let sawRehash = 0;
  // Keys over many chunks and several growths; a pause in the writes (the cron's rehash) now and then.
  for (let op = 0; op < 300_000; op++) {
    const key = fresh(`k${Math.floor(rand() * 60_000)}`);
    const r = rand();
    if (r < 0.6) {
      table.set(key, op);
      model.set(key, op);
    } else if (r < 0.7) {
      assert.equal(table.delete(key), model.delete(key));
    } else if (r < 0.9999) {
      assert.equal(table.get(key), model.get(key));
    } else {
      table.rehash(Math.floor(rand() * 2000));
    }
    if (table.rehashing) sawRehash++;
  }
  assert.ok(sawRehash > 1000, `rehashing seen in ${sawRehash} ops`);
  for (const [key, value] of model) assert.equal(table.get(fresh(key)), value);
  assert.deepEqual([...table], [...model]);
});

Deno.test("key table rehash ends a growth without writes, and a rebuild overtakes one", () => {
  const table = new KeyTable<number>();
  let i = 0;
  // A growth big enough to outlast a few writes.
  while (i < 10_000 || !table.rehashing) table.set(`k${i}`, i++);
  const grownAt = i;
  // Found in the old index, then moved; a deleted entry is not moved and stays gone.
  assert.equal(table.get("k0"), 0);
  assert.equal(table.delete("k1"), true);
  let steps = 0;
  while (table.rehash(100)) steps++;
  assert.ok(steps > 0 && !table.rehashing);
  assert.equal(table.get("k0"), 0);
  assert.equal(table.has("k1"), false);
  for (let k = 2; k < grownAt; k++) assert.equal(table.get(`k${k}`), k);
  // Grow again, then delete nearly everything mid-growth: the shrinking rebuild takes over.
  while (!table.rehashing) table.set(`k${i}`, i++);
  for (let k = 0; k < i - 10; k++) table.delete(`k${k}`);
  assert.equal(table.rehashing, false);
  assert.equal(table.size, 10);
  for (let k = i - 10; k < i; k++) assert.equal(table.get(`k${k}`), k);
});

Deno.test("key table spans several chunks, and a drained table closes its holes across them", () => {
  const table = new KeyTable<number>();
  const n = 200_000; // three chunks and a bit
  for (let i = 0; i < n; i++) table.set(`k${i}`, i);
  const it = table.keys();
  for (let i = 0; i < 70_000; i++) it.next();
  // Drain to one key in 50 (the table shrinks: a rebuild moves entries across chunks).
  for (let i = 0; i < n; i++) if (i % 50 !== 0) table.delete(`k${i}`);
  assert.equal(table.size, n / 50);
  for (let i = 0; i < n; i += 50) assert.equal(table.get(fresh(`k${i}`)), i);
  const rest = [...it];
  assert.deepEqual(
    rest,
    Array.from({ length: (n - 70_000) / 50 }, (_, j) => `k${70_000 + 50 * j}`),
  );
  for (let i = n; i < n + 100_000; i++) table.set(`k${i}`, i);
  assert.equal(table.size, n / 50 + 100_000);
  assert.equal(table.get("k1"), undefined);
  assert.equal(table.get("k299999"), 299_999);
  assert.deepEqual([...table.values()].slice(0, 3), [0, 50, 100]);
});

Deno.test("key table iterators keep a Map's order and their place through rehashes that close holes", () => {
  const rand = prng(23);
  const table = new KeyTable<number>();
  const model = new Map<string, number>();
  let rehashes = 0;
  for (let round = 0; round < 20; round++) {
    const it = table.keys();
    const mapIt = model.keys();
    // Churn on a bounded key space: the size holds, the holes pile up, and rehashes close them.
    for (let op = 0; op < 20_000; op++) {
      const key = fresh(`k${Math.floor(rand() * 8000)}`);
      const r = rand();
      if (r < 0.45) {
        table.set(key, op);
        model.set(key, op);
      } else if (r < 0.9) {
        assert.equal(table.delete(key), model.delete(key));
      } else if (r < 0.95) {
        assert.deepEqual(it.next(), mapIt.next());
      } else {
        assert.equal(table.get(key), model.get(key));
      }
      if (table.rehashing) rehashes++;
    }
    // "Below the iterator's position" is "already visited", as a snapshot reads it.
    const rest = [...mapIt];
    const ahead = new Set(rest);
    for (const key of model.keys()) {
      assert.equal(table.entryNumber(key) < it.position, !ahead.has(key), key);
    }
    assert.deepEqual([...it], rest);
  }
  assert.ok(rehashes > 1000, `rehashing seen in ${rehashes} ops`);
  assert.deepEqual([...table], [...model]);
});

Deno.test("key table iterator at the end sees keys appended after a rehash renumbered the entries", () => {
  const table = new KeyTable<number>();
  const model = new Map<string, number>();
  const both = (key: string, value: number) => (table.set(key, value), model.set(key, value));
  let i = 0;
  for (; i < 1000; i++) both(`k${i}`, i);
  // Churn from the front until a rehash starts: it has holes to close.
  for (let d = 0; !table.rehashing; d++, i++) {
    table.delete(`k${d}`);
    model.delete(`k${d}`);
    both(`k${i}`, i);
  }
  const it = table.keys();
  const mapIt = model.keys();
  for (let n = 0; n < model.size; n++) assert.deepEqual(it.next(), mapIt.next());
  while (table.rehash(100));
  both("after", 1);
  assert.deepEqual(it.next(), mapIt.next());
  assert.deepEqual(it.next(), mapIt.next());
});

Deno.test("hashKeyBytes of a byte string's bytes equals hashKey of the string", () => {
  const samples = ["", "a", "key:000000000042", "\u0000\u00ff\u0080bin", "x".repeat(300)];
  for (const s of samples) {
    assert.equal(hashKeyBytes(stringToBytes(s), 0, s.length), hashKey(s), JSON.stringify(s));
  }
  // A key inside a larger buffer, as a request holds it.
  const buf = stringToBytes("*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n");
  assert.equal(hashKeyBytes(buf, 17, 22), hashKey("hello"));
});

Deno.test("key table prefetch reads present, absent and deleted keys' slots, rehashing or not", () => {
  const table = new KeyTable<number>();
  const hashes = new Int32Array(64);
  assert.equal(table.prefetch(hashes, 0), 0);
  for (let i = 0; i < 5000; i++) {
    table.set(`k${i}`, i);
    if (i % 3 === 0) table.delete(`k${i - 1}`);
    if (i % 97 === 0) {
      for (let j = 0; j < 64; j++) hashes[j] = hashKey(`k${(i * 7 + j) % (i + 10)}`);
      assert.ok(table.prefetch(hashes, 64) >= 0);
    }
  }
  // It reads the key in each hash's first bucket, which may be another key's
  // (a collision) or empty: at most the lengths of what is there.
  for (let j = 0; j < 4; j++) hashes[j] = hashKey(`k${1000 + j * 3}`);
  const seen = table.prefetch(hashes, 4);
  assert.ok(seen >= 0 && seen <= 4 * 5, String(seen));
  // A key alone in its table is in its first bucket.
  const single = new KeyTable<number>();
  single.set("only-key", 1);
  hashes[0] = hashKey("only-key");
  assert.equal(single.prefetch(hashes, 1), "only-key".length);
  // Lookups are unchanged by it.
  assert.equal(table.get("k1000"), 1000);
});
