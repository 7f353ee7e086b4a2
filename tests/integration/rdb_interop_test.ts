/**
 * RDB interoperability with the reference redis-server 7.0:
 * (a) a file written by our encoder passes redis-check-rdb, and redis-server
 *     loads it and serves the same dataset, key by key, in the encodings we
 *     meant; DUMP payloads agree both ways;
 * (b) a dump.rdb written by redis-server, holding every type in its small and
 *     large encodings, decodes to exactly what was written into it.
 */
import { Hash } from "../../src/store/hash.ts";
import assert from "node:assert/strict";
import { encodeRdb, encodeValueForDump } from "../../src/persistence/rdb_encoder.ts";
import { decodeDumpPayload, decodeRdb, type RdbEntry } from "../../src/persistence/rdb_decoder.ts";
import { strtod } from "../../src/persistence/rdb_constants.ts";
import { List } from "../../src/store/list.ts";
import { ZSet } from "../../src/store/zset.ts";
import type { RedisValue } from "../../src/store/types.ts";
import { ErrorReply, type Reply, RespClient } from "../helpers/resp_client.ts";
import { command, startRedeno, startRedis } from "../helpers/server_process.ts";
import { StringSet } from "../../src/store/set.ts";

/** Commands sent per write when populating a server. */
const PIPELINE = 200;

type Expected = { db: number; key: string; value: RedisValue; expireAt?: number };

/** A comparable form of a value (hash and set contents sorted). */
function plain(v: RedisValue): unknown {
  if (typeof v === "string") return v;
  if (v instanceof List) return ["list", Array.from(v.values())];
  if (v instanceof Hash) return ["hash", Array.from(v.entries()).sort()];
  if (v instanceof StringSet) return ["set", Array.from(v).sort()];
  return ["zset", Array.from((v as ZSet).entries())];
}

function zsetOf(entries: Iterable<[string, number]>): ZSet {
  const z = new ZSet();
  for (const [m, s] of entries) z.add(m, s);
  return z;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

const BINARY = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");

/** Every type in every encoding Redis 7.0 uses, with the encoding it should load as. */
function dataset(now: number): [Expected, string][] {
  return [
    [{ db: 0, key: "str", value: "hello" }, "embstr"],
    [{ db: 0, key: "str:int", value: "12345" }, "int"],
    [{ db: 0, key: "str:bigint", value: "-9223372036854775808" }, "int"],
    [{ db: 0, key: "str:lzf", value: "compress me ".repeat(50) }, "raw"],
    [{ db: 0, key: "str:bin\x00\xff", value: BINARY }, "raw"],
    [{ db: 0, key: "str:empty", value: "" }, "embstr"],
    [{ db: 0, key: "str:ttl", value: "soon", expireAt: now + 3_600_000 }, "embstr"],
    [{ db: 0, key: "list:small", value: List.from(["a", "1", "-7", BINARY, ""]) }, "quicklist"],
    [
      { db: 0, key: "list:big", value: List.from(range(20000).map((i) => `element-${i}`)) },
      "quicklist",
    ],
    [
      { db: 0, key: "hash:small", value: Hash.from([["f", "v"], ["n", "42"], [BINARY, "b"]]) },
      "hashtable",
    ],
    [{ db: 0, key: "hash:lp", value: Hash.from([["f", "v"], ["n", "42"]]) }, "listpack"],
    [
      {
        db: 0,
        key: "hash:big",
        value: Hash.from(range(1000).map((i) => [`field${i}`, `value${i}`])),
      },
      "hashtable",
    ],
    [{ db: 0, key: "set:int16", value: StringSet.from(["1", "2", "-3"]) }, "intset"],
    [
      {
        db: 0,
        key: "set:int64",
        value: StringSet.from(["1", "5000000000", "-9223372036854775808"]),
      },
      "intset",
    ],
    [{ db: 0, key: "set:text", value: StringSet.from(["a", "b", BINARY]) }, "hashtable"],
    [{ db: 0, key: "set:bigint", value: StringSet.from(range(1000).map(String)) }, "hashtable"],
    [{
      db: 0,
      key: "zset:lp",
      value: zsetOf([["a", 1.5], ["b", -2], ["c", 1e17], ["d", Infinity]]),
    }, "listpack"],
    [
      { db: 0, key: "zset:big", value: zsetOf(range(500).map((i) => [`m${i}`, i * 0.25 - 10])) },
      "skiplist",
    ],
    [
      { db: 0, key: "zset:longmember", value: zsetOf([["x".repeat(100), 3], ["y", -Infinity]]) },
      "skiplist",
    ],
    [{ db: 1, key: "db1", value: "one", expireAt: now + 86_400_000 }, "embstr"],
    [{ db: 1, key: "db1:list", value: List.from(["x"]), expireAt: now + 1_000_000 }, "quicklist"],
    [{ db: 15, key: "db15", value: StringSet.from(["z"]) }, "hashtable"],
  ];
}

/** Sends commands in pipelined batches; returns the replies, failing on any error reply. */
async function pipeline(conn: RespClient, commands: string[][]): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let i = 0; i < commands.length; i += PIPELINE) {
    const batch = commands.slice(i, i + PIPELINE);
    const got = await conn.pipeline(batch);
    for (let k = 0; k < batch.length; k++) {
      const reply = got[k].value;
      if (reply instanceof ErrorReply) throw new Error(`${batch[k][0]}: ${reply.message}`);
      replies.push(reply);
    }
  }
  return replies;
}

