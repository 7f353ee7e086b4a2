/** The benchmark's latency probe: redis-benchmark's distribution report, merged over rounds. */
import assert from "node:assert/strict";
import { mergeDistributions, parseDistribution } from "../../../scripts/bench/latency.ts";

/** A report as redis-benchmark 7.0 prints it (the parts the probe reads). */
function report(points: [number, number, number][]): string {
  const lines = points.map(([pct, ms, count]) =>
    `${pct.toFixed(3)}% <= ${ms.toFixed(3)} milliseconds (cumulative count ${count})`
  );
  return [
    "====== PING ======",
    "  1000 requests completed in 0.07 seconds",
    "",
    "Latency by percentile distribution:",
    ...lines,
    "",
    "Cumulative distribution of latencies:",
    "100.000% <= 0.103 milliseconds (cumulative count 1000)",
  ].join("\n");
}

Deno.test("parseDistribution reads the percentile lines up to the next section", () => {
  const d = parseDistribution(report([[0, 0.031, 10], [50, 0.063, 500], [100, 2.231, 1000]]))!;
  assert.deepEqual(d.points, [[0.031, 10], [0.063, 500], [2.231, 1000]]);
  assert.equal(d.requests, 1000);
  assert.equal(d.max, 2.231);
  assert.equal(parseDistribution("Could not connect to Redis"), undefined);
});

Deno.test("mergeDistributions weighs rounds by their requests", () => {
  const fast = parseDistribution(report([[0, 0.02, 100], [50, 0.05, 500], [100, 0.1, 1000]]))!;
  const slow = parseDistribution(report([[0, 0.5, 1], [50, 1, 5], [100, 30, 10]]))!;
  const m = mergeDistributions([fast, slow]);
  assert.equal(m.count, 1010);
  assert.equal(m.p50, 0.1); // 500 of 1010 by 0.05 ms is short of half: the next point
  assert.equal(m.max, 30);
  assert.equal(m.p99, 0.1); // 1000 of 1010 by 0.1 ms
  assert.deepEqual(mergeDistributions([]).count, 0);
});
