/**
 * Blocking pops against real processes: replies, errors and timeouts compared
 * byte for byte with redis-server 7.0 (RESP2 and RESP3), several waiting
 * clients served first come first served, wake-ups by every kind of write
 * (pushes, MULTI/EXEC, RENAME, SWAPDB, SORT STORE, LMOVE, a master's stream
 * on a replica), disconnects while blocked, what reaches the AOF compared
 * with redis-server's own AOF, and ioredis.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { encodeRequest, RespClient } from "../helpers/resp_client.ts";
import { assertSameConversation, converse, withTimeout } from "../helpers/conversation.ts";
import {
  delay,
  RespConnection,
  type ServerProcess,
  startRedeno,
  startRedis,
} from "../helpers/server_process.ts";
import { call, info, startPair, stopAll, waitUntil } from "../helpers/replication.ts";

/** Waits until the server reports `count` blocked clients (bounded). */
function waitBlocked(port: number, count: number): Promise<true> {
  return waitUntil(`${count} blocked clients on port ${port}`, async () => {
    const fields = await info(port, "clients");
    return Number(fields.blocked_clients) === count || undefined;
  }, 5000);
}

/** Opens a connection and sends `argv` without reading the reply. */
async function sendBlocking(port: number, ...argv: string[]): Promise<RespConnection> {
  const conn = await RespConnection.open(port);
  await conn.send(encodeRequest(argv));
  return conn;
}

Deno.test("blocking pops reply, time out and reject arguments like redis-server 7.0", async () => {
  await assertSameConversation([
    `
    a|BLPOP nokey 0.05
    a|BRPOP nokey other 0.05
    a|BLMOVE nokey d LEFT RIGHT 0.05
    a|BRPOPLPUSH nokey d 0.05
    a|BLMPOP 0.05 2 n1 n2 LEFT COUNT 3
    a|BZPOPMIN noz 0.05
    a|BZPOPMAX noz 0.05
    a|BZMPOP 0.05 1 noz MAX
    a|BLPOP nokey 0.001
    a|BLPOP nokey 1e-400
    a|BLPOP nokey -1
    a|BLPOP nokey abc
    a|BLPOP nokey nan
    a|BLPOP nokey 1e20
    a|BLPOP nokey inf
    a|BLPOP nokey -inf
    a|BLPOP nokey 9223372036854775807
    a|BLPOP nokey 9223372036854776
    a|BLPOP nokey 1e5000
    a|BLPOP nokey 0.1.1
    a|BLPOP nokey
    a|BLMOVE k d UP RIGHT 0
    a|BLMOVE k d LEFT RIGHT x
    a|BRPOPLPUSH k d -2
    a|BLMPOP 0 0 k LEFT
    a|BLMPOP 0 -1 k LEFT
    a|BLMPOP 0 abc k LEFT
    a|BLMPOP 0 2 k LEFT
    a|BLMPOP 0 1 k LEFT COUNT 0
    a|BLMPOP 0 1 k LEFT COUNT
    a|BLMPOP 0 1 k LEFT COUNT -1
    a|BLMPOP 0 1 k UP
    a|BLMPOP 0 1 k LEFT COUNT 1 COUNT 2
    a|BLMPOP x 1 k LEFT
    a|BLMPOP -1 1 k LEFT
    a|BZMPOP 0 1 z LEFT
    a|BZMPOP 0 1 z MIN COUNT 0
    a|BZPOPMIN z x
    a|BZPOPMIN z
    a|SET str x
    a|BLPOP nokey str 0
    a|BLPOP str nokey 0
    a|BLMOVE str d LEFT RIGHT 0
    a|BZPOPMIN str 0
    a|BLMPOP 0 1 str LEFT
    a|BZMPOP 0 1 str MIN
    a|RPUSH l 1
    a|BLMOVE l str LEFT RIGHT 0
    a|LRANGE l 0 -1
    a|RPUSH l 2 3 4 5 6
    a|BLPOP nokey l 0
    a|BRPOP l 0
    a|BLPOP l l 0
    a|BLMOVE l l RIGHT LEFT 0
    a|BRPOPLPUSH l dst 0
    a|BLMPOP 0 2 nokey l RIGHT COUNT 10
    a|EXISTS l
    a|ZADD z 1 a 2 b 3.5 c -inf d
    a|BZPOPMIN z 0
    a|BZPOPMAX nokey z 0
    a|BZMPOP 0 1 z MIN COUNT 5
    a|EXISTS z
    `,
    `
    !a|HELLO 3
    a|BLPOP nokey 0.05
    a|BLMOVE nokey d LEFT RIGHT 0.05
    a|BZPOPMIN noz 0.05
    a|BZMPOP 0.05 1 noz MIN
    a|ZADD z3 1.5 a 2 b 3 c
    a|BZPOPMIN z3 0
    a|BZMPOP 0 1 z3 MAX COUNT 2
    a|RPUSH l3 x y
    a|BLMPOP 0 1 l3 LEFT COUNT 5
    `,
  ]);
});

