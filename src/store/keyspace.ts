/**
 * The keyspace: numbered databases, each a key → value map plus an expires
 * map (absolute unix ms), with Redis's lazy and active expiry.
 *
 * Store code never touches sockets or replies. What the rest of the server
 * must learn about writes it learns through `KeyspaceHooks`:
 * - `beforeWrite` runs before a key's value is changed, replaced or deleted,
 *   so a running snapshot can serialize the old value first (copy-on-write);
 * - `keyModified` runs after (WATCH invalidation, Redis's signalModifiedKey);
 * - `keyExpired` runs when expiry deletes a key, so the DEL is propagated.
 */
import { WrongTypeError } from "../errors.ts";
import { NOTIFY, notifyKeyspaceEvent } from "./notify.ts";
import { Hash } from "./hash.ts";
import { List } from "./list.ts";
import { StringSet } from "./set.ts";
import { ZSet } from "./zset.ts";
import { PackedValue, type StoredValue } from "./packed.ts";
import { KeyTable } from "./key_table.ts";
import type { RedisHash, RedisSet, RedisValue, TypeName } from "./types.ts";

/** What the server plugs into the keyspace. */
export interface KeyspaceHooks {
  beforeWrite(db: Db, key: string): void;
  keyModified(db: Db, key: string): void;
  keyExpired(db: Db, key: string): void;
  /** Runs before a whole db is emptied (FLUSHDB/FLUSHALL) or swapped. */
  beforeFlush(db: Db): void;
}

/** Several layers' hooks called in the order they were added (snapshot, WATCH, propagation). */
export class HookChain implements KeyspaceHooks {
  #list: KeyspaceHooks[] = [];

  add(hooks: KeyspaceHooks): void {
    this.#list.push(hooks);
  }

  remove(hooks: KeyspaceHooks): void {
    const i = this.#list.indexOf(hooks);
    if (i !== -1) this.#list.splice(i, 1);
  }

