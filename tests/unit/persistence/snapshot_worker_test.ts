import assert from "node:assert/strict";
import type {
  SnapshotRequest,
  SnapshotResult,
} from "../../../src/persistence/snapshot_messages.ts";

Deno.test("the snapshot worker answers the start-up warm message in kind, bytes transferred both ways", async () => {
  const worker = new Worker(
    new URL("../../../src/persistence/snapshot_worker.ts", import.meta.url),
    { type: "module" },
  );
  try {
    const answer = new Promise<SnapshotResult>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<SnapshotResult>) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
    });
    const bytes = new Uint8Array([7]);
    const warm: SnapshotRequest = { type: "warm", id: 0, bytes };
    worker.postMessage(warm, [bytes.buffer]);
    assert.equal(bytes.length, 0, "transferred, not copied");
    const reply = await answer;
    assert.equal(reply.type, "warm");
    assert.equal(reply.id, 0);
    assert.deepEqual(reply.type === "warm" ? [...reply.bytes] : [], [7]);
  } finally {
    worker.terminate();
  }
});
