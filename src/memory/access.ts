/**
 * Per-key access records for the LRU and LFU eviction policies (Redis's
 * robj->lru field): under an *-lru policy the unix second of the last access,
 * under an *-lfu policy Redis's 24 bits of last-decrement minute and
 * logarithmic counter (evict.c's LFULogIncr and LFUDecrAndReturn).
 *
 * Redis keeps the field in every object; here it is a side map per db that
 * exists only while a policy needs it (a table entry per key costs ~40 bytes),
 * so OBJECT IDLETIME and OBJECT FREQ are exact only then. A key not seen
 * since tracking began counts as last used when tracking began.
 */
import type { Db, KeyAccess, KeyspaceHooks } from "../store/keyspace.ts";
import type { Config } from "../config.ts";
import { KeyTable } from "../store/key_table.ts";

/** Redis's LFU_INIT_VAL: the counter of a new key. */
export const LFU_INIT_VAL = 5;
/** Minutes wrap at 16 bits, as in Redis's LFUGetTimeInMinutes. */
const MINUTES_MASK = 0xffff;

type Dict = Db["dict"];

/** What a policy tracks. */
export type AccessMode = "lru" | "lfu";

/** Records accesses; the keyspace calls `touch`, the hooks forget deleted keys. */
export class AccessTracker implements KeyAccess, KeyspaceHooks {
  /** By db id, with the dict they belong to (an array and an identity check are cheaper than a WeakMap). */
  #byDb: Array<{ dict: Dict; records: KeyTable<number> } | undefined> = [];
  readonly #sinceMs: number;

  constructor(
    readonly mode: AccessMode,
    readonly config: Config,
    readonly now: () => number,
  ) {
    this.#sinceMs = now();
  }

  touch(db: Db, key: string): void {
    const records = this.#records(db);
    if (this.mode === "lru") {
      records.set(key, Math.floor(this.now() / 1000));
      return;
    }
    const old = records.get(key);
    let counter = old === undefined ? LFU_INIT_VAL : this.#decayed(old);
    counter = this.#logIncr(counter);
    records.set(key, (this.#minutes() << 8) | counter);
  }

  /** Milliseconds since `key` was last used (Redis's estimateObjectIdleTime). */
  idleMs(db: Db, key: string, now = this.now()): number {
    const second = this.#existing(db)?.get(key);
    const last = second === undefined ? this.#sinceMs : second * 1000;
    return Math.max(0, now - last);
  }

  /** The decayed LFU counter of `key` (OBJECT FREQ). */
  frequency(db: Db, key: string): number {
    const record = this.#existing(db)?.get(key);
    if (record === undefined) {
      return this.#decayed(
        ((Math.floor(this.#sinceMs / 60000) & MINUTES_MASK) << 8) | LFU_INIT_VAL,
      );
    }
    return this.#decayed(record);
  }

  /** How many keys have a record (each costs a table entry: maxmemory counts them). */
  get size(): number {
    let size = 0;
    for (const slot of this.#byDb) if (slot !== undefined) size += slot.records.size;
    return size;
  }

  /** Drops records of keys no longer in their dict once they outnumber the keys (cron). */
  sweep(dbs: readonly Db[]): void {
    for (const db of dbs) {
      const records = this.#existing(db);
      if (records === undefined || records.size <= db.dict.size * 2 + 1024) continue;
      for (const key of records.keys()) if (!db.dict.has(key)) records.delete(key);
    }
  }

  beforeWrite(): void {}
  keyModified(db: Db, key: string): void {
    if (!db.dict.has(key)) this.#existing(db)?.delete(key);
  }
  keyExpired(): void {}
  beforeFlush(): void {}

  /** The records of `db`'s current dict, if any (after SWAPDB they are found in the other slot). */
  #existing(db: Db): KeyTable<number> | undefined {
    const slots = this.#byDb;
    const slot = slots[db.id];
    if (slot !== undefined && slot.dict === db.dict) return slot.records;
    for (let i = 0; i < slots.length; i++) {
      const other = slots[i];
      if (other !== undefined && other.dict === db.dict) {
        slots[i] = slot;
        slots[db.id] = other;
        return other.records;
      }
    }
    return undefined;
  }

  #records(db: Db): KeyTable<number> {
    let records = this.#existing(db);
    if (records === undefined) {
      records = new KeyTable<number>();
      this.#byDb[db.id] = { dict: db.dict, records };
    }
    return records;
  }

  #minutes(): number {
    return Math.floor(this.now() / 60000) & MINUTES_MASK;
  }

  /** Redis's LFUDecrAndReturn: one off per lfu-decay-time minutes since the last decrement. */
  #decayed(record: number): number {
    const counter = record & 0xff;
    const decayTime = this.config.getNumber("lfu-decay-time");
    if (decayTime === 0) return counter;
    const then = record >>> 8;
    const now = this.#minutes();
    const elapsed = now >= then ? now - then : MINUTES_MASK - then + now;
    const periods = Math.floor(elapsed / decayTime);
    return periods > counter ? 0 : counter - periods;
  }

  /** Redis's LFULogIncr: the higher the counter, the less likely it grows. */
  #logIncr(counter: number): number {
    if (counter === 255) return 255;
    const base = Math.max(0, counter - LFU_INIT_VAL);
    const p = 1 / (base * this.config.getNumber("lfu-log-factor") + 1);
    return Math.random() < p ? counter + 1 : counter;
  }
}
