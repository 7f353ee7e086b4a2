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
import { ENTRY_BYTES, EXPIRE_ENTRY_BYTES, stringBytes, valueBytes } from "./size.ts";

type Dict = Db["dict"];

/** Keys of one db written since the last settle, with the dict they were written in. */
interface PendingWrites {
  dict: Dict;
  keys: Set<string>;
}

/** Keeps the dataset total; install its hooks while maxmemory is on. */
export class DatasetMemory implements KeyspaceHooks, UnpackListener {
  #totals = new WeakMap<Dict, number>();
  /** The estimate a hash or set was last counted with. */
  #counted = new WeakMap<object, number>();
  #pending = new Map<Db, PendingWrites>();

  constructor(readonly keyspace: Keyspace) {}

  /** Bytes of all keys of all dbs. */
  total(): number {
    this.settle();
    let sum = 0;
    for (const db of this.keyspace.dbs) sum += this.#dictTotal(db);
    return sum;
  }

  /** Adds the new cost of every key written since the last call. */
  settle(): void {
    if (this.#pending.size === 0) return;
    for (const [db, pending] of this.#pending) {
      const total = this.#totals.get(pending.dict);
      if (total === undefined) continue;
      if (db.dict !== pending.dict) {
        // Swapped or flushed while written: count it whole if it shows up again.
        this.#totals.delete(pending.dict);
        continue;
      }
      let sum = total;
      for (const key of pending.keys) {
        const value = db.dict.get(key);
        if (value !== undefined) sum += this.#count(db, key, value);
      }
      this.#totals.set(db.dict, sum);
    }
    this.#pending.clear();
  }

  beforeWrite(db: Db, key: string): void {
    const dict = db.dict;
    const total = this.#totals.get(dict);
    if (total === undefined) return;
    let pending = this.#pending.get(db);
    if (pending !== undefined && pending.dict !== dict) {
      this.settle();
      pending = undefined;
    }
    if (pending === undefined) {
      pending = { dict, keys: new Set() };
      this.#pending.set(db, pending);
    } else if (pending.keys.has(key)) {
      return;
    }
    pending.keys.add(key);
    const value = dict.get(key);
    if (value !== undefined) this.#totals.set(dict, total - this.#countedCost(db, key, value));
  }

  keyModified(): void {}
  keyExpired(): void {}
  beforeFlush(): void {}

  unpacked(db: Db, key: string, packed: PackedValue, value: RedisValue): void {
    const total = this.#totals.get(db.dict);
    if (total === undefined) return;
    // A key written in this command is counted afresh when settled.
    if (this.#pending.get(db)?.keys.has(key)) return;
    const before = this.#counted.get(packed) ?? valueBytes(packed);
    const after = valueBytes(value);
    if (typeof value === "object") this.#counted.set(value, after);
    this.#totals.set(db.dict, total - before + after);
  }

  #dictTotal(db: Db): number {
    const dict = db.dict;
    const known = this.#totals.get(dict);
    if (known !== undefined) return known;
    let sum = 0;
    for (const [key, value] of dict) sum += this.#count(db, key, value);
    this.#totals.set(dict, sum);
    return sum;
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
