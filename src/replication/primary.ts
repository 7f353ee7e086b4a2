/**
 * The master side of replication (Redis's replication.c, master half):
 * replicas attached to this server, PSYNC answered with +CONTINUE from the
 * backlog or with +FULLRESYNC and a shared snapshot, the write stream fanned
 * out to every replica, ACKs, and WAIT.
 *
 * A replica's life here: REPLCONF (listening-port, capa) → PSYNC →
 *   partial: +CONTINUE, the backlog tail, then online;
 *   full:    +FULLRESYNC <replid> <offset>, state wait_bgsave while the snapshot
 *            runs (stream bytes are buffered for it), send_bulk while the file
 *            goes out, then the buffered stream, then online.
 */
import type { Client } from "../net/client.ts";
import type { Server } from "../server.ts";
import type { SaveJob } from "../persistence/rdb_saver.ts";
import type { Replication } from "./mod.ts";
import { allPersistenceDisabled } from "../persistence/aof.ts";
import { log } from "../log.ts";
import { NOT_AN_INTEGER } from "../errors.ts";
import { parseLongLong } from "../util/numbers.ts";
import { stringToBytes } from "../util/bytes.ts";
import { ChunkedBytes } from "../util/chunked_bytes.ts";
import { randomHex } from "../util/system.ts";
import { EOF_MARK_LENGTH, SYNC_REQ_EXCLUDE_DATA } from "./constants.ts";

/** Pending output to one replica beyond which a diskless transfer waits for its socket. */
export const DISKLESS_MAX_PENDING = 2 * 1024 * 1024;
/** Bytes of the RDB file read and written per step while sending it to a replica. */
export const BULK_CHUNK_BYTES = 1024 * 1024;

/**
 * The share of its output-buffer limit a waiting replica's buffered stream
 * may reach before snapshots stop resting for clients: past the limit the
 * replica is dropped and its full sync starts over.
 */
export const SYNC_HURRY_SHARE = 0.5;

/** INFO's names for a replica's state. */
export type ReplicaState = "wait_bgsave" | "send_bulk" | "online";

/** One replica attached to this server. */
export class ReplicaConn {
  state: ReplicaState = "wait_bgsave";
  /** Full sync by PSYNC (answered +FULLRESYNC) rather than the old SYNC. */
  psync = true;
  /** This replica gets a diskless transfer, and whether it is under way. */
  diskless = false;
  streaming = false;
  /** Last time its full-sync transfer moved (a stuck transfer is dropped after repl-timeout). */
  transferProgress = Date.now();
  /** When it started waiting for a snapshot (repl-diskless-sync-delay counts from the first). */
  waitingSince = Date.now();
  listeningPort = 0;
  announcedIp: string | undefined;
  capaEof = false;
  capaPsync2 = false;
  /** REPLCONF rdb-only 1: the snapshot, then the connection closes; no stream. */
  rdbOnly = false;
  /** REPLCONF rdb-filter-only: SYNC_REQ_* bits of what to leave out of the snapshot. */
  req = 0;
  /** Offset the replica acknowledged (REPLCONF ACK), and when. */
  ackOffset = 0;
  ackTime = Date.now();
  /** The snapshot this replica waits for, and the stream offset it starts at. */
  job: SaveJob | undefined;
  /** Stream bytes that arrived before the replica went online (their size: client.heldOutputBytes). */
  #buffered = new ChunkedBytes();

  constructor(readonly client: Client) {}

  /** "ip:port" as Redis's replicationGetSlaveName prints it. */
  get name(): string {
    const ip = this.announcedIp ?? this.client.addr.slice(0, this.client.addr.lastIndexOf(":"));
    return this.listeningPort ? `${ip}:${this.listeningPort}` : `${ip}:<unknown-replica-port>`;
  }

  get ip(): string {
    return this.announcedIp ?? this.client.addr.slice(0, this.client.addr.lastIndexOf(":"));
  }

