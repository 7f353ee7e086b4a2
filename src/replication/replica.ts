/**
 * The replica side (Redis's replication.c, replica half): the link to our
 * master as a state machine that reconnects by itself.
 *
 *   connect → PING → AUTH → REPLCONF listening-port → REPLCONF capa eof psync2
 *   → PSYNC <replid> <offset+1> (or `PSYNC ? -1` without a cached master)
 *   → +FULLRESYNC: receive the RDB ($len or $EOF:<mark>) into a temp file,
 *     fsync it, decode it completely, install it, rename it over dbfilename;
 *   → +CONTINUE: keep our data;
 *   then the connection becomes the master client whose commands we apply
 *   and forward verbatim to our own backlog and sub-replicas.
 *
 * Anything unexpected (garbage, a closed socket, a truncated or corrupt RDB,
 * a stall beyond repl-timeout) drops the connection, keeps the old data, and
 * the loop tries again a second later.
 */
import type { Server } from "../server.ts";
import type { Client } from "../net/client.ts";
import type { Replication } from "./mod.ts";
import { EOF_MARK_LENGTH, NULL_REPLID } from "./constants.ts";
import { type RdbStreamLoad, startRdbStreamLoad } from "../persistence/rdb_loader.ts";
import { lowerProcessPriority, noteWork } from "../util/thread_priority.ts";
import { allPersistenceDisabled } from "../persistence/aof.ts";
import { log } from "../log.ts";
import { encodeCommand } from "../net/resp.ts";
import { bytesToString, stringToBytes } from "../util/bytes.ts";
import { osErrorText } from "../util/system.ts";

/** The largest piece a transfer reads from the socket at once. */
const TRANSFER_READ_BYTES = 1024 * 1024;

/** Delay between two connection attempts (Redis retries from its once-a-second cron). */
export const RECONNECT_DELAY_MS = 1000;

/** ROLE's names of the link states. */
export type LinkState = "connect" | "connecting" | "handshake" | "sync" | "connected";

/**
 * Thrown to abandon one attempt; the message is logged at `level` (Redis's
 * own for that line). `retryAtOnce` marks the failures Redis answers with
 * cancelReplicationHandshake(1): a handshake that timed out tries again at
 * once instead of on the next cron.
 */
class SyncAborted extends Error {
  constructor(
    message: string,
    readonly retryAtOnce = false,
    readonly level: "warning" | "notice" = "warning",
  ) {
    super(message);
  }
}

/** How an attempt starts: the first one, after a lost link, or at once after a failed sync. */
type AttemptStart = "connect" | "reconnect" | "after-failure";

/** Reads CRLF lines and raw bytes from a connection, with a stall timeout. */
class LinkReader {
  #conn: Deno.Conn;
  #buf = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  lastIo = Date.now();
  onBytes: (n: number) => void = () => {};
  /** What a closed connection is reported as (Redis words it per step). */
  closedMessage = "Master closed the connection";

  constructor(conn: Deno.Conn, readonly timeoutMs: () => number) {
    this.#conn = conn;
  }

