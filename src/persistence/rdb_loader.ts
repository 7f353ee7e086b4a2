/**
 * Loading an RDB into the keyspace: at start-up, after a replica's full
 * sync, and for DEBUG RELOAD. The whole file is decoded into fresh maps
 * before anything is installed, so a bad file never leaves a half-loaded
 * dataset: it is refused with the decoder's error and the old data stays.
 *
 * Two forms with the same decisions and log lines: `loadRdb` decodes in the
 * load worker (rdb_load_worker.ts) while the main thread only builds the
 * maps from the batches it receives, with the event loop free in between;
 * `loadRdbBytes` does it all synchronously (DEBUG RELOAD, tests).
 */
import { hashFromPairs, type RdbAuxInfo, RdbDecoder, RdbError } from "./rdb_decoder.ts";
import {
  BATCH_HASH,
  BATCH_HASH_SAME_FIELDS,
  BATCH_LIST,
  BATCH_PACKED,
  BATCH_SET,
  BATCH_STRING,
  PULL_REQUESTED,
  type RdbLoadBatch,
  type RdbLoadDone,
  type RdbLoadReply,
  type RdbLoadRequest,
  type RdbLoadSource,
} from "./rdb_load_messages.ts";
import type { Keyspace } from "../store/keyspace.ts";
import { KeyTable } from "../store/key_table.ts";
import { Hash } from "../store/hash.ts";
import { List } from "../store/list.ts";
import { StringSet } from "../store/set.ts";
import { ZSet } from "../store/zset.ts";
import type { StoredValue } from "../store/packed.ts";
import { RdbPackedValue } from "./rdb_packed.ts";
import { log } from "../log.ts";
import { bytesToString } from "../util/bytes.ts";
import { offerCpu } from "../util/thread_priority.ts";

export type { RdbLoadSource } from "./rdb_load_messages.ts";

/**
 * Longest stretch of installing batches on the main thread before the event
 * loop gets a turn (timers, client sockets): a client waits at most about
 * this long for its -LOADING reply. Redis processes events every 2 MB
 * loaded (loading-process-events-interval-bytes), tens of ms too.
 */
export const INSTALL_SLICE_MS = 50;

/**
 * The most keys a db's tables are built for up front from the file's
 * RESIZEDB (~70 MB of index at this size); bigger dbs grow as they load.
 */
const PRESIZE_MAX_KEYS = 1 << 21;

/** Why a cancelled load rejects. */
const ABORTED = "RDB load aborted";

/** The main thread asks the worker for more once it holds at most this many batches. */
const PULL_LOW_WATER = 4;

/** What a load found. */
export interface RdbLoadResult {
  keysLoaded: number;
  keysExpired: number;
  aux: RdbAuxInfo;
  /** Offset just past the checksum: an AOF's commands follow its RDB preamble there. */
  endOffset: number;
}

/** Options of a load. */
export interface RdbLoadOptions {
  /** A master drops keys that are already expired; a replica keeps them for its master's DEL. */
  dropExpired: boolean;
  verifyChecksum: boolean;
}

/**
 * Decodes `bytes` completely, then replaces every db's contents. Throws
 * RdbError (nothing changed) when the file is bad. Logs Redis's lines.
 */
export function loadRdbBytes(
  bytes: Uint8Array,
  keyspace: Keyspace,
  opts: RdbLoadOptions,
): RdbLoadResult {
  const decoder = new RdbDecoder(bytes, {
    verifyChecksum: opts.verifyChecksum,
    databases: keyspace.dbs.length,
  });
  const { dicts, expires } = freshMaps(keyspace);
  const now = Date.now();
  let keysLoaded = 0;
  let keysExpired = 0;
  let announced = false;
  for (let entry = decoder.next(); entry !== undefined; entry = decoder.next()) {
    if (!announced) {
      announced = true;
      announce(decoder.aux);
    }
    if (opts.dropExpired && entry.expireAtMs !== undefined && entry.expireAtMs < now) {
      keysExpired++;
      continue;
    }
    dicts[entry.db].set(entry.key, entry.value);
    if (entry.expireAtMs !== undefined) expires[entry.db].set(entry.key, entry.expireAtMs);
    keysLoaded++;
  }
  if (!announced) announce(decoder.aux);
  install(keyspace, dicts, expires);
  log.notice(`Done loading RDB, keys loaded: ${keysLoaded}, keys expired: ${keysExpired}.`);
  return { keysLoaded, keysExpired, aux: decoder.aux, endOffset: decoder.offset };
}

