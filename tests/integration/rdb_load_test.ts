/**
 * Start-up loads through the load worker, against a real server process: the
 * event loop stays free (clients get -LOADING, INFO says loading:1), the
 * dataset and Redis's log lines come out as before, a bad dump is refused
 * with Redis's lines, and SHUTDOWN during the load never overwrites the dump.
 */
import { Hash } from "../../src/store/hash.ts";
import assert from "node:assert/strict";
import { encodeRdb } from "../../src/persistence/rdb_encoder.ts";
import { List } from "../../src/store/list.ts";
import { ZSet } from "../../src/store/zset.ts";
import type { RedisValue } from "../../src/store/types.ts";
import {
  command,
  delay,
  parseInfo,
  RespConnection,
  type ServerProcess,
  startRedeno,
} from "../helpers/server_process.ts";
import { ErrorReply } from "../helpers/resp_client.ts";
import { StringSet } from "../../src/store/set.ts";

/** Keys in the dump: enough that loading takes a while. */
const KEYS = 300_000;

/** A dump of KEYS keys of every type over dbs 0 and 5, one in ten strings with a TTL. */
function bigDump(): Uint8Array {
  const future = Date.now() + 86_400_000;
  const entries: [string, RedisValue, number | undefined][] = [];
  for (let i = 0; i < KEYS; i++) {
    const kind = i % 10;
    if (kind < 6) {
      entries.push([
        `key:${i}`,
        `value:${i}:\x80\xff`.padEnd(60, "x"),
        i % 10 === 0 ? future : undefined,
      ]);
    } else if (kind === 6) {
      entries.push([`hash:${i}`, Hash.from([["f1", `v${i}`], ["f2", "x"]]), undefined]);
    } else if (kind === 7) {
      entries.push([`list:${i}`, List.from([`a${i}`, "b", "c"]), undefined]);
    } else if (kind === 8) {
      entries.push([`set:${i}`, StringSet.from([`m${i}`, "n"]), undefined]);
    } else {
      const z = new ZSet();
      z.add(`z${i}`, 2.5);
      z.add("low", -1);
      entries.push([`zset:${i}`, z, undefined]);
    }
  }
  return encodeRdb([
    { index: 0, entries: entries.slice(0, KEYS / 2) },
    { index: 5, entries: entries.slice(KEYS / 2) },
  ]);
}

/** A temp dir holding `bytes` as dump.rdb. */
async function dirWithDump(bytes: Uint8Array): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "redeno_load_" });
  await Deno.writeFile(`${dir}/dump.rdb`, bytes);
  return dir;
}

/** A connection to `port`, retried until the server listens. */
async function connect(port: number): Promise<RespConnection> {
  const deadline = Date.now() + 15_000;
  while (true) {
    try {
      return await RespConnection.open(port);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await delay(20);
    }
  }
}