  /**
   * After a diskless transfer the replica is online but gets the stream only
   * after its first REPLCONF ACK: until then it is still looking for the end
   * mark of the RDB, and stream bytes behind the mark could hide it (Redis's
   * repl_start_cmd_stream_on_ack).
   */
  streamOnAck = false;

  /** Delivers stream bytes now (online) or keeps them until the replica is online. */
  send(bytes: Uint8Array): void {
    if (this.client.closed || this.rdbOnly) return;
    if (this.state === "online" && !this.streamOnAck) {
      this.client.reply.bytes(bytes);
      this.client.afterPush("replica");
      return;
    }
    this.#buffered.append(bytes);
    this.client.heldOutputBytes += bytes.length;
    // The output-buffer limits count the held stream, as Redis's output buffer holds it.
    this.client.afterPush("replica");
  }

  /** Forgets buffered stream bytes: a snapshot starting now already contains them. */
  clearBuffer(): void {
    this.#buffered.clear();
    this.client.heldOutputBytes = 0;
  }

  /** Goes online: writes the buffered stream after whatever was sent before. */
  goOnline(): void {
    this.state = "online";
    this.ackTime = Date.now();
    for (const part of this.#buffered.parts()) this.client.reply.bytes(part);
    this.#buffered.clear();
    this.client.heldOutputBytes = 0;
    this.client.afterPush("replica");
  }
}

/** The master half: replicas, syncs, the stream fan-out. */
export class Primary {
  readonly replicas = new Set<ReplicaConn>();
  #server: Server;
  #repl: Replication;
  /** WAIT calls waiting for ACKs. */
  #waiters = new Set<{ offset: number; needed: number; resolve: () => void }>();

  constructor(server: Server, repl: Replication) {
    this.#server = server;
    this.#repl = repl;
    server.rdb.hurry = () => this.syncPressure() >= SYNC_HURRY_SHARE;
  }

  /**
   * The largest share of its output-buffer limit (the hard one, or the soft
   * one when lower) that a replica waiting for its full sync has buffered; 0
   * without limits or waiting replicas.
   */
  syncPressure(): number {
    const { hard, soft } = this.#server.config.outputBufferLimit("replica");
    const limit = hard > 0 && soft > 0 ? Math.min(hard, soft) : Math.max(hard, soft);
    if (limit <= 0) return 0;
    let most = 0;
    for (const conn of this.replicas) most = Math.max(most, conn.client.heldOutputBytes / limit);
    return most;
  }

  /** The replica record of a client, creating it at its first REPLCONF/PSYNC. */
  conn(client: Client): ReplicaConn {
    let conn = client.replicaState as ReplicaConn | undefined;
    if (conn === undefined) {
      conn = new ReplicaConn(client);
      client.replicaState = conn;
    }
    return conn;
  }

  /** Sends stream bytes to every attached replica. */
  feed(bytes: Uint8Array): void {
    for (const conn of this.replicas) conn.send(bytes);
  }