  beforeWrite(db: Db, key: string): void {
    for (const h of this.#list) h.beforeWrite(db, key);
  }
  keyModified(db: Db, key: string): void {
    for (const h of this.#list) h.keyModified(db, key);
  }
  keyExpired(db: Db, key: string): void {
    for (const h of this.#list) h.keyExpired(db, key);
  }
  beforeFlush(db: Db): void {
    for (const h of this.#list) h.beforeFlush(db);
  }
}

/** Records reads and writes of keys for LRU/LFU eviction (src/memory/access.ts), when a policy needs it. */
export interface KeyAccess {
  touch(db: Db, key: string): void;
}

/** Told when a lookup replaces a packed value by its store form: not a write, but its memory changes. */
export interface UnpackListener {
  unpacked(db: Db, key: string, packed: PackedValue, value: RedisValue): void;
}

/** Counters INFO stats reports. */
export interface KeyspaceStats {
  keyspaceHits: number;
  keyspaceMisses: number;
  expiredKeys: number;
  expiredStalePerc: number;
  expiredTimeCapReachedCount: number;
  expireCycleCpuMilliseconds: number;
}

/** TYPE's name for a value. */
export function typeOf(value: StoredValue): TypeName {
  if (typeof value === "string") return "string";
  if (value instanceof PackedValue) return value.type;
  if (value instanceof Hash) return "hash";
  if (value instanceof StringSet) return "set";
  if (value instanceof List) return "list";
  return "zset";
}

/** Keys sampled per db per round of the active expire cycle (Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP). */
export const ACTIVE_EXPIRE_KEYS_PER_LOOP = 20;
/** Share of expired keys in a sample above which the cycle keeps working on a db (Redis: 10%). */
export const ACTIVE_EXPIRE_ACCEPTABLE_STALE = 10;

/** Entries a rehash step moves between clock reads (Redis moves 100 buckets per step). */
const REHASH_STEP_ENTRIES = 1000;

/** One numbered database. */
export class Db {
  /** Values a load left packed are unpacked by the lookups below (see packed.ts). */
  dict = new KeyTable<StoredValue>();
  expires = new KeyTable<number>();
  /** Mean TTL estimate INFO keyspace prints as avg_ttl (Redis's db->avg_ttl). */
  avgTtl = 0;
  #expireCursor: IterableIterator<[string, number]> | undefined;

  constructor(readonly id: number, readonly keyspace: Keyspace) {}

  get size(): number {
    return this.dict.size;
  }

  /**
   * Redis's expireIfNeeded. Returns true when the key is logically expired.
   * A master deletes it (and the hooks propagate a DEL); a replica only hides
   * it from its own clients and waits for the master's DEL (DESIGN decision 5).
   */
  expireIfNeeded(key: string): boolean {
    const when = this.expires.get(key);
    if (when === undefined) return false;
    const ks = this.keyspace;
    if (ks.now() <= when) return false;
    if (ks.isReplica()) return !ks.servingMaster;
    if (ks.expiryPaused) return true;
    this.#deleteExpired(key);
    return true;
  }

  #deleteExpired(key: string): void {
    const ks = this.keyspace;
    ks.hooks.beforeWrite(this, key);
    this.dict.delete(key);
    this.expires.delete(key);
    ks.stats.expiredKeys++;
    ks.hooks.keyExpired(this, key);
    ks.hooks.keyModified(this, key);
  }

  /**
   * The value for a read, counting hits and misses (lookupKeyRead). With
   * `touch` false it is Redis's LOOKUP_NOTOUCH|LOOKUP_NONOTIFY (OBJECT, MEMORY
   * USAGE): the access time and the keymiss event are left alone.
   */
  lookupRead(key: string, touch = true): RedisValue | undefined {
    const value = this.dict.get(key);
    if (value === undefined || (this.expires.size !== 0 && this.expireIfNeeded(key))) {
      this.keyspace.stats.keyspaceMisses++;
      // Redis's lookupKeyRead: a read that finds nothing is a "keymiss" event (class m).
      if (touch) notifyKeyspaceEvent(this, NOTIFY.KEY_MISS, "keymiss", key, this.id);
      return undefined;
    }
    this.keyspace.stats.keyspaceHits++;
    if (touch) this.#touch(key);
    return this.#unpacked(key, value);
  }

  /** The value without touching stats (lookupKeyReadWithFlags LOOKUP_NOTOUCH|NOSTATS). */
  peek(key: string): RedisValue | undefined {
    const value = this.dict.get(key);
    if (value === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    return this.#unpacked(key, value);
  }

  /**
   * `value` in its store form: a packed one is replaced by its store form.
   * Not a write: the contents are the same, so no hook runs (a snapshot that
   * reaches the key later writes the unpacked value, which is equal).
   */
  /** Records a use of `key` while an LRU/LFU policy wants it. */
  #touch(key: string): void {
    const access = this.keyspace.access;
    if (access !== undefined) access.touch(this, key);
  }

  #unpacked(key: string, value: StoredValue): RedisValue {
    if (typeof value === "string" || !(value instanceof PackedValue)) return value;
    const unpacked = value.unpack();
    this.dict.set(key, unpacked);
    this.keyspace.unpackListener?.unpacked(this, key, value, unpacked);
    return unpacked;
  }

  /**
   * The value for a command that may change it in place. Runs `beforeWrite`,
   * so the caller may mutate the returned object; it must call `modified`
   * afterwards (Redis's signalModifiedKey).
   */
  lookupWrite(key: string): RedisValue | undefined {
    const value = this.dict.get(key);
    if (value === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    this.keyspace.hooks.beforeWrite(this, key);
    this.#touch(key);
    return this.#unpacked(key, value);
  }

  exists(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /** The string at `key` for a read, or undefined; WRONGTYPE for another type. */
  getString(key: string): string | undefined {
    const value = this.lookupRead(key);
    if (value === undefined || typeof value === "string") return value;
    throw new WrongTypeError();
  }

  getList(key: string, write = false): List | undefined {
    const value = write ? this.lookupWrite(key) : this.lookupRead(key);
    if (value === undefined || value instanceof List) return value;
    throw new WrongTypeError();
  }

  getHash(key: string, write = false): RedisHash | undefined {
    const value = write ? this.lookupWrite(key) : this.lookupRead(key);
    if (value === undefined || value instanceof Hash) return value;
    throw new WrongTypeError();
  }

  getSet(key: string, write = false): RedisSet | undefined {
    const value = write ? this.lookupWrite(key) : this.lookupRead(key);
    if (value === undefined || value instanceof StringSet) return value;
    throw new WrongTypeError();
  }

  getZSet(key: string, write = false): ZSet | undefined {
    const value = write ? this.lookupWrite(key) : this.lookupRead(key);
    if (value === undefined || value instanceof ZSet) return value;
    throw new WrongTypeError();
  }

  /**
   * Sets `key` to `value` (Redis's setKey): replaces any old value and, unless
   * `keepTtl`, clears its TTL.
   */
  set(key: string, value: RedisValue, keepTtl = false): void {
    const hooks = this.keyspace.hooks;
    hooks.beforeWrite(this, key);
    this.dict.set(key, value);
    if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
    this.#touch(key);
    hooks.keyModified(this, key);
  }

  /** Adds a key that the caller knows is absent (dbAdd), e.g. a new list from LPUSH. */
  add(key: string, value: RedisValue): void {
    this.keyspace.hooks.beforeWrite(this, key);
    this.dict.set(key, value);
    this.#touch(key);
  }

  /** Deletes a key; true when it existed (and was not expired). */
  delete(key: string): boolean {
    if (this.peek(key) === undefined) return false;
    this.keyspace.hooks.beforeWrite(this, key);
    this.dict.delete(key);
    this.expires.delete(key);
    this.keyspace.hooks.keyModified(this, key);
    return true;
  }

  /** Deletes a key to free memory (maxmemory eviction): no expiry check, the hooks run as for DEL. */
  evict(key: string): boolean {
    if (!this.dict.has(key)) return false;
    const hooks = this.keyspace.hooks;
    hooks.beforeWrite(this, key);
    this.dict.delete(key);
    this.expires.delete(key);
    hooks.keyModified(this, key);
    return true;
  }

  /** Removes a key whose collection became empty (the caller already ran lookupWrite). */
  deleteIfEmpty(key: string, value: List | RedisHash | RedisSet | ZSet): boolean {
    const empty = value instanceof List ? value.length === 0 : value.size === 0;
    if (!empty) return false;
    this.dict.delete(key);
    this.expires.delete(key);
    return true;
  }

  /** Signals that a key changed in place (after lookupWrite). */
  modified(key: string): void {
    this.keyspace.hooks.keyModified(this, key);
  }

  getExpire(key: string): number | undefined {
    return this.expires.get(key);
  }

  /** Sets the absolute expire time (unix ms) of an existing key. */
  setExpire(key: string, whenMs: number): void {
    this.keyspace.hooks.beforeWrite(this, key);
    this.expires.set(key, whenMs);
    this.keyspace.hooks.keyModified(this, key);
  }

  /** Removes a key's TTL; true when it had one. */
  persist(key: string): boolean {
    if (!this.expires.has(key)) return false;
    this.keyspace.hooks.beforeWrite(this, key);
    this.expires.delete(key);
    this.keyspace.hooks.keyModified(this, key);
    return true;
  }

  /** Empties the db (FLUSHDB); returns the number of keys removed. */
  flush(): number {
    const removed = this.dict.size;
    // beforeFlush stands for keyModified on every key (WATCH handles a flush as a whole).
    this.keyspace.hooks.beforeFlush(this);
    this.dict = new KeyTable();
    this.expires = new KeyTable();
    this.#expireCursor = undefined;
    this.avgTtl = 0;
    return removed;
  }

  /** A random live key, or undefined (RANDOMKEY): samples a bounded number of times. */
  randomKey(): string | undefined {
    for (let attempt = 0; attempt < 100; attempt++) {
      const key = this.dict.randomKey();
      if (key === undefined) return undefined;
      if (!this.expireIfNeeded(key)) return key;
    }
    return undefined;
  }

  /**
   * One step of the active expire cycle on this db: sweeps up to `budget` keys
   * of the expires map from where the last step stopped, deleting the expired
   * ones. Returns [sampled, expired, ttlSum, ttlCount].
   */
  expireStep(budget: number): [number, number, number, number] {
    let sampled = 0;
    let expired = 0;
    let ttlSum = 0;
    let ttlCount = 0;
    const now = this.keyspace.now();
    if (this.#expireCursor === undefined) this.#expireCursor = this.expires.entries();
    while (sampled < budget) {
      const next = this.#expireCursor.next();
      if (next.done) {
        // Start again from the front next time; the iterators skip deleted entries.
        this.#expireCursor = undefined;
        break;
      }
      sampled++;
      const [key, when] = next.value;
      if (when < now) {
        this.#deleteExpired(key);
        expired++;
      } else {
        ttlSum += when - now;
        ttlCount++;
      }
    }
    return [sampled, expired, ttlSum, ttlCount];
  }
}

/** All databases and the keyspace-wide state. */
export class Keyspace {
  dbs: Db[];
  readonly hooks = new HookChain();
  stats: KeyspaceStats = {
    keyspaceHits: 0,
    keyspaceMisses: 0,
    expiredKeys: 0,
    expiredStalePerc: 0,
    expiredTimeCapReachedCount: 0,
    expireCycleCpuMilliseconds: 0,
  };
  /** True while a replica applies its master's stream: expired keys stay visible to it. */
  servingMaster = false;
  /** A client pause: no key is deleted by expiry, lazily or actively. */
  expiryPaused = false;
  /** DEBUG SET-ACTIVE-EXPIRE: whether the cron's active expire cycle runs. */
  activeExpireEnabled = true;
  /** The role; a replica never expires keys on its own (DESIGN decision 5). */
  isReplica: () => boolean = () => false;
  /** LRU/LFU access recording, set while an eviction policy needs it (src/memory/access.ts). */
  access: KeyAccess | undefined = undefined;
  /** The maxmemory accounting, set while maxmemory is on (src/memory/dataset_memory.ts). */
  unpackListener: UnpackListener | undefined = undefined;
  /** The command clock: Redis caches mstime per command so one command sees one "now". */
  #now = 0;

  constructor(count: number) {
    this.dbs = Array.from({ length: count }, (_, i) => new Db(i, this));
  }

  /** Freezes the clock for the duration of one command. */
  tick(nowMs: number = Date.now()): void {
    this.#now = nowMs;
  }

  now(): number {
    return this.#now || Date.now();
  }

  /** Swaps the contents of two dbs (SWAPDB). */
  swap(a: number, b: number): void {
    const dbA = this.dbs[a];
    const dbB = this.dbs[b];
    this.hooks.beforeFlush(dbA);
    this.hooks.beforeFlush(dbB);
    [dbA.dict, dbB.dict] = [dbB.dict, dbA.dict];
    [dbA.expires, dbB.expires] = [dbB.expires, dbA.expires];
    [dbA.avgTtl, dbB.avgTtl] = [dbB.avgTtl, dbA.avgTtl];
  }

  /**
   * Redis's incrementallyRehash: moves the entries of growing key and expire
   * tables into their new index, for at most `timeLimitMs`.
   */
  activeRehash(timeLimitMs: number): void {
    const start = performance.now();
    for (const db of this.dbs) {
      for (const table of [db.dict, db.expires]) {
        while (table.rehash(REHASH_STEP_ENTRIES)) {
          if (performance.now() - start > timeLimitMs) return;
        }
      }
    }
  }

  /**
   * Redis's activeExpireCycle (slow mode), bounded by `timeLimitMs`: sweeps
   * each db in turn and keeps going on a db while more than 10% of what it
   * sampled was expired. Does nothing on a replica.
   */
  activeExpireCycle(timeLimitMs: number): void {
    if (this.isReplica() || this.expiryPaused || !this.activeExpireEnabled) return;
    const start = performance.now();
    let totalSampled = 0;
    let totalExpired = 0;
    let timedOut = false;
    for (const db of this.dbs) {
      if (db.expires.size === 0) continue;
      let ttlSum = 0;
      let ttlCount = 0;
      for (let round = 0; round < 1000; round++) {
        const [sampled, expired, sum, count] = db.expireStep(ACTIVE_EXPIRE_KEYS_PER_LOOP);
        totalSampled += sampled;
        totalExpired += expired;
        ttlSum += sum;
        ttlCount += count;
        if (performance.now() - start > timeLimitMs) {
          timedOut = true;
          break;
        }
        if (sampled === 0 || expired * 100 <= sampled * ACTIVE_EXPIRE_ACCEPTABLE_STALE) break;
      }
      if (ttlCount > 0) {
        // Redis's running estimate: 2% of the new sample's mean per cycle.
        const avg = ttlSum / ttlCount;
        db.avgTtl = db.avgTtl === 0 ? avg : (db.avgTtl / 50) * 49 + avg / 50;
      }
      if (timedOut) break;
    }
    const elapsed = performance.now() - start;
    this.stats.expireCycleCpuMilliseconds += elapsed;
    if (timedOut) this.stats.expiredTimeCapReachedCount++;
    if (totalSampled > 0) {
      const perc = totalExpired / totalSampled;
      this.stats.expiredStalePerc = perc * 0.05 + this.stats.expiredStalePerc * 0.95;
    }
  }
}