Deno.test("a server starting on a large dump answers -LOADING while it loads, then has every key", async () => {
  const dir = await dirWithDump(bigDump());
  let server: ServerProcess | undefined;
  try {
    server = await startRedeno([], { dir, noWait: true });
    const conn = await connect(server.port);
    let loadingReplies = 0;
    let sawInfoLoading = false;
    let longest = 0;
    try {
      while (true) {
        const started = performance.now();
        const reply = await conn.call("GET", "key:1");
        longest = Math.max(longest, performance.now() - started);
        if (!(reply instanceof ErrorReply)) {
          assert.equal(reply, "value:1:\x80\xff".padEnd(60, "x"));
          break;
        }
        assert.equal(reply.message, "LOADING Redis is loading the dataset in memory");
        loadingReplies++;
        const info = parseInfo(await conn.call("INFO", "persistence") as string);
        if (info.get("loading") === "1") sawInfoLoading = true;
        await delay(5);
      }
    } finally {
      await conn.close();
    }
    assert.ok(loadingReplies > 0, "no -LOADING reply: the load ended before the first GET");
    assert.ok(sawInfoLoading);
    // The load runs in a worker: the main thread answers between slices of installing.
    assert.ok(longest < 2000, `a reply took ${longest.toFixed(0)} ms`);

    assert.equal(await command(server.port, "DBSIZE"), KEYS / 2);
    const port = server.port;
    const in5 = async (...args: string[]) => {
      const c = await RespConnection.open(port);
      try {
        await c.call("SELECT", "5");
        return await c.call(...args);
      } finally {
        await c.close();
      }
    };
    assert.equal(await in5("DBSIZE"), KEYS / 2);
    assert.deepEqual(await in5("HGETALL", `hash:${KEYS - 4}`), ["f1", `v${KEYS - 4}`, "f2", "x"]);
    assert.deepEqual(await in5("LRANGE", `list:${KEYS - 3}`, "0", "-1"), [
      `a${KEYS - 3}`,
      "b",
      "c",
    ]);
    assert.deepEqual(
      await in5("SMEMBERS", `set:${KEYS - 2}`).then((m) => (m as string[]).sort()),
      [
        `m${KEYS - 2}`,
        "n",
      ].sort(),
    );
    assert.deepEqual(await in5("ZRANGE", `zset:${KEYS - 1}`, "0", "-1", "WITHSCORES"), [
      "low",
      "-1",
      `z${KEYS - 1}`,
      "2.5",
    ]);
    assert.equal(await in5("OBJECT", "ENCODING", `zset:${KEYS - 1}`), "listpack");
    const ttl = await command(server.port, "TTL", "key:0") as number;
    assert.ok(ttl > 86_000 && ttl <= 86_400, String(ttl));

    const lines = server.log().split("\n").map((l) => l.replace(/^\d+:[A-Z] [^*#]*[*#] /, ""));
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    const order = [
      "Loading RDB produced by version 7.0.15",
      "RDB age ",
      "RDB memory usage when created ",
      `Done loading RDB, keys loaded: ${KEYS}, keys expired: 0.`,
      "DB loaded from disk: ",
      "Ready to accept connections",
    ].map(at);
    assert.ok(order.every((i) => i >= 0), server.log());
    assert.deepEqual(order, order.slice().sort((a, b) => a - b), server.log());
  } finally {
    await server?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a truncated dump at start-up is refused with Redis's lines and the process exits", async () => {
  const dump = bigDump();
  const dir = await dirWithDump(dump.subarray(0, dump.length - 1000));
  let server: ServerProcess | undefined;
  try {
    server = await startRedeno([], { dir, noWait: true });
    const status = await server.status;
    assert.equal(status.code, 1);
    const log = server.log();
    assert.match(log, /Short read or OOM loading DB\. Unrecoverable error, aborting now\./);
    assert.match(log, /Fatal error loading the DB, check server logs\. Exiting\./);
    assert.doesNotMatch(log, /Done loading RDB/);
  } finally {
    await server?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SHUTDOWN while the dump loads exits at once and leaves the dump as it was", async () => {
  const dump = bigDump();
  const dir = await dirWithDump(dump);
  let server: ServerProcess | undefined;
  try {
    // Save points set: a shutdown would normally save the (here still empty) dataset.
    server = await startRedeno(["--save", "3600 1"], { dir, noWait: true });
    const conn = await connect(server.port);
    try {
      let reply = await conn.call("PING");
      while (!(reply instanceof ErrorReply)) {
        // Loaded already (a very fast machine): nothing to test.
        if (reply === "PONG" && !(await conn.call("GET", "key:1") instanceof ErrorReply)) return;
        reply = await conn.call("GET", "key:1");
      }
      await conn.send("*1\r\n$8\r\nSHUTDOWN\r\n");
    } finally {
      await conn.close().catch(() => {});
    }
    const status = await server.status;
    assert.equal(status.code, 0);
    assert.match(server.log(), /User requested shutdown/);
    assert.doesNotMatch(server.log(), /Saving the final RDB snapshot/);
    assert.doesNotMatch(server.log(), /Done loading RDB/);
    assert.deepEqual(await Deno.readFile(`${dir}/dump.rdb`), dump);
  } finally {
    await server?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
