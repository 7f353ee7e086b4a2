/**
 * The latency a lone client sees, measured the way the issues ask for: with
 * redis-benchmark (one client, one request at a time), PING and `GET key`
 * in alternating rounds, their latency distributions merged. A probe of our
 * own in Deno was tried first: its own pauses (event loop, GC) showed up as
 * 15–120 ms maxima against an idle redis-server on this host, where
 * redis-benchmark -c 1 sees 4–8 ms.
 */
import { benchmarkArgs, type LatencySummary, runRedisBenchmark, sleep } from "./util.ts";

/** Requests per round: a round is about 50–100 ms of an idle server's time. */
const ROUND_REQUESTS = 1000;

/** One round's latency distribution. */
interface Distribution {
  /** [ms, requests that took at most that long], ascending. */
  points: [number, number][];
  requests: number;
  max: number;
}

/**
 * The "Latency by percentile distribution" of redis-benchmark's report:
 * lines `50.000% <= 0.063 milliseconds (cumulative count 2513)`.
 */
export function parseDistribution(report: string): Distribution | undefined {
  const at = report.indexOf("Latency by percentile distribution:");
  if (at === -1) return undefined;
  const points: [number, number][] = [];
  const line = /^[0-9.]+% <= ([0-9.]+) milliseconds \(cumulative count (\d+)\)/;
  for (const text of report.slice(at).split("\n").slice(1)) {
    const m = line.exec(text.trim());
    if (m === null) break;
    points.push([Number(m[1]), Number(m[2])]);
  }
  if (points.length === 0) return undefined;
  const [max, requests] = points[points.length - 1];
  return { points, requests, max };
}

/** Requests of `d` that took at most `ms` (as far as its points tell: a lower bound). */
function atMost(d: Distribution, ms: number): number {
  let count = 0;
  for (const [v, c] of d.points) {
    if (v > ms) break;
    count = c;
  }
  return count;
}

/**
 * p50/p99/max over all rounds. A quantile is the smallest point of any
 * round at which the rounds together reach it: exact at those points, and
 * never below the true one. The maximum is exact.
 */
export function mergeDistributions(rounds: readonly Distribution[]): LatencySummary {
  const requests = rounds.reduce((n, d) => n + d.requests, 0);
  if (requests === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN };
  const values = [...new Set(rounds.flatMap((d) => d.points.map(([v]) => v)))].sort((a, b) =>
    a - b
  );
  const quantile = (p: number): number => {
    for (const v of values) {
      if (rounds.reduce((n, d) => n + atMost(d, v), 0) >= p * requests) return v;
    }
    return values[values.length - 1];
  };
  return {
    count: requests,
    p50: quantile(0.5),
    p99: quantile(0.99),
    max: Math.max(...rounds.map((d) => d.max)),
  };
}

/** A running latency probe. */
export interface LatencyProbe {
  /** Stops the probe once its current round is over; the latency it saw. */
  stop(): Promise<LatencySummary>;
}

/**
 * Starts rounds of redis-benchmark -c 1 against 127.0.0.1:`port`, PING and
 * `GET key` in turn, one right after the other; they stop by themselves
 * after maxMs.
 */
export function startLatencyProbe(port: number, key: string, maxMs = 120_000): LatencyProbe {
  const rounds: Distribution[] = [];
  let stopped = false;
  const deadline = performance.now() + maxMs;
  const loop = (async () => {
    for (let i = 0; !stopped && performance.now() < deadline; i++) {
      const command = i % 2 === 0 ? ["PING"] : ["GET", key];
      const args = benchmarkArgs(port, { command, clients: 1, requests: ROUND_REQUESTS });
      const out = await runRedisBenchmark(args);
      const report = new TextDecoder().decode(out.stdout).replaceAll("\r", "\n");
      const d = out.success ? parseDistribution(report) : undefined;
      if (d === undefined) {
        if (stopped) break; // stopped by cleanupAll
        throw new Error(`redis-benchmark ${args.join(" ")} failed:\n${report}`);
      }
      rounds.push(d);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return mergeDistributions(rounds);
    },
  };
}

/** The latency of an otherwise idle server over `ms` milliseconds. */
export async function idleLatency(port: number, key: string, ms: number): Promise<LatencySummary> {
  const probe = startLatencyProbe(port, key, ms + 1000);
  await sleep(ms);
  return await probe.stop();
}
