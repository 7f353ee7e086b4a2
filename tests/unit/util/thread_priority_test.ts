import assert from "node:assert/strict";
import {
  BACKGROUND_WORKER_NICE,
  isStarved,
  lowerProcessPriority,
  OFFER_CPU_EVERY_MS,
  offerCpu,
} from "../../../src/util/thread_priority.ts";
import { startRdbStreamLoad } from "../../../src/persistence/rdb_loader.ts";
import { Keyspace } from "../../../src/store/keyspace.ts";
import { processThreads, threadSched } from "../../fixtures/thread_sched.ts";

/** SCHED_IDLE in sched.h. */
const SCHED_IDLE = 5;
/** How many times the worker fixture gives the CPU back. */
const OFFERS = 20;

Deno.test({
  name:
    "a background worker puts its own thread under SCHED_IDLE at nice 10, and only its own, and gives the CPU back as it works",
  ignore: Deno.build.os !== "linux" || navigator.hardwareConcurrency < 2,
  fn: async () => {
    const worker = new Worker(
      new URL("../../fixtures/thread_priority_worker.ts", import.meta.url),
      { type: "module" },
    );
    try {
      const { offers, ms, ...sched } = await new Promise<
        { policy: number; nice: number; offers: number; ms: number }
      >((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message));
        worker.postMessage(OFFERS);
      });
      assert.deepEqual(sched, { policy: SCHED_IDLE, nice: BACKGROUND_WORKER_NICE });
      assert.equal(threadSched().policy, 0, "the test's own thread keeps SCHED_OTHER");
      // At most one offer per OFFER_CPU_EVERY_MS (0.1 ms); a saturated machine may
      // leave a SCHED_IDLE thread too little time for all of them.
      assert.ok(offers >= 2, `${offers} offers`);
      assert.ok(ms >= (offers - 1) * OFFER_CPU_EVERY_MS, `${offers} offers in ${ms} ms`);
    } finally {
      worker.terminate();
    }
  },
});

Deno.test({
  name: "the RDB load worker's thread runs under SCHED_IDLE while it loads",
  ignore: Deno.build.os !== "linux" || navigator.hardwareConcurrency < 2,
  fn: async () => {
    const before = new Set(processThreads().map((t) => t.tid));
    const newIdle = () =>
      processThreads().filter((t) => !before.has(t.tid) && t.policy === SCHED_IDLE).length;
    // A stream load keeps its worker until end(): only the header has arrived.
    const load = startRdbStreamLoad(new Keyspace(16), { dropExpired: false, verifyChecksum: true });
    try {
      load.push(new TextEncoder().encode("REDIS0010"));
      let idle = 0;
      for (let i = 0; i < 100 && idle === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        idle = newIdle();
      }
      assert.equal(idle, 1, "one new thread under SCHED_IDLE: the load worker");
      assert.equal(threadSched().policy, 0, "the main thread keeps SCHED_OTHER");
    } finally {
      load.abort();
      await load.end().catch(() => {});
    }
  },
});

/**
 * How often offerCpu gives the CPU back over a busy loop of `ms`, or until
 * it has `enough` times (a thread under SCHED_IDLE may wait long for a CPU).
 */
function offersOver(ms: number, enough = Infinity): number {
  let offers = 0;
  const until = performance.now() + ms;
  while (offers < enough && performance.now() < until) if (offerCpu()) offers++;
  return offers;
}

/** Whether this process holds CAP_SYS_NICE (it may lower nice values again). */
function maySetNiceBack(): boolean {
  const caps = /^CapEff:\s*([0-9a-f]+)/m.exec(Deno.readTextFileSync("/proc/self/status"));
  return caps !== null && ((BigInt(`0x${caps[1]}`) >> 23n) & 1n) === 1n;
}