/**
 * `loadRdbBytes` with the decoding in the load worker: resolves once the
 * whole file was decoded, its checksum verified and the new dataset
 * installed; rejects with the decoder's RdbError (nothing changed) when the
 * file is bad. A `bytes` source is transferred: the caller's view is
 * detached afterwards unless it is a part of a larger buffer (then it is
 * copied). The event loop stays free while it runs; callers set
 * `server.loading` so clients get -LOADING meanwhile.
 */
export function loadRdb(
  source: Exclude<RdbLoadSource, { kind: "stream" }>,
  keyspace: Keyspace,
  opts: RdbLoadOptions,
): Promise<RdbLoadResult> {
  const transfer: Transferable[] = [];
  if (source.kind === "bytes") {
    const bytes = ownBuffer(source.bytes);
    source = { kind: "bytes", bytes };
    transfer.push(bytes.buffer as ArrayBuffer);
  }
  return runInWorker(source, transfer, keyspace, opts, Promise.resolve()).done;
}

/** A load fed while the file arrives: see {@link startRdbStreamLoad}. */
export interface RdbStreamLoad {
  /**
   * The next bytes of the file. The buffer they view is transferred whole, not
   * copied (they may be a part of it): the caller must not use it afterwards.
   */
  push(bytes: Uint8Array): void;
  /**
   * Every byte was pushed: Redis's lines are logged from here on, the rest
   * decodes, and the dataset is installed once the checksum verified.
   * Resolves or rejects like {@link loadRdb}.
   */
  end(): Promise<RdbLoadResult>;
  /** The transfer failed: the worker stops and nothing changes. */
  abort(): void;
}

/**
 * `loadRdb` of a file that is still arriving (a replica's full sync): the
 * worker decodes, and the main thread builds the new maps, as the bytes come
 * in, so that loading costs little more than the transfer. Nothing is logged
 * or installed before `end()`, so the log reads as if the load had started
 * then.
 */
export function startRdbStreamLoad(keyspace: Keyspace, opts: RdbLoadOptions): RdbStreamLoad {
  let release!: () => void;
  const announceGate = new Promise<void>((resolve) => release = resolve);
  const run = runInWorker({ kind: "stream" }, [], keyspace, opts, announceGate);
  run.done.catch(() => {}); // surfaced by end()
  return {
    push(bytes) {
      run.post({ type: "chunk", bytes }, [bytes.buffer as ArrayBuffer]);
    },
    end() {
      run.post({ type: "end" }, []);
      release();
      return run.done;
    },
    abort() {
      run.cancel();
    },
  };
}

/** `bytes`, or a copy of them when they are a part of a larger buffer (to transfer them). */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : bytes.slice();
}

/** A load running in a worker (see loadRdb). */
interface WorkerRun {
  done: Promise<RdbLoadResult>;
  post(request: RdbLoadRequest, transfer: Transferable[]): void;
  cancel(): void;
}

/**
 * Starts the load worker on `source` and installs what it decodes; the aux
 * lines are logged once `announceGate` resolved.
 */
