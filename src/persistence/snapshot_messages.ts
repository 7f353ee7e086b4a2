/** Typed messages between the main thread and the snapshot worker (STYLE: discriminated unions). */
import type { RdbAuxFields, RdbEncoderOptions } from "./rdb_encoder.ts";
import type { SnapshotBatch } from "./snapshot_batch.ts";

/** Where the worker puts the RDB it encodes. */
export interface SnapshotTarget {
  /** Write the file: `tempPath` first, renamed over `finalPath` once complete and fsynced. */
  file?: { tempPath: string; finalPath: string };
  /** Post the RDB bytes back as they are produced (diskless replicas). */
  forward: boolean;
}

/**
 * main → worker. `id` names the snapshot: a worker serves one after another,
 * and answers with the id of the snapshot it is about.
 */
export type SnapshotRequest =
  /** Start a snapshot: the encoder's settings, the header's aux fields, where the bytes go. */
  | {
    type: "open";
    id: number;
    options: RdbEncoderOptions;
    aux: RdbAuxFields;
    target: SnapshotTarget;
  }
  /** The next records of the keyspace (src/persistence/snapshot_batch.ts). */
  | { type: "batch"; id: number; batch: SnapshotBatch }
  /** Every batch was sent: append the EOF and CRC64, fsync, rename, fsync the directory. */
  | { type: "finish"; id: number }
  /** Give up: close and delete the temp file. */
  | { type: "abort"; id: number }
  /** Sent once when the worker starts: it answers in kind (see prewarmSnapshotWorker). */
  | { type: "warm"; id: 0; bytes: Uint8Array };

/** worker → main */
export type SnapshotResult =
  /** RDB bytes for the forward target (transferred), in order. */
  | { type: "output"; id: number; bytes: Uint8Array }
  /** One batch was encoded (and its bytes written or forwarded): the sender may send another. */
  | { type: "consumed"; id: number }
  /** The snapshot is complete: the file is renamed and fsynced, or every byte was forwarded. */
  | { type: "done"; id: number; bytes: number; crcHex: string }
  /** The snapshot failed: its temp file could not be opened, or a write to it failed (OS error text). */
  | { type: "error"; id: number; message: string; during: "open" | "write" }
  /** The answer to "warm". */
  | { type: "warm"; id: 0; bytes: Uint8Array };
