/**
 * Redis 7.0's multi-part append only file: `appenddirname/` holds a manifest,
 * a base file (an RDB with `aof-base 1`, or commands when
 * aof-use-rdb-preamble is no) and incr files with every write since, in the
 * exact bytes the propagator produces (the same as the replication stream).
 *
 * Writing. The "aof" stream sink copies each propagated unit into a buffer;
 * a single writer loop hands the buffer to the incr file in order (one
 * async write per batch: everything that accumulated while the previous write
 * or fsync ran goes out together) and, with `appendfsync always`, fsyncs it.
 * With `always`, client output waits for that fsync (the output barrier in
 * src/net/client.ts): a write is acknowledged, or observed by anyone, only
 * once it is on disk; concurrent clients share fsyncs (group commit).
 * `everysec` fsyncs from the cron on a second handle so writes never queue
 * behind it; `no` leaves it to the OS.
 *
 * Rewriting (BGREWRITEAOF, auto-aof-rewrite-*, enabling the AOF, a
 * replica's full sync). Like Redis's fork, in one synchronous step: the
 * writes so far stay with the old incr file, new writes go to a new incr file
 * (or `temp-appendonly.aof.incr` while the AOF is being turned on), and a
 * point-in-time Snapshot of the keyspace starts (DESIGN decision 4). The
 * snapshot worker writes `temp-rewriteaof-<pid>.aof` and renames it to
 * `temp-rewriteaof-bg-<pid>.aof`; then the base is renamed into the
 * directory, the manifest is swapped atomically (temp file, fsync, rename,
 * directory fsync) and the replaced files are deleted.
 *
 * Loading (start-up with appendonly yes): manifest, base, incr files in
 * order; see aof_loader.ts. Redis's log lines throughout.
 */
import type { Server, ShutdownOptions } from "../server.ts";
import type { StreamSink } from "../propagator.ts";
import type { MasterLink } from "../replication/replica.ts";
import { setOutputBarrier } from "../net/client.ts";
import { encodeCommand } from "../net/resp.ts";
import { Hash } from "../store/hash.ts";
import { List } from "../store/list.ts";
import { StringSet } from "../store/set.ts";
import { ZSet } from "../store/zset.ts";
import { type StoredValue, unpacked } from "../store/packed.ts";
import { formatDouble } from "../util/numbers.ts";
import { bytesToString, latin1ToUtf8, stringToBytes } from "../util/bytes.ts";
import { log } from "../log.ts";
import { Snapshot, type SnapshotEncoder } from "./snapshot.ts";
import type { SnapshotBatch } from "./snapshot_batch.ts";
import {
  type AofInfo,
  AofManifest,
  AofManifestError,
  manifestFileName,
  tempIncrFileName,
  tempManifestFileName,
} from "./aof_manifest.ts";
import { type AofLoadStatus, aofPath, loadSingleAppendOnlyFile } from "./aof_loader.ts";
import { osErrorText } from "../util/system.ts";

/** Failed rewrites in a row after which automatic rewrites back off (AOF_REWRITE_LIMITE_THRESHOLD). */
export const AOF_REWRITE_LIMIT_THRESHOLD = 3;
/** Longest back-off between automatic rewrites, in minutes (AOF_REWRITE_LIMITE_MAX_MINUTES). */
export const AOF_REWRITE_LIMIT_MAX_MINUTES = 60;
/** Items per RPUSH/SADD/ZADD/HMSET in an AOF-format base (AOF_REWRITE_ITEMS_PER_CMD). */
export const AOF_REWRITE_ITEMS_PER_CMD = 64;
/** Seconds between two logs of the same write error (AOF_WRITE_LOG_ERROR_RATE). */
export const AOF_WRITE_LOG_ERROR_RATE = 30;
/** Tries to turn the AOF back on after a replica's full sync before giving up. */
const RESTART_AFTER_SYNC_TRIES = 10;
/** The write buffer's initial size, and the size above which an idle buffer is given back. */
const BUFFER_INITIAL = 64 * 1024;
const BUFFER_KEEP_MAX = 1024 * 1024;

/** Redis's aof_state. */
export type AofState = "off" | "on" | "wait_rewrite";

/** An incr file open for appending. */
interface IncrTarget {
  name: string;
  file: Deno.FsFile;
  /** A second handle, for everysec fsyncs that must not queue writes behind them. */
  syncFile: Deno.FsFile;
}

/** The writer queue: sealed batches for an older file, and closes. */
type WriterOp =
  | { kind: "write"; target: IncrTarget; data: Uint8Array; end: number }
  | { kind: "close"; target: IncrTarget; wait: boolean; closed: () => void };

/** A rewrite from its start until its done-handler has finished. */
interface RewriteJob {
  phase: "starting" | "snapshot" | "finishing";
  startedAt: number;
  killed: boolean;
  snapshot: BaseSnapshot | undefined;
  /** The AOF state when it started: decides what happens to the incr files at the end. */
  state: AofState;
  rdbFormat: boolean;
  /** What the worker renames its file to (Redis's child's temp-rewriteaof-bg-<pid>.aof). */
  tempBase: string;
  /** Resolves when the job is over (success, failure or kill). */
  finished: Promise<void>;
  resolveFinished: () => void;
}

/** The outcome of writing a base file. */
type BaseWriteResult = { ok: true } | { ok: false; message: string };

/** The snapshot behind a base file: batches for the worker (RDB base) or AOF bytes. */
type BaseSnapshot = Snapshot<SnapshotBatch> | Snapshot<Uint8Array>;

const aofs = new WeakMap<Server, Aof>();

/** The AOF of a server (installed by installAof). */
export function aofOf(server: Server): Aof {
  const aof = aofs.get(server);
  if (aof === undefined) throw new Error("the AOF layer is not installed");
  return aof;
}

/** Redis's allPersistenceDisabled: no save points and the AOF off. */
export function allPersistenceDisabled(server: Server): boolean {
  const aof = aofs.get(server);
  return server.config.savePoints().length === 0 && (aof === undefined || aof.state === "off");
}

/** Creates the AOF layer of `server` and wires it in: sink, cron, guard, config hooks, INFO. */
export function installAof(server: Server): Aof {
  const aof = new Aof(server);
  aofs.set(server, aof);
  aof.install();
  return aof;
}

/** Redis's AOF: state, writer, rewrite, start-up load, INFO. */
export class Aof {
  state: AofState = "off";
  manifest = new AofManifest();
  #server: Server;
  #sink: StreamSink;

  // ---- the writer ----
  #target: IncrTarget | undefined;
  #buf = new Uint8Array(BUFFER_INITIAL);
  #bufLen = 0;
  #ops: WriterOp[] = [];
  /** Bytes accepted from the propagator so far (a running total across files). */
  #accepted = 0;
  /** Bytes of `#accepted` that are written (and fsynced with appendfsync always). */
  #done = 0;
  #waiters: Array<{ offset: number; resolve: () => void }> = [];
  #draining: Promise<void> | undefined;
  #kickQueued = false;
  #curTimestamp = 0;
  /** `appendfsync` and `aof-timestamp-enabled`, kept current by config hooks (read per write). */
  #fsyncPolicy: string;
  #timestamps: boolean;

