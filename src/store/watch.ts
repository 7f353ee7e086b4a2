/**
 * WATCH bookkeeping (Redis's multi.c, the part that lives next to the db):
 * which clients watch which keys of which db, and marking them dirty when a
 * watched key changes. It learns about changes through the keyspace hooks
 * (`keyModified`, which also runs when expiry deletes a key, and
 * `beforeFlush` for FLUSHDB/FLUSHALL/SWAPDB), so no command has to call it.
 *
 * Store code does not know clients: a watcher is anything with a
 * `flags.dirtyCas` bit, which EXEC reads.
 *
 * @module
 */
import type { Db, Keyspace, KeyspaceHooks } from "./keyspace.ts";

/** What WATCH marks: the client's CLIENT_DIRTY_CAS bit. */
export interface Watcher {
  flags: { dirtyCas: boolean };
}

/** One watched key of one client (Redis's watchedKey). */
interface WatchedKey {
  watcher: Watcher;
  db: Db;
  key: string;
  /** The key was already logically expired when WATCH ran (Redis 7.0's wk->expired). */
  expired: boolean;
  /**
   * The key's db was flushed or swapped while the key was absent from it:
   * EXEC checks whether a swap brought the key in (touchAllWatchedKeysInDb's
   * `replaced_with` case, which the beforeFlush hook cannot see).
   */
  recheck: boolean;
}

/** Per-keyspace index: db → key → the watchers of that key, in WATCH order. */
class WatchIndex implements KeyspaceHooks {
  readonly byDb = new Map<Db, Map<string, WatchedKey[]>>();

  beforeWrite(): void {}

  keyExpired(): void {}

  /** Redis's touchWatchedKey. */
  keyModified(db: Db, key: string): void {
    if (this.byDb.size === 0) return;
    const list = this.byDb.get(db)?.get(key);
    if (list === undefined) return;
    for (const wk of [...list]) {
      if (wk.expired) {
        // Watched while already expired: its deletion is no logical change.
        if (!db.dict.has(key)) {
          wk.expired = false;
          continue;
        }
      }
      wk.watcher.flags.dirtyCas = true;
      // A dirty client has nothing left to learn from its watched keys.
      unwatchAllKeys(wk.watcher);
    }
  }

  /** Redis's touchAllWatchedKeysInDb, before the db is emptied or swapped. */
  beforeFlush(db: Db): void {
    const keys = this.byDb.get(db);
    if (keys === undefined) return;
    for (const [key, list] of keys) {
      const exists = db.dict.has(key);
      for (const wk of list) {
        if (!exists) {
          wk.recheck = true;
        } else if (wk.expired) {
          // An expired key now deleted: no logical change.
          wk.expired = false;
        } else {
          wk.watcher.flags.dirtyCas = true;
        }
      }
    }
  }
}

const indexes = new WeakMap<Keyspace, WatchIndex>();
const watchedByWatcher = new WeakMap<Watcher, WatchedKey[]>();

function indexFor(keyspace: Keyspace): WatchIndex {
  let index = indexes.get(keyspace);
  if (index === undefined) {
    index = new WatchIndex();
    indexes.set(keyspace, index);
    keyspace.hooks.add(index);
  }
  return index;
}

/** Whether `key` has a TTL in the past (Redis's keyIsExpired; no deletion). */
export function keyIsExpired(db: Db, key: string): boolean {
  const when = db.expires.get(key);
  return when !== undefined && db.keyspace.now() > when;
}

/** WATCH one key of `db` for `watcher` (Redis's watchForKey); watching twice is a no-op. */
export function watchKey(watcher: Watcher, db: Db, key: string): void {
  let mine = watchedByWatcher.get(watcher);
  if (mine === undefined) {
    mine = [];
    watchedByWatcher.set(watcher, mine);
  }
  for (const wk of mine) if (wk.db === db && wk.key === key) return;
  const index = indexFor(db.keyspace);
  let keys = index.byDb.get(db);
  if (keys === undefined) {
    keys = new Map();
    index.byDb.set(db, keys);
  }
  let list = keys.get(key);
  if (list === undefined) {
    list = [];
    keys.set(key, list);
  }
  const wk: WatchedKey = { watcher, db, key, expired: keyIsExpired(db, key), recheck: false };
  list.push(wk);
  mine.push(wk);
}

/** Forgets every key `watcher` watches (Redis's unwatchAllKeys); leaves dirtyCas alone. */
export function unwatchAllKeys(watcher: Watcher): void {
  const mine = watchedByWatcher.get(watcher);
  if (mine === undefined || mine.length === 0) return;
  watchedByWatcher.delete(watcher);
  for (const wk of mine) {
    const index = indexes.get(wk.db.keyspace);
    const keys = index?.byDb.get(wk.db);
    const list = keys?.get(wk.key);
    if (list === undefined) continue;
    const i = list.indexOf(wk);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) {
      keys!.delete(wk.key);
      if (keys!.size === 0) index!.byDb.delete(wk.db);
    }
  }
}

/** How many keys `watcher` watches (CLIENT LIST's `watch=` in later versions). */
export function watchedKeyCount(watcher: Watcher): number {
  return watchedByWatcher.get(watcher)?.length ?? 0;
}

/**
 * What EXEC checks besides `dirtyCas`: a watched key that expired since WATCH
 * (isWatchedKeyExpired), or one a SWAPDB brought into a db where it was
 * absent. Returns true when the transaction must abort.
 */
export function watchedKeysChanged(watcher: Watcher): boolean {
  const mine = watchedByWatcher.get(watcher);
  if (mine === undefined) return false;
  for (const wk of mine) {
    if (wk.recheck && wk.db.dict.has(wk.key)) {
      // A live key swapped in changes what EXEC would see; an expired one does not.
      if (!keyIsExpired(wk.db, wk.key)) return true;
      continue;
    }
    if (!wk.expired && keyIsExpired(wk.db, wk.key)) return true;
  }
  return false;
}
