/**
 * One encoding of each write (DESIGN decision 3). Commands that changed data
 * are collected during one top-level call and emitted together: one command
 * as is, several wrapped in MULTI/EXEC (Redis 7.0's propagatePendingCommands),
 * preceded by SELECT when the db differs from the last one emitted. The same
 * bytes go to every sink: the AOF and the replication stream.
 */
import { ReplyWriter } from "./net/resp.ts";

/** Where the encoded stream goes. "aof" sinks also get writes applied from a master. */
export interface StreamSink {
  kind: "aof" | "replication";
  /** Receives the bytes of one propagation unit; must copy what it keeps. */
  write(bytes: Uint8Array): void;
  /** The sink's own notion of the selected db; -1 forces a SELECT. */
  selectedDb: number;
}

/** Where a propagated command goes: everywhere, or to replicas only (Redis's PROPAGATE_REPL). */
export type PropagationTarget = "all" | "replication";

/** A unit that grew the encoder past this size leaves it with a fresh buffer of the usual size. */
const ENCODER_KEEP_BYTES = 64 * 1024;

/** Collects and emits propagated writes. */
export class Propagator {
  readonly sinks: StreamSink[] = [];
  /**
   * Where each unit is encoded, straight from the arguments, before the
   * sinks copy it. Sinks copy what they keep, so one buffer serves every
   * write. A fresh array per unit cost the master 2–5 µs of CPU per SET
   * with a replica attached (its backing store is a malloc and a free
   * outside V8's heap). A sink must not propagate from its `write`.
   */
  readonly #encoder = new ReplyWriter();
  #pending: Array<[number, string[], PropagationTarget]> = [];
  #depth = 0;
  /** True while applying the master's stream on a replica: it is forwarded verbatim, so only the AOF gets re-encoded commands. */
  fromMaster = false;

  addSink(sink: StreamSink): void {
    this.sinks.push(sink);
  }

  removeSink(sink: StreamSink): void {
    const i = this.sinks.indexOf(sink);
    if (i !== -1) this.sinks.splice(i, 1);
  }

  /** Starts a top-level call (or EXEC): propagations are held until `end`. */
  begin(): void {
    this.#depth++;
  }

  /** Queues one write of db `db`; `target` "replication" keeps it out of the AOF (PUBLISH). */
  add(db: number, argv: string[], target: PropagationTarget = "all"): void {
    // Nobody to tell (no AOF, no replicas): spare every write the queueing.
    if (this.sinks.length === 0) return;
    this.#pending.push([db, argv, target]);
    if (this.#depth === 0) this.#emit();
  }

  /** Ends a call; at the outermost level emits what was queued. */
  end(): void {
    if (--this.#depth === 0 && this.#pending.length > 0) this.#emit();
  }

  /** Emits and clears the queue. */
  #emit(): void {
    const pending = this.#pending;
    this.#pending = [];
    if (this.sinks.length === 0) return;
    for (const sink of this.sinks) {
      if (this.fromMaster && sink.kind === "replication") continue;
      const items = sink.kind === "replication"
        ? pending
        : pending.filter(([, , target]) => target !== "replication");
      if (items.length === 0) continue;
      // Several writes of one call reach a sink atomically (Redis 7.0 wraps only then).
      const wrap = items.length > 1 && !items.some(([, argv]) => isMultiOrExec(argv[0]));
      const out = this.#encoder;
      out.pos = 0;
      let first = true;
      for (const [db, argv] of items) {
        if (sink.selectedDb !== db) {
          out.bulkArray(["SELECT", String(db)]);
          sink.selectedDb = db;
        }
        if (wrap && first) out.bulkArray(["MULTI"]);
        first = false;
        out.bulkArray(argv);
      }
      if (wrap) out.bulkArray(["EXEC"]);
      sink.write(out.buf.subarray(0, out.pos));
    }
    if (this.#encoder.buf.length > ENCODER_KEEP_BYTES) this.#encoder.take();
  }
}

function isMultiOrExec(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === "multi" || lower === "exec";
}
