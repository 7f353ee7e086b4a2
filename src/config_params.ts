/**
 * The table of Redis 7.0.15 configuration parameters: every name that
 * `CONFIG GET *` lists on a real 7.0.15 server (TLS build), plus the hidden
 * ones that only an exact `CONFIG GET name` shows, with the same defaults,
 * bounds, aliases and flags as `static_configs[]` in Redis's src/config.c.
 *
 * Redeno accepts, stores, lists and rewrites every parameter here, so a
 * redis.conf written for Redis 7.0 loads unchanged. Only those marked
 * `implemented: true` change what the server does; the others (cluster, TLS,
 * io-threads, defrag, lazyfree, syslog, …) are accepted and reported by
 * CONFIG GET but have no effect.
 *
 * @module
 */

/** How a parameter's value is parsed, stored and printed. */
export type ParamType = "bool" | "string" | "enum" | "numeric" | "special";

/** The C type Redis stores a numeric parameter in; decides signed or unsigned bound checks. */
export type NumericKind =
  | "int"
  | "uint"
  | "long"
  | "ulong"
  | "longlong"
  | "ulonglong"
  | "size_t"
  | "ssize_t"
  | "time_t"
  | "off_t";

/** How a numeric parameter's text is read and printed. */
export type NumericFormat = "integer" | "memory" | "memory-percent" | "octal";

/**
 * Flags from Redis's config table:
 * - `sensitive`: the value is redacted from SLOWLOG/MONITOR (masterauth, requirepass…)
 * - `hidden`: `CONFIG GET` with a pattern skips it; an exact name still finds it
 * - `protected`: CONFIG SET needs `enable-protected-configs` yes (or local + a local client)
 * - `deny-loading`: CONFIG SET answers -LOADING while the dataset is loading
 * - `multi-arg`: the value is several words (save, bind, client-output-buffer-limit…)
 * - `empty-is-null`: an empty string means "unset" (it is left out of CONFIG REWRITE)
 * - `bitflags`: an enum whose words combine (shutdown-on-sigint "save now")
 */
export type ParamFlag =
  | "sensitive"
  | "hidden"
  | "protected"
  | "deny-loading"
  | "multi-arg"
  | "empty-is-null"
  | "bitflags";

/** Bounds and format of a numeric parameter, as in Redis's `create*Config` macros. */
export interface NumericSpec {
  readonly kind: NumericKind;
  readonly min: bigint;
  readonly max: bigint;
  readonly format: NumericFormat;
}

/** One configuration parameter. */
export interface ParamSpec {
  /** Canonical (primary) name, lower case. */
  readonly name: string;
  /** Other names that reach the same value (Redis has at most one, e.g. `slaveof`). */
  readonly aliases?: readonly string[];
  readonly type: ParamType;
  /**
   * The default exactly as CONFIG GET prints it. For `dir` it is "" here: the
   * real default is the working directory at start-up.
   */
  readonly default: string;
  /** Settable with CONFIG SET (Redis's MODIFIABLE_CONFIG). */
  readonly mutable: boolean;
  /** Whether Redeno acts on the value; if false it is accepted and listed only. */
  readonly implemented: boolean;
  readonly flags?: readonly ParamFlag[];
  /** Enum words, in Redis's order (the order its error message lists them). */
  readonly values?: readonly string[];
  /** Codes of the enum words (defaults to their index); equal codes are synonyms. */
  readonly codes?: readonly number[];
  readonly numeric?: NumericSpec;
  /** Extra validity check (Redis's is_valid_fn); returns the error text or undefined. */
  readonly validate?: (value: string) => string | undefined;
}

const INT_MAX = 2147483647n;
const INT_MIN = -2147483648n;
const UINT_MAX = 4294967295n;
const LONG_MAX = 9223372036854775807n;
const LLONG_MAX = LONG_MAX;
const ULLONG_MAX = 18446744073709551615n;

/**
 * Parameters Redeno acts on. Everything else in the table is accepted and
 * listed only. Keep this in step with the server as features land.
 */
