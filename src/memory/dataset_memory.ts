/**
 * The dataset's memory as the maxmemory check counts it: the sum of every
 * key's estimated cost (size.ts), kept current through the keyspace hooks.
 *
 * Why not V8's heap figure (INFO used_memory): it includes garbage until the
 * collector runs, and deleting keys lowers it only at the next full GC, so an
 * eviction loop watching it would delete far more than it must. Redis's
 * zmalloc counter has no garbage; this sum is the closest figure we have.
 *
 * A write subtracts the key's cost in `beforeWrite` and the new cost is added
 * when the writes are settled (before every read of the total), so a key
 * changed several times in one command is counted once. A dict whose total
 * is unknown (just loaded, swapped mid-write, or seen for the first time) is
 * counted whole when next asked. Hash and set estimates are sampled, so the
 * figure each collection was counted with is remembered for its subtraction.
 */
import type { Db, Keyspace, KeyspaceHooks, UnpackListener } from "../store/keyspace.ts";
import type { PackedValue, StoredValue } from "../store/packed.ts";
import type { RedisValue } from "../store/types.ts";
import { ENTRY_BYTES, EXPIRE_ENTRY_BYTES, valueBytes } from "./size.ts";
import { stringBytes } from "../util/bytes.ts";
import { KeyTable } from "../store/key_table.ts";

type Dict = Db["dict"];

/** The counted total of one dict, and the keys written in it since the last settle. */
interface DictCount {
  dict: Dict;
  total: number;
  pending: KeyTable<true>;
}

/** Keeps the dataset total; install its hooks while maxmemory is on. */
export class DatasetMemory implements KeyspaceHooks, UnpackListener {
  /**
   * By db id (an array and an identity check: a WeakMap lookup per write
   * was a tenth of an evicting SET's CPU). A slot whose dict is not the db's
   * is looked for in the other slots (SWAPDB), else counted afresh.
   */
  #counts: Array<DictCount | undefined> = [];
  /** The estimate a hash or set was last counted with. */
  #counted = new WeakMap<object, number>();
  #anyPending = false;

  constructor(readonly keyspace: Keyspace) {}

  /** Bytes of all keys of all dbs. */
  total(): number {
    if (this.#anyPending) this.settle();
    let sum = 0;
    for (const db of this.keyspace.dbs) {
      const count = this.#countOf(db);
      sum += count === undefined ? this.#recount(db) : count.total;
    }
    return sum;
  }

  /** Adds the new cost of every key written since the last call. */
  settle(): void {
    if (!this.#anyPending) return;
    this.#anyPending = false;
    for (const db of this.keyspace.dbs) {
      const count = this.#countOf(db);
      if (count === undefined || count.pending.size === 0) continue;
      for (const key of count.pending.keys()) {
        const value = db.dict.get(key);
        if (value !== undefined) count.total += this.#count(db, key, value);
      }
      count.pending.clear();
    }
    // A dict flushed or swapped away with writes pending is counted afresh if it shows up again.
    for (let i = 0; i < this.#counts.length; i++) {
      if (this.#counts[i]?.pending.size) this.#counts[i] = undefined;
    }
  }

  beforeWrite(db: Db, key: string): void {
    const count = this.#countOf(db);
    if (count === undefined || count.pending.has(key)) return;
    count.pending.set(key, true);
    this.#anyPending = true;
    const value = db.dict.get(key);
    if (value !== undefined) count.total -= this.#countedCost(db, key, value);
  }

  keyModified(): void {}
  keyExpired(): void {}
  beforeFlush(): void {}

  unpacked(db: Db, key: string, packed: PackedValue, value: RedisValue): void {
    const count = this.#countOf(db);
    // A key written in this command is counted afresh when settled.
    if (count === undefined || count.pending.has(key)) return;
    const before = this.#counted.get(packed) ?? valueBytes(packed);
    const after = valueBytes(value);
    if (typeof value === "object") this.#counted.set(value, after);
    count.total += after - before;
  }

  /** The count of `db`'s current dict, if it has one. */
  #countOf(db: Db): DictCount | undefined {
    const counts = this.#counts;
    const count = counts[db.id];
    if (count !== undefined && count.dict === db.dict) return count;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i]?.dict === db.dict) {
        // Swapped: the two slots trade places.
        const found = counts[i];
        counts[i] = count;
        counts[db.id] = found;
        return found;
      }
    }
    return undefined;
  }

  #recount(db: Db): number {
    let total = 0;
    for (const [key, value] of db.dict) total += this.#count(db, key, value);
    this.#counts[db.id] = { dict: db.dict, total, pending: new KeyTable<true>() };
    return total;
  }
  /** A key's cost now, remembering a sampled estimate for its later subtraction. */
  #count(db: Db, key: string, value: StoredValue): number {
    const bytes = valueBytes(value);
    if (typeof value === "object") this.#counted.set(value, bytes);
    return this.#frame(db, key) + bytes;
  }

  /** A key's cost as it was counted. */
  #countedCost(db: Db, key: string, value: StoredValue): number {
    const remembered = typeof value === "object" ? this.#counted.get(value) : undefined;
    return this.#frame(db, key) + (remembered ?? valueBytes(value));
  }

  /** What a key costs besides its value: the dict entry, the key string, an expires entry. */
  #frame(db: Db, key: string): number {
    return ENTRY_BYTES + stringBytes(key.length) +
      (db.expires.size !== 0 && db.expires.has(key) ? EXPIRE_ENTRY_BYTES : 0);
  }
}
