/**
 * Background workers (snapshot encoding, RDB loading) run at a lower priority
 * than the thread that serves clients. Linux applies setpriority and
 * sched_setscheduler to the calling thread only, so each worker lowers itself.
 */
import { getPriority, setPriority } from "node:os";

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
 * privileges (CAP_SYS_NICE, or an RLIMIT_NICE of 10 or more), so a worker
 * takes it only where it could leave it when starved (see checkStarvation).
 * A pooled worker calls this again for each job.
 */
export function idleThreadPriority(): void {
  lowerThreadPriority();
  yieldsCpu = true;
  checkedAt = 0;
  starvedChecks = 0;
  if (Deno.build.os !== "linux" || navigator.hardwareConcurrency < 2) return;
  // Only where the thread may leave it again when starved (see offerCpu).
  try {
    if (!mayRaisePriority(BACKGROUND_WORKER_NICE)) return;
  } catch {
    return; // no /proc
  }
  if (setScheduler([0], SCHED_IDLE)) { // tid 0: this thread
    leaveIdle = () => {
      setScheduler([0], SCHED_OTHER);
      try {
        setPriority(0, 0);
      } catch {
        // Not permitted: stay at nice 10.
      }
    };
  }
}

/** How often a lowered thread's long loops give the CPU back (see offerCpu). */
export const OFFER_CPU_EVERY_MS = 0.1;
/** offerCpu calls between clock checks (a call stands for one key's work). */
const CALLS_PER_CLOCK_CHECK = 16;

/** Whether this thread runs lowered, so that offerCpu yields (per isolate: per thread). */
let yieldsCpu = false;
let callsSinceCheck = 0;
let lastOffer = 0;

/** How often a lowered thread checks whether it is starved (see offerCpu). */
export const STARVATION_CHECK_MS = 500;
/**
 * A lowered thread that ran less than this share of the time since its last
 * check, while it waited for a CPU more than STARVED_WAIT_SHARE of it, is
 * starved. A SCHED_IDLE worker next to three busy loops on the 2-core host
 * got 0.5% (85 ms in 18 s). At a tenth, the replica in the bench's sync
 * under a GET load stood up and its master kept 64% of its rate instead of
 * 92%; giving way to that master, it still dips under 2% for a second at
 * times (see STARVED_CHECKS).
 */
export const STARVED_RUN_SHARE = 0.02;
/** …while it waited for a CPU more than this share of it… */
export const STARVED_WAIT_SHARE = 0.5;
/**
 * …for this many checks in a row (3 s). After two (1 s), the replica in the
 * bench's sync under a GET load stood up too: that sync took 9.9 s instead of
 * 20–21 s, and its master kept 73% of its rate instead of 83–92%.
 */
export const STARVED_CHECKS = 6;

/** Puts this thread (and the threads lowered with it) back under the normal policy; undefined when none is under SCHED_IDLE. */
let leaveIdle: (() => void) | undefined;
/** This thread's clock and schedstat run and wait times (ms) at its last starvation check; 0: none yet. */
let checkedAt = 0;
let ranAt = 0;
let waitedAt = 0;
/** Starved checks in a row. */
let starvedChecks = 0;

/**
 * Whether a lowered thread that ran `ranMs` and waited for a CPU `waitedMs`
 * over the last `wallMs` is starved: other work keeps the CPUs it would
 * take, and it barely advances.
 */
export function isStarved(ranMs: number, waitedMs: number, wallMs: number): boolean {
  return wallMs > 0 && ranMs < STARVED_RUN_SHARE * wallMs && waitedMs > STARVED_WAIT_SHARE * wallMs;
}

/** This thread's time on a CPU and waiting for one, in ms (/proc/thread-self/schedstat). */
function schedTimes(): [ran: number, waited: number] | undefined {
  try {
    const [ran, waited] = Deno.readTextFileSync("/proc/thread-self/schedstat").split(" ");
    return [Number(ran) / 1e6, Number(waited) / 1e6];
  } catch {
    return undefined;
  }
}

