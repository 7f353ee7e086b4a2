/**
 * maxmemory: Redis's evict.c. Before every command, while the dataset is
 * over `maxmemory`, keys are deleted by `maxmemory-policy` until it is under
 * again (or the time budget of `maxmemory-eviction-tenacity` is spent, when
 * a timer goes on evicting between commands); a write that would add memory
 * (a "denyoom" command) is refused with -OOM when nothing can be evicted.
 *
 * What is counted: the dataset estimate of dataset_memory.ts, the LRU/LFU
 * access records (a table entry per key) and the buffers of normal clients (Redis also leaves out the replicas' buffers and the AOF
 * buffer: freeMemoryGetNotCountedMemory). V8's heap figure is not usable
 * here, see dataset_memory.ts.
 *
 * Choosing keys: samples are keys picked uniformly at random from each
 * dict (or expires table), as Redis's dictGetSomeKeys does. The LRU, LFU
 * and TTL policies fill Redis's pool of the 16 best candidates from
 * `maxmemory-samples` keys of every db per round, and evict the best.
 *
 * An evicted key reaches the AOF and the replicas as DEL (UNLINK under
 * lazyfree-lazy-eviction), fires the "evicted" keyspace event and counts in
 * INFO's evicted_keys.
 */
import type { Server } from "../server.ts";
import type { Client } from "../net/client.ts";
import type { CommandSpec } from "../commands/types.ts";
import type { Db } from "../store/keyspace.ts";
import { lookupCommand } from "../commands/table.ts";
import { NOTIFY } from "../config.ts";
import { notifyKeyspaceEvent } from "../store/notify.ts";
import { log } from "../log.ts";
import { AccessTracker } from "./access.ts";
import { DatasetMemory } from "./dataset_memory.ts";
import { ENTRY_BYTES, keyBytes } from "./size.ts";

/** Redis's EVICT_OK, EVICT_RUNNING and EVICT_FAIL. */
export type EvictionResult = "ok" | "running" | "fail";

export const OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'.";

/** Redis's EVPOOL_SIZE. */
const POOL_SIZE = 16;
/** Commands a client in MULTI may still send when memory is full (Redis's processCommand). */
const MULTI_ALLOWED = new Set(["exec", "discard", "quit", "reset"]);

/** An eviction candidate; the higher the score, the better to evict. */
interface Candidate {
  db: Db;
  key: string;
  score: number;
}

const evictions = new WeakMap<Server, Eviction>();

/** The eviction layer of a server (installed by installEviction). */
export function evictionOf(server: Server): Eviction | undefined {
  return evictions.get(server);
}

/** Creates the eviction layer of `server`: guard, cron, config hooks. */
export function installEviction(server: Server): Eviction {
  const eviction = new Eviction(server);
  evictions.set(server, eviction);
  eviction.install();
  return eviction;
}

/**
 * How old the count of client buffers may be when it decides an eviction.
 * Recounting walks every client, so while the server stays over the limit it
 * is done at most this often, not before every command.
 */
const CLIENT_BYTES_FRESH_MS = 1;

/** Redis's evictionTimeLimitUs: how long one round may evict. */
function timeLimitMs(tenacity: number): number {
  if (tenacity <= 10) return 0.05 * tenacity;
  if (tenacity < 100) return 0.5 * Math.pow(1.15, tenacity - 10);
  return Infinity;
}

export class Eviction {
  /** The dataset total, kept while maxmemory is on. */
  meter: DatasetMemory | undefined;
  /** Access records, kept while the policy is an LRU or LFU one. */
  tracker: AccessTracker | undefined;
  #server: Server;
  #maxmemory = 0;
  #policy = "noeviction";
  #pool: Candidate[] = [];
  #nextDb = 0;
  #timerRunning = false;
  /** Normal clients' buffers, counted by the cron and again before evicting for them. */
  #clientBytes = 0;
  #clientBytesAt = 0;

  constructor(server: Server) {
    this.#server = server;
  }

