/**
 * Connection, server-admin, INFO and COMMAND families against real processes:
 * a Redeno server and the reference redis-server 7.0 get the same commands
 * over raw TCP, and the replies must be the same bytes wherever Redis's reply
 * is deterministic (ids, addresses and times are masked). Behaviour that only
 * shows over time or across connections — MONITOR, CLIENT KILL, CLIENT PAUSE,
 * DEBUG SLEEP, SHUTDOWN, requirepass — is checked directly.
 */
import assert from "node:assert/strict";
import { encodeRequest, ErrorReply, type Reply } from "../helpers/resp_client.ts";
import {
  delay,
  freePort,
  parseInfo,
  parseReply,
  redisCliWithInput,
  RespConnection,
  type ServerProcess,
  startRedeno,
  startRedis,
} from "../helpers/server_process.ts";
import { registerAllCommands } from "../../src/commands/mod.ts";
import { allCommands } from "../../src/commands/table.ts";

/** Both servers run with DEBUG allowed, as Redis's own test suite does. */
const ARGS = ["--enable-debug-command", "yes"];

/** Sends one command and returns its reply's raw bytes (as a byte string). */
async function rawCall(conn: RespConnection, ...args: string[]): Promise<string> {
  await conn.send(encodeRequest(args));
  const deadline = Date.now() + 10_000;
  while (true) {
    const parsed = parseReply(conn.pending, 0);
    if (parsed !== undefined) {
      const raw = conn.pending.slice(0, parsed.end);
      await conn.reply();
      return raw;
    }
    if (conn.closedByPeer) throw new Error(`connection closed during ${args.join(" ")}`);
    if (Date.now() > deadline) throw new Error(`no reply to ${args.join(" ")}`);
    await delay(2);
  }
}

/** Masks what legitimately differs between two servers: client ids, ports, addresses. */
function mask(raw: string): string {
  return raw
    .replace(/(\$2\r\nid\r\n):\d+/g, "$1:ID")
    .replace(/127\.0\.0\.1:\d+/g, "ADDR");
}

/** Runs each command on both connections and requires the same (masked) reply bytes. */
async function same(
  ours: RespConnection,
  redis: RespConnection,
  script: string[][],
): Promise<void> {
  for (const argv of script) {
    const [a, b] = [await rawCall(ours, ...argv), await rawCall(redis, ...argv)];
    assert.equal(mask(a), mask(b), `reply to ${JSON.stringify(argv)}`);
  }
}

/** A parsed reply with the elements at the given positions of each entry replaced. */
function maskEntries(reply: Reply, positions: number[]): Reply {
  if (!Array.isArray(reply)) return reply;
  return reply.map((entry) => {
    if (!Array.isArray(entry)) return entry;
    const copy = [...entry];
    for (const p of positions) copy[p] = "*";
    return copy;
  });
}

/** Sorts a COMMAND INFO entry's subcommands (Redis lists them in hash order). */
function sortSubcommands(entry: Reply): Reply {
  if (!Array.isArray(entry) || !Array.isArray(entry[9])) return entry;
  const subs = [...entry[9]].sort((x, y) =>
    String((x as Reply[])[0]).localeCompare(String((y as Reply[])[0]))
  );
  return [...entry.slice(0, 9), subs];
}

/**
 * Sends requests on a fresh connection and returns every byte received until
 * the server has been quiet for 300 ms (for reply types the parser lacks).
 */
async function rawExchange(port: number, requests: string[][]): Promise<string> {
  const conn = await RespConnection.open(port);
  try {
    for (const argv of requests) await conn.send(encodeRequest(argv));
    let seen = -1;
    while (conn.pending.length !== seen) {
      seen = conn.pending.length;
      await delay(300);
    }
    return conn.pending;
  } finally {
    await conn.close();
  }
}

/** A COMMAND DOCS reply [name, [k, v, …]] without the "subcommands" pair (in hash order in Redis). */
function withoutSubcommands(docs: Reply): Reply {
  if (!Array.isArray(docs) || !Array.isArray(docs[1])) return docs;
  const fields = docs[1];
  const i = fields.indexOf("subcommands");
  return [docs[0], i === -1 ? fields : fields.slice(0, i)];
}

/** The full names of the subcommands in a COMMAND INFO reply for one command. */
function subcommandNames(info: Reply): string[] {
  const entry = Array.isArray(info) ? info[0] : undefined;
  if (!Array.isArray(entry) || !Array.isArray(entry[9])) return [];
  return entry[9].map((sub) => String((sub as Reply[])[0]));
}