/**
 * Every STARVATION_CHECK_MS of a lowered thread's work: when it was starved
 * over the last STARVED_CHECKS checks, it stops yielding, leaves SCHED_IDLE
 * and gets its nice value back (where permitted), for good.
 *
 * Why: SCHED_IDLE and the yields give way to every other thread, so on a
 * machine that other work saturates a lowered thread barely runs. With three
 * busy loops on the 2-core host, a replica's full sync of a 20K-key master
 * under a write load had not finished after 60 s (its master's snapshot
 * worker had run 85 ms in 18 s); redis-server's took 0.5-0.7 s, its fork
 * child competing at the normal priority.
 */
function checkStarvation(now: number): void {
  if (now - checkedAt < STARVATION_CHECK_MS) return;
  const times = schedTimes();
  if (times === undefined) return;
  const [ran, waited] = times;
  const starved = checkedAt > 0 && isStarved(ran - ranAt, waited - waitedAt, now - checkedAt);
  checkedAt = now;
  ranAt = ran;
  waitedAt = waited;
  starvedChecks = starved ? starvedChecks + 1 : 0;
  if (starvedChecks < STARVED_CHECKS) return;
  yieldsCpu = false;
  const leave = leaveIdle;
  leaveIdle = undefined;
  leave?.();
}

/**
 * A lowered thread's check between units of work that do not call
 * offerCpu (a worker's messages): see checkStarvation.
 */
export function noteWork(): void {
  if (yieldsCpu) checkStarvation(performance.now());
}

/**
 * Gives the CPU to any thread waiting for it, at most every
 * OFFER_CPU_EVERY_MS, from a thread running lowered (the workers, a
 * replica during its sync); true when it did. Elsewhere it does nothing.
 * Long loops call it once per key.
 *
 * Why: on Linux 6.6 and later (EEVDF) a thread that sleeps keeps the CPU
 * time it is owed, and a SCHED_IDLE or nice thread that wakes with it is
 * picked ahead of a normal one and runs on until it blocks or its slice
 * ends (1.5-4 ms), even when the normal thread wakes meanwhile. Our workers
 * wake for every batch, so each could hold a CPU that the thread serving
 * clients was waiting for. On the 2-core bench host, two threads on one
 * CPU (the normal one sleeping 0.1 ms every 2 ms, the SCHED_IDLE one
 * working 1 ms between 0.2 ms sleeps): the normal one lost the CPU for over
 * 1 ms 365 times in 5 s; 5 times, as with no second thread at all, when
 * the idle one called sched_yield every 0.1 ms. In 1M-key full syncs with a
 * one-client probe on the master, in alternating sets: the probe's maximum
 * was over 10 ms in 8 of 18 syncs without the yields (median 9.6 ms), in 1
 * of 18 with one every 0.2 ms (median 7.9 ms), 4 of 12 every 0.5 ms and 1 of
 * 12 every 0.1 ms (median 7.1 ms). The syncs took ~10% longer (median 4.1 s
 * against 3.7 s): the background threads give way. Without contention
 * sched_yield returns at once; one costs well under a microsecond.
 */
export function offerCpu(): boolean {
  if (!yieldsCpu || ++callsSinceCheck < CALLS_PER_CLOCK_CHECK) return false;
  callsSinceCheck = 0;
  const now = performance.now();
  checkStarvation(now);
  if (!yieldsCpu || now - lastOffer < OFFER_CPU_EVERY_MS) return false;
  lastOffer = now;
  const symbols = libc();
  if (symbols === null) return false;
  symbols.sched_yield();
  return true;
}

/** The libc functions used here (scheduling policy and yields). */
const LIBC_SYMBOLS = {
  sched_setscheduler: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  sched_yield: { parameters: [], result: "i32" },
} as const;
type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

