/**
 * Pub/sub and keyspace notifications against real processes: subscribe,
 * publish and PUBSUB replies compared byte for byte with redis-server 7.0 in
 * RESP2 and RESP3, keyspace events per notify-keyspace-events class, the
 * pubsub output-buffer limit disconnecting a subscriber that never reads,
 * ioredis and redis-cli as subscribers.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { encodeRequest, RespClient } from "../helpers/resp_client.ts";
import { assertSameConversation, withTimeout } from "../helpers/conversation.ts";
import { REPO_ROOT, startRedeno } from "../helpers/server_process.ts";
import { call, waitUntil } from "../helpers/replication.ts";

Deno.test("SUBSCRIBE, PSUBSCRIBE, PUBLISH and the unsubscribes answer like redis-server 7.0 in RESP2", async () => {
  await assertSameConversation(`
    a|UNSUBSCRIBE
    a|PUNSUBSCRIBE
    a|SUBSCRIBE c1 c2 c1|3
    a|PSUBSCRIBE c* d?|2
    a|PING|1
    a|PING hello|1
    a|GET x
    a|MULTI
    a|SELECT 1
    b|PUBLISH c1 hello
    a||2
    b|PUBLISH dx bin\x00\xff
    a||1
    b|PUBLISH nobody msg
    b|PUBSUB NUMPAT
    b|PUBSUB NUMSUB c1 c2 zz
    b|PUBSUB NUMSUB
    b|PUBSUB CHANNELS c[1]
    b|PUBSUB CHANNELS x*
    b|PUBSUB HELP
    b|PUBSUB FOO
    b|PUBSUB NUMPAT x
    b|PUBSUB CHANNELS a b
    b|PUBSUB
    a|UNSUBSCRIBE c2 zz|2
    a|PUNSUBSCRIBE d?|1
    a|PUNSUBSCRIBE|1
    a|UNSUBSCRIBE|1
    a|GET x
    a|SUBSCRIBE
    a|PUBLISH a
    c|PSUBSCRIBE *|1
    c|RESET
    b|PUBSUB NUMPAT
    b|PUBLISH any thing
  `);
});

Deno.test("a RESP3 subscriber gets push messages and may run any command, like redis-server 7.0", async () => {
  await assertSameConversation(`
    !a|HELLO 3
    a|SUBSCRIBE news|1
    a|PSUBSCRIBE n*|1
    a|PING
    a|SET k v
    a|GET k
    b|PUBLISH news flash
    a||2
    a|UNSUBSCRIBE|1
    a|UNSUBSCRIBE|1
    a|PUNSUBSCRIBE|1
    !c|HELLO 3
    c|SUBSCRIBE self|1
    c|PUBLISH self echo|2
    c|PUBSUB NUMSUB self
  `);
});

Deno.test("sharded pub/sub (SSUBSCRIBE, SPUBLISH, SUNSUBSCRIBE) answers like redis-server 7.0", async () => {
  await assertSameConversation(`
    a|SUNSUBSCRIBE
    a|SSUBSCRIBE s1 s2 s1|3
    a|SUBSCRIBE s1|1
    a|PSUBSCRIBE s*|1
    a|PING|1
    a|GET x
    b|SPUBLISH s1 hello
    a||1
    b|PUBLISH s1 plain
    a||2
    b|SPUBLISH nobody msg
    b|SPUBLISH s1
    b|PUBSUB SHARDCHANNELS s[1]
    b|PUBSUB SHARDCHANNELS s[2]
    b|PUBSUB SHARDNUMSUB s1 s2 zz
    b|PUBSUB NUMSUB s1 s2
    a|SUNSUBSCRIBE s2 zz|2
    a|UNSUBSCRIBE|1
    a|PUNSUBSCRIBE|1
    a|PING|1
    a|SUNSUBSCRIBE|1
    a|GET x
    a|SSUBSCRIBE
    !c|HELLO 3
    c|SSUBSCRIBE mine|1
    c|SPUBLISH mine echo|2
    c|RESET
    b|PUBSUB SHARDNUMSUB mine
    b|COMMAND INFO ssubscribe sunsubscribe spublish
    b|COMMAND GETKEYS SPUBLISH ch msg
  `);
});

Deno.test("disconnecting or resetting subscribers removes their subscriptions", async () => {
  const server = await startRedeno();
  try {
    const subs: RespClient[] = [];
    for (let i = 0; i < 5; i++) {
      const sub = await RespClient.connect(server.port);
      await sub.command("SUBSCRIBE", "room");
      await sub.command("PSUBSCRIBE", `r*${i}`);
      await sub.command("SSUBSCRIBE", "shard");
      await sub.command("SSUBSCRIBE", `shard${i}`);
      subs.push(sub);
    }
    assert.deepEqual(await call(server.port, "PUBSUB", "NUMSUB", "room"), ["room", 5]);
    assert.deepEqual(await call(server.port, "PUBSUB", "SHARDNUMSUB", "shard"), ["shard", 5]);
    const list = String(await call(server.port, "CLIENT", "LIST", "TYPE", "pubsub"));
    assert.equal(list.match(/ flags=P .* sub=1 psub=1 ssub=2 /g)?.length, 5, list);
    const stats = String(await call(server.port, "INFO", "stats"));
    assert.match(stats, /\r\npubsubshard_channels:6\r\n/);
    assert.equal(await call(server.port, "PUBSUB", "NUMPAT"), 5);
    for (const sub of subs.slice(0, 4)) sub.close();
    assert.equal(await subs[4].command("RESET"), "RESET");
    await waitUntil("subscriptions to go", async () => {
      const numsub = await call(server.port, "PUBSUB", "NUMSUB", "room");
      const numpat = await call(server.port, "PUBSUB", "NUMPAT");
      const shards = await call(server.port, "PUBSUB", "SHARDCHANNELS");
      return JSON.stringify(numsub) === '["room",0]' && numpat === 0 &&
        JSON.stringify(shards) === "[]";
    }, 5000);
    assert.equal(await call(server.port, "PUBLISH", "room", "x"), 0);
    assert.deepEqual(await call(server.port, "PUBSUB", "CHANNELS"), []);
    subs[4].close();
  } finally {
    await server.stop();
  }
});

Deno.test("keyspace notifications of expiry, key creation and blocking pops match redis-server 7.0 per class", async () => {
  // Only events emitted by expiry, key creation and served blocking pops are
  // subscribed to, each conversation under one notify-keyspace-events value.
  const flags = ["Ex", "Kx", "Kxn", "En", "EA", "El", "Eg", "Ez", "Elgz", "E$"];
  await assertSameConversation(flags.map((f) => `
    w|FLUSHALL
    s|CONFIG SET notify-keyspace-events ${f}
    s|SUBSCRIBE __keyevent@0__:expired __keyspace@0__:vol __keyevent@0__:new __keyevent@0__:lpop __keyevent@0__:rpop __keyevent@0__:lpush __keyevent@0__:del __keyevent@0__:zpopmin __keyevent@0__:zpopmax|9
    w|SET vol v PX 50
    #sleep 300
    w|GET vol
    s|PING|pong
    b|BLPOP list 0|0
    c|BZPOPMAX zs 0|0
    d|BLMOVE src dst RIGHT LEFT 0|0
    #sleep 100
    w|RPUSH list a
    b||1
    w|ZADD zs 1 m
    c||1
    w|RPUSH src q
    d||1
    w|RPUSH list2 x y
    w|BRPOP list2 0
    w|BRPOP list2 0
    s|PING|pong
  `));
});

/** Writes of every family, each raising its keyspace events (DUMP/RESTORE aside). */
const EVERY_FAMILY_WRITES = `
  w|SET s1 v
  w|SET s2 v EX 100
  w|SETEX s3 100 v
  w|SETNX s1 x
  w|SETNX s4 x
  w|MSET m1 a m2 b
  w|MSETNX m1 a m3 c
  w|GETSET s1 y
  w|GETDEL s4
  w|GETEX s1 EX 50
  w|GETEX s1 PERSIST
  w|APPEND s1 zz
  w|INCR n
  w|DECRBY n 5
  w|INCRBYFLOAT f 1.5
  w|SETRANGE s1 1 abc
  w|SETBIT b 3 1
  w|BITFIELD bf SET u8 0 200
  w|BITOP OR bo b bf
  w|BITOP AND bo2 nokey
  w|PFADD h a b c
  w|PFMERGE h2 h
  w|EXPIRE s2 500
  w|PEXPIRE s2 -1
  w|PERSIST s3
  w|RENAME s3 s5
  w|MOVE s5 1
  w|COPY m1 m4
  w|DEL m1 m2 nokey
  w|UNLINK m3
  w|RPUSH l a b c d e
  w|LPUSH l z
  w|LPUSHX nol x
  w|LINSERT l BEFORE c q
  w|LSET l 0 y
  w|LREM l 1 q
  w|LTRIM l 0 3
  w|LPOP l
  w|RPOP l 2
  w|LMOVE l l2 LEFT RIGHT
  w|RPOPLPUSH l2 l
  w|LMPOP 1 l RIGHT COUNT 10
  w|RPUSH sl 3 1 2
  w|SORT sl STORE sorted
  w|SORT nokey STORE sorted
  w|HSET hh f1 v1 f2 v2
  w|HSETNX hh f1 x
  w|HSETNX hh f3 x
  w|HINCRBY hh n 2
  w|HINCRBYFLOAT hh fl 1.5
  w|HDEL hh f1 f2 f3 n fl
  w|SADD st a b c
  w|SREM st a
  w|SMOVE st st2 b
  w|SPOP st
  w|SADD st3 1 2 3 4 5
  !w|SPOP st3 2
  !w|SPOP st3 10
  w|SADD sa 1 2
  w|SADD sb 2 3
  w|SINTERSTORE si sa sb
  w|SUNIONSTORE su sa sb
  w|SDIFFSTORE sd sa sa
  w|SINTERSTORE su nokey sa
  w|ZADD z 1 a 2 b 3 c
  w|ZADD z INCR 5 a
  w|ZINCRBY z 1 b
  w|ZREM z c
  w|ZADD z 7 d 8 e 9 f
  w|ZREMRANGEBYRANK z 0 0
  w|ZREMRANGEBYSCORE z 7 7
  w|ZADD zl 0 a 0 b 0 c
  w|ZREMRANGEBYLEX zl [a [b
  w|ZPOPMIN z
  w|ZPOPMAX z 5
  w|ZADD za 1 x
  w|ZADD zb 2 x
  w|ZUNIONSTORE zu 2 za zb
  w|ZINTERSTORE zi 2 za zb
  w|ZDIFFSTORE zd 2 za zb
  w|ZRANGESTORE zr za 0 -1
  w|ZRANGESTORE zr za 5 6
  w|ZMPOP 1 zu MIN
  w|SET vol v PX 1
  #sleep 20
  w|GET vol
`;

