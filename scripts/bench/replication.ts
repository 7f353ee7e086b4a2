/**
 * Section "replication" (issue 5): master → replica for each implementation
 * on the same mixed dataset: full sync time (diskless and disk-based), the
 * master's latency and throughput during a sync vs idle, and the replica's
 * lag under a steady redis-benchmark SET -P 16 write load.
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
  IMPLS,
  type LatencySummary,
  mainThreadSched,
  mark,
  markdownTable,
  maxOf,
  pad12,
  percentile,
  progress,
  redisBenchmark,
  type ServerHandle,
  settleHost,
  sleep,
  startLoad,
  startServer,
  waitUntil,
} from "./util.ts";
import { describeHostStalls, HOST_STALLS_MS, hostStalls } from "./host_stalls.ts";
import { idleLatency, startLatencyProbe } from "./latency.ts";
import { fmtKdamond, type KdamondUse, startKdamondMeter } from "./kdamond.ts";

/** Settings every master and replica of the section gets (no 5 s diskless delay). */
const REPL_ARGS = ["--repl-diskless-sync-delay", "0"];
/** The longest a full sync may take before the section gives up. */
const SYNC_TIMEOUT_MS = 300_000;
/** The longest a replica may take to catch up after the write load. */
const CATCH_UP_TIMEOUT_MS = 60_000;
/** How often offsets are sampled under the write load. */
const LAG_SAMPLE_MS = 50;
/** How long the GET load runs before its idle window starts. */
const LOAD_WARMUP_MS = 1000;

/** Syncs under the GET load per implementation (the throughput kept is their median). */
function loadRounds(opts: BenchOptions): number {
  return opts.quick ? 1 : opts.rounds;
}

/** Diskless syncs with the latency probe per implementation (the sync time is their median). */
function probedRounds(opts: BenchOptions): number {
  return opts.quick ? 1 : opts.rounds;
}

/** One full sync as seen from outside. */
interface SyncRun {
  seconds: number;
  latency?: LatencySummary;
  rate?: number;
  replicaKeys: number;
  /** The master's main thread meanwhile: ms on a CPU, and ms runnable but waiting for one. */
  masterSched: { runMs: number; waitMs: number };
  /** The kernel's DAMON threads meanwhile. */
  kdamond: KdamondUse;
}

/** The replica's lag under a write load. */
interface LagRun {
  writeRps: number;
  streamBytesPerSec: number;
  lagBytes: { p50: number; max: number };
  lagMs: { p50: number; max: number };
  catchUpMs: number;
  samples: number;
}

interface ReplFigures {
  keys: number;
  idleLatency: LatencySummary;
  idleRate: number;
  /** The median (by time) of the diskless syncs with the latency probe. */
  diskless: SyncRun;
  /** The fastest and slowest of them. */
  disklessRange: [number, number];
  /** Each one's maximum latency. */
  disklessMaxLatency: number[];
  /** The median (by throughput kept) of the syncs under a GET load. */
  underLoad: SyncRun;
  /** The lowest and highest share of the idle throughput kept over those syncs. */
  keptRange: [number, number];
  /** Throughput kept during a sync to a redis-server replica: the master's own share, with less CPU taken by the replica. */
  keptWithRedisReplica: number;
  disk: SyncRun;
  lag: LagRun;
}

/**
 * Starts a replica (of the master's implementation unless told otherwise),
 * sends REPLICAOF and waits for master_link_status:up with no sync in
 * progress; optionally probes the master's latency or measures the
 * commands/s a running load gets from it meanwhile.
 */