const IMPLEMENTED = new Set([
  "bind",
  "port",
  "protected-mode",
  "requirepass",
  "masterauth",
  "masteruser",
  "timeout",
  "tcp-keepalive",
  "databases",
  "loglevel",
  "logfile",
  "pidfile",
  "dir",
  "dbfilename",
  "save",
  "rdbcompression",
  "rdbchecksum",
  "stop-writes-on-bgsave-error",
  "appendonly",
  "appendfilename",
  "appenddirname",
  "appendfsync",
  "aof-use-rdb-preamble",
  "replicaof",
  "replica-read-only",
  "replica-serve-stale-data",
  "repl-backlog-size",
  "repl-backlog-ttl",
  "repl-timeout",
  "repl-ping-replica-period",
  "repl-diskless-sync",
  "repl-diskless-sync-delay",
  "maxclients",
  "proto-max-bulk-len",
  "client-query-buffer-limit",
  "client-output-buffer-limit",
  "hz",
  "notify-keyspace-events",
  "daemonize",
  "hash-max-listpack-entries",
  "hash-max-listpack-value",
  "set-max-intset-entries",
  "zset-max-listpack-entries",
  "zset-max-listpack-value",
  "list-max-listpack-size",
  "list-compress-depth",
  "slowlog-log-slower-than",
  "slowlog-max-len",
  "shutdown-on-sigint",
  "unixsocket",
  "rdb-del-sync-files",
  "unixsocketperm",
  "shutdown-on-sigterm",
  "aof-disable-auto-gc",
  "aof-load-truncated",
  "aof-timestamp-enabled",
  "auto-aof-rewrite-min-size",
  "auto-aof-rewrite-percentage",
  "no-appendfsync-on-rewrite",
  "enable-debug-command",
  "enable-protected-configs",
  "hll-sparse-max-bytes",
  "latency-monitor-threshold",
  "latency-tracking",
  "latency-tracking-info-percentiles",
  "lazyfree-lazy-expire",
  "lazyfree-lazy-server-del",
  "lazyfree-lazy-user-del",
  "lazyfree-lazy-eviction",
  "lfu-decay-time",
  "lfu-log-factor",
  "maxmemory",
  "maxmemory-eviction-tenacity",
  "maxmemory-policy",
  "maxmemory-samples",
  "replica-ignore-maxmemory",
  "min-replicas-max-lag",
  "min-replicas-to-write",
  "rdb-key-save-delay",
  "repl-diskless-load",
  "repl-diskless-sync-max-replicas",
  "replica-announce-ip",
  "replica-announce-port",
  "replica-announced",
  "replica-priority",
  "shutdown-timeout",
]);

type Extra = {
  alias?: string;
  flags?: ParamFlag[];
  validate?: (value: string) => string | undefined;
};

function spec(
  name: string,
  type: ParamType,
  mutable: boolean,
  def: string,
  extra: Extra = {},
  more: Partial<ParamSpec> = {},
): ParamSpec {
  const out: ParamSpec = {
    name,
    type,
    default: def,
    mutable,
    implemented: IMPLEMENTED.has(name),
    ...(extra.alias ? { aliases: [extra.alias] } : {}),
    ...(extra.flags?.length ? { flags: extra.flags } : {}),
    ...(extra.validate ? { validate: extra.validate } : {}),
    ...more,
  };
  return out;
}

function bool(name: string, mutable: boolean, def: boolean, extra?: Extra): ParamSpec {
  return spec(name, "bool", mutable, def ? "yes" : "no", extra);
}

/** A string parameter; `def === null` means the default is unset (an empty-is-null string). */
function str(
  name: string,
  mutable: boolean,
  def: string | null,
  extra: Extra = {},
): ParamSpec {
  const flags = [...(extra.flags ?? [])];
  if (def === null) flags.push("empty-is-null");
  return spec(name, "string", mutable, def ?? "", { ...extra, flags });
}

