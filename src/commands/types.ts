/**
 * The shape of a command: a spec each family file exports, which the table
 * collects. A handler gets the context and the argument vector and writes its
 * reply through `ctx.reply`; a thrown `ReplyError` becomes an error reply.
 */
import type { ReplyWriter } from "../net/resp.ts";
import type { Db } from "../store/keyspace.ts";
import type { Client } from "../net/client.ts";
import type { Server } from "../server.ts";

/** Redis 7.0's command flags (COMMAND INFO prints them without the underscore prefix rules of 6.x). */
export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "module"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "skip_slowlog"
  | "asking"
  | "fast"
  | "no_auth"
  | "may_replicate"
  | "sentinel"
  | "only_sentinel"
  | "no_mandatory_keys"
  | "protected"
  | "no_async_loading"
  | "no_multi"
  | "movablekeys"
  | "allow_busy";

/** What a handler works with: the server, the calling client, its db and its reply writer. */
export interface CommandContext {
  readonly server: Server;
  readonly client: Client;
  /** The client's selected db. */
  readonly db: Db;
  readonly reply: ReplyWriter;
  /**
   * Replaces what is propagated for this call (DESIGN decision 3): e.g. EXPIRE
   * propagates PEXPIREAT. Call it once per command to propagate; calling it
   * several times propagates several commands, wrapped in MULTI/EXEC.
   */
  propagate(argv: string[]): void;
  /** Suppresses propagation of this call even though it wrote (e.g. a no-op write). */
  preventPropagation(): void;
}

/** A handler may return a promise when it must wait (DEBUG SLEEP, SAVE, blocking pops, WAIT). */
export type CommandHandler = (ctx: CommandContext, argv: string[]) => void | Promise<void>;

/**
 * Flags as booleans, computed once per spec (the dispatcher reads them on
 * every call, where scanning the flags array showed up in profiles).
 */
export interface CommandMeta {
  write: boolean;
  fast: boolean;
  /** Timed with the other such commands of its batch (batch_timing.ts): @fast, or an O(1) write. */
  sharedTiming: boolean;
  noAuth: boolean;
  loading: boolean;
  stale: boolean;
  skipSlowlog: boolean;
  /** Not fed to MONITOR: skip_monitor or admin. */
  hiddenFromMonitor: boolean;
}

/**
 * Writes Redis does not flag @fast whose run time is still a few map
 * operations whatever the value's size (its bytes were copied when the
 * request was decoded, before the command runs): SET and its variants.
 * MSET and the like grow with their arguments and keep their own timing.
 */
const CONSTANT_TIME_WRITES: ReadonlySet<string> = new Set([
  "set",
  "setnx",
  "setex",
  "psetex",
  "getset",
]);

/** The flags of `cmd` as booleans, cached on the spec. */
export function commandMeta(cmd: CommandSpec): CommandMeta {
  if (cmd.meta !== undefined) return cmd.meta;
  const has = (flag: CommandFlag) => cmd.flags.includes(flag);
  const meta: CommandMeta = {
    write: has("write"),
    fast: has("fast"),
    sharedTiming: has("fast") || CONSTANT_TIME_WRITES.has(cmd.name),
    noAuth: has("no_auth"),
    loading: has("loading"),
    stale: has("stale"),
    skipSlowlog: has("skip_slowlog"),
    hiddenFromMonitor: has("skip_monitor") || has("admin"),
  };
  (cmd as { meta?: CommandMeta }).meta = meta;
  return meta;
}

/** One command or subcommand. */
export interface CommandSpec {
  /** Filled in by `commandMeta` on first use. */
  readonly meta?: CommandMeta;
  /** Lower-case name; a subcommand is "container|sub" as in Redis 7 ("config|get"). */
  name: string;
  /** Redis's arity: N exactly N arguments including the name, -N at least N. */
  arity: number;
  flags: readonly CommandFlag[];
  /** first key, last key (negative counts from the end), step; [0, 0, 0] when none. */
  keys: readonly [number, number, number];
  /** ACL categories without the '@' ("keyspace", "read", "fast" …), as COMMAND INFO lists them. */
  acl?: readonly string[];
  run?: CommandHandler;
  subcommands?: readonly CommandSpec[];
}
