/**
 * The main thread's end of the snapshot worker: a snapshot sink that sends
 * batches to a worker of its own (src/persistence/snapshot_worker.ts), which
 * encodes them as RDB and writes the file and/or hands the bytes back for
 * diskless replicas.
 *
 * Workers are kept for the next snapshot: starting one blocks the main
 * thread for ~30 ms (module loading), so one is started with the server
 * (`prewarmSnapshotWorker`) and each returns to the pool when its snapshot
 * ends. Every message carries the snapshot's id, so nothing a worker still
 * says about an abandoned snapshot reaches the next one.
 *
 * Flow control: at most `MAX_BYTES_IN_FLIGHT` of batches are sent and not yet
 * encoded (and, for forwarded bytes, delivered). Past that the sink returns a
 * promise and the snapshot's walk waits for it, so a slow disk, a slow worker
 * or a slow replica socket slows the snapshot instead of growing memory.
 */
import type { RdbAuxFields, RdbEncoderOptions } from "./rdb_encoder.ts";
import type { SnapshotSink } from "./snapshot.ts";
import type { SnapshotBatch } from "./snapshot_batch.ts";
import type { SnapshotRequest, SnapshotResult } from "./snapshot_messages.ts";

/** Batch bytes the worker may hold before the walk waits (a few snapshot chunks). */
export const MAX_BYTES_IN_FLIGHT = 2 * 1024 * 1024;
/** Idle workers kept for later snapshots (BGSAVE and a diskless sync can overlap). */
export const MAX_IDLE_WORKERS = 2;

const idleWorkers: Worker[] = [];
let lastSnapshotId = 0;

function startWorker(): Worker {
  return new Worker(new URL("./snapshot_worker.ts", import.meta.url), { type: "module" });
}

/**
 * Starts a snapshot worker ahead of need, so the first snapshot does not pay
 * for it, and passes one message each way. An isolate's first postMessage
 * loads Deno's structured-clone and streams modules (lazily, looking them up
 * in V8's code cache on disk). The main thread took 4-10 ms for that when a
 * master's first full sync sent its first batch, with clients waiting. The
 * disk reads came to 21 ms once, when the cache's pages had been evicted.
 */
export function prewarmSnapshotWorker(): void {
  if (idleWorkers.length > 0) return;
  const worker = startWorker();
  const bytes = new Uint8Array(1);
  const warm: SnapshotRequest = { type: "warm", id: 0, bytes };
  worker.postMessage(warm, [bytes.buffer]);
  idleWorkers.push(worker);
}

/** Stops the idle workers (shutdown). */
export function stopSnapshotWorkers(): void {
  for (const worker of idleWorkers.splice(0)) worker.terminate();
}

/** How a snapshot through the worker ended. */
export type SnapshotOutcome =
  | { ok: true; bytes: number; crcHex: string }
  /** `opening`: the temp file could not be opened (else a write failed); `message` is the OS's text. */
  | { ok: false; message: string; opening?: boolean };

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
  #id: number;
  /** Bytes of the batches sent and not yet consumed, in order of sending. */
  #inFlight = 0;
  #sizes: number[] = [];
  #wake: (() => void) | undefined;
  /** Forwarded bytes not yet taken by their consumer. */
  #delivered: Promise<void> = Promise.resolve();
  /** Hands forwarded bytes to `opts.forward` (diskless replicas), if any. */
  #onOutput: ((bytes: Uint8Array) => void) | undefined;
  #settle!: (outcome: SnapshotOutcome) => void;
  #settled = false;

  constructor(opts: SnapshotPipeOptions) {
    this.outcome = new Promise((resolve) => this.#settle = resolve);
    this.#id = ++lastSnapshotId;
    this.#worker = idleWorkers.pop() ?? startWorker();
    this.#worker.onmessage = (event: MessageEvent<SnapshotResult>) => {
      if (event.data.id === this.#id) this.#onMessage(event.data);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#finish({ ok: false, message: event.message }, "terminate");
    };
    const forward = opts.forward;
    this.#onOutput = forward === undefined ? undefined : (bytes) => {
      const wait = forward(bytes);
      if (wait !== undefined) this.#delivered = Promise.all([this.#delivered, wait]).then(() => {});
    };
    this.#post({
      type: "open",
      id: this.#id,
      options: opts.options,
      aux: opts.aux,
      target: { file: opts.file, forward: forward !== undefined },
    });
    this.sink = {
      takesOwnership: true,
      chunk: (batch) => {
        const size = batch.length; // read before the transfer detaches it
        this.#post({ type: "batch", id: this.#id, batch }, [batch.buffer as ArrayBuffer]);
        this.#inFlight += size;
        this.#sizes.push(size);
        if (this.#inFlight < MAX_BYTES_IN_FLIGHT) return undefined;
        return new Promise<void>((resolve) => this.#wake = resolve);
      },
      end: () => this.#post({ type: "finish", id: this.#id }),
      abort: (why) => {
        // The worker deletes its temp file; what it still says is ignored.
        this.#post({ type: "abort", id: this.#id });
        this.#finish({ ok: false, message: why }, "keep");
      },
    };
  }

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
          this.#inFlight -= this.#sizes.shift() ?? 0;
          const wake = this.#wake;
          this.#wake = undefined;
          wake?.();
        });
        return;
      case "done":
        this.#delivered.then(() =>
          this.#finish({ ok: true, bytes: msg.bytes, crcHex: msg.crcHex }, "keep")
        );
        return;
      case "error":
        this.#finish({ ok: false, message: msg.message, opening: msg.during === "open" }, "keep");
        return;
    }
  }

  /** Settles the outcome once; the worker goes back to the pool unless it broke. */
  #finish(outcome: SnapshotOutcome, worker: "keep" | "terminate"): void {
    if (this.#settled) return;
    this.#settled = true;
    if (worker === "keep" && idleWorkers.length < MAX_IDLE_WORKERS) idleWorkers.push(this.#worker);
    else this.#worker.terminate();
    // A walk waiting for room must not wait forever; the snapshot learns of the failure from its owner.
    this.#wake?.();
    this.#wake = undefined;
    this.#settle(outcome);
  }
}
