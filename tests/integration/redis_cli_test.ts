/**
 * The real redis-cli against Redeno: one-shot commands, stdin, -r, -x,
 * --pipe mass insertion and --scan. Where the output is deterministic it is
 * compared with what redis-cli prints against redis-server 7.0.
 */
import assert from "node:assert/strict";
import {
  type CliResult,
  redisCli,
  redisCliWithInput,
  type ServerProcess,
  startRedeno,
  startRedis,
} from "../helpers/server_process.ts";

/** Runs the same redis-cli invocation against both servers; asserts equal output; returns it. */
async function bothPrint(
  redeno: ServerProcess,
  redis: ServerProcess,
  args: string[],
  input?: string | Uint8Array,
): Promise<CliResult> {
  const expected = await redisCliWithInput(redis.port, args, input);
  const actual = await redisCliWithInput(redeno.port, args, input);
  assert.equal(actual.stdout, expected.stdout, `stdout of redis-cli ${args.join(" ")}`);
  assert.equal(actual.code, expected.code, `exit code of redis-cli ${args.join(" ")}`);
  return actual;
}

Deno.test("redis-cli prints the same for Redeno as for redis-server", async (t) => {
  const redis = await startRedis();
  let redeno: ServerProcess | undefined;
  try {
    redeno = await startRedeno();
    const a = redeno;

    await t.step("info keyspace is empty on a fresh server", async () => {
      const out = await bothPrint(a, redis, ["info", "keyspace"]);
      assert.equal(out.stdout, "# Keyspace\r\n");
    });

    await t.step("set name HongWan prints OK", async () => {
      const out = await bothPrint(a, redis, ["set", "name", "HongWan"]);
      assert.equal(out.stdout, "OK\n");
    });

    await t.step("get name prints HongWan", async () => {
      const out = await bothPrint(a, redis, ["get", "name"]);
      assert.equal(out.stdout, "HongWan\n");
    });

    await t.step("info keyspace counts the first key", async () => {
      const out = await bothPrint(a, redis, ["info", "keyspace"]);
      assert.equal(out.stdout, "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n");
    });

    await t.step("-r 5 incr counter counts to 5", async () => {
      const out = await bothPrint(a, redis, ["-r", "5", "incr", "counter"]);
      assert.equal(out.stdout, "1\n2\n3\n4\n5\n");
      assert.equal((await redisCli(a.port, "get", "counter")).stdout, "5\n");
    });

    await t.step("commands piped to stdin run in order", async () => {
      const script = "SET a 1\nGET a\nINCR a\nGET nothere\nAPPEND a xyz\nGET a\n";
      const out = await bothPrint(a, redis, [], script);
      assert.equal(out.stdout, "OK\n1\n2\n\n4\n2xyz\n");
    });

    await t.step("an error reply is printed the same", async () => {
      await bothPrint(a, redis, ["incr", "name"]);
      await bothPrint(a, redis, ["nosuchcommand", "x"]);
    });

    await t.step("-x stores stdin byte for byte and --no-raw quotes it back", async () => {
      const value = new Uint8Array(256).map((_, i) => i);
      const out = await bothPrint(a, redis, ["-x", "set", "bin"], value);
      assert.equal(out.stdout, "OK\n");
      await bothPrint(a, redis, ["--no-raw", "get", "bin"]);
      const raw = await bothPrint(a, redis, ["strlen", "bin"]);
      assert.equal(raw.stdout, "256\n");
    });
  } finally {
    await redis.stop();
    await redeno?.stop();
  }
});

/** `count` SET commands `key:i value:i` in RESP, as the redis-cli --pipe docs generate them. */
function massInsertion(count: number): Uint8Array {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = `key:${i}`;
    const value = `value:${i}`;
    parts.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`);
  }
  return new TextEncoder().encode(parts.join(""));
}

Deno.test("redis-cli --pipe inserts 100k keys and --scan finds them by pattern", async (t) => {
  const redeno = await startRedeno();
  try {
    const count = 100_000;

    await t.step("--pipe reports no errors and every reply", async () => {
      const out = await redisCliWithInput(redeno.port, ["--pipe"], massInsertion(count));
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /All data transferred\. Waiting for the last reply\.\.\./);
      assert.match(out.stdout, /Last reply received from server\./);
      assert.match(out.stdout, /errors: 0, replies: 100000/);
    });

    await t.step("dbsize counts 100k keys", async () => {
      assert.equal((await redisCli(redeno.port, "dbsize")).stdout, "100000\n");
      assert.equal((await redisCli(redeno.port, "get", "key:99999")).stdout, "value:99999\n");
    });

    await t.step("--scan --pattern key:1* lists each matching key once", async () => {
      const out = await redisCli(redeno.port, "--scan", "--pattern", "key:1*");
      assert.equal(out.code, 0, out.stderr);
      const keys = out.stdout.split("\n").filter((line) => line !== "");
      // key:1, key:10–19, key:100–199, key:1000–1999, key:10000–19999
      const expected = 1 + 10 + 100 + 1000 + 10000;
      assert.equal(new Set(keys).size, expected);
      assert.ok(keys.every((k) => k.startsWith("key:1")));
      // SCAN may repeat a key in Redis only while rehashing; a stable keyspace has no repeats.
      assert.equal(keys.length, expected);
    });
  } finally {
    await redeno.stop();
  }
});
