/**
 * Point-in-time snapshots without fork (DESIGN decision 4).
 *
 * The main thread walks the keyspace in time slices (≤ SLICE_MS each, then it
 * yields to the event loop) and encodes RDB bytes; a worker writes them to
 * disk. Consistency comes from per-key copy-on-write:
 *
 * 1. At the start we capture every db's key table (the objects themselves).
 *    FLUSHDB and SWAPDB replace or swap those objects, so the walk keeps seeing
 *    the maps as they were; a write to a captured map is resolved to the
 *    snapshot db it belongs to through `#capturedIndex`.
 * 2. Before a write touches a key of a captured map that the walk has not
 *    reached, the key's current value is serialized first and the key is
 *    marked copied, so the walk skips it later. Whether the walk passed a key
 *    is its place in the table against the walk's iterator (KeyTable's
 *    entryNumber and position), so the walk itself records nothing.
 * 3. A key that did not exist at the start ("born" during the snapshot) is
 *    remembered and skipped. That includes a key the walk wrote, deleted
 *    since and created again: the table appends it, ahead of the walk.
 * 4. Entries copied for a db the walk has not reached yet are encoded into
 *    that db's own pending buffer and emitted right after its SELECTDB.
 *
 * Several consumers can share one snapshot: every chunk goes to each sink.
 */
import type { Db, Keyspace, KeyspaceHooks } from "../store/keyspace.ts";
import type { StoredValue } from "../store/packed.ts";
import type { KeyTable, KeyTableIterator } from "../store/key_table.ts";
import { yieldToIo } from "../util/io_yield.ts";

/** Longest stretch of walking before yielding to the event loop. */
export const SLICE_MS = 2;
/**
 * The slice while clients are being served: their latency is at most about
 * this. Clients that wait for a reply before sending again (redis-benchmark
 * -P 1) all stall for a whole slice: with 1 ms slices a GET load kept ~50% of
 * its rate during a BGSAVE, with 0.5 ms ~65%.
 */
export const BUSY_SLICE_MS = 0.5;
/**
 * The longest rest after a slice while clients are being served: the walk
 * then takes ≤ 1/11 of the thread. Measured with 50 clients doing GETs one
 * at a time against two 1M-key servers in alternating rounds: with 3 ms they
 * kept 61–75% of their rate during a BGSAVE (mean 68%), with 5 ms 75–83%
 * (mean 80%); the BGSAVE under that load took 12.8–15.0 s and 15.3–18.6 s.
 */
export const BUSY_REST_MS = 5;
/**
 * Rest per client served around the last slice (each counted once per
 * slice, src/net/served_clients.ts): clients that run one request at a time
 * need about this much of the thread between slices to make their next
 * round trips (fifty of them get the whole BUSY_REST_MS).
 */
export const REST_MS_PER_CLIENT = 0.06;
/**
 * Clients served around a slice that earn no rest: a few clients are
 * served by the yields between slices alone (a lone client doing one
 * request at a time is served at least once per slice), and resting for
 * them only slows the walk. The count spans two slices, so this is about
 * four clients.
 */
export const REST_FREE_CLIENTS = 8;
/**
 * Rests from this long on sleep on a timer; shorter ones keep yielding to
 * the sockets until they are over (a timer cannot sleep less than about a
 * millisecond, and a lone client is served in a few tens of microseconds).
 */
const TIMER_REST_MS = 1;
/** Keys encoded between clock checks inside a slice. */
const KEYS_PER_CLOCK_CHECK = 32;
/** Encoded bytes that make a chunk worth handing to the sinks mid-slice. */
export const CHUNK_BYTES = 256 * 1024;
/**
 * At the end of a slice, what is pending goes to the sinks once it is this
 * big or this old. Every chunk costs a message to the worker and one back.
 * Under a client load the half-millisecond slices encode a few tens of KB
 * each: handing each one over took 18% of the walk's main-thread time in a
 * CPU profile of a 1M-key BGSAVE under a GET load, 14% with this rule.
 */
export const YIELD_CHUNK_BYTES = 64 * 1024;
export const YIELD_CHUNK_MS = 10;

/**
 * The encoder operations a snapshot needs. `C` is what it hands out: RDB
 * bytes, AOF bytes, or a batch of captured entries that a worker encodes
 * (src/persistence/snapshot_batch.ts).
 */
