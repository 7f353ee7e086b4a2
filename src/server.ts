/**
 * The server: listeners, clients, databases, stats and the cron (Redis's
 * serverCron at `hz`): active expiry, the periodic log lines, client
 * timeouts, and the timers later layers (persistence, replication) hook in.
 */
import { Config } from "./config.ts";
import { Keyspace } from "./store/keyspace.ts";
import { setHashFlatLimits } from "./store/hash.ts";
import { Propagator } from "./propagator.ts";
import { Client, type OutputClass } from "./net/client.ts";
import { ServedClients } from "./net/served_clients.ts";
import { commandMeta, type CommandSpec } from "./commands/types.ts";
import { UntimedCalls } from "./commands/batch_timing.ts";
import { log } from "./log.ts";
import { reprArg } from "./util/repr.ts";
import { latin1ToUtf8 } from "./util/bytes.ts";
import { RdbSaver } from "./persistence/rdb_saver.ts";
import { IdleScavenger } from "./util/idle_scavenge.ts";
import { osErrorText, processCpuTimes, randomHex, usedMemory } from "./util/system.ts";

export { processCpuTimes, randomHex, usedMemory };
import type { Replication } from "./replication/mod.ts";

/** Redis version we answer as (INFO, HELLO, the RDB aux field). */
export const REDIS_VERSION = "7.0.15";
/** Redeno's own version, printed by --version. */
export const REDENO_VERSION = "0.1.0";

/** Per-command counters for INFO commandstats. */
export interface CommandStats {
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
}

/** One SLOWLOG entry. */
export interface SlowlogEntry {
  id: number;
  time: number;
  micros: number;
  argv: string[];
  addr: string;
  name: string;
}

/** Server-wide counters INFO stats reads. */
export class ServerStats {
  totalConnectionsReceived = 0;
  totalCommandsProcessed = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  netReplInputBytes = 0;
  netReplOutputBytes = 0;
  rejectedConnections = 0;
  rejectedCalls = 0;
  totalErrorReplies = 0;
  readonly errorstats = new Map<string, number>();
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  evictedKeys = 0;
  evictedClients = 0;
  /** Milliseconds spent over maxmemory in finished stretches, and when the current one began (0: none). */
  evictionExceededMs = 0;
  evictionExceededSince = 0;
  totalForks = 0;
  pubsubChannelsPeak = 0;
  ioReadsProcessed = 0;
  ioWritesProcessed = 0;
  /** Samples for instantaneous_* (Redis keeps 16 samples, one every 100 ms). */
  readonly samples = {
    commands: new InstantMetric(),
    netInput: new InstantMetric(),
    netOutput: new InstantMetric(),
    netReplInput: new InstantMetric(),
    netReplOutput: new InstantMetric(),
  };
}

/** Redis's trackInstantaneousMetric: a per-second rate averaged over 16 samples. */
export class InstantMetric {
  #samples = new Array<number>(16).fill(0);
  #index = 0;
  #lastTime = 0;
  #lastValue = 0;

