/**
 * Shared machinery of the benchmark: starting redis-server 7.0 and Redeno
 * with the same settings on free ports, CPU and RSS from /proc, running
 * redis-benchmark, a pipelined loader, a latency probe, statistics and
 * Markdown tables.
 */
import { encodeCommands, info, isUnknownCommand, type Reply, RespClient } from "./resp_client.ts";

/** The two implementations compared. */
export type Impl = "redis" | "redeno";

/** Redis first, then Redeno: the order of every table's columns. */
export const IMPLS: readonly Impl[] = ["redis", "redeno"];

/** Display names. */
export const IMPL_NAME: Record<Impl, string> = { redis: "Redis 7.0", redeno: "Redeno" };

/** The repository root (where main.ts lives). */
export const REPO_ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** Sizes and repetitions of one run. */
export interface BenchOptions {
  /** Smoke run: small datasets, one round. */
  quick: boolean;
  /** Rounds of alternating runs for the redis-benchmark tables. */
  rounds: number;
  /** Keys (or members) of the big datasets. */
  keys: number;
}

/** How long a server may take to answer its first PING (includes loading a dump). */
const READY_TIMEOUT_MS = 120_000;
/** How long SHUTDOWN NOSAVE may take before the process is killed. */
const STOP_TIMEOUT_MS = 5_000;
/** Bytes of a server's stderr kept for error messages. */
const STDERR_TAIL = 16 * 1024;

let tempRoot: string | undefined;
const liveServers = new Set<ServerHandle>();
const liveChildren = new Set<Deno.ChildProcess>();

/** Writes a progress line to stderr (stdout carries only the tables). */
export function progress(message: string): void {
  const t = new Date().toISOString().slice(11, 19);
  console.error(`[${t}] ${message}`);
}

/** Resolves after ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The benchmark's temporary root directory (created on first use). */
export async function benchTempRoot(): Promise<string> {
  tempRoot ??= await Deno.makeTempDir({ prefix: "redeno-bench-" });
  return tempRoot;
}

/** A new empty directory under the temporary root. */
export async function newTempDir(name: string): Promise<string> {
  const root = await benchTempRoot();
  return await Deno.makeTempDir({ dir: root, prefix: `${name}-` });
}

/** A port nobody listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Options of `startServer`. */
export interface StartOptions {
  /** The data directory (a new temp dir when absent). */
  dir?: string;
  /** More `--name value` arguments, after the common ones. */
  extraArgs?: string[];
}

/** A running server process. */
export class ServerHandle {
  /** Which implementation. */
  readonly impl: Impl;
  /** Its TCP port on 127.0.0.1. */
  readonly port: number;
  /** Its data directory. */
  readonly dir: string;
  /** Its process. */
  readonly child: Deno.ChildProcess;
  /** performance.now() just before the spawn. */
  readonly spawnedAt: number;
  /** performance.now() when the first PING was answered with PONG. */
  readyAt = 0;
  #exited = false;
  #stderr = "";

