/**
 * RDB persistence on the master side of the disk: BGSAVE, SAVE, LASTSAVE,
 * `save` points, the final save at shutdown, and INFO persistence's rdb_*
 * fields. Every save is a `Snapshot` (point-in-time, walked in slices on the
 * main thread) whose batches a worker encodes, writes to `temp-<pid>.rdb`,
 * fsyncs and renames over `dir/dbfilename` (src/persistence/snapshot_pipe.ts).
 *
 * One running snapshot serves several consumers: a BGSAVE that arrives while a
 * save is running, and replicas asking for a full sync, all wait on the same
 * job (DESIGN decision 4).
 */
import type { RdbAuxFields, RdbEncoderOptions } from "./rdb_encoder.ts";
import { Snapshot } from "./snapshot.ts";
import { BatchSnapshotEncoder, type SnapshotBatch } from "./snapshot_batch.ts";
import {
  type SnapshotOutcome,
  SnapshotPipe,
  type SnapshotPipeOptions,
  stopSnapshotWorkers,
} from "./snapshot_pipe.ts";
import type { Server } from "../server.ts";
import { log } from "../log.ts";
import { usedMemory } from "../util/system.ts";

/** Seconds to wait after a failed BGSAVE before a save point may try again (CONFIG_BGSAVE_RETRY_DELAY). */
export const BGSAVE_RETRY_DELAY_SECONDS = 5;

/** Why a save started: it decides the log lines. */
export type SaveReason = "user" | "savepoint" | "sync" | "shutdown" | "foreground";

/** A save that is running or has finished. */
export interface SaveJob {
  readonly snapshot: Snapshot<SnapshotBatch>;
  readonly startedAt: number;
  /** The replication offset when the snapshot started (a full sync continues from here). */
  readonly replOffset: number;
  /** The replication id when the snapshot started. */
  readonly replId: string;
  /** The final file. */
  readonly path: string;
  /** The temp file it is written to first, relative to `dir` (the working directory). */
  readonly tempName: string;
  /** Resolves true when the file is on disk (renamed and fsynced). */
  readonly done: Promise<boolean>;
}

/** What the replication layer tells a snapshot about the stream (the repl-* aux fields). */
export interface ReplicationPosition {
  id: string;
  offset: number;
  streamDb: number;
  /** False when there is nothing worth saving (Redis's rdbPopulateSaveInfo returned NULL). */
  saveInfo: boolean;
}

/** RDB saving state and commands' backend. */
export class RdbSaver {
  lastSave = Math.floor(Date.now() / 1000);
  lastBgsaveOk = true;
  lastBgsaveTimeSec = -1;
  lastBgsaveTry = 0;
  saves = 0;
  lastCowBytes = 0;
  /** `server.dirty` when the last successful save started (rdb_changes_since_last_save). */
  dirtyAtLastSave = 0;
  lastLoadKeysLoaded = 0;
  lastLoadKeysExpired = 0;
  /** A BGSAVE asked for while an AOF rewrite runs (BGSAVE SCHEDULE). */
  scheduled = false;
  /**
   * Whether RDB snapshots should stop resting for clients (see
   * SnapshotOptions.hurry); replication sets it, for replicas that wait.
   */
  hurry: () => boolean = () => false;
  /** Where the replication stream stands; set by the replication layer. */
  replicationPosition: () => ReplicationPosition = () => ({
    id: "",
    offset: 0,
    streamDb: 0,
    saveInfo: false,
  });

  #server: Server;
  #job: SaveJob | undefined;

  constructor(server: Server) {
    this.#server = server;
  }

  /** The running save, if any. */
  get running(): SaveJob | undefined {
    return this.#job;
  }

  /** The file saves go to: `dir/dbfilename` (dir is the process's cwd, as Redis chdirs to it). */
  get path(): string {
    return this.#server.config.getString("dbfilename");
  }

  /** INFO's rdb_changes_since_last_save. */
  get changesSinceLastSave(): number {
    return this.#server.dirty - this.dirtyAtLastSave;
  }

