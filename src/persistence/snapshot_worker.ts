/**
 * The snapshot worker: encodes the batches of a snapshot as RDB (see
 * snapshot_batch.ts), computes the CRC64 as the bytes pass, appends them to
 * `temp-<pid>.rdb` and/or posts them back for diskless replicas, and on
 * finish appends the CRC, fsyncs, renames over the final name and fsyncs the
 * directory, then posts a typed result. The encoding and all file I/O of a
 * snapshot happen here, so the main thread neither encodes nor waits on the
 * disk.
 */
/// <reference lib="deno.worker" />
import { osErrorText } from "../util/system.ts";
import { idleThreadPriority, noteWork } from "../util/thread_priority.ts";
import { crc64Hex, crc64Init, crc64Update, crc64WriteLE } from "./crc64.ts";
import { RdbEncoder } from "./rdb_encoder.ts";
import { encodeSnapshotBatch } from "./snapshot_batch.ts";
import type { SnapshotRequest, SnapshotResult, SnapshotTarget } from "./snapshot_messages.ts";

idleThreadPriority();

/** The snapshot being written (0: none); requests about any other are stale and ignored. */
let current = 0;
let encoder: RdbEncoder | undefined;
let target: SnapshotTarget = { forward: false };
let file: Deno.FsFile | undefined;
let checksum = true;
let written = 0;
let crc = crc64Init();
/** Requests are handled strictly in order: each waits for the previous write. */
let queue: Promise<void> = Promise.resolve();
let failed: string | undefined;

function post(result: SnapshotResult, transfer: Transferable[] = []): void {
  self.postMessage(result, transfer);
}

/**
 * Sends encoded bytes where they go: the CRC (unless it is the trailer), the
 * main thread, the file. `then` runs once they are written; the sender's
 * credit for a batch comes back then, so a slow disk holds the snapshot back.
 *
 * The file is written synchronously: this thread has nothing else to do
 * meanwhile, while an asynchronous write goes through Deno's blocking pool,
 * two more thread hand-offs per batch (a wake-up of another thread each).
 */
function output(bytes: Uint8Array, checksummed: boolean, then?: () => void): void {
  if (checksum && checksummed) crc64Update(crc, bytes);
  written += bytes.length;
  const sink = file;
  if (sink === undefined) {
    if (target.forward && bytes.length > 0) {
      post({ type: "output", id: current, bytes }, [bytes.buffer as ArrayBuffer]);
    }
    then?.();
    return;
  }
  if (failed !== undefined) return;
  try {
    let offset = 0;
    while (offset < bytes.length) offset += sink.writeSync(bytes.subarray(offset));
  } catch (err) {
    // The snapshot fails at once (the sender waits for credits that will not come).
    fail(err);
    return;
  }
  then?.();
}

/** Gives up the current snapshot: deletes its temp file and says why, once. */
async function fail(err: unknown, during: "open" | "write" = "write"): Promise<void> {
  if (failed !== undefined) return;
  failed = osErrorText(err);
  encoder = undefined;
  await discard();
  post({ type: "error", id: current, message: failed, during });
}

async function handle(msg: SnapshotRequest): Promise<void> {
  if (msg.type === "warm") return post(msg, [msg.bytes.buffer as ArrayBuffer]);
  if (msg.type !== "open" && (msg.id !== current || failed !== undefined)) return;
  switch (msg.type) {
    case "open":
      // Lowered again: a starved snapshot may have made this pooled worker stand up.
      idleThreadPriority();
      if (file !== undefined) await discard(); // a snapshot abandoned without its abort
      current = msg.id;
      failed = undefined;
      target = msg.target;
      checksum = msg.options.checksum ?? true;
      written = 0;
      crc = crc64Init();
      encoder = new RdbEncoder({ ...msg.options, externalChecksum: true });
      encoder.writeHeader(msg.aux);
      if (target.file !== undefined) {
        try {
          file = await Deno.open(target.file.tempPath, {
            write: true,
            create: true,
            truncate: true,
          });
        } catch (err) {
          await fail(err, "open");
        }
      }
      return;
    case "batch": {
      encodeSnapshotBatch(encoder!, msg.batch);
      const id = current;
      output(encoder!.takeChunk(), true, () => post({ type: "consumed", id }));
      return;
    }
    case "finish": {
      const tail = encoder!.finish();
      const out = new Uint8Array(tail.length + 8);
      out.set(tail);
      if (checksum) {
        crc64Update(crc, tail);
        crc64WriteLE(crc, out, tail.length);
      }
      output(out, false);
      if (failed !== undefined) return;
      encoder = undefined;
      if (file !== undefined && target.file !== undefined) {
        await file.sync();
        file.close();
        file = undefined;
        await Deno.rename(target.file.tempPath, target.file.finalPath);
        await syncDirectory(target.file.finalPath);
      }
      post({ type: "done", id: current, bytes: written, crcHex: checksum ? crc64Hex(crc) : "0" });
      current = 0;
      return;
    }
    case "abort":
      encoder = undefined;
      current = 0;
      await discard();
      return;
  }
}

async function discard(): Promise<void> {
  // Only a file this worker opened is ours to delete.
  const created = file !== undefined;
  try {
    file?.close();
  } catch {
    // already closed
  }
  file = undefined;
  try {
    if (created && target.file !== undefined) await Deno.remove(target.file.tempPath);
  } catch {
    // already gone
  }
}

/** fsync of the directory makes the rename itself durable. */
async function syncDirectory(path: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
  try {
    const handle = await Deno.open(dir, { read: true });
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}

self.onmessage = (event: MessageEvent<SnapshotRequest>) => {
  const msg = event.data;
  noteWork();
  queue = queue.then(() => handle(msg)).catch(fail);
};