export interface SnapshotEncoder<C = Uint8Array> {
  /** Bytes written since the last takeChunk (an estimate for batches). */
  readonly pending: number;
  selectDb(db: number, size: number, expiresSize: number): void;
  /**
   * One key. Its value is written out (copied) before this returns: with
   * copy-on-write, the write that triggered it changes the value right after.
   */
  writeEntry(key: string, value: StoredValue, expireAtMs: number | undefined): void;
  /** Appends a chunk taken from another encoder of the same kind (copy-on-write entries). */
  writeRaw(chunk: C): void;
  /** The EOF opcode; the checksum trailer is added by whoever consumes the stream. */
  writeEof(): void;
  takeChunk(): C;
}

/** Receives a snapshot's chunks in order. */
export interface SnapshotSink<C = Uint8Array> {
  /**
   * Receives the next chunk. A sink that keeps bytes must copy them, unless
   * it declares `takesOwnership` (it transfers them to a worker): such a sink
   * is called after all others, and there is at most one.
   */
  chunk(bytes: C): void | Promise<void>;
  readonly takesOwnership?: boolean;
  /** All bytes were delivered (the last chunk ends with the EOF opcode). */
  end(): void;
  /** The snapshot was abandoned. */
  abort(reason: string): void;
}

/** Counts clients served, each once between two marks. */
export interface ClientActivity {
  readonly count: number;
  mark(): void;
}

/** How a snapshot encodes, and what tells it that clients are waiting. */
export interface SnapshotOptions<C> {
  /** The encoder of the stream; an RDB header, if any, is already written to it. */
  encoder: SnapshotEncoder<C>;
  /** A fresh encoder of the same kind, for copy-on-write entries of dbs not reached yet. */
  newEncoder: () => SnapshotEncoder<C>;
  /** Clients served, for pacing (src/net/served_clients.ts); the walk marks a period per slice. */
  activity?: ClientActivity;
  /**
   * True while finishing matters more than the clients' share of the thread
   * (a replica's buffered stream nears its output-buffer limit, and it would
   * be dropped and start over): the walk then takes whole slices, no rests.
   */
  hurry?: () => boolean;
  /**
   * Milliseconds each key should take at least (`rdb-key-save-delay`, a
   * testing directive: Redis's child sleeps that long per key). The walk
   * sleeps them off on a timer, so clients are still served meanwhile.
   */
  keyDelayMs?: number;
  /** Leave every key out: the file is its header alone (a replica's rdb-filter-only). */
  excludeData?: boolean;
}

interface CapturedDb<C> {
  index: number;
  dict: KeyTable<StoredValue>;
  expires: KeyTable<number>;
  /** Keys serialized early by copy-on-write (the walk skips them). */
  copied: Set<string>;
  /** Keys created after the snapshot started. */
  born: Set<string>;
  /** Copy-on-write entries encoded before the walk reached this db. */
  early: SnapshotEncoder<C> | undefined;
}

