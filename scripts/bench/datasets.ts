/**
 * The datasets the sections load (as pipelined command batches) and the
 * memory measurement of a freshly started server holding one of them.
 */
import { info, RespClient } from "./resp_client.ts";
import {
  type CommandBatch,
  commandBatches,
  type Impl,
  IMPL_NAME,
  loadBatches,
  type LoadResult,
  pad12,
  progress,
  type ServerHandle,
  settledRss,
  type StartOptions,
  startServer,
} from "./util.ts";

/** Commands per pipelined batch. */
const BATCH = 5000;
const FILLER = "x".repeat(100);

/** A 100-byte value unique to i. */
export function value100(i: number): string {
  const head = `v${pad12(i)}`;
  return head + FILLER.slice(head.length);
}

/** `SET key:N <100 bytes>` for N in [0, n). */
export function stringKeys(n: number): Iterable<CommandBatch> {
  return commandBatches(n, BATCH, (i) => ["SET", `key:${i}`, value100(i)]);
}

/**
 * A mixed dataset of n keys, redis-benchmark's key naming (`key:%012d`) for
 * the strings so `GET key:__rand_int__` hits them: 70% strings of 100 bytes
 * (one in ten with a TTL of a day), 10% hashes, 10% lists, 5% sets, 5% sorted
 * sets, 10 small elements each.
 */
export function mixedKeys(n: number): Iterable<CommandBatch> {
  return commandBatches(n, BATCH, (i) => {
    const id = pad12(i);
    const kind = i % 20;
    if (kind < 14) {
      return i % 10 === 0
        ? ["SET", `key:${id}`, value100(i), "EX", "86400"]
        : ["SET", `key:${id}`, value100(i)];
    }
    const cmd: string[] = kind < 16
      ? ["HSET", `hash:${id}`]
      : kind < 18
      ? ["RPUSH", `list:${id}`]
      : kind < 19
      ? ["SADD", `set:${id}`]
      : ["ZADD", `zset:${id}`];
    for (let j = 0; j < 10; j++) {
      if (kind < 16) cmd.push(`field${j}`, `value${i + j}`);
      else if (kind < 19) cmd.push(`element${j}:${i}`);
      else cmd.push(String(j * 1.5), `member${j}:${i}`);
    }
    return cmd;
  });
}

/** Members per command when building one big collection. */
const MEMBERS_PER_COMMAND = 100;

/** One big collection of n elements, built `MEMBERS_PER_COMMAND` at a time. */
export function bigCollection(kind: "zset" | "hash" | "set", key: string, n: number) {
  const commands = Math.ceil(n / MEMBERS_PER_COMMAND);
  return commandBatches(commands, 100, (c) => {
    const cmd = kind === "zset" ? ["ZADD", key] : kind === "hash" ? ["HSET", key] : ["SADD", key];
    const last = Math.min(n, (c + 1) * MEMBERS_PER_COMMAND);
    for (let i = c * MEMBERS_PER_COMMAND; i < last; i++) {
      const member = `member:${pad12(i)}`;
      if (kind === "zset") cmd.push(String(i), member);
      else if (kind === "hash") cmd.push(member, `v${i}`);
      else cmd.push(member);
    }
    return cmd;
  });
}

/** Memory of a fresh server before and after loading a dataset. */
export interface MemoryResult {
  /** RSS of the empty server (settled). */
  baseline: number;
  /** RSS after loading (settled). */
  loaded: number;
  /** INFO memory used_memory after loading. */
  usedMemory: number;
  /** Keys in db0 after loading. */
  keys: number;
  /** The load itself. */
  load: LoadResult;
}

/** Loads a dataset into a running server, checking for errors. */
export async function loadInto(
  server: ServerHandle,
  label: string,
  batches: Iterable<CommandBatch>,
): Promise<LoadResult> {
  const load = await loadBatches(server.port, batches);
  progress(
    `${IMPL_NAME[server.impl]}: loaded ${label}: ${load.commands} commands in ${
      load.seconds.toFixed(2)
    } s${load.errors ? `, ${load.errors} errors (${load.firstError})` : ""}`,
  );
  return load;
}

/** DBSIZE of db0. */
export async function dbsize(port: number): Promise<number> {
  const client = await RespClient.connect(port);
  try {
    return Number(await client.command("DBSIZE"));
  } finally {
    client.close();
  }
}

/** Measures a running, freshly started server's RSS, loads the dataset, measures again. */
export async function loadAndMeasure(
  server: ServerHandle,
  label: string,
  batches: Iterable<CommandBatch>,
): Promise<MemoryResult> {
  const baseline = await settledRss(server.pid, 500);
  const load = await loadInto(server, label, batches);
  const loaded = await settledRss(server.pid, 1500);
  const client = await RespClient.connect(server.port);
  try {
    const usedMemory = Number((await info(client, "memory")).get("used_memory") ?? NaN);
    const keys = Number(await client.command("DBSIZE"));
    return { baseline, loaded, usedMemory, keys, load };
  } finally {
    client.close();
  }
}

/** Starts a fresh server, loads the dataset with `loadAndMeasure`, stops it. */
export async function measureMemory(
  impl: Impl,
  label: string,
  batches: () => Iterable<CommandBatch>,
  startOptions?: StartOptions,
): Promise<MemoryResult> {
  const server = await startServer(impl, startOptions);
  try {
    return await loadAndMeasure(server, label, batches());
  } finally {
    await server.stop();
  }
}
