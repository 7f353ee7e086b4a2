/**
 * Helpers for the replication integration tests: masters and replicas
 * (Redeno or the reference redis-server 7.0) on free ports, bounded waits for
 * `master_link_status:up` and for matching offsets, INFO as a record, log
 * assertions, and a key-by-key comparison of two datasets (TYPE, TTL and a
 * type-aware read of every key in every db) next to `DEBUG DIGEST`.
 *
 * Every wait is bounded by `WAIT_MS` unless the caller says otherwise, and
 * fails with what it was waiting for (and the last error, if any).
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodeRequest, ErrorReply, type Reply, RespClient } from "./resp_client.ts";
import {
  command,
  delay,
  RespConnection,
  type ServerProcess,
  type StartOptions,
  startRedeno,
  startRedis,
} from "./server_process.ts";

/** The longest any single wait in the replication tests may take. */
export const WAIT_MS = 15_000;
/** How often waits poll. */
export const POLL_MS = 50;

/** Which implementation a process runs. */
export type ServerKind = "redeno" | "redis";

/** Starts a server of the given kind with `startRedeno`/`startRedis`'s defaults. */
export function startServer(
  kind: ServerKind,
  args: string[] = [],
  opts: StartOptions = {},
): Promise<ServerProcess> {
  return kind === "redeno" ? startRedeno(args, opts) : startRedis(args, opts);
}

/** Set REPL_TEST_LOGS=1 to print every stopped server's log (debugging). */
const PRINT_LOGS = Deno.env.get("REPL_TEST_LOGS") === "1";

/** Stops every server given (undefined entries skipped), in parallel; never throws. */
export async function stopAll(...servers: Array<ServerProcess | undefined>): Promise<void> {
  if (PRINT_LOGS) {
    for (const s of servers) if (s) console.log(`--- log of port ${s.port} ---\n${s.log()}`);
  }
  await Promise.all(
    servers.map(async (s) => {
      if (s === undefined) return;
      try {
        // A stopped (SIGSTOP) process must run again to handle SIGTERM.
        Deno.kill(s.pid, "SIGCONT");
      } catch {
        // already gone
      }
      await s.stop().catch(() => {});
    }),
  );
}

/**
 * Polls `probe` until it returns something other than undefined/false, for at
 * most `timeoutMs`. Throws with `what` and the last probe error otherwise.
 */
