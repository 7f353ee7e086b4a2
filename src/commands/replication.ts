/** Replication commands: REPLICAOF/SLAVEOF, REPLCONF, PSYNC, SYNC, ROLE, WAIT. */
import type { CommandContext, CommandSpec } from "./types.ts";
import { fail, NOT_AN_INTEGER, SYNTAX_ERROR } from "../errors.ts";
import { log } from "../log.ts";
import { splitArgs } from "../config.ts";
import { debugExtensions } from "./server.ts";
import { subcommandSyntaxError } from "./command_info.ts";
import { parseLongLong } from "../util/numbers.ts";
import type { FailoverRequest } from "../replication/failover.ts";
import { SYNC_REQ_EXCLUDE_DATA, SYNC_REQ_EXCLUDE_FUNCTIONS } from "../replication/constants.ts";

/** REPLICAOF host port | NO ONE (Redis's replicaofCommand). */
function replicaof(ctx: CommandContext, argv: string[]): void {
  const server = ctx.server;
  const repl = server.replication;
  if (repl.failover.state !== "no-failover") fail("ERR REPLICAOF not allowed while failing over.");
  const from = server.clientInfoString(ctx.client);
  if (argv[1].toLowerCase() === "no" && argv[2].toLowerCase() === "one") {
    if (repl.isReplica) {
      repl.becomeMaster();
      log.notice(`MASTER MODE enabled (user request from '${from}')`);
    }
    ctx.reply.ok();
    return;
  }
  if (ctx.client.flags.replica) fail("ERR Command is not valid when client is a replica.");
  const port = /^\d+$/.test(argv[2]) ? Number(argv[2]) : NaN;
  if (!Number.isSafeInteger(port)) fail("ERR Invalid master port");
  if (port < 0 || port > 65535) fail("ERR Invalid master port");
  const link = repl.link;
  if (
    link !== undefined && link.host.toLowerCase() === argv[1].toLowerCase() && link.port === port
  ) {
    log.notice(
      "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.",
    );
    ctx.reply.simple("OK Already connected to specified master");
    return;
  }
  repl.becomeReplicaOf(argv[1], port);
  log.notice(`REPLICAOF ${argv[1]}:${port} enabled (user request from '${from}')`);
  ctx.reply.ok();
}

const replicaofSpec: CommandSpec = {
  name: "replicaof",
  arity: 3,
  flags: ["admin", "noscript", "stale", "no_async_loading"],
  keys: [0, 0, 0],
  acl: ["admin", "slow", "dangerous"],
  run: replicaof,
};

const slaveofSpec: CommandSpec = { ...replicaofSpec, name: "slaveof" };

/** REPLCONF <option> <value> ... : the replica handshake and ACKs. */
const replconf: CommandSpec = {
  name: "replconf",
  arity: -1,
  flags: ["admin", "noscript", "loading", "stale", "allow_busy"],
  keys: [0, 0, 0],
  acl: ["admin", "slow", "dangerous"],
  run(ctx, argv) {
    if (argv.length % 2 === 0) fail(SYNTAX_ERROR);
    const repl = ctx.server.replication;
    const client = ctx.client;
    for (let i = 1; i < argv.length; i += 2) {
      const option = argv[i].toLowerCase();
      const value = argv[i + 1];
      switch (option) {
        case "listening-port": {
          const port = /^\d+$/.test(value) ? Number(value) : NaN;
          if (!Number.isSafeInteger(port)) fail(NOT_AN_INTEGER);
          repl.primary.conn(client).listeningPort = port;
          break;
        }
        case "ip-address":
          repl.primary.conn(client).announcedIp = value;
          break;
        case "capa":
          if (value.toLowerCase() === "eof") repl.primary.conn(client).capaEof = true;
          else if (value.toLowerCase() === "psync2") repl.primary.conn(client).capaPsync2 = true;
          break;
        case "ack": {
          // No reply: the master never answers ACKs.
          const offset = /^-?\d+$/.test(value) ? Number(value) : NaN;
          if (!Number.isNaN(offset)) repl.primary.ack(client, offset);
          return;
        }
        case "getack":
          // Only our master may ask; the ACK is the one reply a master link sends.
          if (client.flags.master && repl.link !== undefined) {
            client.reply.raw(
              `*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$${
                String(repl.offset).length
              }\r\n${repl.offset}\r\n`,
            );
            client.forceReply = true;
          }
          return;
        case "rdb-only": {
          // A client that wants the snapshot and no stream (redis-cli --rdb).
          const flag = parseLongLong(value);
          if (flag === undefined) fail(NOT_AN_INTEGER);
          if (flag !== 0 && flag !== 1) {
            fail("ERR value is out of range, value must between 0 and 1");
          }
          repl.primary.conn(client).rdbOnly = flag === 1;
          break;
        }
        case "rdb-filter-only": {
          // Include filters (redis-cli --functions-rdb): only "functions", or nothing at all.
          const filters = splitArgs(value);
          if (filters === null) fail("ERR Missing rdb-filter-only values");
          const conn = repl.primary.conn(client);
          conn.req |= SYNC_REQ_EXCLUDE_DATA | SYNC_REQ_EXCLUDE_FUNCTIONS;
          for (const filter of filters) {
            if (filter.toLowerCase() !== "functions") {
              fail(`ERR Unsupported rdb-filter-only option: ${filter}`);
            }
            conn.req &= ~SYNC_REQ_EXCLUDE_FUNCTIONS;
          }
          break;
        }
        default:
          fail(`ERR Unrecognized REPLCONF option: ${argv[i]}`);
      }
    }
    ctx.reply.ok();
  },
};