function enumeration(
  name: string,
  mutable: boolean,
  values: string[],
  def: string,
  extra: Extra = {},
  codes?: number[],
): ParamSpec {
  return spec(name, "enum", mutable, def, extra, { values, ...(codes ? { codes } : {}) });
}

function num(
  name: string,
  mutable: boolean,
  kind: NumericKind,
  min: bigint,
  max: bigint,
  def: bigint,
  format: NumericFormat = "integer",
  extra: Extra = {},
): ParamSpec {
  const shown = format === "octal" ? def.toString(8) : def.toString();
  return spec(name, "numeric", mutable, shown, extra, { numeric: { kind, min, max, format } });
}

function special(name: string, mutable: boolean, def: string, extra: Extra = {}): ParamSpec {
  return spec(name, "special", mutable, def, extra);
}

const MOD = true;
const IMM = false;

function pathIsBaseName(value: string): boolean {
  return !value.includes("/") && !value.includes("\\");
}

/** Variables a proc-title-template may use (Redis's redisProcTitleGetVariable). */
const PROC_TITLE_VARIABLES = new Set([
  "title",
  "listen-addr",
  "server-mode",
  "port",
  "tls-port",
  "unixsocket",
  "rdb-del-sync-files",
  "config-file",
]);

/**
 * Redis's validateProcTitleTemplate: sdstemplate expansion must succeed and,
 * expanded with an empty title on a standalone server without a config file
 * or unix socket, must not be empty.
 */
function validProcTitleTemplate(template: string): boolean {
  let out = "";
  let p = 0;
  while (p < template.length) {
    const sv = template.indexOf("{", p);
    if (sv < 0) {
      out += template.slice(p);
      break;
    }
    out += template.slice(p, sv);
    if (sv + 1 >= template.length) return false;
    if (template[sv + 1] === "{") {
      out += "{";
      p = sv + 2;
      continue;
    }
    const ev = template.indexOf("}", sv + 1);
    if (ev < 0) return false;
    const variable = template.slice(sv + 1, ev);
    if (!PROC_TITLE_VARIABLES.has(variable)) return false;
    if (variable === "listen-addr") out += "*:6379";
    else if (variable === "port") out += "6379";
    else if (variable === "tls-port") out += "0";
    p = ev + 1;
  }
  return out.length > 0;
}

const SHUTDOWN_WORDS = ["default", "save", "nosave", "now", "force"];
const SHUTDOWN_CODES = [0, 1, 2, 4, 8];

function validShutdownFlags(value: string): string | undefined {
  const words = value.toLowerCase().split(" ");
  if (words.includes("save") && words.includes("nosave")) {
    return "shutdown options SAVE and NOSAVE can't be used simultaneously";
  }
  return undefined;
}

const PROTECTED_ACTION = ["no", "yes", "local"];

