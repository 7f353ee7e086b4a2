/**
 * Section "persistence" (issue 4): BGSAVE of a mixed 1M-key dataset —
 * duration, file size, the latency a concurrent client sees and the
 * throughput a load keeps during it, peak memory — and the start-up load
 * time of the same dump in both servers.
 */
import { dbsize, loadInto, mixedKeys } from "./datasets.ts";
import { info, RespClient } from "./resp_client.ts";
import {
  type BenchOptions,
  cmp,
  commandRate,
  commandsProcessed,
  fmtInt,
  fmtMiB,
  fmtMs,
  fmtPct,
  fmtRatio,
  fmtSec,
  type Impl,
  IMPL_NAME,
  IMPLS,
  type LatencySummary,
  mark,
  markdownTable,
  newTempDir,
  pad12,
  progress,
  rssBytes,
  type ServerHandle,
  settledRss,
  settleHost,
  sleep,
  startLoad,
  startServer,
  waitUntil,
} from "./util.ts";
import { idleLatency, startLatencyProbe } from "./latency.ts";
import { describeHostStalls, HOST_STALLS_MS, hostStalls } from "./host_stalls.ts";
import { fmtKdamond, type KdamondUse, startKdamondMeter } from "./kdamond.ts";

/** The longest a BGSAVE may take before the section gives up. */
const BGSAVE_TIMEOUT_MS = 300_000;
/** How long the GET load runs before its idle window starts. */
const LOAD_WARMUP_MS = 1000;

/** One BGSAVE as seen from outside. */
interface SaveRun {
  seconds: number;
  peakRss: number;
  latency?: LatencySummary;
  /** Commands/sec the server processed while it ran (under a load). */
  rate?: number;
}

/** What one server did in the section. */
interface SaveFigures {
  keys: number;
  emptyRss: number;
  loadedRss: number;
  fileBytes: number;
  quiet: SaveRun;
  idleLatency: LatencySummary;
  idleRate: number;
  underLoad: SaveRun;
  cowBytes: number;
  /** The kernel's DAMON threads while the probe ran (idle, then the quiet BGSAVE). */
  kdamond: KdamondUse;
}

/** Runs BGSAVE and waits until INFO persistence says it finished with success. */
async function timedBgsave(
  server: ServerHandle,
  withProbe: boolean,
): Promise<SaveRun> {
  const client = await RespClient.connect(server.port);
  let peakRss = rssBytes(server.pid);
  const sampler = setInterval(() => {
    if (!server.exited) peakRss = Math.max(peakRss, rssBytes(server.pid));
  }, 10);
  const probe = withProbe ? startLatencyProbe(server.port, `key:${pad12(1)}`) : undefined;
  try {
    const before = await commandsProcessed(client);
    const started = performance.now();
    const reply = await client.command("BGSAVE");
    if (typeof reply !== "string" || !reply.startsWith("Background saving")) {
      throw new Error(`${IMPL_NAME[server.impl]} BGSAVE: ${JSON.stringify(reply)}`);
    }
    let fields = new Map<string, string>();
    await waitUntil(
      "BGSAVE to finish",
      async () => {
        fields = await info(client, "persistence");
        return fields.get("rdb_bgsave_in_progress") === "0";
      },
      BGSAVE_TIMEOUT_MS,
      10,
    );
    const seconds = (performance.now() - started) / 1000;
    const after = await commandsProcessed(client);
    if (fields.get("rdb_last_bgsave_status") !== "ok") {
      throw new Error(
        `${IMPL_NAME[server.impl]} BGSAVE failed: rdb_last_bgsave_status ${
          fields.get("rdb_last_bgsave_status")
        }`,
      );
    }
    const latency = await probe?.stop();
    return { seconds, peakRss, latency, rate: (after - before) / seconds };
  } finally {
    clearInterval(sampler);
    await probe?.stop();
    client.close();
  }
}

/** Load, idle figures, a quiet BGSAVE with a latency probe, a BGSAVE under a GET load. */
async function saveFigures(
  impl: Impl,
  opts: BenchOptions,
  windowMs: number,
  dumpCopy: string,
): Promise<SaveFigures> {
  const server = await startServer(impl);
  try {
    const emptyRss = await settledRss(server.pid, 500);
    const load = await loadInto(server, `${opts.keys} mixed keys`, mixedKeys(opts.keys));
    if (load.errors > 0) throw new Error(`loading failed: ${load.firstError}`);
    const keys = await dbsize(server.port);
    const loadedRss = await settledRss(server.pid, 1000);

    progress(`persistence: ${impl}: idle latency, then BGSAVE with a latency probe`);
    const kdamondMeter = startKdamondMeter();
    const idle = await idleLatency(server.port, `key:${pad12(1)}`, windowMs);
    const quiet = await timedBgsave(server, true);
    const kdamond = kdamondMeter.stop();
    const fileBytes = (await Deno.stat(`${server.dir}/dump.rdb`)).size;
    await Deno.copyFile(`${server.dir}/dump.rdb`, dumpCopy);
    const client = await RespClient.connect(server.port);
    const cowBytes = Number((await info(client, "persistence")).get("rdb_last_cow_size") ?? NaN);

    progress(`persistence: ${impl}: throughput of a GET load, idle / during BGSAVE / idle`);
    const bench = startLoad(server, { test: "get", clients: 50, pipeline: 1, keyspace: opts.keys });
    let idleRate: number;
    let underLoad: SaveRun;
    try {
      // Idle is the mean of a window before and one after, so drift of the shared machine cancels.
      await sleep(LOAD_WARMUP_MS);
      const before = await commandRate(client, windowMs);
      underLoad = await timedBgsave(server, false);
      idleRate = (before + await commandRate(client, windowMs)) / 2;
    } finally {
      await bench.stop();
      client.close();
    }
    return {
      keys,
      emptyRss,
      loadedRss,
      fileBytes,
      quiet,
      idleLatency: idle,
      idleRate,
      underLoad,
      cowBytes,
      kdamond,
    };
  } finally {
    await server.stop();
  }
}

