/**
 * Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET, CLIENT
 * and MONITOR, with Redis 7.0's replies and errors (networking.c, server.c).
 *
 * Also the CLIENT PAUSE machinery: the pause state lives on the server
 * (`pauseUntil`, `pauseWritesOnly`); `clientPauseWait` tells the dispatcher
 * whether a command must wait, and returns the promise it waits on.
 *
 * This module imports no value from src/server.ts, so the dispatcher may
 * import it without an import cycle.
 */
import type { CommandContext, CommandSpec } from "./types.ts";
import type { Client } from "../net/client.ts";
import type { Server } from "../server.ts";
import { fail, NOT_AN_INTEGER, SYNTAX_ERROR } from "../errors.ts";
import { REDIS_VERSION } from "../config.ts";
import { parseLongLong } from "../util/numbers.ts";
import { lookupCommand, lookupSubcommand } from "./table.ts";
import { replyHelp, subcommandSyntaxError } from "./command_info.ts";
import { unblockClientById } from "./blocking.ts";

/** The password check of the default user: requirepass, or none ("nopass"). */
function defaultUserNopass(server: Server): boolean {
  return server.config.getString("requirepass") === "";
}

/**
 * Redis's ACLAuthenticateUser without ACL users: only "default" exists; it
 * accepts any password when requirepass is empty, else exactly requirepass.
 */
function authenticate(client: Client, username: string, password: string): boolean {
  if (username !== "default") return false;
  const required = client.server.config.getString("requirepass");
  if (required !== "" && password !== required) return false;
  client.authenticated = true;
  client.user = "default";
  return true;
}

const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

/**
 * Redis's redactClientCommandArgument: the argument shows as "(redacted)" in
 * SLOWLOG and MONITOR, which read the same argv array after the handler.
 */
function redact(argv: string[], index: number): void {
  argv[index] = "(redacted)";
}

/** Redis's validateClientName: printable ASCII without spaces. */
function clientNameError(name: string): string | undefined {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) {
      return "ERR Client names cannot contain spaces, newlines or special characters.";
    }
  }
  return undefined;
}

/** The role HELLO reports: the replication layer's, else whether replicaof is configured. */
function isReplica(server: Server): boolean {
  const provider = server.infoProviders.get("replication");
  if (provider !== undefined) {
    const role = provider().find(([name]) => name === "role");
    if (role !== undefined) return role[1] === "slave";
  }
  return server.config.replicaOf() !== undefined;
}

const ping: CommandSpec = {
  name: "ping",
  arity: -1,
  flags: ["fast", "sentinel"],
  keys: [0, 0, 0],
  acl: ["fast", "connection"],
  run(ctx, argv) {
    if (argv.length > 2) fail("ERR wrong number of arguments for 'ping' command");
    if (ctx.client.inPubSub && ctx.reply.protocol === 2) {
      ctx.reply.array(2);
      ctx.reply.bulk("pong");
      ctx.reply.bulk(argv.length === 2 ? argv[1] : "");
      return;
    }
    if (argv.length === 2) ctx.reply.bulk(argv[1]);
    else ctx.reply.simple("PONG");
  },
};

const echo: CommandSpec = {
  name: "echo",
  arity: 2,
  flags: ["loading", "stale", "fast"],
  keys: [0, 0, 0],
  acl: ["fast", "connection"],
  run(ctx, argv) {
    ctx.reply.bulk(argv[1]);
  },
};

const quit: CommandSpec = {
  name: "quit",
  arity: -1,
  flags: ["allow_busy", "no_auth", "noscript", "loading", "stale", "fast"],
  keys: [0, 0, 0],
  acl: ["fast", "connection"],
  run(ctx) {
    ctx.reply.ok();
    ctx.client.flags.closeAfterReply = true;
  },
};

const select: CommandSpec = {
  name: "select",
  arity: 2,
  flags: ["loading", "stale", "fast"],
  keys: [0, 0, 0],
  acl: ["fast", "connection"],
  run(ctx, argv) {
    const index = parseLongLong(argv[1]);
    if (index === undefined || index < -2147483648 || index > 2147483647) fail(NOT_AN_INTEGER);
    if (index < 0 || index >= ctx.server.keyspace.dbs.length) fail("ERR DB index is out of range");
    ctx.client.dbIndex = index;
    ctx.reply.ok();
  },
};