  /** The server's RDB settings, for the snapshot worker's encoder. */
  #encoderOptions(): RdbEncoderOptions {
    const cfg = this.#server.config;
    return {
      compression: cfg.getBool("rdbcompression"),
      checksum: cfg.getBool("rdbchecksum"),
      hashMaxListpackEntries: cfg.getNumber("hash-max-listpack-entries"),
      hashMaxListpackValue: cfg.getNumber("hash-max-listpack-value"),
      setMaxIntsetEntries: cfg.getNumber("set-max-intset-entries"),
      zsetMaxListpackEntries: cfg.getNumber("zset-max-listpack-entries"),
      zsetMaxListpackValue: cfg.getNumber("zset-max-listpack-value"),
      listMaxListpackSize: cfg.getNumber("list-max-listpack-size"),
    };
  }

  /**
   * A snapshot of the keyspace in batch form, wired to a worker that encodes
   * it as RDB with the server's settings and `target.aux` in the header, into
   * a file and/or forwarded bytes. Every RDB snapshot (BGSAVE, full sync, AOF
   * base) is made here. Call `snapshot.start()` after. `excludeData` leaves
   * the keys out (the header and aux fields stay).
   */
  newRdbSnapshot(
    target: Omit<SnapshotPipeOptions, "options">,
    excludeData = false,
  ): { snapshot: Snapshot<SnapshotBatch>; outcome: Promise<SnapshotOutcome> } {
    const server = this.#server;
    const snapshot = new Snapshot(server.keyspace, {
      encoder: new BatchSnapshotEncoder(),
      newEncoder: () => new BatchSnapshotEncoder(),
      activity: server.servedClients,
      hurry: () => this.hurry(),
      keyDelayMs: server.config.getNumber("rdb-key-save-delay") / 1000,
      excludeData,
    });
    const pipe = new SnapshotPipe({ ...target, options: this.#encoderOptions() });
    snapshot.sinks.push(pipe.sink);
    return { snapshot, outcome: pipe.outcome };
  }

  /** The aux fields of a new snapshot. */
  auxFields(position: ReplicationPosition, aofBase = false): RdbAuxFields {
    return {
      ctime: Math.floor(Date.now() / 1000),
      usedMem: usedMemory(),
      repl: position.saveInfo
        ? { streamDb: position.streamDb, id: position.id, offset: position.offset }
        : undefined,
      aofBase,
    };
  }

  /**
   * Starts a background save, or returns the running one (its consumers
   * share it). `reason` picks the log lines.
   */
  bgsave(reason: SaveReason): SaveJob {
    if (this.#job !== undefined) return this.#job;
    const server = this.#server;
    const position = this.replicationPosition();
    const path = this.path;
    const dirtyAtStart = server.dirty;
    const startedAt = Date.now();
    this.lastBgsaveTry = startedAt;
    if (reason !== "foreground" && reason !== "shutdown") {
      log.notice(`Background saving started by pid ${Deno.pid}`);
    }
    const tempName = `temp-${Deno.pid}.rdb`;
    const { snapshot, outcome } = this.newRdbSnapshot({
      aux: this.auxFields(position),
      file: { tempPath: tempName, finalPath: path },
    });
    const job: SaveJob = {
      snapshot,
      tempName,
      startedAt,
      replOffset: position.offset,
      replId: position.id,
      path,
      done: outcome.then((result) => this.#finish(job, reason, result, dirtyAtStart)),
    };
    this.#job = job;
    server.stats.totalForks++;
    snapshot.start();
    return job;
  }

  /** Bookkeeping and Redis's log lines when a save ends. */
  #finish(
    job: SaveJob,
    reason: SaveReason,
    result: SnapshotOutcome,
    dirtyAtStart: number,
  ): boolean {
    this.#job = undefined;
    const seconds = Math.round((Date.now() - job.startedAt) / 1000);
    this.lastBgsaveTimeSec = seconds;
    this.lastCowBytes = job.snapshot.cowBytes;
    const background = reason !== "foreground" && reason !== "shutdown";
    if (result.ok) {
      this.lastBgsaveOk = true;
      this.lastSave = Math.floor(Date.now() / 1000);
      this.dirtyAtLastSave = dirtyAtStart;
      this.saves++;
      // What Redis's child process logs, attributed to role C like it.
      const prevRole = log.role;
      if (background) log.role = "C";
      log.notice("DB saved on disk");
      log.role = prevRole;
      if (background) log.notice("Background saving terminated with success");
      return true;
    }
    this.lastBgsaveOk = false;
    // rdbSave's lines, attributed to the child (role C) for a background save.
    const why = result.opening
      ? `Failed opening the temp RDB file ${job.tempName} (in server root dir ${serverRootDir()}) for saving: ${result.message}`
      : `Write error saving DB on disk: ${result.message}`;
    if (background) {
      const prevRole = log.role;
      log.role = "C";
      log.warning(why);
      log.role = prevRole;
      log.warning("Background saving error");
    } else {
      log.warning(why);
    }
    return false;
  }

  /**
   * The `save` points check of serverCron: starts a BGSAVE when enough
   * changes happened in enough time (and not too soon after a failure).
   */
  cron(nowMs: number): void {
    // One background save at a time, and never beside an AOF rewrite (as Redis's single child).
    if (this.#job !== undefined || this.#server.aofRewriteRunning()) return;
    const changes = this.changesSinceLastSave;
    if (changes === 0) return;
    const now = Math.floor(nowMs / 1000);
    for (const point of this.#server.config.savePoints()) {
      const retryOk = this.lastBgsaveOk ||
        nowMs - this.lastBgsaveTry > BGSAVE_RETRY_DELAY_SECONDS * 1000;
      if (changes >= point.changes && now - this.lastSave > point.seconds && retryOk) {
        log.notice(`${point.changes} changes in ${point.seconds} seconds. Saving...`);
        this.bgsave("savepoint");
        return;
      }
    }
  }

  /** INFO persistence's rdb_* and the fields around them, in Redis's order. */
  infoFields(): Array<[string, string | number]> {
    const job = this.#job;
    return [
      ["rdb_changes_since_last_save", this.changesSinceLastSave],
      ["rdb_bgsave_in_progress", job ? 1 : 0],
      ["rdb_last_save_time", this.lastSave],
      ["rdb_last_bgsave_status", this.lastBgsaveOk ? "ok" : "err"],
      ["rdb_last_bgsave_time_sec", this.lastBgsaveTimeSec],
      ["rdb_current_bgsave_time_sec", job ? Math.round((Date.now() - job.startedAt) / 1000) : -1],
      ["rdb_saves", this.saves],
      ["rdb_last_cow_size", this.lastCowBytes],
      ["rdb_last_load_keys_expired", this.lastLoadKeysExpired],
      ["rdb_last_load_keys_loaded", this.lastLoadKeysLoaded],
    ];
  }

  /** Stops a running save (shutdown; its worker deletes the temp file) and the idle workers. */
  close(): void {
    this.#job?.snapshot.abort("server shutting down");
    stopSnapshotWorkers();
  }
}

/** The working directory (`dir`) for the log, as Redis's getcwd, "unknown" when it fails. */
function serverRootDir(): string {
  try {
    return Deno.cwd();
  } catch {
    return "unknown";
  }
}