export async function waitUntil<T>(
  what: string | (() => string),
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (true) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = ` (last error: ${(err as Error).message})`;
    }
    if (Date.now() >= deadline) {
      const described = typeof what === "string" ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${described}${last}`);
    }
    await delay(POLL_MS);
  }
}

/** Runs one command on a fresh connection; throws on an error reply. */
export async function call(port: number, ...args: Array<string | number>): Promise<Reply> {
  const reply = await command(port, ...args);
  if (reply instanceof ErrorReply) {
    throw new Error(`${args.join(" ")} on port ${port}: ${reply.message}`);
  }
  return reply;
}

/** INFO [section] as a record of field → value. */
export async function info(port: number, section?: string): Promise<Record<string, string>> {
  const reply = await call(port, ...(section === undefined ? ["INFO"] : ["INFO", section]));
  const fields: Record<string, string> = {};
  for (const line of String(reply).split("\r\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/** Waits until a replica reports `master_link_status:up`; returns its INFO replication. */
export function waitLinkUp(port: number, timeoutMs = WAIT_MS): Promise<Record<string, string>> {
  return waitUntil(`master_link_status:up on port ${port}`, async () => {
    const fields = await info(port, "replication");
    return fields.master_link_status === "up" ? fields : undefined;
  }, timeoutMs);
}

/**
 * Waits until every replica's `master_repl_offset` equals the master's (and
 * stays so across two reads, so a write in flight is not missed); returns it.
 * A master's PING every repl-ping-replica-period moves the offset too, hence
 * the re-reads.
 */
export function waitOffsetsMatch(
  masterPort: number,
  replicaPorts: number[],
  timeoutMs = WAIT_MS,
): Promise<number> {
  let seen = "";
  return waitUntil(() => `matching replication offsets (${seen})`, async () => {
    const master = Number((await info(masterPort, "replication")).master_repl_offset);
    const others: number[] = [];
    for (const port of replicaPorts) {
      const fields = await info(port, "replication");
      if (fields.master_link_status !== "up") return undefined;
      others.push(Number(fields.master_repl_offset));
    }
    seen = `master ${master}, replicas ${others.join(", ")}`;
    if (others.every((o) => o === master)) {
      const again = Number((await info(masterPort, "replication")).master_repl_offset);
      return again === master ? master : undefined;
    }
    return undefined;
  }, timeoutMs);
}

/** Waits until the process log matches `pattern`; returns the match. */
export function waitForLog(
  server: ServerProcess,
  pattern: RegExp | string,
  timeoutMs = WAIT_MS,
): Promise<string> {
  return waitUntil(`log line ${pattern} from pid ${server.pid}`, () => {
    const log = server.log();
    if (typeof pattern === "string") return log.includes(pattern) ? pattern : undefined;
    return pattern.exec(log)?.[0];
  }, timeoutMs);
}

/** How many times `text` (or a match of `pattern`) appears in the process log. */
export function countLog(server: ServerProcess, pattern: RegExp | string): number {
  const log = server.log();
  if (typeof pattern === "string") return log.split(pattern).length - 1;
  const global = new RegExp(
    pattern.source,
    pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g",
  );
  return [...log.matchAll(global)].length;
}

/** A master (not a replica yet) and a replica of it. */
export interface Pair {
  master: ServerProcess;
  replica: ServerProcess;
}

/** Options for `startPair`. */
export interface PairOptions {
  masterKind?: ServerKind;
  replicaKind?: ServerKind;
  masterArgs?: string[];
  replicaArgs?: string[];
  /** Wait for `master_link_status:up` before returning (default true). */
  waitUp?: boolean;
}

/** Starts a master, then a replica with `--replicaof 127.0.0.1 <master port>`. */
export async function startPair(opts: PairOptions = {}): Promise<Pair> {
  const master = await startServer(opts.masterKind ?? "redeno", opts.masterArgs ?? []);
  let replica: ServerProcess | undefined;
  try {
    replica = await startReplicaOf(master.port, opts.replicaKind ?? "redeno", opts.replicaArgs);
    if (opts.waitUp ?? true) await waitLinkUp(replica.port);
    return { master, replica };
  } catch (err) {
    await stopAll(master, replica);
    throw err;
  }
}

/** Starts a replica of `127.0.0.1:masterPort` (a config file in `args[0]` stays first). */
export function startReplicaOf(
  masterPort: number,
  kind: ServerKind = "redeno",
  args: string[] = [],
  opts: StartOptions = {},
): Promise<ServerProcess> {
  return startServer(kind, [...args, "--replicaof", "127.0.0.1", String(masterPort)], opts);
}

// ---------------------------------------------------------------------------
// Datasets
// ---------------------------------------------------------------------------

/** One key as the comparison sees it. */
export interface KeyRecord {
  type: string;
  /** PTTL: -1 without expiry, else milliseconds left. */
  pttl: number;
  /** A canonical rendering of the value (sorted where order does not matter). */
  value: string;
}

/** Keys per pipelined batch while reading a dataset. */
const DATASET_BATCH = 500;

/** The dbs INFO keyspace lists (`db0`, `db3` → [0, 3]). */
export async function nonEmptyDbs(port: number): Promise<number[]> {
  const fields = await info(port, "keyspace");
  return Object.keys(fields).filter((k) => /^db\d+$/.test(k)).map((k) => Number(k.slice(2)));
}

/**
 * Reads every key of every non-empty db: TYPE, PTTL and the value, pipelined
 * in batches. Keys are `"<db>:<key>"`. Keys that vanish between the SCAN and
 * the read (expired meanwhile) are left out.
 */
export async function readDataset(port: number): Promise<Map<string, KeyRecord>> {
  const out = new Map<string, KeyRecord>();
  const client = await RespClient.connect(port);
  try {
    for (const db of await nonEmptyDbs(port)) {
      await client.command("SELECT", String(db));
      const keys = new Set<string>();
      let cursor = "0";
      do {
        const reply = await client.command("SCAN", cursor, "COUNT", "1000") as [string, string[]];
        cursor = reply[0];
        for (const k of reply[1]) keys.add(k);
      } while (cursor !== "0");
      const all = [...keys];
      for (let i = 0; i < all.length; i += DATASET_BATCH) {
        const batch = all.slice(i, i + DATASET_BATCH);
        const meta = await client.pipeline(batch.flatMap((k) => [["TYPE", k], ["PTTL", k]]));
        const types = batch.map((_, j) => String(meta[2 * j].value));
        const reads = batch.map((k, j) => valueRead(types[j], k));
        const values = await client.pipeline(reads);
        batch.forEach((key, j) => {
          if (types[j] === "none") return;
          out.set(`${db}:${key}`, {
            type: types[j],
            pttl: Number(meta[2 * j + 1].value),
            value: renderValue(types[j], values[j].value),
          });
        });
      }
    }
  } finally {
    client.close();
  }
  return out;
}

/** The command that reads a whole value of `type`. */
function valueRead(type: string, key: string): string[] {
  switch (type) {
    case "string":
      return ["GET", key];
    case "list":
      return ["LRANGE", key, "0", "-1"];
    case "hash":
      return ["HGETALL", key];
    case "set":
      return ["SMEMBERS", key];
    case "zset":
      return ["ZRANGE", key, "0", "-1", "WITHSCORES"];
    case "stream":
      return ["XRANGE", key, "-", "+"];
    default:
      return ["TYPE", key];
  }
}

/** A canonical text for a value: hashes and sets sorted, the rest as read. */
function renderValue(type: string, value: Reply): string {
  if (value instanceof ErrorReply) return `error: ${value.message}`;
  if (type === "hash" && Array.isArray(value)) {
    const pairs: string[] = [];
    for (let i = 0; i < value.length; i += 2) pairs.push(JSON.stringify([value[i], value[i + 1]]));
    return pairs.sort().join(",");
  }
  if (type === "set" && Array.isArray(value)) {
    return value.map((v) => JSON.stringify(v)).sort().join(",");
  }
  return JSON.stringify(value, (_k, v) => typeof v === "bigint" ? v.toString() : v);
}

/**
 * The differences between two datasets, as readable lines (empty when equal).
 * TTLs must agree on presence and be within `ttlToleranceMs` of each other.
 */
export function diffDatasets(
  a: Map<string, KeyRecord>,
  b: Map<string, KeyRecord>,
  ttlToleranceMs = 5_000,
  maxLines = 20,
): string[] {
  const lines: string[] = [];
  const add = (line: string) => {
    if (lines.length < maxLines) lines.push(line);
  };
  if (a.size !== b.size) add(`sizes differ: ${a.size} vs ${b.size}`);
  for (const [key, ra] of a) {
    const rb = b.get(key);
    if (rb === undefined) {
      add(`${JSON.stringify(key)} only in the first (${ra.type})`);
      continue;
    }
    if (ra.type !== rb.type) add(`${JSON.stringify(key)} type ${ra.type} vs ${rb.type}`);
    else if (ra.value !== rb.value) {
      add(`${JSON.stringify(key)} value ${ra.value.slice(0, 80)} vs ${rb.value.slice(0, 80)}`);
    }
    const ttlA = ra.pttl >= 0;
    const ttlB = rb.pttl >= 0;
    if (ttlA !== ttlB || (ttlA && Math.abs(ra.pttl - rb.pttl) > ttlToleranceMs)) {
      add(`${JSON.stringify(key)} pttl ${ra.pttl} vs ${rb.pttl}`);
    }
  }
  for (const [key, rb] of b) {
    if (!a.has(key)) add(`${JSON.stringify(key)} only in the second (${rb.type})`);
  }
  return lines;
}

/** Compares two servers' datasets key by key; returns the differences (empty when equal). */
export async function compareDatasets(portA: number, portB: number): Promise<string[]> {
  const [a, b] = await Promise.all([readDataset(portA), readDataset(portB)]);
  return diffDatasets(a, b);
}

/** Throws with the differences when two servers' datasets are not equal key by key. */
export async function assertSameDataset(portA: number, portB: number, what = ""): Promise<number> {
  const [a, b] = await Promise.all([readDataset(portA), readDataset(portB)]);
  const diff = diffDatasets(a, b);
  if (diff.length > 0) {
    throw new Error(
      `datasets of ports ${portA} and ${portB} differ${what ? ` (${what})` : ""}:\n${
        diff.join("\n")
      }`,
    );
  }
  return a.size;
}

/**
 * `DEBUG DIGEST` (40 hex digits), or undefined when the server does not have
 * it (an error reply, or a Redeno without the subcommand yet).
 */
export async function debugDigest(port: number): Promise<string | undefined> {
  const conn = await RespConnection.open(port);
  try {
    await conn.send(encodeRequest(["DEBUG", "DIGEST"]));
    // A large dataset takes a while to hash.
    const reply = await conn.reply(DIGEST_TIMEOUT_MS);
    return typeof reply === "string" && /^[0-9a-f]{40}$/.test(reply) ? reply : undefined;
  } finally {
    await conn.close();
  }
}

/** How long DEBUG DIGEST may take. */
const DIGEST_TIMEOUT_MS = 60_000;

/** Above this many keys a matching DEBUG DIGEST stands for the key-by-key comparison. */
const KEY_BY_KEY_LIMIT = 20_000;

/**
 * Checks two servers hold the same data: by `DEBUG DIGEST` when both have it,
 * and key by key (TYPE, TTL, value) unless the digests match on a dataset of
 * more than KEY_BY_KEY_LIMIT keys; a digest mismatch is explained key by key.
 * INFO keyspace's key counts must match too. Returns the number of keys and
 * whether digests were compared.
 */
export async function assertSameData(
  portA: number,
  portB: number,
  what = "",
): Promise<{ keys: number; digests: boolean }> {
  const label = `ports ${portA} and ${portB}${what ? ` (${what})` : ""}`;
  const [ka, kb] = await Promise.all([keyCounts(portA), keyCounts(portB)]);
  const [da, db] = await Promise.all([debugDigest(portA), debugDigest(portB)]);
  const keys = [...ka.values()].reduce((a, b) => a + b, 0);
  const digests = da !== undefined && db !== undefined;
  if (!digests || da !== db || keys <= KEY_BY_KEY_LIMIT) {
    await assertSameDataset(portA, portB, what);
  }
  if (digests && da !== db) throw new Error(`DEBUG DIGEST of ${label} differ: ${da} vs ${db}`);
  assert.deepEqual(ka, kb, `INFO keyspace key counts of ${label}`);
  return { keys, digests };
}

/** Keys per db from INFO keyspace. */
async function keyCounts(port: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const [name, value] of Object.entries(await info(port, "keyspace"))) {
    const m = /^db(\d+)$/.exec(name);
    const keys = /keys=(\d+)/.exec(value);
    if (m && keys) out.set(Number(m[1]), Number(keys[1]));
  }
  return out;
}

/**
 * Writes a small dataset of every type into db 0 (and a couple of keys into
 * db 3), including keys with a TTL far enough away not to expire in a test.
 */
export async function writeMixedData(port: number, prefix = "k"): Promise<void> {
  const client = await RespClient.connect(port);
  try {
    const cmds: string[][] = [];
    for (let i = 0; i < 50; i++) cmds.push(["SET", `${prefix}:str:${i}`, `value-${i}`]);
    cmds.push(["SET", `${prefix}:bin`, "\x00\x01\x80\x9f\xff bytes"]);
    cmds.push(["SET", `${prefix}:ttl`, "soon", "EX", "600"]);
    cmds.push(["INCRBY", `${prefix}:counter`, "41"], ["INCR", `${prefix}:counter`]);
    cmds.push(["RPUSH", `${prefix}:list`, "a", "b", "c", "d"], ["LPUSH", `${prefix}:list`, "z"]);
    cmds.push(["HSET", `${prefix}:hash`, "f1", "v1", "f2", "v2", "f3", "3"]);
    cmds.push(["SADD", `${prefix}:set`, "x", "y", "z", "1", "2"]);
    cmds.push(["SADD", `${prefix}:intset`, "1", "2", "3", "100000"]);
    cmds.push(["ZADD", `${prefix}:zset`, "1", "one", "2.5", "two", "-3", "three"]);
    cmds.push(["EXPIRE", `${prefix}:hash`, "900"]);
    // Past the listpack/intset limits: quicklist, hashtable and skiplist encodings.
    const many = (n: number, f: (i: number) => string[]) =>
      Array.from({ length: n }, (_, i) => f(i)).flat();
    cmds.push(["RPUSH", `${prefix}:biglist`, ...many(1000, (i) => [`item-${i}`])]);
    cmds.push(["HSET", `${prefix}:bighash`, ...many(300, (i) => [`field-${i}`, `${i}`])]);
    cmds.push(["SADD", `${prefix}:bigset`, ...many(600, (i) => [`m${i}`])]);
    cmds.push(["SADD", `${prefix}:bigintset`, ...many(600, (i) => [String(i * 7)])]);
    cmds.push(["ZADD", `${prefix}:bigzset`, ...many(300, (i) => [String(i / 3), `z${i}`])]);
    cmds.push(["SET", `${prefix}:bigstr`, "abcdefgh".repeat(20_000)]);
    cmds.push(["SELECT", "3"], ["SET", `${prefix}:db3`, "three"], ["SELECT", "0"]);
    const replies = await client.pipeline(cmds);
    for (const [i, r] of replies.entries()) {
      if (r.value instanceof ErrorReply) {
        throw new Error(`${cmds[i].join(" ")}: ${r.value.message}`);
      }
    }
  } finally {
    client.close();
  }
}

/** Resident set size of a process in bytes (Linux /proc), or 0 when unknown. */
export async function rssBytes(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