/** AUTH [username] password. */
const auth: CommandSpec = {
  name: "auth",
  arity: -2,
  flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
  keys: [0, 0, 0],
  acl: ["fast", "connection"],
  run(ctx, argv) {
    if (argv.length > 3) fail(SYNTAX_ERROR);
    let username = "default";
    let password: string;
    if (argv.length === 2) {
      password = argv[1];
      redact(argv, 1);
      // The old form errs when the default user needs no password, as Redis does.
      if (defaultUserNopass(ctx.server)) {
        fail(
          "ERR AUTH <password> called without any password configured for the default user. " +
            "Are you sure your configuration is correct?",
        );
      }
    } else {
      username = argv[1];
      password = argv[2];
      redact(argv, 1);
      redact(argv, 2);
    }
    if (!authenticate(ctx.client, username, password)) fail(WRONGPASS);
    ctx.reply.ok();
  },
};

/** HELLO [protover [AUTH username password] [SETNAME clientname]]. */
const hello: CommandSpec = {
  name: "hello",
  arity: -1,
  flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
  keys: [0, 0, 0],
  acl: ["fast", "connection"],
  run(ctx, argv) {
    const client = ctx.client;
    let version = 0;
    if (argv.length >= 2) {
      const v = parseLongLong(argv[1]);
      if (v === undefined) fail("ERR Protocol version is not an integer or out of range");
      if (v < 2 || v > 3) fail("NOPROTO unsupported protocol version");
      version = v;
    }
    let username: string | undefined;
    let password: string | undefined;
    let clientName: string | undefined;
    for (let j = 2; j < argv.length; j++) {
      const more = argv.length - 1 - j;
      const opt = argv[j];
      const lower = opt.toLowerCase();
      if (lower === "auth" && more >= 2) {
        username = argv[j + 1];
        password = argv[j + 2];
        redact(argv, j + 1);
        redact(argv, j + 2);
        j += 2;
      } else if (lower === "setname" && more >= 1) {
        clientName = argv[j + 1];
        const err = clientNameError(clientName);
        if (err !== undefined) fail(err);
        j++;
      } else {
        fail(`ERR Syntax error in HELLO option '${opt}'`);
      }
    }
    if (username !== undefined && password !== undefined) {
      if (!authenticate(client, username, password)) fail(WRONGPASS);
    }
    if (!client.authenticated) {
      fail(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the " +
          "HELLO AUTH <user> <pass> option can be used to authenticate the client and " +
          "select the RESP protocol version at the same time",
      );
    }
    if (clientName !== undefined) client.name = clientName;
    if (version) client.reply.protocol = version as 2 | 3;
    const reply = ctx.reply;
    reply.map(7);
    reply.bulk("server");
    reply.bulk("redis");
    reply.bulk("version");
    reply.bulk(REDIS_VERSION);
    reply.bulk("proto");
    reply.int(reply.protocol);
    reply.bulk("id");
    reply.int(client.id);
    reply.bulk("mode");
    reply.bulk("standalone");
    reply.bulk("role");
    reply.bulk(isReplica(ctx.server) ? "replica" : "master");
    reply.bulk("modules");
    reply.array(0);
  },
};

/**
 * What other families clear on RESET (Redis's clearClientConnectionState):
 * pub/sub unsubscribes without notifications, transactions unwatch keys.
 * A family pushes its hook here when its module loads.
 */
export const connectionResetHooks: Array<(client: Client) => void> = [];

/** RESET — back to a fresh connection's state. */
const reset: CommandSpec = {
  name: "reset",
  arity: 1,
  flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
  keys: [0, 0, 0],
  acl: ["fast", "connection"],
  run(ctx) {
    const client = ctx.client;
    if (client.flags.master || (client.flags.replica && !client.flags.monitor)) {
      fail("ERR can only reset normal client connections");
    }
    if (client.flags.monitor) {
      ctx.server.monitors.delete(client);
      client.flags.monitor = false;
    }
    client.dbIndex = 0;
    client.reply.protocol = 2;
    client.user = "default";
    client.authenticated = defaultUserNopass(ctx.server);
    client.flags.multi = false;
    client.flags.dirtyCas = false;
    client.flags.dirtyExec = false;
    client.multiQueue = [];
    for (const hook of connectionResetHooks) hook(client);
    client.name = "";
    client.flags.readonly = false;
    client.flags.noEvict = false;
    setReplyMode(client, "on");
    ctx.reply.simple("RESET");
  },
};