  /**
   * PSYNC <replid> <offset> (or SYNC, with `replid` undefined): Redis's
   * syncCommand. Replies on the client's own writer.
   */
  sync(
    client: Client,
    replid: string | undefined,
    offsetArg: string | undefined,
    failoverArg?: string,
  ): void {
    const server = this.#server;
    const repl = this.#repl;
    const conn = this.conn(client);
    if (client.flags.replica) return; // already syncing: ignore, like Redis
    // PSYNC … FAILOVER: our master hands over to us; we continue its history as the master.
    if (failoverArg?.toLowerCase() === "failover") {
      log.warning(`Failover request received for replid ${replid}.`);
      if (!repl.isReplica) {
        client.reply.error("ERR PSYNC FAILOVER can't be sent to a master.");
        return;
      }
      if (replid?.toLowerCase() !== repl.replid.toLowerCase()) {
        client.reply.error("ERR PSYNC FAILOVER replid must match my replid.");
        return;
      }
      repl.becomeMaster();
      log.notice(
        `MASTER MODE enabled (failover request from '${server.clientInfoString(client)}')`,
      );
    }
    if (repl.failover.state !== "no-failover") {
      client.reply.error("NOMASTERLINK Can't SYNC while failing over");
      return;
    }
    if (repl.isReplica && !repl.linkUp) {
      client.reply.error("NOMASTERLINK Can't SYNC while not connected with my master");
      return;
    }
    // Filtered snapshots only go out diskless, which needs the EOF capability.
    if (conn.req !== 0 && !conn.capaEof) {
      client.reply.error("ERR Filtered replica requires EOF capability");
      return;
    }
    log.notice(`Replica ${conn.name} asks for synchronization`);
    const offset = offsetArg === undefined ? undefined : parseLongLong(offsetArg);
    if (offsetArg !== undefined && offset === undefined) {
      log.warning(`Replica ${conn.name} asks for synchronization but with a wrong offset`);
      client.reply.error(NOT_AN_INTEGER);
      return;
    }

    // CASE 1: the replica can continue from our backlog.
    if (replid !== undefined && this.#tryPartial(conn, replid, offset ?? -1)) {
      server.stats.syncPartialOk++;
      return;
    }
    if (replid !== undefined && replid !== "?") server.stats.syncPartialErr++;
    if (replid === "?") log.notice(`Full resync requested by replica ${conn.name}`);

    // CASE 2: a full resync. The first replica creates the backlog and a new history.
    server.stats.syncFull++;
    client.flags.replica = true;
    client.lastCommand = replid === undefined ? "sync" : "psync";
    this.replicas.add(conn);
    client.onClose.push(() => this.#lost(conn));
    if (repl.backlog === undefined) repl.createBacklog(true);
    conn.state = "wait_bgsave";
    conn.psync = replid !== undefined;
    conn.waitingSince = Date.now();
    // CASE D: diskless. The transfer starts from the cron after repl-diskless-sync-delay.
    // A filtered snapshot is never the dump on disk: it always goes to the socket.
    const disklessSync = server.config.getBool("repl-diskless-sync");
    if ((disklessSync || conn.req !== 0) && conn.capaEof) {
      conn.diskless = true;
      if (disklessSync && server.config.getNumber("repl-diskless-sync-delay") > 0) {
        log.notice("Delay next BGSAVE for diskless SYNC");
      } else {
        this.startDisklessSnapshot();
      }
      return;
    }
    this.#attachToSnapshot(conn, conn.psync);
  }

  /** Redis's masterTryPartialResynchronization. */
  #tryPartial(conn: ReplicaConn, replid: string, offset: number): boolean {
    const repl = this.#repl;
    if (replid === "?") return false;
    const idMatches = replid === repl.replid ||
      (replid === repl.replid2 && offset <= repl.secondReplOffset);
    if (!idMatches) {
      if (replid !== repl.replid && replid !== repl.replid2) {
        log.notice(
          `Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${repl.replid}' and '${repl.replid2}')`,
        );
      } else {
        log.notice(
          `Partial resynchronization not accepted: Requested offset for second ID was ${offset}, but I can reply up to ${repl.secondReplOffset}`,
        );
      }
      return false;
    }
    const backlog = repl.backlog;
    if (backlog === undefined || !backlog.covers(offset)) {
      log.notice(
        `Unable to partial resync with replica ${conn.name} for lack of backlog (Replica request was: ${offset}).`,
      );
      if (backlog !== undefined && offset > backlog.masterOffset) {
        log.warning(
          `Warning: replica ${conn.name} tried to PSYNC with an offset that is greater than the master replication offset.`,
        );
      }
      return false;
    }
    // The replica continues: +CONTINUE, then the backlog from its offset.
    const client = conn.client;
    client.flags.replica = true;
    client.lastCommand = "psync";
    conn.state = "online";
    conn.ackTime = Date.now();
    this.replicas.add(conn);
    client.onClose.push(() => this.#lost(conn));
    client.reply.raw(conn.capaPsync2 ? `+CONTINUE ${repl.replid}\r\n` : "+CONTINUE\r\n");
    const tail = backlog.readFrom(offset);
    client.reply.bytes(tail);
    client.flush();
    log.notice(
      `Partial resynchronization request from ${conn.name} accepted. Sending ${tail.length} bytes of backlog starting from offset ${offset}.`,
    );
    return true;
  }

  /**
   * Finds the snapshot this replica will load (DESIGN decision 4):
   * CASE A: a save is running and its start is still in our backlog: attach to it;
   * CASE B: a save is running but its start has left the backlog: wait for the next;
   * CASE C: nothing runs: start one.
   */
  #attachToSnapshot(conn: ReplicaConn, psync: boolean): void {
    const repl = this.#repl;
    const running = this.#server.rdb.running;
    if (running !== undefined) {
      const backlog = repl.backlog!;
      if (running.replId === repl.replid && backlog.covers(running.replOffset + 1)) {
        log.notice("Waiting for end of BGSAVE for SYNC");
        this.#startWaiting(conn, running, psync);
        for (const chunk of [backlog.readFrom(running.replOffset + 1)]) {
          if (chunk.length) conn.send(chunk);
        }
      } else {
        log.notice(
          "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC",
        );
        conn.job = undefined;
        conn.psync = psync;
      }
      return;
    }
    this.startSyncSnapshot();
  }

