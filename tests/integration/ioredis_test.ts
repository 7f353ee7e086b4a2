/**
 * ioredis 5, a widely used Node client, against Redeno: connection with its
 * ready check (INFO), plain commands, a large pipeline, binary Buffers and
 * MULTI/EXEC.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
// An inline specifier keeps this test's only npm dependency out of deno.json.
import { Redis } from "ioredis";
import { type ServerProcess, startRedeno } from "../helpers/server_process.ts";

/** Runs `body` with a fresh Redeno and a connected ioredis client; cleans both up. */
async function withClient(body: (redis: Redis, server: ServerProcess) => Promise<void>) {
  const server = await startRedeno();
  const redis = new Redis({
    host: "127.0.0.1",
    port: server.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // fail instead of reconnecting forever
  });
  try {
    await redis.connect();
    await body(redis, server);
  } finally {
    try {
      await redis.quit();
    } catch {
      redis.disconnect();
    }
    await server.stop();
  }
}

Deno.test("ioredis connects, passes its ready check and sets and gets a value", async () => {
  await withClient(async (redis) => {
    assert.equal(redis.status, "ready");
    assert.equal(await redis.ping(), "PONG");
    assert.equal(await redis.set("greeting", "héllo wörld"), "OK");
    assert.equal(await redis.get("greeting"), "héllo wörld");
    assert.equal(await redis.get("missing"), null);
  });
});

Deno.test("ioredis runs a pipeline of 1000 commands with every reply in order", async () => {
  await withClient(async (redis) => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 500; i++) pipeline.set(`pipe:${i}`, `value:${i}`);
    for (let i = 0; i < 500; i++) pipeline.get(`pipe:${i}`);
    const results = await pipeline.exec();
    assert.ok(results !== null);
    assert.equal(results.length, 1000);
    for (let i = 0; i < 500; i++) assert.deepEqual(results[i], [null, "OK"]);
    for (let i = 0; i < 500; i++) assert.deepEqual(results[500 + i], [null, `value:${i}`]);
  });
});

Deno.test("ioredis round-trips binary Buffer values byte for byte", async () => {
  await withClient(async (redis) => {
    const value = Buffer.alloc(256 * 4);
    for (let i = 0; i < value.length; i++) value[i] = i & 0xff;
    const key = Buffer.from([0x00, 0x80, 0x9f, 0xff, 0x0d, 0x0a]);
    assert.equal(await redis.set(key, value), "OK");
    const back = await redis.getBuffer(key);
    assert.ok(back !== null);
    assert.equal(Buffer.compare(back, value), 0);
    const big = Buffer.alloc(1024 * 1024, 0x9c);
    await redis.set("big", big);
    assert.equal(Buffer.compare((await redis.getBuffer("big"))!, big), 0);
  });
});

Deno.test("ioredis runs counters and deletes through ordinary commands", async () => {
  await withClient(async (redis) => {
    assert.equal(await redis.incr("counter"), 1);
    assert.equal(await redis.incrby("counter", 41), 42);
    assert.equal(await redis.exists("counter"), 1);
    assert.equal(await redis.del("counter"), 1);
    assert.equal(await redis.exists("counter"), 0);
    await assert.rejects(redis.call("nosuchcommand"), /ERR unknown command 'nosuchcommand'/);
  });
});

// ioredis wraps MULTI/EXEC replies in its own [error, result] pairs.
Deno.test({
  name: "ioredis runs a MULTI/EXEC transaction",
  fn: async () => {
    await withClient(async (redis) => {
      const results = await redis.multi().set("tx:a", "1").incr("tx:a").get("tx:a").exec();
      assert.deepEqual(results, [[null, "OK"], [null, 2], [null, "2"]]);
    });
  },
});