/** MONITOR — stream every command the server runs. */
const monitor: CommandSpec = {
  name: "monitor",
  arity: 1,
  flags: ["admin", "noscript", "loading", "stale"],
  keys: [0, 0, 0],
  acl: ["admin", "slow", "dangerous"],
  run(ctx) {
    const client = ctx.client;
    // Already a replica or a monitor: ignored, without a reply.
    if (client.flags.replica || client.flags.monitor) return;
    client.flags.monitor = true;
    ctx.server.monitors.add(client);
    ctx.reply.ok();
  },
};

// ---------------------------------------------------------------------------
// CLIENT PAUSE
// ---------------------------------------------------------------------------

/** Per-server pause bookkeeping: who waits, the wake-up timer, DEBUG's active-expire switch. */
interface PauseState {
  waiters: Array<() => void>;
  timer: ReturnType<typeof setTimeout> | undefined;
  activeExpireDisabled: boolean;
}

const pauseStates = new WeakMap<Server, PauseState>();

function pauseState(server: Server): PauseState {
  let state = pauseStates.get(server);
  if (state === undefined) {
    state = { waiters: [], timer: undefined, activeExpireDisabled: false };
    pauseStates.set(server, state);
  }
  return state;
}

/**
 * DEBUG SET-ACTIVE-EXPIRE 0 stops only the active cycle (lazy expiry still
 * deletes); a client pause stops both, as Redis expires nothing while paused.
 */
function refreshExpiryPaused(server: Server): void {
  server.keyspace.activeExpireEnabled = !pauseState(server).activeExpireDisabled;
  server.keyspace.expiryPaused = server.pauseUntil !== 0 || server.failoverPause;
}

/**
 * The pause FAILOVER holds (Redis's PAUSE_DURING_FAILOVER, writes only):
 * separate from CLIENT PAUSE, so CLIENT UNPAUSE does not end it. Ending it
 * lets the waiting commands run again (a CLIENT PAUSE still in force catches
 * them again).
 */
export function setFailoverPause(server: Server, on: boolean): void {
  server.failoverPause = on;
  refreshExpiryPaused(server);
  if (!on) wakePaused(server);
}

/** Lets every waiting command run again, in arrival order (each checks the pause anew). */
function wakePaused(server: Server): void {
  const state = pauseState(server);
  const waiters = state.waiters;
  state.waiters = [];
  for (const wake of waiters) wake();
}

/** DEBUG SET-ACTIVE-EXPIRE: records the switch and refreshes `keyspace.expiryPaused`. */
export function setActiveExpireDisabled(server: Server, disabled: boolean): void {
  pauseState(server).activeExpireDisabled = disabled;
  refreshExpiryPaused(server);
}

/**
 * Redis's pauseClients: the pause only grows — a later end time extends it,
 * and ALL wins over WRITE while both are in force.
 */
export function pauseClients(server: Server, endMs: number, writesOnly: boolean): void {
  const paused = server.pauseUntil !== 0;
  server.pauseWritesOnly = paused ? server.pauseWritesOnly && writesOnly : writesOnly;
  if (endMs > server.pauseUntil) server.pauseUntil = endMs;
  refreshExpiryPaused(server);
  const state = pauseState(server);
  if (state.timer !== undefined) clearTimeout(state.timer);
  state.timer = setTimeout(() => {
    state.timer = undefined;
    if (Date.now() >= server.pauseUntil) unpauseClients(server);
    else pauseClients(server, server.pauseUntil, server.pauseWritesOnly);
  }, Math.max(0, server.pauseUntil - Date.now()));
}

/** Redis's unpauseClients: ends the pause and runs the waiting commands in arrival order. */
export function unpauseClients(server: Server): void {
  const state = pauseState(server);
  if (state.timer !== undefined) clearTimeout(state.timer);
  state.timer = undefined;
  server.pauseUntil = 0;
  server.pauseWritesOnly = false;
  refreshExpiryPaused(server);
  wakePaused(server);
}