/** PSYNC <replid> <offset> */
const psync: CommandSpec = {
  name: "psync",
  arity: -3,
  flags: ["admin", "noscript", "no_async_loading", "no_multi"],
  keys: [0, 0, 0],
  acl: ["admin", "slow", "dangerous"],
  run(ctx, argv) {
    if (ctx.client.flags.master) fail("ERR Replica can't interact with the keyspace");
    ctx.server.replication.primary.sync(ctx.client, argv[1], argv[2], argv[3]);
  },
};

/** SYNC — the pre-PSYNC full sync. */
const sync: CommandSpec = {
  name: "sync",
  arity: 1,
  flags: ["admin", "noscript", "no_async_loading", "no_multi"],
  keys: [0, 0, 0],
  acl: ["admin", "slow", "dangerous"],
  run(ctx) {
    if (ctx.client.flags.master) fail("ERR Replica can't interact with the keyspace");
    ctx.server.replication.primary.sync(ctx.client, undefined, undefined);
  },
};

/** ROLE */
const role: CommandSpec = {
  name: "role",
  arity: 1,
  flags: ["noscript", "loading", "stale", "fast", "sentinel"],
  keys: [0, 0, 0],
  acl: ["admin", "fast", "dangerous"],
  run(ctx) {
    const repl = ctx.server.replication;
    const reply = ctx.reply;
    const link = repl.link;
    if (link === undefined) {
      const online = [...repl.primary.replicas].filter((c) => c.state === "online");
      reply.array(3);
      reply.bulk("master");
      reply.int(repl.offset);
      reply.array(online.length);
      for (const conn of online) {
        reply.bulkArray([conn.ip, String(conn.listeningPort), String(conn.ackOffset)]);
      }
      return;
    }
    reply.array(5);
    reply.bulk("slave");
    reply.bulk(link.host);
    reply.int(link.port);
    reply.bulk(link.roleState);
    reply.int(link.connected ? repl.offset : -1);
  },
};

/** WAIT numreplicas timeout */
const wait: CommandSpec = {
  name: "wait",
  arity: 3,
  flags: ["noscript"],
  keys: [0, 0, 0],
  acl: ["slow", "connection"],
  async run(ctx, argv) {
    const repl = ctx.server.replication;
    if (repl.isReplica) {
      fail(
        "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
      );
    }
    const needed = /^-?\d+$/.test(argv[1]) ? Number(argv[1]) : NaN;
    if (!Number.isSafeInteger(needed)) fail(NOT_AN_INTEGER);
    const timeout = /^-?\d+$/.test(argv[2]) ? Number(argv[2]) : NaN;
    if (!Number.isSafeInteger(timeout)) fail("ERR timeout is not an integer or out of range");
    if (timeout < 0) fail("ERR timeout is negative");
    if (ctx.client.flags.multi) {
      ctx.reply.int(repl.primary.ackedCount(repl.offset));
      return;
    }
    ctx.client.flags.blocked = true;
    try {
      ctx.reply.int(await repl.primary.wait(repl.offset, needed, timeout));
    } finally {
      ctx.client.flags.blocked = false;
    }
  },
};

/**
 * FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | FAILOVER ABORT (Redis's
 * failoverCommand): the arguments are checked here, the hand-over runs in
 * replication/failover.ts.
 */
const failoverSpec: CommandSpec = {
  name: "failover",
  arity: -1,
  flags: ["admin", "noscript", "stale"],
  keys: [0, 0, 0],
  acl: ["admin", "slow", "dangerous"],
  run(ctx, argv) {
    const failover = ctx.server.replication.failover;
    if (argv.length === 2 && argv[1].toLowerCase() === "abort") {
      if (failover.state === "no-failover") fail("ERR No failover in progress.");
      failover.abort("Failover manually aborted");
      return ctx.reply.ok();
    }
    const req: FailoverRequest = { timeoutMs: 0, force: false };
    for (let j = 1; j < argv.length; j++) {
      const word = argv[j].toLowerCase();
      if (word === "timeout" && j + 1 < argv.length && req.timeoutMs <= 0) {
        const ms = parseLongLong(argv[j + 1]);
        if (ms === undefined) fail(NOT_AN_INTEGER);
        if (ms <= 0) fail("ERR FAILOVER timeout must be greater than 0");
        req.timeoutMs = ms;
        j++;
      } else if (word === "to" && j + 2 < argv.length && req.host === undefined) {
        const port = parseLongLong(argv[j + 2]);
        if (port === undefined) fail(NOT_AN_INTEGER);
        req.host = argv[j + 1];
        req.port = port;
        j += 2;
      } else if (word === "force" && !req.force) {
        req.force = true;
      } else {
        fail(SYNTAX_ERROR);
      }
    }
    const error = failover.start(req);
    if (error !== undefined) fail(error);
    ctx.reply.ok();
  },
};

// DEBUG CHANGE-REPL-ID: a new history, for testing the replication subsystem.
debugExtensions.set("change-repl-id", (ctx, argv) => {
  if (argv.length !== 2) throw subcommandSyntaxError(argv);
  log.warning("Changing replication IDs after receiving DEBUG change-repl-id");
  ctx.server.replication.newHistory();
  ctx.reply.ok();
});

/** The replication family. */
export const replicationCommands: readonly CommandSpec[] = [
  replicaofSpec,
  slaveofSpec,
  replconf,
  psync,
  sync,
  role,
  wait,
  failoverSpec,
];