Deno.test("connection and server commands answer like Redis 7.0", async (t) => {
  const [ours, redis] = await Promise.all([startRedeno(ARGS), startRedis(ARGS)]);
  const a = await RespConnection.open(ours.port);
  const b = await RespConnection.open(redis.port);
  try {
    await t.step("LATENCY DOCTOR says monitoring is off on a fresh server", async () => {
      await same(a, b, [["LATENCY", "DOCTOR"], ["LATENCY", "LATEST"], ["LATENCY", "RESET"]]);
    });

    await t.step("cluster client commands get the cluster-disabled error", async () => {
      await same(a, b, [
        ["READONLY"],
        ["READWRITE"],
        ["ASKING"],
        ["READONLY", "extra"],
        ["COMMAND", "INFO", "readonly", "readwrite", "asking"],
        ["PING"],
      ]);
    });

    await t.step("AUTH without a configured password fails as Redis does", async () => {
      await same(a, b, [
        ["AUTH", "x"],
        ["AUTH", "default", "x"],
        ["AUTH", "nobody", "x"],
        ["AUTH", "a", "b", "c"],
        ["AUTH"],
      ]);
    });

    await t.step("HELLO answers the same map and the same errors", async () => {
      await same(a, b, [
        ["HELLO"],
        ["HELLO", "3"],
        ["PING"],
        ["HELLO", "2"],
        ["HELLO", "4"],
        ["HELLO", "1"],
        ["HELLO", "x"],
        ["HELLO", "2", "SETNAME", "a b"],
        ["HELLO", "2", "FOO"],
        ["HELLO", "2", "AUTH", "default"],
        ["HELLO", "3", "SETNAME", "x", "AUTH"],
        ["HELLO", "2", "AUTH", "default", "anything", "SETNAME", "hello-name"],
        ["CLIENT", "GETNAME"],
        ["HELLO", "2", "AUTH", "someone", "pw"],
      ]);
    });

    await t.step("CLIENT subcommands reply and fail as Redis does", async () => {
      await same(a, b, [
        ["CLIENT", "SETNAME", ""],
        ["CLIENT", "GETNAME"],
        ["CLIENT", "SETNAME", "a b"],
        ["CLIENT", "SETNAME", "caf\xe9"],
        ["CLIENT", "SETNAME", "x", "y"],
        ["CLIENT", "SETNAME", "conn-1"],
        ["CLIENT", "GETNAME"],
        ["CLIENT", "SETNAME", ""],
        ["CLIENT", "GETNAME"],
        ["CLIENT", "x"],
        ["CLIENT"],
        ["CLIENT", "ID", "x"],
        ["CLIENT", "INFO", "x"],
        ["CLIENT", "PAUSE", "x"],
        ["CLIENT", "PAUSE", "-1"],
        ["CLIENT", "PAUSE", "10", "x"],
        ["CLIENT", "PAUSE", "10", "all", "x"],
        ["CLIENT", "UNPAUSE", "x"],
        ["CLIENT", "UNPAUSE"],
        ["CLIENT", "REPLY", "x"],
        ["CLIENT", "REPLY", "ON"],
        ["CLIENT", "KILL", "1.2.3.4:5"],
        ["CLIENT", "KILL", "ID", "0"],
        ["CLIENT", "KILL", "ID", "x"],
        ["CLIENT", "KILL", "TYPE", "x"],
        ["CLIENT", "KILL", "ID", "1", "x"],
        ["CLIENT", "KILL", "USER", "bob"],
        ["CLIENT", "KILL", "MAXAGE", "1"],
        ["CLIENT", "KILL", "SKIPME", "x"],
        ["CLIENT", "KILL", "a", "b", "c"],
        ["CLIENT", "KILL", "TYPE", "master"],
        ["CLIENT", "KILL", "TYPE", "replica", "SKIPME", "yes"],
        ["CLIENT", "LIST", "ID", "x"],
        ["CLIENT", "LIST", "TYPE", "x"],
        ["CLIENT", "LIST", "x"],
        ["CLIENT", "LIST", "ID", "999999"],
        ["CLIENT", "LIST", "TYPE", "pubsub"],
        ["CLIENT", "NO-EVICT", "x"],
        ["CLIENT", "NO-EVICT", "on"],
        ["CLIENT", "NO-EVICT", "off"],
        ["CLIENT", "GETREDIR"],
        ["CLIENT", "TRACKINGINFO"],
        ["CLIENT", "HELP"],
      ]);
    });

    await t.step("CLIENT INFO and CLIENT LIST print Redis's fields", async () => {
      const info = String(await a.call("CLIENT", "INFO"));
      assert.match(
        info,
        /^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name= age=\d+ idle=\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=0 rbs=\d+ rbp=\d+ obl=\d+ oll=\d+ omem=\d+ tot-mem=\d+ events=r cmd=client\|info user=default redir=-1 resp=2\n$/,
      );
      const id = String(await a.call("CLIENT", "ID"));
      const list = String(await a.call("CLIENT", "LIST", "ID", id));
      assert.match(list, new RegExp(`^id=${id} .* cmd=client\\|list .*\\n$`));
    });

    await t.step("CONFIG GET, SET, RESETSTAT and REWRITE reply as Redis does", async () => {
      await same(a, b, [
        ["CONFIG", "GET"],
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "GET", "nosuch"],
        ["CONFIG", "GET", "maxmemory-p*"],
        ["CONFIG", "SET", "maxmemory"],
        ["CONFIG", "SET", "maxmemory", "1", "hz"],
        ["CONFIG", "SET", "nosuch", "1"],
        ["CONFIG", "SET", "maxmemory", "abc"],
        ["CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"],
        ["CONFIG", "SET", "daemonize", "yes"],
        ["CONFIG", "SET", "maxmemory", "10mb"],
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "SET", "maxmemory", "0"],
        ["CONFIG", "REWRITE"],
        ["CONFIG", "RESETSTAT", "x"],
        ["CONFIG", "RESETSTAT"],
        ["CONFIG", "nosuch"],
        ["CONFIG"],
        ["CONFIG", "HELP"],
      ]);
    });

    await t.step("DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, SELECT, ECHO and PING match", async () => {
      await same(a, b, [
        ["FLUSHALL", "x"],
        ["FLUSHALL", "ASYNC"],
        ["SET", "a", "1"],
        ["SET", "b", "2"],
        ["DBSIZE"],
        ["DBSIZE", "x"],
        ["SELECT", "1"],
        ["DBSIZE"],
        ["SWAPDB", "0", "1"],
        ["DBSIZE"],
        ["SELECT", "0"],
        ["DBSIZE"],
        ["SWAPDB", "0", "100"],
        ["SWAPDB", "a", "1"],
        ["SWAPDB", "0", "b"],
        ["SWAPDB", "0", "-1"],
        ["SWAPDB", "1", "0"],
        ["DBSIZE"],
        ["FLUSHDB", "a", "b"],
        ["FLUSHDB", "x"],
        ["FLUSHDB", "SYNC"],
        ["DBSIZE"],
        ["FLUSHALL"],
        ["SELECT", "100"],
        ["SELECT", "x"],
        ["SELECT", "0"],
        ["ECHO"],
        ["ECHO", "hello\x00world"],
        ["PING"],
        ["PING", "a"],
        ["PING", "a", "b"],
        ["TIME", "x"],
      ]);
      const time = await a.call("TIME");
      assert.ok(Array.isArray(time) && time.length === 2);
      const [sec, usec] = time.map(Number);
      assert.ok(Math.abs(sec - Date.now() / 1000) < 5 && usec >= 0 && usec < 1e6);
    });

    await t.step("SHUTDOWN rejects bad arguments as Redis does", async () => {
      await same(a, b, [
        ["SHUTDOWN", "x"],
        ["SHUTDOWN", "ABORT"],
        ["SHUTDOWN", "NOSAVE", "SAVE"],
        ["SHUTDOWN", "ABORT", "NOW"],
      ]);
    });

    await t.step("HELP texts and DEBUG errors are Redis's", async () => {
      await same(a, b, [
        ["CONFIG", "HELP"],
        ["DEBUG", "HELP"],
        ["LATENCY", "HELP"],
        ["SLOWLOG", "HELP"],
        ["COMMAND", "HELP"],
        ["DEBUG", "nosuch"],
        ["DEBUG"],
        ["DEBUG", "SLEEP"],
        ["DEBUG", "SET-ACTIVE-EXPIRE"],
      ]);
    });

    await t.step("DEBUG POPULATE and DEBUG CHANGE-REPL-ID match", async () => {
      const long = "p".repeat(140);
      await same(a, b, [
        ["SELECT", "9"],
        ["DEBUG", "POPULATE"],
        ["DEBUG", "POPULATE", "x"],
        ["DEBUG", "POPULATE", "-1"],
        ["DEBUG", "POPULATE", "1", "a", "-1"],
        ["DEBUG", "POPULATE", "1", "a", "1", "extra"],
        ["DEBUG", "POPULATE", "10"],
        ["DBSIZE"],
        ["GET", "key:9"],
        ["SET", "k:2", "kept"],
        ["DEBUG", "POPULATE", "4", "k", "3"],
        ["MGET", "k:0", "k:1", "k:2", "k:3"],
        ["DEBUG", "POPULATE", "2", "pad", "12"],
        ["GET", "pad:1"],
        ["OBJECT", "ENCODING", "pad:1"],
        ["DEBUG", "POPULATE", "2", "zero", "0"],
        ["GET", "zero:1"],
        ["DEBUG", "POPULATE", "2", long],
        // Both keys cut to the same 127 bytes: one key.
        ["DBSIZE"],
        ["EXISTS", `${long.slice(0, 127)}`],
        ["DEBUG", "CHANGE-REPL-ID", "x"],
        ["FLUSHDB"],
        ["SELECT", "0"],
      ]);
      const replication = async () => parseInfo(String(await a.call("INFO", "replication")));
      const before = (await replication()).get("master_replid");
      assert.equal(await a.call("DEBUG", "CHANGE-REPL-ID"), "OK");
      const after = await replication();
      assert.notEqual(after.get("master_replid"), before);
      assert.match(after.get("master_replid")!, /^[0-9a-f]{40}$/);
      assert.equal(after.get("master_replid2"), "0".repeat(40));
      assert.ok(
        ours.log().includes("Changing replication IDs after receiving DEBUG change-repl-id"),
      );
    });

    await t.step("DEBUG replies match, DEBUG OBJECT up to address and clock", async () => {
      await same(a, b, [
        ["DEBUG", "SLEEP", "0"],
        ["DEBUG", "SLEEP", "x"],
        ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
        ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
        ["DEBUG", "OBJECT", "nosuch"],
        ["DEBUG", "LOG", "hello from the test"],
        ["DEBUG", "ERROR", "boom"],
        ["DEBUG", "ERROR", "-CUSTOM boom"],
        ["DEBUG", "ERROR", "two\r\nlines"],
        ["DEBUG", "PROTOCOL", "x"],
      ]);
      for (
        const type of [
          "string",
          "integer",
          "double",
          "bignum",
          "null",
          "array",
          "set",
          "map",
          "attrib",
          "push",
          "true",
          "false",
          "verbatim",
        ]
      ) {
        await same(a, b, [["DEBUG", "PROTOCOL", type]]);
      }
      await same(a, b, [["HELLO", "3"]]);
      for (const type of ["double", "null", "set", "map", "true", "verbatim"]) {
        await same(a, b, [["DEBUG", "PROTOCOL", type]]);
      }
      await same(a, b, [["HELLO", "2"]]);
      // Big numbers, attributes and pushes, compared as raw bytes.
      const resp3 = [
        ["HELLO", "3"],
        ...["bignum", "attrib", "push"].map((t) => ["DEBUG", "PROTOCOL", t]),
      ];
      const [rawOurs, rawRedis] = await Promise.all([
        rawExchange(ours.port, resp3),
        rawExchange(redis.port, resp3),
      ]);
      assert.equal(mask(rawOurs), mask(rawRedis));
      assert.ok(rawOurs.endsWith("$40\r\nSome real reply following the push reply\r\n"));
      const values: Array<[string, string]> = [
        ["s-embstr", "bar"],
        ["s-int", "12345"],
        ["s-shared", "5"],
        ["s-raw", "x".repeat(45)],
        ["s-lzf", "abc".repeat(100)],
      ];
      const collections: string[][] = [
        ["RPUSH", "l-small", "a", "b", "c"],
        ["RPUSH", "l-big", ...Array.from({ length: 3000 }, (_, i) => `element-${i}`)],
        ["HSET", "h-small", "f", "v"],
        ["HSET", "h-big", "f", "v".repeat(100)],
        ["SADD", "set-int", "1", "2", "3"],
        ["SADD", "set-str", "a", "b"],
        ["ZADD", "z-small", "1", "a", "2", "b"],
        ["ZADD", "z-big", "1", "m".repeat(100)],
      ];
      for (const argv of collections) {
        await same(a, b, [argv]);
        values.push([argv[1], ""]);
      }
      for (const [key, value] of values) {
        if (value !== "") await same(a, b, [["SET", key, value]]);
        const [x, y] = [
          await a.call("DEBUG", "OBJECT", key),
          await b.call("DEBUG", "OBJECT", key),
        ];
        const norm = (s: Reply) =>
          String(s).replace(/at:0x[0-9a-f]+/, "at:X").replace(/ lru:\d+ lru_seconds_idle:\d+/, "");
        assert.equal(norm(x), norm(y), `DEBUG OBJECT ${key}`);
      }
      await same(a, b, [["FLUSHALL"]]);
    });

    await t.step("SLOWLOG keeps every command once the threshold is 0", async () => {
      await same(a, b, [
        ["SLOWLOG", "GET", "x"],
        ["SLOWLOG", "GET", "-2"],
        ["SLOWLOG", "GET", "0", "1"],
        ["SLOWLOG", "x"],
        ["CONFIG", "SET", "slowlog-log-slower-than", "0"],
        ["SLOWLOG", "RESET"],
        ["CLIENT", "SETNAME", "slow-client"],
        ["SET", "slow-key", "v".repeat(200)],
        ["AUTH", "default", "secret"],
        ["CONFIG", "SET", "requirepass", ""],
        ["SLOWLOG", "LEN"],
      ]);
      const [x, y] = [await a.call("SLOWLOG", "GET", "-1"), await b.call("SLOWLOG", "GET", "-1")];
      // id, time and duration differ between servers; the address only by port.
      const norm = (r: Reply) =>
        (maskEntries(r, [0, 1, 2]) as Reply[][]).map((e) =>
          e.map((v) => typeof v === "string" ? mask(v) : v)
        );
      assert.deepEqual(norm(x), norm(y));
      const first = (x as Reply[][])[0];
      assert.ok(
        typeof first[0] === "number" && typeof first[1] === "number" &&
          typeof first[2] === "number",
      );
      await same(a, b, [
        ["SLOWLOG", "GET", "0"],
        ["CONFIG", "SET", "slowlog-log-slower-than", "10000"],
        ["SLOWLOG", "RESET"],
      ]);
    });

    await t.step(
      "a pipelined batch of fast commands is slow-logged one by one, in order",
      async () => {
        // Fast commands of one batch share clock readings (src/commands/batch_timing.ts).
        await same(a, b, [["CONFIG", "SET", "slowlog-log-slower-than", "0"], ["SLOWLOG", "RESET"]]);
        const batch = [
          ["SET", "p:k", "v"],
          ["GET", "p:k"],
          ["INCR", "p:n"],
          ["GET", "p:k"],
          ["INFO", "commandstats"],
          ["SLOWLOG", "GET", "10"],
        ];
        const replies: Reply[][] = [];
        for (const conn of [a, b]) {
          const bytes = batch.map((argv) => encodeRequest(argv));
          const all = new Uint8Array(bytes.reduce((n, x) => n + x.length, 0));
          bytes.reduce((at, x) => (all.set(x, at), at + x.length), 0);
          await conn.send(all);
          const got: Reply[] = [];
          for (let i = 0; i < batch.length; i++) got.push(await conn.reply());
          replies.push(got);
        }
        const [ours, theirs] = replies;
        assert.deepEqual(ours.slice(0, 4), theirs.slice(0, 4));
        const calls = (info: Reply, cmd: string) =>
          String(info).match(new RegExp(`cmdstat_${cmd}:calls=(\\d+),usec=(\\d+)`))?.slice(1, 3);
        assert.equal(calls(ours[4], "get")?.[0], calls(theirs[4], "get")?.[0]);
        const norm = (r: Reply) =>
          (maskEntries(r, [0, 1, 2, 4]) as Reply[][]).map((e) =>
            e.map((v) => typeof v === "string" ? mask(v) : v)
          );
        assert.deepEqual(norm(ours[5]), norm(theirs[5]));
        for (const entry of ours[5] as Reply[][]) assert.ok((entry[2] as number) >= 0);
        await same(a, b, [
          ["CONFIG", "SET", "slowlog-log-slower-than", "10000"],
          ["SLOWLOG", "RESET"],
          ["DEL", "p:k", "p:n"],
        ]);
      },
    );

    await t.step("COMMAND INFO, DOCS, GETKEYS and LIST agree with Redis", async () => {
      await same(a, b, [
        ["COMMAND", "INFO", "get", "set", "nosuch", "GET"],
        ["COMMAND", "DOCS", "get", "set", "nosuch"],
        ["COMMAND", "INFO", "config|get", "client|kill"],
        ["COMMAND", "DOCS", "config|set"],
        ["COMMAND", "GETKEYS", "set", "a", "b"],
        ["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b", "GET"],
        ["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"],
        ["COMMAND", "GETKEYS", "get"],
        ["COMMAND", "GETKEYS", "nosuch", "a"],
        ["COMMAND", "GETKEYS", "ping"],
        ["COMMAND", "GETKEYS", "get", "a", "b"],
        ["COMMAND", "GETKEYS", "config", "get", "x"],
        ["COMMAND", "GETKEYS", "config", "nosuch"],
        ["COMMAND", "LIST", "x"],
        ["COMMAND", "LIST", "FILTERBY", "MODULE", "x"],
        ["COMMAND", "LIST", "FILTERBY", "x", "y"],
        ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"],
        ["COMMAND", "LIST", "FILTERBY"],
        ["COMMAND", "COUNT", "x"],
      ]);
      // Every command of these families is described exactly as Redis describes it.
      const mine = [
        "ping",
        "echo",
        "quit",
        "select",
        "auth",
        "hello",
        "reset",
        "monitor",
        "client",
        "dbsize",
        "flushdb",
        "flushall",
        "swapdb",
        "time",
        "config",
        "shutdown",
        "debug",
        "latency",
        "slowlog",
        "info",
        "command",
        "get",
        "set",
      ];
      // Client-side caching is not implemented (yet).
      const missing = ["client|caching", "client|tracking"];
      await same(a, b, [["HELLO", "3"]]);
      for (const name of mine) {
        const [x, y] = [
          await a.call("COMMAND", "INFO", name),
          await b.call("COMMAND", "INFO", name),
        ];
        const theirs = sortSubcommands((y as Reply[])[0]) as Reply[];
        if (Array.isArray(theirs[9])) {
          theirs[9] = theirs[9].filter((sub) => !missing.includes(String((sub as Reply[])[0])));
        }
        assert.deepEqual(sortSubcommands((x as Reply[])[0]), theirs, name);
        const [dx, dy] = [
          await a.call("COMMAND", "DOCS", name),
          await b.call("COMMAND", "DOCS", name),
        ];
        assert.deepEqual(withoutSubcommands(dx), withoutSubcommands(dy), `COMMAND DOCS ${name}`);
        for (const sub of subcommandNames(x)) {
          const [sx, sy] = [
            await a.call("COMMAND", "DOCS", sub),
            await b.call("COMMAND", "DOCS", sub),
          ];
          assert.deepEqual(sx, sy, `COMMAND DOCS ${sub}`);
        }
      }
      await same(a, b, [["HELLO", "2"]]);
    });

    await t.step("COMMAND COUNT and COMMAND LIST describe exactly the command table", async () => {
      registerAllCommands();
      const table = allCommands();
      assert.equal(await a.call("COMMAND", "COUNT"), table.length);
      const list = await a.call("COMMAND", "LIST") as string[];
      const expected = table.flatMap((c) => [c.name, ...(c.subcommands ?? []).map((s) => s.name)]);
      assert.deepEqual([...list].sort(), expected.sort());
      const docs = await a.call("COMMAND", "DOCS") as Reply[];
      assert.equal(docs.length, table.length * 2);
      const patterned = await a.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "CONF*") as string[];
      assert.deepEqual(patterned.sort(), expected.filter((n) => n.startsWith("config")).sort());
      const admin = await a.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "ADMIN") as string[];
      assert.ok(admin.includes("config|set") && admin.includes("debug") && !admin.includes("get"));
    });

    await t.step("INFO prints Redis's sections and fields in Redis's order", async () => {
      const dynamic = /^(cmdstat_|errorstat_|latency_percentiles_usec_|db\d+$)/;
      const layout = (text: string) =>
        text.split("\r\n").filter((l) => l !== "" && !dynamic.test(l.split(":")[0]))
          .map((l) => l.startsWith("#") ? l : l.slice(0, l.indexOf(":")));
      for (
        const args of [
          [],
          ["all"],
          ["default"],
          ["everything"],
          ["server", "clients"],
          ["bogus"],
          ["KEYSPACE"],
          ["modules"],
          ["cpu", "Server"],
        ]
      ) {
        const [x, y] = [await a.call("INFO", ...args), await b.call("INFO", ...args)];
        assert.deepEqual(layout(String(x)), layout(String(y)), `INFO ${args.join(" ")}`);
      }
      assert.equal(await a.call("INFO", "bogus"), "");
      await a.call("SET", "info-key", "v");
      await a.call("PEXPIRE", "info-key", 100000);
      await a.call("NOSUCHCOMMAND");
      const text = String(await a.call("INFO", "everything"));
      assert.ok(text.startsWith("# Server\r\nredis_version:7.0.15\r\n"));
      assert.ok(text.endsWith("\r\n") && text.includes("\r\n\r\n# Clients\r\n"));
      const f = parseInfo(text);
      const checks: Array<[string, RegExp]> = [
        ["run_id", /^[0-9a-f]{40}$/],
        ["master_replid", /^[0-9a-f]{40}$/],
        ["uptime_in_seconds", /^\d+$/],
        ["server_time_usec", /^\d{16}$/],
        ["used_memory", /^\d+$/],
        ["used_memory_human", /^\d+(\.\d\d[KMGTP]|B)$/],
        ["used_memory_rss_human", /^\d+(\.\d\d[KMGTP]|B)$/],
        ["used_memory_peak_perc", /^\d+\.\d\d%$/],
        ["used_memory_dataset_perc", /^-?\d+\.\d\d%$/],
        ["mem_fragmentation_ratio", /^\d+\.\d\d$/],
        ["total_system_memory_human", /^\d+\.\d\d[KMGTP]$/],
        ["used_cpu_sys", /^\d+\.\d{6}$/],
        ["used_cpu_user", /^\d+\.\d{6}$/],
        ["used_cpu_user_main_thread", /^\d+\.\d{6}$/],
        ["instantaneous_input_kbps", /^\d+\.\d\d$/],
        ["expired_stale_perc", /^\d+\.\d\d$/],
        ["role", /^master$/],
        [
          "cmdstat_set",
          /^calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/,
        ],
        ["errorstat_ERR", /^count=\d+$/],
        ["db0", /^keys=\d+,expires=1,avg_ttl=\d+$/],
      ];
      for (const [field, re] of checks) assert.match(f.get(field) ?? "<missing>", re, field);
      assert.equal(f.get("tcp_port"), String(ours.port));
      assert.equal(f.get("process_id"), String(ours.pid));
      assert.ok(Number(f.get("connected_clients")) >= 1);
      assert.ok(Number(f.get("total_commands_processed")) > 10);
      assert.ok(Number(f.get("used_memory_peak")) >= Number(f.get("used_memory")));
      assert.ok(Number(f.get("total_error_replies")) > 0);
      await a.call("DEL", "info-key");
    });

    await t.step("MONITOR streams other clients' commands with arguments quoted", async () => {
      const monitor = await RespConnection.open(ours.port);
      const other = await RespConnection.open(ours.port);
      try {
        assert.equal(await monitor.call("MONITOR"), "OK");
        await other.call("SELECT", "2");
        await other.call("SET", "mon key", 'v\x01"');
        await other.call("AUTH", "default", "pw");
        assert.match(
          String(await monitor.reply()),
          /^\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] "SELECT" "2"$/,
        );
        const set = await monitor.reply();
        assert.match(
          String(set),
          /^\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] "SET" "mon key" "v\\x01\\""$/,
        );
        const auth = await monitor.reply();
        assert.match(
          String(auth),
          /^\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] "AUTH" "\(redacted\)" "\(redacted\)"$/,
        );
        const info = String(await a.call("CLIENT", "LIST"));
        assert.match(info, /flags=O .*cmd=monitor/);
        await other.call("DEL", "mon key");
      } finally {
        await monitor.close();
        await other.close();
      }
    });

    await t.step("CLIENT KILL closes the connections it matches", async () => {
      const victim = await RespConnection.open(ours.port);
      const victim2 = await RespConnection.open(ours.port);
      const self = await RespConnection.open(ours.port);
      try {
        const id = String(await victim.call("CLIENT", "ID"));
        assert.equal(await a.call("CLIENT", "KILL", "ID", id), 1);
        assert.equal((await victim.readUntilClosed(2000)).closed, true);
        const addr = /addr=(\S+)/.exec(String(await victim2.call("CLIENT", "INFO")))![1];
        assert.equal(await a.call("CLIENT", "KILL", addr), "OK");
        assert.equal((await victim2.readUntilClosed(2000)).closed, true);
        assert.deepEqual(
          await a.call("CLIENT", "KILL", addr),
          new ErrorReply("ERR No such client"),
        );
        const selfId = String(await self.call("CLIENT", "ID"));
        assert.equal(await self.call("CLIENT", "KILL", "ID", selfId), 0);
        assert.equal(await self.call("CLIENT", "KILL", "ID", selfId, "SKIPME", "no"), 1);
        assert.equal((await self.readUntilClosed(2000)).closed, true);
      } finally {
        await victim.close();
        await victim2.close();
        await self.close();
      }
    });

    await t.step("DEBUG SLEEP stops the whole server", async () => {
      const sleeper = await RespConnection.open(ours.port);
      try {
        const start = Date.now();
        await sleeper.send(encodeRequest(["DEBUG", "SLEEP", "0.3"]));
        await delay(50);
        assert.equal(await a.call("PING"), "PONG");
        assert.ok(Date.now() - start >= 280, `PING answered after ${Date.now() - start} ms`);
        assert.equal(await sleeper.reply(), "OK");
      } finally {
        await sleeper.close();
      }
    });

    await t.step("LATENCY records events over the threshold", async () => {
      assert.equal(await a.call("CONFIG", "SET", "latency-monitor-threshold", "10"), "OK");
      assert.equal(await a.call("DEBUG", "SLEEP", "0.05"), "OK");
      const latest = await a.call("LATENCY", "LATEST") as Reply[][];
      assert.equal(latest.length, 1);
      assert.equal(latest[0][0], "command");
      assert.ok((latest[0][2] as number) >= 50 && (latest[0][3] as number) >= 50);
      const history = await a.call("LATENCY", "HISTORY", "command") as number[][];
      assert.equal(history.length, 1);
      const graph = String(await a.call("LATENCY", "GRAPH", "command"));
      assert.match(graph, /^command - high \d+ ms, low \d+ ms \(all time high \d+ ms\)\n-{80}\n/);
      const doctor = String(await a.call("LATENCY", "DOCTOR"));
      assert.match(doctor, /^Dave, I have observed latency spikes in this Redis instance\./);
      assert.match(
        doctor,
        /\n1\. command: 1 latency spikes \(average \d+ms, mean deviation 0ms, period 1\.00 sec\)/,
      );
      assert.deepEqual(
        await a.call("LATENCY", "GRAPH", "nosuch"),
        new ErrorReply("ERR No samples available for event 'nosuch'"),
      );
      assert.equal(await a.call("LATENCY", "RESET", "COMMAND", "nosuch"), 1);
      assert.deepEqual(await a.call("LATENCY", "LATEST"), []);
      assert.equal(await a.call("CONFIG", "SET", "latency-monitor-threshold", "0"), "OK");
    });

    await t.step("RESET returns the connection to its initial state", async () => {
      await same(a, b, [
        ["FLUSHALL"],
        ["HELLO", "3"],
        ["SELECT", "3"],
        ["CLIENT", "SETNAME", "before-reset"],
        ["SET", "in-db-3", "v"],
        ["RESET"],
        ["CLIENT", "GETNAME"],
        ["DBSIZE"],
        ["HELLO"],
        ["SELECT", "3"],
        ["FLUSHDB"],
        ["SELECT", "0"],
      ]);
    });
  } finally {
    await a.close();
    await b.close();
    await Promise.all([ours.stop(), redis.stop()]);
  }
});