/** libc, opened once per thread and kept open; null where FFI or glibc is not there. */
let libcHandle: Libc | null | undefined;

function libc(): Libc | null {
  if (libcHandle === undefined) libcHandle = openLibc();
  return libcHandle;
}

function openLibc(): Libc | null {
  if (Deno.build.os !== "linux") return null;
  try {
    return Deno.dlopen("libc.so.6", LIBC_SYMBOLS).symbols;
  } catch {
    return null; // no FFI permission, or not glibc
  }
}

/** Linux's SCHED_OTHER policy, the normal one. */
const SCHED_OTHER = 0;

/**
 * Sets the scheduling policy of threads `tids` (libc's sched_setscheduler,
 * with a sched_param of priority 0, as both policies used here require);
 * false where FFI or glibc is not there. A thread that has ended is skipped.
 */
function setScheduler(tids: number[], policy: number): boolean {
  const symbols = libc();
  if (symbols === null) return false;
  for (const tid of tids) symbols.sched_setscheduler(tid, policy, new Uint8Array(4));
  return true;
}

/** Linux's CAP_SYS_NICE (capability.h): may lower nice values again. */
const CAP_SYS_NICE = 23;

/** How long lowerProcessPriority keeps threads under SCHED_IDLE before nice 10 alone. */
export const IDLE_POLICY_LIMIT_MS = 10_000;

/**
 * Whether thread `tid` is one of V8's platform workers ("V8 DefaultWorker",
 * the name cut to 15 characters by the kernel): they run the garbage
 * collector's parallel and concurrent phases for every isolate.
 */
function isV8PlatformThread(tid: number): boolean {
  return Deno.readTextFileSync(`/proc/self/task/${tid}/comm`).startsWith("V8 ");
}

/**
 * Lowers every thread of the process that runs at a normal priority (the
 * main thread, the I/O runtime's threads), except V8's collector helpers, to
 * BACKGROUND_WORKER_NICE and, with two CPUs or more, to SCHED_IDLE for at
 * most `idleLimitMs`; returns the function that puts them back. It does so
 * only where the process may raise them back (CAP_SYS_NICE, or an
 * RLIMIT_NICE that allows it): an unprivileged thread cannot lower its nice
 * value again, and a replica left at nice 10 after its sync would stay
 * behind for good. Elsewhere, and off Linux, it changes nothing.
 *
 * For a replica's full sync: until it ends the replica serves stale data at
 * best, while the master it syncs from serves clients. When both share a
 * machine, the master should win the CPU. On the 2-core bench host, over
 * three 1M-key syncs each under a GET load, the colocated master kept
 * 76–81% of its rate with SCHED_IDLE, 71–73% at nice 10 alone (67–69% with
 * neither, in an earlier series); the syncs took 8.3–8.6 s either way, and
 * quiet syncs 1.90–2.29 s against 2.01–2.22 s at nice 10; but with a latency
 * probe on the master (one client, one request at a time) syncs took
 * 3.55–3.76 s against 3.21–3.33 s. Under SCHED_IDLE a thread runs only on a
 * CPU nothing else wants, so on a machine other work keeps saturated a sync
 * could stall past its master's timeouts: after `idleLimitMs` the threads go
 * back to the normal policy, still at nice 10.
 *
 * V8's collector helpers keep their priority. The main thread waits for them
 * in every scavenge of the heap the sync fills, and a SCHED_IDLE helper that
 * wakes with CPU time owed kept a CPU for up to 8 ms while a client of the
 * master waited on it (perf sched; they cannot call offerCpu). On the 2-core
 * bench host, 1M-key syncs with a one-client PING probe on the master took
 * 5.8-6.5 s with the helpers at their priority against 7.5-7.9 s lowered
 * (six each, alternating sets), with as many probe stalls over 4 ms (49-64
 * against 45-54 per sync) and the same maxima (13.6-21.2 ms against
 * 12.4-20.4 ms, on a day the host itself stalled a CPU for up to 22 ms).
 * In three bench runs that day the sync took 1.20-1.31x Redis's time (with
 * the helpers lowered: 1.38-1.45x over three runs, 1.64x in a fourth), and
 * the master kept 84-89% of its GET rate (80-88%).
 */
