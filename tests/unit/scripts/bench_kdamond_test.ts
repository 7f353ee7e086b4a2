/** The benchmark's measure of the kernel's DAMON threads. */
import assert from "node:assert/strict";
import { fmtKdamond, startKdamondMeter } from "../../../scripts/bench/kdamond.ts";

Deno.test("the kdamond meter reads what this machine runs and never goes negative", () => {
  const use = startKdamondMeter().stop();
  assert.ok(use.threads >= 0);
  assert.ok(use.cpuMs >= 0);
  assert.ok(use.seconds >= 0);
});

Deno.test("kdamond use reads as CPU per second, and per sampling round when DAMON says", () => {
  assert.equal(fmtKdamond({ threads: 0, seconds: 2, cpuMs: 0 }), "not running");
  assert.equal(fmtKdamond(undefined), "not running");
  assert.equal(
    fmtKdamond({ threads: 1, seconds: 2, cpuMs: 16, sampleMs: 500 }),
    "8.00 ms/s (4.00 ms per 500 ms round)",
  );
  assert.equal(fmtKdamond({ threads: 1, seconds: 4, cpuMs: 10 }), "2.50 ms/s");
});