Deno.test("requirepass gates commands behind AUTH exactly like Redis", async () => {
  const args = [...ARGS, "--requirepass", "s3cret"];
  const [ours, redis] = await Promise.all([
    startRedeno(args, { password: "s3cret" }),
    startRedis(args, { password: "s3cret" }),
  ]);
  const a = await RespConnection.open(ours.port);
  const b = await RespConnection.open(redis.port);
  try {
    await same(a, b, [
      ["GET", "k"],
      ["PING"],
      ["AUTH", "wrong"],
      ["AUTH", "default", "wrong"],
      ["AUTH", "other", "s3cret"],
      ["HELLO", "3"],
      ["HELLO", "3", "AUTH", "default", "wrong"],
      ["GET", "k"],
      ["AUTH", "s3cret"],
      ["GET", "k"],
      ["RESET"],
      ["GET", "k"],
      ["HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "authed"],
      ["CLIENT", "GETNAME"],
      ["AUTH", "default", "s3cret"],
      ["QUIT"],
    ]);
  } finally {
    await a.close();
    await b.close();
    await Promise.all([ours.stop(), redis.stop()]);
  }
});

Deno.test("rename-command moves a command to a new name or removes it, as in Redis", async () => {
  const args = [...ARGS, "--rename-command", "SET", "myset", "--rename-command", "FLUSHALL", ""];
  const [ours, redis] = await Promise.all([startRedeno(args), startRedis(args)]);
  const a = await RespConnection.open(ours.port);
  const b = await RespConnection.open(redis.port);
  try {
    await same(a, b, [
      ["SET", "k", "v"],
      ["MYSET", "k", "v"],
      ["mYsEt", "k2", "v2", "EX", "100"],
      ["GET", "k"],
      ["FLUSHALL"],
      ["COMMAND", "INFO", "set", "myset", "flushall"],
      ["COMMAND", "GETKEYS", "MYSET", "k", "v"],
      ["MULTI"],
      ["MYSET", "k3", "v3"],
      ["SET", "k4", "v4"],
      ["EXEC"],
      ["DBSIZE"],
    ]);
    // COMMAND COUNT loses the removed one; COMMAND LIST keeps SET under its own name.
    const count = async (c: RespConnection) =>
      Number(parseReply(await rawCall(c, "COMMAND", "COUNT"), 0)?.value);
    const plain = await startRedeno(ARGS);
    const p = await RespConnection.open(plain.port);
    try {
      assert.equal(await count(a), await count(p) - 1);
    } finally {
      await p.close();
      await plain.stop();
    }
    const list = parseReply(await rawCall(a, "COMMAND", "LIST"), 0)?.value as string[];
    assert.ok(list.includes("set") && !list.includes("myset") && !list.includes("flushall"));
  } finally {
    await a.close();
    await b.close();
    await Promise.all([ours.stop(), redis.stop()]);
  }
});

Deno.test("CLIENT PAUSE WRITE delays writes until the pause ends", async () => {
  const ours = await startRedeno(ARGS);
  const admin = await RespConnection.open(ours.port);
  const writer = await RespConnection.open(ours.port);
  const reader = await RespConnection.open(ours.port);
  try {
    assert.equal(await admin.call("CLIENT", "PAUSE", "400", "WRITE"), "OK");
    const start = Date.now();
    const write = writer.call("SET", "paused-key", "v");
    // Reads go through at once.
    assert.equal(await reader.call("GET", "paused-key"), null);
    assert.ok(Date.now() - start < 300, "a read waited for the pause");
    assert.equal(await write, "OK");
    assert.ok(Date.now() - start >= 350, `SET answered after ${Date.now() - start} ms`);

    // CLIENT UNPAUSE releases a waiting write early.
    assert.equal(await admin.call("CLIENT", "PAUSE", "10000", "WRITE"), "OK");
    const t0 = Date.now();
    const write2 = writer.call("INCR", "paused-counter");
    await delay(100);
    assert.equal(await admin.call("CLIENT", "UNPAUSE"), "OK");
    assert.equal(await write2, 1);
    assert.ok(Date.now() - t0 < 2000);
  } finally {
    await admin.close();
    await writer.close();
    await reader.close();
    await ours.stop();
  }
});

Deno.test("CLIENT REPLY OFF and SKIP drop the same replies as Redis", async () => {
  const [ours, redis] = await Promise.all([startRedeno(ARGS), startRedis(ARGS)]);
  try {
    const script = [
      ["CLIENT", "REPLY", "SKIP"],
      ["SET", "skipped", "1"],
      ["GET", "skipped"],
      ["CLIENT", "REPLY", "OFF"],
      ["SET", "silent", "2"],
      ["NOSUCHCOMMAND"],
      ["CLIENT", "REPLY", "SKIP"],
      ["CLIENT", "REPLY", "ON"],
      ["GET", "silent"],
      ["CLIENT", "REPLY", "SKIP"],
      ["CLIENT", "REPLY", "SKIP"],
      ["PING", "dropped"],
      ["PING", "sent"],
      ["CLIENT", "REPLY", "SKIP"],
      ["CLIENT", "REPLY", "ON"],
      ["CLIENT", "REPLY", "SKIP"],
      ["CLIENT", "REPLY", "OFF"],
      ["PING", "off"],
      ["RESET"],
      ["PING", "after-reset"],
    ];
    const [x, y] = await Promise.all([
      rawExchange(ours.port, script),
      rawExchange(redis.port, script),
    ]);
    assert.equal(x, y);
    assert.ok(x.startsWith("$1\r\n1\r\n+OK\r\n$1\r\n2\r\n$4\r\nsent\r\n"), JSON.stringify(x));
  } finally {
    await Promise.all([ours.stop(), redis.stop()]);
  }
});

Deno.test("COMMAND without arguments lists every command's info", async () => {
  const ours = await startRedeno(ARGS);
  try {
    const conn = await RespConnection.open(ours.port);
    try {
      registerAllCommands();
      const all = await conn.call("COMMAND") as Reply[][];
      assert.equal(all.length, allCommands().length);
      assert.ok(all.some((entry) => entry[0] === "get" && entry[1] === 2));
    } finally {
      await conn.close();
    }
  } finally {
    await ours.stop();
  }
});

Deno.test("INFO latencystats and LATENCY HISTOGRAM report the commands run", async () => {
  const ours = await startRedeno(ARGS);
  const conn = await RespConnection.open(ours.port);
  try {
    for (let i = 0; i < 5; i++) await conn.call("SET", "h", String(i));
    const text = String(await conn.call("INFO", "latencystats"));
    assert.match(
      text,
      /\r\nlatency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n/,
    );
    const histogram = await conn.call("LATENCY", "HISTOGRAM", "set") as Reply[];
    assert.equal(histogram[0], "set");
    const body = histogram[1] as Reply[];
    assert.equal(body[0], "calls");
    assert.equal(body[1], 5);
    assert.equal(body[2], "histogram_usec");
  } finally {
    await conn.close();
    await ours.stop();
  }
});

Deno.test("SHUTDOWN NOSAVE stops the server process", async () => {
  const ours: ServerProcess = await startRedeno(ARGS);
  const conn = await RespConnection.open(ours.port);
  try {
    await conn.send(encodeRequest(["SHUTDOWN", "NOSAVE"]));
    const { closed } = await conn.readUntilClosed(5000);
    assert.equal(closed, true);
    const status = await ours.status;
    assert.equal(status.code, 0);
    assert.match(ours.log(), /User requested shutdown\.\.\./);
    assert.match(ours.log(), /Redis is now ready to exit, bye bye\.\.\./);
  } finally {
    await conn.close();
    await ours.stop();
  }
});

Deno.test("redis-cli runs piped commands against Redeno", async () => {
  const ours = await startRedeno(ARGS);
  try {
    const out = await redisCliWithInput(
      ours.port,
      [],
      "SET cli-key hello\nGET cli-key\nCOMMAND COUNT\nINFO server\nCLIENT SETNAME cli\nCLIENT GETNAME\n",
    );
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout.split("\n");
    assert.deepEqual(lines.slice(0, 2), ["OK", "hello"]);
    assert.match(lines[2], /^\d+$/);
    assert.ok(out.stdout.includes("redis_version:7.0.15"));
    assert.ok(out.stdout.trimEnd().endsWith("cli"));
  } finally {
    await ours.stop();
  }
});

Deno.test("CONFIG SET port and bind move the listener like Redis, and a failed bind keeps the old one", async () => {
  const [ours, redis] = await Promise.all([startRedeno(ARGS), startRedis(ARGS)]);
  const servers = [ours, redis];
  const conns = await Promise.all(servers.map((s) => RespConnection.open(s.port)));
  const [a, b] = conns;
  try {
    // A port this test holds, then an address that cannot be bound.
    const holder = Deno.listen({ hostname: "0.0.0.0", port: 0 });
    const taken = (holder.addr as Deno.NetAddr).port;
    try {
      await same(a, b, [["CONFIG", "SET", "port", String(taken)]]);
    } finally {
      holder.close();
    }
    await same(a, b, [
      ["CONFIG", "SET", "bind", "192.0.2.1"],
      ["CONFIG", "GET", "bind"],
      ["PING"],
    ]);
    for (const server of servers) {
      const log = server.log();
      assert.ok(
        new RegExp(
          `# Warning: Could not create server TCP listening socket [^ ]+:${taken}: bind: Address already in use`,
        ).test(log),
        log,
      );
      assert.match(
        log,
        /# Failed applying new configuration\. Possibly related to new port setting/,
      );
      assert.match(log, /# Failed to bind\n/);
      // The old port still takes new connections.
      const again = await RespConnection.open(server.port);
      assert.equal(await rawCall(again, "PING"), "+PONG\r\n");
      await again.close();
    }
    // A free port: new connections go there, the old port is closed, open ones carry on.
    const moved = await Promise.all(servers.map(async (server, i) => {
      const port = freePort();
      assert.equal(await rawCall(conns[i], "CONFIG", "SET", "port", String(port)), "+OK\r\n");
      const there = await RespConnection.open(port);
      const info = parseInfo(await rawCall(there, "INFO", "server"));
      assert.equal(info.get("tcp_port"), String(port));
      await there.close();
      await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.port }));
      return port;
    }));
    // Port 0: no TCP listener at all.
    for (const [i, conn] of conns.entries()) {
      assert.equal(await rawCall(conn, "CONFIG", "SET", "port", "0"), "+OK\r\n");
      assert.equal(await rawCall(conn, "PING"), "+PONG\r\n");
      await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: moved[i] }));
    }
  } finally {
    await Promise.all(conns.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.stop()));
  }
});

