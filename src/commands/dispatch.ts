/**
 * The dispatcher (Redis's processCommand + call): looks the command up,
 * checks arity, authentication, MULTI queueing, replica and persistence
 * guards, runs the handler, turns thrown ReplyErrors into error replies,
 * counts stats, feeds MONITOR and the slow log, and hands effective writes to
 * the propagator.
 */
import { ReplyError } from "../errors.ts";
import { lookupCommand, lookupSubcommand } from "./table.ts";
import { commandMeta, type CommandSpec } from "./types.ts";
import type { Client } from "../net/client.ts";
import { log } from "../log.ts";
import { clientPauseWait, runWithReplyMode } from "./connection.ts";
import { recordCommandLatency } from "./command_info.ts";
import { blockingSignal, serveReadyKeys } from "./blocking.ts";
import { unwatchAllKeys } from "../store/watch.ts";
import type { Server } from "../server.ts";
import type { TimingSink } from "./batch_timing.ts";

/** Commands a client in MULTI runs at once instead of queueing. */
const MULTI_IMMEDIATE = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);
/** Commands a RESP2 client in subscriber mode may run. */
const PUBSUB_ALLOWED = new Set([
  "ping",
  "subscribe",
  "ssubscribe",
  "unsubscribe",
  "sunsubscribe",
  "psubscribe",
  "punsubscribe",
  "quit",
  "reset",
]);

/** Redis's text for an unknown command, quoting up to 128 characters of arguments. */
export function unknownCommandError(argv: string[]): string {
  let args = "";
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${argv[i].slice(0, 128 - args.length)}' `;
  }
  return `ERR unknown command '${argv[0].slice(0, 128)}', with args beginning with: ${args}`;
}

/**
 * What Redis's lookupCommand finds for argv: a container's subcommand when
 * one is named (a container given alone is itself, run like COMMAND), and
 * undefined for an unknown command or subcommand.
 */
function lookedUpCommand(argv: string[]): CommandSpec | undefined {
  const container = lookupCommand(argv[0]);
  if (container?.subcommands === undefined || argv.length < 2) return container;
  return lookupSubcommand(container, argv[1]);
}

/** Resolves argv to the spec that runs it, or throws Redis's error for an unknown command/subcommand or a wrong arity. */
export function resolveCommand(argv: string[]): CommandSpec {
  const cmd = lookedUpCommand(argv);
  if (cmd === undefined) {
    const container = lookupCommand(argv[0]);
    if (container === undefined) throw new ReplyError(unknownCommandError(argv));
    throw new ReplyError(
      `ERR unknown subcommand '${
        argv[1].slice(0, 128)
      }'. Try ${container.name.toUpperCase()} HELP.`,
    );
  }
  if ((cmd.arity > 0 && cmd.arity !== argv.length) || argv.length < -cmd.arity || !cmd.run) {
    throw new ReplyError(`ERR wrong number of arguments for '${cmd.name}' command`);
  }
  return cmd;
}

/**
 * The CLIENT PAUSE / FAILOVER wait a request would meet, without running it
 * (our master's stream checks before it applies a command); undefined when
 * it may run now or would be rejected anyway.
 */
export function pauseWaitFor(client: Client, argv: string[]): Promise<void> | undefined {
  if (argv.length === 0) return undefined;
  let cmd: CommandSpec;
  try {
    cmd = resolveCommand(argv);
  } catch {
    return undefined;
  }
  return clientPauseWait(client, cmd);
}

/**
 * Executes one request for `client`. Returns a promise only when the command
 * has to wait (the caller then stops processing this client's input until it
 * settles); otherwise everything, including the reply, happens synchronously.
 */
export function execute(client: Client, argv: string[]): Promise<void> | undefined {
  if (client.replyMode === "on") return executeCommand(client, argv);
  return runWithReplyMode(client, () => executeCommand(client, argv));
}