  /**
   * Starts a snapshot for every replica waiting without one (Redis's
   * startBgsaveForReplication with a disk target).
   */
  startSyncSnapshot(): void {
    const waiting = [...this.replicas].filter((c) =>
      c.state === "wait_bgsave" && c.job === undefined && !c.diskless
    );
    if (waiting.length === 0) return;
    log.notice("Starting BGSAVE for SYNC with target: disk");
    // The stream after the snapshot must start with a SELECT.
    this.#repl.resetSelectedDb();
    const job = this.#server.rdb.bgsave("sync");
    this.#rdbForReplicas = true;
    for (const conn of waiting) {
      conn.clearBuffer();
      this.#startWaiting(conn, job, conn.psync);
    }
  }

  /**
   * Diskless sync (repl-diskless-sync yes): a snapshot streamed straight to
   * the sockets of every replica that arrived within repl-diskless-sync-delay,
   * as `$EOF:<40 random chars>\r\n<rdb><crc64><mark>`. No file is written.
   */
  startDisklessSnapshot(): void {
    const waiting = [...this.replicas].filter((c) =>
      c.state === "wait_bgsave" && c.diskless && !c.streaming
    );
    // Replicas share a transfer only when they asked for the same snapshot content.
    for (const req of new Set(waiting.map((c) => c.req))) {
      this.#streamSnapshot(waiting.filter((c) => c.req === req), req);
    }
  }

