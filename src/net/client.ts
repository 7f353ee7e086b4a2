/**
 * One client connection: the read loop, request decoding with query-buffer
 * limits, reply batching (every reply produced from one read goes out in one
 * socket write) and output-buffer limits for pushed data.
 */
import { decodeRequest, ProtocolError, ReplyWriter } from "./resp.ts";
import { execute, pauseWaitFor, settleBatchTimings } from "../commands/dispatch.ts";
import type { Server } from "../server.ts";
import type { Db } from "../store/keyspace.ts";
import type { CommandContext } from "../commands/types.ts";
import { log } from "../log.ts";
import { reprArg } from "../util/repr.ts";
import { PREFETCH_MAX_REQUESTS, prefetchRequestKeys } from "./key_prefetch.ts";

/**
 * What a client's output waits for before it reaches the socket, per server.
 * The AOF layer (src/persistence/aof.ts) installs one: with appendfsync always
 * a reply (or pushed data) is written only once the writes made before it are
 * fsynced in the AOF, as Redis flushes the AOF in beforeSleep before it writes
 * to clients. Undefined means "go ahead".
 */
const outputBarriers = new WeakMap<Server, () => Promise<void> | undefined>();

/** Installs (or removes, with undefined) the output barrier of `server`'s clients. */
export function setOutputBarrier(
  server: Server,
  barrier: (() => Promise<void> | undefined) | undefined,
): void {
  if (barrier === undefined) outputBarriers.delete(server);
  else outputBarriers.set(server, barrier);
}

/** Bytes of input Redis quotes when it logs a protocol error (PROTO_DUMP_LEN). */
const PROTO_DUMP_LEN = 128;

/** The reason Redis's log line gives for each protocol error (its wording differs from the reply's). */
const PROTOCOL_LOG_REASONS: Record<string, string> = {
  "Protocol error: invalid multibulk length": "invalid mbulk count",
  "Protocol error: unauthenticated multibulk length": "unauth mbulk count",
  "Protocol error: unauthenticated bulk length": "unauth bulk length",
  "Protocol error: unbalanced quotes in request": "unbalanced quotes in inline request",
};

function protocolLogReason(message: string): string {
  if (message.startsWith("Protocol error: expected '$'")) {
    return "expected $ but got something else";
  }
  return PROTOCOL_LOG_REASONS[message] ?? message.replace("Protocol error: ", "");
}

/** Pending reply bytes beyond which a client's reads wait for its writes. */
export const OUTPUT_BACKPRESSURE_BYTES = 256 * 1024;
/** Size of a new client's read buffer (Redis's PROTO_IOBUF_LEN). */
export const READ_BUFFER_SIZE = 16 * 1024;

/** Why a client's output is limited: Redis's classes for client-output-buffer-limit. */
export type OutputClass = "normal" | "replica" | "pubsub";

/** Flags CLIENT LIST prints (Redis's getClientInfoString). */
export interface ClientFlags {
  master: boolean;
  replica: boolean;
  monitor: boolean;
  multi: boolean;
  dirtyCas: boolean;
  dirtyExec: boolean;
  blocked: boolean;
  closeAfterReply: boolean;
  readonly: boolean;
  noEvict: boolean;
}

/** One connected client. */
export class Client {
  readonly id: number;
  readonly addr: string;
  readonly laddr: string;
  /** Connected through the `unixsocket` (CLIENT LIST's flag U). */
  readonly unixSocket: boolean;
  readonly fd: number;
  name = "";
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  /** For the snapshot's pacing: see src/net/served_clients.ts. */
  servedPeriod = 0;
  dbIndex = 0;
  authenticated: boolean;
  readonly reply = new ReplyWriter();
  /** "default" until ACL users exist. */
  user = "default";
  lastCommand = "NULL";
  libName = "";
  libVersion = "";
  flags: ClientFlags = {
    master: false,
    replica: false,
    monitor: false,
    multi: false,
    dirtyCas: false,
    dirtyExec: false,
    blocked: false,
    closeAfterReply: false,
    readonly: false,
    noEvict: false,
  };
  /** CLIENT REPLY OFF|SKIP: replies are discarded. */
  replyMode: "on" | "off" | "skip" = "on";
  /** Pub/sub subscriptions; pattern subscriptions separately. */
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  /** Sharded pub/sub channels (SSUBSCRIBE). */
  readonly shardChannels = new Set<string>();

