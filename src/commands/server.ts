/**
 * Server administration commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME,
 * CONFIG, SHUTDOWN, DEBUG, LATENCY, SLOWLOG, plus INFO (./info.ts) and COMMAND
 * (./command_info.ts), with Redis 7.0's replies and errors (server.c,
 * config.c, debug.c, latency.c, slowlog.c, db.c).
 */
import type { CommandContext, CommandHandler, CommandSpec } from "./types.ts";
import type { Client } from "../net/client.ts";
import type { Server, ShutdownOptions } from "../server.ts";
import type { RedisValue } from "../store/types.ts";
import { unpacked } from "../store/packed.ts";
import { fail, NO_SUCH_KEY, ReplyError, SYNTAX_ERROR } from "../errors.ts";
import { ConfigError } from "../config.ts";
import { log } from "../log.ts";
import { List } from "../store/list.ts";
import { isIntegerEncodable, parseLongLong } from "../util/numbers.ts";
import { RdbEncoder } from "../persistence/rdb_encoder.ts";
import {
  RDB_14BITLEN,
  RDB_32BITLEN,
  RDB_64BITLEN,
  RDB_6BITLEN,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_INT8,
  RDB_ENC_LZF,
  RDB_ENCVAL,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
} from "../persistence/rdb_constants.ts";
import { allCommands } from "./table.ts";
import {
  command,
  commandLatencyHistograms,
  type LatencyHistogram,
  replyHelp,
  subcommandSyntaxError,
} from "./command_info.ts";
import { info, lruClock, resetInfoStats } from "./info.ts";
import { setActiveExpireDisabled } from "./connection.ts";

/** A container's subcommand with the flags Redis gives admin subcommands. */
function adminSub(
  name: string,
  arity: number,
  run: CommandHandler,
  flags: CommandSpec["flags"] = ["admin", "noscript", "loading", "stale"],
): CommandSpec {
  return { name, arity, flags, keys: [0, 0, 0], acl: ["admin", "slow", "dangerous"], run };
}

/** A container's HELP subcommand. */
function helpSub(container: string, lines: readonly string[]): CommandSpec {
  return {
    name: `${container}|help`,
    arity: 2,
    flags: ["loading", "stale"],
    keys: [0, 0, 0],
    acl: ["slow"],
    run: (ctx, argv) => replyHelp(ctx, argv, lines),
  };
}

/** A container command: arity -2, no flags of its own, @slow. */
function container(name: string, subcommands: CommandSpec[]): CommandSpec {
  return { name, arity: -2, flags: [], keys: [0, 0, 0], acl: ["slow"], subcommands };
}

/** Whether a client is on the loopback interface or a unix socket (for "local" settings). */
function isLocalClient(client: Client): boolean {
  const addr = client.addr;
  return addr === "/unix" || addr.startsWith("127.") || addr.startsWith("::1:") ||
    addr.startsWith("::ffff:127.");
}

// ---------------------------------------------------------------------------
// Keyspace-wide commands
// ---------------------------------------------------------------------------

const dbsize: CommandSpec = {
  name: "dbsize",
  arity: 1,
  flags: ["readonly", "fast"],
  keys: [0, 0, 0],
  acl: ["keyspace", "read", "fast"],
  run(ctx) {
    ctx.reply.int(ctx.db.size);
  },
};

/** Redis's getFlushCommandFlags: [ASYNC|SYNC] or nothing. */
function checkFlushArgs(argv: string[]): void {
  if (argv.length === 1) return;
  const mode = argv[1].toLowerCase();
  if (argv.length === 2 && (mode === "sync" || mode === "async")) return;
  fail(SYNTAX_ERROR);
}

const flushdb: CommandSpec = {
  name: "flushdb",
  arity: -1,
  flags: ["write"],
  keys: [0, 0, 0],
  acl: ["keyspace", "write", "slow", "dangerous"],
  run(ctx, argv) {
    checkFlushArgs(argv);
    const removed = ctx.db.flush();
    // Redis forces propagation even when the db was already empty; here only a
    // grown `dirty` propagates, so an empty flush counts as one change.
    ctx.server.dirty += Math.max(1, removed);
    ctx.reply.ok();
  },
};

const flushall: CommandSpec = {
  name: "flushall",
  arity: -1,
  flags: ["write"],
  keys: [0, 0, 0],
  acl: ["keyspace", "write", "slow", "dangerous"],
  run(ctx, argv) {
    checkFlushArgs(argv);
    let removed = 0;
    for (const db of ctx.server.keyspace.dbs) removed += db.flush();
    // flushAllDataAndResetRDB: the removed keys, plus one so FLUSHALL always propagates.
    ctx.server.dirty += removed + 1;
    ctx.reply.ok();
  },
};

/** getIntFromObjectOrReply: a strict integer that fits in a C int, or the given error. */
function intArg(arg: string, error: string): number {
  const v = parseLongLong(arg);
  if (v === undefined || v < -2147483648 || v > 2147483647) fail(error);
  return v;
}