Deno.test("every write family raises the keyspace events redis-server 7.0 raises, per class", async () => {
  const flags = ["KEA", "KEAn", "K$", "Kg", "El", "Es", "Eh", "Ez", "Kx", "En", "E"];
  await assertSameConversation(flags.map((f) => `
    w|FLUSHALL
    s|CONFIG SET notify-keyspace-events ${f}
    s|PSUBSCRIBE *|1
    ${EVERY_FAMILY_WRITES}
    s|PING|pong
  `));
});

Deno.test("notify-keyspace-events accepts every class character like redis-server 7.0", async () => {
  const script = [
    "K",
    "E",
    "g",
    "$",
    "l",
    "s",
    "h",
    "z",
    "x",
    "e",
    "t",
    "m",
    "d",
    "n",
    "A",
    "KEA",
    "AKEmn",
    "Kgx",
    "Q",
    "",
  ]
    .map((flags) =>
      `a|CONFIG SET notify-keyspace-events ${
        flags === "" ? "''" : flags
      }\na|CONFIG GET notify-keyspace-events`
    )
    .join("\n");
  await assertSameConversation(script);
});

Deno.test("a subscriber that never reads is disconnected by client-output-buffer-limit pubsub", async () => {
  const server = await startRedeno(["--client-output-buffer-limit", "pubsub 1mb 512kb 1"]);
  const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const publisher = await RespClient.connect(server.port);
  try {
    // Subscribe and never read again.
    await slow.write(encodeRequest(["SUBSCRIBE", "firehose"]));
    await waitUntil("the subscription", async () => {
      const reply = await publisher.command("PUBSUB", "NUMSUB", "firehose");
      return JSON.stringify(reply) === '["firehose",1]';
    }, 5000);
    const message = "m".repeat(64 * 1024);
    let disconnected = false;
    // At most 64 MB: far more than the socket buffers and the 1 MB hard limit.
    for (let i = 0; i < 1000 && !disconnected; i++) {
      await publisher.command("PUBLISH", "firehose", message);
      if (i % 10 === 9) {
        const reply = await publisher.command("PUBSUB", "NUMSUB", "firehose");
        disconnected = JSON.stringify(reply) === '["firehose",0]';
      }
    }
    assert.ok(disconnected, "the slow subscriber was disconnected");
    assert.match(
      server.log(),
      /scheduled to be closed ASAP for overcoming of output buffer limits/,
    );
    assert.equal(await publisher.command("PUBLISH", "firehose", "after"), 0);
  } finally {
    publisher.close();
    try {
      slow.close();
    } catch {
      // closed by the server
    }
    await server.stop();
  }
});

