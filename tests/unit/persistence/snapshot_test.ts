/** The snapshot's bookkeeping of the keys its walk has passed, and its pacing. */
import assert from "node:assert/strict";
import { KEY_SEGMENT_SIZE, KeySegments, Snapshot } from "../../../src/persistence/snapshot.ts";
import { BatchSnapshotEncoder } from "../../../src/persistence/snapshot_batch.ts";
import { Keyspace } from "../../../src/store/keyspace.ts";
import { closeIoYield, prepareIoYield } from "../../../src/util/io_yield.ts";

Deno.test("key segments remember every key added across segments until cleared", () => {
  const keys = new KeySegments();
  const n = KEY_SEGMENT_SIZE * 2 + 17;
  for (let i = 0; i < n; i++) keys.add(`k${i}`);
  for (const i of [0, 1, KEY_SEGMENT_SIZE - 1, KEY_SEGMENT_SIZE, KEY_SEGMENT_SIZE * 2, n - 1]) {
    assert.ok(keys.has(`k${i}`), `k${i}`);
  }
  assert.equal(keys.has(`k${n}`), false);
  assert.equal(keys.has("other"), false);
  keys.clear();
  assert.equal(keys.has("k0"), false);
  assert.equal(keys.has(`k${n - 1}`), false);
});

/** Rest timers (setTimeout of a millisecond or more) a snapshot of `keys` keys sets under a busy load. */
async function restsUnderLoad(keys: number, hurry: boolean): Promise<number> {
  const keyspace = new Keyspace(1);
  for (let i = 0; i < keys; i++) keyspace.dbs[0].dict.set(`key:${i}`, "v".repeat(64));
  // Every look at the counter finds a thousand more commands served: clients always waiting.
  let commands = 0;
  const snapshot = new Snapshot(keyspace, {
    encoder: new BatchSnapshotEncoder(),
    newEncoder: () => new BatchSnapshotEncoder(),
    activity: () => commands += 1000,
    hurry: () => hurry,
  });
  let ended = false;
  snapshot.sinks.push({ chunk() {}, end: () => ended = true, abort() {} });
  const original = globalThis.setTimeout;
  let rests = 0;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    if ((ms ?? 0) >= 1) rests++;
    return original(fn, ms);
  }) as typeof setTimeout;
  try {
    snapshot.start();
    await snapshot.done;
  } finally {
    globalThis.setTimeout = original;
  }
  assert.ok(ended, "the snapshot ended");
  assert.equal(snapshot.keysProcessed, keys);
  return rests;
}

Deno.test("under a busy load a snapshot rests between slices, unless a waiting replica makes it hurry", async () => {
  await prepareIoYield();
  try {
    assert.ok(await restsUnderLoad(30_000, false) > 0, "rests for the clients");
    assert.equal(await restsUnderLoad(30_000, true), 0, "no rests while hurried");
  } finally {
    closeIoYield();
  }
});