/** The commands that create `e` in a server. */
function writeCommands(e: Expected): string[][] {
  const v = e.value;
  const cmds: string[][] = [["SELECT", String(e.db)]];
  if (typeof v === "string") {
    cmds.push(["SET", e.key, v]);
  } else if (v instanceof List) {
    const all = Array.from(v.values());
    for (let i = 0; i < all.length; i += 500) cmds.push(["RPUSH", e.key, ...all.slice(i, i + 500)]);
  } else if (v instanceof Hash) {
    const all = Array.from(v.entries()).flat();
    for (let i = 0; i < all.length; i += 500) cmds.push(["HSET", e.key, ...all.slice(i, i + 500)]);
  } else if (v instanceof StringSet) {
    cmds.push(["SADD", e.key, ...v]);
  } else {
    const args = Array.from((v as ZSet).entries()).flatMap(([m, s]) => [
      s === Infinity ? "+inf" : s === -Infinity ? "-inf" : String(s),
      m,
    ]);
    cmds.push(["ZADD", e.key, ...args]);
  }
  if (e.expireAt !== undefined) cmds.push(["PEXPIREAT", e.key, String(e.expireAt)]);
  return cmds;
}

/** Reads `key` back from a server with type-aware commands. */
async function readValue(conn: RespClient, key: string): Promise<RedisValue | undefined> {
  const type = await conn.command("TYPE", key);
  switch (type) {
    case "none":
      return undefined;
    case "string":
      return await conn.command("GET", key) as string;
    case "list":
      return List.from(await conn.command("LRANGE", key, "0", "-1") as string[]);
    case "hash": {
      const flat = await conn.command("HGETALL", key) as string[];
      const map = new Hash();
      for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
      return map;
    }
    case "set":
      return StringSet.from(await conn.command("SMEMBERS", key) as string[]);
    case "zset": {
      const flat = await conn.command("ZRANGE", key, "0", "-1", "WITHSCORES") as string[];
      const z = new ZSet();
      for (let i = 0; i < flat.length; i += 2) z.add(flat[i], strtod(flat[i + 1]));
      return z;
    }
  }
  throw new Error(`unexpected TYPE reply ${JSON.stringify(type)}`);
}