  install(): void {
    const server = this.#server;
    const cfg = server.config;
    this.#reconfigure();
    cfg.onChange("maxmemory", () => {
      this.#reconfigure();
      if (this.#maxmemory === 0) return;
      const used = this.used();
      if (used > this.#maxmemory) {
        log.warning(
          `WARNING: the new maxmemory value set via CONFIG SET (${this.#maxmemory}) is smaller than the current memory usage (${used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.`,
        );
      }
      this.perform();
    });
    cfg.onChange("maxmemory-policy", () => this.#reconfigure());
    server.cronJobs.push(() => this.#cron());
    // Before the other guards, as Redis's processCommand checks memory before MISCONF or READONLY.
    server.guards.unshift((client, cmd) => this.#guard(client, cmd));
  }

  /** Redis's start-up warning for a limit that leaves no room. */
  warnIfTiny(): void {
    const maxmemory = this.#maxmemory;
    if (maxmemory > 0 && maxmemory < 1024 * 1024) {
      log.warning(
        `WARNING: You specified a maxmemory value that is less than 1MB (current value is ${maxmemory} bytes). Are you sure this is what you really want?`,
      );
    }
  }

  /** The memory maxmemory is compared with: the dataset, its access records, client buffers. */
  used(): number {
    const records = this.tracker === undefined ? 0 : this.tracker.size * ENTRY_BYTES;
    return (this.meter?.total() ?? 0) + records + this.#clientBytes;
  }

  /** Redis's performEvictions: frees memory down to the limit, or says why not. */
  perform(): EvictionResult {
    const result = this.#evict();
    // INFO's total_/current_eviction_exceeded_time.
    const stats = this.#server.stats;
    if (result === "ok") {
      if (stats.evictionExceededSince !== 0) {
        stats.evictionExceededMs += performance.now() - stats.evictionExceededSince;
        stats.evictionExceededSince = 0;
      }
    } else if (stats.evictionExceededSince === 0) {
      stats.evictionExceededSince = performance.now();
    }
    return result;
  }

  #evict(): EvictionResult {
    const maxmemory = this.#maxmemory;
    if (maxmemory === 0 || !this.#safeToEvict()) return "ok";
    let used = this.used();
    if (used <= maxmemory) return "ok";
    if (performance.now() - this.#clientBytesAt >= CLIENT_BYTES_FRESH_MS) {
      // The cron's count may be a tick old: a reply then in flight, a client since gone.
      this.#countClientBytes();
      used = this.used();
      if (used <= maxmemory) return "ok";
    }
    if (this.#policy === "noeviction") return "fail";
    const cfg = this.#server.config;
    const started = performance.now();
    const limit = timeLimitMs(cfg.getNumber("maxmemory-eviction-tenacity"));
    const lazy = cfg.getBool("lazyfree-lazy-eviction");
    const toFree = used - maxmemory;
    let freed = 0;
    let evicted = 0;
    while (freed < toFree) {
      const victim = this.#policy.endsWith("-random") ? this.#randomVictim() : this.#poolVictim();
      if (victim === undefined) return "fail";
      freed += this.#evictKey(victim.db, victim.key, lazy);
      if (++evicted % 16 === 0 && performance.now() - started > limit) {
        this.#startTimer();
        return "running";
      }
    }
    return this.#timerRunning ? "running" : "ok";
  }

  /** Redis's isSafeToPerformEvictions. */
  #safeToEvict(): boolean {
    const server = this.#server;
    if (server.loading) return false;
    // A replica leaves eviction to its master, whose DELs it applies.
    if (server.keyspace.isReplica() && server.config.getBool("replica-ignore-maxmemory")) {
      return false;
    }
    // Evicting writes; while writes are paused, wait.
    return server.pauseUntil === 0 || server.pauseUntil <= Date.now();
  }

  #evictKey(db: Db, key: string, lazy: boolean): number {
    const value = db.dict.get(key);
    if (value === undefined) return 0;
    const bytes = keyBytes(key, value, db.expires.has(key));
    db.evict(key);
    const server = this.#server;
    server.stats.evictedKeys++;
    notifyKeyspaceEvent(server, NOTIFY.EVICTED, "evicted", key, db.id);
    server.propagator.add(db.id, [lazy ? "UNLINK" : "DEL", key]);
    return bytes;
  }

  /** allkeys-random / volatile-random: a random key of the next db with keys. */
  #randomVictim(): Candidate | undefined {
    const dbs = this.#server.keyspace.dbs;
    const allkeys = this.#policy.startsWith("allkeys");
    for (let i = 0; i < dbs.length; i++) {
      const db = dbs[(++this.#nextDb) % dbs.length];
      const map = allkeys ? db.dict : db.expires;
      if (map.size === 0) continue;
      const key = map.randomKey();
      if (key !== undefined) return { db, key, score: 0 };
    }
    return undefined;
  }

  /** The LRU, LFU and TTL policies: refill the pool from every db, take its best live entry. */
  #poolVictim(): Candidate | undefined {
    const dbs = this.#server.keyspace.dbs;
    const allkeys = this.#policy.startsWith("allkeys");
    const samples = this.#server.config.getNumber("maxmemory-samples");
    const now = Date.now();
    for (;;) {
      let keys = 0;
      for (const db of dbs) {
        const map = allkeys ? db.dict : db.expires;
        if (map.size === 0) continue;
        keys += map.size;
        const count = Math.min(samples, map.size);
        for (let i = 0; i < count; i++) {
          const key = map.randomKey();
          if (key !== undefined) this.#offer(db, key, this.#score(db, key, now));
        }
      }
      if (keys === 0) return undefined;
      while (this.#pool.length > 0) {
        const best = this.#pool.pop()!;
        const map = allkeys ? best.db.dict : best.db.expires;
        if (map.has(best.key)) return best;
        // A ghost: deleted since it was sampled.
      }
    }
  }

  /** The higher, the better to evict (Redis's idle figure for the pool). */
  #score(db: Db, key: string, now: number): number {
    const tracker = this.tracker;
    if (this.#policy === "volatile-ttl") {
      return Number.MAX_SAFE_INTEGER - (db.expires.get(key) ?? 0);
    }
    if (tracker === undefined) return 0;
    return tracker.mode === "lru" ? tracker.idleMs(db, key, now) : 255 - tracker.frequency(db, key);
  }

  /** Redis's evictionPoolPopulate insert: the pool stays sorted, worst first, at most 16. */
  #offer(db: Db, key: string, score: number): void {
    const pool = this.#pool;
    if (pool.length === POOL_SIZE && score <= pool[0].score) return;
    for (const entry of pool) if (entry.key === key && entry.db === db) return;
    let at = 0;
    while (at < pool.length && pool[at].score < score) at++;
    pool.splice(at, 0, { db, key, score });
    if (pool.length > POOL_SIZE) pool.shift();
  }

  /** Redis's evictionTimeProc: keep evicting between commands until under the limit. */
  #startTimer(): void {
    if (this.#timerRunning) return;
    this.#timerRunning = true;
    const tick = () => {
      this.#timerRunning = false;
      if (this.perform() === "running") this.#startTimer();
    };
    setTimeout(tick, 0);
  }

  #guard(client: Client, cmd: CommandSpec): string | undefined {
    if (this.#maxmemory === 0) return undefined;
    if (this.perform() !== "fail" || client.flags.master) return undefined;
    return this.#denyOnOom(client, cmd) ? OOM_ERROR : undefined;
  }

  /** A command that may add memory, an EXEC of one, or anything queued in MULTI. */
  #denyOnOom(client: Client, cmd: CommandSpec): boolean {
    if (cmd.flags.includes("denyoom")) return true;
    if (cmd.name === "exec") {
      return client.multiQueue.some((argv) =>
        lookupCommand(argv[0])?.flags.includes("denyoom") ?? false
      );
    }
    return client.flags.multi && !MULTI_ALLOWED.has(cmd.name);
  }

