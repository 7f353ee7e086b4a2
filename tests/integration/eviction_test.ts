/**
 * maxmemory against real processes: -OOM under noeviction (replies compared
 * with redis-server 7.0), the LRU, TTL and random policies choosing their
 * victims, evictions reaching the AOF as UNLINK and a redis-server replica as
 * DEL, OBJECT IDLETIME/FREQ under LRU/LFU policies, and the MEMORY command.
 */
import assert from "node:assert/strict";
import { ErrorReply, type Reply, RespClient } from "../helpers/resp_client.ts";
import { assertSameConversation } from "../helpers/conversation.ts";
import { delay, startRedeno, startRedis } from "../helpers/server_process.ts";
import { parseCommands } from "../helpers/propagation.ts";
import { ENTRY_BYTES } from "../../src/memory/size.ts";
import {
  assertSameDataset,
  call,
  info,
  startPair,
  stopAll,
  waitOffsetsMatch,
  waitUntil,
} from "../helpers/replication.ts";

const VALUE = "v".repeat(100);

/** SETs `count` keys `prefix:i` in pipelines of 500; returns the replies. */
async function fill(
  client: RespClient,
  prefix: string,
  count: number,
  extra: (i: number) => string[] = () => [],
): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let start = 0; start < count; start += 500) {
    const batch: string[][] = [];
    for (let i = start; i < Math.min(count, start + 500); i++) {
      batch.push(["SET", `${prefix}:${i}`, VALUE, ...extra(i)]);
    }
    for (const r of await client.pipeline(batch)) replies.push(r.value);
  }
  return replies;
}

/** How many of `prefix:0 … prefix:count-1` exist. */
async function existing(client: RespClient, prefix: string, from: number, to: number) {
  const batch: string[][] = [];
  for (let i = from; i < to; i++) batch.push(["EXISTS", `${prefix}:${i}`]);
  const replies = await client.pipeline(batch);
  return replies.map((r) => r.value === 1);
}

Deno.test("noeviction over maxmemory answers -OOM like redis-server 7.0: writes refused, reads and DEL served, MULTI aborted", async () => {
  await assertSameConversation(`
    a|SET k v
    a|SET k2 v
    a|CONFIG SET maxmemory 1
    a|SET x y
    a|APPEND k more
    a|GET k
    a|DEL k2
    a|EXPIRE k 100
    a|MULTI
    a|GET k
    a|SET x y
    a|EXEC
    a|MULTI
    a|DISCARD
    a|CONFIG SET maxmemory 0
    a|SET x y
    a|MEMORY USAGE nokey
    a|MEMORY USAGE k SAMPLES
    a|MEMORY USAGE k SAMPLES x
    a|MEMORY USAGE k SAMPLES -1
    a|MEMORY USAGE k FOO 1
    a|MEMORY USAGE nokey SAMPLES x
    a|MEMORY USAGE k SAMPLES 1 x
    a|MEMORY USAGE
    a|MEMORY
    a|MEMORY FOO
    a|MEMORY PURGE
    a|MEMORY PURGE x
    a|MEMORY HELP
    a|MEMORY DOCTOR
    a|MEMORY DOCTOR x
    a|MEMORY STATS x
    a|OBJECT FREQ k
    a|CONFIG SET maxmemory-policy allkeys-lfu
    a|OBJECT IDLETIME k
    a|OBJECT FREQ nokey
  `);
});

/** The sum of MEMORY USAGE over `keys`. */
async function usage(client: RespClient, keys: string[]): Promise<number> {
  const replies = await client.pipeline(keys.map((k) => ["MEMORY", "USAGE", k]));
  return replies.reduce((sum, r) => sum + Number(r.value), 0);
}

