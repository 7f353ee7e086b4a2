/**
 * The host's own stalls: one busy loop per CPU, each timing the longest gap
 * between two reads of the clock. Nothing else of ours runs meanwhile, so a
 * long gap is time the machine (the scheduler, or the hypervisor under a
 * virtual machine) took the CPU away. A server's maximum latency cannot be
 * told apart from such stalls while its work keeps every CPU busy, as a
 * snapshot or a colocated replica's sync does.
 */
import { fmtInt, fmtMs } from "./util.ts";

/** How long the loops run before a section that measures maximum latencies. */
export const HOST_STALLS_MS = 10_000;

/** What the busy loops saw. */
export interface HostStalls {
  seconds: number;
  loops: number;
  /** The longest gap any loop saw. */
  maxMs: number;
  /** Gaps over 10 ms, all loops together. */
  over10ms: number;
}

/** A loop that reads the clock until `ms` have passed and prints its longest gap and its gaps over 10 ms. */
const LOOP = `
const end = performance.now() + Number(Deno.args[0]);
let prev = performance.now(), max = 0, over = 0;
while (prev < end) {
  const now = performance.now();
  const gap = now - prev;
  if (gap > max) max = gap;
  if (gap > 10) over++;
  prev = now;
}
console.log(JSON.stringify({ max, over }));
`;

/** Runs one busy loop per CPU for `ms` and sums up what they saw. */
export async function hostStalls(ms: number): Promise<HostStalls> {
  const loops = navigator.hardwareConcurrency;
  const runs = await Promise.all(
    Array.from({ length: loops }, () =>
      new Deno.Command(Deno.execPath(), {
        args: ["eval", LOOP, String(ms)],
        stdout: "piped",
        stderr: "null",
      }).output()),
  );
  let maxMs = 0;
  let over10ms = 0;
  for (const run of runs) {
    const { max, over } = JSON.parse(new TextDecoder().decode(run.stdout));
    maxMs = Math.max(maxMs, max);
    over10ms += over;
  }
  return { seconds: ms / 1000, loops, maxMs, over10ms };
}

/** One line for a section's notes. */
export function describeHostStalls(s: HostStalls): string {
  return `Host stalls: with all ${s.loops} CPUs kept busy by busy loops for ${s.seconds} s ` +
    `before this section, the loops were stalled ${fmtInt(s.over10ms)} time(s) for over 10 ms, ` +
    `the longest ${
      fmtMs(s.maxMs)
    }; a maximum latency measured while the CPUs are busy includes such stalls.`;
}
