/** The snapshot's bookkeeping of the keys its walk has passed, and its pacing. */
import assert from "node:assert/strict";
import {
  CHUNK_BYTES,
  KEY_SEGMENT_SIZE,
  KeySegments,
  Snapshot,
  YIELD_CHUNK_BYTES,
  YIELD_CHUNK_MS,
} from "../../../src/persistence/snapshot.ts";
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

/** What a snapshot of `keys` keys did under a busy load. */
interface BusyRun {
  /** Rest timers it set (setTimeout of a millisecond or more). */
  rests: number;
  /** The chunks its sink got: bytes, and when (performance.now()). */
  chunks: { bytes: number; at: number }[];
}

async function underLoad(keys: number, hurry: boolean): Promise<BusyRun> {
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
  const chunks: BusyRun["chunks"] = [];
  snapshot.sinks.push({
    chunk: (bytes) => void chunks.push({ bytes: bytes.length, at: performance.now() }),
    end: () => ended = true,
    abort() {},
  });
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
  return { rests, chunks };
}

Deno.test("under a busy load a snapshot rests between slices, unless a waiting replica makes it hurry", async () => {
  await prepareIoYield();
  try {
    assert.ok((await underLoad(30_000, false)).rests > 0, "rests for the clients");
    assert.equal((await underLoad(30_000, true)).rests, 0, "no rests while hurried");
  } finally {
    closeIoYield();
  }
});

Deno.test("under a busy load the short slices hand over chunks only once they are big or old enough", async () => {
  await prepareIoYield();
  try {
    const { chunks } = await underLoad(30_000, false);
    assert.ok(chunks.length > 2, `${chunks.length} chunks`);
    for (let i = 1; i < chunks.length - 1; i++) {
      const { bytes, at } = chunks[i];
      const sinceLast = at - chunks[i - 1].at;
      assert.ok(
        bytes >= YIELD_CHUNK_BYTES || sinceLast >= YIELD_CHUNK_MS - 0.5,
        `chunk ${i}: ${bytes} bytes ${sinceLast.toFixed(2)} ms after the one before`,
      );
      assert.ok(bytes < CHUNK_BYTES + 1024, `chunk ${i}: ${bytes} bytes`);
    }
  } finally {
    closeIoYield();
  }
});
