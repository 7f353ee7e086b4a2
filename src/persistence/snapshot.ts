/**
 * Point-in-time snapshots without fork (DESIGN decision 4).
 *
 * The main thread walks the keyspace in time slices (≤ SLICE_MS each, then it
 * yields to the event loop) and encodes RDB bytes; a worker writes them to
 * disk. Consistency comes from per-key copy-on-write:
 *
 * 1. At the start we capture every db's key map (the Map objects themselves).
 *    FLUSHDB and SWAPDB replace or swap Map objects, so the walk keeps seeing
 *    the maps as they were; a write to a captured map is resolved to the
 *    snapshot db it belongs to through `#capturedIndex`.
 * 2. Before a write touches a key of a captured map that the walk has not
 *    reached, the key's current value is serialized first and the key is
 *    marked visited, so the walk skips it later.
 * 3. A key that did not exist at the start ("born" during the snapshot) is
 *    remembered and skipped.
 * 4. Entries copied for a db the walk has not reached yet are encoded into
 *    that db's own pending buffer and emitted right after its SELECTDB.
 *
 * Several consumers can share one snapshot: every chunk goes to each sink.
 */
import type { Db, Keyspace, KeyspaceHooks } from "../store/keyspace.ts";
import type { RedisValue } from "../store/types.ts";
import type { RdbEncoder } from "./rdb_encoder.ts";

/** Longest stretch of encoding before yielding to the event loop. */
export const SLICE_MS = 2;
/** Keys encoded between clock checks inside a slice. */
const KEYS_PER_CLOCK_CHECK = 32;
/** Encoded bytes that make a chunk worth handing to the sinks mid-slice. */
export const CHUNK_BYTES = 256 * 1024;

/** The encoder operations a snapshot needs (implemented by src/persistence/rdb_encoder.ts). */
export interface SnapshotEncoder {
  /** Bytes written since the last takeChunk. */
  readonly pending: number;
  selectDb(db: number, size: number, expiresSize: number): void;
  writeEntry(key: string, value: RedisValue, expireAtMs: number | undefined): void;
  /** Appends raw bytes (entries encoded by another encoder). */
  writeRaw(bytes: Uint8Array): void;
  /** The EOF opcode; the checksum trailer is added by whoever consumes the stream. */
  writeEof(): void;
  takeChunk(): Uint8Array;
}

/** Receives a snapshot's bytes in order. */
export interface SnapshotSink {
  /**
   * Receives the next bytes. A sink that keeps them must copy them, unless it
   * declares `takesOwnership` (the file sink transfers them to the worker):
   * such a sink is called after all others, and there is at most one.
   */
  chunk(bytes: Uint8Array): void | Promise<void>;
  readonly takesOwnership?: boolean;
  /** All bytes were delivered (the last chunk ends with the EOF opcode). */
  end(): void;
  /** The snapshot was abandoned. */
  abort(reason: string): void;
}

interface CapturedDb {
  index: number;
  dict: Map<string, RedisValue>;
  expires: Map<string, number>;
  /** Keys already serialized (by the walk or by copy-on-write). */
  visited: Set<string>;
  /** Keys created after the snapshot started. */
  born: Set<string>;
  /** Copy-on-write entries encoded before the walk reached this db. */
  early: SnapshotEncoder | undefined;
}