const swapdb: CommandSpec = {
  name: "swapdb",
  arity: 3,
  flags: ["write", "fast"],
  keys: [0, 0, 0],
  acl: ["keyspace", "write", "fast", "dangerous"],
  run(ctx, argv) {
    const a = intArg(argv[1], "ERR invalid first DB index");
    const b = intArg(argv[2], "ERR invalid second DB index");
    const count = ctx.server.keyspace.dbs.length;
    if (a < 0 || a >= count || b < 0 || b >= count) fail("ERR DB index is out of range");
    ctx.server.keyspace.swap(a, b);
    ctx.server.dirty++;
    ctx.reply.ok();
  },
};

const time: CommandSpec = {
  name: "time",
  arity: 1,
  flags: ["loading", "stale", "fast"],
  keys: [0, 0, 0],
  acl: ["fast"],
  run(ctx) {
    const usec = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    ctx.reply.array(2);
    ctx.reply.bulk(String(Math.floor(usec / 1e6)));
    ctx.reply.bulk(String(usec % 1e6));
  },
};

// ---------------------------------------------------------------------------
// CONFIG
// ---------------------------------------------------------------------------

const CONFIG_HELP = [
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
];

/** Turns a ConfigError into the error reply it carries. */
function configFailure(err: unknown): never {
  if (err instanceof ConfigError) throw new ReplyError(err.message);
  throw err;
}

const config = container("config", [
  adminSub("config|get", -3, (ctx, argv) => {
    const pairs = ctx.server.config.getMatching(argv.slice(2));
    ctx.reply.map(pairs.length / 2);
    for (const s of pairs) ctx.reply.bulk(s);
  }),
  adminSub("config|set", -4, (ctx, argv) => {
    if (argv.length % 2 === 1) fail(SYNTAX_ERROR);
    const cfg = ctx.server.config;
    const pairs: Array<[string, string]> = [];
    for (let i = 2; i < argv.length; i += 2) {
      pairs.push([argv[i], argv[i + 1]]);
      // Sensitive values (requirepass, masterauth …) never reach SLOWLOG.
      if (cfg.spec(argv[i])?.flags?.includes("sensitive")) argv[i + 1] = "(redacted)";
    }
    try {
      cfg.set(pairs, { local: isLocalClient(ctx.client) });
    } catch (err) {
      configFailure(err);
    }
    ctx.reply.ok();
  }),
  adminSub("config|resetstat", 2, (ctx) => {
    ctx.server.resetStats();
    resetInfoStats(ctx.server);
    ctx.reply.ok();
  }),
  adminSub("config|rewrite", 2, async (ctx) => {
    try {
      await ctx.server.config.rewrite();
    } catch (err) {
      if (err instanceof ConfigError && ctx.server.config.configFile !== undefined) {
        log.warning(
          `CONFIG REWRITE failed: ${err.message.replace(/^ERR Rewriting config file: /, "")}`,
        );
      }
      configFailure(err);
    }
    log.notice("CONFIG REWRITE executed with success.");
    ctx.reply.ok();
  }),
  helpSub("config", CONFIG_HELP),
]);

// ---------------------------------------------------------------------------
// SHUTDOWN
// ---------------------------------------------------------------------------

