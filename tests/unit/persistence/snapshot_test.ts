/** The snapshot's point-in-time image, and its pacing. */
import assert from "node:assert/strict";
import {
  CHUNK_BYTES,
  Snapshot,
  YIELD_CHUNK_BYTES,
  YIELD_CHUNK_MS,
} from "../../../src/persistence/snapshot.ts";
import {
  BatchSnapshotEncoder,
  encodeSnapshotBatch,
} from "../../../src/persistence/snapshot_batch.ts";
import { RdbEncoder } from "../../../src/persistence/rdb_encoder.ts";
import { RdbDecoder } from "../../../src/persistence/rdb_decoder.ts";
import { Keyspace } from "../../../src/store/keyspace.ts";
import { closeIoYield, prepareIoYield } from "../../../src/util/io_yield.ts";

/** The keys and values of a snapshot's batches, encoded as RDB and decoded; each key once. */
function decodeBatches(chunks: Uint8Array[]): Map<string, unknown> {
  const enc = new RdbEncoder();
  enc.writeHeader();
  for (const chunk of chunks) encodeSnapshotBatch(enc, chunk);
  const decoder = new RdbDecoder(enc.finish(), { verifyChecksum: true, databases: 16 });
  const seen = new Map<string, unknown>();
  for (let entry = decoder.next(); entry !== undefined; entry = decoder.next()) {
    assert.equal(seen.has(entry.key), false, `${entry.key} written twice`);
    seen.set(entry.key, entry.value);
  }
  return seen;
}

Deno.test("a snapshot is the keyspace at its start, whatever is written during the walk", async () => {
  const keyspace = new Keyspace(1);
  const db = keyspace.dbs[0];
  const n = 20_000;
  for (let i = 0; i < n; i++) db.set(`k:${i}`, `v:${i}`);
  // rdb-key-save-delay's pacing: the walk takes ~200 ms, in slices with timers between.
  const snapshot = new Snapshot(keyspace, {
    encoder: new BatchSnapshotEncoder(),
    newEncoder: () => new BatchSnapshotEncoder(),
    keyDelayMs: 0.01,
  });
  const chunks: Uint8Array[] = [];
  snapshot.sinks.push({ chunk: (bytes) => void chunks.push(bytes.slice()), end() {}, abort() {} });
  snapshot.start();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const walked = snapshot.keysProcessed;
  assert.ok(walked > 0 && walked < n - 10, `walked ${walked} of ${n}`);
  db.delete("k:0"); // walked: deleted, then created again (the table appends it)
  db.set("k:0", "again");
  db.set(`k:${n - 1}`, "changed"); // not walked yet: copied first
  db.delete(`k:${n - 2}`); // not walked yet: copied first
  db.set("born", "new"); // not there at the start
  for (let i = 1; i < n - 2; i++) db.delete(`k:${i}`); // the table shrinks: a rebuild
  await snapshot.done;

  const seen = decodeBatches(chunks);
  assert.equal(seen.size, n);
  for (const i of [0, 1, 999, 1000, n - 2, n - 1]) assert.equal(seen.get(`k:${i}`), `v:${i}`);
  assert.equal(seen.has("born"), false);
});

Deno.test("writes between start() and the first slice are copied before they change the image", async () => {
  const keyspace = new Keyspace(1);
  const db = keyspace.dbs[0];
  for (let i = 0; i < 100; i++) db.set(`k:${i}`, `v:${i}`);
  const snapshot = new Snapshot(keyspace, {
    encoder: new BatchSnapshotEncoder(),
    newEncoder: () => new BatchSnapshotEncoder(),
  });
  const chunks: Uint8Array[] = [];
  snapshot.sinks.push({ chunk: (bytes) => void chunks.push(bytes.slice()), end() {}, abort() {} });
  snapshot.start();
  // The walk starts after a turn of the event loop: nothing is walked yet.
  assert.equal(snapshot.keysProcessed, 0);
  db.set("k:0", "changed");
  db.delete("k:1");
  db.set("born", "new");
  await snapshot.done;

  const seen = decodeBatches(chunks);
  assert.equal(seen.size, 100);
  assert.equal(seen.get("k:0"), "v:0");
  assert.equal(seen.get("k:1"), "v:1");
  assert.equal(seen.has("born"), false);
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
  // Every look at the counter finds a thousand more clients served: clients always waiting.
  let clients = 0;
  const snapshot = new Snapshot(keyspace, {
    encoder: new BatchSnapshotEncoder(),
    newEncoder: () => new BatchSnapshotEncoder(),
    activity: {
      get count() {
        return clients += 1000;
      },
      mark() {},
    },
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