  #reconfigure(): void {
    const server = this.#server;
    const keyspace = server.keyspace;
    const cfg = server.config;
    this.#maxmemory = cfg.getNumber("maxmemory");
    this.#policy = cfg.getString("maxmemory-policy");
    this.#pool = [];
    if (this.#maxmemory > 0 && this.meter === undefined) {
      this.meter = new DatasetMemory(keyspace);
      keyspace.hooks.add(this.meter);
      keyspace.unpackListener = this.meter;
    } else if (this.#maxmemory === 0 && this.meter !== undefined) {
      keyspace.hooks.remove(this.meter);
      keyspace.unpackListener = undefined;
      this.meter = undefined;
      this.#clientBytes = 0;
    }
    const mode = this.#policy.endsWith("-lru")
      ? "lru"
      : this.#policy.endsWith("-lfu")
      ? "lfu"
      : undefined;
    if (mode === this.tracker?.mode) return;
    if (this.tracker !== undefined) keyspace.hooks.remove(this.tracker);
    this.tracker = mode === undefined ? undefined : new AccessTracker(mode, cfg, Date.now);
    if (this.tracker !== undefined) keyspace.hooks.add(this.tracker);
    keyspace.access = this.tracker;
  }

  #cron(): void {
    const server = this.#server;
    this.tracker?.sweep(server.keyspace.dbs);
    if (this.meter === undefined) return;
    this.meter.settle();
    this.#countClientBytes();
  }

  /** Sums normal clients' buffers (Redis counts them in used_memory; replicas' it leaves out). */
  #countClientBytes(): void {
    let bytes = 0;
    for (const client of this.#server.clients.values()) {
      if (client.flags.replica && !client.flags.monitor) continue;
      bytes += client.bufferBytes;
    }
    this.#clientBytes = bytes;
    this.#clientBytesAt = performance.now();
  }
}