  async #fill(): Promise<void> {
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buf.length) {
      const next = new Uint8Array(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) =>
      timer = setTimeout(() => resolve("timeout"), this.timeoutMs())
    );
    const n = await Promise.race([this.#conn.read(this.#buf.subarray(this.#end)), timeout]);
    clearTimeout(timer);
    if (n === "timeout") throw new SyncAborted("Timeout connecting to the MASTER...", true);
    if (n === null) throw new SyncAborted(this.closedMessage);
    this.#end += n;
    this.lastIo = Date.now();
    this.onBytes(n);
  }

  /** The next line without its CRLF (LF alone also ends a line). */
  async line(): Promise<string> {
    while (true) {
      const nl = this.#buf.subarray(this.#start, this.#end).indexOf(10);
      if (nl !== -1) {
        let end = this.#start + nl;
        const next = end + 1;
        if (end > this.#start && this.#buf[end - 1] === 13) end--;
        const line = bytesToString(this.#buf, this.#start, end);
        this.#start = next;
        return line;
      }
      if (this.#end - this.#start > 64 * 1024) {
        throw new SyncAborted("Protocol error: line too long from master");
      }
      await this.#fill();
    }
  }

  /**
   * Up to `max` bytes (at least one), from the buffer first, then the socket:
   * a copy the caller owns (it may transfer its buffer). An empty buffer
   * first grows towards `max` (up to TRANSFER_READ_BYTES), so a transfer
   * reads the socket in large pieces.
   */
  async chunk(max: number): Promise<Uint8Array> {
    if (this.#start === this.#end) {
      const want = Math.min(max, TRANSFER_READ_BYTES);
      if (this.#buf.length < want) this.#buf = new Uint8Array(want);
      this.#start = this.#end = 0;
      await this.#fill();
    }
    const n = Math.min(max, this.#end - this.#start);
    const out = this.#buf.slice(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }

  /** Gives back the last `n` bytes of the chunk just returned by `chunk` (they are still buffered). */
  unread(n: number): void {
    this.#start -= n;
  }

  /** Whatever was read but not consumed: the first stream bytes after the handshake. */
  leftover(): Uint8Array {
    const out = this.#buf.slice(this.#start, this.#end);
    this.#start = this.#end = 0;
    return out;
  }
}

/** Our link to our master. */
export class MasterLink {
  state: LinkState = "connect";
  /** The master client once the link is up. */
  client: Client | undefined;
  /** Whether our replid/offset are a history the master may continue (a cached master). */
  hasCachedMaster: boolean;
  /** When the link went down (0: it was never up). */
  downSince = 0;
  /** Transfer progress for INFO (-1 total: $EOF transfer of unknown size). */
  transferSize = -1;
  transferRead = 0;
  transferLastIo = 0;
  /** The master answered SYNC, not PSYNC (Redis's CLIENT_PRE_PSYNC): it gets no ACKs. */
  prePsync = false;
  #server: Server;
  #repl: Replication;
  #stopped = false;
  #conn: Deno.Conn | undefined;

  constructor(
    server: Server,
    repl: Replication,
    readonly host: string,
    readonly port: number,
    cached: { replid: string; offset: number } | undefined,
  ) {
    this.#server = server;
    this.#repl = repl;
    this.hasCachedMaster = cached !== undefined;
    if (cached !== undefined) {
      repl.replid = cached.replid;
      repl.offset = cached.offset;
    }
  }

  get cached(): { replid: string; offset: number } | undefined {
    return this.hasCachedMaster
      ? { replid: this.#repl.replid, offset: this.#repl.offset }
      : undefined;
  }

  get connected(): boolean {
    return this.state === "connected";
  }

  /** ROLE's state word. */
  get roleState(): string {
    return this.state;
  }

  start(): void {
    this.#loop();
  }

  /** Ends the link for good (REPLICAOF NO ONE or another master). */
  stop(): void {
    this.#stopped = true;
    this.client?.close();
    try {
      this.#conn?.close();
    } catch {
      // already closed
    }
  }

  async #loop(): Promise<void> {
    let start: AttemptStart = "connect";
    while (!this.#stopped) {
      // #attempt returns when a link that was up drops, and throws when an attempt fails.
      let linkDropped = false;
      let retryAtOnce = false;
      try {
        await this.#attempt(start);
        linkDropped = true;
      } catch (err) {
        // readSyncBulkPayload's failures (the transfer) retry at once too.
        retryAtOnce = this.state === "sync" || (err instanceof SyncAborted && err.retryAtOnce);
        if (!this.#stopped) {
          const message = err instanceof SyncAborted ? err.message : (err as Error).message;
          const text = message.replace(/ \(os error \d+\)$/, "");
          if (err instanceof SyncAborted && err.level === "notice") log.notice(text);
          else log.warning(text);
        }
      }
      try {
        this.#conn?.close();
      } catch {
        // already closed
      }
      this.#conn = undefined;
      this.state = "connect";
      if (this.#stopped) return;
      // As in Redis's replicationHandleMasterDisconnection, a lost link is retried at once
      // ("Reconnecting to MASTER"), before the master's backlog moves past our offset.
      // A failed attempt waits for the next second, as Redis's cron does, except the
      // failures cancelReplicationHandshake(1) retries at once ("… after failure"); a
      // second of those in a row waits, so a master that fails every transfer at once
      // is not retried in a tight loop.
      const again: boolean = retryAtOnce && start !== "after-failure";
      start = linkDropped ? "reconnect" : again ? "after-failure" : "connect";
      if (start === "connect") {
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
      }
    }
  }

  /** One connection: handshake, sync, then serve the stream until the link drops. */
  async #attempt(start: AttemptStart): Promise<void> {
    const cfg = this.#server.config;
    const target = `MASTER ${this.host}:${this.port}`;
    if (start === "connect") log.notice(`Connecting to ${target}`);
    else if (start === "reconnect") log.notice(`Reconnecting to ${target}`);
    else log.notice(`Reconnecting to ${target} after failure`);
    log.notice("MASTER <-> REPLICA sync started");
    this.state = "connecting";
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ hostname: this.host, port: this.port });
    } catch (err) {
      throw new SyncAborted(`Error condition on socket for SYNC: ${osErrorText(err)}`);
    }
    if (this.#stopped) {
      conn.close();
      return;
    }
    this.#conn = conn;
    (conn as Deno.TcpConn).setNoDelay(true);
    log.notice("Non blocking connect for SYNC fired the event.");
    this.state = "handshake";
    const reader = new LinkReader(conn, () => cfg.getNumber("repl-timeout") * 1000);
    const send = async (argv: string[]) => {
      const bytes = stringToBytes(encodeCommand(argv));
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    };

    await send(["PING"]);
    const pong = await reader.line();
    // As in Redis, only +PONG, -NOAUTH, -NOPERM and "-ERR operation not permitted" go on.
    if (!pong.startsWith("+") && !/^-(NOAUTH|NOPERM|ERR operation not permitted)/.test(pong)) {
      throw new SyncAborted(`Error reply to PING from master: '${pong}'`);
    }
    log.notice("Master replied to PING, replication can continue...");

    const masterauth = cfg.getString("masterauth");
    if (masterauth) {
      const user = cfg.getString("masteruser");
      await send(user ? ["AUTH", user, masterauth] : ["AUTH", masterauth]);
      const reply = await reader.line();
      if (reply.startsWith("-")) throw new SyncAborted(`Unable to AUTH to MASTER: ${reply}`);
    }
    const announcedPort = cfg.getNumber("replica-announce-port") || this.#server.boundPort;
    await send(["REPLCONF", "listening-port", String(announcedPort)]);
    const portReply = await reader.line();
    if (portReply.startsWith("-")) {
      log.notice(`(Non critical) Master does not understand REPLCONF listening-port: ${portReply}`);
    }
    const announceIp = cfg.getString("replica-announce-ip");
    if (announceIp) {
      await send(["REPLCONF", "ip-address", announceIp]);
      const ipReply = await reader.line();
      if (ipReply.startsWith("-")) {
        log.notice(`(Non critical) Master does not understand REPLCONF ip-address: ${ipReply}`);
      }
    }
    await send(["REPLCONF", "capa", "eof", "capa", "psync2"]);
    const capaReply = await reader.line();
    if (capaReply.startsWith("-")) {
      log.notice(`(Non critical) Master does not understand REPLCONF capa: ${capaReply}`);
    }

    // PSYNC with our cached master, or ? -1; a demoted master handing over adds FAILOVER.
    const repl = this.#repl;
    const failover = repl.failover;
    let psync = ["PSYNC", "?", "-1"];
    if (this.hasCachedMaster) {
      psync = ["PSYNC", repl.replid, String(repl.offset + 1)];
      log.notice(`Trying a partial resynchronization (request ${repl.replid}:${repl.offset + 1}).`);
    } else {
      log.notice("Partial resynchronization not possible (no cached master)");
    }
    const handingOver = failover.handingOver;
    try {
      await send(handingOver ? [...psync, "FAILOVER"] : psync);
    } catch (err) {
      if (handingOver) failover.abort("Write error to failover target");
      throw err;
    }
    let reply = "";
    // The master may send newlines to keep us waiting while it prepares.
    while (reply === "") reply = await reader.line();
    // The target took over: the failover is done and writes resume (and get READONLY).
    if (reply.startsWith("+FULLRESYNC") || reply.startsWith("+CONTINUE")) {
      failover.psyncAnswered(true);
    }

    if (reply.startsWith("+FULLRESYNC")) {
      const [, replid, offsetText] = reply.split(" ");
      const offset = Number(offsetText);
      if (!replid || replid.length !== 40 || !Number.isSafeInteger(offset)) {
        throw new SyncAborted(`Master replied with wrong +FULLRESYNC syntax.`);
      }
      log.notice(`Full resync from master: ${replid}:${offset}`);
      this.#fullResyncReplid = replid;
      this.prePsync = false;
      // Until the new dataset is in, a master on the same machine should win the CPU.
      const restorePriority = lowerProcessPriority();
      try {
        await this.#fullSync(reader, replid, offset);
      } finally {
        restorePriority();
      }
      this.#serveStream(conn, reader, 0);
      // The master streams to a diskless replica only after its first ACK (as Redis).
      this.sendAck();
      return this.#awaitLinkDown();
    }
    if (reply.startsWith("+CONTINUE")) {
      log.notice("Successful partial resynchronization with master.");
      this.prePsync = false;
      const newId = reply.slice("+CONTINUE".length).trim();
      if (newId.length === 40 && newId !== repl.replid) {
        repl.replid2 = repl.replid;
        repl.secondReplOffset = repl.offset + 1;
        repl.replid = newId;
        log.warning(`Master replication ID changed to ${newId}`);
        // Our sub-replicas must learn the new id: they reconnect and continue.
        repl.primary.disconnectAll();
      }
      log.notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
      if (repl.backlog === undefined) repl.createBacklog(false);
      this.#serveStream(conn, reader, this.#lastDb);
      return this.#awaitLinkDown();
    }
    if (reply.startsWith("-NOMASTERLINK") || reply.startsWith("-LOADING")) {
      throw new SyncAborted(
        `Master is currently unable to PSYNC but should be in the future: ${reply}`,
        false,
        "notice",
      );
    }
    if (reply.startsWith("-ERR")) {
      log.notice(`Master does not support PSYNC or is in error state (reply: ${reply})`);
    } else {
      log.warning(`Unexpected reply to PSYNC from master: ${reply}`);
    }
    if (handingOver) {
      // Refused: we become the master again, which stops this link.
      failover.psyncAnswered(false);
      throw new SyncAborted("Failover target rejected psync request");
    }
    // Redis's PSYNC_NOT_SUPPORTED: a master before 2.8 (or one without PSYNC) gets the
    // old SYNC. It tells no replid or offset: the history is the last +FULLRESYNC's id
    // (none yet: empty) from offset -1, and such a master is never sent an ACK.
    log.notice("Retrying with SYNC...");
    await writeAll(conn, stringToBytes("SYNC\r\n"));
    this.prePsync = true;
    const marked = await this.#fullSync(reader, this.#fullResyncReplid, -1);
    this.#serveStream(conn, reader, 0);
    // A $EOF transfer means a master that knows ACKs; it streams after the first one.
    if (marked) this.sendAck();
    return this.#awaitLinkDown();
  }

  /** The replid of the last +FULLRESYNC (what a SYNC-only master's history is called). */
  #fullResyncReplid = "";

  /** The db the stream had selected when the link dropped (a PSYNC continues in it). */
  #lastDb = 0;
  #linkDown: Promise<void> | undefined;

  #awaitLinkDown(): Promise<void> {
    return this.#linkDown ?? Promise.resolve();
  }

  /**
   * Receives the RDB into a temp file, fsyncs it, loads it (decoded completely
   * before anything is replaced), then renames it over dbfilename. Tells
   * whether it came in the diskless `$EOF:<mark>` form.
   */
  async #fullSync(reader: LinkReader, replid: string, offset: number): Promise<boolean> {
    const server = this.#server;
    this.state = "sync";
    this.transferLastIo = Date.now();
    let header = "";
    while (header === "") header = await reader.line();
    if (header.startsWith("-")) {
      throw new SyncAborted(`MASTER aborted replication with an error: ${header.slice(1)}`);
    }
    if (!header.startsWith("$")) {
      throw new SyncAborted(
        `Bad protocol from MASTER, the first byte is not '$' (we received '${header}'), are you sure the host and port are right?`,
      );
    }
    // repl-diskless-load: keep the transfer in memory and load it from there
    // (swapdb always; on-empty-db when we hold no keys), else go through a file.
    const toParser = this.#useDisklessLoad();
    const target = toParser ? "to parser" : "to disk";
    let eofMark: string | undefined;
    if (header.startsWith("$EOF:") && header.length - 5 >= EOF_MARK_LENGTH) {
      eofMark = header.slice(5, 5 + EOF_MARK_LENGTH);
      this.transferSize = -1;
      log.notice(`MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF ${target}`);
    } else {
      const size = Number(header.slice(1));
      if (!Number.isSafeInteger(size) || size < 0) {
        throw new SyncAborted(`Bad bulk length from MASTER: ${header}`);
      }
      this.transferSize = size;
      log.notice(`MASTER <-> REPLICA sync: receiving ${size} bytes from master ${target}`);
    }
    if (toParser) {
      await this.#loadFromSocket(reader, eofMark, replid, offset);
      return eofMark !== undefined;
    }
    this.transferRead = 0;
    // Redis's readSyncBulkPayload words a close during the transfer so.
    reader.closedMessage = "I/O error trying to sync with MASTER: connection lost";
    this.transferLastIo = Date.now();
    const tempPath = `temp-${Math.floor(Date.now() / 1000)}.${Deno.pid}.rdb`;
    const file = await Deno.open(tempPath, { write: true, create: true, truncate: true });
    let fileClosed = false;
    // Decoded while it arrives (installed only once all of it checked out).
    const load = this.#startLoad();
    try {
      await this.#receive(reader, eofMark, async (bytes) => {
        await writeAll(file, bytes);
        load.push(bytes);
      });
      await file.sync();
      file.close();
      fileClosed = true;
      if (this.hasCachedMaster) log.notice("Discarding previously cached master state.");
      this.hasCachedMaster = false;
      log.notice("MASTER <-> REPLICA sync: Flushing old data");
      log.notice("MASTER <-> REPLICA sync: Loading DB in memory");
      await this.#install(load, "disk");
      const dbfilename = server.config.getString("dbfilename");
      await Deno.rename(tempPath, dbfilename);
      if (server.config.getBool("rdb-del-sync-files") && allPersistenceDisabled(server)) {
        log.notice(
          "Removing the RDB file obtained from the master. This replica has persistence disabled",
        );
        await Deno.remove(dbfilename).catch(() => {});
      }
    } catch (err) {
      load.abort();
      if (!fileClosed) {
        try {
          file.close();
        } catch {
          // closed
        }
      }
      await Deno.remove(tempPath).catch(() => {});
      throw err;
    }
    await this.#adoptHistory(replid, offset);
    return eofMark !== undefined;
  }

  /** repl-diskless-load swapdb, or on-empty-db while we hold no keys. */
  #useDisklessLoad(): boolean {
    const mode = this.#server.config.getString("repl-diskless-load");
    if (mode === "swapdb") return true;
    return mode === "on-empty-db" && this.#server.keyspace.dbs.every((db) => db.size === 0);
  }

  /**
   * The RDB's bytes, from the $len or $EOF:<mark> form, handed to `write` in
   * order; `write` owns the buffer of what it gets (the load transfers it).
   */
  async #receive(
    reader: LinkReader,
    eofMark: string | undefined,
    write: (bytes: Uint8Array) => Promise<void>,
  ): Promise<void> {
    if (eofMark !== undefined) return this.#receiveUntilMark(reader, write, eofMark);
    let left = this.transferSize;
    while (left > 0) {
      const chunk = await reader.chunk(Math.min(left, TRANSFER_READ_BYTES));
      const n = chunk.length; // before `write`, which may transfer (detach) it
      noteWork();
      await write(chunk);
      left -= n;
      this.transferRead += n;
      this.transferLastIo = Date.now();
    }
  }

  /**
   * repl-diskless-load: the transfer stays in memory, is decoded completely
   * and then replaces the old dataset (which is kept until then — Redis's
   * swapdb), with Redis's log lines; no file is written.
   */
  async #loadFromSocket(
    reader: LinkReader,
    eofMark: string | undefined,
    replid: string,
    offset: number,
  ): Promise<void> {
    // Decoded while it arrives; the old data stays until all of it checked out.
    const load = this.#startLoad();
    try {
      await this.#receive(reader, eofMark, (bytes) => {
        load.push(bytes);
        return Promise.resolve();
      });
    } catch (err) {
      load.abort();
      throw err;
    }
    log.notice("MASTER <-> REPLICA sync: Loading DB in memory");
    if (this.hasCachedMaster) log.notice("Discarding previously cached master state.");
    this.hasCachedMaster = false;
    await this.#install(load, "socket");
    log.notice("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
    log.notice("MASTER <-> REPLICA sync: Discarding old DB in background");
    await this.#adoptHistory(replid, offset);
  }

  /**
   * A load of the master's RDB fed as the transfer arrives: the load worker
   * decodes it meanwhile, into new maps, while we go on serving the old data.
   */
  #startLoad(): RdbStreamLoad {
    return startRdbStreamLoad(this.#server.keyspace, {
      dropExpired: false,
      verifyChecksum: this.#server.config.getBool("rdbchecksum"),
    });
  }

  /**
   * The transfer is complete: finishes decoding it (clients get -LOADING
   * meanwhile) and only then replaces our dataset; a bad transfer leaves the
   * old data in place and aborts this attempt.
   */
  async #install(load: RdbStreamLoad, source: "disk" | "socket"): Promise<void> {
    const server = this.#server;
    server.loading = true;
    try {
      const result = await load.end();
      server.rdb.lastLoadKeysLoaded = result.keysLoaded;
      server.rdb.lastLoadKeysExpired = result.keysExpired;
    } catch (err) {
      log.warning(`${(err as Error).message}`);
      throw new SyncAborted(
        `Failed trying to load the MASTER synchronization DB from ${source}, check server logs.`,
      );
    } finally {
      server.loading = false;
    }
  }

  /** After a full sync: the master's id and offset are ours; our own sub-replicas must resync. */
  async #adoptHistory(replid: string, offset: number): Promise<void> {
    const repl = this.#repl;
    repl.replid = replid;
    repl.replid2 = NULL_REPLID;
    repl.secondReplOffset = -1;
    repl.offset = offset;
    repl.backlog = undefined;
    repl.createBacklog(false);
    repl.primary.disconnectAll();
    this.transferSize = -1;
    log.notice("MASTER <-> REPLICA sync: Finished with success");
    for (const hook of this.afterFullSync) await hook();
  }

  /** Things to do after a full sync (the AOF layer rewrites its file, as Redis does). */
  readonly afterFullSync: Array<() => Promise<void>> = [];

  /**
   * The diskless form: everything up to the 40-byte mark is the file. Each
   * piece goes to `write` as soon as it cannot be the start of the mark
   * (the last 39 bytes seen are held back until the next read tells). Reads
   * are not joined to each other; `write` takes the buffer of what it gets
   * (it is transferred whole), so lengths are taken, and the held-back tail
   * copied out, before it.
   */
  async #receiveUntilMark(
    reader: LinkReader,
    write: (bytes: Uint8Array) => Promise<void>,
    mark: string,
  ): Promise<void> {
    const finder = new MarkFinder(stringToBytes(mark));
    const hold = EOF_MARK_LENGTH - 1;
    let held: Uint8Array = new Uint8Array(0);
    while (true) {
      let chunk: Uint8Array = await reader.chunk(TRANSFER_READ_BYTES);
      noteWork();
      this.transferRead += chunk.length;
      this.transferLastIo = Date.now();
      if (chunk.length < hold) {
        // A short read: join it to what is held (both small) and go on with the whole.
        chunk = concatBytes(held, chunk);
        held = new Uint8Array(0);
      }
      // Where the mark starts, relative to `chunk` (negative: in the held bytes).
      let at: number | undefined;
      if (held.length > 0) {
        const inSeam = finder.find(concatBytes(held, chunk.subarray(0, hold)));
        if (inSeam !== -1) at = inSeam - held.length;
      }
      if (at === undefined) {
        const inChunk = finder.find(chunk);
        if (inChunk !== -1) at = inChunk;
      }
      if (at !== undefined) {
        // The file ends where the mark starts; the stream may follow it in the same read.
        const after = chunk.length - at - EOF_MARK_LENGTH; // before `write` detaches the chunk
        if (at < 0) {
          if (held.length + at > 0) await write(held.subarray(0, held.length + at));
        } else {
          if (held.length > 0) await write(held);
          if (at > 0) await write(chunk.subarray(0, at));
        }
        if (after > 0) reader.unread(after);
        this.transferRead -= after;
        return;
      }
      if (held.length > 0) await write(held);
      if (chunk.length <= hold) {
        held = chunk;
        continue;
      }
      held = chunk.slice(chunk.length - hold);
      await write(chunk.subarray(0, chunk.length - hold));
    }
  }

  /** Turns the connection into the master client, applying and forwarding the stream. */
  #serveStream(conn: Deno.Conn, reader: LinkReader, db: number): void {
    const server = this.#server;
    const repl = this.#repl;
    const client = server.addClient(conn);
    client.flags.master = true;
    client.authenticated = true;
    client.dbIndex = db;
    client.lastCommand = "NULL";
    client.masterStreamApplied = (bytes) => {
      repl.proxy(bytes);
      server.stats.netReplInputBytes += bytes.length;
    };
    client.feed(reader.leftover());
    this.client = client;
    this.state = "connected";
    this.downSince = 0;
    this.#linkDown = new Promise((resolve) => {
      client.onClose.push(() => {
        this.#lastDb = client.dbIndex;
        this.client = undefined;
        if (!this.#stopped) {
          log.warning("Connection with master lost.");
          log.notice("Caching the disconnected master state.");
          this.hasCachedMaster = true;
        }
        this.downSince = Date.now();
        resolve();
      });
    });
    client.serve();
  }

  /** The replica part of replicationCron: ACK every second, repl-timeout. */
  cron(nowMs: number): void {
    const timeoutMs = this.#server.config.getNumber("repl-timeout") * 1000;
    const client = this.client;
    if (this.state === "connected" && client !== undefined) {
      if (nowMs - client.lastInteraction > timeoutMs) {
        log.warning("MASTER timeout: no data nor PING received...");
        client.close();
        return;
      }
      if (!this.prePsync) this.sendAck();
    } else if (this.state === "sync" && nowMs - this.transferLastIo > timeoutMs) {
      log.warning(
        "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
      );
      try {
        this.#conn?.close();
      } catch {
        // closed
      }
    }
  }

  /** REPLCONF ACK <offset> to the master. */
  sendAck(): void {
    const client = this.client;
    if (client === undefined) return;
    client.reply.raw(encodeCommand(["REPLCONF", "ACK", String(this.#repl.offset)]));
    client.flush();
  }

  /** The replica-only INFO replication fields, in Redis's order. */
  infoFields(): Array<[string, string | number]> {
    const now = Date.now();
    const client = this.client;
    const fields: Array<[string, string | number]> = [
      ["master_link_status", this.connected ? "up" : "down"],
      [
        "master_last_io_seconds_ago",
        client ? Math.floor((now - client.lastInteraction) / 1000) : -1,
      ],
      ["master_sync_in_progress", this.state === "sync" ? 1 : 0],
      ["slave_read_repl_offset", this.#repl.offset + (client?.queryBufferLength ?? 0)],
      ["slave_repl_offset", this.#repl.offset],
    ];
    if (this.state === "sync") {
      const total = this.transferSize;
      fields.push(
        ["master_sync_total_bytes", total],
        ["master_sync_read_bytes", this.transferRead],
        ["master_sync_left_bytes", total === -1 ? -1 : total - this.transferRead],
        ["master_sync_perc", total > 0 ? ((this.transferRead / total) * 100).toFixed(2) : "0.00"],
        ["master_sync_last_io_seconds_ago", Math.floor((now - this.transferLastIo) / 1000)],
      );
    }
    if (!this.connected) {
      fields.push([
        "master_link_down_since_seconds",
        this.downSince ? Math.floor((now - this.downSince) / 1000) : -1,
      ]);
    }
    return fields;
  }
}

async function writeAll(to: Deno.FsFile | Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await to.write(bytes.subarray(off));
}

/** Finds one byte string in others (Horspool: most bytes of a transfer are skipped unread). */
class MarkFinder {
  readonly #needle: Uint8Array;
  readonly #shift = new Int32Array(256);

  constructor(needle: Uint8Array) {
    this.#needle = needle;
    const last = needle.length - 1;
    this.#shift.fill(needle.length);
    for (let k = 0; k < last; k++) this.#shift[needle[k]] = last - k;
  }

  /** The first index of the needle in `haystack`, or -1. */
  find(haystack: Uint8Array): number {
    const needle = this.#needle;
    const shift = this.#shift;
    const last = needle.length - 1;
    const lastByte = needle[last];
    for (let i = 0; i + last < haystack.length; i += shift[haystack[i + last]]) {
      if (haystack[i + last] !== lastByte) continue;
      let j = last - 1;
      while (j >= 0 && haystack[i + j] === needle[j]) j--;
      if (j < 0) return i;
    }
    return -1;
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