/** One running snapshot. */
export class Snapshot implements KeyspaceHooks {
  readonly startedAt = Date.now();
  readonly sinks: SnapshotSink[] = [];
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
  #encoder: SnapshotEncoder;
  #newEncoder: () => SnapshotEncoder;
  #dbs: CapturedDb[];
  #capturedIndex = new Map<Map<string, RedisValue>, CapturedDb>();
  /** Position of the walk: index into #dbs, and the iterator over the current db's keys. */
  #current = 0;
  #iterator: IterableIterator<string> | undefined;
  #finished = false;
  #aborted = false;
  #done: Promise<void>;
  #resolveDone!: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Captures the keyspace; the header (magic and aux fields) must already be
   * written to `encoder`. Call `start` to begin walking.
   */
  constructor(keyspace: Keyspace, encoder: SnapshotEncoder, newEncoder: () => SnapshotEncoder) {
    this.#keyspace = keyspace;
    this.#encoder = encoder;
    this.#newEncoder = newEncoder;
    this.#dbs = keyspace.dbs.map((db) => ({
      index: db.id,
      dict: db.dict,
      expires: db.expires,
      visited: new Set(),
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

  /** Installs the copy-on-write hooks and starts the walk. */
  start(): void {
    this.#keyspace.hooks.add(this);
    this.#step();
  }

  /** Stops the walk; sinks get `abort`. */
  abort(reason: string): void {
    if (this.#finished || this.#aborted) return;
    this.#aborted = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#keyspace.hooks.remove(this);
    for (const sink of this.sinks) sink.abort(reason);
    this.#resolveDone();
  }

  // ---- copy-on-write hooks ----

  beforeWrite(db: Db, key: string): void {
    const captured = this.#capturedIndex.get(db.dict);
    // Not a captured map (created by a flush during the snapshot), or a db the walk has finished.
    if (captured === undefined || captured.index < this.#current) return;
    if (captured.visited.has(key) || captured.born.has(key)) return;
    const value = captured.dict.get(key);
    if (value === undefined) {
      captured.born.add(key);
      return;
    }
    // Serialize the value as it is now, before the write changes it.
    const target = captured === this.#dbs[this.#current] && this.#iterator !== undefined
      ? this.#encoder
      : (captured.early ??= this.#newEncoder());
    const before = target.pending;
    target.writeEntry(key, value, captured.expires.get(key));
    captured.visited.add(key);
    this.cowKeys++;
    this.keysProcessed++;
    this.cowBytes += Math.max(0, target.pending - before);
  }

  keyModified(): void {}
  keyExpired(): void {}
  beforeFlush(): void {
    // The captured Map objects stay untouched when a db is flushed or swapped.
  }

  // ---- the walk ----

  #step = (): void => {
    this.#timer = undefined;
    if (this.#aborted) return;
    const deadline = performance.now() + SLICE_MS;
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
        this.#iterator = captured.dict.keys();
      }
      const iterator = this.#iterator;
      let sinceCheck = 0;
      while (true) {
        const next = iterator.next();
        if (next.done) {
          this.#iterator = undefined;
          captured.visited.clear();
          captured.born.clear();
          this.#current++;
          break;
        }
        const key = next.value;
        if (captured.visited.has(key) || captured.born.has(key)) continue;
        captured.visited.add(key);
        encoder.writeEntry(key, captured.dict.get(key)!, captured.expires.get(key));
        this.keysProcessed++;
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
   * Ends a slice. A sink that cannot keep up (a replica socket not draining)
   * returns a promise: the walk waits for it before the next slice, so a slow
   * consumer slows the snapshot down instead of growing memory.
   */
  #yield(): void {
    if (this.#encoder.pending > 0) this.#emit(this.#encoder.takeChunk());
    const waits = this.#backpressure;
    this.#backpressure = [];
    if (waits.length === 0) {
      this.#timer = setTimeout(this.#step, 0);
      return;
    }
    Promise.all(waits).then(() => {
      if (!this.#aborted) this.#timer = setTimeout(this.#step, 0);
    }, (err) => this.abort(String(err)));
  }

  #backpressure: Promise<void>[] = [];

  #emit(bytes: Uint8Array): void {
    let owner: SnapshotSink | undefined;
    for (const sink of this.sinks) {
      if (sink.takesOwnership) owner = sink;
      else {
        const wait = sink.chunk(bytes);
        if (wait !== undefined) this.#backpressure.push(wait);
      }
    }
    owner?.chunk(bytes);
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

/**
 * Adapts the RDB encoder to what a snapshot needs: raw appends of entries
 * encoded ahead of time, and an EOF without checksum (the worker, or the
 * replica sink, computes the CRC64 over the stream).
 */
export class RdbSnapshotEncoder implements SnapshotEncoder {
  #encoder: RdbEncoder;
  #queued: Uint8Array[] = [];
  #queuedBytes = 0;

  constructor(encoder: RdbEncoder) {
    this.#encoder = encoder;
  }

  get pending(): number {
    return this.#encoder.pendingBytes + this.#queuedBytes;
  }

  selectDb(db: number, size: number, expiresSize: number): void {
    this.#encoder.selectDb(db, size, expiresSize);
  }

  writeEntry(key: string, value: RedisValue, expireAtMs: number | undefined): void {
    this.#encoder.writeEntry(key, value, expireAtMs);
  }

  writeRaw(bytes: Uint8Array): void {
    this.#queue(this.#encoder.takeChunk());
    this.#queue(bytes);
  }

  writeEof(): void {
    this.#queue(this.#encoder.finish());
  }

  takeChunk(): Uint8Array {
    if (this.#queued.length === 0) return this.#encoder.takeChunk();
    this.#queue(this.#encoder.takeChunk());
    const out = new Uint8Array(this.#queuedBytes);
    let at = 0;
    for (const part of this.#queued) {
      out.set(part, at);
      at += part.length;
    }
    this.#queued = [];
    this.#queuedBytes = 0;
    return out;
  }

  #queue(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#queued.push(bytes);
    this.#queuedBytes += bytes.length;
  }
}