  // ---- fsync ----
  #lastFsync = Date.now();
  #dirtySinceFsync = false;
  #fsyncInFlight: Promise<void> | undefined;
  #bioFsyncError: string | undefined;

  // ---- INFO and bookkeeping (Redis's server.aof_* fields) ----
  #currentSize = 0;
  #rewriteBaseSize = 0;
  #lastIncrSize = 0;
  #scheduled = false;
  #rewrite: RewriteJob | undefined;
  #rewrites = 0;
  #consecutiveFailures = 0;
  #lastBgrewriteOk = true;
  #lastRewriteTimeSec = -1;
  #lastCowBytes = 0;
  #lastWriteOk = true;
  #lastWriteError = "";
  #lastWriteErrorLog = 0;
  #lastWriteRetry = 0;
  #delayedFsync = 0;
  #limitDelayMinutes = 0;
  #limitNextRewrite = 0;

  constructor(server: Server) {
    this.#server = server;
    this.#fsyncPolicy = server.config.getString("appendfsync");
    this.#timestamps = server.config.getBool("aof-timestamp-enabled");
    this.#sink = {
      kind: "aof",
      selectedDb: -1,
      write: (bytes) => this.#append(bytes),
    };
  }

  // ---------------------------------------------------------------------------
  // Wiring
  // ---------------------------------------------------------------------------

  /** Cron, MISCONF guard, CONFIG SET appendonly, the output barrier, BGSAVE's view, INFO. */
  install(): void {
    const server = this.#server;
    server.cronJobs.push((now) => this.cron(now));
    server.guards.push((client, cmd) => {
      if (this.state === "off" || client.flags.master) return undefined;
      const error = !this.#lastWriteOk ? this.#lastWriteError : this.#bioFsyncError;
      if (error === undefined) return undefined;
      if (!cmd.flags.includes("write") && cmd.name !== "ping") return undefined;
      return `MISCONF Errors writing to the AOF file: ${error}`;
    });
    server.config.onChange("appendfsync", (value) => this.#fsyncPolicy = value);
    server.config.onChange("aof-timestamp-enabled", (value) => this.#timestamps = value === "yes");
    server.config.onChange("appendonly", (value) => {
      if (value === "yes") void this.start();
      else void this.stop();
    });
    setOutputBarrier(server, () => this.barrier());
    server.aofRewriteRunning = () => this.#rewrite !== undefined;
    server.aofInfoFields = () => this.infoFields();
  }

  /** A replica rewrites its AOF after each full sync (Redis's restartAOFAfterSYNC). */
  attachToLink(link: MasterLink): void {
    link.afterFullSync.push(() => this.restartAfterSync());
  }

  get #cfg(): Server["config"] {
    return this.#server.config;
  }

  get #dirName(): string {
    return this.#cfg.getString("appenddirname");
  }

  get #fileName(): string {
    return this.#cfg.getString("appendfilename");
  }

  /** Whether a rewrite is running (BGSAVE refuses to start then). */
  get rewriteRunning(): boolean {
    return this.#rewrite !== undefined;
  }

  // ---------------------------------------------------------------------------
  // The writer
  // ---------------------------------------------------------------------------

  /** The "aof" sink: one propagation unit (Redis's feedAppendOnlyFile). */
  #append(bytes: Uint8Array): void {
    let annotation = "";
    if (this.#timestamps) {
      const now = Math.floor(Date.now() / 1000);
      if (this.#curTimestamp < now) {
        this.#curTimestamp = now;
        annotation = `#TS:${now}\r\n`;
      }
    }
    // Turning the AOF on: until the rewrite starts, writes are in the snapshot it will take.
    if (this.#target === undefined) return;
    const n = annotation.length + bytes.length;
    this.#reserve(n);
    for (let i = 0; i < annotation.length; i++) {
      this.#buf[this.#bufLen++] = annotation.charCodeAt(i);
    }
    this.#buf.set(bytes, this.#bufLen);
    this.#bufLen += bytes.length;
    this.#accepted += n;
    if (this.#draining === undefined && !this.#kickQueued) {
      // After the current batch of commands: one write for all of them.
      this.#kickQueued = true;
      queueMicrotask(() => {
        this.#kickQueued = false;
        this.#kick();
      });
    }
  }

  #reserve(n: number): void {
    const need = this.#bufLen + n;
    if (need <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#bufLen));
    this.#buf = next;
  }

  #takeBuffer(): Uint8Array {
    const data = this.#buf.slice(0, this.#bufLen);
    this.#bufLen = 0;
    if (this.#buf.length > BUFFER_KEEP_MAX) this.#buf = new Uint8Array(BUFFER_INITIAL);
    return data;
  }

  /** Starts the writer loop unless it runs. */
  #kick(): void {
    if (this.#draining !== undefined) return;
    // `finally` runs after the assignment even when the loop has nothing to do.
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      // Bytes that arrived between the loop's last look and now.
      if (this.#lastWriteOk && this.#hasWork()) this.#kick();
    });
  }

  #hasWork(): boolean {
    return this.#ops.length > 0 || (this.#bufLen > 0 && this.#target !== undefined);
  }

  /** The single writer: ops in order, then whatever the buffer holds, until both are empty. */
  async #drain(): Promise<void> {
    while (true) {
      let op = this.#ops.shift();
      if (op === undefined) {
        if (this.#bufLen === 0 || this.#target === undefined) return;
        op = { kind: "write", target: this.#target, data: this.#takeBuffer(), end: this.#accepted };
      }
      if (op.kind === "close") {
        await this.#closeFile(op);
      } else if (!(await this.#write(op))) {
        return;
      }
    }
  }

  /** Writes one batch (Redis's flushAppendOnlyFile); false when the write failed. */
  async #write(op: Extract<WriterOp, { kind: "write" }>): Promise<boolean> {
    let written = 0;
    try {
      while (written < op.data.length) {
        written += await op.target.file.write(op.data.subarray(written));
      }
    } catch (err) {
      this.#countWritten(op.target, written);
      this.#writeFailed(err);
      // Keep the rest for the next try; replies are not held back (Redis answers, then refuses writes).
      this.#ops.unshift({ ...op, data: op.data.subarray(written) });
      this.#markDone(op.end);
      return false;
    }
    this.#countWritten(op.target, written);
    if (!this.#lastWriteOk) {
      log.warning("AOF write error looks solved, Redis can write again.");
      this.#lastWriteOk = true;
    }
    if (this.#fsyncPolicy === "always" && !this.#fsyncPausedByRewrite()) {
      try {
        await op.target.file.syncData();
      } catch (err) {
        log.warning(
          `Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${
            osErrorText(err)
          }. Exiting...`,
        );
        Deno.exit(1);
      }
      this.#lastFsync = Date.now();
      if (op.target === this.#target) this.#dirtySinceFsync = false;
    }
    this.#markDone(op.end);
    return true;
  }

  #countWritten(target: IncrTarget, n: number): void {
    this.#currentSize += n;
    if (target === this.#target) {
      this.#lastIncrSize += n;
      if (n > 0) this.#dirtySinceFsync = true;
    }
  }

  #writeFailed(err: unknown): void {
    const message = osErrorText(err);
    if (this.#fsyncPolicy === "always") {
      log.warning(`Error writing to the AOF file: ${message}`);
      // The reply may already be observable elsewhere and the write cannot be undone.
      log.warning(
        "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...",
      );
      Deno.exit(1);
    }
    const now = Date.now();
    if (now - this.#lastWriteErrorLog > AOF_WRITE_LOG_ERROR_RATE * 1000) {
      this.#lastWriteErrorLog = now;
      log.warning(`Error writing to the AOF file: ${message}`);
    }
    this.#lastWriteOk = false;
    this.#lastWriteError = message;
  }

  /** no-appendfsync-on-rewrite: no fsync while a snapshot writes to the disk. */
  #fsyncPausedByRewrite(): boolean {
    return this.#cfg.getBool("no-appendfsync-on-rewrite") &&
      (this.#rewrite !== undefined || this.#server.rdb.running !== undefined);
  }

  #markDone(end: number): void {
    if (end > this.#done) this.#done = end;
    let i = 0;
    while (i < this.#waiters.length && this.#waiters[i].offset <= this.#done) {
      this.#waiters[i++].resolve();
    }
    if (i > 0) this.#waiters.splice(0, i);
  }

  /**
   * What client output waits for. With appendfsync always: undefined when
   * every write accepted so far is fsynced, else a promise for that, so a
   * write is acknowledged (or observed) only once it is on disk. With
   * everysec and no, replies do not wait: the write follows within a moment
   * and those policies promise up to a second of loss anyway.
   */
  barrier(): Promise<void> | undefined {
    if (this.#fsyncPolicy !== "always") return undefined;
    return this.#whenDone();
  }

  /** Undefined when everything accepted so far is done, else a promise for it. */
  #whenDone(): Promise<void> | undefined {
    if (this.#done >= this.#accepted) return undefined;
    const offset = this.#accepted;
    return new Promise((resolve) => this.#waiters.push({ offset, resolve }));
  }

  /**
   * Sends new writes to `next` (or nowhere): what the old file has buffered is
   * written to it, then it is fsynced and closed (in the background unless
   * `wait`). Resolves when the old file is closed.
   */
  #switchTarget(next: IncrTarget | undefined, wait: boolean): Promise<void> {
    const old = this.#target;
    let closed: Promise<void> = Promise.resolve();
    if (old !== undefined) {
      if (this.#bufLen > 0) {
        this.#ops.push({
          kind: "write",
          target: old,
          data: this.#takeBuffer(),
          end: this.#accepted,
        });
      }
      closed = new Promise((resolve) =>
        this.#ops.push({ kind: "close", target: old, wait, closed: resolve })
      );
    }
    this.#target = next;
    this.#dirtySinceFsync = false;
    this.#kick();
    return closed;
  }

  /** fsync and close a file that no longer gets writes (Redis's aof_background_fsync_and_close). */
  async #closeFile(op: Extract<WriterOp, { kind: "close" }>): Promise<void> {
    const finish = async () => {
      await this.#fsyncInFlight;
      try {
        await op.target.file.syncData();
      } catch (err) {
        log.warning(`Fail to fsync the AOF file: ${osErrorText(err)}.`);
      }
      closeQuietly(op.target.file);
      closeQuietly(op.target.syncFile);
      op.closed();
    };
    if (op.wait) await finish();
    else void finish();
  }

  /** The everysec fsync, on the second handle (Redis's aof_background_fsync in a bio thread). */
  #backgroundFsync(): void {
    const target = this.#target;
    if (target === undefined || this.#fsyncInFlight !== undefined) return;
    this.#dirtySinceFsync = false;
    this.#lastFsync = Date.now();
    this.#fsyncInFlight = target.syncFile.syncData().then(
      () => {
        this.#bioFsyncError = undefined;
      },
      (err) => {
        const message = osErrorText(err);
        if (this.#bioFsyncError === undefined) {
          log.warning(`Fail to fsync the AOF file: ${message}`);
        }
        this.#bioFsyncError = message;
        this.#dirtySinceFsync = true;
      },
    ).finally(() => this.#fsyncInFlight = undefined);
  }

  /** Everything accepted so far written, then the current file fsynced (shutdown). */
  async #flushAndFsync(): Promise<void> {
    this.#kick();
    const pending = this.#whenDone();
    if (pending !== undefined) await pending;
    await this.#draining;
    const target = this.#target;
    if (target === undefined) return;
    await this.#fsyncInFlight;
    try {
      await target.file.syncData();
      this.#dirtySinceFsync = false;
      this.#lastFsync = Date.now();
    } catch (err) {
      log.warning(`Fail to fsync the AOF file: ${osErrorText(err)}.`);
    }
  }

  /** Opens an incr file: for appending at start-up, truncated for a rewrite. */
  async #openIncr(name: string, truncate: boolean): Promise<IncrTarget> {
    const path = aofPath(this.#dirName, name);
    const file = await Deno.open(
      path,
      truncate ? { write: true, create: true, truncate: true } : { append: true, create: true },
    );
    try {
      const syncFile = await Deno.open(path, { read: true });
      return { name, file, syncFile };
    } catch (err) {
      closeQuietly(file);
      throw err;
    }
  }

  // ---------------------------------------------------------------------------
  // Manifest on disk
  // ---------------------------------------------------------------------------

  /**
   * Redis's persistAofManifest: write the temp manifest, fsync, rename over
   * the manifest, fsync the directory. Logs and returns false on failure.
   */
  async #persistManifest(am: AofManifest): Promise<boolean> {
    if (!am.dirty) return true;
    const dir = this.#dirName;
    const name = manifestFileName(this.#fileName);
    const tmpName = tempManifestFileName(this.#fileName);
    const tmpPath = aofPath(dir, tmpName);
    const path = aofPath(dir, name);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(tmpPath, { write: true, create: true, truncate: true });
    } catch (err) {
      log.warning(`Can't open the AOF manifest file ${tmpName}: ${osErrorText(err)}`);
      return false;
    }
    try {
      try {
        await writeAll(file, stringToBytes(am.format()));
      } catch (err) {
        log.warning(
          `Error trying to write the temporary AOF manifest file ${tmpName}: ${osErrorText(err)}`,
        );
        return false;
      }
      try {
        await file.sync();
      } catch (err) {
        log.warning(`Fail to fsync the temp AOF file ${tmpName}: ${osErrorText(err)}.`);
        return false;
      }
    } finally {
      closeQuietly(file);
    }
    try {
      await Deno.rename(tmpPath, path);
    } catch (err) {
      log.warning(
        `Error trying to rename the temporary AOF manifest file ${tmpName} into ${name}: ${
          osErrorText(err)
        }`,
      );
      return false;
    }
    try {
      await syncDirectory(latin1ToUtf8(dir));
    } catch (err) {
      log.warning(`Fail to fsync AOF directory ${dir}/${name}: ${osErrorText(err)}.`);
      return false;
    }
    am.dirty = false;
    return true;
  }

  /** Redis's aofDelHistoryFiles: deletes the history files and drops them from the manifest. */
  async deleteHistoryFiles(): Promise<boolean> {
    const am = this.manifest;
    if (this.#cfg.getBool("aof-disable-auto-gc") || am.history.length === 0) return true;
    for (const ai of am.history) {
      log.notice(`Removing the history file ${ai.fileName} in the background`);
      Deno.remove(aofPath(this.#dirName, ai.fileName)).catch(() => {});
    }
    am.history = [];
    am.dirty = true;
    return await this.#persistManifest(am);
  }

  // ---------------------------------------------------------------------------
  // Start-up
  // ---------------------------------------------------------------------------

  /** Redis's aofLoadManifestFromDisk (also with appendonly no: a later rewrite continues its sequence). */
  async loadManifestAtStartup(): Promise<void> {
    this.manifest = new AofManifest();
    const dir = this.#dirName;
    if (!(await isDirectory(latin1ToUtf8(dir)))) {
      log.debug(`The AOF directory ${dir} doesn't exist`);
      return;
    }
    const name = manifestFileName(this.#fileName);
    const path = aofPath(dir, name);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        log.debug(`The AOF manifest file ${name} doesn't exist`);
        return;
      }
      log.warning(
        `Fatal error: can't open the AOF manifest file ${dir}/${name} for reading: ${
          osErrorText(err)
        }`,
      );
      Deno.exit(1);
    }
    try {
      this.manifest = AofManifest.parse(bytesToString(bytes));
    } catch (err) {
      if (!(err instanceof AofManifestError)) throw err;
      log.warning("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
      if (err.line !== undefined) {
        log.warning(`Reading the manifest file, at line ${err.lineNumber}\n`);
        log.warning(`>>> '${err.line}'\n`);
      }
      log.warning(`${err.message}\n`);
      Deno.exit(1);
    }
  }

  /**
   * DEBUG LOADAOF's part (debug.c): what is buffered goes to disk, the
   * dataset is emptied, and the manifest and its files are read again.
   * Tells whether they loaded (completely, or an empty AOF).
   */
  async reload(): Promise<boolean> {
    if (this.state === "on") await this.#flushAndFsync();
    for (const db of this.#server.keyspace.dbs) db.flush();
    await this.loadManifestAtStartup();
    await this.deleteHistoryFiles();
    const status = await this.#loadAppendOnlyFiles(this.manifest);
    return status === "ok" || status === "empty";
  }

  /** With appendonly yes, start-up loads the AOF instead of the RDB (Redis's loadDataFromDisk). */
  async loadAtStartup(): Promise<void> {
    this.state = "on";
    const start = performance.now();
    const status = await this.#loadAppendOnlyFiles(this.manifest);
    if (status === "failed" || status === "open_err") Deno.exit(1);
    if (status !== "not_exist") {
      log.notice(
        `DB loaded from append only file: ${
          ((performance.now() - start) / 1000).toFixed(3)
        } seconds`,
      );
    }
  }

  /** Redis's loadAppendOnlyFiles. */
  async #loadAppendOnlyFiles(am: AofManifest): Promise<AofLoadStatus> {
    const dir = this.#dirName;
    const fileName = this.#fileName;
    // An appendonly.aof next to the directory: an AOF from before Redis 7, moved in as the base.
    if (await fileExists(latin1ToUtf8(fileName))) {
      if (
        !(await isDirectory(latin1ToUtf8(dir))) || am.isEmpty ||
        (am.base !== undefined && am.incr.length === 0 && am.base.fileName === fileName &&
          !(await fileExists(aofPath(dir, fileName))))
      ) {
        await this.#upgradePrepare(am);
      }
    }
    if (am.isEmpty) return "not_exist";

    const files = am.loadOrder;
    let totalSize = 0;
    let baseSize = 0;
    for (const ai of files) {
      try {
        const size = (await Deno.stat(aofPath(dir, ai.fileName))).size;
        if (ai === am.base) baseSize = size;
        totalSize += size;
      } catch (err) {
        log.warning(
          `Unable to obtain the AOF file ${ai.fileName} length. stat: ${osErrorText(err)}`,
        );
        // A file of the manifest missing from the disk is fatal.
        return err instanceof Deno.errors.NotFound ? "failed" : "open_err";
      }
    }
    if (totalSize === 0) return "empty";

    let status: AofLoadStatus = "ok";
    for (let i = 0; i < files.length; i++) {
      const ai: AofInfo = files[i];
      const isBase = ai === am.base;
      const lastFile = i === files.length - 1;
      const start = performance.now();
      status = await loadSingleAppendOnlyFile(this.#server, {
        dirName: dir,
        fileName: ai.fileName,
        oldStyleName: fileName,
        loadTruncated: this.#cfg.getBool("aof-load-truncated"),
        verifyChecksum: this.#cfg.getBool("rdbchecksum"),
      });
      if (status === "ok" || (status === "truncated" && lastFile)) {
        log.notice(
          `DB loaded from ${isBase ? "base" : "incr"} file ${ai.fileName}: ${
            ((performance.now() - start) / 1000).toFixed(3)
          } seconds`,
        );
      }
      // Some file has data (totalSize > 0), so an empty incr file is fine.
      if (!isBase && status === "empty") status = "ok";
      if (status === "truncated" && !lastFile) {
        status = "failed";
        log.warning("Fatal error: the truncated file is not the last file");
      }
      if (status === "open_err" || status === "failed") return status;
    }
    this.#currentSize = totalSize;
    // Not persisted anywhere, so the base's size stands for it until the next rewrite.
    this.#rewriteBaseSize = baseSize;
    return status;
  }

  /** Redis's aofUpgradePrepare: an old-style appendonly.aof becomes the base of a new directory. */
  async #upgradePrepare(am: AofManifest): Promise<void> {
    const dir = this.#dirName;
    const fileName = this.#fileName;
    try {
      await Deno.mkdir(latin1ToUtf8(dir), { recursive: true });
    } catch (err) {
      log.warning(`Can't open or create append-only dir ${dir}: ${osErrorText(err)}`);
      Deno.exit(1);
    }
    am.base = { fileName, fileSeq: 1, fileType: "b" };
    am.currBaseSeq = 1;
    am.dirty = true;
    if (!(await this.#persistManifest(am))) Deno.exit(1);
    try {
      await Deno.rename(latin1ToUtf8(fileName), aofPath(dir, fileName));
    } catch (err) {
      log.warning(
        `Error trying to move the old AOF file ${fileName} into dir ${dir}: ${osErrorText(err)}`,
      );
      Deno.exit(1);
    }
    log.notice(
      `Successfully migrated an old-style AOF file (${fileName}) into the AOF directory (${dir}).`,
    );
  }

  /**
   * Redis's aofOpenIfNeededOnServerStart: with the AOF on, creates a base
   * for an empty directory, opens (or creates) the last incr file and
   * persists the manifest. Exits the process when any of it fails.
   */
  async openAtStartup(): Promise<void> {
    if (this.state !== "on") return;
    const dir = this.#dirName;
    const fileName = this.#fileName;
    const am = this.manifest;
    try {
      await Deno.mkdir(latin1ToUtf8(dir), { recursive: true });
    } catch (err) {
      log.warning(`Can't open or create append-only dir ${dir}: ${osErrorText(err)}`);
      Deno.exit(1);
    }
    if (am.isEmpty) {
      const rdbFormat = this.#cfg.getBool("aof-use-rdb-preamble");
      const baseName = am.newBaseFileName(fileName, rdbFormat);
      // Redis's rewriteAppendOnlyFile in the foreground: the dataset, usually empty.
      const { snapshot, done } = await this.#startBaseWrite(rdbFormat, aofPath(dir, baseName));
      snapshot.start();
      const result = await done;
      if (!result.ok) {
        log.warning(`Write error writing append only file on disk: ${result.message}`);
        Deno.exit(1);
      }
      log.notice(`Creating AOF base file ${baseName} on server start`);
    }
    const hadIncr = am.incr.length > 0;
    const name = am.lastIncrFileName(fileName);
    let target: IncrTarget;
    try {
      target = await this.#openIncr(name, false);
    } catch (err) {
      log.warning(`Can't open the append-only file ${name}: ${osErrorText(err)}`);
      Deno.exit(1);
    }
    if (!(await this.#persistManifest(am))) Deno.exit(1);
    try {
      this.#lastIncrSize = (await Deno.stat(aofPath(dir, name))).size;
    } catch (err) {
      log.warning(`Unable to obtain the AOF file ${name} length. stat: ${osErrorText(err)}`);
      this.#lastIncrSize = 0;
    }
    log.notice(`${hadIncr ? "Opening" : "Creating"} AOF incr file ${name} on server start`);
    this.#target = target;
    this.#sink.selectedDb = -1;
    this.#server.propagator.addSink(this.#sink);
  }

  // ---------------------------------------------------------------------------
  // Turning the AOF on and off
  // ---------------------------------------------------------------------------

  /**
   * Redis's startAppendOnly (CONFIG SET appendonly yes, a replica after a
   * full sync): the AOF is created by a rewrite; writes go to the temp incr
   * file meanwhile. Resolves false when the rewrite could not start.
   */
  async start(): Promise<boolean> {
    if (this.state !== "off") return true;
    const server = this.#server;
    this.state = "wait_rewrite";
    this.#sink.selectedDb = -1;
    if (!server.propagator.sinks.includes(this.#sink)) server.propagator.addSink(this.#sink);
    this.#lastFsync = Date.now();
    if (this.#bioFsyncError !== undefined) {
      log.warning("AOF reopen, just ignore the AOF fsync error in bio job");
      this.#bioFsyncError = undefined;
    }
    if (!this.#lastWriteOk) {
      log.warning("AOF reopen, just ignore the last error.");
      this.#lastWriteOk = true;
    }
    if (server.rdb.running !== undefined) {
      this.#scheduled = true;
      log.warning(
        "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.",
      );
      return true;
    }
    if (this.#rewrite !== undefined) {
      log.warning(
        "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.",
      );
      if (!this.#killRewrite()) {
        // Its done-handler is renaming files: start ours as soon as it is over.
        this.#scheduled = true;
        return true;
      }
    }
    if (await this.startRewrite()) return true;
    if (this.state === "wait_rewrite") {
      this.state = "off";
      server.propagator.removeSink(this.#sink);
    }
    log.warning(
      "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.",
    );
    return false;
  }

  /** Redis's stopAppendOnly (CONFIG SET appendonly no): flush, fsync, close; a rewrite is killed. */
  stop(): Promise<void> {
    if (this.state === "off") return Promise.resolve();
    const closed = this.#switchTarget(undefined, true);
    this.state = "off";
    this.#server.propagator.removeSink(this.#sink);
    this.#sink.selectedDb = -1;
    this.#scheduled = false;
    this.#lastIncrSize = 0;
    this.#killRewrite();
    return closed;
  }

  /**
   * After a replica's full sync the dataset was replaced: the AOF is turned
   * off and on again, which rewrites it (Redis's restartAOFAfterSYNC).
   */
  async restartAfterSync(): Promise<void> {
    if (!this.#cfg.getBool("appendonly")) return;
    if (this.state !== "off") await this.stop();
    for (let tries = 0; tries < RESTART_AFTER_SYNC_TRIES; tries++) {
      if (await this.start()) return;
      log.warning(
        "Failed enabling the AOF after successful master synchronization! Trying it again in one second.",
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    log.warning(
      "FATAL: this replica instance finished the synchronization with its master, but the AOF can't be turned on. Exiting now.",
    );
    Deno.exit(1);
  }

  /** The AOF's part of Redis's prepareForShutdown; false refuses the shutdown. */
  async prepareForShutdown(opts: ShutdownOptions): Promise<boolean> {
    const job = this.#rewrite;
    if (job !== undefined) {
      // Without its first rewrite the AOF does not hold the dataset yet.
      if (this.state === "wait_rewrite") {
        if (opts.force) {
          log.warning("Writing initial AOF. Exit anyway.");
        } else {
          log.warning("Writing initial AOF, can't exit.");
          return false;
        }
      }
      log.warning("There is a child rewriting the AOF. Killing it!");
      if (!this.#killRewrite()) await job.finished;
    }
    if (this.state !== "off") {
      log.notice("Calling fsync() on the AOF file.");
      await this.#flushAndFsync();
    }
    return true;
  }

  // ---------------------------------------------------------------------------
  // Rewrite
  // ---------------------------------------------------------------------------

  /** BGREWRITEAOF while another background save runs: start when it ends. */
  scheduleRewrite(): void {
    this.#scheduled = true;
    // A manual request resets the back-off so it runs at once.
    this.#consecutiveFailures = 0;
  }

  /**
   * Redis's rewriteAppendOnlyFileBackground. Resolves true once the rewrite
   * runs: new writes go to the next incr file and the snapshot has started.
   */
  async startRewrite(): Promise<boolean> {
    const server = this.#server;
    if (this.#rewrite !== undefined || server.rdb.running !== undefined) return false;
    let resolveFinished!: () => void;
    const job: RewriteJob = {
      phase: "starting",
      startedAt: Date.now(),
      killed: false,
      snapshot: undefined,
      state: this.state,
      rdbFormat: this.#cfg.getBool("aof-use-rdb-preamble"),
      tempBase: `temp-rewriteaof-bg-${Deno.pid}.aof`,
      finished: new Promise((resolve) => resolveFinished = resolve),
      resolveFinished: () => resolveFinished(),
    };
    this.#rewrite = job;
    const fail = (): false => {
      if (this.#rewrite === job) this.#rewrite = undefined;
      this.#lastBgrewriteOk = false;
      job.resolveFinished();
      return false;
    };
    const dir = this.#dirName;
    try {
      await Deno.mkdir(latin1ToUtf8(dir), { recursive: true });
    } catch (err) {
      log.warning(`Can't open or create append-only dir ${dir}: ${osErrorText(err)}`);
      return fail();
    }

    // Redis's openNewIncrAofForAppend.
    let target: IncrTarget | undefined;
    let nextManifest: AofManifest | undefined;
    if (job.state !== "off") {
      let name: string;
      if (job.state === "wait_rewrite") {
        name = tempIncrFileName(this.#fileName);
      } else {
        nextManifest = this.manifest.clone();
        name = nextManifest.newIncrFileName(this.#fileName);
      }
      try {
        target = await this.#openIncr(name, true);
      } catch (err) {
        log.warning(`Can't open the append-only file ${name}: ${osErrorText(err)}`);
        return fail();
      }
      if (nextManifest !== undefined && !(await this.#persistManifest(nextManifest))) {
        closeIncr(target);
        return fail();
      }
      log.notice(`Creating AOF incr file ${name} on background rewrite`);
    }
    if (nextManifest !== undefined) this.manifest = nextManifest;
    if (job.killed || this.state !== job.state) {
      // Turned off meanwhile; the manifest on disk lists the (empty) new file, which is harmless.
      if (target !== undefined) closeIncr(target);
      job.resolveFinished();
      return false;
    }

    // What fork does in one step: the old incr file keeps what was written so
    // far, new writes go to the new one, and the snapshot's point in time is now.
    let snapshot: BaseSnapshot;
    let written: Promise<BaseWriteResult>;
    try {
      ({ snapshot, done: written } = await this.#startBaseWrite(
        job.rdbFormat,
        latin1ToUtf8(job.tempBase),
      ));
    } catch (err) {
      log.warning(`Write error writing append only file on disk: ${osErrorText(err)}`);
      if (target !== undefined) closeIncr(target);
      return fail();
    }
    if (job.killed || this.state !== job.state) {
      snapshot.abort("killed");
      if (target !== undefined) closeIncr(target);
      job.resolveFinished();
      return false;
    }
    if (target !== undefined) {
      void this.#switchTarget(target, false);
      this.#lastIncrSize = 0;
    }
    this.#sink.selectedDb = -1;
    this.#rewrites++;
    server.stats.totalForks++;
    job.snapshot = snapshot;
    job.phase = "snapshot";
    snapshot.start();
    log.notice(`Background append only file rewriting started by pid ${Deno.pid}`);
    this.#scheduled = false;
    written.then((result) => this.#rewriteDone(job, result)).catch((err) => {
      log.warning(`Background AOF rewrite failed: ${(err as Error)?.stack ?? err}`);
    });
    return true;
  }

  /**
   * A snapshot of the keyspace in the base file's format and the writer of
   * `temp-rewriteaof-<pid>.aof`, renamed to `finalPath` once complete and
   * fsynced (Redis's rewriteAppendOnlyFile). An RDB base goes through the
   * snapshot worker (encoding, CRC64, fsync, rename off the main thread); an
   * AOF-format base is written here. Call `snapshot.start()` after.
   */
  async #startBaseWrite(
    rdbFormat: boolean,
    finalPath: string,
  ): Promise<{ snapshot: BaseSnapshot; done: Promise<BaseWriteResult> }> {
    const server = this.#server;
    const tempPath = `temp-rewriteaof-${Deno.pid}.aof`;
    if (rdbFormat) {
      const rdb = server.rdb;
      const { snapshot, outcome } = rdb.newRdbSnapshot({
        // An AOF base carries no replication info (Redis saves it with rsi NULL).
        aux: rdb.auxFields({ id: "", offset: 0, streamDb: 0, saveInfo: false }, true),
        file: { tempPath, finalPath },
      });
      const done = outcome.then((result): BaseWriteResult =>
        result.ok ? { ok: true } : { ok: false, message: result.message }
      );
      return { snapshot, done };
    }
    const timestamp = this.#timestamps ? Math.floor(Date.now() / 1000) : undefined;
    const snapshot = new Snapshot(server.keyspace, {
      encoder: new AofSnapshotEncoder(timestamp),
      newEncoder: () => new AofSnapshotEncoder(undefined),
      activity: server.servedClients,
    });
    const file = await Deno.open(tempPath, { write: true, create: true, truncate: true });
    return { snapshot, done: writeWithFile(snapshot, file, tempPath, finalPath) };
  }

  /** Redis's backgroundRewriteDoneHandler. */
  async #rewriteDone(job: RewriteJob, result: BaseWriteResult): Promise<void> {
    if (job.killed) {
      job.resolveFinished();
      return;
    }
    job.phase = "finishing";
    const started = performance.now();
    this.#lastCowBytes = job.snapshot?.cowBytes ?? 0;
    try {
      if (result.ok) {
        await this.#installRewrite(job, started);
      } else {
        // What Redis's rewrite child logs before it exits with an error.
        withChildRole(() =>
          log.warning(`Write error writing append only file on disk: ${result.message}`)
        );
        this.#lastBgrewriteOk = false;
        this.#consecutiveFailures++;
        log.warning("Background AOF rewrite terminated with error");
      }
    } finally {
      // Cleanup, whatever happened.
      removeQuietly(job.tempBase);
      removeQuietly(`temp-rewriteaof-${Deno.pid}.aof`);
      if (this.state === "wait_rewrite") {
        // The temp incr file is worthless without its base: drop it, start over.
        void this.#switchTarget(undefined, false);
        const tempIncr = tempIncrFileName(this.#fileName);
        log.notice(`Removing the temp incr aof file ${tempIncr} in the background`);
        Deno.remove(aofPath(this.#dirName, tempIncr)).catch(() => {});
      }
      this.#lastRewriteTimeSec = Math.floor(Date.now() / 1000) -
        Math.floor(job.startedAt / 1000);
      if (this.#rewrite === job) this.#rewrite = undefined;
      if (this.state === "wait_rewrite") this.#scheduled = true;
      job.resolveFinished();
    }
  }

  /** The success path of the done handler: new base, new manifest, history deleted. */
  async #installRewrite(job: RewriteJob, started: number): Promise<void> {
    const dir = this.#dirName;
    const fileName = this.#fileName;
    withChildRole(() =>
      log.notice(`Successfully created the temporary AOF base file ${job.tempBase}`)
    );
    log.notice("Background AOF rewrite terminated with success");
    const am = this.manifest.clone();
    const baseName = am.newBaseFileName(fileName, job.rdbFormat);
    const basePath = aofPath(dir, baseName);
    const failed = () => {
      this.#lastBgrewriteOk = false;
      this.#consecutiveFailures++;
    };
    try {
      await Deno.rename(latin1ToUtf8(job.tempBase), basePath);
    } catch (err) {
      log.warning(
        `Error trying to rename the temporary AOF base file ${job.tempBase} into ${dir}/${baseName}: ${
          osErrorText(err)
        }`,
      );
      return failed();
    }
    log.notice(`Successfully renamed the temporary AOF base file ${job.tempBase} into ${baseName}`);

    // Turning the AOF on: the temp incr file becomes the next incr file.
    const enabling = job.state === "wait_rewrite" && this.state === "wait_rewrite";
    let newIncrPath: string | undefined;
    if (enabling) {
      const tempIncr = tempIncrFileName(fileName);
      const incrName = am.newIncrFileName(fileName);
      newIncrPath = aofPath(dir, incrName);
      try {
        await Deno.rename(aofPath(dir, tempIncr), newIncrPath);
      } catch (err) {
        log.warning(
          `Error trying to rename the temporary AOF incr file ${dir}/${tempIncr} into ${dir}/${incrName}: ${
            osErrorText(err)
          }`,
        );
        Deno.remove(basePath).catch(() => {});
        return failed();
      }
      log.notice(`Successfully renamed the temporary AOF incr file ${tempIncr} into ${incrName}`);
      if (this.#target !== undefined) this.#target.name = incrName;
    }

    // The incr files the new base covers become history (not the one being written).
    am.markRewrittenIncrAsHistory(this.#target !== undefined);
    if (!(await this.#persistManifest(am))) {
      Deno.remove(basePath).catch(() => {});
      if (newIncrPath !== undefined) Deno.remove(newIncrPath).catch(() => {});
      return failed();
    }
    this.manifest = am;
    if (this.#target !== undefined) {
      this.#sink.selectedDb = -1;
      let baseSize = 0;
      try {
        baseSize = (await Deno.stat(basePath)).size;
      } catch {
        // counted as empty
      }
      this.#currentSize = baseSize + this.#lastIncrSize;
      this.#rewriteBaseSize = this.#currentSize;
      this.#lastFsync = Date.now();
    }
    await this.deleteHistoryFiles();
    this.#lastBgrewriteOk = true;
    this.#consecutiveFailures = 0;
    log.notice("Background AOF rewrite finished successfully");
    if (enabling) this.state = "on";
    log.verbose(
      `Background AOF rewrite signal handler took ${
        Math.round((performance.now() - started) * 1000)
      }us`,
    );
  }

  /**
   * Redis's killAppendOnlyChild. A rewrite whose done-handler is already
   * renaming files cannot be stopped: false then (wait for `finished`).
   */
  #killRewrite(): boolean {
    const job = this.#rewrite;
    if (job === undefined) return true;
    if (job.phase === "finishing") return false;
    log.notice(`Killing running AOF rewrite child: ${Deno.pid}`);
    job.killed = true;
    job.snapshot?.abort("killed");
    this.#rewrite = undefined;
    removeQuietly(job.tempBase);
    removeQuietly(`temp-rewriteaof-${Deno.pid}.aof`);
    if (job.phase === "snapshot") job.resolveFinished();
    return true;
  }

  /** Redis's aofRewriteLimited: back off automatic rewrites after repeated failures. */
  #rewriteLimited(nowMs: number): boolean {
    if (this.#consecutiveFailures < AOF_REWRITE_LIMIT_THRESHOLD) {
      this.#limitDelayMinutes = 0;
      this.#limitNextRewrite = 0;
      return false;
    }
    const now = Math.floor(nowMs / 1000);
    if (this.#limitNextRewrite !== 0) {
      if (now < this.#limitNextRewrite) return true;
      this.#limitNextRewrite = 0;
      return false;
    }
    this.#limitDelayMinutes = this.#limitDelayMinutes === 0
      ? 1
      : Math.min(AOF_REWRITE_LIMIT_MAX_MINUTES, this.#limitDelayMinutes * 2);
    this.#limitNextRewrite = now + this.#limitDelayMinutes * 60;
    log.warning(
      `Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${this.#limitDelayMinutes} minutes`,
    );
    return true;
  }

  // ---------------------------------------------------------------------------
  // Cron
  // ---------------------------------------------------------------------------

  /** The AOF's part of serverCron. */
  cron(nowMs: number): void {
    const server = this.#server;
    // The cron runs while start-up awaits the disk: nothing may start before the AOF is open.
    if (server.loading) return;
    const rdbRunning = server.rdb.running !== undefined;
    // A rewrite asked for while a BGSAVE ran (or the AOF being turned on).
    if (
      this.#rewrite === undefined && !rdbRunning && this.#scheduled && !this.#rewriteLimited(nowMs)
    ) {
      void this.startRewrite();
    } else if (this.state === "on" && this.#rewrite === undefined && !rdbRunning) {
      // auto-aof-rewrite-percentage / auto-aof-rewrite-min-size
      const perc = this.#cfg.getNumber("auto-aof-rewrite-percentage");
      if (perc > 0 && this.#currentSize > this.#cfg.getNumber("auto-aof-rewrite-min-size")) {
        const base = this.#rewriteBaseSize > 0 ? this.#rewriteBaseSize : 1;
        const growth = Math.floor((this.#currentSize * 100) / base) - 100;
        if (growth >= perc && !this.#rewriteLimited(nowMs)) {
          log.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
          void this.startRewrite();
        }
      }
    }
    if (this.state !== "off") {
      if (
        this.#fsyncPolicy === "everysec" && this.#dirtySinceFsync &&
        Math.floor(nowMs / 1000) > Math.floor(this.#lastFsync / 1000) &&
        !this.#fsyncPausedByRewrite()
      ) {
        this.#backgroundFsync();
      }
      // After a write error, try again once a second.
      if (!this.#lastWriteOk && nowMs - this.#lastWriteRetry >= 1000) {
        this.#lastWriteRetry = nowMs;
        this.#kick();
      }
    }
    // BGSAVE SCHEDULE: the save waits for the rewrite.
    const rdb = server.rdb;
    if (
      rdb.scheduled && this.#rewrite === undefined && !rdbRunning &&
      (rdb.lastBgsaveOk || nowMs - rdb.lastBgsaveTry > 5000)
    ) {
      rdb.scheduled = false;
      rdb.bgsave("user");
    }
  }

  // ---------------------------------------------------------------------------
  // INFO
  // ---------------------------------------------------------------------------

  /** INFO persistence's aof_* fields up to aof_last_cow_size, in Redis 7.0's order. */
  infoFields(): Array<[string, string | number]> {
    const job = this.#rewrite;
    return [
      ["aof_enabled", this.state !== "off" ? 1 : 0],
      ["aof_rewrite_in_progress", job !== undefined ? 1 : 0],
      ["aof_rewrite_scheduled", this.#scheduled ? 1 : 0],
      ["aof_last_rewrite_time_sec", this.#lastRewriteTimeSec],
      [
        "aof_current_rewrite_time_sec",
        job !== undefined ? Math.floor(Date.now() / 1000) - Math.floor(job.startedAt / 1000) : -1,
      ],
      ["aof_last_bgrewrite_status", this.#lastBgrewriteOk ? "ok" : "err"],
      ["aof_rewrites", this.#rewrites],
      ["aof_rewrites_consecutive_failures", this.#consecutiveFailures],
      ["aof_last_write_status", this.#lastWriteOk ? "ok" : "err"],
      ["aof_last_cow_size", this.#lastCowBytes],
    ];
  }

  /** The fields Redis adds after module_fork_* when appendonly is yes. */
  extraInfoFields(): Array<[string, string | number]> {
    if (!this.#cfg.getBool("appendonly")) return [];
    let buffered = this.#bufLen;
    for (const op of this.#ops) if (op.kind === "write") buffered += op.data.length;
    return [
      ["aof_current_size", this.#currentSize],
      ["aof_base_size", this.#rewriteBaseSize],
      ["aof_pending_rewrite", this.#scheduled ? 1 : 0],
      ["aof_buffer_length", buffered],
      ["aof_pending_bio_fsync", this.#fsyncInFlight !== undefined ? 1 : 0],
      ["aof_delayed_fsync", this.#delayedFsync],
    ];
  }
}

/**
 * An AOF-format base (aof-use-rdb-preamble no): the commands that rebuild
 * each key, as Redis's rewriteAppendOnlyFileRio writes them: SET, RPUSH,
 * SADD, ZADD, HMSET (AOF_REWRITE_ITEMS_PER_CMD items per command), then
 * PEXPIREAT for a key with a TTL; SELECT before each db's keys.
 */
export class AofSnapshotEncoder implements SnapshotEncoder {
  #parts: string[] = [];
  #pending = 0;

  /** `timestamp`: the `#TS:` annotation to start with (aof-timestamp-enabled). */
  constructor(timestamp: number | undefined) {
    if (timestamp !== undefined) this.#push(`#TS:${timestamp}\r\n`);
  }

  get pending(): number {
    return this.#pending;
  }

  selectDb(db: number): void {
    this.#push(encodeCommand(["SELECT", String(db)]));
  }

  writeEntry(key: string, stored: StoredValue, expireAtMs: number | undefined): void {
    const value = unpacked(stored);
    if (typeof value === "string") {
      this.#push(encodeCommand(["SET", key, value]));
    } else if (value instanceof List) {
      if (value.length === 0) return;
      this.#batched("RPUSH", key, value.length, 1, value.values());
    } else if (value instanceof ZSet) {
      if (value.size === 0) return;
      this.#batched("ZADD", key, value.size, 2, zaddItems(value));
    } else if (value instanceof Hash) {
      if (value.size === 0) return;
      this.#batched("HMSET", key, value.size, 2, hashItems(value));
    } else if (value instanceof StringSet) {
      if (value.size === 0) return;
      this.#batched("SADD", key, value.size, 1, value.values());
    } else {
      return;
    }
    if (expireAtMs !== undefined) {
      this.#push(encodeCommand(["PEXPIREAT", key, String(expireAtMs)]));
    }
  }

  /** `items` yields `perItem` arguments per element. */
  #batched(
    name: string,
    key: string,
    count: number,
    perItem: number,
    items: Iterator<string>,
  ): void {
    let left = count;
    while (left > 0) {
      const n = Math.min(left, AOF_REWRITE_ITEMS_PER_CMD);
      const argv = [name, key];
      for (let i = 0; i < n * perItem; i++) {
        const next = items.next();
        if (next.done) break;
        argv.push(next.value);
      }
      this.#push(encodeCommand(argv));
      left -= n;
    }
  }

  writeRaw(bytes: Uint8Array): void {
    this.#push(bytesToString(bytes));
  }

  writeEof(): void {}

  takeChunk(): Uint8Array {
    const out = stringToBytes(this.#parts.join(""));
    this.#parts = [];
    this.#pending = 0;
    return out;
  }

  #push(s: string): void {
    this.#parts.push(s);
    this.#pending += s.length;
  }
}

function* zaddItems(zset: ZSet): Generator<string> {
  for (const [member, score] of zset.entries()) {
    yield formatDouble(score);
    yield member;
  }
}

function* hashItems(hash: Hash): Generator<string> {
  for (const [field, value] of hash) {
    yield field;
    yield value;
  }
}

/**
 * An AOF-format base written on the main thread through an async file (the
 * snapshot worker adds an RDB checksum trailer, which this format has not).
 */
function writeWithFile(
  snapshot: Snapshot,
  file: Deno.FsFile,
  tempPath: string,
  finalPath: string,
): Promise<BaseWriteResult> {
  let chain: Promise<void> = Promise.resolve();
  let failure: string | undefined;
  let settle!: (result: BaseWriteResult) => void;
  const result = new Promise<BaseWriteResult>((resolve) => settle = resolve);
  snapshot.sinks.push({
    takesOwnership: true,
    chunk: (bytes) => {
      chain = chain.then(async () => {
        if (failure === undefined) await writeAll(file, bytes);
      }).catch((err) => {
        failure ??= osErrorText(err);
      });
    },
    end: () => {
      chain = chain.then(async () => {
        if (failure !== undefined) throw new Error(failure);
        await file.sync();
        file.close();
        await Deno.rename(tempPath, finalPath);
        await syncDirectory(dirOf(finalPath));
        settle({ ok: true });
      }).catch((err) => {
        closeQuietly(file);
        removeQuietly(tempPath);
        settle({ ok: false, message: failure ?? osErrorText(err) });
      });
    },
    abort: (why) => {
      chain = chain.then(() => {
        closeQuietly(file);
        removeQuietly(tempPath);
        settle({ ok: false, message: why });
      });
    },
  });
  return result;
}

/** Logs a line as the rewrite "child" (role C), as Redis's forked child would. */
function withChildRole(fn: () => void): void {
  const role = log.role;
  log.role = "C";
  try {
    fn();
  } finally {
    log.role = role;
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}

function closeQuietly(file: Deno.FsFile): void {
  try {
    file.close();
  } catch {
    // already closed
  }
}

function closeIncr(target: IncrTarget): void {
  closeQuietly(target.file);
  closeQuietly(target.syncFile);
}

/** Redis's bg_unlink: delete without waiting, ignoring a missing file. */
function removeQuietly(path: string): void {
  Deno.remove(latin1ToUtf8(path)).catch(() => {});
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
}

/** fsync of a directory makes a rename in it durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function fileExists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
