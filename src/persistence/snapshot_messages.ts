/** Typed messages between the main thread and the snapshot worker (STYLE: discriminated unions). */

/** main → worker */
export type SnapshotRequest =
  /** Start a file: write to `tempPath`, rename over `finalPath` when finished. */
  | { type: "open"; tempPath: string; finalPath: string; checksum: boolean }
  /** RDB bytes, transferred (not copied). */
  | { type: "chunk"; bytes: Uint8Array }
  /** The encoder has written the EOF opcode: append the CRC64, fsync, rename, fsync the directory. */
  | { type: "finish" }
  /** Give up: close and delete the temp file. */
  | { type: "abort" };

/** worker → main */
export type SnapshotResult =
  | { type: "done"; bytes: number; crcHex: string }
  | { type: "error"; message: string };
