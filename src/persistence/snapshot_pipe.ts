/**
 * The main thread's end of the snapshot worker: a snapshot sink that sends
 * batches to a worker of its own (src/persistence/snapshot_worker.ts), which
 * encodes them as RDB and writes the file and/or hands the bytes back for
 * diskless replicas.
 *
 * Flow control: at most `MAX_BATCHES_IN_FLIGHT` batches are sent and not yet
 * encoded (and, for forwarded bytes, delivered). Past that the sink returns a
 * promise and the snapshot's walk waits for it, so a slow disk, a slow worker
 * or a slow replica socket slows the snapshot instead of growing memory.
 */
import type { RdbAuxFields, RdbEncoderOptions } from "./rdb_encoder.ts";
import type { SnapshotSink } from "./snapshot.ts";
import type { SnapshotBatch } from "./snapshot_batch.ts";
import type { SnapshotRequest, SnapshotResult } from "./snapshot_messages.ts";

/** Batches the worker may hold before the walk waits (each is about CHUNK_BYTES of data). */
export const MAX_BATCHES_IN_FLIGHT = 4;

/** How a snapshot through the worker ended. */
export type SnapshotOutcome =
  | { ok: true; bytes: number; crcHex: string }
  | { ok: false; message: string };

/** What to do with the RDB a pipe's worker encodes. */
export interface SnapshotPipeOptions {
  /** The encoder's settings (rdbcompression, rdbchecksum, encoding thresholds). */
  options: RdbEncoderOptions;
  /** The header's aux fields. */
  aux: RdbAuxFields;
  /** Write the file to `tempPath`, then rename it over `finalPath`. */
  file?: { tempPath: string; finalPath: string };
  /**
   * Receives the RDB bytes, CRC trailer included, in order as they are
   * encoded (diskless replicas). A returned promise holds the snapshot back
   * until it settles.
   */
  forward?: (bytes: Uint8Array) => void | Promise<void>;
}

/** One snapshot's worker; see the module documentation. */
export class SnapshotPipe {
  /** Push this onto the snapshot's sinks. */
  readonly sink: SnapshotSink<SnapshotBatch>;
  /** Settles once the file is renamed and fsynced (or every byte forwarded), or on failure. */
  readonly outcome: Promise<SnapshotOutcome>;

  #worker: Worker;
  #inFlight = 0;
  #wake: (() => void) | undefined;
  /** Forwarded bytes not yet taken by their consumer. */
  #delivered: Promise<void> = Promise.resolve();
  #settle!: (outcome: SnapshotOutcome) => void;
  #settled = false;

  constructor(opts: SnapshotPipeOptions) {
    this.outcome = new Promise((resolve) => this.#settle = resolve);
    this.#worker = new Worker(new URL("./snapshot_worker.ts", import.meta.url), {
      type: "module",
    });
    this.#worker.onmessage = (event: MessageEvent<SnapshotResult>) => this.#onMessage(event.data);
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#finish({ ok: false, message: event.message });
    };
    const forward = opts.forward;
    this.#onOutput = forward === undefined ? undefined : (bytes) => {
      const wait = forward(bytes);
      if (wait !== undefined) this.#delivered = Promise.all([this.#delivered, wait]).then(() => {});
    };
    this.#post({
      type: "open",
      options: opts.options,
      aux: opts.aux,
      target: { file: opts.file, forward: forward !== undefined },
    });
    this.sink = {
      takesOwnership: true,
      chunk: (batch) => {
        this.#post({ type: "batch", batch }, [batch.buffer as ArrayBuffer]);
        this.#inFlight++;
        if (this.#inFlight < MAX_BATCHES_IN_FLIGHT) return undefined;
        return new Promise<void>((resolve) => this.#wake = resolve);
      },
      end: () => this.#post({ type: "finish" }),
      abort: (why) => {
        // The worker deletes its temp file, then it is stopped.
        this.#post({ type: "abort" });
        const worker = this.#worker;
        setTimeout(() => worker.terminate(), 1000);
        this.#finish({ ok: false, message: why }, false);
      },
    };
  }

  #onOutput: ((bytes: Uint8Array) => void) | undefined;

  #post(msg: SnapshotRequest, transfer: Transferable[] = []): void {
    if (!this.#settled) this.#worker.postMessage(msg, transfer);
  }

  #onMessage(msg: SnapshotResult): void {
    switch (msg.type) {
      case "output":
        this.#onOutput?.(msg.bytes);
        return;
      case "consumed":
        this.#delivered.then(() => {
          this.#inFlight--;
          const wake = this.#wake;
          this.#wake = undefined;
          wake?.();
        });
        return;
      case "done":
        this.#delivered.then(() =>
          this.#finish({ ok: true, bytes: msg.bytes, crcHex: msg.crcHex })
        );
        return;
      case "error":
        this.#finish({ ok: false, message: msg.message });
        return;
    }
  }

  #finish(outcome: SnapshotOutcome, terminate = true): void {
    if (this.#settled) return;
    this.#settled = true;
    if (terminate) this.#worker.terminate();
    // A walk waiting for room must not wait forever; the snapshot learns of the failure from its owner.
    this.#wake?.();
    this.#wake = undefined;
    this.#settle(outcome);
  }
}