/**
 * Milliseconds from spawn until the server answers PING with PONG and
 * DBSIZE reaches `expectedKeys` (a server that answers before it finished
 * loading is timed to the end of its load), and the DBSIZE reached.
 */
async function startupTime(
  impl: Impl,
  dir: string,
  expectedKeys: number,
): Promise<{ ms: number; keys: number; answeredEarly: boolean }> {
  const server = await startServer(impl, { dir });
  try {
    let keys = await dbsize(server.port);
    const answeredEarly = keys < expectedKeys;
    if (answeredEarly) {
      await waitUntil(
        `${IMPL_NAME[impl]} to finish loading`,
        async () => {
          keys = await dbsize(server.port);
          return keys >= expectedKeys;
        },
        60_000,
        5,
      );
    }
    const ms = (answeredEarly ? performance.now() : server.readyAt) - server.spawnedAt;
    return { ms, keys, answeredEarly };
  } finally {
    await server.stop();
  }
}

/** The start-up time of a server on an empty directory (best of two). */
async function emptyStartup(impl: Impl): Promise<number> {
  const times = [];
  for (let i = 0; i < 2; i++) {
    times.push((await startupTime(impl, await newTempDir(`${impl}-empty`), 0)).ms);
  }
  return Math.min(...times);
}

/** Start-up on a copy of a dump. */
async function dumpStartup(impl: Impl, dump: string, expectedKeys: number) {
  const dir = await newTempDir(`${impl}-load`);
  await Deno.copyFile(dump, `${dir}/dump.rdb`);
  return await startupTime(impl, dir, expectedKeys);
}