  #streamSnapshot(waiting: ReplicaConn[], req: number): void {
    const server = this.#server;
    const repl = this.#repl;
    log.notice("Starting BGSAVE for SYNC with target: replicas sockets");
    repl.resetSelectedDb();
    const position = repl.position();
    const mark = randomHex(EOF_MARK_LENGTH);
    for (const conn of waiting) {
      conn.clearBuffer();
      conn.streaming = true;
      conn.state = "send_bulk";
      if (conn.psync) conn.client.reply.raw(`+FULLRESYNC ${position.id} ${position.offset}\r\n`);
      conn.client.reply.raw(`$EOF:${mark}\r\n`);
      conn.client.flush();
    }
    log.notice(`Background RDB transfer started by pid ${Deno.pid}`);
    // The worker encodes; its bytes (CRC trailer included) go to every waiting socket.
    let allDropped = false;
    const { snapshot, outcome } = server.rdb.newRdbSnapshot({
      aux: server.rdb.auxFields(position),
      forward: (bytes) => {
        if (allDropped) return undefined;
        if (waiting.every((conn) => conn.client.closed)) {
          // Nobody left to stream to: stop the walk rather than finish it for nothing.
          allDropped = true;
          log.warning("Diskless rdb transfer, last replica dropped, killing fork child.");
          snapshot.abort("last replica dropped");
          return undefined;
        }
        const waits: Promise<void>[] = [];
        for (const conn of waiting) {
          if (conn.client.closed) continue;
          // The worker's bytes are never changed again: every socket shares them.
          conn.client.writeChunk(bytes);
          conn.client.flush();
          conn.transferProgress = Date.now();
          // Wait for a socket that holds too much: the walk slows down instead of buffering it.
          const below = conn.client.whenOutputBelow(DISKLESS_MAX_PENDING);
          if (below !== undefined) {
            waits.push(below.then(() => {
              conn.transferProgress = Date.now();
            }));
          }
        }
        return waits.length === 0 ? undefined : Promise.all(waits).then(() => {});
      },
    }, (req & SYNC_REQ_EXCLUDE_DATA) !== 0);
    outcome.then((result) => {
      if (allDropped) {
        // What Redis logs for the child it killed with SIGUSR1.
        log.warning("Background transfer terminated by signal 10");
        return;
      }
      if (!result.ok) {
        log.warning(`Background transfer error: ${result.message}`);
        for (const conn of waiting) conn.client.close();
        return;
      }
      const up = waiting.filter((c) => !c.client.closed);
      log.warning(
        `Diskless rdb transfer, done reading from pipe, ${up.length} replicas still up.`,
      );
      log.notice("Background RDB transfer terminated with success");
      for (const conn of up) {
        conn.client.reply.raw(mark);
        conn.client.flush();
        conn.streaming = false;
        log.notice(
          `Streamed RDB transfer with replica ${conn.name} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming`,
        );
        if (conn.rdbOnly) {
          this.#closeRdbOnly(conn);
          continue;
        }
        conn.state = "online";
        conn.streamOnAck = true;
        conn.ackTime = Date.now();
      }
    });
    snapshot.start();
  }

  #startWaiting(conn: ReplicaConn, job: SaveJob, psync: boolean): void {
    conn.job = job;
    if (psync) {
      conn.client.reply.raw(`+FULLRESYNC ${job.replId} ${job.replOffset}\r\n`);
      conn.client.flush();
    }
    job.done.then((ok) => this.#afterSnapshot(conn, job, ok));
  }