async function fullSync(
  master: ServerHandle,
  expectedKeys: number,
  measure: "latency" | "rate",
  replicaImpl: Impl = master.impl,
): Promise<{ replica: ServerHandle; run: SyncRun }> {
  const replica = await startServer(replicaImpl, { extraArgs: REPL_ARGS });
  const rc = await RespClient.connect(replica.port);
  const mc = await RespClient.connect(master.port);
  const probe = measure === "latency"
    ? startLatencyProbe(master.port, `key:${pad12(1)}`, SYNC_TIMEOUT_MS)
    : undefined;
  try {
    const c0 = await commandsProcessed(mc);
    const sched0 = mainThreadSched(master.pid);
    const kdamondMeter = startKdamondMeter();
    const started = performance.now();
    const reply = await rc.command("REPLICAOF", "127.0.0.1", String(master.port));
    if (reply !== "OK") throw new Error(`REPLICAOF: ${JSON.stringify(reply)}`);
    await waitUntil(
      "the replica's link to be up",
      async () => {
        const f = await info(rc, "replication");
        return f.get("master_link_status") === "up" && f.get("master_sync_in_progress") === "0";
      },
      SYNC_TIMEOUT_MS,
      10,
    );
    const seconds = (performance.now() - started) / 1000;
    const sched1 = mainThreadSched(master.pid);
    const kdamond = kdamondMeter.stop();
    const rate = (await commandsProcessed(mc) - c0) / seconds;
    const latency = await probe?.stop();
    let replicaKeys = 0;
    await waitUntil("the replica to hold every key", async () => {
      replicaKeys = await dbsize(replica.port);
      return replicaKeys >= expectedKeys;
    }, 10_000).catch(() => {});
    return {
      replica,
      run: {
        seconds,
        latency,
        rate: measure === "rate" ? rate : undefined,
        replicaKeys,
        masterSched: { runMs: sched1.runMs - sched0.runMs, waitMs: sched1.waitMs - sched0.waitMs },
        kdamond,
      },
    };
  } catch (err) {
    await replica.stop();
    throw err;
  } finally {
    await probe?.stop();
    rc.close();
    mc.close();
  }
}

/**
 * Offsets of master and replica from two INFO calls sent together, each
 * stamped when its own reply arrived: when one server is slow to answer, the
 * other's value belongs to the earlier moment (one stamp for both counted a
 * stalled master as replica lag).
 */
interface OffsetSample {
  tMaster: number;
  master: number;
  tReplica: number;
  replica: number;
}

async function sampleOffsets(mc: RespClient, rc: RespClient): Promise<OffsetSample> {
  const stamped = async (client: RespClient, field: string) => {
    const value = Number((await info(client, "replication")).get(field));
    return { t: performance.now(), value };
  };
  const [m, r] = await Promise.all([
    stamped(mc, "master_repl_offset"),
    stamped(rc, "slave_repl_offset"),
  ]);
  return { tMaster: m.t, master: m.value, tReplica: r.t, replica: r.value };
}

/** When (ms) the master's offset reached `offset`, interpolated between samples. */
function masterReachedAt(samples: readonly OffsetSample[], offset: number): number {
  for (let i = 0; i < samples.length; i++) {
    if (samples[i].master >= offset) {
      if (i === 0) return samples[0].tMaster;
      const a = samples[i - 1];
      const b = samples[i];
      const f = (offset - a.master) / Math.max(1, b.master - a.master);
      return a.tMaster + f * (b.tMaster - a.tMaster);
    }
  }
  return samples[samples.length - 1].tMaster;
}

