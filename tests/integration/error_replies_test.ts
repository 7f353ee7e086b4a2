/**
 * Error replies side by side: every command Redeno lists in COMMAND LIST is
 * sent with short random argument lists to Redeno and to redis-server 7.0,
 * while the keys it names hold each type in turn. Wherever either server
 * answers with an error, both must answer with the same error, byte for byte.
 * Other replies are not compared here (times, ids and orders differ; the
 * family tests compare them).
 */
import assert from "node:assert/strict";
import { RespConnection, startRedeno, startRedis } from "../helpers/server_process.ts";
import { ErrorReply, type Reply } from "../helpers/resp_client.ts";
import { prng } from "../helpers/prng.ts";

/** Fixed seed: the same commands every run. */
const SEED = 0x0e77_0e77;
/** Commands sent to each server. */
const COMMANDS = 2500;
/** Most arguments after the command (and subcommand) name. */
const MAX_ARGS = 4;
/** Chance that a command is preceded by giving the keys new types. */
const RETYPE_CHANCE = 0.3;

/**
 * Commands left out, and why: they change the connection (its protocol, db,
 * transaction or subscriptions), block or wait, turn the connection into a
 * replica link, reconfigure or stop the server, or answer by timing (a
 * background save already in progress).
 */
const LEFT_OUT = new Set([
  ...["auth", "hello", "reset", "select", "multi", "exec", "discard", "watch", "quit"],
  ...["subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"],
  ...["monitor", "client|reply", "client|setname", "client|no-evict", "readonly", "readwrite"],
  ...["blpop", "brpop", "blmove", "brpoplpush", "blmpop", "bzpopmin", "bzpopmax", "bzmpop"],
  ...["wait", "client|pause", "client|unpause", "client|kill"],
  ...["sync", "psync", "replconf", "replicaof", "slaveof", "failover"],
  ...["shutdown", "debug", "config|set", "config|rewrite", "config|resetstat"],
  ...["save", "bgsave", "bgrewriteaof"],
]);

/** The arguments drawn from: key names, numbers good and bad, keywords. */
const ARGS = [
  ...["k0", "k1", "", "abc", "*", "string", "[a", "-", "+", "+inf", "-inf", "(1", "nan"],
  ...["0", "1", "-1", "2", "10", "100", "1.5", "9223372036854775808"],
  ...["EX", "PX", "NX", "XX", "GT", "CH", "INCR", "KEEPTTL", "PERSIST", "GET", "ID", "HELP"],
  ...["WITHSCORES", "LIMIT", "COUNT", "MATCH", "TYPE", "STORE", "ALPHA", "BY", "RANK"],
  ...["LEFT", "RIGHT", "BEFORE", "AFTER", "REPLACE", "ABSTTL", "IDLETIME", "FREQ", "BIT"],
  ...["BYTE", "AGGREGATE", "MAX", "MIN", "SUM", "WEIGHTS", "MAXLEN", "LEN", "IDX"],
  ...["OVERFLOW", "WRAP", "SAT", "FAIL", "INCRBY", "SET", "u8", "i64", "#1", "ENCODING"],
];

/** What the keys are given before some commands: one command each. */
const RETYPES = [
  ["SET", "k0", "5"],
  ["RPUSH", "k0", "a", "b"],
  ["SADD", "k0", "a"],
  ["ZADD", "k0", "1", "a"],
  ["HSET", "k0", "f", "v"],
  ["SET", "k1", "abc"],
  ["SADD", "k1", "1", "2"],
];

function describe(reply: Reply): string {
  if (reply instanceof ErrorReply) return `-${reply.message}`;
  return JSON.stringify(reply, (_k, v) => typeof v === "bigint" ? String(v) : v)?.slice(0, 120);
}

Deno.test("every listed command answers bad arguments with Redis's own error replies", async () => {
  const redis = await startRedis();
  const redeno = await startRedeno();
  const r = await RespConnection.open(redis.port);
  const d = await RespConnection.open(redeno.port);
  try {
    const rand = prng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
    const names = (await d.call("COMMAND", "LIST") as string[])
      .filter((name) => !LEFT_OUT.has(name))
      .sort();
    const mismatches: string[] = [];
    for (let i = 0; i < COMMANDS; i++) {
      if (rand() < RETYPE_CHANCE) {
        const retype = pick(RETYPES);
        for (const c of [r, d]) {
          await c.call("DEL", "k0", "k1");
          await c.call(...retype);
        }
      }
      const argc = Math.floor(rand() * (MAX_ARGS + 1));
      const argv = [...pick(names).split("|"), ...Array.from({ length: argc }, () => pick(ARGS))];
      const [a, b] = await Promise.all([r.call(...argv), d.call(...argv)]);
      const errors = [a, b].filter((x) => x instanceof ErrorReply).length;
      if (errors === 1 || (errors === 2 && describe(a) !== describe(b))) {
        mismatches.push(`${JSON.stringify(argv)}: Redis ${describe(a)}, Redeno ${describe(b)}`);
      }
    }
    assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} mismatches`);
    assert.equal(await d.call("PING"), "PONG");
  } finally {
    await r.close();
    await d.close();
    await redis.stop();
    await redeno.stop();
  }
});
