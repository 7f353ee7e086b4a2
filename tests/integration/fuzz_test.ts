/**
 * Protocol fuzzing against a real Redeno process: many connections at once
 * send random bytes, truncated frames, huge declared lengths, and pipelines
 * of valid commands (checked against a per-connection model), for a bounded
 * time with a fixed seed. Afterwards the server must still answer, hold no
 * leftover clients, and its memory must come back near the baseline.
 */
import assert from "node:assert/strict";
import {
  delay,
  latin1String,
  parseInfo,
  parseReply,
  RespConnection,
  startRedeno,
  startRedis,
} from "../helpers/server_process.ts";
import { encodeRequest, ErrorReply, type Reply } from "../helpers/resp_client.ts";
import { prng } from "../helpers/prng.ts";

/** Fixed seed: the same bytes every run. */
const SEED = 0x5eed_2024;
/** Connections throwing requests at the server at the same time. */
const WORKERS = 50;
/** How long the fuzzing runs (the checks afterwards take a few seconds more). */
const FUZZ_MS = 6_000;
/** How long a connection that sent junk waits for the server to answer or close. */
const JUNK_WAIT_MS = 150;
/** Allowed growth of used_memory over the baseline once the fuzzing is over. */
const MEMORY_SLACK = 50 * 1024 * 1024;
/** FUZZ_AGAINST_REDIS=1 runs the same fuzzing against redis-server 7.0, to check the test itself. */
const start = Deno.env.get("FUZZ_AGAINST_REDIS") ? startRedis : startRedeno;
/** Keys per worker in its model. */
const MODEL_KEYS = 8;

type Rand = () => number;

/** An integer in [0, n). */
function below(rand: Rand, n: number): number {
  return Math.floor(rand() * n);
}

function pick<T>(rand: Rand, items: readonly T[]): T {
  return items[below(rand, items.length)];
}

function randomBytes(rand: Rand, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += String.fromCharCode(below(rand, 256));
  return s;
}

/** A value: mostly short, sometimes a few hundred bytes, rarely 20 KB; any byte 0–255. */
function randomValue(rand: Rand): string {
  const r = rand();
  if (r < 0.2) return String(below(rand, 2000) - 1000);
  if (r < 0.7) return randomBytes(rand, below(rand, 17));
  if (r < 0.97) return randomBytes(rand, 17 + below(rand, 300));
  return randomBytes(rand, 1000 + below(rand, 20_000));
}

