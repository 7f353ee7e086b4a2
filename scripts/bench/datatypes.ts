/**
 * Section "datatypes" (issue 3): redis-benchmark LPUSH, LPOP, SADD, HSET,
 * ZADD, LRANGE_100 side by side; ZADD/ZRANGEBYSCORE/ZRANK on a big sorted
 * set; memory of big zset/hash/set. A command Redeno lacks shows "n/a".
 */
import { bigCollection, loadAndMeasure, type MemoryResult } from "./datasets.ts";
import {
  alternate,
  type BenchCase,
  type CaseResult,
  casesTable,
  medianOfFinite,
  summarize,
} from "./side_by_side.ts";
import {
  type BenchOptions,
  cmp,
  fmtInt,
  fmtMiB,
  fmtRatio,
  fmtSec,
  type Impl,
  IMPLS,
  mark,
  markdownTable,
  progress,
  type ServerHandle,
  startServer,
  supports,
} from "./util.ts";

const PROBES: Record<string, string[]> = {
  lpush: ["LPUSH", "bench:probe:list", "x"],
  lpop: ["LPOP", "bench:probe:list"],
  sadd: ["SADD", "bench:probe:set", "x"],
  hset: ["HSET", "bench:probe:hash", "f", "v"],
  zadd: ["ZADD", "bench:probe:zset", "1", "x"],
  lrange_100: ["LRANGE", "bench:probe:list", "0", "99"],
};

const PROBE_OF_KIND: Record<Kind, string[]> = {
  zset: PROBES.zadd,
  hash: PROBES.hset,
  set: PROBES.sadd,
};

type Kind = "zset" | "hash" | "set";
const KINDS: readonly Kind[] = ["zset", "hash", "set"];
const BIG_KEY: Record<Kind, string> = { zset: "bench:zbig", hash: "bench:hbig", set: "bench:sbig" };

function requestsFor(test: string, pipeline: number, quick: boolean): number {
  let n = pipeline === 1 ? 100_000 : 500_000;
  if (test === "lrange_100") n /= 4;
  return Math.round(quick ? n / 10 : n);
}

/** Loads one big collection into both servers (memory measured on each); n/a where unsupported. */
async function loadBig(
  servers: Record<Impl, ServerHandle>,
  kind: Kind,
  n: number,
): Promise<Partial<Record<Impl, MemoryResult>>> {
  const out: Partial<Record<Impl, MemoryResult>> = {};
  for (const impl of IMPLS) {
    if (!await supports(servers[impl].port, PROBE_OF_KIND[kind])) continue;
    const m = await loadAndMeasure(
      servers[impl],
      `${n}-member ${kind}`,
      bigCollection(kind, BIG_KEY[kind], n),
    );
    if (m.load.errors === 0) out[impl] = m;
  }
  return out;
}