/** True when a command may write or replicate (Redis's is_may_replicate_command), EXEC by its queue. */
function mayReplicate(client: Client, cmd: CommandSpec): boolean {
  if (cmd.flags.includes("write") || cmd.flags.includes("may_replicate")) return true;
  if (cmd.name !== "exec") return false;
  for (const queued of client.multiQueue) {
    let spec = lookupCommand(queued[0]);
    if (spec?.subcommands !== undefined && queued.length > 1) {
      spec = lookupSubcommand(spec, queued[1]) ?? spec;
    }
    if (spec && (spec.flags.includes("write") || spec.flags.includes("may_replicate"))) return true;
  }
  return false;
}

/**
 * Whether `cmd` must wait for a CLIENT PAUSE to end before it runs (Redis's
 * processCommand: every command under PAUSE ALL, commands that may write
 * under PAUSE WRITE; replicas are never paused). Returns the promise to wait
 * on, or undefined to run now. The dispatcher runs the command again when it
 * resolves, so a new pause catches it again.
 */
export function clientPauseWait(client: Client, cmd: CommandSpec): Promise<void> | undefined {
  const server = client.server;
  if (server.pauseUntil !== 0 && Date.now() >= server.pauseUntil) unpauseClients(server);
  if (server.pauseUntil === 0 && !server.failoverPause) return undefined;
  if (client.flags.replica && !client.flags.monitor) return undefined;
  const writesOnly = server.pauseUntil === 0 || server.pauseWritesOnly;
  if (writesOnly && !mayReplicate(client, cmd)) return undefined;
  return new Promise((resolve) => pauseState(server).waiters.push(resolve));
}

// ---------------------------------------------------------------------------
// CLIENT REPLY
// ---------------------------------------------------------------------------

/** How many times CLIENT REPLY set each client's mode, so a command can tell it changed it. */
const replyModeChanges = new WeakMap<Client, number>();

function setReplyMode(client: Client, mode: Client["replyMode"]): void {
  client.replyMode = mode;
  replyModeChanges.set(client, (replyModeChanges.get(client) ?? 0) + 1);
}

/**
 * Runs one command under CLIENT REPLY OFF or SKIP (Redis's CLIENT_REPLY_OFF,
 * CLIENT_REPLY_SKIP_NEXT/SKIP): what the command replies is dropped, except
 * the OK of a CLIENT REPLY ON that turns replies back on; a SKIP lasts for
 * one command. The dispatcher calls it when `client.replyMode` is not "on".
 */
export function runWithReplyMode(
  client: Client,
  run: () => Promise<void> | undefined,
): Promise<void> | undefined {
  const mode = client.replyMode;
  if (mode === "on") return run();
  const mark = client.reply.pos;
  const changesBefore = replyModeChanges.get(client) ?? 0;
  const finish = () => {
    const changed = (replyModeChanges.get(client) ?? 0) !== changesBefore;
    if (!(changed && client.replyMode === "on")) {
      // A waiting command may have had its earlier output flushed: then drop all that is left.
      client.reply.pos = client.reply.pos >= mark ? mark : 0;
    }
    if (!changed && mode === "skip") client.replyMode = "on";
  };
  const pending = run();
  if (pending === undefined) {
    finish();
    return undefined;
  }
  return pending.then(finish);
}

// ---------------------------------------------------------------------------
// CLIENT
// ---------------------------------------------------------------------------

/** Redis's client types (getClientTypeByName / getClientType). */
type ClientType = "normal" | "replica" | "pubsub" | "master";

function clientTypeByName(name: string): ClientType | undefined {
  switch (name.toLowerCase()) {
    case "normal":
      return "normal";
    case "slave":
    case "replica":
      return "replica";
    case "pubsub":
      return "pubsub";
    case "master":
      return "master";
  }
  return undefined;
}

function clientType(c: Client): ClientType {
  if (c.flags.master) return "master";
  if (c.flags.replica && !c.flags.monitor) return "replica";
  if (c.inPubSub) return "pubsub";
  return "normal";
}