  /** The snapshot is on disk: send it, then the buffered stream. */
  async #afterSnapshot(conn: ReplicaConn, job: SaveJob, ok: boolean): Promise<void> {
    if (conn.client.closed || conn.job !== job) return;
    if (!ok) {
      log.warning("SYNC failed. BGSAVE child returned an error");
      conn.client.close();
      return;
    }
    conn.state = "send_bulk";
    try {
      await this.#sendFile(conn, job.path);
    } catch (err) {
      log.warning(
        `SYNC failed. Can't send the RDB to replica ${conn.name}: ${(err as Error).message}`,
      );
      conn.client.close();
      return;
    }
    if (conn.client.closed) return;
    conn.job = undefined;
    if (conn.rdbOnly) {
      this.#closeRdbOnly(conn);
      return;
    }
    conn.goOnline();
    log.notice(`Synchronization with replica ${conn.name} succeeded`);
  }

  /** Redis's replicaPutOnline for an rdb-only replica: its snapshot is out, it goes. */
  #closeRdbOnly(conn: ReplicaConn): void {
    log.notice(
      `RDB transfer completed, rdb only replica (${conn.name}) should be disconnected asap`,
    );
    conn.client.flush().then(() => conn.client.close());
  }

  /** `$<len>\r\n` and the file, a chunk at a time, waiting for each write. */
  async #sendFile(conn: ReplicaConn, path: string): Promise<void> {
    const file = await Deno.open(path, { read: true });
    try {
      const { size } = await file.stat();
      const client = conn.client;
      client.reply.raw(`$${size}\r\n`);
      const chunk = new Uint8Array(BULK_CHUNK_BYTES);
      let sent = 0;
      while (sent < size && !client.closed) {
        const n = await file.read(chunk);
        if (n === null) break;
        // Written as it is; the read buffer is reused only once the flush is done.
        client.writeChunk(chunk.subarray(0, n));
        sent += n;
        await client.flush();
        conn.transferProgress = Date.now();
      }
      if (sent !== size && !client.closed) throw new Error(`short read of ${path}`);
    } finally {
      file.close();
    }
  }

  #lost(conn: ReplicaConn): void {
    if (!this.replicas.delete(conn)) return;
    log.warning(`Connection with replica ${conn.name} lost.`);
    this.#checkWaiters();
  }

  /** REPLCONF ACK <offset>. */
  ack(client: Client, offset: number): void {
    const conn = client.replicaState as ReplicaConn | undefined;
    if (conn === undefined || !client.flags.replica) return;
    if (offset > conn.ackOffset) conn.ackOffset = offset;
    conn.ackTime = Date.now();
    this.#repl.failover.checkSoon();
    if (conn.streamOnAck) {
      conn.streamOnAck = false;
      conn.goOnline();
      log.notice(`Synchronization with replica ${conn.name} succeeded`);
    }
    this.#checkWaiters();
  }

  /** Replicas that acknowledged at least `offset`. */
  ackedCount(offset: number): number {
    let n = 0;
    for (const conn of this.replicas) if (conn.state === "online" && conn.ackOffset >= offset) n++;
    return n;
  }

  /** Online replicas whose last ACK is at most `maxLagSeconds` old (min-replicas-to-write). */
  goodReplicas(maxLagSeconds: number): number {
    const now = Date.now();
    let n = 0;
    for (const conn of this.replicas) {
      if (conn.state === "online" && (now - conn.ackTime) / 1000 <= maxLagSeconds) n++;
    }
    return n;
  }

  /**
   * WAIT: resolves with the number of replicas that acknowledged `offset`,
   * once `needed` did or `timeoutMs` passed (0 waits forever).
   */
  wait(offset: number, needed: number, timeoutMs: number): Promise<number> {
    if (this.ackedCount(offset) >= needed) return Promise.resolve(this.ackedCount(offset));
    this.requestAcks();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = {
        offset,
        needed,
        resolve: () => {
          if (timer !== undefined) clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(this.ackedCount(offset));
        },
      };
      this.#waiters.add(waiter);
      if (timeoutMs > 0) timer = setTimeout(waiter.resolve, timeoutMs);
    });
  }

  #checkWaiters(): void {
    for (const waiter of [...this.#waiters]) {
      if (this.ackedCount(waiter.offset) >= waiter.needed) waiter.resolve();
    }
  }

  /**
   * Shutdown: waits up to `timeoutMs` until every online replica acknowledged
   * our whole stream, then logs Redis's summary line.
   */
  async waitInSync(timeoutMs: number): Promise<void> {
    const online = () => [...this.replicas].filter((c) => c.state === "online");
    if (online().length === 0) return;
    const target = this.#repl.offset;
    this.requestAcks();
    const deadline = Date.now() + timeoutMs;
    const inSync = () => online().filter((c) => c.ackOffset >= target).length;
    while (Date.now() < deadline && inSync() < online().length) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const all = online().length;
    const synced = inSync();
    if (synced === all) log.notice(`${synced} of ${all} replicas are in sync when shutting down.`);
    else log.warning(`${synced} of ${all} replicas are in sync when shutting down.`);
  }

  /** Puts `REPLCONF GETACK *` into the stream (replicationRequestAckFromSlaves). */
  requestAcks(): void {
    this.#repl.feedRaw(stringToBytes("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"));
  }

  /**
   * The master part of replicationCron: PING into the stream every
   * repl-ping-replica-period, a newline to replicas waiting for a snapshot,
   * timed-out replicas dropped, the next snapshot for replicas that waited.
   */
  cron(nowMs: number, secondsTick: number): void {
    const cfg = this.#server.config;
    const period = cfg.getNumber("repl-ping-replica-period");
    // No PING while a failover waits: it would move the offset the replicas must reach.
    if (
      this.replicas.size > 0 && period > 0 && secondsTick % period === 0 &&
      !this.#repl.isReplica && this.#repl.failover.state === "no-failover"
    ) {
      this.#repl.feedRaw(stringToBytes("*1\r\n$4\r\nPING\r\n"));
    }
    const timeout = cfg.getNumber("repl-timeout") * 1000;
    for (const conn of this.replicas) {
      if (conn.state === "wait_bgsave") {
        // Keeps the link alive while the snapshot runs (Redis sends "\n").
        conn.client.reply.raw("\n");
        conn.client.flush();
      } else if (conn.state === "online" && nowMs - conn.ackTime > timeout) {
        log.warning(`Disconnecting timedout replica (streaming sync): ${conn.name}`);
        conn.client.close();
      } else if (conn.state === "send_bulk" && nowMs - conn.transferProgress > timeout) {
        log.warning(`Disconnecting timedout replica (full sync): ${conn.name}`);
        conn.client.close();
      }
    }
    if (this.#server.rdb.running === undefined) this.startSyncSnapshot();
    this.#maybeStartDiskless(nowMs);
    this.#removeRdbUsedToSync();
  }

  /** A disk snapshot was written for replicas since the last removeRdbUsedToSync. */
  #rdbForReplicas = false;

  /**
   * rdb-del-sync-files (Redis's removeRDBUsedToSyncReplicas): without any
   * persistence, the dump written only to feed replicas is deleted once no
   * replica still waits for it or reads it.
   */
  #removeRdbUsedToSync(): void {
    const server = this.#server;
    if (!server.config.getBool("rdb-del-sync-files")) {
      this.#rdbForReplicas = false;
      return;
    }
    if (!this.#rdbForReplicas || !allPersistenceDisabled(server)) return;
    for (const conn of this.replicas) {
      if (conn.state === "wait_bgsave" || conn.state === "send_bulk") return;
    }
    const path = server.config.getString("dbfilename");
    try {
      Deno.lstatSync(path);
    } catch {
      return;
    }
    this.#rdbForReplicas = false;
    log.notice("Removing the RDB file used to feed replicas in a persistence-less instance");
    Deno.remove(path).catch(() => {});
  }

  /** Starts the diskless transfer once the delay passed or enough replicas wait. */
  #maybeStartDiskless(nowMs: number): void {
    const waiting = [...this.replicas].filter((c) =>
      c.state === "wait_bgsave" && c.diskless && !c.streaming
    );
    if (waiting.length === 0) return;
    const cfg = this.#server.config;
    const delayMs = cfg.getNumber("repl-diskless-sync-delay") * 1000;
    const maxReplicas = cfg.getNumber("repl-diskless-sync-max-replicas");
    const oldest = Math.min(...waiting.map((c) => c.waitingSince));
    if (nowMs - oldest >= delayMs || (maxReplicas > 0 && waiting.length >= maxReplicas)) {
      this.startDisklessSnapshot();
    }
  }

  /** Drops every replica (they reconnect and resync: replid changed, or we became a replica of another history). */
  disconnectAll(): void {
    for (const conn of [...this.replicas]) conn.client.close();
  }
}