  /** Subscribed to anything (Redis's CLIENT_PUBSUB): RESP2 subscriber mode, CLIENT LIST's P flag. */
  get inPubSub(): boolean {
    return this.channels.size + this.patterns.size + this.shardChannels.size > 0;
  }
  /** Queued commands while in MULTI. */
  multiQueue: string[][] = [];
  /** Set by the dispatcher for the duration of one command. */
  propagateOverride: string[][] | undefined;
  propagateSuppressed = false;
  /** Time when the soft output limit was first exceeded, 0 when under it. */
  softLimitSince = 0;
  /** Whatever the replication layer attaches to a replica client. */
  replicaState: unknown;
  /**
   * Output held back outside the reply buffer: a syncing replica's stream,
   * kept until its snapshot is sent. CLIENT LIST's omem counts it, as Redis's
   * output buffer holds it; socket backpressure does not (it cannot drain yet).
   */
  heldOutputBytes = 0;
  /** For our master's link: a handler sets this to send its reply (REPLCONF GETACK's ACK). */
  forceReply = false;
  /** For our master's link: receives the raw bytes of each applied command (they must be copied). */
  masterStreamApplied: ((bytes: Uint8Array) => void) | undefined;
  /** Called when the connection ends (replication, pubsub, blocking bookkeeping). */
  readonly onClose: Array<() => void> = [];

  #conn: Deno.Conn;
  #inbuf = new Uint8Array(READ_BUFFER_SIZE);
  #start = 0;
  #end = 0;
  #closed = false;
  #flushing: Promise<void> | undefined;
  /** A socket read issued while a command waited (see #waitReading), not yet consumed. */
  #pendingRead: Promise<number | null> | undefined;
  #inflight = 0;
  /** Chunks queued by `writeChunk`, written in order before the reply buffer's newer bytes. */
  #chunks: Uint8Array[] = [];
  #chunkBytes = 0;
  readonly server: Server;

  constructor(server: Server, conn: Deno.Conn, id: number, fd: number) {
    this.server = server;
    this.#conn = conn;
    this.id = id;
    this.fd = fd;
    const remote = conn.remoteAddr as Deno.NetAddr;
    const local = conn.localAddr as Deno.NetAddr | Deno.UnixAddr;
    // A unix socket client is named by the socket's path, with port 0, on both ends (as Redis).
    const path = local.transport === "unix" ? local.path : "";
    this.unixSocket = path !== "";
    this.addr = this.unixSocket ? `${path}:0` : formatAddr(remote);
    this.laddr = this.unixSocket ? `${path}:0` : formatAddr(local as Deno.NetAddr);
    this.authenticated = !server.config.getString("requirepass");
  }