/** A CLIENT subcommand with Redis 7.0's flags for CLIENT subcommands. */
function clientSub(
  sub: string,
  arity: number,
  run: (ctx: CommandContext, argv: string[]) => void,
  admin = false,
): CommandSpec {
  return {
    name: `client|${sub}`,
    arity,
    flags: admin ? ["admin", "noscript", "loading", "stale"] : ["noscript", "loading", "stale"],
    keys: [0, 0, 0],
    acl: admin ? ["admin", "slow", "dangerous", "connection"] : ["slow", "connection"],
    run,
  };
}

const CLIENT_HELP = [
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "UNPAUSE",
  "    Stop the current client pause, resuming traffic.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Suspend all, or just write, clients for <timeout> milliseconds.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
];

/** CLIENT KILL, old form (addr) and new form (filters). */
function clientKill(ctx: CommandContext, argv: string[]): void {
  const self = ctx.client;
  let addr: string | undefined;
  let laddr: string | undefined;
  let user: string | undefined;
  let type: ClientType | undefined;
  let id = 0;
  let skipme = true;
  if (argv.length === 3) {
    addr = argv[2];
    skipme = false; // with the old form a client may kill itself
  } else if (argv.length > 3) {
    for (let i = 2; i < argv.length; i += 2) {
      const more = argv.length > i + 1;
      const opt = argv[i].toLowerCase();
      if (opt === "id" && more) {
        const v = parseLongLong(argv[i + 1]);
        if (v === undefined || v < 1) fail("ERR client-id should be greater than 0");
        id = v;
      } else if (opt === "type" && more) {
        type = clientTypeByName(argv[i + 1]);
        if (type === undefined) fail(`ERR Unknown client type '${argv[i + 1]}'`);
      } else if (opt === "addr" && more) {
        addr = argv[i + 1];
      } else if (opt === "laddr" && more) {
        laddr = argv[i + 1];
      } else if (opt === "user" && more) {
        // Without ACL users only "default" exists.
        if (argv[i + 1] !== "default") fail(`ERR No such user '${argv[i + 1]}'`);
        user = argv[i + 1];
      } else if (opt === "skipme" && more) {
        const v = argv[i + 1].toLowerCase();
        if (v === "yes") skipme = true;
        else if (v === "no") skipme = false;
        else fail(SYNTAX_ERROR);
      } else {
        fail(SYNTAX_ERROR);
      }
    }
  } else {
    fail(SYNTAX_ERROR);
  }
  let killed = 0;
  let closeSelf = false;
  for (const c of [...ctx.server.clients.values()]) {
    if (addr !== undefined && c.addr !== addr) continue;
    if (laddr !== undefined && c.laddr !== laddr) continue;
    if (type !== undefined && clientType(c) !== type) continue;
    if (id !== 0 && c.id !== id) continue;
    if (user !== undefined && c.user !== user) continue;
    if (c === self && skipme) continue;
    if (c === self) closeSelf = true;
    else c.close();
    killed++;
  }
  if (argv.length === 3) {
    if (killed === 0) fail("ERR No such client");
    ctx.reply.ok();
  } else {
    ctx.reply.int(killed);
  }
  // Only after the reply is queued, so it still goes out.
  if (closeSelf) self.flags.closeAfterReply = true;
}

/** CLIENT LIST [TYPE type | ID id …]. */
function clientList(ctx: CommandContext, argv: string[]): void {
  const server = ctx.server;
  let out = "";
  if (argv.length === 4 && argv[2].toLowerCase() === "type") {
    const type = clientTypeByName(argv[3]);
    if (type === undefined) fail(`ERR Unknown client type '${argv[3]}'`);
    for (const c of server.clients.values()) {
      if (clientType(c) === type) out += server.clientInfoString(c) + "\n";
    }
  } else if (argv.length > 3 && argv[2].toLowerCase() === "id") {
    const ids: number[] = [];
    for (let j = 3; j < argv.length; j++) {
      const v = parseLongLong(argv[j]);
      if (v === undefined) fail("ERR Invalid client ID");
      ids.push(v);
    }
    for (const v of ids) {
      const c = server.clients.get(v);
      if (c !== undefined) out += server.clientInfoString(c) + "\n";
    }
  } else if (argv.length !== 2) {
    fail(SYNTAX_ERROR);
  } else {
    for (const c of server.clients.values()) out += server.clientInfoString(c) + "\n";
  }
  ctx.reply.verbatim(out);
}