/** redis-benchmark SET -P 16 on the master while offsets are sampled; then the catch-up. */
async function lagUnderWrites(
  master: ServerHandle,
  replica: ServerHandle,
  opts: BenchOptions,
): Promise<LagRun> {
  const mc = await RespClient.connect(master.port);
  const rc = await RespClient.connect(replica.port);
  try {
    const samples: OffsetSample[] = [];
    let running = true;
    const sampler = (async () => {
      while (running) {
        samples.push(await sampleOffsets(mc, rc));
        await sleep(LAG_SAMPLE_MS);
      }
    })();
    const requests = opts.quick ? 200_000 : 1_000_000;
    let writeRps: number;
    try {
      writeRps = (await redisBenchmark(master, {
        test: "set",
        clients: 50,
        pipeline: 16,
        keyspace: opts.keys,
        dataSize: 100,
        requests,
      })).rps;
    } finally {
      running = false;
      await sampler;
    }
    const endMaster = (await sampleOffsets(mc, rc)).master;
    const loadEnd = performance.now();
    await waitUntil(
      "the replica to catch up",
      async () => {
        const s = await sampleOffsets(mc, rc);
        return s.replica >= endMaster;
      },
      CATCH_UP_TIMEOUT_MS,
      5,
    );
    const catchUpMs = performance.now() - loadEnd;
    const lagBytes = samples.map((s) => Math.max(0, s.master - s.replica));
    const lagMs = samples.map((s) => Math.max(0, s.tReplica - masterReachedAt(samples, s.replica)));
    const first = samples[0];
    const last = samples[samples.length - 1];
    return {
      writeRps,
      streamBytesPerSec: (last.master - first.master) / ((last.tMaster - first.tMaster) / 1000),
      lagBytes: { p50: percentile(lagBytes, 0.5), max: maxOf(lagBytes) },
      lagMs: { p50: percentile(lagMs, 0.5), max: maxOf(lagMs) },
      catchUpMs,
      samples: samples.length,
    };
  } finally {
    mc.close();
    rc.close();
  }
}

/**
 * A diskless full sync to a replica of `replicaImpl` while redis-benchmark
 * GETs run on the master; returns the replica (still running), the sync,
 * and the idle rate: the mean of a window before and one after, so drift
 * of the shared machine cancels.
 */
async function syncUnderLoad(
  master: ServerHandle,
  keys: number,
  opts: BenchOptions,
  windowMs: number,
  replicaImpl: Impl,
): Promise<{ replica: ServerHandle; run: SyncRun; idleRate: number }> {
  const mc = await RespClient.connect(master.port);
  const bench = startLoad(master, { test: "get", clients: 50, pipeline: 1, keyspace: opts.keys });
  try {
    await sleep(LOAD_WARMUP_MS);
    const before = await commandRate(mc, windowMs);
    const { replica, run } = await fullSync(master, keys, "rate", replicaImpl);
    const idleRate = (before + await commandRate(mc, windowMs)) / 2;
    return { replica, run, idleRate };
  } finally {
    await bench.stop();
    mc.close();
  }
}

/** A master holding the section's dataset, with its idle latency. */
interface LoadedMaster {
  master: ServerHandle;
  keys: number;
  idleLatency: LatencySummary;
}

async function loadedMaster(
  impl: Impl,
  opts: BenchOptions,
  windowMs: number,
): Promise<LoadedMaster> {
  const master = await startServer(impl, { extraArgs: REPL_ARGS });
  try {
    const load = await loadInto(master, `${opts.keys} mixed keys`, mixedKeys(opts.keys));
    if (load.errors > 0) throw new Error(`loading failed: ${load.firstError}`);
    const keys = await dbsize(master.port);
    progress(`replication: ${impl}: idle latency`);
    const idle = await idleLatency(master.port, `key:${pad12(1)}`, windowMs);
    return { master, keys, idleLatency: idle };
  } catch (err) {
    await master.stop();
    throw err;
  }
}

/** The probed syncs of one implementation (see probedSyncs). */
interface ProbedSyncs {
  /** The diskless syncs, fastest first. */
  diskless: SyncRun[];
  disk: SyncRun;
}

/**
 * Full syncs with the latency probe, the implementations taking turns
 * (diskless rounds, then one disk-based sync each), so that both run under
 * the same conditions: run one implementation's whole section after the
 * other's, and the second one's syncs took longer (Redeno's 4.3–4.7 s after
 * Redis's section, 3.95 s first; Redis's 3.46 s second, 3.2–3.3 s first).
 */
