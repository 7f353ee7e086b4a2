/**
 * Loading an RDB into the keyspace: at start-up, after a replica's full
 * sync, and for DEBUG RELOAD. The whole file is decoded into fresh maps
 * before anything is installed, so a bad file never leaves a half-loaded
 * dataset: it is refused with the decoder's error and the old data stays.
 */
import { type RdbAuxInfo, RdbDecoder } from "./rdb_decoder.ts";
import type { Keyspace } from "../store/keyspace.ts";
import type { RedisValue } from "../store/types.ts";
import { log } from "../log.ts";

/** What a load found. */
export interface RdbLoadResult {
  keysLoaded: number;
  keysExpired: number;
  aux: RdbAuxInfo;
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
  const dicts = keyspace.dbs.map(() => new Map<string, RedisValue>());
  const expires = keyspace.dbs.map(() => new Map<string, number>());
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
  for (const db of keyspace.dbs) {
    keyspace.hooks.beforeFlush(db);
    db.dict = dicts[db.id];
    db.expires = expires[db.id];
    db.avgTtl = 0;
  }
  log.notice(`Done loading RDB, keys loaded: ${keysLoaded}, keys expired: ${keysExpired}.`);
  return { keysLoaded, keysExpired, aux: decoder.aux };
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