Deno.test("allkeys-lru evicts the keys idle longest, keeps the recently read ones, and bounds the dataset", async () => {
  // Samples are uniform, as in Redis: 10 per round (Redis's advice for a closer LRU) make the
  // share of idle keys among the victims less a matter of luck than the default 5.
  const server = await startRedeno([
    "--maxmemory-policy",
    "allkeys-lru",
    "--maxmemory-samples",
    "10",
  ]);
  const client = await RespClient.connect(server.port);
  try {
    // Even keys will be read again (hot), odd ones not (cold), interleaved in insertion order.
    await fill(client, "old", 600);
    // The LRU clock counts seconds: let them age, then add fresh keys and read the hot half
    // (last, so that no second boundary makes the hot keys look older than the fresh ones).
    await delay(2100);
    await fill(client, "new", 3000);
    const hot: string[][] = [];
    for (let i = 0; i < 600; i += 2) hot.push(["GET", `old:${i}`]);
    await client.pipeline(hot);
    const keys = [...Array(600).keys()].map((i) => `old:${i}`);
    for (let i = 0; i < 3000; i++) keys.push(`new:${i}`);
    const total = await usage(client, keys);
    // Under an LRU policy each key's access record counts too (a Map entry).
    const records = keys.length * ENTRY_BYTES;
    const perKey = (total + records) / keys.length;
    // Client buffers count too (this connection's 16 KB query buffer is ~100 keys' worth).
    const memory = String(await client.command("INFO", "memory"));
    const clientBytes = Number(/mem_clients_normal:(\d+)/.exec(memory)![1]);
    // Room for all but about 150 keys: the cold ones should be the ones to go.
    const limit = Math.floor(total + records + clientBytes - 150 * perKey);
    assert.equal(await client.command("CONFIG", "SET", "maxmemory", String(limit)), "OK");
    await waitUntil("evictions to settle", async () => {
      await client.command("PING");
      return (await info(server.port, "stats")).current_eviction_exceeded_time === "0";
    });
    assert.equal(await client.command("CONFIG", "SET", "maxmemory", "0"), "OK");
    const evicted = Number((await info(server.port, "stats")).evicted_keys);
    assert.ok(evicted >= 140 && evicted < 300, `evicted_keys ${evicted}`);
    const present = await existing(client, "old", 0, 600);
    const hotLeft = present.filter((p, i) => p && i % 2 === 0).length;
    const coldLeft = present.filter((p, i) => p && i % 2 === 1).length;
    // Sampling approximates LRU (as in Redis): most victims are idle keys, a few are not.
    assert.ok(hotLeft >= 270, `recently read keys kept: ${hotLeft}/300`);
    assert.ok(300 - coldLeft > 3 * (300 - hotLeft), `idle keys went first: ${coldLeft}/300 left`);

    // Writes far past the limit: every SET succeeds, the dataset stays bounded.
    assert.equal(await client.command("CONFIG", "SET", "maxmemory", "1mb"), "OK");
    const replies = await fill(client, "more", 12000);
    assert.ok(replies.every((r) => r === "OK"), "every SET succeeds: eviction makes room");
    assert.equal(await client.command("CONFIG", "SET", "maxmemory", "0"), "OK");
    const dbsize = Number(await client.command("DBSIZE"));
    const left = await usage(client, (await client.command("KEYS", "*")) as string[]);
    assert.ok(left <= 1024 * 1024, `dataset ${left} bytes in ${dbsize} keys is within maxmemory`);
    assert.ok(left > 512 * 1024, `dataset ${left} bytes: eviction stopped near the limit`);
  } finally {
    client.close();
    await stopAll(server);
  }
});