Deno.test("blocked clients are woken by every kind of write like redis-server 7.0", async () => {
  await assertSameConversation(`
    b1|BLPOP k1 0|0
    b2|BRPOP k2 0|0
    b3|BLPOP k3 0|0
    b4|BLMOVE k4 k4dst LEFT RIGHT 0|0
    b5|BZPOPMIN z5 0|0
    b6|BLPOP k6 0|0
    #sleep 150
    w|RPUSH src x y
    w|RENAME src k1
    b1||1
    w|SELECT 1
    w|RPUSH k2 in-db1
    w|SWAPDB 0 1
    b2||1
    w|SWAPDB 0 1
    w|SELECT 0
    w|RPUSH tmp 3 1 2
    w|SORT tmp STORE k3
    b3||1
    w|RPUSH other z
    w|LMOVE other k4 LEFT LEFT
    b4||1
    w|LRANGE k4dst 0 -1
    w|EXISTS k4
    w|ZADD tmpz 5 m 1 n
    w|ZUNIONSTORE z5 1 tmpz
    b5||1
    w|SET k6 string
    w|DEL k6
    w|MULTI
    w|RPUSH k6 a
    w|RPUSH k6 b
    w|LPUSH k6 c
    w|EXEC
    b6||1
    w|LRANGE k6 0 -1
    b7|BLPOP k7 0|0
    #sleep 100
    w|RPUSH k7 a
    w|DEL k7
    w|RPUSH k7 b
    b7||1
  `);
});

Deno.test("chained and circular BLMOVEs serve one another like redis-server 7.0", async () => {
  await assertSameConversation(`
    c1|BRPOPLPUSH list1 list2 0|0
    c2|BRPOPLPUSH list2 list3 0|0
    c3|BLPOP list3 0|0
    #sleep 150
    w|RPUSH list1 foo
    c1||1
    c2||1
    c3||1
    w|EXISTS list1 list2 list3
    d1|BLMOVE ring1 ring2 LEFT RIGHT 0|0
    d2|BLMOVE ring2 ring1 LEFT RIGHT 0|0
    #sleep 150
    w|RPUSH ring1 x
    d1||1
    d2||1
    w|LRANGE ring1 0 -1
    w|LRANGE ring2 0 -1
    s1|BRPOPLPUSH self self 0|0
    #sleep 100
    w|RPUSH self a b
    s1||1
    w|LRANGE self 0 -1
    e1|BRPOPLPUSH blist target 0|0
    e2|BRPOPLPUSH blist target2 0|0
    #sleep 150
    w|SET target notalist
    w|RPUSH blist one
    e1||1
    e2||1
    w|LRANGE blist 0 -1
    w|LRANGE target2 0 -1
  `);
});

Deno.test("several clients blocked on one key are served one element each in arrival order", async () => {
  const server = await startRedeno();
  const waiting: RespConnection[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      waiting.push(await sendBlocking(server.port, "BLPOP", "queue", "other", "0"));
      await waitBlocked(server.port, i + 1);
    }
    const both = await sendBlocking(server.port, "BZPOPMIN", "queue", "0");
    await waitBlocked(server.port, 6);
    assert.equal(await call(server.port, "RPUSH", "queue", "1", "2", "3"), 3);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await waiting[i].reply(), ["queue", String(i + 1)]);
    }
    await waitBlocked(server.port, 3);
    assert.equal(await call(server.port, "LPUSH", "other", "a", "b"), 2);
    assert.deepEqual(await waiting[3].reply(), ["other", "b"]);
    assert.deepEqual(await waiting[4].reply(), ["other", "a"]);
    // The zset waiter on a key that became a list was not served.
    assert.equal(await call(server.port, "EXISTS", "queue", "other"), 0);
    const clients = String(await call(server.port, "CLIENT", "LIST"));
    assert.equal(clients.split("\n").filter((l) => / flags=b /.test(l)).length, 1);
    assert.equal(await call(server.port, "ZADD", "queue", "1", "m"), 1);
    assert.deepEqual(await both.reply(), ["queue", "m", "1"]);
    await waitBlocked(server.port, 0);
    await both.close();
  } finally {
    for (const conn of waiting) await conn.close();
    await server.stop();
  }
});

