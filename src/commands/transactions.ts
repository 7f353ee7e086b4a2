/**
 * Transactions (Redis 7.0's multi.c): MULTI, EXEC, DISCARD, WATCH, UNWATCH.
 *
 * The dispatcher queues every command a client in MULTI sends (except EXEC,
 * DISCARD, MULTI, WATCH, QUIT and RESET) and flags the transaction
 * (`dirtyExec`) when one is rejected while queueing; a rejected EXEC aborts
 * with -EXECABORT (see dispatch.ts). WATCH bookkeeping lives in
 * src/store/watch.ts and learns about writes, expiry, FLUSHDB/FLUSHALL and
 * SWAPDB through the keyspace hooks; EXEC also aborts when a watched key
 * has expired since it was watched.
 *
 * EXEC runs the queue through the dispatcher's `call`, so every queued
 * command gets its stats, MONITOR line and propagation; runtime errors are
 * replied in place and do not stop the rest. The writes of the whole EXEC
 * are held by the propagator and emitted together: several are wrapped in
 * MULTI … EXEC, a single one goes alone, and EXEC itself is never
 * propagated (what Redis 7.0 writes to its AOF and replicas). Blocking
 * commands inside do not block (`client.flags.multi` stays set while the
 * queue runs).
 *
 * @module
 */
import type { CommandSpec } from "./types.ts";
import type { Client } from "../net/client.ts";
import { fail } from "../errors.ts";
import { call, discardTransaction, resolveCommand } from "./dispatch.ts";
import { connectionResetHooks } from "./connection.ts";
import { unwatchAllKeys, watchedKeysChanged, watchKey } from "../store/watch.ts";

/** Clients whose close hook (drop their watched keys) is installed. */
const cleanupInstalled = new WeakSet<Client>();

connectionResetHooks.push((client) => unwatchAllKeys(client));

const multi: CommandSpec = {
  name: "multi",
  arity: 1,
  flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
  keys: [0, 0, 0],
  acl: ["fast", "transaction"],
  run(ctx) {
    if (ctx.client.flags.multi) fail("ERR MULTI calls can not be nested");
    ctx.client.flags.multi = true;
    ctx.reply.ok();
  },
};

const discard: CommandSpec = {
  name: "discard",
  arity: 1,
  flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
  keys: [0, 0, 0],
  acl: ["fast", "transaction"],
  run(ctx) {
    if (!ctx.client.flags.multi) fail("ERR DISCARD without MULTI");
    discardTransaction(ctx.client);
    ctx.reply.ok();
  },
};

const watch: CommandSpec = {
  name: "watch",
  arity: -2,
  flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
  keys: [1, -1, 1],
  acl: ["fast", "transaction"],
  run(ctx, argv) {
    const client = ctx.client;
    if (client.flags.multi) fail("ERR WATCH inside MULTI is not allowed");
    // No point in watching when the transaction is already doomed.
    if (!client.flags.dirtyCas) {
      if (!cleanupInstalled.has(client)) {
        cleanupInstalled.add(client);
        client.onClose.push(() => unwatchAllKeys(client));
      }
      for (let i = 1; i < argv.length; i++) watchKey(client, ctx.db, argv[i]);
    }
    ctx.reply.ok();
  },
};

const unwatch: CommandSpec = {
  name: "unwatch",
  arity: 1,
  flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
  keys: [0, 0, 0],
  acl: ["fast", "transaction"],
  run(ctx) {
    unwatchAllKeys(ctx.client);
    ctx.client.flags.dirtyCas = false;
    ctx.reply.ok();
  },
};

const exec: CommandSpec = {
  name: "exec",
  arity: 1,
  flags: ["noscript", "loading", "stale", "skip_slowlog"],
  keys: [0, 0, 0],
  acl: ["slow", "transaction"],
  run(ctx) {
    const client = ctx.client;
    const server = ctx.server;
    if (!client.flags.multi) fail("ERR EXEC without MULTI");
    if (watchedKeysChanged(client)) client.flags.dirtyCas = true;
    if (client.flags.dirtyExec || client.flags.dirtyCas) {
      const queueingFailed = client.flags.dirtyExec;
      discardTransaction(client);
      if (queueingFailed) fail("EXECABORT Transaction discarded because of previous errors.");
      ctx.reply.nilArray();
      return;
    }
    unwatchAllKeys(client);
    const queue = client.multiQueue;
    client.multiQueue = [];
    ctx.reply.array(queue.length);
    // Hold every write of the transaction until the end: one propagation unit.
    server.propagator.begin();
    const done = () => {
      server.propagator.end();
      discardTransaction(client);
      // execCommand swaps c->cmd for each queued command but leaves c->lastcmd,
      // so CLIENT LIST (and the closed-connection log line) show exec afterwards.
      client.lastCommand = "exec";
      // The queued commands propagated themselves; EXEC must not add itself.
      ctx.preventPropagation();
    };
    const runFrom = (start: number): Promise<void> | undefined => {
      for (let i = start; i < queue.length; i++) {
        const argv = queue[i];
        let pending: Promise<void> | undefined;
        try {
          pending = call(client, resolveCommand(argv), argv);
        } catch (err) {
          // Only a command removed from the table since it was queued gets here.
          client.reply.error((err as Error).message);
          continue;
        }
        if (pending !== undefined) {
          // A queued command that waits (SAVE, WAIT …): keep replies in order.
          return pending.then(() => runFrom(i + 1), (err) => {
            done();
            throw err;
          });
        }
      }
      done();
      return undefined;
    };
    return runFrom(0);
  },
};

/** The transaction family. */
export const transactionCommands: readonly CommandSpec[] = [multi, exec, discard, watch, unwatch];