  track(value: number, nowMs: number): void {
    if (this.#lastTime !== 0) {
      const elapsed = nowMs - this.#lastTime;
      const ops = elapsed > 0 ? ((value - this.#lastValue) * 1000) / elapsed : 0;
      this.#samples[this.#index] = ops;
      this.#index = (this.#index + 1) % 16;
    }
    this.#lastTime = nowMs;
    this.#lastValue = value;
  }

  get perSecond(): number {
    return this.#samples.reduce((a, b) => a + b, 0) / 16;
  }
}

/** How many clients a server accepts beyond maxclients before refusing (never: Redis refuses at once). */
const ACCEPT_ERROR = "-ERR max number of clients reached\r\n";

/** The running server. */
export class Server {
  readonly config: Config;
  keyspace: Keyspace;
  readonly propagator = new Propagator();
  readonly stats = new ServerStats();
  /** Clients served, for a snapshot's pacing. */
  readonly servedClients = new ServedClients();
  readonly clients = new Map<number, Client>();
  readonly monitors = new Set<Client>();
  readonly startedAt = Date.now();
  readonly runId = randomHex(40);
  /** Writes since the last save (Redis's server.dirty). */
  dirty = 0;
  /** A non-zero value pauses clients until that time (CLIENT PAUSE). */
  pauseUntil = 0;
  pauseWritesOnly = false;
  /** Writes wait while a FAILOVER hands over, whatever CLIENT PAUSE/UNPAUSE do. */
  failoverPause = false;
  protoMaxBulkLen = 512 * 1024 * 1024;
  queryBufferLimit = 1024 * 1024 * 1024;
  readonly slowlog: SlowlogEntry[] = [];
  slowlogNextId = 0;
  /** LATENCY events: name → samples of [unix seconds, ms]. */
  readonly latencyEvents = new Map<string, Array<[number, number]>>();
  readonly latencyMax = new Map<string, number>();
  /** Set when a shutdown has been requested (signal or SHUTDOWN). */
  shuttingDown = false;
  /** Functions run on each cron tick (persistence, replication hook in here). */
  readonly cronJobs: Array<(nowMs: number) => void> = [];
  /** Functions that contribute to a clean shutdown, awaited in order; a false result aborts it. */
  readonly shutdownHooks: Array<(opts: ShutdownOptions) => Promise<boolean>> = [];
  /** Lines of the server's INFO sections that later layers add ("persistence", "replication"). */
  readonly infoProviders = new Map<string, () => Array<[string, string | number]>>();
  /** Extra guards (replication: READONLY, MASTERDOWN, NOREPLICAS; persistence: MISCONF). */
  readonly guards: Array<(client: Client, cmd: CommandSpec, argv: string[]) => string | undefined> =
    [];
  /** Resolves when the server has stopped. */
  readonly stopped: Promise<void>;
  /** RDB saves (src/persistence/rdb_saver.ts). */
  readonly rdb: RdbSaver;
  /** Replication state (src/replication/mod.ts), installed at start-up. */
  replication!: Replication;
  /** The pid file this process wrote, removed on a clean exit. */
  pidFile: string | undefined;
  /**
   * performance.now() at the end of the last command of the batch a client is
   * processing, or undefined outside a batch (see dispatch.ts call()).
   */
  batchClock: number | undefined = undefined;
  /** Fast commands of the current batch not timed yet (src/commands/batch_timing.ts). */
  readonly untimedCalls = new UntimedCalls();
  /** True while the dataset is being loaded (INFO loading, -LOADING). */
  loading = false;
  /** Set by the AOF layer: whether a rewrite is running, and its INFO fields. */
  aofRewriteRunning: () => boolean = () => false;
  aofInfoFields: () => Array<[string, string | number]> = () => [
    ["aof_enabled", 0],
    ["aof_rewrite_in_progress", 0],
    ["aof_rewrite_scheduled", 0],
    ["aof_last_rewrite_time_sec", -1],
    ["aof_current_rewrite_time_sec", -1],
    ["aof_last_bgrewrite_status", "ok"],
    ["aof_rewrites", 0],
    ["aof_rewrites_consecutive_failures", 0],
    ["aof_last_write_status", "ok"],
    ["aof_last_cow_size", 0],
  ];

  #listeners: Deno.Listener[] = [];
  #nextClientId = 1;
  #nextFd = 8;
  #cronTimer: ReturnType<typeof setInterval> | undefined;
  #cronLoops = 0;
  #idleScavenger = new IdleScavenger();
  #commandStats = new Map<string, CommandStats>();
  #resolveStopped!: () => void;
  #lastCpuSample = 0;

  constructor(config: Config) {
    this.config = config;
    this.keyspace = new Keyspace(config.getNumber("databases"));
    this.stopped = new Promise((resolve) => this.#resolveStopped = resolve);
    this.rdb = new RdbSaver(this);
    this.#applyConfig();
    this.#propagateExpirations();
  }

  /** Wires config parameters that take effect at runtime. */
  #applyConfig(): void {
    const cfg = this.config;
    const refresh = () => {
      this.protoMaxBulkLen = cfg.getNumber("proto-max-bulk-len");
      this.queryBufferLimit = cfg.getNumber("client-query-buffer-limit");
      this.#slowlogThreshold = cfg.getNumber("slowlog-log-slower-than");
      this.#latencyThreshold = cfg.getNumber("latency-monitor-threshold");
    };
    refresh();
    for (
      const name of [
        "proto-max-bulk-len",
        "client-query-buffer-limit",
        "slowlog-log-slower-than",
        "latency-monitor-threshold",
      ]
    ) cfg.onChange(name, refresh);
    const hashLimits = () =>
      setHashFlatLimits(
        cfg.getNumber("hash-max-listpack-entries"),
        cfg.getNumber("hash-max-listpack-value"),
      );
    hashLimits();
    cfg.onChange("hash-max-listpack-entries", hashLimits);
    cfg.onChange("hash-max-listpack-value", hashLimits);
    cfg.onChange("loglevel", (v) => log.level = v as typeof log.level);
    cfg.onChange("hz", () => this.#startCron());
    cfg.onChange("logfile", (v) => log.setFile(v));
    cfg.onChange("dir", (v) => Deno.chdir(latin1ToUtf8(v)));
    cfg.onChange("port", () => this.#relisten("port"));
    cfg.onChange("bind", () => this.#relisten("bind"));
  }

  /**
   * Expired keys reach the AOF and replicas as DEL (DESIGN decision 3), as
   * UNLINK under lazyfree-lazy-expire (Redis's propagateDeletion).
   */
  #propagateExpirations(): void {
    this.keyspace.hooks.add({
      beforeWrite() {},
      keyModified() {},
      beforeFlush() {},
      keyExpired: (db, key) => {
        const lazy = this.config.getBool("lazyfree-lazy-expire");
        this.propagator.add(db.id, [lazy ? "UNLINK" : "DEL", key]);
      },
    });
  }

  /** Binds every `bind` address on `port`; exits the process like Redis when one cannot be bound. */
  listen(): void {
    const port = this.config.getNumber("port");
    try {
      this.#startListeners(port, this.config.getString("bind"));
    } catch {
      log.warning("Failed listening on port " + port + " (tcp), aborting.");
      Deno.exit(1);
    }
    this.#listenUnix();
  }

  /** The `unixsocket` listener, if one is configured. */
  #unixListener: Deno.Listener | undefined;

  /** Whether clients can connect over TCP (Redis logs "Ready to accept connections" only then). */
  get listensOnTcp(): boolean {
    return this.#listeners.length > 0;
  }

  /**
   * `unixsocket path` (Redis's initServer): a stale socket file is removed,
   * the new one gets `unixsocketperm` when it is set; failing is fatal.
   */
  #listenUnix(): void {
    const path = this.config.getString("unixsocket");
    if (path === "") return;
    try {
      Deno.removeSync(path);
    } catch {
      // no stale socket
    }
    try {
      this.#unixListener = Deno.listen({ transport: "unix", path });
      const perm = this.config.getNumber("unixsocketperm");
      if (perm !== 0) Deno.chmodSync(path, perm);
    } catch (err) {
      log.warning(`Failed opening Unix socket: bind: ${osErrorText(err)}`);
      Deno.exit(1);
    }
    const loop = this.#acceptLoop(this.#unixListener);
    this.#acceptLoops.add(loop);
    loop.finally(() => this.#acceptLoops.delete(loop));
  }

  /**
   * CONFIG SET port / bind: listens on the new addresses (port 0: none), then
   * closes the old listeners, like Redis's changeListenPort / changeBindAddr.
   * A failure throws Redis's message and keeps the old listeners; CONFIG SET
   * restores the old values and calls this again, which then has nothing to do.
   * Unlike Redis, the new sockets are bound before the old ones close: Deno
   * frees a listener's port only after its pending accept is dropped, a tick
   * later. An address kept on the same port keeps its listener; a new one
   * that overlaps an old one there (0.0.0.0 → 127.0.0.1) fails.
   */
  #relisten(setting: "port" | "bind"): void {
    const port = this.config.getNumber("port");
    const bind = this.config.getString("bind");
    if (port === this.#listening.port && bind === this.#listening.bind) return;
    const old = this.#listeners;
    if (port === 0) {
      this.#listeners = [];
      this.#listening = { port, bind };
    } else {
      try {
        // Addresses kept on the same port keep their listener (it cannot be bound twice).
        const kept = new Map<string, Deno.Listener>();
        if (port === this.#listening.port) {
          for (const listener of old) kept.set((listener.addr as Deno.NetAddr).hostname, listener);
        }
        this.#startListeners(port, bind, kept);
      } catch {
        if (setting === "bind") log.warning("Failed to bind");
        log.warning(
          `Failed applying new configuration. Possibly related to new ${setting} setting. Restoring previous settings.`,
        );
        throw new Error(
          setting === "port"
            ? "Unable to listen on this port. Check server logs."
            : "Failed to bind to specified addresses.",
        );
      }
    }
    closeListeners(old.filter((listener) => !this.#listeners.includes(listener)));
  }

  /** The port and `bind` value the listeners were made for. */
  #listening = { port: -1, bind: "" };

  /**
   * Listens on every address of `bind`, or on none (and throws) when one
   * cannot be bound. A listener of `reuse` (by hostname) serves its address
   * instead of a new one.
   */
  #startListeners(port: number, bind: string, reuse = new Map<string, Deno.Listener>()): void {
    const binds = bind.split(" ").filter((s) => s !== "");
    const opened: Deno.Listener[] = [];
    const fresh: Deno.Listener[] = [];
    for (const spec of binds.length ? binds : ["*"]) {
      const optional = spec.startsWith("-");
      const host = optional ? spec.slice(1) : spec;
      const hostnames = host === "*" ? ["0.0.0.0"] : host === "::*" ? ["::"] : [host];
      for (const hostname of hostnames) {
        const existing = reuse.get(hostname);
        if (existing !== undefined) {
          opened.push(existing);
          continue;
        }
        try {
          const listener = Deno.listen({ hostname, port, transport: "tcp" });
          opened.push(listener);
          fresh.push(listener);
        } catch (err) {
          // "-addr" may be missing (Redis's optional bind). "::" also collides with
          // "0.0.0.0" here because Deno cannot set IPV6_V6ONLY as Redis does.
          if (
            optional &&
            (err instanceof Deno.errors.AddrNotAvailable || err instanceof Deno.errors.AddrInUse)
          ) {
            continue;
          }
          log.warning(
            `Warning: Could not create server TCP listening socket ${host}:${port}: bind: ${
              osErrorText(err)
            }`,
          );
          closeListeners(fresh);
          throw err;
        }
      }
    }
    this.#listeners = opened;
    this.#listening = { port, bind };
    for (const listener of fresh) {
      const loop = this.#acceptLoop(listener);
      this.#acceptLoops.add(loop);
      loop.finally(() => this.#acceptLoops.delete(loop));
    }
  }

  #closeListeners(): void {
    closeListeners(this.#listeners);
    this.#listeners = [];
    this.#listening = { port: -1, bind: "" };
  }

  /** The port actually bound (useful with port 0). */
  get boundPort(): number {
    const addr = this.#listeners[0]?.addr as Deno.NetAddr | undefined;
    return addr?.port ?? this.config.getNumber("port");
  }

  /** The running accept loops: each ends once its listener is closed. */
  #acceptLoops = new Set<Promise<void>>();

  async #acceptLoop(listener: Deno.Listener): Promise<void> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // listener closed
      }
      this.#onAccept(conn);
    }
  }

  #onAccept(conn: Deno.Conn): void {
    if (conn.localAddr.transport === "unix") {
      // Local by nature: protected mode does not apply (Redis's acceptUnixHandler).
      if (this.#refuseOverMaxclients(conn)) return;
      log.verbose(`Accepted connection to ${this.config.getString("unixsocket")}`);
      this.addClient(conn).serve();
      return;
    }
    const remote = conn.remoteAddr as Deno.NetAddr;
    if (this.#refuseOverMaxclients(conn)) return;
    if (
      this.config.getBool("protected-mode") && !this.config.getString("requirepass") &&
      !isLoopback(remote.hostname)
    ) {
      conn.write(new TextEncoder().encode(PROTECTED_MODE_ERROR)).catch(() => {}).finally(() =>
        conn.close()
      );
      this.stats.rejectedConnections++;
      return;
    }
    log.verbose(
      `Accepted ${
        remote.hostname.includes(":") ? `[${remote.hostname}]` : remote.hostname
      }:${remote.port}`,
    );
    this.addClient(conn).serve();
  }

  /** Past maxclients a new connection gets Redis's error and is closed. */
  #refuseOverMaxclients(conn: Deno.Conn): boolean {
    if (this.clients.size < this.config.getNumber("maxclients")) return false;
    this.stats.rejectedConnections++;
    conn.write(new TextEncoder().encode(ACCEPT_ERROR)).catch(() => {}).finally(() => {
      try {
        conn.close();
      } catch {
        // already closed
      }
    });
    return true;
  }

  /** Registers a connection as a client (also used for the link to our master). */
  addClient(conn: Deno.Conn): Client {
    const client = new Client(this, conn, this.#nextClientId++, this.#nextFd++).init();
    client.setKeepAlive(this.config.getNumber("tcp-keepalive"));
    this.clients.set(client.id, client);
    this.stats.totalConnectionsReceived++;
    return client;
  }

  removeClient(client: Client): void {
    this.clients.delete(client.id);
    this.monitors.delete(client);
  }

  commandStats(cmd: CommandSpec): CommandStats {
    // The last spec asked for is the common case (a pipeline of one command).
    if (cmd === this.#lastStatsSpec && this.#lastStats !== undefined) return this.#lastStats;
    let stats = this.#commandStats.get(cmd.name);
    if (stats === undefined) {
      stats = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0 };
      this.#commandStats.set(cmd.name, stats);
    }
    this.#lastStatsSpec = cmd;
    this.#lastStats = stats;
    return stats;
  }

  #lastStatsSpec: CommandSpec | undefined;
  #lastStats: CommandStats | undefined;

  /** Every command's counters, for INFO commandstats. */
  allCommandStats(): ReadonlyMap<string, CommandStats> {
    return this.#commandStats;
  }

  resetStats(): void {
    this.#commandStats.clear();
    this.#lastStats = undefined;
    this.stats.errorstats.clear();
    this.stats.totalErrorReplies = 0;
    this.stats.totalConnectionsReceived = 0;
    this.stats.totalCommandsProcessed = 0;
    this.stats.netInputBytes = this.stats.netOutputBytes = 0;
    this.stats.rejectedConnections = this.stats.rejectedCalls = 0;
    this.stats.syncFull = this.stats.syncPartialOk = this.stats.syncPartialErr = 0;
    this.stats.evictedKeys = this.stats.evictedClients = this.stats.evictionExceededMs = 0;
    if (this.stats.evictionExceededSince !== 0) {
      this.stats.evictionExceededSince = performance.now();
    }
    const ks = this.keyspace.stats;
    ks.keyspaceHits = ks.keyspaceMisses = ks.expiredKeys = 0;
    this.latencyEvents.clear();
    this.latencyMax.clear();
  }

  /** Counts an error reply by its code (INFO errorstats). */
  countError(message: string): void {
    this.stats.totalErrorReplies++;
    const space = message.indexOf(" ");
    const code = space === -1 ? message : message.slice(0, space);
    this.stats.errorstats.set(code, (this.stats.errorstats.get(code) ?? 0) + 1);
  }

  /** Why `cmd` may not run now for `client` (an error reply), or undefined. */
  rejectReason(client: Client, cmd: CommandSpec, argv: string[]): string | undefined {
    if (!client.authenticated && !commandMeta(cmd).noAuth) {
      return "NOAUTH Authentication required.";
    }
    const guards = this.guards;
    for (let i = 0; i < guards.length; i++) {
      const guard = guards[i];
      const reason = guard(client, cmd, argv);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }

  /** After a command: counters, MONITOR feed (its time comes in recordCommandTime). */
  afterCommand(client: Client, cmd: CommandSpec, argv: string[]): void {
    this.stats.totalCommandsProcessed++;
    if (this.monitors.size > 0 && !commandMeta(cmd).hiddenFromMonitor) {
      this.feedMonitors(client, argv);
    }
  }

  /** slowlog-log-slower-than and latency-monitor-threshold, read per change, not per command. */
  #slowlogThreshold = 10000;
  #latencyThreshold = 0;

  /** A command's run time: the slow log and the latency monitor. */
  recordCommandTime(client: Client, cmd: CommandSpec, argv: string[], micros: number): void {
    const meta = commandMeta(cmd);
    if (!meta.skipSlowlog) {
      const threshold = this.#slowlogThreshold;
      if (threshold >= 0 && micros >= threshold) this.#slowlogPush(client, argv, micros);
    }
    const latencyThreshold = this.#latencyThreshold;
    if (latencyThreshold > 0 && micros / 1000 >= latencyThreshold) {
      this.latencySample(meta.fast ? "fast-command" : "command", Math.round(micros / 1000));
    }
  }

  #slowlogPush(client: Client, argv: string[], micros: number): void {
    const maxArgs = 32;
    const args = argv.slice(0, argv.length > maxArgs ? maxArgs - 1 : maxArgs).map((a) =>
      a.length > 128 ? `${a.slice(0, 128)}... (${a.length - 128} more bytes)` : a
    );
    if (argv.length > maxArgs) args.push(`... (${argv.length - maxArgs + 1} more arguments)`);
    this.slowlog.unshift({
      id: this.slowlogNextId++,
      time: Math.floor(Date.now() / 1000),
      micros,
      argv: args,
      addr: client.addr,
      name: client.name,
    });
    const max = this.config.getNumber("slowlog-max-len");
    if (this.slowlog.length > max) this.slowlog.length = max;
  }

  /** Records a latency sample (Redis's latencyAddSampleIfNeeded, 160 samples per event). */
  latencySample(event: string, ms: number): void {
    let samples = this.latencyEvents.get(event);
    if (samples === undefined) {
      samples = [];
      this.latencyEvents.set(event, samples);
    }
    const now = Math.floor(Date.now() / 1000);
    const last = samples[samples.length - 1];
    if (last && last[0] === now) last[1] = Math.max(last[1], ms);
    else samples.push([now, ms]);
    if (samples.length > 160) samples.shift();
    this.latencyMax.set(event, Math.max(this.latencyMax.get(event) ?? 0, ms));
  }

  /** Sends a command to every MONITOR client, in Redis's format. */
  feedMonitors(client: Client, argv: string[]): void {
    const now = Date.now();
    const micros = String(Math.floor((performance.timeOrigin + performance.now()) * 1000) % 1000000)
      .padStart(6, "0");
    let line = `+${Math.floor(now / 1000)}.${micros} [${client.dbIndex} ${
      client.flags.master ? "lua" : client.addr
    }]`;
    for (const arg of argv) line += " " + reprArg(arg);
    line += "\r\n";
    for (const monitor of this.monitors) {
      if (monitor.closed) continue;
      monitor.reply.raw(line);
      monitor.afterPush("normal");
    }
  }

  /** True when `client`'s output (pending, and a syncing replica's held stream) passes its class's limit. */
  outputLimitExceeded(client: Client, cls: OutputClass): boolean {
    const { hard, soft, softSeconds } = this.config.outputBufferLimit(cls);
    const used = client.outputLength + client.heldOutputBytes;
    if (hard > 0 && used >= hard) return true;
    if (soft > 0 && used >= soft) {
      const now = Date.now();
      if (client.softLimitSince === 0) {
        client.softLimitSince = now;
        return false;
      }
      return now - client.softLimitSince >= softSeconds * 1000;
    }
    client.softLimitSince = 0;
    return false;
  }

  /** One line of CLIENT LIST / the "Client closed connection" log (Redis's catClientInfoString). */
  clientInfoString(client: Client): string {
    const now = Date.now();
    let flags = "";
    if (client.flags.replica) flags += client.flags.monitor ? "O" : "S";
    if (client.flags.master) flags += "M";
    if (client.inPubSub) flags += "P";
    if (client.flags.multi) flags += "x";
    if (client.flags.blocked) flags += "b";
    if (client.flags.dirtyCas) flags += "d";
    if (client.flags.closeAfterReply) flags += "c";
    if (client.unixSocket) flags += "U";
    if (client.flags.readonly) flags += "r";
    if (client.flags.noEvict) flags += "e";
    if (client.flags.monitor && !client.flags.replica) flags += "O";
    if (flags === "") flags = "N";
    const qbuf = client.queryBufferLength;
    const omem = client.outputLength + client.heldOutputBytes;
    return `id=${client.id} addr=${client.addr} laddr=${client.laddr} fd=${client.fd} name=${client.name} ` +
      `age=${Math.floor((now - client.createdAt) / 1000)} idle=${
        Math.floor((now - client.lastInteraction) / 1000)
      } ` +
      `flags=${flags} db=${client.dbIndex} sub=${client.channels.size} psub=${client.patterns.size} ssub=${client.shardChannels.size} ` +
      `multi=${client.flags.multi ? client.multiQueue.length : -1} qbuf=${qbuf} ` +
      `qbuf-free=${
        client.queryBufferSize - qbuf
      } argv-mem=0 multi-mem=0 rbs=${client.queryBufferSize} ` +
      `rbp=${client.queryBufferSize} obl=${Math.min(omem, 16384)} oll=0 omem=${omem} ` +
      `tot-mem=${
        client.queryBufferSize + client.reply.buf.length
      } events=r cmd=${client.lastCommand} ` +
      `user=${client.user} redir=-1 resp=${client.reply.protocol}`;
  }

  /** Starts (or restarts with a new hz) the cron. */
  #startCron(): void {
    if (this.#cronTimer !== undefined) clearInterval(this.#cronTimer);
    const hz = Math.min(500, Math.max(1, this.config.getNumber("hz")));
    this.#cronTimer = setInterval(() => this.#cron(hz), Math.floor(1000 / hz));
  }

  /** Runs `fn` once every `periodMs`, given the cron's period (Redis's run_with_period). */
  #every(periodMs: number, hz: number): boolean {
    const period = 1000 / hz;
    return periodMs <= period || this.#cronLoops % Math.round(periodMs / period) === 0;
  }

  #cron(hz: number): void {
    const now = Date.now();
    this.#cronLoops++;
    // Active expiry: at most 25% of one cron period (ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC).
    this.keyspace.tick(now);
    this.keyspace.activeExpireCycle(250 / hz);
    // Redis's activerehashing: 1 ms per cron for tables still growing.
    if (this.config.getBool("activerehashing")) this.keyspace.activeRehash(1);
    if (this.#every(100, hz)) {
      const s = this.stats.samples;
      s.commands.track(this.stats.totalCommandsProcessed, now);
      s.netInput.track(this.stats.netInputBytes, now);
      s.netOutput.track(this.stats.netOutputBytes, now);
      s.netReplInput.track(this.stats.netReplInputBytes, now);
      s.netReplOutput.track(this.stats.netReplOutputBytes, now);
      this.#idleScavenger.tick(this.stats.totalCommandsProcessed);
    }
    if (this.#every(5000, hz)) this.#logStatus();
    this.#closeTimedOutClients(now);
    for (const job of this.cronJobs) {
      try {
        job(now);
      } catch (err) {
        log.warning(`Cron job failed: ${(err as Error).stack ?? err}`);
      }
    }
  }

  /** The periodic lines Redis's serverCron logs (DB sizes at verbose, clients at debug). */
  #logStatus(): void {
    if (log.enabled("verbose")) {
      for (const db of this.keyspace.dbs) {
        const used = db.size;
        const volatile = db.expires.size;
        if (used || volatile) {
          log.verbose(
            `DB ${db.id}: ${used} keys (${volatile} volatile) in ${hashSlots(used)} slots HT.`,
          );
        }
      }
    }
    if (log.enabled("debug")) {
      let replicas = 0;
      for (const c of this.clients.values()) if (c.flags.replica) replicas++;
      log.debug(
        `${
          this.clients.size - replicas
        } clients connected (${replicas} replicas), ${usedMemory()} bytes in use`,
      );
    }
  }

  #closeTimedOutClients(now: number): void {
    const timeout = this.config.getNumber("timeout");
    if (timeout <= 0) return;
    for (const client of this.clients.values()) {
      if (client.flags.replica || client.flags.master || client.flags.blocked) continue;
      if (client.inPubSub) continue;
      if (now - client.lastInteraction > timeout * 1000) {
        log.verbose("Closing idle client");
        client.close();
      }
    }
  }

  /** Starts serving: listeners, cron, the "Ready" line. */
  start(): void {
    this.listen();
    this.#startCron();
  }

  /**
   * Redis's prepareForShutdown then exit: runs the shutdown hooks (save,
   * replicas, AOF) and closes the listeners; the exit closes the clients.
   * Resolves false when a hook refused (e.g. the final save failed without
   * FORCE).
   */
  async shutdown(opts: ShutdownOptions): Promise<boolean> {
    log.warning("User requested shutdown...");
    for (const hook of this.shutdownHooks) {
      if (!(await hook(opts)) && !opts.force) {
        log.warning("Errors trying to shut down the server. Check the logs for more information.");
        return false;
      }
    }
    // Client connections stay open until the process exits, as with Redis:
    // closing them first would let a replica reconnect to a listener the OS
    // has not released yet, and log each replica as lost.
    this.#stopServing();
    await this.#listenersReleased();
    const pidfile = this.pidFile;
    if (pidfile) {
      log.notice("Removing the pid file.");
      try {
        Deno.removeSync(pidfile);
      } catch {
        // already gone
      }
    }
    const socket = this.config.getString("unixsocket");
    if (socket !== "") {
      log.notice("Removing the unix socket file.");
      try {
        Deno.removeSync(socket);
      } catch {
        // already gone
      }
    }
    log.warning("Redis is now ready to exit, bye bye...");
    this.#resolveStopped();
    return true;
  }

  /** Stops listening and drops every client, without the shutdown hooks (tests, fatal errors). */
  close(): void {
    this.#stopServing();
    for (const client of [...this.clients.values()]) client.close();
  }

  /**
   * Waits (briefly) until the closed listeners' sockets are gone: Deno closes
   * a listener's socket only once its pending accept has been cancelled, and
   * at exit the kernel may release the client sockets first.
   */
  async #listenersReleased(): Promise<void> {
    const loops = [...this.#acceptLoops];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => timer = setTimeout(resolve, LISTENER_RELEASE_MS));
    await Promise.race([Promise.all(loops), bound]);
    clearTimeout(timer);
  }

  /** Stops the snapshot worker, the cron and the listeners. */
  #stopServing(): void {
    this.rdb.close();
    if (this.#cronTimer !== undefined) clearInterval(this.#cronTimer);
    this.#cronTimer = undefined;
    this.#closeListeners();
    if (this.#unixListener !== undefined) closeListeners([this.#unixListener]);
    this.#unixListener = undefined;
  }

  /** Seconds of CPU used by the process, user and system (INFO cpu). */
  cpuTimes(): { user: number; sys: number } {
    this.#lastCpuSample = Date.now();
    return processCpuTimes();
  }
}

/** Options of SHUTDOWN (and the signal handler). */
export interface ShutdownOptions {
  save: "default" | "save" | "nosave";
  now: boolean;
  force: boolean;
}

const PROTECTED_MODE_ERROR =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

function isLoopback(host: string): boolean {
  return host.startsWith("127.") || host === "::1" || host === "::ffff:127.0.0.1" ||
    host.startsWith("::ffff:127.");
}

/** Size of the hash table Redis would use for `used` keys (power of two, at least 4). */
export function hashSlots(used: number): number {
  let size = 4;
  while (size < used) size *= 2;
  return size;
}

/** The longest SHUTDOWN waits for its closed listeners' sockets to be released. */
const LISTENER_RELEASE_MS = 100;

function closeListeners(listeners: Deno.Listener[]): void {
  for (const listener of listeners) {
    try {
      listener.close();
    } catch {
      // already closed
    }
  }
}