/** Every Redis 7.0.15 configuration parameter, in the order of Redis's static_configs[]. */
export const PARAMS: readonly ParamSpec[] = [
  // Bool configs
  bool("rdbchecksum", IMM, true),
  bool("daemonize", IMM, false),
  bool("io-threads-do-reads", IMM, false),
  bool("always-show-logo", IMM, false),
  bool("protected-mode", MOD, true),
  bool("rdbcompression", MOD, true),
  bool("rdb-del-sync-files", MOD, false),
  bool("activerehashing", MOD, true),
  bool("stop-writes-on-bgsave-error", MOD, true),
  bool("set-proc-title", IMM, true),
  bool("dynamic-hz", MOD, true),
  bool("lazyfree-lazy-eviction", MOD, false),
  bool("lazyfree-lazy-expire", MOD, false),
  bool("lazyfree-lazy-server-del", MOD, false),
  bool("lazyfree-lazy-user-del", MOD, false),
  bool("lazyfree-lazy-user-flush", MOD, false),
  bool("repl-disable-tcp-nodelay", MOD, false),
  bool("repl-diskless-sync", MOD, true),
  bool("aof-rewrite-incremental-fsync", MOD, true),
  bool("no-appendfsync-on-rewrite", MOD, false),
  bool("cluster-require-full-coverage", MOD, true),
  bool("rdb-save-incremental-fsync", MOD, true),
  bool("aof-load-truncated", MOD, true),
  bool("aof-use-rdb-preamble", MOD, true),
  bool("aof-timestamp-enabled", MOD, false),
  bool("cluster-replica-no-failover", MOD, false, { alias: "cluster-slave-no-failover" }),
  bool("replica-lazy-flush", MOD, false, { alias: "slave-lazy-flush" }),
  bool("replica-serve-stale-data", MOD, true, { alias: "slave-serve-stale-data" }),
  bool("replica-read-only", MOD, true, { alias: "slave-read-only" }),
  bool("replica-ignore-maxmemory", MOD, true, { alias: "slave-ignore-maxmemory" }),
  bool("jemalloc-bg-thread", MOD, true),
  bool("activedefrag", MOD, false, {
    // Redeno has no defragmenter, like a Redis built without jemalloc's defrag hint.
    validate: (v) =>
      v.toLowerCase() === "yes"
        ? "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
        : undefined,
  }),
  bool("syslog-enabled", IMM, false),
  bool("cluster-enabled", IMM, false),
  bool("appendonly", MOD, false, { flags: ["deny-loading"] }),
  bool("cluster-allow-reads-when-down", MOD, false),
  bool("cluster-allow-pubsubshard-when-down", MOD, true),
  bool("crash-log-enabled", MOD, true),
  bool("crash-memcheck-enabled", MOD, true),
  bool("use-exit-on-panic", MOD, false, { flags: ["hidden"] }),
  bool("disable-thp", IMM, true),
  bool("cluster-allow-replica-migration", MOD, true),
  bool("replica-announced", MOD, true),
  bool("latency-tracking", MOD, true),
  bool("aof-disable-auto-gc", MOD, false),
  bool("replica-ignore-disk-write-errors", MOD, false),

  // String configs
  str("aclfile", IMM, ""),
  str("unixsocket", IMM, null),
  str("pidfile", IMM, null),
  str("replica-announce-ip", MOD, null, { alias: "slave-announce-ip" }),
  str("masteruser", MOD, null, { flags: ["sensitive"] }),
  str("cluster-announce-ip", MOD, null),
  str("cluster-config-file", IMM, "nodes.conf"),
  str("cluster-announce-hostname", MOD, null, {
    validate: (v) => {
      if (v.length >= 256) return "Hostnames must be less than 256 characters";
      if (!/^[A-Za-z0-9.-]*$/.test(v)) {
        return "Hostnames may only contain alphanumeric characters, hyphens or dots";
      }
      return undefined;
    },
  }),
  str("syslog-ident", IMM, "redis"),
  str("dbfilename", MOD, "dump.rdb", {
    flags: ["protected"],
    validate: (v) => pathIsBaseName(v) ? undefined : "dbfilename can't be a path, just a filename",
  }),
  str("appendfilename", IMM, "appendonly.aof", {
    validate: (v) =>
      v === ""
        ? "appendfilename can't be empty"
        : pathIsBaseName(v)
        ? undefined
        : "appendfilename can't be a path, just a filename",
  }),
  str("appenddirname", IMM, "appendonlydir", {
    validate: (v) =>
      v === ""
        ? "appenddirname can't be empty"
        : pathIsBaseName(v)
        ? undefined
        : "appenddirname can't be a path, just a dirname",
  }),
  str("server_cpulist", IMM, null),
  str("bio_cpulist", IMM, null),
  str("aof_rewrite_cpulist", IMM, null),
  str("bgsave_cpulist", IMM, null),
  str("ignore-warnings", MOD, ""),
  str("proc-title-template", MOD, "{title} {listen-addr} {server-mode}", {
    validate: (v) =>
      validProcTitleTemplate(v)
        ? undefined
        : "template format is invalid or contains unknown variables",
  }),
  str("bind-source-addr", MOD, null),
  str("logfile", IMM, ""),
  // SDS configs (binary-safe strings in Redis)
  str("masterauth", MOD, null, { flags: ["sensitive"] }),
  str("requirepass", MOD, null, { flags: ["sensitive"] }),

  // Enum configs
  enumeration("supervised", IMM, ["upstart", "systemd", "auto", "no"], "no"),
  enumeration("syslog-facility", IMM, [
    "user",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
  ], "local0"),
  enumeration("repl-diskless-load", MOD, ["disabled", "on-empty-db", "swapdb"], "disabled", {
    flags: ["deny-loading"],
  }),
  enumeration("loglevel", MOD, ["debug", "verbose", "notice", "warning"], "notice"),
  enumeration("maxmemory-policy", MOD, [
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
  ], "noeviction"),
  enumeration("appendfsync", MOD, ["everysec", "always", "no"], "everysec"),
  enumeration("oom-score-adj", MOD, ["no", "yes", "relative", "absolute"], "no", {}, [0, 1, 1, 2]),
  enumeration("acl-pubsub-default", MOD, ["allchannels", "resetchannels"], "resetchannels"),
  enumeration("sanitize-dump-payload", MOD, ["no", "yes", "clients"], "no"),
  enumeration("enable-protected-configs", IMM, PROTECTED_ACTION, "no"),
  enumeration("enable-debug-command", IMM, PROTECTED_ACTION, "no"),
  enumeration("enable-module-command", IMM, PROTECTED_ACTION, "no"),
  enumeration("cluster-preferred-endpoint-type", MOD, ["ip", "hostname", "unknown-endpoint"], "ip"),
  enumeration(
    "propagation-error-behavior",
    MOD,
    ["ignore", "panic", "panic-on-replicas"],
    "ignore",
  ),
  enumeration("shutdown-on-sigint", MOD, SHUTDOWN_WORDS, "default", {
    flags: ["multi-arg", "bitflags"],
    validate: validShutdownFlags,
  }, SHUTDOWN_CODES),
  enumeration("shutdown-on-sigterm", MOD, SHUTDOWN_WORDS, "default", {
    flags: ["multi-arg", "bitflags"],
    validate: validShutdownFlags,
  }, SHUTDOWN_CODES),

  // Integer configs
  num("databases", IMM, "int", 1n, INT_MAX, 16n),
  num("port", MOD, "int", 0n, 65535n, 6379n),
  num("io-threads", IMM, "int", 1n, 128n, 1n),
  num("auto-aof-rewrite-percentage", MOD, "int", 0n, INT_MAX, 100n),
  num("cluster-replica-validity-factor", MOD, "int", 0n, INT_MAX, 10n, "integer", {
    alias: "cluster-slave-validity-factor",
  }),
  num("list-max-listpack-size", MOD, "int", INT_MIN, INT_MAX, -2n, "integer", {
    alias: "list-max-ziplist-size",
  }),
  num("tcp-keepalive", MOD, "int", 0n, INT_MAX, 300n),
  num("cluster-migration-barrier", MOD, "int", 0n, INT_MAX, 1n),
  num("active-defrag-cycle-min", MOD, "int", 1n, 99n, 1n),
  num("active-defrag-cycle-max", MOD, "int", 1n, 99n, 25n),
  num("active-defrag-threshold-lower", MOD, "int", 0n, 1000n, 10n),
  num("active-defrag-threshold-upper", MOD, "int", 0n, 1000n, 100n),
  num("lfu-log-factor", MOD, "int", 0n, INT_MAX, 10n),
  num("lfu-decay-time", MOD, "int", 0n, INT_MAX, 1n),
  num("replica-priority", MOD, "int", 0n, INT_MAX, 100n, "integer", { alias: "slave-priority" }),
  num("repl-diskless-sync-delay", MOD, "int", 0n, INT_MAX, 5n),
  num("maxmemory-samples", MOD, "int", 1n, INT_MAX, 5n),
  num("maxmemory-eviction-tenacity", MOD, "int", 0n, 100n, 10n),
  num("timeout", MOD, "int", 0n, INT_MAX, 0n),
  num("replica-announce-port", MOD, "int", 0n, 65535n, 0n, "integer", {
    alias: "slave-announce-port",
  }),
  num("tcp-backlog", IMM, "int", 0n, INT_MAX, 511n),
  num("cluster-port", IMM, "int", 0n, 65535n, 0n),
  num("cluster-announce-bus-port", MOD, "int", 0n, 65535n, 0n),
  num("cluster-announce-port", MOD, "int", 0n, 65535n, 0n),
  num("cluster-announce-tls-port", MOD, "int", 0n, 65535n, 0n),
  num("repl-timeout", MOD, "int", 1n, INT_MAX, 60n),
  num("repl-ping-replica-period", MOD, "int", 1n, INT_MAX, 10n, "integer", {
    alias: "repl-ping-slave-period",
  }),
  num("list-compress-depth", MOD, "int", 0n, INT_MAX, 0n),
  num("rdb-key-save-delay", MOD, "int", INT_MIN, INT_MAX, 0n, "integer", { flags: ["hidden"] }),
  num("key-load-delay", MOD, "int", INT_MIN, INT_MAX, 0n, "integer", { flags: ["hidden"] }),
  num("active-expire-effort", MOD, "int", 1n, 10n, 1n),
  num("hz", MOD, "int", 0n, INT_MAX, 10n),
  num("min-replicas-to-write", MOD, "int", 0n, INT_MAX, 0n, "integer", {
    alias: "min-slaves-to-write",
  }),
  num("min-replicas-max-lag", MOD, "int", 0n, INT_MAX, 10n, "integer", {
    alias: "min-slaves-max-lag",
  }),
  num("watchdog-period", MOD, "int", 0n, INT_MAX, 0n, "integer", { flags: ["hidden"] }),
  num("shutdown-timeout", MOD, "int", 0n, INT_MAX, 10n),
  num("repl-diskless-sync-max-replicas", MOD, "int", 0n, INT_MAX, 0n),

  // Unsigned int configs
  num("maxclients", MOD, "uint", 1n, UINT_MAX, 10000n),
  num("unixsocketperm", IMM, "uint", 0n, 0o777n, 0n, "octal"),
  num("socket-mark-id", IMM, "uint", 0n, UINT_MAX, 0n),

  // Unsigned long configs
  num("active-defrag-max-scan-fields", MOD, "ulong", 1n, LONG_MAX, 1000n),
  num("slowlog-max-len", MOD, "ulong", 0n, LONG_MAX, 128n),
  num("acllog-max-len", MOD, "ulong", 0n, LONG_MAX, 128n),

  // Long long configs
  num("busy-reply-threshold", MOD, "longlong", 0n, LONG_MAX, 5000n, "integer", {
    alias: "lua-time-limit",
  }),
  num("cluster-node-timeout", MOD, "longlong", 0n, LLONG_MAX, 15000n),
  num("slowlog-log-slower-than", MOD, "longlong", -1n, LLONG_MAX, 10000n),
  num("latency-monitor-threshold", MOD, "longlong", 0n, LLONG_MAX, 0n),
  num(
    "proto-max-bulk-len",
    MOD,
    "longlong",
    1024n * 1024n,
    LONG_MAX,
    512n * 1024n * 1024n,
    "memory",
  ),
  num("stream-node-max-entries", MOD, "longlong", 0n, LLONG_MAX, 100n),
  num("repl-backlog-size", MOD, "longlong", 1n, LLONG_MAX, 1024n * 1024n, "memory"),

  // Unsigned long long configs
  num("maxmemory", MOD, "ulonglong", 0n, ULLONG_MAX, 0n, "memory"),
  num("cluster-link-sendbuf-limit", MOD, "ulonglong", 0n, ULLONG_MAX, 0n, "memory"),

  // Size_t configs
  num("hash-max-listpack-entries", MOD, "size_t", 0n, LONG_MAX, 512n, "integer", {
    alias: "hash-max-ziplist-entries",
  }),
  num("set-max-intset-entries", MOD, "size_t", 0n, LONG_MAX, 512n),
  num("zset-max-listpack-entries", MOD, "size_t", 0n, LONG_MAX, 128n, "integer", {
    alias: "zset-max-ziplist-entries",
  }),
  num("active-defrag-ignore-bytes", MOD, "size_t", 1n, LLONG_MAX, 100n << 20n, "memory"),
  num("hash-max-listpack-value", MOD, "size_t", 0n, LONG_MAX, 64n, "memory", {
    alias: "hash-max-ziplist-value",
  }),
  num("stream-node-max-bytes", MOD, "size_t", 0n, LONG_MAX, 4096n, "memory"),
  num("zset-max-listpack-value", MOD, "size_t", 0n, LONG_MAX, 64n, "memory", {
    alias: "zset-max-ziplist-value",
  }),
  num("hll-sparse-max-bytes", MOD, "size_t", 0n, LONG_MAX, 3000n, "memory"),
  num("tracking-table-max-keys", MOD, "size_t", 0n, LONG_MAX, 1000000n),
  num(
    "client-query-buffer-limit",
    MOD,
    "size_t",
    1024n * 1024n,
    LONG_MAX,
    1024n * 1024n * 1024n,
    "memory",
  ),
  num("maxmemory-clients", MOD, "ssize_t", -100n, LONG_MAX, 0n, "memory-percent"),

  // Other numeric configs
  num("repl-backlog-ttl", MOD, "time_t", 0n, LONG_MAX, 3600n),
  num("auto-aof-rewrite-min-size", MOD, "off_t", 0n, LLONG_MAX, 64n * 1024n * 1024n, "memory"),
  num(
    "loading-process-events-interval-bytes",
    MOD,
    "off_t",
    1024n,
    INT_MAX,
    2n * 1024n * 1024n,
    "integer",
    { flags: ["hidden"] },
  ),

  // TLS configs (Redis 7.0.15 as packaged is built with TLS)
  num("tls-port", MOD, "int", 0n, 65535n, 0n),
  num("tls-session-cache-size", MOD, "int", 0n, INT_MAX, 20n * 1024n),
  num("tls-session-cache-timeout", MOD, "int", 0n, INT_MAX, 300n),
  bool("tls-cluster", MOD, false),
  bool("tls-replication", MOD, false),
  enumeration("tls-auth-clients", MOD, ["no", "yes", "optional"], "yes"),
  bool("tls-prefer-server-ciphers", MOD, false),
  bool("tls-session-caching", MOD, true),
  str("tls-cert-file", MOD, null),
  str("tls-key-file", MOD, null),
  str("tls-key-file-pass", MOD, null),
  str("tls-client-cert-file", MOD, null),
  str("tls-client-key-file", MOD, null),
  str("tls-client-key-file-pass", MOD, null),
  str("tls-dh-params-file", MOD, null),
  str("tls-ca-cert-file", MOD, null),
  str("tls-ca-cert-dir", MOD, null),
  str("tls-protocols", MOD, null),
  str("tls-ciphers", MOD, null),
  str("tls-ciphersuites", MOD, null),

  // Special configs: each has its own parser, printer and rewriter in config.ts
  special("dir", MOD, "", { flags: ["protected", "deny-loading"] }),
  special("save", MOD, "3600 1 300 100 60 10000", { flags: ["multi-arg"] }),
  special(
    "client-output-buffer-limit",
    MOD,
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    { flags: ["multi-arg"] },
  ),
  special("oom-score-adj-values", MOD, "0 200 800", { flags: ["multi-arg"] }),
  special("notify-keyspace-events", MOD, ""),
  special("bind", MOD, "* -::*", { flags: ["multi-arg"] }),
  special("replicaof", IMM, "", { alias: "slaveof", flags: ["multi-arg"] }),
  special("latency-tracking-info-percentiles", MOD, "50 99 99.9", { flags: ["multi-arg"] }),
];