const shutdown: CommandSpec = {
  name: "shutdown",
  arity: -1,
  flags: ["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
  keys: [0, 0, 0],
  acl: ["admin", "slow", "dangerous"],
  async run(ctx, argv) {
    let save: ShutdownOptions["save"] = "default";
    let nosave = false;
    let saveFlag = false;
    let now = false;
    let force = false;
    let abort = false;
    for (let i = 1; i < argv.length; i++) {
      const opt = argv[i].toLowerCase();
      if (opt === "nosave") nosave = true;
      else if (opt === "save") saveFlag = true;
      else if (opt === "now") now = true;
      else if (opt === "force") force = true;
      else if (opt === "abort") abort = true;
      else fail(SYNTAX_ERROR);
    }
    if ((abort && (nosave || saveFlag || now || force)) || (nosave && saveFlag)) fail(SYNTAX_ERROR);
    // No shutdown ever waits in the background here (Server.shutdown runs to its end).
    if (abort) fail("ERR No shutdown in progress.");
    if (nosave) save = "nosave";
    if (saveFlag) save = "save";
    const done = await ctx.server.shutdown({ save, now, force });
    if (!done) fail("ERR Errors trying to SHUTDOWN. Check logs.");
  },
};

// ---------------------------------------------------------------------------
// DEBUG
// ---------------------------------------------------------------------------

const DEBUG_HELP = [
  "AOF-FLUSH-SLEEP <microsec>",
  "    Server will sleep before flushing the AOF, this is used for testing.",
  "ASSERT",
  "    Crash by assertion failed.",
  "CHANGE-REPL-ID",
  "    Change the replication IDs of the instance.",
  "    Dangerous: should be used only for testing the replication subsystem.",
  "CONFIG-REWRITE-FORCE-ALL",
  "    Like CONFIG REWRITE but writes all configuration options, including",
  "    keywords not listed in original configuration file or default values.",
  "CRASH-AND-RECOVER [<milliseconds>]",
  "    Hard crash and restart after a <milliseconds> delay (default 0).",
  "DIGEST",
  "    Output a hex signature representing the current DB content.",
  "DIGEST-VALUE <key> [<key> ...]",
  "    Output a hex signature of the values of all the specified keys.",
  "ERROR <string>",
  "    Return a Redis protocol error with <string> as message. Useful for clients",
  "    unit tests to simulate Redis errors.",
  "LEAK <string>",
  "    Create a memory leak of the input string.",
  "LOG <message>",
  "    Write <message> to the server log.",
  "HTSTATS <dbid>",
  "    Return hash table statistics of the specified Redis database.",
  "HTSTATS-KEY <key>",
  "    Like HTSTATS but for the hash table stored at <key>'s value.",
  "LOADAOF",
  "    Flush the AOF buffers on disk and reload the AOF in memory.",
  "REPLICATE <string>",
  "    Replicates the provided string to replicas, allowing data divergence.",
  "MALLCTL <key> [<val>]",
  "    Get or set a malloc tuning integer.",
  "MALLCTL-STR <key> [<val>]",
  "    Get or set a malloc tuning string.",
  "OBJECT <key>",
  "    Show low level info about `key` and associated value.",
  "DROP-CLUSTER-PACKET-FILTER <packet-type>",
  "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
  "OOM",
  "    Crash the server simulating an out-of-memory error.",
  "PANIC",
  "    Crash the server simulating a panic.",
  "POPULATE <count> [<prefix>] [<size>]",
  "    Create <count> string keys named key:<num>. If <prefix> is specified then",
  "    it is used instead of the 'key' prefix. These are not propagated to",
  "    replicas. Cluster slots are not respected so keys not belonging to the",
  "    current node can be created in cluster mode.",
  "PROTOCOL <type>",
  "    Reply with a test value of the specified type. <type> can be: string,",
  "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
  "    true, false.",
  "RELOAD [option ...]",
  "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
  "    * MERGE: conflicting keys will be loaded from RDB.",
  "    * NOFLUSH: the existing database will not be removed before load, but",
  "      conflicting keys will generate an exception and kill the server.",
  "    * NOSAVE: the database will be loaded from an existing RDB file.",
  "    Examples:",
  "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
  "      the database.",
  "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
  "      existing RDB file.",
  "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
  "      file to the database.",
  "RESTART [<milliseconds>]",
  "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
  "SDSLEN <key>",
  "    Show low level SDS string info representing `key` and value.",
  "SEGFAULT",
  "    Crash the server with sigsegv.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not",
  "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
  "    default.",
  "QUICKLIST-PACKED-THRESHOLD <size>",
  "    Sets the threshold for elements to be inserted as plain vs packed nodes",
  "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
  "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
  "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
  "STRINGMATCH-TEST",
  "    Run a fuzz tester against the stringmatchlen() function.",
  "STRUCTSIZE",
  "    Return the size of different Redis core C structures.",
  "LISTPACK <key>",
  "    Show low level info about the listpack encoding of <key>.",
  "QUICKLIST <key> [<0|1>]",
  "    Show low level info about the quicklist encoding of <key>.",
  "    The optional argument (0 by default) sets the level of detail",
  "CLIENT-EVICTION",
  "    Show low level client eviction pools info (maxmemory-clients).",
  "PAUSE-CRON <0|1>",
  "    Stop periodic cron job processing.",
  "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
  "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
  "    In case NEVER is provided the last observed peak will never be reset",
  "    In case RESET is provided the peak reset time will be restored to the default value",
  "REPLYBUFFER RESIZING <0|1>",
  "    Enable or disable the reply buffer resize cron job",
  "CLUSTERLINK KILL <to|from|all> <node-id>",
  "    Kills the link based on the direction to/from (both) with the provided node.",
];

/**
 * DEBUG subcommands other layers implement (RELOAD, CHANGE-REPL-ID, LOADAOF
 * …), by lower-case name. A handler gets the whole argv.
 */
export const debugExtensions = new Map<string, CommandHandler>();

/**
 * Blocks the whole process for `ms`, like Redis's nanosleep in DEBUG SLEEP:
 * no client is served, no timer fires. Tests rely on exactly that (a busy
 * server, replication timeouts), so the wait must be synchronous;
 * Atomics.wait on a private SharedArrayBuffer is the runtime's blocking sleep.
 */
function blockingSleep(ms: number): void {
  if (!(ms > 0)) return;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const end = performance.now() + ms;
  for (let left = ms; left > 0; left = end - performance.now()) {
    Atomics.wait(cell, 0, 0, Math.min(left, 2 ** 31 - 1));
  }
}

/** C's strtod on a whole argument: the longest numeric prefix, 0 when none. */
function strtod(s: string): number {
  const m = /^[ \t\n\v\f\r]*[+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i.exec(s);
  if (m === null) return 0;
  const text = m[0].trim().toLowerCase();
  if (text.endsWith("inf") || text.endsWith("infinity")) {
    return text.startsWith("-") ? -Infinity : Infinity;
  }
  if (text.endsWith("nan")) return NaN;
  return Number(text);
}

/** C's atoi: optional blanks and sign, then digits; 0 when none. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number(m[1]);
}

/** Reads an RDB length at `pos`: [value, next position, encoded-value flag]. */
function readRdbLen(b: Uint8Array, pos: number): [number, number, boolean] {
  const first = b[pos];
  const kind = first >> 6;
  if (kind === RDB_6BITLEN) return [first & 0x3f, pos + 1, false];
  if (kind === RDB_14BITLEN) return [((first & 0x3f) << 8) | b[pos + 1], pos + 2, false];
  if (kind === RDB_ENCVAL) return [first & 0x3f, pos + 1, true];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (first === RDB_32BITLEN) return [view.getUint32(pos + 1), pos + 5, false];
  if (first === RDB_64BITLEN) return [Number(view.getBigUint64(pos + 1)), pos + 9, false];
  throw new Error(`bad RDB length byte ${first}`);
}

/** Skips an RDB string at `pos`: [its uncompressed length, next position]. */
function readRdbStringSize(b: Uint8Array, pos: number): [number, number] {
  const [len, next, encoded] = readRdbLen(b, pos);
  if (!encoded) return [len, next + len];
  if (len === RDB_ENC_INT8) return [1, next + 1];
  if (len === RDB_ENC_INT16) return [2, next + 2];
  if (len === RDB_ENC_INT32) return [4, next + 4];
  if (len === RDB_ENC_LZF) {
    const [clen, p1] = readRdbLen(b, next);
    const [ulen, p2] = readRdbLen(b, p1);
    return [ulen, p2 + clen];
  }
  throw new Error(`bad RDB string encoding ${len}`);
}

/** A stable pseudo address for "Value at:" (there is no pointer to show). */
function pseudoAddress(dbIndex: number, key: string): string {
  let h = 0x811c9dc5;
  const text = `${dbIndex}:${key}`;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return "0x7f" + (h >>> 0).toString(16).padStart(8, "0") + "00";
}

/**
 * DEBUG OBJECT's line. The encoding and serializedlength come from the RDB
 * encoder with the server's thresholds, so they are what Redis would save;
 * a string reports raw only by length (Redis also makes APPEND/SETRANGE
 * results raw). Per-key access times are not tracked: lru is the clock now.
 */
function debugObject(server: Server, dbIndex: number, key: string, value: RedisValue): string {
  const cfg = server.config;
  const enc = new RdbEncoder({
    compression: cfg.getBool("rdbcompression"),
    externalChecksum: true,
    initialCapacity: 256,
    hashMaxListpackEntries: cfg.getNumber("hash-max-listpack-entries"),
    hashMaxListpackValue: cfg.getNumber("hash-max-listpack-value"),
    setMaxIntsetEntries: cfg.getNumber("set-max-intset-entries"),
    zsetMaxListpackEntries: cfg.getNumber("zset-max-listpack-entries"),
    zsetMaxListpackValue: cfg.getNumber("zset-max-listpack-value"),
    listMaxListpackSize: cfg.getNumber("list-max-listpack-size"),
  });
  const type = enc.saveObjectType(value);
  enc.saveObject(value, type);
  const bytes = enc.takeChunk();
  const serializedLength = bytes.length - 1;
  let encoding: string;
  let refcount = 1;
  let extra = "";
  switch (type) {
    case RDB_TYPE_STRING: {
      const s = value as string;
      if (isIntegerEncodable(s)) {
        encoding = "int";
        const n = Number(s);
        const policy = cfg.getString("maxmemory-policy");
        const sharedOk = cfg.getNumber("maxmemory") === 0 ||
          !(policy.includes("lru") || policy.includes("lfu"));
        if (sharedOk && n >= 0 && n < 10000) refcount = 2147483647; // OBJ_SHARED_REFCOUNT
      } else {
        encoding = s.length <= 44 ? "embstr" : "raw";
      }
      break;
    }
    case RDB_TYPE_LIST_QUICKLIST_2: {
      encoding = "quicklist";
      let [nodes, pos] = readRdbLen(bytes, 1);
      const count = nodes;
      let size = 0;
      while (nodes-- > 0) {
        [, pos] = readRdbLen(bytes, pos); // container
        const [len, next] = readRdbStringSize(bytes, pos);
        size += len;
        pos = next;
      }
      const elements = (value as List).length;
      extra = ` ql_nodes:${count} ql_avg_node:${(elements / count).toFixed(2)}` +
        ` ql_listpack_max:${cfg.getNumber("list-max-listpack-size")}` +
        ` ql_compressed:${cfg.getNumber("list-compress-depth") !== 0 ? 1 : 0}` +
        ` ql_uncompressed_size:${size}`;
      break;
    }
    case RDB_TYPE_SET_INTSET:
      encoding = "intset";
      break;
    case RDB_TYPE_SET:
    case RDB_TYPE_HASH:
      encoding = "hashtable";
      break;
    case RDB_TYPE_HASH_LISTPACK:
    case RDB_TYPE_ZSET_LISTPACK:
      encoding = "listpack";
      break;
    case RDB_TYPE_ZSET_2:
      encoding = "skiplist";
      break;
    default:
      encoding = "unknown";
  }
  return `Value at:${pseudoAddress(dbIndex, key)} refcount:${refcount} encoding:${encoding} ` +
    `serializedlength:${serializedLength} lru:${lruClock()} lru_seconds_idle:0${extra}`;
}

/** DEBUG PROTOCOL <type>: a sample of every reply type. */
function debugProtocol(ctx: CommandContext, name: string): void {
  const reply = ctx.reply;
  switch (name.toLowerCase()) {
    case "string":
      return reply.bulk("Hello World");
    case "integer":
      return reply.int(12345);
    case "double":
      return reply.double("3.141");
    case "bignum":
      if (reply.protocol === 3) return reply.raw("(1234567999999999999999999999999999999\r\n");
      return reply.bulk("1234567999999999999999999999999999999");
    case "null":
      return reply.nil();
    case "array":
    case "set":
      name.toLowerCase() === "set" ? reply.set(3) : reply.array(3);
      for (let j = 0; j < 3; j++) reply.int(j);
      return;
    case "map":
      reply.map(3);
      for (let j = 0; j < 3; j++) {
        reply.int(j);
        reply.bool(j === 1);
      }
      return;
    case "attrib":
      if (reply.protocol === 3) {
        reply.raw("|1\r\n");
        reply.bulk("key-popularity");
        reply.array(2);
        reply.bulk("key:123");
        reply.int(90);
      }
      return reply.bulk("Some real reply following the attribute");
    case "push":
      if (reply.protocol < 3) fail("ERR RESP2 is not supported by this command");
      reply.push(2);
      reply.bulk("server-cpu-usage");
      reply.int(42);
      return reply.bulk("Some real reply following the push reply");
    case "true":
      return reply.bool(true);
    case "false":
      return reply.bool(false);
    case "verbatim":
      return reply.verbatim("This is a verbatim\nstring");
  }
  fail(
    "ERR Wrong protocol type name. Please use one of the following: " +
      "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
  );
}

const debug: CommandSpec = {
  name: "debug",
  arity: -2,
  flags: ["admin", "noscript", "loading", "stale"],
  keys: [0, 0, 0],
  acl: ["admin", "slow", "dangerous"],
  run(ctx, argv) {
    const allowed = ctx.server.config.getString("enable-debug-command");
    if (allowed === "no" || (allowed === "local" && !isLocalClient(ctx.client))) {
      fail(
        'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", ' +
          "you can run it from a local connection, otherwise you need to set this option in the " +
          "configuration file, and then restart the server.",
      );
    }
    const sub = argv[1].toLowerCase();
    const argc = argv.length;
    if (sub === "help" && argc === 2) return replyHelp(ctx, argv, DEBUG_HELP);
    if (sub === "sleep" && argc === 3) {
      blockingSleep(Math.trunc(strtod(argv[2]) * 1e6) / 1000);
      return ctx.reply.ok();
    }
    if (sub === "set-active-expire" && argc === 3) {
      setActiveExpireDisabled(ctx.server, atoi(argv[2]) === 0);
      return ctx.reply.ok();
    }
    if (sub === "object" && argc === 3) {
      // dictFind: the raw entry, even if logically expired.
      const value = ctx.db.dict.get(argv[2]);
      if (value === undefined) fail(NO_SUCH_KEY);
      return ctx.reply.simple(
        debugObject(ctx.server, ctx.client.dbIndex, argv[2], unpacked(value)),
      );
    }
    if (sub === "log" && argc === 3) {
      log.warning(`DEBUG LOG: ${argv[2]}`);
      return ctx.reply.ok();
    }
    if (sub === "error" && argc === 3) {
      // Written raw after a "-", as Redis does: not an error reply it counts (no errorstats).
      return ctx.reply.raw("-" + argv[2].replace(/[\r\n]/g, " ") + "\r\n");
    }
    if (sub === "protocol" && argc === 3) return debugProtocol(ctx, argv[2]);
    const extension = debugExtensions.get(sub);
    if (extension !== undefined) return extension(ctx, argv);
    throw subcommandSyntaxError(argv);
  },
};

// ---------------------------------------------------------------------------
// LATENCY
// ---------------------------------------------------------------------------

const LATENCY_HELP = [
  "DOCTOR",
  "    Return a human readable latency analysis report.",
  "GRAPH <event>",
  "    Return an ASCII latency graph for the <event> class.",
  "HISTORY <event>",
  "    Return time-latency samples for the <event> class.",
  "LATEST",
  "    Return the latest latency samples for all events.",
  "RESET [<event> ...]",
  "    Reset latency data of one or more <event> classes.",
  "    (default: reset all data for all event classes)",
  "HISTOGRAM [COMMAND ...]",
  "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
  "    If no commands are specified then all histograms are replied.",
];

/** Redis's latencyResetEvent: removes matching events (case-insensitive), returns how many. */
function latencyReset(server: Server, event: string | undefined): number {
  let resets = 0;
  for (const name of [...server.latencyEvents.keys()]) {
    if (event === undefined || name.toLowerCase() === event.toLowerCase()) {
      server.latencyEvents.delete(name);
      server.latencyMax.delete(name);
      resets++;
    }
  }
  return resets;
}

/** Redis's analyzeLatencyForEvent. */
function analyzeLatency(samples: ReadonlyArray<[number, number]>): {
  avg: number;
  mad: number;
  period: number;
} {
  if (samples.length === 0) return { avg: 0, mad: 0, period: 0 };
  let sum = 0;
  let oldest = 0;
  for (const [t, ms] of samples) {
    sum += ms;
    if (oldest === 0 || t < oldest) oldest = t;
  }
  const avg = Math.floor(sum / samples.length);
  let period = Math.floor(Date.now() / 1000) - oldest;
  if (period === 0) period = 1;
  let dev = 0;
  for (const [, ms] of samples) dev += Math.abs(avg - ms);
  return { avg, mad: Math.floor(dev / samples.length), period };
}

/** Transparent huge pages in use by this process (latency.c's THPGetAnonHugePagesSize). */
function anonHugePages(): number {
  try {
    let total = 0;
    for (
      const m of Deno.readTextFileSync("/proc/self/smaps").matchAll(/^AnonHugePages:\s+(\d+)/gm)
    ) {
      total += Number(m[1]);
    }
    return total;
  } catch {
    return 0;
  }
}

/** Redis's createLatencyReport (LATENCY DOCTOR). */
function latencyReport(server: Server): string {
  const cfg = server.config;
  const threshold = cfg.getNumber("latency-monitor-threshold");
  if (server.latencyEvents.size === 0 && threshold === 0) {
    return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
  }
  const advise = new Set<string>();
  let advices = 0;
  let report = "";
  let eventnum = 0;
  for (const [event, samples] of server.latencyEvents) {
    eventnum++;
    if (eventnum === 1) {
      report +=
        "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    }
    const ls = analyzeLatency(samples);
    report += `${eventnum}. ${event}: ${samples.length} latency spikes (average ${ls.avg}ms, ` +
      `mean deviation ${ls.mad}ms, period ${(ls.period / samples.length).toFixed(2)} sec). ` +
      `Worst all time event ${server.latencyMax.get(event) ?? 0}ms.`;
    const add = (...names: string[]) => {
      for (const n of names) advise.add(n);
      advices += names.length;
    };
    switch (event.toLowerCase()) {
      case "command": {
        const slower = cfg.getNumber("slowlog-log-slower-than");
        if (slower < 0) add("slowlog_enabled");
        else if (Math.trunc(slower / 1000) > threshold) add("slowlog_tuning");
        add("slowlog_inspect", "large_objects");
        break;
      }
      case "fast-command":
        add("scheduler");
        break;
      case "aof-write-pending-fsync":
        add("local_disk", "disk_contention", "ssd", "data_writeback");
        break;
      case "aof-write-active-child":
        add("no_appendfsync", "data_writeback", "ssd");
        break;
      case "aof-write-alone":
        add("local_disk", "data_writeback", "ssd");
        break;
      case "aof-fsync-always":
        add("relax_fsync_policy");
        break;
      case "aof-fstat":
      case "rdb-unlink-temp-file":
        add("disk_contention", "local_disk");
        break;
      case "aof-rewrite-diff-write":
      case "aof-rename":
        add("write_load_info", "data_writeback", "ssd", "local_disk");
        break;
      case "expire-cycle":
        add("hz", "large_objects");
        break;
      case "eviction-del":
        add("large_objects");
        break;
      case "eviction-cycle":
        add("mass_eviction");
        break;
    }
    report += "\n";
  }
  if (anonHugePages() > 0) {
    advise.add("disable_thp");
    advices++;
  }
  if (eventnum === 0 && advices === 0) {
    return report +
      "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";
  }
  if (eventnum > 0 && advices === 0) {
    return report +
      "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";
  }
  report += "\nI have a few advices for you:\n\n";
  const micros = threshold * 1000;
  if (advise.has("slowlog_enabled")) {
    report +=
      `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${micros}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
  }
  if (advise.has("slowlog_tuning")) {
    report +=
      `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${micros}'.\n`;
  }
  if (advise.has("slowlog_inspect")) {
    report +=
      "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n";
  }
  if (advise.has("scheduler")) {
    report +=
      "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
      "  1) Lower the system load.\n" +
      "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
      '  3) Check if you have a "noisy neighbour" problem.\n' +
      "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
      "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n";
  }
  if (advise.has("local_disk")) {
    report +=
      "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n";
  }
  if (advise.has("ssd")) {
    report +=
      "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage and smaller final AOF rewrite buffer flushes). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n";
  }
  if (advise.has("data_writeback")) {
    report +=
      "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n";
  }
  if (advise.has("disk_contention")) {
    report +=
      "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n";
  }
  if (advise.has("no_appendfsync")) {
    report +=
      "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n";
  }
  if (advise.has("relax_fsync_policy") && cfg.getString("appendfsync") === "always") {
    report +=
      "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n";
  }
  if (advise.has("write_load_info")) {
    report +=
      "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n";
  }
  if (advise.has("hz") && cfg.getNumber("hz") < 100) {
    report +=
      "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
  }
  if (advise.has("large_objects")) {
    report +=
      "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n";
  }
  if (advise.has("mass_eviction")) {
    report +=
      "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n";
  }
  if (advise.has("disable_thp")) {
    report +=
      "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n";
  }
  return report;
}

/** Redis's sparklineRender with 80 columns, 4 rows, SPARKLINE_FILL. */
function sparkline(samples: Array<{ value: number; label: string }>): string {
  const columns = 80;
  const rows = 4;
  const charsetFill = "_o#";
  const charsetLen = 3;
  let min = 0;
  let max = 0;
  samples.forEach((s, i) => {
    if (i === 0) min = max = s.value;
    else if (s.value < min) min = s.value;
    else if (s.value > max) max = s.value;
  });
  const labels = samples.some((s) => s.label !== "");
  let out = "";
  for (let offset = 0; offset < samples.length; offset += columns) {
    if (offset !== 0) out += "\n";
    const len = Math.min(columns, samples.length - offset);
    const relmax = max - min === 0 ? 1 : max - min;
    const steps = charsetLen * rows;
    for (let row = 0;; row++) {
      let loop = false;
      const chars = new Array<string>(len).fill(" ");
      for (let j = 0; j < len; j++) {
        const s = samples[j + offset];
        let step = Math.trunc(Math.trunc((s.value - min) * steps) / relmax);
        if (step < 0) step = 0;
        if (step >= steps) step = steps - 1;
        if (row < rows) {
          const charidx = step - (rows - row - 1) * charsetLen;
          loop = true;
          if (charidx >= 0 && charidx < charsetLen) chars[j] = charsetFill[charidx];
          else if (charidx >= charsetLen) chars[j] = "|";
        } else {
          if (labels && row - rows < 1) {
            loop = true;
            break;
          }
          const labelChar = row - rows - 1;
          if (s.label.length > labelChar) {
            loop = true;
            chars[j] = s.label[labelChar];
          }
        }
      }
      if (!loop) break;
      out += chars.join("") + "\n";
    }
  }
  return out;
}

/** Redis's latencyCommandGenSparkeline (LATENCY GRAPH). */
function latencyGraph(
  server: Server,
  event: string,
  samples: ReadonlyArray<[number, number]>,
): string {
  const now = Math.floor(Date.now() / 1000);
  let min = 0;
  let max = 0;
  const seq = samples.map(([t, ms], i) => {
    if (i === 0) min = max = ms;
    else {
      if (ms > max) max = ms;
      if (ms < min) min = ms;
    }
    const elapsed = now - t;
    const label = elapsed < 60
      ? `${elapsed}s`
      : elapsed < 3600
      ? `${Math.floor(elapsed / 60)}m`
      : elapsed < 86400
      ? `${Math.floor(elapsed / 3600)}h`
      : `${Math.floor(elapsed / 86400)}d`;
    return { value: ms, label };
  });
  return `${event} - high ${max} ms, low ${min} ms (all time high ${
    server.latencyMax.get(event) ?? 0
  } ms)\n` +
    "-".repeat(80) + "\n" + sparkline(seq);
}

/** Redis's fillCommandCDF: {calls, histogram_usec: {bucket: cumulative count}}. */
function replyCommandCdf(ctx: CommandContext, histogram: LatencyHistogram): void {
  const reply = ctx.reply;
  reply.map(2);
  reply.bulk("calls");
  reply.int(histogram.totalCount);
  reply.bulk("histogram_usec");
  const cdf = histogram.cdf();
  reply.map(cdf.length);
  for (const [usec, count] of cdf) {
    reply.int(usec);
    reply.int(count);
  }
}

function latencyHistogram(ctx: CommandContext, argv: string[]): void {
  const histograms = commandLatencyHistograms(ctx.server);
  const selected: Array<[string, LatencyHistogram]> = [];
  const addWithSubs = (cmd: CommandSpec) => {
    const h = histograms.get(cmd.name);
    if (h !== undefined && h.totalCount > 0) selected.push([cmd.name, h]);
    for (const sub of cmd.subcommands ?? []) {
      const sh = histograms.get(sub.name);
      if (sh !== undefined && sh.totalCount > 0) selected.push([sub.name, sh]);
    }
  };
  if (argv.length === 2) {
    for (const cmd of allCommands()) addWithSubs(cmd);
  } else {
    const byName = new Map(allCommands().map((c) => [c.name, c]));
    for (const name of argv.slice(2)) {
      const lower = name.toLowerCase();
      const bar = lower.indexOf("|");
      const cmd = bar === -1
        ? byName.get(lower)
        : byName.get(lower.slice(0, bar))?.subcommands?.find((s) => s.name === lower);
      if (cmd !== undefined) addWithSubs(cmd);
    }
  }
  ctx.reply.map(selected.length);
  for (const [name, h] of selected) {
    ctx.reply.bulk(name);
    replyCommandCdf(ctx, h);
  }
}

const latency = container("latency", [
  adminSub("latency|latest", 2, (ctx) => {
    const server = ctx.server;
    ctx.reply.array(server.latencyEvents.size);
    for (const [event, samples] of server.latencyEvents) {
      const last = samples[samples.length - 1] ?? [0, 0];
      ctx.reply.array(4);
      ctx.reply.bulk(event);
      ctx.reply.int(last[0]);
      ctx.reply.int(last[1]);
      ctx.reply.int(server.latencyMax.get(event) ?? 0);
    }
  }),
  adminSub("latency|history", 3, (ctx, argv) => {
    const samples = ctx.server.latencyEvents.get(argv[2]) ?? [];
    ctx.reply.array(samples.length);
    for (const [t, ms] of samples) {
      ctx.reply.array(2);
      ctx.reply.int(t);
      ctx.reply.int(ms);
    }
  }),
  adminSub("latency|reset", -2, (ctx, argv) => {
    if (argv.length === 2) return ctx.reply.int(latencyReset(ctx.server, undefined));
    let resets = 0;
    for (const event of argv.slice(2)) resets += latencyReset(ctx.server, event);
    ctx.reply.int(resets);
  }),
  adminSub("latency|doctor", 2, (ctx) => ctx.reply.verbatim(latencyReport(ctx.server))),
  adminSub("latency|graph", 3, (ctx, argv) => {
    const samples = ctx.server.latencyEvents.get(argv[2]);
    if (samples === undefined) fail(`ERR No samples available for event '${argv[2]}'`);
    ctx.reply.verbatim(latencyGraph(ctx.server, argv[2], samples));
  }),
  adminSub("latency|histogram", -2, latencyHistogram),
  helpSub("latency", LATENCY_HELP),
]);

// ---------------------------------------------------------------------------
// SLOWLOG
// ---------------------------------------------------------------------------

const SLOWLOG_HELP = [
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
];

const SLOWLOG_FLAGS: CommandSpec["flags"] = ["admin", "loading", "stale"];

const slowlog = container("slowlog", [
  adminSub("slowlog|get", -2, (ctx, argv) => {
    if (argv.length > 3) throw subcommandSyntaxError(argv);
    const entries = ctx.server.slowlog;
    let count = 10;
    if (argv.length === 3) {
      const v = parseLongLong(argv[2]);
      if (v === undefined || v < -1) fail("ERR count should be greater than or equal to -1");
      count = v === -1 ? entries.length : v;
    }
    const sent = entries.slice(0, count);
    ctx.reply.array(sent.length);
    for (const e of sent) {
      ctx.reply.array(6);
      ctx.reply.int(e.id);
      ctx.reply.int(e.time);
      ctx.reply.int(e.micros);
      ctx.reply.bulkArray(e.argv);
      ctx.reply.bulk(e.addr);
      ctx.reply.bulk(e.name);
    }
  }, SLOWLOG_FLAGS),
  adminSub("slowlog|len", 2, (ctx) => ctx.reply.int(ctx.server.slowlog.length), SLOWLOG_FLAGS),
  adminSub("slowlog|reset", 2, (ctx) => {
    ctx.server.slowlog.length = 0;
    ctx.reply.ok();
  }, SLOWLOG_FLAGS),
  helpSub("slowlog", SLOWLOG_HELP),
]);

/** The server family. */
export const serverCommands: readonly CommandSpec[] = [
  dbsize,
  flushdb,
  flushall,
  swapdb,
  time,
  config,
  shutdown,
  debug,
  latency,
  slowlog,
  info,
  command,
];
