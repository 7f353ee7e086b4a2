/**
 * The snapshot worker: appends RDB chunks to `temp-<pid>.rdb`, computes the
 * CRC64 as they pass, and on finish appends it, fsyncs, renames over the
 * final name and fsyncs the directory, then posts a typed result. All file
 * I/O of a snapshot happens here, so the main thread never waits on the disk.
 */
/// <reference lib="deno.worker" />
import { crc64Hex, crc64Init, crc64Update, crc64WriteLE } from "./crc64.ts";
import type { SnapshotRequest, SnapshotResult } from "./snapshot_messages.ts";

let file: Deno.FsFile | undefined;
let tempPath = "";
let finalPath = "";
let checksum = true;
let written = 0;
let crc = crc64Init();
/** Requests are handled strictly in order: each waits for the previous write. */
let queue: Promise<void> = Promise.resolve();
let failed: string | undefined;

function post(result: SnapshotResult): void {
  self.postMessage(result);
}

async function writeAll(bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file!.write(bytes.subarray(offset));
  written += bytes.length;
}

async function handle(msg: SnapshotRequest): Promise<void> {
  if (failed !== undefined && msg.type !== "open" && msg.type !== "abort") return;
  switch (msg.type) {
    case "open":
      failed = undefined;
      tempPath = msg.tempPath;
      finalPath = msg.finalPath;
      checksum = msg.checksum;
      written = 0;
      crc = crc64Init();
      file = await Deno.open(tempPath, { write: true, create: true, truncate: true });
      return;
    case "chunk":
      if (checksum) crc64Update(crc, msg.bytes);
      await writeAll(msg.bytes);
      return;
    case "finish": {
      const trailer = new Uint8Array(8);
      if (checksum) crc64WriteLE(crc, trailer, 0);
      await writeAll(trailer);
      await file!.sync();
      file!.close();
      file = undefined;
      await Deno.rename(tempPath, finalPath);
      await syncDirectory(finalPath);
      post({ type: "done", bytes: written, crcHex: checksum ? crc64Hex(crc) : "0" });
      return;
    }
    case "abort":
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
    if (created && tempPath) await Deno.remove(tempPath);
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
  queue = queue.then(() => handle(msg)).catch(async (err) => {
    failed = (err as Error).message;
    await discard();
    post({ type: "error", message: failed });
  });
};