/** True when `arg` can be sent inline unchanged (no whitespace, quotes or escapes). */
function inlineSafe(arg: string): boolean {
  return /^[!#-&(-[\]-~]+$/.test(arg);
}

/** A command to send and the check its reply must pass. */
interface Step {
  argv: string[];
  check: (reply: Reply) => void;
}

/** What Redis answers to INCR on `value`: the new value, an error, or unknown (long digit strings). */
function expectedIncr(value: string | undefined): number | "error" | "unknown" {
  if (value === undefined) return 1;
  if (/^(0|-?[1-9][0-9]{0,14})$/.test(value)) return Number(value) + 1;
  if (value === "" || /[^0-9-]/.test(value) || value === "-" || /^-?0./.test(value)) {
    return "error";
  }
  return "unknown";
}

function isError(reply: Reply, prefix: string): boolean {
  return reply instanceof ErrorReply && reply.message.startsWith(prefix);
}

/**
 * The next command for worker `id`, with its expected reply computed from the
 * model of the worker's own keys (nobody else touches them), and the model updated.
 */
function nextStep(rand: Rand, id: number, model: Map<string, string>): Step {
  const key = () => `fuzz:${id}:${below(rand, MODEL_KEYS)}`;
  const equal = (expected: Reply, what: string) => (reply: Reply) =>
    assert.deepEqual(reply, expected, what);
  const k = key();
  switch (below(rand, 14)) {
    case 0: {
      const v = randomValue(rand);
      model.set(k, v);
      return { argv: ["SET", k, v], check: equal("OK", "SET") };
    }
    case 1:
      return { argv: ["GET", k], check: equal(model.get(k) ?? null, `GET ${k}`) };
    case 2: {
      const had = model.delete(k);
      return { argv: ["DEL", k], check: equal(had ? 1 : 0, `DEL ${k}`) };
    }
    case 3:
      return { argv: ["EXISTS", k], check: equal(model.has(k) ? 1 : 0, `EXISTS ${k}`) };
    case 4: {
      const v = randomValue(rand);
      const old = model.get(k) ?? "";
      if (old.length + v.length > 100_000) {
        // Keep values bounded: start over with SET.
        model.set(k, v);
        return { argv: ["SET", k, v], check: equal("OK", `SET ${k}`) };
      }
      model.set(k, old + v);
      return { argv: ["APPEND", k, v], check: equal(old.length + v.length, `APPEND ${k}`) };
    }
    case 5:
      return { argv: ["STRLEN", k], check: equal((model.get(k) ?? "").length, `STRLEN ${k}`) };
    case 6: {
      const expected = expectedIncr(model.get(k));
      if (typeof expected === "number") model.set(k, String(expected));
      return {
        argv: ["INCR", k],
        check: (reply) => {
          if (expected === "error") {
            assert.ok(isError(reply, "ERR value is not an integer"), `INCR ${k} fails`);
          } else if (expected === "unknown") {
            if (typeof reply === "number") model.set(k, String(reply));
          } else {
            assert.equal(reply, expected, `INCR ${k}`);
          }
        },
      };
    }
    case 7: {
      const k2 = key();
      const v1 = randomValue(rand);
      const v2 = randomValue(rand);
      model.set(k, v1);
      model.set(k2, v2);
      return { argv: ["MSET", k, v1, k2, v2], check: equal("OK", "MSET") };
    }
    case 8: {
      const k2 = key();
      return {
        argv: ["MGET", k, k2, "fuzz:absent"],
        check: equal([model.get(k) ?? null, model.get(k2) ?? null, null], "MGET"),
      };
    }
    case 9: {
      const v = randomValue(rand);
      return { argv: ["ECHO", v], check: equal(v, "ECHO") };
    }
    case 10:
      return rand() < 0.5
        ? { argv: ["PING"], check: equal("PONG", "PING") }
        : { argv: ["PING", "hello"], check: equal("hello", "PING msg") };
    case 11:
      return {
        argv: ["FUZZ-NO-SUCH-COMMAND", randomBytes(rand, below(rand, 10))],
        check: (reply) => assert.ok(isError(reply, "ERR unknown command"), "unknown command"),
      };
    case 12:
      return {
        argv: ["GET"],
        check: equal(new ErrorReply("ERR wrong number of arguments for 'get' command"), "arity"),
      };
    default: {
      // A random-case command name.
      const name = [..."echo"].map((c) => rand() < 0.5 ? c.toUpperCase() : c).join("");
      return { argv: [name, "x"], check: equal("x", "mixed-case ECHO") };
    }
  }
}

/** `argv` as a RESP multibulk request, as a byte string. */
function requestText(argv: string[]): string {
  return latin1String(encodeRequest(argv));
}

/** Encodes `argv` inline when possible (sometimes), as RESP otherwise. */
function encodeStep(rand: Rand, argv: string[]): string {
  if (rand() < 0.3 && argv.every(inlineSafe)) {
    return argv.join(pick(rand, [" ", "  ", "\t"])) + pick(rand, ["\r\n", "\n"]);
  }
  return requestText(argv);
}

/** A pipeline of model-checked commands, sent at once or dribbled in small pieces. */
async function validPipeline(port: number, rand: Rand, id: number, model: Map<string, string>) {
  const steps: Step[] = [];
  const n = 1 + below(rand, 30);
  let payload = "";
  for (let i = 0; i < n; i++) {
    const step = nextStep(rand, id, model);
    steps.push(step);
    payload += encodeStep(rand, step.argv);
  }
  const conn = await RespConnection.open(port);
  try {
    if (rand() < 0.2 && payload.length < 4096) {
      // Dribble: pieces of 1–7 bytes with short pauses, every split point a real read.
      for (let i = 0; i < payload.length;) {
        const size = 1 + below(rand, 7);
        await conn.send(payload.slice(i, i + size));
        i += size;
        if (rand() < 0.3) await delay(1);
      }
    } else {
      await conn.send(payload);
    }
    for (const step of steps) step.check(await conn.reply());
  } finally {
    await conn.close();
  }
}

/** Keys truncated requests use; the model never reads them. */
function junkKey(rand: Rand): string {
  return `fuzz:junk:${below(rand, 20)}`;
}

/** Sends `data` on a fresh connection, waits briefly, checks whatever came back is valid RESP. */
async function sendJunk(port: number, data: string, waitMs = JUNK_WAIT_MS): Promise<string> {
  const conn = await RespConnection.open(port);
  try {
    await conn.send(data);
    const { data: received, closed } = await conn.readUntilClosed(waitMs);
    if (closed) {
      // Everything the server wrote before closing is whole replies.
      let pos = 0;
      while (pos < received.length) {
        const parsed = parseReply(received, pos);
        assert.ok(parsed !== undefined, `truncated reply: ${JSON.stringify(received.slice(pos))}`);
        pos = parsed.end;
      }
    }
    return received;
  } finally {
    await conn.close();
  }
}

/** Requests declaring absurd lengths; the server must neither allocate them nor hang. */
async function hugeLength(port: number, rand: Rand): Promise<void> {
  switch (below(rand, 5)) {
    case 0: {
      const reply = await sendJunk(port, "*1\r\n$2000000000\r\n", 2_000);
      assert.equal(reply, "-ERR Protocol error: invalid bulk length\r\n");
      break;
    }
    case 1: // at most INT_MAX: Redis waits for the arguments
      await sendJunk(port, "*2147483647\r\n$3\r\nGET\r\n");
      break;
    case 2: // a 400 MB value announced, 1 KB sent
      await sendJunk(port, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$400000000\r\n" + "x".repeat(1024));
      break;
    case 3: {
      const reply = await sendJunk(port, "*99999999999\r\n", 2_000);
      assert.equal(reply, "-ERR Protocol error: invalid multibulk length\r\n");
      break;
    }
    default: {
      const reply = await sendJunk(port, "*1\r\n$1" + "9".repeat(30) + "\r\n", 2_000);
      assert.equal(reply, "-ERR Protocol error: invalid bulk length\r\n");
    }
  }
}

/** A valid request cut short, then the connection is dropped: nothing may run. */
async function truncatedFrame(port: number, rand: Rand): Promise<void> {
  const argv = ["SET", junkKey(rand), randomValue(rand)];
  const full = requestText(argv);
  await sendJunk(port, full.slice(0, 1 + below(rand, full.length - 1)), 20);
}

/** Valid ECHOs followed by random bytes in the same write: the ECHOs are answered first. */
async function validThenGarbage(port: number, rand: Rand): Promise<void> {
  const values = Array.from(
    { length: 1 + below(rand, 5) },
    () => randomBytes(rand, below(rand, 40)),
  );
  const payload = values.map((v) => requestText(["ECHO", v])).join("") +
    randomBytes(rand, 1 + below(rand, 512));
  const received = await sendJunk(port, payload);
  let pos = 0;
  for (const v of values) {
    const parsed = parseReply(received, pos);
    assert.ok(parsed !== undefined, "the ECHO replies come before anything else");
    assert.equal(parsed.value, v);
    pos = parsed.end;
  }
}

/** One worker: a stream of random actions until the deadline, then it deletes its keys. */
async function worker(port: number, id: number, deadline: number): Promise<void> {
  const rand = prng(SEED + id * 7919);
  const model = new Map<string, string>();
  while (Date.now() < deadline) {
    const r = rand();
    if (r < 0.4) await validPipeline(port, rand, id, model);
    else if (r < 0.55) await sendJunk(port, randomBytes(rand, 1 + below(rand, 4096)));
    else if (r < 0.65) {
      // Random bytes that look like the start of a multibulk request.
      await sendJunk(port, "*" + below(rand, 20) + "\r\n" + randomBytes(rand, below(rand, 200)));
    } else if (r < 0.78) await truncatedFrame(port, rand);
    else if (r < 0.86) await hugeLength(port, rand);
    else await validThenGarbage(port, rand);
  }
  const conn = await RespConnection.open(port);
  try {
    const keys = Array.from({ length: MODEL_KEYS }, (_, i) => `fuzz:${id}:${i}`);
    const deleted = await conn.call("DEL", ...keys);
    assert.equal(deleted, model.size, `worker ${id} deletes its ${model.size} keys`);
  } finally {
    await conn.close();
  }
}

/** INFO memory's used_memory. */
async function usedMemory(conn: RespConnection): Promise<number> {
  const info = await conn.call("INFO", "memory");
  assert.equal(typeof info, "string", `INFO memory: ${JSON.stringify(info)}`);
  const value = Number(parseInfo(info as string).get("used_memory"));
  assert.ok(Number.isFinite(value) && value > 0, "used_memory is a positive number");
  return value;
}

/** The lines of CLIENT LIST. */
async function clientList(conn: RespConnection): Promise<string[]> {
  const list = await conn.call("CLIENT", "LIST");
  assert.equal(typeof list, "string", `CLIENT LIST: ${JSON.stringify(list)}`);
  return (list as string).split("\n").filter((line) => line.trim() !== "");
}

Deno.test("the server survives 50 connections of random and malformed requests", async () => {
  const server = await start();
  let control: RespConnection | undefined;
  try {
    control = await RespConnection.open(server.port);
    // Warm up so the baseline includes the code paths the fuzzing takes.
    for (let i = 0; i < 200; i++) await control.call("SET", "fuzz:warm", "x".repeat(i));
    await control.call("DEL", "fuzz:warm");
    const baseline = await usedMemory(control);

    const deadline = Date.now() + FUZZ_MS;
    const results = await Promise.allSettled(
      Array.from({ length: WORKERS }, (_, id) => worker(server.port, id, deadline)),
    );
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.deepEqual(
      failures.map((f) => String(f.reason?.stack ?? f.reason)).slice(0, 3),
      [],
      `${failures.length} of ${WORKERS} workers failed`,
    );

    assert.equal(await control.call("PING"), "PONG");
    assert.equal(await control.call("ECHO", "\x00\x80\x9f\xff"), "\x00\x80\x9f\xff");

    // Every fuzzing connection is gone (closes are noticed asynchronously: poll briefly).
    let clients = await clientList(control);
    for (let i = 0; i < 50 && clients.length > 1; i++) {
      await delay(100);
      clients = await clientList(control);
    }
    assert.equal(clients.length, 1, `leftover clients:\n${clients.join("\n")}`);

    // The 400 MB announced values were never allocated; memory settles near the
    // baseline. An idle V8 heap is not collected, so keep the server lightly
    // busy (new connections, replaced values) while sampling, as Redis would be.
    let used = await usedMemory(control);
    for (let i = 0; i < 40 && used >= baseline + MEMORY_SLACK; i++) {
      for (let j = 0; j < 20; j++) {
        const conn = await RespConnection.open(server.port);
        await conn.call("PING");
        await conn.close();
      }
      for (let j = 0; j < 200; j++) await control.call("SET", "fuzz:churn", "y".repeat(10_000));
      await delay(100);
      used = await usedMemory(control);
    }
    await control.call("DEL", "fuzz:churn");
    assert.ok(
      used < baseline + MEMORY_SLACK,
      `used_memory ${used} should be under baseline ${baseline} + ${MEMORY_SLACK}`,
    );
    assert.doesNotMatch(server.log(), /Uncaught|panicked|error: /);
  } finally {
    await control?.close();
    await server.stop();
  }
});