Deno.test({
  name:
    "a full sync's priority drop lowers the process's threads to nice 10 under SCHED_IDLE and puts them back",
  ignore: Deno.build.os !== "linux",
  fn: () => {
    const before = new Map(processThreads().map((t) => [t.tid, t.nice]));
    const offersBefore = offersOver(2);
    const restore = lowerProcessPriority();
    const during = processThreads();
    const offersDuring = offersOver(1_000, 2);
    restore();
    const after = processThreads();
    assert.equal(offersBefore, 0, "a thread at its normal priority never yields");
    assert.equal(offersOver(2), 0, "nor once it is back");
    const main = during.find((t) => t.tid === Deno.pid)!;
    if (maySetNiceBack()) {
      assert.equal(main.nice, BACKGROUND_WORKER_NICE, "the main thread is lowered");
      const idle = navigator.hardwareConcurrency >= 2 ? SCHED_IDLE : 0;
      assert.equal(main.policy, idle, "and under SCHED_IDLE with two CPUs or more");
      for (const t of during) {
        if (!before.has(t.tid)) continue;
        if (t.name.startsWith("V8 ")) {
          // V8's collector helpers keep their priority: the main thread waits for them.
          assert.equal(t.nice, before.get(t.tid), `${t.name} ${t.tid} keeps its nice value`);
          assert.equal(t.policy, 0, `${t.name} ${t.tid} keeps SCHED_OTHER`);
        } else assert.ok(t.nice >= BACKGROUND_WORKER_NICE, `thread ${t.name} ${t.tid}`);
      }
      assert.ok(during.some((t) => t.name.startsWith("V8 ")), "V8 runs helper threads here");
      assert.ok(offersDuring >= 2, `the lowered main thread gives the CPU back (${offersDuring})`);
    } else {
      assert.equal(main.nice, before.get(Deno.pid), "unprivileged: nothing changes");
      assert.equal(offersDuring, 0);
      assert.equal(main.policy, 0);
    }
    for (const t of after) {
      if (before.has(t.tid)) assert.equal(t.nice, before.get(t.tid), `thread ${t.tid} is back`);
      if (before.has(t.tid) && t.tid === Deno.pid) {
        assert.equal(t.policy, 0, "the normal policy again");
      }
    }
  },
});

Deno.test({
  name: "a full sync that outlasts its SCHED_IDLE limit goes back to the normal policy at nice 10",
  ignore: Deno.build.os !== "linux" || navigator.hardwareConcurrency < 2 || !maySetNiceBack(),
  fn: async () => {
    const restore = lowerProcessPriority(30);
    try {
      assert.equal(threadSched().policy, SCHED_IDLE);
      let sched = threadSched();
      for (let i = 0; i < 100 && sched.policy !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        sched = threadSched();
      }
      assert.deepEqual(sched, { policy: 0, nice: BACKGROUND_WORKER_NICE });
    } finally {
      restore();
    }
    assert.equal(threadSched().nice, 0);
  },
});

Deno.test("a lowered thread is starved when it barely ran and mostly waited for a CPU", () => {
  assert.equal(isStarved(5, 450, 500), true);
  assert.equal(isStarved(9, 260, 500), true);
  assert.equal(isStarved(11, 450, 500), false, "it ran over 2% of the time");
  assert.equal(isStarved(5, 200, 500), false, "it slept most of the time (waiting for work)");
  assert.equal(isStarved(0, 0, 500), false, "asleep all along");
  assert.equal(isStarved(0, 0, 0), false);
});

/**
 * Busy loops at the normal priority for `ms`, one more than the CPUs, each
 * in a worker of its own (ended by the caller): a SCHED_IDLE thread then
 * barely runs.
 */
function startBusyLoops(ms: number): Worker[] {
  const source = `const end = performance.now() + ${ms}; while (performance.now() < end);`;
  return Array.from(
    { length: navigator.hardwareConcurrency + 1 },
    () => new Worker(`data:text/javascript,${encodeURIComponent(source)}`, { type: "module" }),
  );
}

Deno.test({
  name:
    "a background worker starved by busy loops leaves SCHED_IDLE and stops yielding, back at its normal priority, until its next job",
  ignore: Deno.build.os !== "linux" || navigator.hardwareConcurrency < 2 || !maySetNiceBack(),
  fn: async () => {
    const worker = new Worker(
      new URL("../../fixtures/thread_priority_worker.ts", import.meta.url),
      { type: "module" },
    );
    const loops = startBusyLoops(30_000);
    try {
      const report = await new Promise<{ policy: number; nice: number; offers: number }>(
        (resolve, reject) => {
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => reject(new Error(e.message));
          // STARVED_CHECKS checks take STARVED_CHECKS * STARVATION_CHECK_MS (3 s)
          // of starvation; the machine may be busy with more than the loops.
          worker.postMessage({ workMs: 25_000 });
        },
      );
      assert.deepEqual({ policy: report.policy, nice: report.nice }, { policy: 0, nice: 0 });
      for (const loop of loops) loop.terminate();
      const again = await new Promise<{ policy: number; nice: number }>((resolve) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.postMessage("lower again");
      });
      assert.deepEqual(
        { policy: again.policy, nice: again.nice },
        { policy: SCHED_IDLE, nice: BACKGROUND_WORKER_NICE },
        "lowered again for its next job",
      );
    } finally {
      worker.terminate();
      for (const loop of loops) loop.terminate();
    }
  },
});
