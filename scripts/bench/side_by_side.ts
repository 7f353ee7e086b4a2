/**
 * redis-benchmark runs alternated between the two servers over several
 * rounds, with medians, ratios and a table.
 */
import {
  type BenchmarkSpec,
  fmtInt,
  fmtRatio,
  fmtUs,
  type Impl,
  IMPL_NAME,
  IMPLS,
  markdownTable,
  median,
  progress,
  redisBenchmark,
  type ServerHandle,
  supports,
} from "./util.ts";

/** One test of the table. */
export interface BenchCase {
  /** The row's label ("SET", "ZRANK 1M" …). */
  label: string;
  /** The redis-benchmark run. */
  spec: BenchmarkSpec;
  /** A command whose "unknown command" reply means the server cannot run this test. */
  probe?: string[];
}

/** Measurements of one test on both servers. */
export interface CaseResult {
  /** The test. */
  benchCase: BenchCase;
  /** Requests/sec of each round. */
  rps: Record<Impl, number[]>;
  /** Server CPU seconds per request of each round. */
  cpu: Record<Impl, number[]>;
  /** Why a server has no figures (unsupported command, failure). */
  missing: Partial<Record<Impl, string>>;
}

/** The medians and ratios of one test. */
export interface CaseSummary {
  /** Median requests/sec. */
  rps: Record<Impl, number>;
  /** Median CPU seconds per request. */
  cpu: Record<Impl, number>;
  /** Redeno rps / Redis rps. */
  ratio: number;
  /** Redeno CPU per request / Redis CPU per request. */
  cpuRatio: number;
}

/** Medians across rounds (NaN where a server has none). */
export function summarize(result: CaseResult): CaseSummary {
  const rps = { redis: median(result.rps.redis), redeno: median(result.rps.redeno) };
  const cpu = { redis: median(result.cpu.redis), redeno: median(result.cpu.redeno) };
  return { rps, cpu, ratio: rps.redeno / rps.redis, cpuRatio: cpu.redeno / cpu.redis };
}

/**
 * Runs every case on both servers, `rounds` times; within a round the server
 * that goes first alternates from case to case and from round to round.
 */
export async function alternate(
  servers: Record<Impl, ServerHandle>,
  cases: readonly BenchCase[],
  rounds: number,
): Promise<CaseResult[]> {
  const results: CaseResult[] = cases.map((benchCase) => ({
    benchCase,
    rps: { redis: [], redeno: [] },
    cpu: { redis: [], redeno: [] },
    missing: {},
  }));
  for (const result of results) {
    const probe = result.benchCase.probe;
    if (probe === undefined) continue;
    for (const impl of IMPLS) {
      if (!await supports(servers[impl].port, probe)) {
        result.missing[impl] = `${probe[0]} not supported`;
      }
    }
  }
  for (let round = 0; round < rounds; round++) {
    progress(`round ${round + 1}/${rounds}`);
    for (let i = 0; i < results.length; i++) {
      const result = results[i];
      const order = (round + i) % 2 === 0 ? IMPLS : [...IMPLS].reverse();
      for (const impl of order) {
        if (result.missing[impl] !== undefined) continue;
        try {
          const r = await redisBenchmark(servers[impl], result.benchCase.spec);
          result.rps[impl].push(r.rps);
          result.cpu[impl].push(r.cpuPerRequest);
        } catch (err) {
          result.missing[impl] = `failed: ${(err as Error).message.split("\n")[0]}`;
          progress(`${IMPL_NAME[impl]} ${result.benchCase.label}: ${result.missing[impl]}`);
        }
        if (servers[impl].exited) throw new Error(`${IMPL_NAME[impl]} exited`);
      }
    }
  }
  return results;
}

/** The table of a set of cases: rps, ratio, CPU per request of both. */
export function casesTable(results: readonly CaseResult[]): string {
  const rows = results.map((result) => {
    const s = summarize(result);
    const p = result.benchCase.spec.pipeline ?? 1;
    return [
      result.benchCase.label,
      String(p),
      fmtInt(s.rps.redis),
      fmtInt(s.rps.redeno),
      fmtRatio(s.ratio),
      fmtUs(s.cpu.redis),
      fmtUs(s.cpu.redeno),
      fmtRatio(s.cpuRatio),
    ];
  });
  const table = markdownTable([
    "test",
    "-P",
    "Redis 7.0 req/s",
    "Redeno req/s",
    "ratio",
    "Redis CPU/req",
    "Redeno CPU/req",
    "CPU ratio",
  ], rows);
  const notes = results.flatMap((r) =>
    IMPLS.filter((impl) => r.missing[impl] !== undefined).map((impl) =>
      `- ${r.benchCase.label} (-P ${r.benchCase.spec.pipeline ?? 1}) on ${IMPL_NAME[impl]}: n/a (${
        r.missing[impl]
      })`
    )
  );
  return notes.length === 0 ? table : `${table}\n\n${notes.join("\n")}`;
}

/** The median of the finite values (NaN when none). */
export function medianOfFinite(values: readonly number[]): number {
  return median(values.filter(Number.isFinite));
}
