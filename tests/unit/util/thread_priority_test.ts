import assert from "node:assert/strict";
import { BACKGROUND_WORKER_NICE } from "../../../src/util/thread_priority.ts";
import { threadSched } from "../../fixtures/thread_sched.ts";

/** SCHED_IDLE in sched.h. */
const SCHED_IDLE = 5;

Deno.test({
  name: "a background worker puts its own thread under SCHED_IDLE at nice 10, and only its own",
  ignore: Deno.build.os !== "linux" || navigator.hardwareConcurrency < 2,
  fn: async () => {
    const worker = new Worker(
      new URL("../../fixtures/thread_priority_worker.ts", import.meta.url),
      { type: "module" },
    );
    try {
      const sched = await new Promise<{ policy: number; nice: number }>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message));
      });
      assert.deepEqual(sched, { policy: SCHED_IDLE, nice: BACKGROUND_WORKER_NICE });
      assert.equal(threadSched().policy, 0, "the test's own thread keeps SCHED_OTHER");
    } finally {
      worker.terminate();
    }
  },
});
