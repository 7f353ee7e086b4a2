/**
 * The CPU that Linux's DAMON monitor (the `kdamond.N` kernel threads) takes
 * while a section measures latencies.
 *
 * Where the host runs DAMON on guest physical memory (this bench host: the
 * `paddr` operations with a pageout scheme), kdamond wakes every sampling
 * interval and clears the accessed bit of one page per region. That costs
 * more the more of a region is a server's mapped memory. It then holds a CPU
 * for milliseconds, and a server thread woken on the same CPU waits until
 * the next scheduler tick. On 2026-12-07 each round took 0.9 ms with no
 * server loaded, 1.2 ms with Redis holding 1M keys and 3.7–4.5 ms with
 * Redeno holding them (`perf sched`); an idle PING probe then saw a 4 ms
 * reply every ~0.5 s from Redeno. A maximum latency measured meanwhile
 * includes it.
 */
import { cpuSeconds, fmtMs } from "./util.ts";

/** Where DAMON's sysfs interface lists its monitors. */
const DAMON_ADMIN = "/sys/kernel/mm/damon/admin/kdamonds";

/** What the kdamond threads did over one window. */
export interface KdamondUse {
  threads: number;
  seconds: number;
  /** CPU time of all kdamond threads over the window. */
  cpuMs: number;
  /** The shortest sampling interval configured, if DAMON's sysfs says. */
  sampleMs?: number;
}

/** A running measurement: `stop()` returns the use since it started. */
export interface KdamondMeter {
  stop(): KdamondUse;
}

/** The pids of the kdamond threads running now. */
function kdamondPids(): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${entry.name}/comm`).startsWith("kdamond")) {
        pids.push(Number(entry.name));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** utime + stime of a thread, in ms (0 once it is gone). */
function cpuMsOf(pid: number): number {
  try {
    return cpuSeconds(pid) * 1000;
  } catch {
    return 0;
  }
}

/** The shortest `sample_us` of DAMON's running contexts, in ms. */
function sampleIntervalMs(): number | undefined {
  let best: number | undefined;
  try {
    for (const kd of Deno.readDirSync(DAMON_ADMIN)) {
      if (!/^\d+$/.test(kd.name)) continue;
      const contexts = `${DAMON_ADMIN}/${kd.name}/contexts`;
      for (const ctx of Deno.readDirSync(contexts)) {
        if (!/^\d+$/.test(ctx.name)) continue;
        const us = Number(
          Deno.readTextFileSync(`${contexts}/${ctx.name}/monitoring_attrs/intervals/sample_us`),
        );
        if (us > 0) best = Math.min(best ?? Infinity, us / 1000);
      }
    }
  } catch {
    // No DAMON sysfs here (or not readable).
  }
  return best;
}

/** Starts measuring the kdamond threads' CPU. */
export function startKdamondMeter(): KdamondMeter {
  const pids = kdamondPids();
  const before = pids.map(cpuMsOf);
  const started = performance.now();
  return {
    stop() {
      const cpuMs = pids.reduce((sum, pid, i) => sum + Math.max(0, cpuMsOf(pid) - before[i]), 0);
      return {
        threads: pids.length,
        seconds: (performance.now() - started) / 1000,
        cpuMs,
        sampleMs: sampleIntervalMs(),
      };
    },
  };
}

/** A table cell: CPU per second, and per sampling round where the interval is known. */
export function fmtKdamond(use: KdamondUse | undefined): string {
  if (use === undefined || use.threads === 0) return "not running";
  const perSecond = use.cpuMs / use.seconds;
  const perRound = use.sampleMs === undefined
    ? ""
    : ` (${fmtMs(perSecond * use.sampleMs / 1000)} per ${use.sampleMs} ms round)`;
  return `${fmtMs(perSecond)}/s${perRound}`;
}