/** One running snapshot. */
export class Snapshot<C = Uint8Array> implements KeyspaceHooks {
  readonly startedAt = Date.now();
  readonly sinks: SnapshotSink<C>[] = [];
  /** Keys copied by copy-on-write (INFO's cow figures come from this). */
  cowKeys = 0;
  /**
   * Bytes serialized early by copy-on-write: what this design copies where a
   * forked Redis copies pages (INFO's rdb_last_cow_size / aof_last_cow_size).
   */
  cowBytes = 0;
  /** Keys at the start, and keys written so far (INFO's current_save_keys_*). */
  readonly keysTotal: number;
  keysProcessed = 0;
  #keyspace: Keyspace;
  #encoder: SnapshotEncoder<C>;
  #newEncoder: () => SnapshotEncoder<C>;
  #dbs: CapturedDb<C>[];
  #capturedIndex = new Map<KeyTable<StoredValue>, CapturedDb<C>>();
  /** Position of the walk: index into #dbs, and the iterator over the current db's keys. */
  #current = 0;
  #iterator: KeyTableIterator<StoredValue, [string, StoredValue]> | undefined;
  #finished = false;
  #aborted = false;
  #done: Promise<void>;
  #resolveDone!: () => void;
  /** The rest timer between slices, when one is pending. */
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Captures the keyspace; the header (magic and aux fields) must already be
   * written to `encoder`. Call `start` to begin walking.
   */
  constructor(keyspace: Keyspace, opts: SnapshotOptions<C>) {
    this.#keyspace = keyspace;
    this.#encoder = opts.encoder;
    this.#newEncoder = opts.newEncoder;
    this.#activity = opts.activity;
    this.#hurry = opts.hurry;
    this.#keyDelayMs = Math.max(0, opts.keyDelayMs ?? 0);
    this.#dbs = (opts.excludeData ? [] : keyspace.dbs).map((db) => ({
      index: db.id,
      dict: db.dict,
      expires: db.expires,
      copied: new Set(),
      born: new Set(),
      early: undefined,
    }));
    for (const captured of this.#dbs) this.#capturedIndex.set(captured.dict, captured);
    this.keysTotal = this.#dbs.reduce((sum, db) => sum + db.dict.size, 0);
    this.#done = new Promise((resolve) => this.#resolveDone = resolve);
  }

  /** Resolves when every byte was handed to the sinks (or the snapshot was aborted). */
  get done(): Promise<void> {
    return this.#done;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Installs the copy-on-write hooks and starts the walk. Its first slice
   * runs after a turn of the event loop: the command that started it (a
   * BGSAVE, a replica's PSYNC) spent a few milliseconds setting it up, more
   * the first time (the code is compiled on first use), and the clients that
   * wrote meanwhile are served before the walk adds its slice to that.
   */
  start(): void {
    this.#activity?.mark();
    this.#activityAtSliceStart = this.#activityAtPreviousSlice = this.#activity?.count ?? 0;
    this.#keyspace.hooks.add(this);
    yieldToIo().then(this.#step);
  }

  /** Stops the walk; sinks get `abort`. */
  abort(reason: string): void {
    if (this.#finished || this.#aborted) return;
    this.#aborted = true;
    clearTimeout(this.#timer);
    this.#keyspace.hooks.remove(this);
    for (const sink of this.sinks) sink.abort(reason);
    this.#resolveDone();
  }

  // ---- copy-on-write hooks ----

  beforeWrite(db: Db, key: string): void {
    const captured = this.#capturedIndex.get(db.dict);
    // Not a captured map (created by a flush during the snapshot), or a db the walk has finished.
    if (captured === undefined || captured.index < this.#current) return;
    if (captured.born.has(key) || captured.copied.has(key)) return;
    const entry = captured.dict.entryNumber(key);
    if (entry < 0) {
      captured.born.add(key);
      return;
    }
    const walking = captured === this.#dbs[this.#current] && this.#iterator !== undefined;
    if (walking && entry < this.#iterator!.position) return; // written already
    const value = captured.dict.get(key)!;
    // Serialize the value as it is now, before the write changes it.
    const target = walking ? this.#encoder : (captured.early ??= this.#newEncoder());
    const before = target.pending;
    target.writeEntry(key, value, captured.expires.get(key));
    captured.copied.add(key);
    this.cowKeys++;
    this.keysProcessed++;
    this.cowBytes += Math.max(0, target.pending - before);
  }

  keyModified(): void {}
  keyExpired(): void {}
  beforeFlush(): void {
    // The captured tables stay untouched when a db is flushed or swapped.
  }

  // ---- the walk ----

  #step = (): void => {
    this.#timer = undefined;
    if (this.#aborted) return;
    const deadline = performance.now() + (this.#busy && !this.#hurrying ? BUSY_SLICE_MS : SLICE_MS);
    if (this.#activity !== undefined) {
      this.#activity.mark();
      this.#activityAtPreviousSlice = this.#activityAtSliceStart;
      this.#activityAtSliceStart = this.#activity.count;
    }
    const encoder = this.#encoder;
    while (this.#current < this.#dbs.length) {
      const captured = this.#dbs[this.#current];
      if (this.#iterator === undefined) {
        const hasEarly = captured.early !== undefined && captured.early.pending > 0;
        if (captured.dict.size === 0 && !hasEarly) {
          this.#current++;
          continue;
        }
        encoder.selectDb(captured.index, captured.dict.size, captured.expires.size);
        if (captured.early !== undefined) encoder.writeRaw(captured.early.takeChunk());
        captured.early = undefined;
        this.#iterator = captured.dict.entries();
      }
      const iterator = this.#iterator;
      const { copied, born, expires } = captured;
      let sinceCheck = 0;
      while (true) {
        const next = iterator.next();
        if (next.done) {
          this.#iterator = undefined;
          copied.clear();
          born.clear();
          this.#current++;
          break;
        }
        const [key, value] = next.value;
        if ((copied.size > 0 && copied.has(key)) || (born.size > 0 && born.has(key))) continue;
        encoder.writeEntry(key, value, expires.size > 0 ? expires.get(key) : undefined);
        this.keysProcessed++;
        if (this.#keyDelayMs > 0) {
          this.#delayOwed += this.#keyDelayMs;
          if (this.#delayOwed >= TIMER_REST_MS) {
            this.#yield();
            return;
          }
        }
        if (encoder.pending >= CHUNK_BYTES) {
          this.#emit(encoder.takeChunk());
          // A consumer asked to slow down: stop here until it drains.
          if (this.#backpressure.length > 0) {
            this.#yield();
            return;
          }
        }
        if (++sinceCheck === KEYS_PER_CLOCK_CHECK) {
          sinceCheck = 0;
          if (performance.now() >= deadline) {
            this.#yield();
            return;
          }
        }
      }
      if (performance.now() >= deadline) {
        this.#yield();
        return;
      }
    }
    this.#complete();
  };

  /**
   * Ends a slice. The next one starts after `yieldToIo`: the event loop reads
   * every ready socket first, without the millisecond a timer hop costs (an
   * immediate would not let it read them at all; see src/util/io_yield.ts). A sink
   * that cannot keep up (a worker or a replica socket not draining) returns
   * a promise: the walk waits for it before the next slice, so a slow
   * consumer slows the snapshot down instead of growing memory.
   */
  #yield(): void {
    const pending = this.#encoder.pending;
    if (
      pending >= YIELD_CHUNK_BYTES ||
      (pending > 0 && performance.now() - this.#emittedAt >= YIELD_CHUNK_MS)
    ) {
      this.#emit(this.#encoder.takeChunk());
    }
    const waits = this.#backpressure;
    this.#backpressure = [];
    if (waits.length === 0) {
      yieldToIo().then(this.#pace);
      return;
    }
    Promise.all(waits).then(yieldToIo).then(this.#pace, (err) => this.abort(String(err)));
  }

  /**
   * Decides when the next slice runs. When clients were served around the
   * last slice, the walk takes a shorter slice after a rest that grows with
   * how many were served, up to BUSY_REST_MS, so under a full load it gets
   * about an eleventh of the main thread and the clients keep the rest; with
   * nobody else to serve it runs slice after slice.
   */
  #pace = (): void => {
    this.#timer = undefined;
    if (this.#aborted) return;
    let rest = 0;
    this.#hurrying = this.#hurry?.() ?? false;
    if (this.#activity !== undefined && !this.#hurrying) {
      // Counted from the start of the slice before the last one: an immediate
      // may run before the I/O that arrived during a slice is read.
      const served = this.#activity.count - this.#activityAtPreviousSlice;
      this.#busy = served > 0;
      if (served > REST_FREE_CLIENTS) {
        rest = Math.min(BUSY_REST_MS, (served - REST_FREE_CLIENTS) * REST_MS_PER_CLIENT);
      }
    }
    rest = Math.max(rest, this.#delayOwed);
    this.#delayOwed = 0;
    if (rest >= TIMER_REST_MS) {
      this.#timer = setTimeout(this.#step, rest);
      return;
    }
    if (rest > 0) {
      this.#restUntil = performance.now() + rest;
      this.#restOnSockets();
      return;
    }
    this.#step();
  };

  #restUntil = 0;
  /** A short rest: yields to the sockets until it is over. */
  #restOnSockets = (): void => {
    if (this.#aborted) return;
    if (performance.now() < this.#restUntil) {
      yieldToIo().then(this.#restOnSockets);
      return;
    }
    this.#step();
  };

  /** Clients served (see ClientActivity); undefined: never rest. */
  #activity: ClientActivity | undefined;
  /** The activity count when the last slice and the one before it started. */
  #activityAtSliceStart = 0;
  #activityAtPreviousSlice = 0;
  #busy = false;
  #hurry: (() => boolean) | undefined;
  #hurrying = false;
  #keyDelayMs: number;
  /** Key delay (keyDelayMs) not slept off yet. */
  #delayOwed = 0;

  #backpressure: Promise<void>[] = [];

  /** When the last chunk went to the sinks. */
  #emittedAt = 0;

  #emit(bytes: C): void {
    this.#emittedAt = performance.now();
    let owner: SnapshotSink<C> | undefined;
    for (const sink of this.sinks) {
      if (sink.takesOwnership) owner = sink;
      else {
        const wait = sink.chunk(bytes);
        if (wait !== undefined) this.#backpressure.push(wait);
      }
    }
    const wait = owner?.chunk(bytes);
    if (wait !== undefined) this.#backpressure.push(wait);
  }

  #complete(): void {
    this.#keyspace.hooks.remove(this);
    this.#encoder.writeEof();
    this.#emit(this.#encoder.takeChunk());
    this.#finished = true;
    for (const sink of this.sinks) sink.end();
    this.#resolveDone();
  }
}
