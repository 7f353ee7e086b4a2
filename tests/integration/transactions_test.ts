/**
 * MULTI/EXEC/DISCARD/WATCH/UNWATCH against real processes: the replies of a
 * scripted conversation compared byte for byte with redis-server 7.0, what
 * EXEC writes to the AOF compared with redis-server's own AOF, transactions
 * reaching a replica (a real redis-server 7.0 replica of Redeno), and ioredis.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RespClient } from "../helpers/resp_client.ts";
import { assertSameConversation, converse } from "../helpers/conversation.ts";
import { delay, type ServerProcess, startRedeno, startRedis } from "../helpers/server_process.ts";
import { assertSameDataset, call, startPair, stopAll, waitUntil } from "../helpers/replication.ts";

Deno.test("MULTI, EXEC and DISCARD errors and queueing answer like redis-server 7.0", async () => {
  await assertSameConversation(`
    a|MULTI
    a|MULTI
    a|WATCH x
    a|SET x
    a|NOSUCH arg
    a|EXEC
    a|EXEC
    a|DISCARD
    a|MULTI
    a|SET x 1
    a|INCR x 2
    a|LPUSH x y
    a|EXEC
    a|GET x
    a|MULTI
    a|SAVE
    a|EXEC
    a|MULTI
    a|SET x 1
    a|LPUSH x y
    a|INCR x
    a|INCRBY x notanumber
    a|GET x
    a|EXEC
    a|EXEC foo
    a|MULTI
    a|EXEC foo
    a|EXEC
    a|MULTI x
    a|MULTI
    a|DISCARD x
    a|EXEC
    a|MULTI
    a|MULTI
    a|WATCH k
    a|SET x 5
    a|EXEC
    a|MULTI
    a|EXEC
    a|MULTI
    a|SET y 1
    a|DISCARD
    a|GET y
    a|WATCH
    a|UNWATCH x
    b|SUBSCRIBE chan
    b|EXEC
    b|MULTI
  `);
});

Deno.test("WATCH aborts EXEC with a nil array when a watched key is touched, like redis-server 7.0", async () => {
  await assertSameConversation(`
    a|SET x 1
    a|WATCH x
    b|SET x 2
    a|MULTI
    a|GET x
    a|EXEC
    a|WATCH x
    a|UNWATCH
    b|SET x 3
    a|MULTI
    a|GET x
    a|EXEC
    a|WATCH x
    a|MULTI
    a|DISCARD
    b|SET x 4
    a|MULTI
    a|GET x
    a|EXEC
    a|WATCH x x
    b|DEL x
    a|MULTI
    a|PING
    a|EXEC
    a|WATCH absent
    b|DEL absent
    b|GET absent
    a|MULTI
    a|PING
    a|EXEC
    a|SET k v
    a|WATCH k
    b|RENAME k k2
    a|MULTI
    a|PING
    a|EXEC
    a|WATCH k2
    b|EXPIRE k2 100
    a|MULTI
    a|PING
    a|EXEC
    a|RPUSH list a
    a|WATCH list
    b|LPOP list
    a|MULTI
    a|PING
    a|EXEC
    a|WATCH list
    b|LPOP list
    a|MULTI
    a|PING
    a|EXEC
    a|SET present 1
    a|WATCH present absent2
    b|FLUSHDB
    a|MULTI
    a|PING
    a|EXEC
    a|WATCH absent3
    b|FLUSHALL
    a|MULTI
    a|PING
    a|EXEC
    a|SET s 1
    a|WATCH s
    b|SWAPDB 0 1
    a|MULTI
    a|PING
    a|EXEC
    a|WATCH swappedin
    b|SELECT 1
    b|SET swappedin v
    b|SWAPDB 0 1
    a|MULTI
    a|GET swappedin
    a|EXEC
    a|WATCH nowhere
    b|SWAPDB 0 1
    a|MULTI
    a|PING
    a|EXEC
    a|WATCH w
    b|SELECT 5
    b|SET w other-db
    a|MULTI
    a|PING
    a|EXEC
    !a|HELLO 3
    a|WATCH x
    b|SET x 9
    a|MULTI
    a|GET x
    a|EXEC
  `);
});

Deno.test("WATCH sees a key expire after it was watched, but not one already expired, like redis-server 7.0", async () => {
  await assertSameConversation(`
    a|SET soon v PX 150
    a|WATCH soon
    #sleep 300
    a|MULTI
    a|PING
    a|EXEC
    a|SET gone v PX 50
    #sleep 150
    a|WATCH gone
    a|MULTI
    a|PING
    a|EXEC
    a|SET gone2 v PX 50
    #sleep 150
    a|WATCH gone2
    b|SET gone2 new
    a|MULTI
    a|PING
    a|EXEC
  `);
});

Deno.test("blocking commands inside MULTI answer at once like redis-server 7.0, in RESP2 and RESP3", async () => {
  await assertSameConversation(`
    a|MULTI
    a|BLPOP nol 0
    a|BRPOP nol nol2 0
    a|BLMOVE nol d LEFT RIGHT 0
    a|BRPOPLPUSH nol d 0
    a|BZPOPMIN noz 0
    a|BZPOPMAX noz 0
    a|BLMPOP 0 1 nol LEFT
    a|BZMPOP 0 1 noz MIN
    a|BLPOP nol -1
    a|BLPOP nol abc
    a|EXEC
    a|RPUSH l 1 2 3
    a|ZADD z 1 a 2 b
    a|MULTI
    a|BLPOP l 0
    a|BLMOVE l d RIGHT LEFT 0
    a|BZPOPMAX z 0
    a|BLMPOP 0 1 l LEFT COUNT 5
    a|BLPOP l 0
    a|EXEC
    !a|HELLO 3
    a|MULTI
    a|BLPOP nol 0
    a|BLMOVE nol d LEFT RIGHT 0
    a|BZPOPMIN noz 0
    a|EXEC
  `);
});

/** The incr AOF file's bytes once they stop changing (bounded wait). */
async function readIncrAof(server: ServerProcess): Promise<string> {
  const dir = `${server.dir}/appendonlydir`;
  let last = "";
  let stableSince = Date.now();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    let text = "";
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (entry.name.endsWith(".incr.aof")) {
          const bytes = await Deno.readFile(`${dir}/${entry.name}`);
          text = String.fromCharCode(...bytes);
        }
      }
    } catch {
      // not created yet
    }
    if (text !== last) {
      last = text;
      stableSince = Date.now();
    } else if (text !== "" && Date.now() - stableSince > 600) {
      return text;
    }
    await delay(100);
  }
  return last;
}

