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

/** main → worker */
export type SnapshotRequest =
  /** Start a snapshot: the encoder's settings, the header's aux fields, where the bytes go. */
  | {
    type: "open";
    options: RdbEncoderOptions;
    aux: RdbAuxFields;
    target: SnapshotTarget;
  }
  /** The next records of the keyspace (src/persistence/snapshot_batch.ts). */
  | { type: "batch"; batch: SnapshotBatch }
  /** Every batch was sent: append the EOF and CRC64, fsync, rename, fsync the directory. */
  | { type: "finish" }
  /** Give up: close and delete the temp file. */
  | { type: "abort" };

/** worker → main */
export type SnapshotResult =
  /** RDB bytes for the forward target (transferred), in order. */
  | { type: "output"; bytes: Uint8Array }
  /** One batch was encoded (and its bytes written or forwarded): the sender may send another. */
  | { type: "consumed" }
  /** The snapshot is complete: the file is renamed and fsynced, or every byte was forwarded. */
  | { type: "done"; bytes: number; crcHex: string }
  | { type: "error"; message: string };