Deno.test("ioredis subscribes to channels and patterns and receives messages", async () => {
  const server = await startRedeno();
  const sub = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  const pub = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await sub.connect();
    await pub.connect();
    const received: string[] = [];
    const all = new Promise<void>((resolve) => {
      const check = () => received.length === 3 && resolve();
      sub.on("message", (channel: string, message: string) => {
        received.push(`message ${channel} ${message}`);
        check();
      });
      sub.on("pmessage", (pattern: string, channel: string, message: string) => {
        received.push(`pmessage ${pattern} ${channel} ${message}`);
        check();
      });
    });
    assert.equal(await sub.subscribe("news", "sport"), 2);
    assert.equal(await sub.psubscribe("we*"), 3);
    assert.equal(await pub.publish("news", "héllo"), 1);
    assert.equal(await pub.publish("weather", "sunny"), 1);
    assert.equal(await pub.publish("sport", "goal"), 1);
    await withTimeout(all, "three messages");
    assert.deepEqual(received.sort(), [
      "message news héllo",
      "message sport goal",
      "pmessage we* weather sunny",
    ]);
  } finally {
    sub.disconnect();
    pub.disconnect();
    await server.stop();
  }
});

Deno.test("redis-cli in subscribe mode prints the messages published to its channel", async () => {
  const server = await startRedeno();
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(server.port), "SUBSCRIBE", "cli-channel"],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
    cwd: REPO_ROOT,
  }).spawn();
  let output = "";
  const reader = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) output += decoder.decode(chunk, { stream: true });
  })();
  try {
    await waitUntil("redis-cli to subscribe", async () => {
      const reply = await call(server.port, "PUBSUB", "NUMSUB", "cli-channel");
      return JSON.stringify(reply) === '["cli-channel",1]';
    }, 5000);
    assert.equal(await call(server.port, "PUBLISH", "cli-channel", "first"), 1);
    assert.equal(await call(server.port, "PUBLISH", "cli-channel", "second"), 1);
    await waitUntil("redis-cli to print both messages", () => output.includes("second"), 5000);
    assert.equal(
      output,
      "subscribe\ncli-channel\n1\nmessage\ncli-channel\nfirst\nmessage\ncli-channel\nsecond\n",
    );
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await reader;
    await server.stop();
  }
});

Deno.test("reads that find nothing publish keymiss events (class m) like Redis 7.0", async () => {
  await assertSameConversation(
    `
    sub|PSUBSCRIBE __key*
    c|GET nokey
    sub||1
    c|HGET nohash f
    sub||1
    c|EXISTS nokey2
    sub||1
    c|SET k v
    c|GET k
    c|SET x 1
    c|PEXPIRE x 1
    #sleep 20
    c|GET x
    sub|PING|pong
    `,
    ["--notify-keyspace-events", "Em"],
  );
});