Deno.test("a client that disconnects while blocked is forgotten and takes no element", async () => {
  const server = await startRedeno();
  try {
    const gone = await sendBlocking(server.port, "BLPOP", "k", "0");
    const stays = await sendBlocking(server.port, "BLMOVE", "k", "dst", "LEFT", "RIGHT", "0");
    await waitBlocked(server.port, 2);
    await gone.close();
    await waitBlocked(server.port, 1);
    assert.equal(await call(server.port, "RPUSH", "k", "v1", "v2"), 2);
    assert.equal(await stays.reply(), "v1");
    assert.deepEqual(await call(server.port, "LRANGE", "k", "0", "-1"), ["v2"]);
    assert.deepEqual(await call(server.port, "LRANGE", "dst", "0", "-1"), ["v1"]);
    await stays.close();
    await waitBlocked(server.port, 0);
  } finally {
    await server.stop();
  }
});

Deno.test("a blocked client's pipelined commands wait for it, and fractional timeouts are honoured", async () => {
  const server = await startRedeno();
  const conn = await RespConnection.open(server.port);
  try {
    const started = Date.now();
    await conn.send("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$3\r\n0.3\r\n*1\r\n$4\r\nPING\r\n");
    assert.equal(await conn.reply(), null);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 280 && elapsed < 3000, `timed out after ${elapsed} ms`);
    assert.equal(await conn.reply(), "PONG");
    await conn.send(
      "*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*2\r\n$4\r\nECHO\r\n$5\r\nafter\r\n",
    );
    await waitBlocked(server.port, 1);
    await delay(100);
    assert.equal(conn.pending, "", "nothing is answered while blocked");
    await call(server.port, "RPUSH", "q", "v");
    assert.deepEqual(await conn.reply(), ["q", "v"]);
    assert.equal(await conn.reply(), "after");
  } finally {
    await conn.close();
    await server.stop();
  }
});

/** CLIENT UNBLOCK on clients blocked in each kind of pop; returns every raw reply. */
async function unblockScenario(port: number): Promise<string[]> {
  const out: string[] = [];
  const control = await RespClient.connect(port);
  const blocked = await RespClient.connect(port);
  try {
    const id = String(await blocked.command("CLIENT", "ID"));
    out.push(await control.raw("CLIENT", "UNBLOCK", id));
    for (
      const [argv, reason] of [
        [["BLPOP", "nokey", "0"], "TIMEOUT"],
        [["BLMOVE", "nokey", "dst", "LEFT", "LEFT", "0"], "ERROR"],
        [["BZPOPMIN", "nokey", "0"], undefined],
        [["BLMPOP", "0", "1", "nokey", "LEFT"], "error"],
      ] as Array<[string[], string | undefined]>
    ) {
      await blocked.write(encodeRequest(argv));
      await waitBlocked(port, 1);
      const args = ["CLIENT", "UNBLOCK", id, ...(reason === undefined ? [] : [reason])];
      out.push(await control.raw(...args));
      out.push((await withTimeout(blocked.read(), `the unblocked ${argv[0]}`)).raw);
      await waitBlocked(port, 0);
    }
    out.push(await control.raw("CLIENT", "UNBLOCK", id, "later"));
    out.push(await control.raw("CLIENT", "UNBLOCK", "x"));
    out.push(await control.raw("CLIENT", "UNBLOCK", id, "TIMEOUT", "extra"));
    out.push(await blocked.raw("LLEN", "dst"));
  } finally {
    control.close();
    blocked.close();
  }
  return out;
}