Deno.test("volatile-ttl evicts the soonest-expiring keys, never a persistent one, then answers -OOM", async () => {
  const server = await startRedeno(["--maxmemory-policy", "volatile-ttl"]);
  const client = await RespClient.connect(server.port);
  try {
    await fill(client, "keep", 2000);
    await fill(client, "ttl", 3000, (i) => ["EX", String(10000 + i)]);
    assert.equal(await client.command("CONFIG", "SET", "maxmemory", "800kb"), "OK");
    await client.command("SET", "trigger", "1");
    await waitUntil("evictions to settle", async () => {
      const stats = await info(server.port, "stats");
      return stats.current_eviction_exceeded_time === "0" && Number(stats.evicted_keys) > 0;
    });
    // Reading 3000 keys back takes client buffers that count too: no evictions meanwhile.
    assert.equal(await client.command("CONFIG", "SET", "maxmemory", "0"), "OK");
    const kept = await existing(client, "ttl", 0, 3000);
    const survivors = kept.flatMap((k, i) => k ? [i] : []);
    const evicted = kept.flatMap((k, i) => k ? [] : [i]);
    assert.ok(evicted.length > 300 && survivors.length > 300, `evicted ${evicted.length}`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(
      mean(evicted) + 500 < mean(survivors),
      `soonest-expiring go first: mean index evicted ${mean(evicted)}, kept ${mean(survivors)}`,
    );
    assert.ok((await existing(client, "keep", 0, 2000)).every(Boolean), "persistent keys stay");

    // Persistent keys alone over the limit: every volatile key goes, then writes are refused.
    assert.equal(await client.command("CONFIG", "SET", "maxmemory", "100kb"), "OK");
    // Evicting goes on between commands (writes are served meanwhile) until nothing is left.
    await waitUntil("every volatile key evicted", async () => {
      await client.command("PING");
      return (await info(server.port, "keyspace")).db0?.includes(",expires=0,");
    });
    const reply = await client.command("SET", "more", "1");
    assert.ok(reply instanceof ErrorReply);
    assert.equal(reply.message, "OOM command not allowed when used memory > 'maxmemory'.");
    assert.equal(await client.command("CONFIG", "SET", "maxmemory", "0"), "OK");
    assert.equal((await existing(client, "ttl", 0, 3000)).filter(Boolean).length, 0);
    assert.equal((await existing(client, "keep", 0, 2000)).filter(Boolean).length, 2000);
    assert.equal(await client.command("GET", "keep:1"), VALUE);
  } finally {
    client.close();
    await stopAll(server);
  }
});

Deno.test("evictions reach the AOF as UNLINK under lazyfree-lazy-eviction, and a redis-server replica as DEL", async () => {
  const aofServer = await startRedeno([
    "--maxmemory",
    "300kb",
    "--maxmemory-policy",
    "allkeys-random",
    "--lazyfree-lazy-eviction",
    "yes",
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
  ]);
  const client = await RespClient.connect(aofServer.port);
  try {
    await fill(client, "k", 4000);
    const evicted = Number((await info(aofServer.port, "stats")).evicted_keys);
    assert.ok(evicted > 1000, `evicted_keys ${evicted}`);
    const dir = `${aofServer.dir}/appendonlydir`;
    const incr = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".incr.aof"))!.name;
    const commands = parseCommands(Deno.readTextFileSync(`${dir}/${incr}`));
    const unlinks = commands.filter((c) => c[0] === "UNLINK");
    assert.equal(unlinks.length, evicted);
    assert.equal(commands.filter((c) => c[0] === "DEL").length, 0);
  } finally {
    client.close();
    await stopAll(aofServer);
  }

  const { master, replica } = await startPair({
    masterArgs: ["--maxmemory", "300kb", "--maxmemory-policy", "allkeys-random"],
    replicaKind: "redis",
  });
  const writer = await RespClient.connect(master.port);
  try {
    await fill(writer, "k", 4000);
    assert.ok(Number((await info(master.port, "stats")).evicted_keys) > 1000);
    // Reading the dataset back takes client buffers that count too: no evictions meanwhile.
    await call(master.port, "CONFIG", "SET", "maxmemory", "0");
    await waitOffsetsMatch(master.port, [replica.port]);
    const keys = await assertSameDataset(master.port, replica.port, "after evictions");
    assert.ok(keys < 4000, `${keys} keys on both sides`);
  } finally {
    writer.close();
    await stopAll(master, replica);
  }
});