async function checkRdb(path: string): Promise<string> {
  const out = await new Deno.Command("redis-check-rdb", {
    args: [path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /RDB looks OK/);
  return text;
}

Deno.test("redis-server 7.0 checks, loads and serves an RDB file written by our encoder", async () => {
  const now = Date.now();
  const data = dataset(now);
  const byDb = new Map<number, [string, RedisValue, number | undefined][]>();
  for (const [e] of data) {
    if (!byDb.has(e.db)) byDb.set(e.db, []);
    byDb.get(e.db)!.push([e.key, e.value, e.expireAt]);
  }
  const bytes = encodeRdb(
    Array.from(byDb, ([index, entries]) => ({ index, entries })),
    { usedMem: 1 << 20 },
    { hashMaxListpackValue: 64 },
  );
  const dir = await Deno.makeTempDir({ prefix: "redeno_rdb_" });
  try {
    await Deno.writeFile(`${dir}/dump.rdb`, bytes);
    const report = await checkRdb(`${dir}/dump.rdb`);
    assert.match(report, new RegExp(`${data.length} keys read`));
    const server = await startRedis(["--dbfilename", "dump.rdb"], { dir });
    try {
      const conn = await RespClient.connect(server.port);
      try {
        for (const db of [0, 1, 15]) {
          await conn.command("SELECT", String(db));
          assert.equal(await conn.command("DBSIZE"), data.filter(([e]) => e.db === db).length);
        }
        for (const [e, encoding] of data) {
          await conn.command("SELECT", String(e.db));
          const got = await readValue(conn, e.key);
          assert.ok(got !== undefined, `missing ${JSON.stringify(e.key)}`);
          assert.deepEqual(plain(got), plain(e.value), e.key);
          const expireTime = await conn.command("PEXPIRETIME", e.key);
          assert.equal(expireTime, e.expireAt ?? -1, `${e.key} expire`);
          // Redis keeps the encoding it loaded; hash:small has a 256-byte field.
          assert.equal(await conn.command("OBJECT", "ENCODING", e.key), encoding, e.key);
          // Its DUMP of what it loaded decodes to the same value…
          const dump = await conn.command("DUMP", e.key) as string;
          const dumpBytes = Uint8Array.from(dump, (c) => c.charCodeAt(0));
          assert.deepEqual(plain(decodeDumpPayload(dumpBytes)), plain(e.value), `${e.key} DUMP`);
          // …and for order-preserving encodings is byte for byte ours.
          if (!["hashtable"].includes(encoding)) {
            assert.deepEqual(dumpBytes, encodeValueForDump(e.value), `${e.key} DUMP bytes`);
          }
          // Our DUMP payload is accepted by RESTORE.
          const payload = encodeValueForDump(e.value);
          const restored = await conn.command("RESTORE", `${e.key}:restored`, "0", latin1(payload));
          assert.equal(restored, "OK", e.key);
          assert.deepEqual(plain((await readValue(conn, `${e.key}:restored`))!), plain(e.value));
        }
      } finally {
        conn.close();
      }
      assert.match(server.log(), /DB loaded from disk/);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 8192)));
  }
  return s;
}

Deno.test("our decoder reads back a dump.rdb that redis-server 7.0 saved", async () => {
  const now = Date.now();
  const data = dataset(now);
  const server = await startRedis(["--dbfilename", "dump.rdb"]);
  let bytes: Uint8Array;
  try {
    const conn = await RespClient.connect(server.port);
    try {
      await pipeline(conn, data.flatMap(([e]) => writeCommands(e)));
      // A few Redis-only encodings: integer-encoded strings and upgraded intsets.
      await pipeline(conn, [
        ["SELECT", "2"],
        ["SET", "counter", "10"],
        ["INCRBY", "counter", "5"],
        ["SADD", "grown", "1"],
        ["SADD", "grown", "100000"],
        ["SREM", "grown", "100000"],
        ["LPUSH", "pushed-head", ...range(3000).map(String)],
        ["HSET", "h-converted", "f", "v".repeat(100)],
        ["HDEL", "h-converted", "f"],
        ["HSET", "h-converted", "g", "w"],
      ]);
      assert.equal(await conn.command("SAVE"), "OK");
    } finally {
      conn.close();
    }
    bytes = await Deno.readFile(`${server.dir}/dump.rdb`);
  } finally {
    await server.stop();
  }

  const decoded = decodeRdb(bytes);
  assert.equal(decoded.version, 10);
  assert.equal(decoded.aux.redisVer, "7.0.15");
  assert.equal(decoded.aux.redisBits, 64);
  assert.ok(Math.abs(decoded.aux.ctime! - now / 1000) < 120);
  assert.ok(decoded.aux.usedMem! > 0);
  assert.equal(decoded.aux.aofBase, false);
  assert.equal(decoded.emptyKeysSkipped, 0);

  const got = new Map<string, RdbEntry>();
  for (const [db, entries] of decoded.dbs) for (const e of entries) got.set(`${db}/${e.key}`, e);
  for (const [e] of data) {
    const entry = got.get(`${e.db}/${e.key}`);
    assert.ok(entry, `missing ${e.db}/${JSON.stringify(e.key)}`);
    assert.deepEqual(plain(entry.value), plain(e.value), e.key);
    assert.equal(entry.expireAtMs, e.expireAt, `${e.key} expire`);
    got.delete(`${e.db}/${e.key}`);
  }
  assert.equal(got.get("2/counter")?.value, "15");
  assert.deepEqual(plain(got.get("2/grown")!.value), ["set", ["1"]]);
  assert.deepEqual(
    plain(got.get("2/pushed-head")!.value),
    ["list", range(3000).map(String).reverse()],
  );
  assert.deepEqual(plain(got.get("2/h-converted")!.value), ["hash", [["g", "w"]]]);
  assert.equal(got.size, 4);
  assert.deepEqual(decoded.resizeHints.get(1), { size: 2, expiresSize: 2 });
});

Deno.test("Redeno started on redis-server's dump serves it, and saves it back for redis-server", async () => {
  // Redeno loads small collections packed (src/store/packed.ts): its SAVE, made before any key
  // is read, copies them as they are; the reads after it unpack them.
  const now = Date.now();
  const data = dataset(now);
  const dir = await Deno.makeTempDir({ prefix: "redeno_rdb_back_" });
  try {
    const redis = await startRedis(["--dbfilename", "dump.rdb", "--enable-debug-command", "yes"], {
      dir,
    });
    let digest: Reply;
    try {
      const conn = await RespClient.connect(redis.port);
      try {
        await pipeline(conn, data.flatMap(([e]) => writeCommands(e)));
        assert.equal(await conn.command("SAVE"), "OK");
        digest = await conn.command("DEBUG", "DIGEST");
      } finally {
        conn.close();
      }
    } finally {
      await redis.stop();
    }
    const redeno = await startRedeno(
      ["--dbfilename", "dump.rdb", "--enable-debug-command", "yes"],
      { dir },
    );
    try {
      const conn = await RespClient.connect(redeno.port);
      try {
        assert.equal(await conn.command("DEBUG", "DIGEST"), digest);
        assert.equal(await conn.command("SAVE"), "OK");
        for (const [e, encoding] of data) {
          await conn.command("SELECT", String(e.db));
          assert.equal(await conn.command("OBJECT", "ENCODING", e.key), encoding, e.key);
          assert.deepEqual(plain((await readValue(conn, e.key))!), plain(e.value), e.key);
        }
        assert.equal(await conn.command("DEBUG", "DIGEST"), digest);
      } finally {
        conn.close();
      }
    } finally {
      await redeno.stop();
    }
    assert.match(await checkRdb(`${dir}/dump.rdb`), new RegExp(`${data.length} keys read`));
    const again = await startRedis(["--dbfilename", "dump.rdb", "--enable-debug-command", "yes"], {
      dir,
    });
    try {
      assert.equal(await command(again.port, "DEBUG", "DIGEST"), digest);
    } finally {
      await again.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