function runInWorker(
  source: RdbLoadSource,
  transfer: Transferable[],
  keyspace: Keyspace,
  opts: RdbLoadOptions,
  announceGate: Promise<void>,
): WorkerRun {
  const pullSignal = new Int32Array(new SharedArrayBuffer(4));
  const request: RdbLoadRequest = {
    type: "load",
    source,
    verifyChecksum: opts.verifyChecksum,
    databases: keyspace.dbs.length,
    dropExpiredBefore: opts.dropExpired ? Date.now() : undefined,
    pullSignal,
  };
  const { dicts, expires } = freshMaps(keyspace);
  const state: InstallState = { previousFields: [] };
  let keysLoaded = 0;
  const worker = new Worker(new URL("./rdb_load_worker.ts", import.meta.url), {
    type: "module",
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let cancelled = false;
  let fail: (err: Error) => void = () => {};
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    worker.terminate();
  };
  const decoded = new Promise<RdbLoadDone>((resolve, reject) => {
    fail = reject;
    const queue: RdbLoadBatch[] = [];
    let pulling = false;
    let finished: RdbLoadDone | undefined;
    const pull = () => {
      pulling = true;
      Atomics.store(pullSignal, 0, PULL_REQUESTED);
      Atomics.notify(pullSignal, 0);
    };
    // Batches are installed from timer tasks, a slice at a time, and asked for at
    // the start of a slice: the answer arrives while the slice runs, so that after
    // it the event loop has nothing to do but wait for the next timer, which is
    // when it reads the sockets (clients get their -LOADING replies meanwhile).
    const drain = () => {
      timer = undefined;
      if (stopped) return;
      if (!pulling && finished === undefined && queue.length <= PULL_LOW_WATER) pull();
      const until = performance.now() + INSTALL_SLICE_MS;
      while (queue.length > 0 && performance.now() < until) {
        const batch = queue.shift()!;
        if (dicts[batch.db].size === 0 && batch.dbSize > 0) {
          // The db's first keys: build its tables for the size the file announced (a
          // bound on what a file's word can make us allocate; beyond it they grow).
          dicts[batch.db] = new KeyTable(Math.min(batch.dbSize, PRESIZE_MAX_KEYS));
          expires[batch.db] = new KeyTable(Math.min(batch.dbExpiresSize, PRESIZE_MAX_KEYS));
        }
        keysLoaded += installBatch(batch, {
          dict: dicts[batch.db],
          expires: expires[batch.db],
          state,
        });
      }
      if (queue.length > 0) timer = setTimeout(drain, 0);
      else if (finished !== undefined) resolve(finished);
      else if (!pulling) pull(); // the answer schedules the next slice
    };
    worker.onmessage = (event: MessageEvent<RdbLoadReply>) => {
      const msg = event.data;
      switch (msg.type) {
        case "aux":
          announceGate.then(() => {
            if (!cancelled) announce(msg.aux);
          });
          return;
        case "batches":
          pulling = false;
          for (const batch of msg.batches) queue.push(batch);
          finished = msg.done;
          timer ??= setTimeout(drain, 0);
          return;
        case "error":
          reject(new RdbError(msg.reason, msg.offset, msg.kind));
          return;
        case "failure":
          reject(new Error(msg.message));
          return;
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(event.message));
    };
    worker.postMessage(request, transfer);
    pull();
  });
  const done = (async () => {
    try {
      const result = await decoded;
      // The aux lines come first (a stream's gate opened before its last batch).
      await announceGate;
      if (cancelled) throw new Error(ABORTED);
      install(keyspace, dicts, expires);
      log.notice(
        `Done loading RDB, keys loaded: ${keysLoaded}, keys expired: ${result.keysExpired}.`,
      );
      return {
        keysLoaded,
        keysExpired: result.keysExpired,
        aux: result.aux,
        endOffset: result.endOffset,
      };
    } finally {
      stop();
    }
  })();
  return {
    done,
    post: (msg, list) => {
      if (!stopped) worker.postMessage(msg, list);
    },
    cancel: () => {
      cancelled = true;
      stop();
      fail(new Error(ABORTED));
    },
  };
}

/** What installing a batch carries over to the next one. */
interface InstallState {
  /** The fields of the last hash installed (see BATCH_HASH_SAME_FIELDS). */
  previousFields: string[];
}

/** Builds the store values of `batch` into `dict` and `expires`; returns the keys added. */
function installBatch(
  batch: RdbLoadBatch,
  target: { dict: KeyTable<StoredValue>; expires: KeyTable<number>; state: InstallState },
): number {
  const { dict, expires, state } = target;
  const { lengths, kinds, scores, packed } = batch;
  const strings = unpackStrings(batch.text, batch.ends);
  const expireTimes = batch.expires;
  const count = kinds.length;
  let at = 0;
  let scoreAt = 0;
  let packedAt = 0;
  for (let i = 0; i < count; i++) {
    offerCpu();
    const key = strings[at++];
    let n = lengths[i];
    let value: StoredValue;
    switch (kinds[i]) {
      case BATCH_STRING:
        value = strings[at];
        break;
      case BATCH_PACKED:
        value = new RdbPackedValue(packed, packedAt, packedAt + n);
        packedAt += n;
        n = 0; // its n are bytes of `packed`, not strings
        break;
      case BATCH_LIST:
        value = List.fromArray(strings.slice(at, at + n));
        break;
      case BATCH_HASH: {
        value = hashFromPairs(strings, { start: at, end: at + n });
        const fields = new Array<string>(n >> 1);
        for (let k = 0; k < fields.length; k++) fields[k] = strings[at + 2 * k];
        state.previousFields = fields;
        break;
      }
      case BATCH_HASH_SAME_FIELDS: {
        const fields = state.previousFields;
        const hash = new Hash();
        for (let k = 0; k < n; k++) hash.set(fields[k], strings[at + k]);
        value = hash;
        break;
      }
      case BATCH_SET: {
        const set = new StringSet();
        for (let k = at; k < at + n; k++) set.add(strings[k]);
        value = set;
        break;
      }
      default: // BATCH_ZSET
        value = ZSet.fromEntries(strings.slice(at, at + n), scores.subarray(scoreAt, scoreAt + n));
        scoreAt += n;
    }
    at += n;
    dict.set(key, value);
    const when = expireTimes[i];
    if (when === when) expires.set(key, when); // NaN: no expire
  }
  return count;
}

/** The strings of a batch (see RdbLoadBatch.text). */
function unpackStrings(text: Uint8Array, ends: Uint32Array): string[] {
  const strings = new Array<string>(ends.length);
  let start = 0;
  for (let k = 0; k < ends.length; k++) {
    const end = ends[k];
    strings[k] = bytesToString(text, start, end);
    start = end;
  }
  return strings;
}

/** One empty dict and expires table per db of `keyspace`. */
function freshMaps(keyspace: Keyspace): {
  dicts: KeyTable<StoredValue>[];
  expires: KeyTable<number>[];
} {
  return {
    dicts: keyspace.dbs.map(() => new KeyTable<StoredValue>()),
    expires: keyspace.dbs.map(() => new KeyTable<number>()),
  };
}

/** Replaces every db's contents with the loaded maps (the old data goes through beforeFlush). */
function install(
  keyspace: Keyspace,
  dicts: KeyTable<StoredValue>[],
  expires: KeyTable<number>[],
): void {
  for (const db of keyspace.dbs) {
    keyspace.hooks.beforeFlush(db);
    db.dict = dicts[db.id];
    db.expires = expires[db.id];
    db.avgTtl = 0;
  }
}

/** rdbLoadRio's lines about where the file came from. */
function announce(aux: RdbAuxInfo): void {
  if (aux.redisVer !== undefined) log.notice(`Loading RDB produced by version ${aux.redisVer}`);
  if (aux.ctime !== undefined) {
    const age = Math.max(0, Math.floor(Date.now() / 1000) - aux.ctime);
    log.notice(`RDB age ${age} seconds`);
  }
  if (aux.usedMem !== undefined) {
    log.notice(`RDB memory usage when created ${(aux.usedMem / 1024 / 1024).toFixed(2)} Mb`);
  }
  if (aux.aofBase) log.notice("RDB is base AOF");
}

/** Reads `path`, or undefined when there is no such file. */
export async function readRdbFile(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * Removes `temp-<pid>.rdb` files left by a process that died mid-save (their
 * pid is not running), as the next start-up should.
 */
export async function removeStaleTempFiles(dir = "."): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const match = /^temp-(\d+)(\.\d+)?\.rdb$/.exec(entry.name);
    if (!match || !entry.isFile) continue;
    const pid = Number(match[1]);
    if (pid === Deno.pid || await processAlive(pid)) continue;
    try {
      await Deno.remove(`${dir}/${entry.name}`);
      log.notice(`Removed stale temp RDB file ${entry.name}`);
    } catch {
      // gone already
    }
  }
}

async function processAlive(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