Deno.test("CLIENT LIST names a client's last command as Redis does, rejected and queued ones too", async () => {
  // Each step: commands sent by one client, then its cmd= field as another client sees it.
  const steps: string[][][] = [
    [["GET"]], // an arity error still names the command
    [["OBJECT", "ENCODING"]],
    [["OBJECT", "NOSUCH"]], // an unknown subcommand is NULL
    [["NOSUCH"]],
    [["CONFIG", "GET"]],
    [["MULTI"], ["GET", "k"]], // a queued command
    [["PING"], ["EXEC"]], // after EXEC ran its queue
    [["MULTI"], ["GET"], ["EXEC"]], // an EXEC aborted by a queueing error
    [["SET", "k", "v"]],
  ];
  const seen: Record<string, string[]> = {};
  for (const [kind, start] of [["redis", startRedis], ["redeno", startRedeno]] as const) {
    const server = await start();
    const client = await RespConnection.open(server.port);
    const observer = await RespConnection.open(server.port);
    try {
      await client.call("CLIENT", "SETNAME", "watched");
      seen[kind] = [];
      for (const commands of steps) {
        for (const argv of commands) await client.call(...argv);
        const list = await observer.call("CLIENT", "LIST") as string;
        const line = list.split("\n").find((l) => l.includes(" name=watched ")) ?? "";
        seen[kind].push(`${JSON.stringify(commands)} ${/ cmd=(\S+)/.exec(line)?.[1]}`);
      }
    } finally {
      await client.close();
      await observer.close();
      await server.stop();
    }
  }
  assert.deepEqual(seen.redeno, seen.redis);
});