/** CLIENT PAUSE timeout [WRITE|ALL]. */
function clientPause(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 4) throw subcommandSyntaxError(argv);
  let writesOnly = false;
  if (argv.length === 4) {
    const mode = argv[3].toLowerCase();
    if (mode === "write") writesOnly = true;
    else if (mode !== "all") fail("ERR CLIENT PAUSE mode must be WRITE or ALL");
  }
  const timeout = parseLongLong(argv[2]);
  if (timeout === undefined) fail("ERR timeout is not an integer or out of range");
  if (timeout < 0) fail("ERR timeout is negative");
  const end = timeout > 0 ? ctx.server.keyspace.now() + timeout : 0;
  pauseClients(ctx.server, end, writesOnly);
  ctx.reply.ok();
}

const clientCommand: CommandSpec = {
  name: "client",
  arity: -2,
  flags: [],
  keys: [0, 0, 0],
  acl: ["slow"],
  subcommands: [
    clientSub("id", 2, (ctx) => ctx.reply.int(ctx.client.id)),
    clientSub("info", 2, (ctx) => {
      ctx.reply.verbatim(ctx.server.clientInfoString(ctx.client) + "\n");
    }),
    clientSub("list", -2, clientList, true),
    clientSub("kill", -3, clientKill, true),
    clientSub("setname", 3, (ctx, argv) => {
      const err = clientNameError(argv[2]);
      if (err !== undefined) fail(err);
      ctx.client.name = argv[2];
      ctx.reply.ok();
    }),
    clientSub("getname", 2, (ctx) => {
      if (ctx.client.name === "") ctx.reply.nil();
      else ctx.reply.bulk(ctx.client.name);
    }),
    clientSub("pause", -3, clientPause, true),
    clientSub("unpause", 2, (ctx) => {
      unpauseClients(ctx.server);
      ctx.reply.ok();
    }, true),
    clientSub("reply", 3, (ctx, argv) => {
      const mode = argv[2].toLowerCase();
      const client = ctx.client;
      if (mode === "on") {
        setReplyMode(client, "on");
        ctx.reply.ok();
      } else if (mode === "off") {
        setReplyMode(client, "off");
      } else if (mode === "skip") {
        if (client.replyMode !== "off") setReplyMode(client, "skip");
      } else {
        fail(SYNTAX_ERROR);
      }
    }),
    clientSub("no-evict", 3, (ctx, argv) => {
      const v = argv[2].toLowerCase();
      if (v === "on") ctx.client.flags.noEvict = true;
      else if (v === "off") ctx.client.flags.noEvict = false;
      else fail(SYNTAX_ERROR);
      ctx.reply.ok();
    }, true),
    // Client-side caching is not implemented: tracking is always off.
    // CLIENT UNBLOCK <id> [TIMEOUT|ERROR]: the blocked pops live in blocking.ts.
    clientSub("unblock", -3, (ctx, argv) => {
      if (argv.length > 4) throw subcommandSyntaxError(argv);
      let withError = false;
      if (argv.length === 4) {
        const reason = argv[3].toLowerCase();
        if (reason === "error") withError = true;
        else if (reason !== "timeout") fail("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      }
      const id = parseLongLong(argv[2]);
      if (id === undefined) fail(NOT_AN_INTEGER);
      ctx.reply.int(unblockClientById(ctx.server, id, withError) ? 1 : 0);
    }, true),
    clientSub("getredir", 2, (ctx) => ctx.reply.int(-1)),
    clientSub("trackinginfo", 2, (ctx) => {
      const reply = ctx.reply;
      reply.map(3);
      reply.bulk("flags");
      reply.set(1);
      reply.bulk("off");
      reply.bulk("redirect");
      reply.int(-1);
      reply.bulk("prefixes");
      reply.array(0);
    }),
    {
      name: "client|help",
      arity: 2,
      flags: ["loading", "stale"],
      keys: [0, 0, 0],
      acl: ["slow", "connection"],
      run: (ctx, argv) => replyHelp(ctx, argv, CLIENT_HELP),
    },
  ],
};

/** The connection family. */
export const connectionCommands: readonly CommandSpec[] = [
  ping,
  echo,
  quit,
  select,
  auth,
  hello,
  reset,
  monitor,
  clientCommand,
];