/** Runs the persistence section and returns its Markdown. */
export async function runPersistence(opts: BenchOptions): Promise<string> {
  const windowMs = opts.quick ? 1000 : 2000;
  const dumps = {} as Record<Impl, string>;
  const figures = {} as Record<Impl, SaveFigures>;
  progress("persistence: the host's own stalls");
  const stalls = await hostStalls(HOST_STALLS_MS);
  for (const impl of IMPLS) {
    await settleHost();
    dumps[impl] = `${await newTempDir("dumps")}/${impl}.rdb`;
    figures[impl] = await saveFigures(impl, opts, windowMs, dumps[impl]);
  }

  progress("persistence: start-up load times");
  const load = {} as Record<
    Impl,
    { empty: number; ms: number; keys: number; source: string; answeredEarly: boolean }
  >;
  const expected = figures.redis.keys;
  for (const impl of IMPLS) {
    const empty = await emptyStartup(impl);
    let source = "Redis's dump";
    let run;
    try {
      run = await dumpStartup(impl, dumps.redis, expected);
    } catch (err) {
      progress(`${IMPL_NAME[impl]} could not load Redis's dump: ${(err as Error).message}`);
      source = "its own dump (Redis's failed)";
      run = await dumpStartup(impl, dumps[impl], expected);
    }
    load[impl] = { empty, ...run, ms: run.ms - empty, source };
  }

  const r = figures.redis;
  const d = figures.redeno;
  const saveRatio = d.quiet.seconds / r.quiet.seconds;
  const loadRatio = load.redeno.ms / load.redis.ms;
  const lat = (s: LatencySummary) => `${fmtMs(s.p50)} / ${fmtMs(s.p99)} / ${fmtMs(s.max)}`;
  const dur = (f: SaveFigures) => f.quiet.latency ?? { count: 0, p50: NaN, p99: NaN, max: NaN };
  const keepRate = (f: SaveFigures) => (f.underLoad.rate ?? NaN) / f.idleRate;
  const snapshotPeak = (f: SaveFigures) =>
    (f.quiet.peakRss - f.emptyRss) / (f.loadedRss - f.emptyRss);

  const rows = [
    ["keys (DBSIZE)", fmtInt(r.keys), fmtInt(d.keys), ""],
    [
      "BGSAVE duration (quiet)",
      fmtSec(r.quiet.seconds),
      fmtSec(d.quiet.seconds),
      fmtRatio(saveRatio),
    ],
    [
      "BGSAVE duration (under GET load)",
      fmtSec(r.underLoad.seconds),
      fmtSec(d.underLoad.seconds),
      fmtRatio(d.underLoad.seconds / r.underLoad.seconds),
    ],
    [
      "dump.rdb size",
      fmtMiB(r.fileBytes),
      fmtMiB(d.fileBytes),
      fmtRatio(d.fileBytes / r.fileBytes),
    ],
    ["latency idle p50 / p99 / max", lat(r.idleLatency), lat(d.idleLatency), ""],
    ["latency during BGSAVE p50 / p99 / max", lat(dur(r)), lat(dur(d)), ""],
    ["kernel's DAMON (kdamond) CPU while probed", fmtKdamond(r.kdamond), fmtKdamond(d.kdamond), ""],
    [
      "probe requests (idle / during)",
      `${fmtInt(r.idleLatency.count)} / ${fmtInt(dur(r).count)}`,
      `${fmtInt(d.idleLatency.count)} / ${fmtInt(dur(d).count)}`,
      "",
    ],
    [
      "GET load idle, before/after mean (commands/s)",
      fmtInt(r.idleRate),
      fmtInt(d.idleRate),
      fmtRatio(d.idleRate / r.idleRate),
    ],
    [
      "GET load during BGSAVE (commands/s)",
      fmtInt(r.underLoad.rate ?? NaN),
      fmtInt(d.underLoad.rate ?? NaN),
      fmtRatio((d.underLoad.rate ?? NaN) / (r.underLoad.rate ?? NaN)),
    ],
    ["throughput kept during BGSAVE", fmtPct(keepRate(r)), fmtPct(keepRate(d)), ""],
    [
      "RSS empty / loaded",
      `${fmtMiB(r.emptyRss)} / ${fmtMiB(r.loadedRss)}`,
      `${fmtMiB(d.emptyRss)} / ${fmtMiB(d.loadedRss)}`,
      "",
    ],
    ["server RSS peak during BGSAVE", fmtMiB(r.quiet.peakRss), fmtMiB(d.quiet.peakRss), ""],
    ["fork child copy-on-write (rdb_last_cow_size)", fmtMiB(r.cowBytes), "no fork", ""],
    ["start-up, empty dir", fmtMs(load.redis.empty), fmtMs(load.redeno.empty), ""],
    [
      "start-up load time (minus empty start)",
      fmtMs(load.redis.ms),
      fmtMs(load.redeno.ms),
      fmtRatio(loadRatio),
    ],
    [
      "dump loaded / keys after start",
      `${load.redis.source} / ${fmtInt(load.redis.keys)}`,
      `${load.redeno.source} / ${fmtInt(load.redeno.keys)}`,
      "",
    ],
  ];
  const early = IMPLS.filter((impl) => load[impl].answeredEarly).map((impl) => IMPL_NAME[impl]);
  const maxDuring = dur(d).max;
  return [
    `### persistence — BGSAVE of ${
      fmtInt(opts.keys)
    } mixed keys (70% strings, 30% hash/list/set/zset)`,
    "",
    markdownTable(["", "Redis 7.0", "Redeno", "Redeno/Redis"], rows),
    "",
    markdownTable(["target (Redeno)", "measured", "goal", "result"], [
      ["max latency during BGSAVE", fmtMs(maxDuring), "≤ 10 ms", mark(cmp(maxDuring, "<=", 10))],
      [
        "throughput kept during BGSAVE",
        fmtPct(keepRate(d)),
        "≥ 70%",
        mark(cmp(keepRate(d), ">=", 0.7)),
      ],
      ["BGSAVE time vs Redis", fmtRatio(saveRatio), "≤ 2.00×", mark(cmp(saveRatio, "<=", 2))],
      [
        "start-up load time vs Redis",
        fmtRatio(loadRatio),
        "≤ 2.00×",
        mark(cmp(loadRatio, "<=", 2)),
      ],
      [
        "snapshot peak memory / dataset memory (RSS over empty)",
        fmtRatio(snapshotPeak(d)),
        "≤ 1.30×",
        mark(cmp(snapshotPeak(d), "<=", 1.3)),
      ],
    ]),
    "",
    `Latency: redis-benchmark -c 1, rounds of 1000 PING then 1000 GET, one request at a time, their distributions merged; idle window ${windowMs} ms. ` +
    "Throughput: redis-benchmark GET -c 50 -P 1 -r N as the load, total_commands_processed over the window " +
    "(idle = mean of the windows before and after the BGSAVE). " +
    "Durations: BGSAVE sent → INFO persistence rdb_bgsave_in_progress:0 (polled every 10 ms). " +
    "Start-up: spawn → PING answered with PONG and DBSIZE complete, minus the empty-dir start-up.",
    ...(early.length > 0
      ? [
        `\nNote: ${
          early.join(", ")
        } answered PING before the dump was loaded (Redis answers -LOADING).`,
      ]
      : []),
    "",
    describeHostStalls(stalls),
  ].join("\n");
}
