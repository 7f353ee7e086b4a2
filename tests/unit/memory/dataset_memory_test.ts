/**
 * The maxmemory accounting never drifts: after any mix of writes (SET,
 * in-place changes of hashes, sets and lists, TTLs set and removed, deletes,
 * expiries, evictions, FLUSHDB, SWAPDB) the running total equals a count of
 * the whole keyspace from scratch.
 */
import { Hash } from "../../../src/store/hash.ts";
import assert from "node:assert/strict";
import { Keyspace } from "../../../src/store/keyspace.ts";
import { List } from "../../../src/store/list.ts";
import { DatasetMemory } from "../../../src/memory/dataset_memory.ts";
import { keyBytes } from "../../../src/memory/size.ts";
import { prng } from "../../helpers/prng.ts";
import { StringSet } from "../../../src/store/set.ts";

/** What the keyspace costs, counted key by key. */
function recount(keyspace: Keyspace): number {
  let sum = 0;
  for (const db of keyspace.dbs) {
    for (const [key, value] of db.dict) sum += keyBytes(key, value, db.expires.has(key));
  }
  return sum;
}

Deno.test("the dataset total follows every kind of write and equals a fresh count", () => {
  const keyspace = new Keyspace(3);
  const meter = new DatasetMemory(keyspace);
  keyspace.hooks.add(meter);
  keyspace.unpackListener = meter;
  const random = prng(7);
  const pick = (n: number) => Math.floor(random() * n);
  assert.equal(meter.total(), 0);
  for (let step = 0; step < 5000; step++) {
    keyspace.tick(1_000_000 + step);
    const db = keyspace.dbs[pick(3)];
    const key = `k${pick(40)}`;
    const op = pick(11);
    if (op === 0) db.set(key, "x".repeat(pick(100)));
    else if (op === 1) db.delete(key);
    else if (op === 2 && db.exists(key)) db.setExpire(key, 1_000_000 + step + pick(50));
    else if (op === 3) db.persist(key);
    else if (op === 4) {
      const hash = db.lookupWrite(key);
      if (hash instanceof Hash) {
        hash.set(`f${pick(20)}`, "v".repeat(pick(30)));
        db.modified(key);
      } else if (hash === undefined) db.add(key, Hash.from([["f", "v"]]));
    } else if (op === 5) {
      const set = db.lookupWrite(key);
      if (set instanceof StringSet) {
        if (random() < 0.5) set.add(`m${pick(30)}`);
        else set.delete(`m${pick(30)}`);
        if (!db.deleteIfEmpty(key, set)) db.modified(key);
      } else if (set === undefined) db.add(key, StringSet.from(["m"]));
    } else if (op === 6) {
      const list = db.lookupWrite(key);
      if (list instanceof List) {
        list.pushTail("e".repeat(pick(20)));
        db.modified(key);
      } else if (list === undefined) db.add(key, List.from(["a"]));
    } else if (op === 7) db.lookupRead(key); // may expire it
    else if (op === 8) db.evict(key);
    else if (op === 9 && pick(100) === 0) db.flush();
    else if (op === 10 && pick(50) === 0) keyspace.swap(0, pick(3));
    if (step % 7 === 0) assert.equal(meter.total(), recount(keyspace), `step ${step}`);
  }
  assert.equal(meter.total(), recount(keyspace));
  assert.ok(meter.total() > 0);
});
