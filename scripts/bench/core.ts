/**
 * Section "core" (issue 2): redis-benchmark PING_MBULK, SET, GET, INCR, MSET
 * with -c 50 at -P 1 and -P 16, alternating the servers over rounds, with
 * server CPU per request; RSS after loading `SET key:N <100 bytes>`.
 */
import { measureMemory, type MemoryResult, stringKeys } from "./datasets.ts";
import {
  alternate,
  type BenchCase,
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
} from "./util.ts";

const TESTS = ["ping_mbulk", "set", "get", "incr", "mset"];

function requestsFor(test: string, pipeline: number, quick: boolean): number {
  const base = pipeline === 1 ? 200_000 : 1_500_000;
  const n = test === "mset" ? base / 3 : base;
  return Math.round(quick ? n / 10 : n);
}

/** Runs the core section and returns its Markdown. */
export async function runCore(opts: BenchOptions): Promise<string> {
  const cases: BenchCase[] = [];
  for (const pipeline of [1, 16]) {
    for (const test of TESTS) {
      cases.push({
        label: test.toUpperCase(),
        spec: { test, clients: 50, pipeline, requests: requestsFor(test, pipeline, opts.quick) },
      });
    }
  }

  progress("core: starting Redis 7.0 and Redeno");
  const servers = {} as Record<Impl, ServerHandle>;
  let results;
  try {
    for (const impl of IMPLS) servers[impl] = await startServer(impl);
    results = await alternate(servers, cases, opts.rounds);
  } finally {
    for (const impl of IMPLS) await servers[impl]?.stop();
  }

  const memory = {} as Record<Impl, MemoryResult>;
  for (const impl of IMPLS) {
    progress(`core: ${impl}: RSS with ${fmtInt(opts.keys)} keys`);
    memory[impl] = await measureMemory(
      impl,
      `${opts.keys} string keys`,
      () => stringKeys(opts.keys),
    );
  }

  const summaries = results.map((r) => ({
    pipeline: r.benchCase.spec.pipeline ?? 1,
    ...summarize(r),
  }));
  const ratioP1 = medianOfFinite(summaries.filter((s) => s.pipeline === 1).map((s) => s.ratio));
  const ratioP16 = medianOfFinite(summaries.filter((s) => s.pipeline === 16).map((s) => s.ratio));
  const cpuP1 = medianOfFinite(summaries.filter((s) => s.pipeline === 1).map((s) => s.cpuRatio));
  const cpuP16 = medianOfFinite(summaries.filter((s) => s.pipeline === 16).map((s) => s.cpuRatio));
  const cpuAll = medianOfFinite(summaries.map((s) => s.cpuRatio));
  const delta = (m: MemoryResult) => m.loaded - m.baseline;
  const memRatio = delta(memory.redeno) / delta(memory.redis);
  const rssRatio = memory.redeno.loaded / memory.redis.loaded;

  const memTable = markdownTable(
    [`${fmtInt(opts.keys)} × SET key:N <100 B>`, "Redis 7.0", "Redeno", "Redeno/Redis"],
    [
      [
        "RSS empty",
        fmtMiB(memory.redis.baseline),
        fmtMiB(memory.redeno.baseline),
        fmtRatio(memory.redeno.baseline / memory.redis.baseline),
      ],
      ["RSS loaded", fmtMiB(memory.redis.loaded), fmtMiB(memory.redeno.loaded), fmtRatio(rssRatio)],
      [
        "RSS for the keys (loaded − empty)",
        fmtMiB(delta(memory.redis)),
        fmtMiB(delta(memory.redeno)),
        fmtRatio(memRatio),
      ],
      [
        "used_memory (INFO)",
        fmtMiB(memory.redis.usedMemory),
        fmtMiB(memory.redeno.usedMemory),
        fmtRatio(memory.redeno.usedMemory / memory.redis.usedMemory),
      ],
      ["keys (DBSIZE)", fmtInt(memory.redis.keys), fmtInt(memory.redeno.keys), ""],
      [
        "load time (pipelined)",
        fmtSec(memory.redis.load.seconds),
        fmtSec(memory.redeno.load.seconds),
        fmtRatio(memory.redeno.load.seconds / memory.redis.load.seconds),
      ],
    ],
  );

  const targets = markdownTable(["target (medians)", "measured", "goal", "result"], [
    [
      "throughput at -P 1 (Redeno/Redis)",
      fmtRatio(ratioP1),
      "≥ 0.90×",
      mark(cmp(ratioP1, ">=", 0.9)),
    ],
    [
      "throughput at -P 16 (Redeno/Redis)",
      fmtRatio(ratioP16),
      "≥ 0.70×",
      mark(cmp(ratioP16, ">=", 0.7)),
    ],
    [
      "CPU per request at -P 1 (Redeno/Redis)",
      fmtRatio(cpuP1),
      "≤ 1.50×",
      mark(cmp(cpuP1, "<=", 1.5)),
    ],
    [
      "CPU per request at -P 16 (Redeno/Redis)",
      fmtRatio(cpuP16),
      "≤ 1.50×",
      mark(cmp(cpuP16, "<=", 1.5)),
    ],
    [
      "CPU per request, all tests (Redeno/Redis)",
      fmtRatio(cpuAll),
      "≤ 1.50×",
      mark(cmp(cpuAll, "<=", 1.5)),
    ],
    [
      `memory for ${fmtInt(opts.keys)} keys (RSS Δ)`,
      fmtRatio(memRatio),
      "≤ 2.00×",
      mark(cmp(memRatio, "<=", 2)),
    ],
  ]);

  return [
    `### core — redis-benchmark -c 50, ${opts.rounds} round(s) alternating, medians`,
    "",
    casesTable(results),
    "",
    markdownTable(["median ratio", "-P 1", "-P 16"], [
      ["throughput (Redeno/Redis)", fmtRatio(ratioP1), fmtRatio(ratioP16)],
      ["CPU per request (Redeno/Redis)", fmtRatio(cpuP1), fmtRatio(cpuP16)],
    ]),
    "",
    memTable,
    "",
    targets,
    "",
    "CPU/req is the server's utime+stime (/proc/<pid>/stat, 10 ms ticks) over the run divided by its requests.",
  ].join("\n");
}