function executeCommand(client: Client, argv: string[]): Promise<void> | undefined {
  const server = client.server;
  let cmd: CommandSpec;
  try {
    cmd = resolveCommand(argv);
  } catch (err) {
    server.stats.rejectedCalls++;
    // processCommand sets c->lastcmd from the lookup before any check: an
    // arity error still names the command, an unknown (sub)command is NULL.
    client.lastCommand = lookedUpCommand(argv)?.name ?? "NULL";
    rejectCommand(client, lookupCommand(argv[0])?.name, (err as ReplyError).message);
    return undefined;
  }
  client.lastCommand = cmd.name;
  const rejection = server.rejectReason(client, cmd, argv);
  if (rejection !== undefined) {
    server.commandStats(cmd).rejectedCalls++;
    rejectCommand(client, cmd.name, rejection);
    return undefined;
  }
  // Transactions (transactions.ts): SAVE, SHUTDOWN … may not be queued.
  if (client.flags.multi && cmd.flags.includes("no_multi")) {
    server.commandStats(cmd).rejectedCalls++;
    rejectCommand(client, cmd.name, "ERR Command not allowed inside a transaction");
    return undefined;
  }
  const paused = clientPauseWait(client, cmd);
  if (paused !== undefined) return paused.then(() => executeCommand(client, argv));
  if (client.flags.multi && !MULTI_IMMEDIATE.has(cmd.name)) {
    client.multiQueue.push(argv);
    client.reply.simple("QUEUED");
    return undefined;
  }
  if (
    client.inPubSub && client.reply.protocol === 2 &&
    !PUBSUB_ALLOWED.has(cmd.name)
  ) {
    rejectCommand(
      client,
      cmd.name,
      `ERR Can't execute '${cmd.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
    );
    return undefined;
  }
  const pending = call(client, cmd, argv);
  // Blocking pops (blocking.ts): serve clients waiting on keys this command wrote.
  if (blockingSignal.pending) serveReadyKeys(server);
  return pending;
}

/**
 * Redis's rejectCommand: flags an open transaction so EXEC aborts, and a
 * rejected EXEC aborts it at once with -EXECABORT and the reason.
 */
function rejectCommand(client: Client, name: string | undefined, message: string): void {
  if (client.flags.multi) client.flags.dirtyExec = true;
  if (name === "exec") {
    discardTransaction(client);
    message = `EXECABORT Transaction discarded because of: ${message.replace(/^ERR /, "")}`;
  }
  client.reply.error(message);
}

/** Leaves MULTI state: drops the queue, the flags and the watched keys (discardTransaction). */
export function discardTransaction(client: Client): void {
  client.multiQueue = [];
  client.flags.multi = false;
  client.flags.dirtyCas = false;
  client.flags.dirtyExec = false;
  unwatchAllKeys(client);
}

/**
 * Runs a resolved command (Redis's call()): the handler, then stats, slow
 * log, MONITOR and propagation. Used for direct calls and for EXEC's queue.
 */
export function call(client: Client, cmd: CommandSpec, argv: string[]): Promise<void> | undefined {
  const server = client.server;
  const keyspace = server.keyspace;
  // One clock reading serves as this command's start and the previous one's end
  // (the client keeps the batch clock): clock reads are a measurable share of a GET.
  // Fast commands (and the SET family) of a batch share readings (batch_timing.ts);
  // any other command first settles them, so that its own time starts now.
  if (server.untimedCalls.count > 0 && !commandMeta(cmd).sharedTiming) settleBatchTimings(server);
  const start = server.batchClock ?? performance.now();
  keyspace.tick(Math.floor(performance.timeOrigin + start));
  client.lastCommand = cmd.name;
  const dirtyBefore = server.dirty;
  const dbBefore = client.dbIndex;
  client.propagateOverride = undefined;
  client.propagateSuppressed = false;
  server.propagator.begin();
  let failed = false;
  let result: void | Promise<void> = undefined;
  try {
    result = cmd.run!(client.context(), argv);
  } catch (err) {
    failed = true;
    replyWithError(client, err);
  }
  if (result instanceof Promise) {
    return settleWhenDone(client, cmd, argv, result, start, dbBefore);
  }
  finish(client, cmd, argv, start, dirtyBefore, dbBefore, failed);
  return undefined;
}

/**
 * A command that waits (blocking pop, WAIT, SAVE …): closes its propagation
 * scope now so other clients' writes are not held back meanwhile. Writes
 * made while it waited belong to whoever made them, so the dirty baseline is
 * taken again when it settles: a waiting handler propagates its own late
 * writes (blocking.ts does). A blocking command's time spent waiting is not
 * its run time (no slow log entry for a long BLPOP). Apart from `call`, so
 * that `call` itself creates no closures (their context would be an
 * allocation on every command).
 */
function settleWhenDone(
  client: Client,
  cmd: CommandSpec,
  argv: string[],
  result: Promise<void>,
  start: number,
  dbBefore: number,
): Promise<void> {
  const server = client.server;
  server.propagator.end();
  const ranMs = performance.now() - start;
  const settle = (failed: boolean) => {
    server.propagator.begin();
    const began = cmd.flags.includes("blocking") ? performance.now() - ranMs : start;
    finish(client, cmd, argv, began, server.dirty, dbBefore, failed);
  };
  return result.then(
    () => settle(false),
    (err) => {
      replyWithError(client, err);
      settle(true);
    },
  );
}

function replyWithError(client: Client, err: unknown): void {
  if (err instanceof ReplyError) {
    client.reply.error(err.message);
    return;
  }
  log.warning(`Internal error in command '${client.lastCommand}': ${(err as Error)?.stack ?? err}`);
  client.reply.error(`ERR internal error: ${(err as Error)?.message ?? err}`);
}

function finish(
  client: Client,
  cmd: CommandSpec,
  argv: string[],
  start: number,
  dirtyBefore: number,
  dbBefore: number,
  failed: boolean,
): void {
  const server = client.server;
  const stats = server.commandStats(cmd);
  stats.calls++;
  if (failed) stats.failedCalls++;
  server.afterCommand(client, cmd, argv);
  if (server.batchClock !== undefined && commandMeta(cmd).sharedTiming) {
    server.untimedCalls.add(client, cmd, argv, start);
  } else {
    const end = performance.now();
    // Fast commands it ran (EXEC's queue) share its stretch.
    settleAt(server, end);
    recordTiming(server, client, cmd, argv, Math.round((end - start) * 1000));
  }
  if (server.dirty > dirtyBefore && !client.propagateSuppressed) {
    const writes = client.propagateOverride;
    if (writes === undefined) server.propagator.add(dbBefore, argv);
    else for (const write of writes) server.propagator.add(dbBefore, write);
  }
  server.propagator.end();
  client.propagateOverride = undefined;
}

/** A command's run time: commandstats usec, its latency histogram, slow log, latency monitor. */
function recordTiming(
  server: Server,
  client: Client,
  cmd: CommandSpec,
  argv: string[],
  micros: number,
): void {
  server.commandStats(cmd).usec += micros;
  recordCommandLatency(server, cmd.name, micros);
  server.recordCommandTime(client, cmd, argv, micros);
}

/**
 * Times the fast commands of the current batch that wait for a clock reading
 * (batch_timing.ts). The client calls it when its batch ends or waits.
 */
export function settleBatchTimings(server: Server): void {
  if (server.untimedCalls.count > 0) settleAt(server, performance.now());
}

/** A clock reading at `now`: the batch clock moves on, and pending fast commands are timed up to it. */
function settleAt(server: Server, now: number): void {
  if (server.batchClock !== undefined) server.batchClock = now;
  server.untimedCalls.settle(now, timeSettled);
}

const timeSettled: TimingSink = (client, cmd, argv, micros) =>
  recordTiming(client.server, client, cmd, argv, micros);