async function probedSyncs(
  masters: Record<Impl, LoadedMaster>,
  opts: BenchOptions,
): Promise<Record<Impl, ProbedSyncs>> {
  const diskless = { redis: [], redeno: [] } as Record<Impl, SyncRun[]>;
  const disk = {} as Record<Impl, SyncRun>;
  const rounds = probedRounds(opts);
  for (let round = 0; round <= rounds; round++) {
    const order = round % 2 === 0 ? IMPLS : [...IMPLS].reverse();
    for (const impl of order) {
      const { master, keys } = masters[impl];
      const diskBased = round === rounds;
      progress(
        `replication: ${impl}: a ${
          diskBased ? "disk-based" : `diskless (${round + 1})`
        } full sync with a latency probe`,
      );
      if (diskBased) await setDisklessSync(master, "no");
      const sync = await fullSync(master, keys, "latency");
      await sync.replica.stop();
      if (diskBased) {
        disk[impl] = sync.run;
        await setDisklessSync(master, "yes");
      } else diskless[impl].push(sync.run);
    }
  }
  const result = {} as Record<Impl, ProbedSyncs>;
  for (const impl of IMPLS) {
    result[impl] = {
      diskless: diskless[impl].sort((a, b) => a.seconds - b.seconds),
      disk: disk[impl],
    };
  }
  return result;
}

async function setDisklessSync(master: ServerHandle, value: "yes" | "no"): Promise<void> {
  const mc = await RespClient.connect(master.port);
  try {
    await mc.command("CONFIG", "SET", "repl-diskless-sync", value);
  } finally {
    mc.close();
  }
}

/** The figures under a load: syncs under the GET load, the lag under SET, a redis-server replica. */
async function loadFigures(loaded: LoadedMaster, opts: BenchOptions, windowMs: number) {
  const { master, keys } = loaded;
  const impl = master.impl;
  // One sync's share swings by ±5 points on this shared host: the median of several.
  const syncs: Awaited<ReturnType<typeof syncUnderLoad>>[] = [];
  for (let round = 1; round <= loadRounds(opts); round++) {
    progress(
      `replication: ${impl}: a GET load, idle / during a diskless full sync / idle (${round})`,
    );
    const sync = await syncUnderLoad(master, keys, opts, windowMs, impl);
    syncs.push(sync);
    if (round < loadRounds(opts)) await sync.replica.stop();
  }
  // The last replica stays for the lag test; the figures are the median sync's.
  const keptOf = (x: (typeof syncs)[number]) => x.run.rate! / x.idleRate;
  const byKept = [...syncs].sort((a, b) => keptOf(a) - keptOf(b));
  const median = byKept[(byKept.length - 1) >> 1];
  const loadedReplica = syncs[syncs.length - 1].replica;
  const keptRange: [number, number] = [keptOf(byKept[0]), keptOf(byKept[byKept.length - 1])];

  let lag: LagRun;
  try {
    progress(`replication: ${impl}: replica lag under redis-benchmark SET -P 16`);
    lag = await lagUnderWrites(master, loadedReplica, opts);
  } finally {
    await loadedReplica.stop();
  }

  // The replica's own CPU use then takes less from the master on this shared host.
  progress(`replication: ${impl}: a GET load during a full sync to a redis-server replica`);
  const toRedis = await syncUnderLoad(master, await dbsize(master.port), opts, windowMs, "redis");
  await toRedis.replica.stop();
  return {
    idleRate: median.idleRate,
    underLoad: median.run,
    keptRange,
    keptWithRedisReplica: toRedis.run.rate! / toRedis.idleRate,
    lag,
  };
}