/** Runs the datatypes section and returns its Markdown. */
export async function runDatatypes(opts: BenchOptions): Promise<string> {
  const cases: BenchCase[] = [];
  for (const pipeline of [1, 16]) {
    for (const test of Object.keys(PROBES)) {
      cases.push({
        label: test.toUpperCase(),
        spec: { test, clients: 50, pipeline, requests: requestsFor(test, pipeline, opts.quick) },
        probe: PROBES[test],
      });
    }
  }

  progress("datatypes: redis-benchmark side by side");
  let small: CaseResult[];
  let servers = {} as Record<Impl, ServerHandle>;
  try {
    for (const impl of IMPLS) servers[impl] = await startServer(impl);
    small = await alternate(servers, cases, opts.rounds);
  } finally {
    for (const impl of IMPLS) await servers[impl]?.stop();
  }

  const n = opts.keys;
  const memory: Record<Kind, Partial<Record<Impl, MemoryResult>>> = { zset: {}, hash: {}, set: {} };
  let zsetOps: CaseResult[] = [];
  for (const kind of KINDS) {
    progress(`datatypes: ${fmtInt(n)}-member ${kind}`);
    servers = {} as Record<Impl, ServerHandle>;
    try {
      for (const impl of IMPLS) servers[impl] = await startServer(impl);
      memory[kind] = await loadBig(servers, kind, n);
      if (kind === "zset" && memory.zset.redeno !== undefined && memory.zset.redis !== undefined) {
        const requests = (k: number) => Math.round(opts.quick ? k / 10 : k);
        const zcases: BenchCase[] = [
          {
            label: `ZADD (update, ${fmtInt(n)} members)`,
            spec: {
              command: ["ZADD", BIG_KEY.zset, "__rand_int__", "member:__rand_int__"],
              pipeline: 16,
              keyspace: n,
              requests: requests(200_000),
            },
          },
          {
            label: `ZRANGEBYSCORE … LIMIT 0 10 (${fmtInt(n)})`,
            spec: {
              command: ["ZRANGEBYSCORE", BIG_KEY.zset, "__rand_int__", "+inf", "LIMIT", "0", "10"],
              pipeline: 16,
              keyspace: n,
              requests: requests(100_000),
            },
            probe: ["ZRANGEBYSCORE", BIG_KEY.zset, "0", "+inf", "LIMIT", "0", "1"],
          },
          {
            label: `ZRANK (${fmtInt(n)} members)`,
            spec: {
              command: ["ZRANK", BIG_KEY.zset, "member:__rand_int__"],
              pipeline: 16,
              keyspace: n,
              requests: requests(300_000),
            },
            probe: ["ZRANK", BIG_KEY.zset, "member:000000000001"],
          },
        ];
        progress("datatypes: sorted-set operations");
        zsetOps = await alternate(servers, zcases, opts.rounds);
      }
    } finally {
      for (const impl of IMPLS) await servers[impl]?.stop();
    }
  }

  const p1 = small.filter((r) => (r.benchCase.spec.pipeline ?? 1) === 1).map((r) => summarize(r));
  const medianP1 = medianOfFinite(p1.map((s) => s.ratio));
  const allRatios = [...small, ...zsetOps].map((r) => summarize(r).ratio).filter(Number.isFinite);
  const worst = allRatios.length > 0 ? Math.min(...allRatios) : NaN;

  const delta = (m: MemoryResult | undefined) => m === undefined ? NaN : m.loaded - m.baseline;
  const memRows = KINDS.map((kind) => {
    const m = memory[kind];
    return [
      `${kind} ${BIG_KEY[kind]}`,
      fmtMiB(delta(m.redis)),
      fmtMiB(delta(m.redeno)),
      fmtRatio(delta(m.redeno) / delta(m.redis)),
      fmtMiB(m.redis?.usedMemory ?? NaN),
      fmtMiB(m.redeno?.usedMemory ?? NaN),
      fmtSec(m.redis?.load.seconds ?? NaN),
      fmtSec(m.redeno?.load.seconds ?? NaN),
    ];
  });
  const memRatios = KINDS.map((k) => delta(memory[k].redeno) / delta(memory[k].redis));
  const worstMem = memRatios.some((r) => !Number.isFinite(r)) ? NaN : Math.max(...memRatios);

  return [
    `### datatypes — redis-benchmark -c 50, ${opts.rounds} round(s) alternating, medians`,
    "",
    casesTable(small),
    "",
    `#### ${
      fmtInt(n)
    }-member sorted set (redis-benchmark -c 50 -P 16 -r ${n}, random members/scores)`,
    "",
    zsetOps.length > 0 ? casesTable(zsetOps) : "n/a (sorted sets not available in both servers)",
    "",
    `#### Memory of one ${fmtInt(n)}-member collection (RSS after − before, fresh servers)`,
    "",
    markdownTable([
      "collection",
      "Redis 7.0 RSS Δ",
      "Redeno RSS Δ",
      "ratio",
      "Redis used_memory",
      "Redeno used_memory",
      "Redis load",
      "Redeno load",
    ], memRows),
    "",
    markdownTable(["target", "measured", "goal", "result"], [
      [
        "median throughput at -P 1 (Redeno/Redis)",
        fmtRatio(medianP1),
        "≥ 0.80×",
        mark(cmp(medianP1, ">=", 0.8)),
      ],
      [
        "slowest operation (Redeno/Redis)",
        fmtRatio(worst),
        "≥ 0.33×",
        mark(cmp(worst, ">=", 1 / 3)),
      ],
      [
        "memory, worst of zset/hash/set (RSS Δ)",
        fmtRatio(worstMem),
        "≤ 2.50×",
        mark(cmp(worstMem, "<=", 2.5)),
      ],
    ]),
    "",
    "LRANGE_100 runs include redis-benchmark's LPUSH prefill in the CPU figure.",
  ].join("\n");
}