/** Runs `script` against both servers started with appendonly and compares their incr AOFs. */
async function assertSameAof(script: string): Promise<string> {
  const args = ["--appendonly", "yes", "--appendfsync", "always"];
  const [redeno, redis] = await Promise.all([startRedeno(args), startRedis(args)]);
  try {
    const [ours, theirs] = await Promise.all([
      converse(redeno.port, script),
      converse(redis.port, script),
    ]);
    assert.deepEqual(ours, theirs);
    const [aofOurs, aofTheirs] = await Promise.all([readIncrAof(redeno), readIncrAof(redis)]);
    assert.equal(aofOurs, aofTheirs);
    return aofOurs;
  } finally {
    await Promise.all([redeno.stop(), redis.stop()]);
  }
}

Deno.test("EXEC reaches the AOF as redis-server 7.0 writes it: several writes wrapped once, one write alone", async () => {
  const aof = await assertSameAof(`
    a|MULTI
    a|SET a 1
    a|EXEC
    a|MULTI
    a|SET b 1
    a|SET c 2
    a|EXEC
    a|MULTI
    a|GET a
    a|EXEC
    a|MULTI
    a|SET d 1
    a|GET a
    a|EXEC
    a|MULTI
    a|INCR a
    a|LPUSH a x
    a|SET e 5
    a|EXEC
    a|SELECT 3
    a|MULTI
    a|SET f 1
    a|SET g 2
    a|EXEC
    a|MULTI
    a|SET h 1
    a|SELECT 4
    a|SET i 1
    a|EXEC
    a|SELECT 0
    a|WATCH a
    b|SET a 10
    a|MULTI
    a|SET j 1
    a|SET k 1
    a|EXEC
    a|MULTI
    a|SET l 1
    a|DISCARD
  `);
  assert.equal(aof.split("*1\r\n$5\r\nMULTI\r\n").length - 1, 4);
  assert.ok(!aof.includes("$1\r\nj\r\n"), "a transaction aborted by WATCH writes nothing");
});

Deno.test("a transaction reaches a redis-server 7.0 replica of Redeno and leaves the same data", async () => {
  const { master, replica } = await startPair({ replicaKind: "redis" });
  try {
    const conn = await RespClient.connect(master.port);
    try {
      await conn.pipeline([
        ["MULTI"],
        ["SET", "t:a", "1"],
        ["RPUSH", "t:list", "x", "y", "z"],
        ["INCR", "t:a"],
        ["LPUSH", "t:a", "wrong"],
        ["SADD", "t:set", "m"],
        ["EXEC"],
        ["MULTI"],
        ["SET", "t:single", "only"],
        ["EXEC"],
        ["SELECT", "2"],
        ["MULTI"],
        ["SET", "t:db2", "v"],
        ["SELECT", "0"],
        ["DEL", "t:single"],
        ["EXEC"],
      ]);
    } finally {
      conn.close();
    }
    await waitUntil("the replica to apply the transactions", async () => {
      const got = await call(replica.port, "GET", "t:a");
      const single = await call(replica.port, "EXISTS", "t:single");
      return got === "2" && single === 0;
    });
    await assertSameDataset(master.port, replica.port, "after transactions");
  } finally {
    await stopAll(master, replica);
  }
});

Deno.test("ioredis runs MULTI/EXEC, reports runtime errors in place and sees WATCH abort", async () => {
  const server = await startRedeno();
  const redis = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  const other = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    await other.connect();
    const results = await redis.multi().set("k", "v").lpush("k", "x").get("k").exec();
    assert.ok(results !== null);
    assert.deepEqual(results[0], [null, "OK"]);
    assert.match(String(results[1][0]), /WRONGTYPE/);
    assert.deepEqual(results[2], [null, "v"]);

    await redis.watch("k");
    await other.set("k", "changed");
    assert.equal(await redis.multi().get("k").exec(), null);

    await redis.watch("k");
    assert.deepEqual(await redis.multi().get("k").exec(), [[null, "changed"]]);
  } finally {
    redis.disconnect();
    other.disconnect();
    await server.stop();
  }
});

Deno.test("a client that disconnects while watching keys leaves nothing behind", async () => {
  const server = await startRedeno();
  try {
    for (let i = 0; i < 20; i++) {
      const conn = await RespClient.connect(server.port);
      await conn.command("WATCH", `w${i}`, "shared");
      await conn.command("MULTI");
      conn.close();
    }
    const conn = await RespClient.connect(server.port);
    try {
      await conn.command("WATCH", "shared");
      await conn.command("SET", "shared", "1");
      await conn.command("MULTI");
      assert.equal(await conn.command("EXEC"), null);
      await conn.command("WATCH", "shared");
      await conn.command("MULTI");
      assert.deepEqual(await conn.command("EXEC"), []);
    } finally {
      conn.close();
    }
  } finally {
    await server.stop();
  }
});
