/**
 * DEBUG DIGEST / DIGEST-VALUE against values captured from a real Redis
 * 7.0.15 holding the same dataset (see `buildDataset` for the commands that
 * made it there).
 */
import { Hash } from "../../../src/store/hash.ts";
import assert from "node:assert/strict";
import { datasetDigest, valueDigest } from "../../../src/store/digest.ts";
import { Keyspace } from "../../../src/store/keyspace.ts";
import { unpacked } from "../../../src/store/packed.ts";
import { List } from "../../../src/store/list.ts";
import { ZSet } from "../../../src/store/zset.ts";
import { StringSet } from "../../../src/store/set.ts";

/**
 * The dataset, as Redis 7.0.15 got it from:
 *   SET s:int 12345; SET s:bin "\x00\xff\x80abc"; SET s:empty ""
 *   RPUSH l a b c 1 2 "\xff"
 *   SADD set:int 1 2 3 -5; SADD set:str a b c
 *   ZADD z:lp 1 a 0.1 b -0 c 1e17 d inf e -inf f 1.5 g 12 100      (listpack)
 *   ZADD z:sl <i/7 m<i> for i in 0..199> 0.1 b -0 c 1e17 d inf e   (skiplist)
 *   HSET h:lp f1 v1 f2 2 "" empty; HSET h:ht f<i> v<i> for i in 0..199
 *   SET ttl v EX 100000
 *   SELECT 3; SET db3key x
 */
function buildDataset(): Keyspace {
  const ks = new Keyspace(16);
  const db = ks.dbs[0];
  db.dict.set("s:int", "12345");
  db.dict.set("s:bin", "\x00\xff\x80abc");
  db.dict.set("s:empty", "");
  db.dict.set("l", List.from(["a", "b", "c", "1", "2", "\xff"]));
  db.dict.set("set:int", StringSet.from(["1", "2", "3", "-5"]));
  db.dict.set("set:str", StringSet.from(["a", "b", "c"]));
  db.dict.set(
    "z:lp",
    ZSet.from([["a", 1], ["b", 0.1], ["c", -0], ["d", 1e17], ["e", Infinity], ["f", -Infinity], [
      "g",
      1.5,
    ], ["100", 12]]),
  );
  const sl: [string, number][] = [];
  for (let i = 0; i < 200; i++) sl.push([`m${i}`, i / 7]);
  sl.push(["b", 0.1], ["c", -0], ["d", 1e17], ["e", Infinity]);
  const skiplist = ZSet.from(sl);
  skiplist.encoding = "skiplist"; // 204 members: past zset-max-listpack-entries
  db.dict.set("z:sl", skiplist);
  db.dict.set("h:lp", Hash.from([["f1", "v1"], ["f2", "2"], ["", "empty"]]));
  const ht = new Hash();
  for (let i = 0; i < 200; i++) ht.set(`f${i}`, `v${i}`);
  db.dict.set("h:ht", ht);
  db.dict.set("ttl", "v");
  db.expires.set("ttl", Date.now() + 100_000_000);
  ks.dbs[3].dict.set("db3key", "x");
  return ks;
}

/** DEBUG DIGEST-VALUE replies from Redis 7.0.15, in key order. */
const VALUE_DIGESTS: [string, string][] = [
  ["s:int", "e1cf90774e995ae03de66e8109dc5cb9d9c2dc83"],
  ["s:bin", "488c0ceb8348fdb3eae1f5d6e0826841eb933ad6"],
  ["s:empty", "8b3447c33a834b810e3e181b6fd6a2ee1020921c"],
  ["l", "fba206d14c6f5be30aae148be9d486978754f1f0"],
  ["set:int", "5e497276f46b9037a75afe0286ef7a77cbed85e4"],
  ["set:str", "593c2414786d75446e97f4ea5d4b731f3313da72"],
  ["z:lp", "c1311d42361c2b61fa78b0415493d002297105e5"],
  ["z:sl", "5b7c67f51c16040dfa0fba26cd9da5abc430200d"],
  ["h:lp", "3c37808af88c8a6e4e5d0087bb142d4ec1a6b1f5"],
  ["h:ht", "0887b9799375ff93095b92928148c2e3d49c5e84"],
  ["ttl", "311b17018163335616e089f6b951c82c477335ac"],
];

Deno.test("valueDigest matches Redis 7.0's DEBUG DIGEST-VALUE for every type", () => {
  const db = buildDataset().dbs[0];
  for (const [key, expected] of VALUE_DIGESTS) {
    const value = unpacked(db.dict.get(key)!);
    assert.equal(valueDigest(value, db.expires.has(key)), expected, key);
  }
});

Deno.test("datasetDigest matches Redis 7.0's DEBUG DIGEST over several dbs", () => {
  assert.equal(datasetDigest(buildDataset()), "c390a58caba839b33f95423b7a8cc885e84f6b80");
});

Deno.test("datasetDigest of an empty keyspace is forty zeros", () => {
  assert.equal(datasetDigest(new Keyspace(16)), "0".repeat(40));
});

Deno.test("digests ignore the order of unordered elements but not of list elements", () => {
  assert.equal(valueDigest(StringSet.from(["a", "b"])), valueDigest(StringSet.from(["b", "a"])));
  assert.equal(
    valueDigest(Hash.from([["a", "1"], ["b", "2"]])),
    valueDigest(Hash.from([["b", "2"], ["a", "1"]])),
  );
  assert.notEqual(valueDigest(List.from(["a", "b"])), valueDigest(List.from(["b", "a"])));
  // A TTL changes the digest, whatever its value.
  assert.notEqual(valueDigest("v", true), valueDigest("v", false));
});

Deno.test("datasetDigest depends on the db a key lives in", () => {
  const a = new Keyspace(16);
  a.dbs[0].dict.set("k", "v");
  const b = new Keyspace(16);
  b.dbs[1].dict.set("k", "v");
  assert.notEqual(datasetDigest(a), datasetDigest(b));
});
