/**
 * Background workers (snapshot encoding, RDB loading) run at a lower priority
 * than the thread that serves clients. Linux applies setpriority and
 * sched_setscheduler to the calling thread only, so each worker lowers itself.
 */
import { setPriority } from "node:os";

/**
 * The nice value of a background worker: on a busy machine the clients (and
 * their own processes) win the CPU; on a quiet one the worker still gets a
 * whole core.
 */
export const BACKGROUND_WORKER_NICE = 10;

/** Linux's SCHED_IDLE policy (sched.h). */
const SCHED_IDLE = 5;

/** Lowers the calling thread's priority to BACKGROUND_WORKER_NICE (quietly, where not permitted). */
function lowerThreadPriority(): void {
  try {
    setPriority(0, BACKGROUND_WORKER_NICE);
  } catch {
    // Not permitted here: run at the normal priority.
  }
}

/**
 * Lowers the calling thread further, to Linux's SCHED_IDLE policy, where the
 * machine has more than one CPU: any thread that wakes up takes the CPU from
 * it at once, where a nice thread may finish its time slice first. While
 * the snapshot worker and the walk kept both CPUs of a 2-core machine busy,
 * the median of five BGSAVEs' maximum client latencies was about 8.5 ms
 * with it and 11.6 ms at nice 10 (1M keys, a -c 1 probe, two rounds each),
 * and neither a BGSAVE under a GET load nor a full sync took longer. On one
 * CPU a thread under this policy would wait as long as clients keep the
 * main thread busy, so it stays at nice 10 there. Needs FFI (libc's
 * sched_setscheduler); without it, or off Linux, nice 10 it is.
 *
 * The RDB load worker runs under it too. A replica loading its full sync
 * shares the machine with whatever serves clients there (on the 2-core
 * bench host, its own master): over eight 1M-key syncs each under a GET
 * load, the colocated master kept 64–71% of its rate (mean 68.4%) with the
 * load worker under SCHED_IDLE and 62–69% (mean 65.4%) at nice 10, the
 * syncs took no longer, and a quiet sync took ~2.5% longer (2.85 s against
 * 2.78 s over eight each). A thread cannot leave SCHED_IDLE without
 * privileges, so a worker keeps it until it ends: one worker per snapshot or
 * load.
 */
export function idleThreadPriority(): void {
  lowerThreadPriority();
  if (Deno.build.os !== "linux" || navigator.hardwareConcurrency < 2) return;
  try {
    const libc = Deno.dlopen("libc.so.6", {
      sched_setscheduler: { parameters: ["i32", "i32", "buffer"], result: "i32" },
    });
    // pid 0: this thread; a struct sched_param whose priority is 0, as SCHED_IDLE requires.
    libc.symbols.sched_setscheduler(0, SCHED_IDLE, new Uint8Array(4));
    libc.close();
  } catch {
    // No FFI permission or no glibc: nice 10 alone.
  }
}
