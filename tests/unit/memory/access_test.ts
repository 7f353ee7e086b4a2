/**
 * LRU and LFU access records on a fake clock: idle time since the last
 * access, Redis's logarithmic LFU counter and its decay by lfu-decay-time.
 */
import assert from "node:assert/strict";
import { Config } from "../../../src/config.ts";
import { Keyspace } from "../../../src/store/keyspace.ts";
import { AccessTracker, LFU_INIT_VAL } from "../../../src/memory/access.ts";

function setUp(mode: "lru" | "lfu", directives = "") {
  const config = new Config();
  if (directives !== "") config.loadText(directives);
  let now = 1_700_000_000_000;
  const tracker = new AccessTracker(mode, config, () => now);
  const keyspace = new Keyspace(1);
  keyspace.access = tracker;
  keyspace.hooks.add(tracker);
  return { tracker, db: keyspace.dbs[0], advance: (ms: number) => now += ms };
}

Deno.test("LRU: idle time counts from the last read or write, OBJECT-style peeks do not count", () => {
  const { tracker, db, advance } = setUp("lru");
  db.set("a", "1");
  db.set("b", "1");
  advance(5000);
  db.lookupRead("b");
  db.lookupRead("a", false);
  assert.ok(tracker.idleMs(db, "a") >= 5000);
  assert.ok(tracker.idleMs(db, "b") < 1000);
});

Deno.test("LFU: new keys start at LFU_INIT_VAL, hits raise the counter logarithmically, idle minutes decay it", () => {
  const { tracker, db, advance } = setUp("lfu", "lfu-log-factor 10\nlfu-decay-time 1\n");
  db.set("cold", "1");
  db.set("hot", "1");
  assert.ok(tracker.frequency(db, "cold") <= LFU_INIT_VAL + 1);
  for (let i = 0; i < 1000; i++) db.lookupRead("hot");
  const hot = tracker.frequency(db, "hot");
  // redis.conf's table for lfu-log-factor 10: 1000 hits reach 18 (13-28 in 2000 trials).
  assert.ok(hot >= 10 && hot <= 35, `counter after 1000 hits: ${hot}`);
  advance(3 * 60_000);
  assert.equal(tracker.frequency(db, "hot"), hot - 3, "one off per idle minute");
  // A deleted key's record goes with it.
  db.delete("hot");
  db.set("hot", "1");
  assert.ok(tracker.frequency(db, "hot") <= LFU_INIT_VAL + 1);
});