  get db(): Db {
    return this.server.keyspace.dbs[this.dbIndex];
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes received but not yet parsed into a command (qbuf). */
  get queryBufferLength(): number {
    return this.#end - this.#start;
  }

  get queryBufferSize(): number {
    return this.#inbuf.length;
  }

  /** Bytes waiting to be written (omem). */
  get outputLength(): number {
    return this.reply.pos + this.#inflight + this.#chunkBytes;
  }

  /** The client's buffers: query buffer, pending output, a syncing replica's held stream. */
  get bufferBytes(): number {
    return this.queryBufferSize + this.outputLength + this.heldOutputBytes;
  }

  /** Runs the connection until it closes. */
  async serve(): Promise<void> {
    try {
      if (this.#end > this.#start) await this.#processInput();
      while (!this.#closed) {
        let n: number | null;
        if (this.#pendingRead !== undefined) {
          // A read started while a command waited (see #waitReading) is ours now.
          n = await this.#pendingRead;
          this.#pendingRead = undefined;
        } else {
          this.#makeRoom();
          n = await this.#conn.read(this.#inbuf.subarray(this.#end));
        }
        if (n === null) {
          log.verbose("Client closed connection " + this.server.clientInfoString(this));
          break;
        }
        this.#end += n;
        this.server.stats.netInputBytes += n;
        // Like Redis, checked right after the read: an oversized request never runs.
        if (!this.flags.master && this.#end - this.#start > this.server.queryBufferLimit) {
          this.#closeForQueryBuffer();
          break;
        }
        this.lastInteraction = Date.now();
        this.server.servedClients.served(this);
        await this.#processInput();
        if (this.reply.pos > 0) {
          const flushed = this.flush();
          // Like Redis, keep reading while the reply is being written; wait only
          // when a lot is pending (a client that pipelines without reading).
          if (this.flags.closeAfterReply || this.outputLength > OUTPUT_BACKPRESSURE_BYTES) {
            await flushed;
          }
        }
        if (this.flags.closeAfterReply) break;
      }
    } catch (err) {
      if (!this.#closed && !isDisconnect(err)) {
        log.verbose(`Error reading from client: ${(err as Error).message}`);
      }
    } finally {
      this.close();
    }
  }

  /** Ensures there is free space at the end of the read buffer. */
  #makeRoom(): void {
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      return;
    }
    if (this.#end < this.#inbuf.length) return;
    const pending = this.#end - this.#start;
    if (this.#start > 0 && pending < this.#inbuf.length / 2) {
      this.#inbuf.copyWithin(0, this.#start, this.#end);
    } else {
      // A request larger than the buffer: grow (bounded by client-query-buffer-limit).
      const next = new Uint8Array(this.#inbuf.length * 2);
      next.set(this.#inbuf.subarray(this.#start, this.#end));
      this.#inbuf = next;
    }
    this.#start = 0;
    this.#end = pending;
  }

  async #processInput(): Promise<void> {
    const server = this.server;
    server.batchClock = performance.now();
    try {
      await this.#processBatch();
    } finally {
      settleBatchTimings(server);
      server.batchClock = undefined;
    }
  }

  async #processBatch(): Promise<void> {
    const limits = {
      protoMaxBulkLen: this.server.protoMaxBulkLen,
      authenticated: this.authenticated,
    };
    let untilPrefetch = 0;
    while (!this.#closed && !this.flags.closeAfterReply) {
      // Looking ahead is for clients allowed to run commands.
      if (untilPrefetch-- === 0 && this.authenticated) {
        prefetchRequestKeys(this.db, this.#inbuf, this.#start, this.#end);
        untilPrefetch = PREFETCH_MAX_REQUESTS;
      }
      let decoded;
      try {
        decoded = decodeRequest(this.#inbuf, this.#start, this.#end, limits);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        if (log.enabled("verbose")) {
          log.verbose(
            `Protocol error (${protocolLogReason(err.message)}) from client: ` +
              `${this.server.clientInfoString(this)}. ${this.#queryBufferSample(err.at)}`,
          );
        }
        this.reply.error("ERR " + err.message);
        this.flags.closeAfterReply = true;
        return;
      }
      if (decoded === null) break;
      const commandStart = this.#start;
      this.#start = decoded.end;
      if (this.flags.master) {
        // CLIENT PAUSE on this replica holds the stream too, as Redis pauses its master
        // client: nothing after the held command runs, and its bytes are not acknowledged.
        const server = this.server;
        const paused = server.pauseUntil !== 0 || server.failoverPause
          ? pauseWaitFor(this, decoded.argv)
          : undefined;
        if (paused !== undefined) {
          this.#start = commandStart;
          await this.#waitReading(paused);
          continue;
        }
        this.#applyFromMaster(decoded.argv, commandStart, decoded.end);
        continue;
      }
      if (decoded.argv.length === 0) continue;
      limits.authenticated = this.authenticated;
      const pending = execute(this, decoded.argv);
      if (pending !== undefined) {
        // A command that waits: send what earlier commands of this batch replied first.
        if (this.reply.pos > 0) this.flush();
        settleBatchTimings(this.server);
        this.server.batchClock = undefined;
        await this.#waitReading(pending);
        this.server.batchClock = performance.now();
      }
      limits.authenticated = this.authenticated;
    }
  }

  /**
   * Waits for a command that blocks (BLPOP, WAIT, a CLIENT PAUSE …) while
   * still reading, like Redis keeps reading a blocked client: a peer that
   * disconnects is noticed at once, and its onClose hooks unblock the command
   * so it is not served (popping data nobody receives). What arrives
   * meanwhile is only buffered; a read still outstanding when the command
   * settles is picked up by `serve`.
   */
  async #waitReading(pending: Promise<void>): Promise<void> {
    let settled = false;
    const done = pending.then(() => settled = true, () => settled = true).then(() => undefined);
    while (!settled && !this.#closed) {
      if (this.#pendingRead === undefined) {
        this.#makeRoom();
        this.#pendingRead = this.#conn.read(this.#inbuf.subarray(this.#end)).catch(() => null);
      }
      const n = await Promise.race([done, this.#pendingRead]);
      if (n === undefined) break;
      this.#pendingRead = undefined;
      if (n === null) {
        log.verbose("Client closed connection " + this.server.clientInfoString(this));
        this.close();
        break;
      }
      this.#end += n;
      this.server.stats.netInputBytes += n;
      if (!this.flags.master && this.#end - this.#start > this.server.queryBufferLimit) {
        this.#closeForQueryBuffer();
        break;
      }
    }
    await pending;
  }

  #closeForQueryBuffer(): void {
    log.warning(
      "Closing client that reached max query buffer length: " +
        this.server.clientInfoString(this) +
        ` (qbuf initial bytes: ${reprArg(this.#peekQuery())})`,
    );
    this.close();
  }

  /**
   * Runs one command of our master's replication stream: expired keys stay
   * visible to it, its replies are discarded (except the ones a handler forces,
   * REPLCONF ACK), the propagator re-encodes it for the AOF only, and the raw
   * bytes go on to our own backlog and sub-replicas (`masterStreamApplied`).
   */
  #applyFromMaster(argv: string[], start: number, end: number): void {
    const server = this.server;
    if (argv.length > 0) {
      const replyMark = this.reply.pos;
      server.keyspace.servingMaster = true;
      server.propagator.fromMaster = true;
      try {
        execute(this, argv);
      } finally {
        server.keyspace.servingMaster = false;
        server.propagator.fromMaster = false;
      }
      if (this.forceReply) this.forceReply = false;
      else this.reply.pos = replyMark;
    }
    this.masterStreamApplied?.(this.#inbuf.subarray(start, end));
  }

  /** Bytes that arrived before this client took over the connection (the replication handshake's leftovers). */
  feed(bytes: Uint8Array): void {
    this.#makeRoom();
    while (this.#inbuf.length - this.#end < bytes.length) {
      const next = new Uint8Array(this.#inbuf.length * 2);
      next.set(this.#inbuf.subarray(this.#start, this.#end));
      this.#end -= this.#start;
      this.#start = 0;
      this.#inbuf = next;
    }
    this.#inbuf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  /** Runs the commands already fed, before reading from the socket (see `feed`). */
  async processPending(): Promise<void> {
    await this.#processInput();
  }

  /** Redis's setProtocolError sample: the unparsed input, 128 bytes at most, non-printables as '.'. */
  #queryBufferSample(at: number): string {
    const from = at >= this.#start && at <= this.#end ? at : this.#start;
    const pending = this.#end - from;
    const text = (from: number, to: number) => {
      let s = "";
      for (let i = from; i < to; i++) {
        const c = this.#inbuf[i];
        s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".";
      }
      return s;
    };
    if (pending < PROTO_DUMP_LEN) {
      return `Query buffer during protocol error: '${text(from, this.#end)}'`;
    }
    const half = PROTO_DUMP_LEN / 2;
    return `Query buffer during protocol error: '${text(from, from + half)}' ` +
      `(... more ${pending - PROTO_DUMP_LEN} bytes ...) '${text(this.#end - half, this.#end)}'`;
  }

  #peekQuery(): string {
    let s = "";
    for (let i = this.#start; i < Math.min(this.#end, this.#start + 64); i++) {
      s += String.fromCharCode(this.#inbuf[i]);
    }
    return s;
  }

  /**
   * Queues `bytes` to be written as they are, after what the reply writer
   * already holds. RDB transfers use it: copied through the growable reply
   * buffer, each megabyte cost a chain of doubling allocations and the
   * external-memory collections they set off. The caller must leave `bytes`
   * unchanged until a `flush()` called after this has resolved.
   */
  writeChunk(bytes: Uint8Array): void {
    if (this.#closed || bytes.length === 0) return;
    if (this.reply.pos > 0) {
      const sealed = this.reply.take();
      this.#chunks.push(sealed);
      this.#chunkBytes += sealed.length;
    }
    this.#chunks.push(bytes);
    this.#chunkBytes += bytes.length;
  }

  /** Writes everything the reply writer holds; resolves when it is on the socket. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if ((this.reply.pos === 0 && this.#chunks.length === 0) || this.#closed) {
      return Promise.resolve();
    }
    this.#flushing = this.#flushLoop();
    return this.#flushing;
  }

  /** The next bytes to write: queued chunks first, then the reply buffer (reusable once written). */
  #nextOutput(): { data: Uint8Array; reusable: boolean } | undefined {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      this.#chunkBytes -= chunk.length;
      return { data: chunk, reusable: false };
    }
    if (this.reply.pos > 0) return { data: this.reply.take(), reusable: true };
    return undefined;
  }

  async #flushLoop(): Promise<void> {
    try {
      while (!this.#closed) {
        const next = this.#nextOutput();
        if (next === undefined) break;
        const data = next.data;
        this.#inflight = data.length;
        // The AOF: everything taken was produced after its writes were handed to the AOF,
        // so waiting for the AOF's current end covers them (group commit, see aof.ts).
        const barrier = outputBarriers.get(this.server)?.();
        if (barrier !== undefined) await barrier;
        let offset = 0;
        while (offset < data.length) {
          offset += await this.#conn.write(data.subarray(offset));
        }
        this.server.stats.netOutputBytes += data.length;
        this.#inflight = 0;
        if (next.reusable) this.reply.recycle(data);
        this.#wakeOutputWaiters();
      }
    } catch {
      this.close();
    } finally {
      this.#flushing = undefined;
      this.#inflight = 0;
      this.#wakeOutputWaiters();
    }
  }

  /**
   * Resolves once at most `bytes` of output are pending (or the client is
   * closed); undefined when that is already so. Unlike `flush()`, it does not
   * wait for output appended meanwhile to drain as well.
   */
  whenOutputBelow(bytes: number): Promise<void> | undefined {
    if (this.#closed || this.outputLength <= bytes) return undefined;
    return new Promise((resolve) => this.#outputWaiters.push({ bytes, resolve }));
  }

  #outputWaiters: Array<{ bytes: number; resolve: () => void }> = [];

  #wakeOutputWaiters(): void {
    if (this.#outputWaiters.length === 0) return;
    const pending = this.#closed ? 0 : this.outputLength;
    this.#outputWaiters = this.#outputWaiters.filter((w) => {
      if (pending > w.bytes) return true;
      w.resolve();
      return false;
    });
  }

  /**
   * Appends pushed data (pub/sub, MONITOR, the replication stream) and
   * schedules a write, enforcing client-output-buffer-limit for the class.
   */
  afterPush(cls: OutputClass): void {
    if (this.#closed) return;
    if (this.server.outputLimitExceeded(this, cls)) {
      log.warning(
        `Client ${
          this.server.clientInfoString(this)
        } scheduled to be closed ASAP for overcoming of output buffer limits.`,
      );
      this.close();
      return;
    }
    this.flush();
  }

  /** Closes the connection now; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer
    }
    this.#chunks = [];
    this.#chunkBytes = 0;
    this.server.removeClient(this);
    this.#wakeOutputWaiters();
    for (const hook of this.onClose) hook();
  }

  /** Sets TCP keepalive per the `tcp-keepalive` directive. */
  setKeepAlive(seconds: number): void {
    try {
      (this.#conn as Deno.TcpConn).setKeepAlive?.(seconds > 0);
    } catch {
      // not a TCP connection
    }
  }

  /** The context a handler runs with. */
  context(): CommandContext {
    return this.#context;
  }

  #context: CommandContext = {
    server: undefined as unknown as Server,
    client: this,
    get db() {
      return this.client.db;
    },
    get reply() {
      return this.client.reply;
    },
    propagate(argv: string[]) {
      (this.client.propagateOverride ??= []).push(argv);
    },
    preventPropagation() {
      this.client.propagateSuppressed = true;
    },
  };

  /** Wires the context to the server (the field initialiser runs before the constructor body). */
  init(): this {
    (this.#context as { server: Server }).server = this.server;
    this.reply.onError = (message) => this.server.countError(message);
    (this.#conn as Deno.TcpConn).setNoDelay?.(true);
    return this;
  }
}

function formatAddr(addr: Deno.NetAddr): string {
  if (!addr || addr.transport !== "tcp") return "/unix";
  return addr.hostname.includes(":")
    ? `${addr.hostname}:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

function isDisconnect(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BadResource ||
    err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.Interrupted;
}