  constructor(impl: Impl, port: number, dir: string, child: Deno.ChildProcess, spawnedAt: number) {
    this.impl = impl;
    this.port = port;
    this.dir = dir;
    this.child = child;
    this.spawnedAt = spawnedAt;
    child.status.then(() => this.#exited = true);
    this.#drainStderr();
  }

  /** The server's pid. */
  get pid(): number {
    return this.child.pid;
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Milliseconds from spawn to the first PONG. */
  get startupMs(): number {
    return this.readyAt - this.spawnedAt;
  }

  /** A description for error messages: stderr tail and log tail. */
  diagnostics(): string {
    let logTail = "";
    try {
      logTail = Deno.readTextFileSync(`${this.dir}/server.log`).slice(-4000);
    } catch {
      // No log yet.
    }
    return `${
      IMPL_NAME[this.impl]
    } on port ${this.port}\n--- stderr ---\n${this.#stderr}\n--- log ---\n${logTail}`;
  }

  /** Waits until PING answers PONG (not -LOADING). */
  async waitReady(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let client: RespClient | undefined;
    try {
      while (performance.now() < deadline) {
        if (this.#exited) throw new Error(`server exited during start-up\n${this.diagnostics()}`);
        if (client === undefined || client.closed) {
          try {
            client = await RespClient.connect(this.port);
          } catch {
            client = undefined;
            await sleep(5);
            continue;
          }
        }
        let reply: Reply;
        try {
          reply = await client.command("PING");
        } catch {
          client = undefined;
          await sleep(5);
          continue;
        }
        if (reply === "PONG") {
          this.readyAt = performance.now();
          return;
        }
        await sleep(5);
      }
      throw new Error(`server not ready after ${timeoutMs} ms\n${this.diagnostics()}`);
    } finally {
      client?.close();
    }
  }

  /** SHUTDOWN NOSAVE, then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    liveServers.delete(this);
    if (!this.#exited) {
      try {
        const client = await RespClient.connect(this.port);
        await Promise.race([client.command("SHUTDOWN", "NOSAVE").catch(() => null), sleep(1000)]);
        client.close();
      } catch {
        // Not listening: kill below.
      }
      await Promise.race([this.child.status, sleep(STOP_TIMEOUT_MS)]);
      if (!this.#exited) {
        try {
          this.child.kill("SIGKILL");
        } catch {
          // Exited meanwhile.
        }
        await this.child.status;
      }
    }
  }

  async #drainStderr(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.child.stderr) {
        this.#stderr = (this.#stderr + decoder.decode(chunk)).slice(-STDERR_TAIL);
      }
    } catch {
      // The process ended.
    }
  }
}

/**
 * Starts redis-server 7.0 or Redeno with the same settings: 127.0.0.1 on a
 * free port, no save points, no AOF, its own data directory and log file.
 * Resolves when it answers PING.
 */
export async function startServer(impl: Impl, opts: StartOptions = {}): Promise<ServerHandle> {
  const dir = opts.dir ?? await newTempDir(impl);
  const port = freePort();
  const common = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--logfile",
    `${dir}/server.log`,
    ...(opts.extraArgs ?? []),
  ];
  const [cmd, args] = impl === "redis"
    ? ["redis-server", common]
    : [Deno.execPath(), ["run", "-A", `${REPO_ROOT}main.ts`, ...common]];
  const spawnedAt = performance.now();
  const child = new Deno.Command(cmd, {
    args,
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const server = new ServerHandle(impl, port, dir, child, spawnedAt);
  liveServers.add(server);
  try {
    await server.waitReady();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Stops every server and redis-benchmark still running, and removes the temp root. */
export async function cleanupAll(): Promise<void> {
  for (const load of liveChildren) {
    try {
      load.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await load.status;
  }
  liveChildren.clear();
  await Promise.all([...liveServers].map((s) => s.stop()));
  if (tempRoot !== undefined) {
    await Deno.remove(tempRoot, { recursive: true }).catch(() => {});
    tempRoot = undefined;
  }
}

let clockTicks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, normally 100). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    clockTicks = 100;
    try {
      const out = new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).outputSync();
      const n = Number(new TextDecoder().decode(out.stdout).trim());
      if (n > 0) clockTicks = n;
    } catch {
      // Keep 100, the Linux default.
    }
  }
  return clockTicks;
}

/** CPU seconds (utime + stime, all threads) the process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** Resident set size in bytes, from /proc/<pid>/status VmRSS. */
export function rssBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Milliseconds the process's main thread has spent on a CPU and runnable but
 * waiting for one (Linux schedstat of the thread whose id is the pid). On a
 * shared 2-core host the wait shows how much of a server's latency is the
 * scheduler's.
 */
export function mainThreadSched(pid: number): { runMs: number; waitMs: number } {
  try {
    const [run, wait] = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/schedstat`)
      .split(" ").map(Number);
    return { runMs: run / 1e6, waitMs: wait / 1e6 };
  } catch {
    return { runMs: NaN, waitMs: NaN };
  }
}

/** RSS after letting the process settle (the smallest of a few samples over ms). */
export async function settledRss(pid: number, ms = 1000): Promise<number> {
  let min = rssBytes(pid);
  const steps = 5;
  for (let i = 0; i < steps; i++) {
    await sleep(ms / steps);
    min = Math.min(min, rssBytes(pid));
  }
  return min;
}

/** One redis-benchmark run. */
export interface BenchmarkSpec {
  /** A `-t` test name (ping_mbulk, set, lrange_100 …). */
  test?: string;
  /** Or a custom command (with `__rand_int__` placeholders). */
  command?: string[];
  /** `-c` (default 50). */
  clients?: number;
  /** `-P` (default 1). */
  pipeline?: number;
  /** `-n`. */
  requests: number;
  /** `-r` keyspace length, if any. */
  keyspace?: number;
  /** `-d` data size, if any. */
  dataSize?: number;
}

/** What one redis-benchmark run measured. */
export interface BenchmarkResult {
  /** Requests per second reported by redis-benchmark. */
  rps: number;
  /** Server CPU seconds during the run divided by the requests. */
  cpuPerRequest: number;
}

/** redis-benchmark's arguments for `spec` against 127.0.0.1:`port`. */
export function benchmarkArgs(port: number, spec: BenchmarkSpec): string[] {
  const args = [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-c",
    String(spec.clients ?? 50),
    "-P",
    String(spec.pipeline ?? 1),
    "-n",
    String(spec.requests),
  ];
  if (spec.keyspace !== undefined) args.push("-r", String(spec.keyspace));
  if (spec.dataSize !== undefined) args.push("-d", String(spec.dataSize));
  if (spec.test !== undefined) args.push("-t", spec.test);
  else if (spec.command !== undefined) args.push(...spec.command);
  return args;
}

/** Parses `--csv` output into [test name, rps] rows. */
function parseCsv(text: string): [string, number][] {
  const rows: [string, number][] = [];
  for (const line of text.split("\n")) {
    const m = /^"([^"]*)","([0-9.]+)"/.exec(line.trim());
    if (m) rows.push([m[1], Number(m[2])]);
  }
  return rows;
}

/** Runs redis-benchmark with `args` to its end (stopped by cleanupAll); its output. */
export async function runRedisBenchmark(args: string[]): Promise<Deno.CommandOutput> {
  const child = new Deno.Command("redis-benchmark", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  liveChildren.add(child);
  try {
    return await child.output();
  } finally {
    liveChildren.delete(child);
  }
}

/** Runs redis-benchmark `--csv` against a server, sampling its CPU before and after. */
export async function redisBenchmark(
  server: ServerHandle,
  spec: BenchmarkSpec,
): Promise<BenchmarkResult> {
  const args = ["--csv", ...benchmarkArgs(server.port, spec)];
  const cpuBefore = cpuSeconds(server.pid);
  const out = await runRedisBenchmark(args);
  const cpuAfter = cpuSeconds(server.pid);
  const text = new TextDecoder().decode(out.stdout);
  const rows = parseCsv(text);
  let row: [string, number] | undefined;
  if (spec.test !== undefined) {
    const want = spec.test.toUpperCase();
    row = rows.find(([name]) => name.split(" ")[0].toUpperCase() === want && !/needed/.test(name));
  } else {
    row = rows[0];
  }
  if (!out.success || row === undefined) {
    throw new Error(
      `redis-benchmark ${args.join(" ")} failed:\n${text}\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return { rps: row[1], cpuPerRequest: (cpuAfter - cpuBefore) / spec.requests };
}

/** A redis-benchmark process generating load until stopped. */
export interface BackgroundLoad {
  /** Kills it. */
  stop(): Promise<void>;
}

/** Starts redis-benchmark with a huge -n as a background load. */
export function startLoad(
  server: ServerHandle,
  spec: Omit<BenchmarkSpec, "requests">,
): BackgroundLoad {
  const args = benchmarkArgs(server.port, { ...spec, requests: 2_000_000_000 });
  const child = new Deno.Command("redis-benchmark", {
    args: ["-q", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  liveChildren.add(child);
  return {
    async stop() {
      liveChildren.delete(child);
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.status;
    },
  };
}

/** A batch of encoded commands. */
export interface CommandBatch {
  /** The RESP bytes. */
  bytes: Uint8Array;
  /** How many commands they hold. */
  count: number;
}

/** Yields `total` commands made by `make(i)`, `perBatch` at a time, as encoded batches. */
export function* commandBatches(
  total: number,
  perBatch: number,
  make: (i: number) => string[],
): Generator<CommandBatch> {
  for (let first = 0; first < total; first += perBatch) {
    const last = Math.min(total, first + perBatch);
    const commands: string[][] = [];
    for (let i = first; i < last; i++) commands.push(make(i));
    yield { bytes: encodeCommands(commands), count: last - first };
  }
}

/** What a pipelined load did. */
export interface LoadResult {
  /** Commands sent. */
  commands: number;
  /** Error replies. */
  errors: number;
  /** The first error reply. */
  firstError?: string;
  /** Wall time in seconds. */
  seconds: number;
}

/** Pipelines batches over one connection, at most `window` batches in flight. */
export async function loadBatches(
  port: number,
  batches: Iterable<CommandBatch>,
  window = 4,
): Promise<LoadResult> {
  const client = await RespClient.connect(port);
  const started = performance.now();
  const result: LoadResult = { commands: 0, errors: 0, seconds: 0 };
  const inFlight: Promise<void>[] = [];
  try {
    for (const batch of batches) {
      result.commands += batch.count;
      inFlight.push(
        client.sendBatch(batch.bytes, batch.count).then((r) => {
          result.errors += r.errors;
          result.firstError ??= r.firstError;
        }),
      );
      if (inFlight.length >= window) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } finally {
    client.close();
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** Summary of latency samples in milliseconds. */
export interface LatencySummary {
  /** Samples taken. */
  count: number;
  /** Median. */
  p50: number;
  /** 99th percentile. */
  p99: number;
  /** Maximum. */
  max: number;
}

/** The `p`-quantile (0–1) of numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank];
}

/** The median. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The largest value (NaN when empty); safe for arrays of any length. */
export function maxOf(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  return values.length === 0 ? NaN : max;
}

/** p50/p99/max of samples. */
export function summarizeLatency(samples: readonly number[]): LatencySummary {
  return {
    count: samples.length,
    p50: percentile(samples, 0.5),
    p99: percentile(samples, 0.99),
    max: maxOf(samples),
  };
}

/** Pause after a run that wrote large files, before measuring the next implementation. */
const SETTLE_MS = 3000;

/**
 * Lets the host settle between two implementations' runs: flushes the
 * dirty pages the previous one left (its dump and replica files, written
 * back by the kernel in the background otherwise, in the middle of the next
 * run's measurements) and pauses. Measured: a Redeno full sync run right
 * after Redis's took 4.4 s, run first 3.4 s.
 */
export async function settleHost(): Promise<void> {
  try {
    await new Deno.Command("sync", { stdout: "null", stderr: "null" }).output();
  } catch {
    // No sync(1): the pause alone.
  }
  await sleep(SETTLE_MS);
}

/** total_commands_processed from INFO stats. */
export async function commandsProcessed(client: RespClient): Promise<number> {
  return Number((await info(client, "stats")).get("total_commands_processed") ?? NaN);
}

/** Commands/s the server processed over the next ms milliseconds (total_commands_processed). */
export async function commandRate(client: RespClient, ms: number): Promise<number> {
  const c0 = await commandsProcessed(client);
  const t0 = performance.now();
  await sleep(ms);
  return (await commandsProcessed(client) - c0) / ((performance.now() - t0) / 1000);
}

/** Polls `check` every intervalMs until it returns true; throws after timeoutMs. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 20,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return;
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Whether the server accepts a command (false when it answers "unknown command"). */
export async function supports(port: number, args: string[]): Promise<boolean> {
  const client = await RespClient.connect(port);
  try {
    const reply = await client.command(...args);
    return !isUnknownCommand(reply);
  } finally {
    client.close();
  }
}

/** A Markdown table with padded columns; every column but the first aligns right. */
export function markdownTable(headers: readonly string[], rows: readonly string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const cell = (text: string, c: number) =>
    c > 0 ? text.padStart(widths[c]) : text.padEnd(widths[c]);
  const line = (cells: readonly string[]) =>
    `| ${headers.map((_, c) => cell(cells[c] ?? "", c)).join(" | ")} |`;
  const rule = `|${
    widths.map((w, c) => c > 0 ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2)).join("|")
  }|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

/** 1234567.8 → "1,234,568". */
export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
}

/** A ratio like "0.93×". */
export function fmtRatio(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(2)}×` : "n/a";
}

/** Milliseconds with a sensible precision. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  return ms < 10
    ? `${ms.toFixed(2)} ms`
    : ms < 1000
    ? `${ms.toFixed(1)} ms`
    : `${ms.toFixed(0)} ms`;
}

/** Seconds as "1.23 s". */
export function fmtSec(s: number): string {
  return Number.isFinite(s) ? `${s.toFixed(2)} s` : "n/a";
}

/** Bytes as MiB. */
export function fmtMiB(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(1)} MiB` : "n/a";
}

/** Microseconds per request from seconds per request. */
export function fmtUs(seconds: number): string {
  return Number.isFinite(seconds) ? `${(seconds * 1e6).toFixed(2)} µs` : "n/a";
}

/** A comparison that is undefined when the value is not a number. */
export function cmp(value: number, op: ">=" | "<=", goal: number): boolean | undefined {
  if (!Number.isFinite(value)) return undefined;
  return op === ">=" ? value >= goal : value <= goal;
}

/** A fraction as a percentage: 0.7 → "70%". */
export function fmtPct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : "n/a";
}

/** PASS / MISS / n/a. */
export function mark(ok: boolean | undefined): string {
  return ok === undefined ? "n/a" : ok ? "PASS" : "MISS";
}

/** A 12-digit zero-padded number, the form redis-benchmark's `__rand_int__` takes. */
export function pad12(i: number): string {
  return String(i).padStart(12, "0");
}

/** A section's printable result. */
export interface SectionResult {
  /** Markdown text (title, tables, notes). */
  markdown: string;
}