Deno.test("CLIENT UNBLOCK ends a blocking pop as a timeout or with -UNBLOCKED, like redis-server 7.0", async () => {
  const [redeno, redis] = await Promise.all([startRedeno(), startRedis()]);
  try {
    const [ours, theirs] = await Promise.all([
      unblockScenario(redeno.port),
      unblockScenario(redis.port),
    ]);
    assert.deepEqual(ours, theirs);
    assert.ok(ours.includes("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"));
  } finally {
    await Promise.all([redeno.stop(), redis.stop()]);
  }
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
          text = String.fromCharCode(...await Deno.readFile(`${dir}/${entry.name}`));
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

Deno.test("served and immediate blocking pops reach the AOF as redis-server 7.0 writes them", async () => {
  const script = `
    b1|BLPOP l1 l2 0|0
    b2|BLMOVE s1 d1 left RIGHT 0|0
    b3|BRPOPLPUSH s2 d2 0|0
    b4|BZPOPMIN z1 0|0
    b5|BLMPOP 0 2 m1 m2 RIGHT COUNT 5|0
    b6|BZMPOP 0 1 zz MAX COUNT 3|0
    #sleep 150
    w|RPUSH l2 a b c
    w|RPUSH s1 x y
    w|RPUSH s2 p q
    w|ZADD z1 1 a 2 b
    w|RPUSH m2 1 2 3
    w|ZADD zz 1 a 2 b
    b1||1
    b2||1
    b3||1
    b4||1
    b5||1
    b6||1
    w|BLPOP l2 0
    w|BZPOPMAX z1 0
    w|BLMOVE s1 d1 Right left 0
    w|BRPOPLPUSH s2 d2 0
    w|BLMPOP 0 1 l2 left COUNT 7
    w|RPUSH mm 1 2
    w|ZADD zz 3 c 4 d
    w|BZMPOP 0 1 zz MIN COUNT 7
    w|BLMPOP 0 1 mm LEFT
    w|SELECT 2
    b7|SELECT 2
    b7|BLPOP db2 0|0
    #sleep 100
    w|RPUSH db2 v
    b7||1
  `;
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
    assert.ok(!/BLPOP|BLMOVE|BZPOP|BLMPOP|BZMPOP|BRPOPLPUSH/i.test(aofOurs));
  } finally {
    await Promise.all([redeno.stop(), redis.stop()]);
  }
});

Deno.test("a client blocked on a replica is woken by the writes its master sends", async () => {
  const { master, replica } = await startPair({ replicaArgs: ["--replica-read-only", "no"] });
  try {
    const waiter = await sendBlocking(replica.port, "BLPOP", "jobs", "0");
    const zwaiter = await sendBlocking(replica.port, "BZPOPMAX", "scores", "0");
    await waitBlocked(replica.port, 2);
    await call(master.port, "RPUSH", "jobs", "job1");
    await call(master.port, "MULTI");
    assert.deepEqual(await withTimeout(waiter.reply(), "the served BLPOP"), ["jobs", "job1"]);
    const conn = await RespClient.connect(master.port);
    try {
      await conn.pipeline([["MULTI"], ["ZADD", "scores", "1", "a", "2", "b"], ["EXEC"]]);
    } finally {
      conn.close();
    }
    assert.deepEqual(await withTimeout(zwaiter.reply(), "the served BZPOPMAX"), [
      "scores",
      "b",
      "2",
    ]);
    await waitBlocked(replica.port, 0);
    await waiter.close();
    await zwaiter.close();
  } finally {
    await stopAll(master, replica);
  }
});

Deno.test("ioredis gets a timed out BLPOP as null and a served one as its element", async () => {
  const server = await startRedeno();
  const waiter = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  const pusher = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await waiter.connect();
    await pusher.connect();
    assert.equal(await waiter.blpop("empty", 0.1), null);
    const served = waiter.brpop("tasks", 0);
    await waitBlocked(server.port, 1);
    await pusher.rpush("tasks", "first", "second");
    assert.deepEqual(await withTimeout(served, "BRPOP"), ["tasks", "second"]);
    assert.equal(await waiter.blmove("tasks", "done", "LEFT", "RIGHT", 1), "first");
    assert.deepEqual(await pusher.lrange("done", 0, -1), ["first"]);
    const fields = await info(server.port, "clients");
    assert.equal(fields.blocked_clients, "0");
  } finally {
    waiter.disconnect();
    pusher.disconnect();
    await server.stop();
  }
});