export function lowerProcessPriority(idleLimitMs = IDLE_POLICY_LIMIT_MS): () => void {
  if (Deno.build.os !== "linux") return () => {};
  const lowered: { tid: number; nice: number }[] = [];
  try {
    if (!mayRaisePriority(0)) return () => {};
    for (const entry of Deno.readDirSync("/proc/self/task")) {
      const tid = Number(entry.name);
      try {
        if (isV8PlatformThread(tid)) continue;
        const nice = getPriority(tid);
        if (nice >= BACKGROUND_WORKER_NICE) continue; // a background worker already
        setPriority(tid, BACKGROUND_WORKER_NICE);
        lowered.push({ tid, nice });
      } catch {
        // The thread ended meanwhile.
      }
    }
  } catch {
    // No /proc, or not permitted: leave the priorities alone.
  }
  const tids = lowered.map((t) => t.tid);
  let idle = tids.length > 0 && navigator.hardwareConcurrency >= 2 &&
    setScheduler(tids, SCHED_IDLE);
  const endIdle = () => {
    if (idle) setScheduler(tids, SCHED_OTHER);
    idle = false;
  };
  const timer = setTimeout(endIdle, idleLimitMs);
  Deno.unrefTimer(timer);
  yieldsCpu = tids.length > 0;
  checkedAt = 0;
  starvedChecks = 0;
  if (idle) {
    leaveIdle = () => {
      endIdle();
      putBack();
      putBackNewThreads();
    };
  }
  const putBack = () => {
    for (const { tid, nice } of lowered) {
      try {
        setPriority(tid, nice);
      } catch {
        // The thread ended meanwhile.
      }
    }
  };
  // Threads started meanwhile (the I/O runtime's blocking pool, which writes
  // the transfer to disk) inherited the lowered priority: they get the main
  // thread's back. Workers lower themselves, and keep it.
  const mainNice = lowered.find((t) => t.tid === Deno.pid)?.nice ?? 0;
  const known = new Set(tids);
  const putBackNewThreads = () => {
    try {
      for (const entry of Deno.readDirSync("/proc/self/task")) {
        const tid = Number(entry.name);
        if (known.has(tid)) continue;
        try {
          const name = Deno.readTextFileSync(`/proc/self/task/${tid}/comm`);
          if (name.startsWith("V8 ") || name.startsWith("worker-")) continue;
          setScheduler([tid], SCHED_OTHER);
          setPriority(tid, mainNice);
        } catch {
          // The thread ended meanwhile.
        }
      }
    } catch {
      // No /proc.
    }
  };
  return () => {
    clearTimeout(timer);
    endIdle();
    yieldsCpu = false;
    leaveIdle = undefined;
    putBack();
    if (tids.length > 0) putBackNewThreads();
  };
}

/** Whether this process may set a thread's nice value back down to `nice` (Linux). */
function mayRaisePriority(nice: number): boolean {
  const status = Deno.readTextFileSync("/proc/self/status");
  const caps = /^CapEff:\s*([0-9a-f]+)/m.exec(status);
  if (caps !== null && (BigInt(`0x${caps[1]}`) >> BigInt(CAP_SYS_NICE)) & 1n) return true;
  // RLIMIT_NICE's soft limit r allows nice values down to 20 - r.
  const limits = Deno.readTextFileSync("/proc/self/limits");
  const rlimit = /^Max nice priority\s+(\d+)/m.exec(limits);
  return rlimit !== null && 20 - Number(rlimit[1]) <= nice;
}