/** Runs the replication section and returns its Markdown. */
export async function runReplication(opts: BenchOptions): Promise<string> {
  const windowMs = opts.quick ? 1000 : 2000;
  const figures = {} as Record<Impl, ReplFigures>;
  progress("replication: the host's own stalls");
  const stalls = await hostStalls(HOST_STALLS_MS);
  const masters = {} as Record<Impl, LoadedMaster>;
  try {
    for (const impl of IMPLS) masters[impl] = await loadedMaster(impl, opts, windowMs);
    const probed = await probedSyncs(masters, opts);
    for (const impl of IMPLS) {
      await settleHost();
      const { keys, idleLatency } = masters[impl];
      const diskless = probed[impl].diskless;
      figures[impl] = {
        keys,
        idleLatency,
        diskless: diskless[(diskless.length - 1) >> 1],
        disklessRange: [diskless[0].seconds, diskless[diskless.length - 1].seconds],
        disklessMaxLatency: diskless.map((run) => run.latency?.max ?? NaN),
        disk: probed[impl].disk,
        ...await loadFigures(masters[impl], opts, windowMs),
      };
    }
  } finally {
    for (const loaded of Object.values(masters)) await loaded.master.stop();
  }

  const r = figures.redis;
  const d = figures.redeno;
  const sched = (run: SyncRun) =>
    `${fmtSec(run.masterSched.runMs / 1000)} / ${fmtSec(run.masterSched.waitMs / 1000)}`;
  const lat = (s: LatencySummary | undefined) =>
    s === undefined ? "n/a" : `${fmtMs(s.p50)} / ${fmtMs(s.p99)} / ${fmtMs(s.max)}`;
  const kept = (f: ReplFigures) => (f.underLoad.rate ?? NaN) / f.idleRate;
  const ratio = (a: number, b: number) => fmtRatio(a / b);
  const range = ([lo, hi]: [number, number], fmt: (n: number) => string) =>
    `${fmt(lo)} – ${fmt(hi)}`;
  const syncRatio = d.diskless.seconds / r.diskless.seconds;
  const rows = [
    [
      "keys on the master / on the replica",
      `${fmtInt(r.keys)} / ${fmtInt(r.diskless.replicaKeys)}`,
      `${fmtInt(d.keys)} / ${fmtInt(d.diskless.replicaKeys)}`,
      "",
    ],
    [
      "full sync, diskless (REPLICAOF → link up)",
      fmtSec(r.diskless.seconds),
      fmtSec(d.diskless.seconds),
      fmtRatio(syncRatio),
    ],
    [
      `the same, fastest – slowest of ${probedRounds(opts)} syncs`,
      range(r.disklessRange, fmtSec),
      range(d.disklessRange, fmtSec),
      "",
    ],
    [
      "full sync, disk-based",
      fmtSec(r.disk.seconds),
      fmtSec(d.disk.seconds),
      ratio(d.disk.seconds, r.disk.seconds),
    ],
    [
      "full sync, diskless, under GET load",
      fmtSec(r.underLoad.seconds),
      fmtSec(d.underLoad.seconds),
      ratio(d.underLoad.seconds, r.underLoad.seconds),
    ],
    ["master latency idle p50 / p99 / max", lat(r.idleLatency), lat(d.idleLatency), ""],
    ["master latency during diskless sync", lat(r.diskless.latency), lat(d.diskless.latency), ""],
    [
      `the same, max in each of the ${probedRounds(opts)} syncs`,
      r.disklessMaxLatency.map(fmtMs).join(", "),
      d.disklessMaxLatency.map(fmtMs).join(", "),
      "",
    ],
    [
      "master main thread during it: on a CPU / waiting for one",
      sched(r.diskless),
      sched(d.diskless),
      "",
    ],
    [
      "kernel's DAMON (kdamond) CPU during the median diskless sync",
      fmtKdamond(r.diskless.kdamond),
      fmtKdamond(d.diskless.kdamond),
      "",
    ],
    ["master latency during disk-based sync", lat(r.disk.latency), lat(d.disk.latency), ""],
    [
      "master GET load idle, before/after mean (commands/s)",
      fmtInt(r.idleRate),
      fmtInt(d.idleRate),
      ratio(d.idleRate, r.idleRate),
    ],
    [
      "master GET load during sync (commands/s)",
      fmtInt(r.underLoad.rate ?? NaN),
      fmtInt(d.underLoad.rate ?? NaN),
      ratio(d.underLoad.rate ?? NaN, r.underLoad.rate ?? NaN),
    ],
    ["throughput kept during sync", fmtPct(kept(r)), fmtPct(kept(d)), ""],
    [
      `the same, lowest – highest of ${loadRounds(opts)} syncs`,
      `${fmtPct(r.keptRange[0])} – ${fmtPct(r.keptRange[1])}`,
      `${fmtPct(d.keptRange[0])} – ${fmtPct(d.keptRange[1])}`,
      "",
    ],
    [
      "the same, with a redis-server replica",
      fmtPct(r.keptWithRedisReplica),
      fmtPct(d.keptWithRedisReplica),
      "",
    ],
    [
      "write load: SET -P 16 -c 50 -d 100 (req/s)",
      fmtInt(r.lag.writeRps),
      fmtInt(d.lag.writeRps),
      ratio(d.lag.writeRps, r.lag.writeRps),
    ],
    [
      "replication stream (MiB/s)",
      fmtMiB(r.lag.streamBytesPerSec),
      fmtMiB(d.lag.streamBytesPerSec),
      "",
    ],
    [
      "replica lag p50 / max (bytes)",
      `${fmtInt(r.lag.lagBytes.p50)} / ${fmtInt(r.lag.lagBytes.max)}`,
      `${fmtInt(d.lag.lagBytes.p50)} / ${fmtInt(d.lag.lagBytes.max)}`,
      "",
    ],
    [
      "replica lag p50 / max (ms)",
      `${fmtMs(r.lag.lagMs.p50)} / ${fmtMs(r.lag.lagMs.max)}`,
      `${fmtMs(d.lag.lagMs.p50)} / ${fmtMs(d.lag.lagMs.max)}`,
      "",
    ],
    ["catch-up after the load ends", fmtMs(r.lag.catchUpMs), fmtMs(d.lag.catchUpMs), ""],
    ["offset samples", fmtInt(r.lag.samples), fmtInt(d.lag.samples), ""],
  ];
  // Every probed sync counts: the worst one is the figure.
  const maxDuring = Math.max(...d.disklessMaxLatency, d.disk.latency?.max ?? NaN);
  return [
    `### replication — master → replica, ${
      fmtInt(opts.keys)
    } mixed keys, repl-diskless-sync-delay 0`,
    "",
    markdownTable(["", "Redis 7.0", "Redeno", "Redeno/Redis"], rows),
    "",
    markdownTable(["target (Redeno)", "measured", "goal", "result"], [
      [
        "full sync time vs Redis (diskless)",
        fmtRatio(syncRatio),
        "≤ 1.50×",
        mark(cmp(syncRatio, "<=", 1.5)),
      ],
      [
        "master throughput kept during sync",
        fmtPct(kept(d)),
        "≥ 70%",
        mark(cmp(kept(d), ">=", 0.7)),
      ],
      [
        "master max latency during sync",
        fmtMs(maxDuring),
        "≤ 10 ms",
        mark(cmp(maxDuring, "<=", 10)),
      ],
      [
        "replica lag under the max write load",
        fmtMs(d.lag.lagMs.max),
        "< 100 ms",
        mark(cmp(d.lag.lagMs.max, "<=", 100)),
      ],
    ]),
    "",
    "Sync time: REPLICAOF sent → replica INFO master_link_status:up and master_sync_in_progress:0 (polled every 10 ms). " +
    `Probed syncs: both masters loaded, then ${
      probedRounds(opts)
    } diskless syncs and one disk-based sync per implementation, the implementations taking turns (the order alternates), the median diskless sync in the table; ` +
    "the maximum latency target counts every probed sync. " +
    "Latency: redis-benchmark -c 1 on the master, rounds of 1000 PING then 1000 GET, distributions merged. Throughput: redis-benchmark GET -c 50 -P 1 as the load, " +
    `master total_commands_processed over the window (idle = mean of the windows before and after), ${
      loadRounds(opts)
    } such syncs per implementation and the median one in the table; ` +
    "the same with a redis-server replica (after the lag test, so on a dataset SET has rewritten) separates the master's own cost from the CPU its colocated replica takes from it. " +
    `Lag: master_repl_offset − slave_repl_offset sampled every ${LAG_SAMPLE_MS} ms; ` +
    "in ms, how long before the replica's answer the master's offset had the replica's value (each INFO reply stamped when it arrives). " +
    "Master main thread: /proc schedstat of the master's main thread over the diskless sync; " +
    "master and replica share the host's CPUs, so time spent waiting for one is latency the scheduler adds.",
    "",
    describeHostStalls(stalls),
  ].join("\n");
}