Deno.test("OBJECT IDLETIME under allkeys-lru and OBJECT FREQ under allkeys-lfu track real accesses", async () => {
  const server = await startRedeno(["--maxmemory-policy", "allkeys-lru"]);
  try {
    await call(server.port, "SET", "a", "1");
    await call(server.port, "SET", "b", "1");
    await delay(2100);
    await call(server.port, "GET", "b");
    assert.ok(Number(await call(server.port, "OBJECT", "IDLETIME", "a")) >= 2);
    assert.equal(await call(server.port, "OBJECT", "IDLETIME", "b"), 0);
    // OBJECT itself is not an access.
    assert.ok(Number(await call(server.port, "OBJECT", "IDLETIME", "a")) >= 2);

    await call(server.port, "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
    await call(server.port, "SET", "hot", "1");
    await call(server.port, "SET", "cold", "1");
    const client = await RespClient.connect(server.port);
    const gets: string[][] = [];
    for (let i = 0; i < 2000; i++) gets.push(["GET", "hot"]);
    await client.pipeline(gets);
    client.close();
    const hot = Number(await call(server.port, "OBJECT", "FREQ", "hot"));
    const cold = Number(await call(server.port, "OBJECT", "FREQ", "cold"));
    assert.ok(hot > cold, `hot ${hot} > cold ${cold}`);
    assert.ok(cold <= 6, `a key set once keeps about LFU_INIT_VAL: ${cold}`);
  } finally {
    await stopAll(server);
  }
});

Deno.test("MEMORY USAGE grows with the value and samples collections", async () => {
  const server = await startRedeno();
  try {
    await call(server.port, "SET", "small", "x");
    await call(server.port, "SET", "big", "x".repeat(10000));
    const small = Number(await call(server.port, "MEMORY", "USAGE", "small"));
    const big = Number(await call(server.port, "MEMORY", "USAGE", "big"));
    assert.ok(small > 0 && big >= small + 9900, `small ${small}, big ${big}`);
    const fields: string[] = [];
    for (let i = 0; i < 100; i++) fields.push(`f${i}`, i < 5 ? "x" : "y".repeat(1000));
    await call(server.port, "HSET", "h", ...fields);
    const sampled = Number(await call(server.port, "MEMORY", "USAGE", "h"));
    const all = Number(await call(server.port, "MEMORY", "USAGE", "h", "SAMPLES", "0"));
    assert.ok(all > sampled + 50000, `SAMPLES 0 looks at every field: ${all} vs ${sampled}`);
  } finally {
    await stopAll(server);
  }
});

/** MEMORY STATS's field names, with a db's nested map as `db.N.field`. */
function statsShape(reply: Reply): string[] {
  assert.ok(Array.isArray(reply));
  const items: Reply[] = reply;
  const names: string[] = [];
  for (let i = 0; i < items.length; i += 2) {
    const name: string = String(items[i]);
    const value: Reply = items[i + 1];
    if (Array.isArray(value)) {
      for (let j = 0; j < value.length; j += 2) names.push(`${name}.${value[j]}`);
    } else {
      names.push(name);
      assert.equal(typeof value === "number" || typeof value === "string", true, name);
    }
  }
  return names;
}

Deno.test("MEMORY STATS has redis-server 7.0's fields in its order, with a map per db that has keys", async () => {
  const [redeno, redis] = await Promise.all([startRedeno(), startRedis()]);
  try {
    for (const port of [redeno.port, redis.port]) {
      await call(port, "SET", "a", "1");
      await call(port, "SELECT", "0");
      await call(port, "HSET", "h", "f", "v");
    }
    const ours = statsShape(await call(redeno.port, "MEMORY", "STATS"));
    const theirs = statsShape(await call(redis.port, "MEMORY", "STATS"));
    assert.deepEqual(ours, theirs);
    assert.ok(ours.includes("db.0.overhead.hashtable.main"));
  } finally {
    await stopAll(redeno, redis);
  }
});

Deno.test("hash-max-listpack-entries 0 makes new hashes Maps: MEMORY USAGE grows, OBJECT ENCODING says hashtable", async () => {
  const server = await startRedeno();
  const client = await RespClient.connect(server.port);
  try {
    await client.command("HSET", "flat", "a", "1", "b", "2");
    const flat = Number(await client.command("MEMORY", "USAGE", "flat"));
    assert.equal(await client.command("OBJECT", "ENCODING", "flat"), "listpack");
    assert.equal(await client.command("CONFIG", "SET", "hash-max-listpack-entries", "0"), "OK");
    await client.command("HSET", "map", "a", "1", "b", "2");
    const map = Number(await client.command("MEMORY", "USAGE", "map"));
    assert.equal(await client.command("OBJECT", "ENCODING", "map"), "hashtable");
    // A Map's table costs more than the flat string holding the same two fields.
    assert.ok(map > flat + 100, `MEMORY USAGE ${map} (Map) against ${flat} (flat)`);
    assert.deepEqual(await client.command("HGETALL", "map"), ["a", "1", "b", "2"]);
  } finally {
    client.close();
    await server.stop();
  }
});
