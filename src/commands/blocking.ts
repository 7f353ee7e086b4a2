/**
 * Blocking pops (Redis 7.0's blocked.c with the blocking halves of t_list.c
 * and t_zset.c): BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX
 * BZMPOP, and CLIENT UNBLOCK's engine.
 *
 * A command that finds data pops at once, exactly like its non-blocking
 * twin, and propagates that twin (BLPOP → LPOP key, BLMOVE → LMOVE …,
 * BZMPOP → ZPOPMIN key count). Otherwise the client blocks: its handler
 * returns a promise (the dispatcher stops reading its commands meanwhile,
 * `client.flags.blocked` is set, INFO counts it in blocked_clients) and it
 * is queued on each of its keys, first come first served.
 *
 * Waking up:
 * 1. Every write to a key that has waiters reaches the `keyModified` keyspace
 *    hook (FLUSHDB/SWAPDB reach `beforeFlush`), which queues the key as
 *    ready: pushes from any command, from EXEC, and from our master's stream
 *    all count, without the list/zset families calling anything.
 * 2. After each top-level command the dispatcher calls `serveReadyKeys`
 *    (Redis's handleClientsBlockedOnKeys): for each ready key, its waiters
 *    in arrival order are served while data is left. The served pop writes
 *    the waiter's reply, emits its keyspace events and is propagated on its
 *    own, right after the command that woke it, in the form Redis 7.0
 *    writes (LPOP key, LMOVE src dst left right, ZPOPMIN key [count] …).
 *    A BLMOVE may push onto a key others wait on: those keys are served in
 *    the same pass.
 * 3. A timeout replies a null array; CLIENT UNBLOCK replies a null array or
 *    -UNBLOCKED; a disconnect just forgets the waiter.
 *
 * Inside MULTI/EXEC (and for our master's link) nothing blocks: an empty
 * source answers as a timeout would (BLMOVE/BRPOPLPUSH with a null bulk).
 *
 * @module
 */
import type { CommandContext, CommandSpec } from "./types.ts";
import type { Client } from "../net/client.ts";
import type { ReplyWriter } from "../net/resp.ts";
import type { Server } from "../server.ts";
import type { Db, KeyspaceHooks } from "../store/keyspace.ts";
import { fail, SYNTAX_ERROR, WRONGTYPE } from "../errors.ts";
import { List } from "../store/list.ts";
import { formatScore, ZSet } from "../store/zset.ts";
import { parseLongDouble, parseLongLong } from "../util/numbers.ts";
import { NOTIFY, notifyKeyspaceEvent } from "../store/notify.ts";

/** Which end of a list: Redis's LIST_HEAD ("left") or LIST_TAIL ("right"). */
type End = "head" | "tail";

/** What a list waiter does once data arrives. */
interface ListOp {
  kind: "list";
  from: End;
  /** BLMPOP's COUNT; -1 for BLPOP/BRPOP/BLMOVE. */
  count: number;
  /** BLMOVE/BRPOPLPUSH: where the element goes. */
  target?: string;
  to?: End;
  /** Propagate RPOPLPUSH rather than LMOVE. */
  rpoplpush?: boolean;
}

/** What a sorted-set waiter does once data arrives. */
interface ZSetOp {
  kind: "zset";
  max: boolean;
  /** BZMPOP's COUNT; -1 for BZPOPMIN/BZPOPMAX. */
  count: number;
}

type BlockOp = ListOp | ZSetOp;

/** One blocked client (Redis's c->bpop). */
interface Waiter {
  client: Client;
  dbid: number;
  /** The keys it waits on, without duplicates, in argument order. */
  keys: string[];
  op: BlockOp;
  /** Absolute unix ms; 0 waits forever. */
  deadline: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Settles the handler's promise. */
  resolve: () => void;
}

/** The longest delay setTimeout takes (longer ones fire at once); longer waits re-arm. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

const UNBLOCKED_ERROR = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

/**
 * Set when some key with waiters was written; the dispatcher checks it after
 * every command and then calls `serveReadyKeys`. A plain object so the check
 * costs one property read.
 */
export const blockingSignal = { pending: false };

/** Per-server state: waiters by db and key, by client, and the ready queue. */
class BlockingRegistry implements KeyspaceHooks {
  readonly byKey = new Map<number, Map<string, Waiter[]>>();
  readonly byClient = new Map<Client, Waiter>();
  ready: Array<[number, string]> = [];
  readonly readySet = new Map<number, Set<string>>();

  beforeWrite(): void {}
  keyExpired(): void {}

  keyModified(db: Db, key: string): void {
    if (this.byClient.size === 0) return;
    if (this.byKey.get(db.id)?.has(key)) this.signal(db.id, key);
  }

  beforeFlush(db: Db): void {
    // FLUSHDB empties, SWAPDB may bring data in: look at every waited key after the command.
    const keys = this.byKey.get(db.id);
    if (keys !== undefined) { for (const key of keys.keys()) this.signal(db.id, key); }
  }

  /** Redis's signalKeyAsReady: queue once until served. */
  signal(dbid: number, key: string): void {
    let set = this.readySet.get(dbid);
    if (set === undefined) {
      set = new Set();
      this.readySet.set(dbid, set);
    }
    if (set.has(key)) return;
    set.add(key);
    this.ready.push([dbid, key]);
    blockingSignal.pending = true;
  }
}

const registries = new WeakMap<Server, BlockingRegistry>();
const cleanupInstalled = new WeakSet<Client>();

function registryOf(server: Server): BlockingRegistry {
  let registry = registries.get(server);
  if (registry === undefined) {
    registry = new BlockingRegistry();
    registries.set(server, registry);
    server.keyspace.hooks.add(registry);
  }
  return registry;
}

/**
 * Marks `key` of `db` as ready to serve its waiters after the current
 * command. Writes reach this through the keyspace hooks already; it is
 * exported for code that changes data behind the hooks' back.
 */
export function signalKeyAsReady(server: Server, db: Db, key: string): void {
  const registry = registries.get(server);
  if (registry?.byKey.get(db.id)?.has(key)) registry.signal(db.id, key);
}

/** How many clients wait in blocking pops. */
export function blockedClientCount(server: Server): number {
  return registries.get(server)?.byClient.size ?? 0;
}

// ---------------------------------------------------------------------------
// Argument parsing
// ---------------------------------------------------------------------------

const TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range";
const TIMEOUT_NEGATIVE = "ERR timeout is negative";
const INT64_MAX = (1n << 63n) - 1n;

/** Rounds m × 2^e to a 64-bit mantissa, ties to even (an x87 long double result). */
function roundToExtended(m: bigint, e: number): [bigint, number] {
  const bits = m.toString(2).length;
  if (bits <= 64) return [m, e];
  const shift = BigInt(bits - 64);
  let q = m >> shift;
  const rest = m - (q << shift);
  const half = 1n << (shift - 1n);
  if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
  return [q, e + Number(shift)];
}

/**
 * Redis 7.0's getTimeoutFromObjectOrReply(UNIT_SECONDS): the timeout in ms
 * (0: forever). The text is read as a long double (hex and "inf" included),
 * multiplied by 1000 in long double precision and rounded up; a result
 * outside int64 (what the C cast turns into LLONG_MIN) or below zero is
 * "timeout is negative".
 */
export function parseTimeoutMs(arg: string): number {
  const value = parseLongDouble(arg);
  if (value === undefined) fail(TIMEOUT_NOT_FLOAT);
  if (value.kind !== "finite") fail(TIMEOUT_NEGATIVE);
  if (value.mantissa === 0n) return 0;
  const [m, e] = roundToExtended(value.mantissa * 1000n, value.exponent);
  let magnitude: bigint;
  let exact: boolean;
  if (e >= 0) {
    if (e > 70) fail(TIMEOUT_NEGATIVE);
    magnitude = m << BigInt(e);
    exact = true;
  } else {
    const den = 1n << BigInt(-e);
    magnitude = m / den;
    exact = magnitude * den === m;
  }
  // ceill: up for positive values, toward zero for negative ones.
  if (value.negative) {
    if (magnitude === 0n) return 0; // ceil(-0.x) is -0: no timeout
    fail(TIMEOUT_NEGATIVE);
  }
  if (!exact) magnitude++;
  if (magnitude > INT64_MAX) fail(TIMEOUT_NEGATIVE);
  return Number(magnitude);
}

/** getRangeLongFromObjectOrReply(1, LONG_MAX) with a custom message. */
function parsePositive(arg: string, message: string): number {
  const n = parseLongLong(arg);
  if (n === undefined || n < 1) fail(message);
  return n;
}

/** getListPositionFromObjectOrReply: LEFT or RIGHT in any case. */
function parseEnd(arg: string): End {
  const s = arg.toLowerCase();
  if (s === "left") return "head";
  if (s === "right") return "tail";
  fail(SYNTAX_ERROR);
}

function sideName(end: End): string {
  return end === "head" ? "left" : "right";
}

/**
 * The tail of LMPOP/ZMPOP-style arguments (lmpopGenericCommand): numkeys at
 * `numkeysIndex`, the keys, the direction word, then [COUNT n].
 */
function parseMultiPop(
  argv: string[],
  numkeysIndex: number,
): { keys: string[]; where: string; count: number } {
  const numkeys = parsePositive(argv[numkeysIndex], "ERR numkeys should be greater than 0");
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= argv.length) fail(SYNTAX_ERROR);
  const where = argv[whereIndex].toLowerCase();
  let count = -1;
  for (let j = whereIndex + 1; j < argv.length; j++) {
    if (count === -1 && argv[j].toLowerCase() === "count" && j < argv.length - 1) {
      count = parsePositive(argv[++j], "ERR count should be greater than 0");
    } else {
      fail(SYNTAX_ERROR);
    }
  }
  return {
    keys: argv.slice(numkeysIndex + 1, whereIndex),
    where,
    count: count === -1 ? 1 : count,
  };
}

// ---------------------------------------------------------------------------
// The pops themselves, shared by the immediate and the served paths
// ---------------------------------------------------------------------------

function popEnd(list: List, end: End): string {
  return (end === "head" ? list.popHead() : list.popTail())!;
}

/** listElementsRemoved: the pop event, and "del" when the list went away. */
function listElementsRemoved(server: Server, db: Db, key: string, list: List, end: End): void {
  notifyKeyspaceEvent(server, NOTIFY.LIST, end === "head" ? "lpop" : "rpop", key, db.id);
  if (db.deleteIfEmpty(key, list)) notifyKeyspaceEvent(server, NOTIFY.GENERIC, "del", key, db.id);
  db.modified(key);
}

/**
 * Pops for BLPOP/BRPOP (count -1) or BLMPOP from `list` at `key`, writes the
 * reply and returns the command to propagate.
 */
function popList(
  server: Server,
  reply: ReplyWriter,
  db: Db,
  key: string,
  list: List,
  op: ListOp,
): string[] {
  const name = op.from === "head" ? "LPOP" : "RPOP";
  if (op.count === -1) {
    const value = popEnd(list, op.from);
    reply.array(2);
    reply.bulk(key);
    reply.bulk(value);
    listElementsRemoved(server, db, key, list, op.from);
    server.dirty++;
    return [name, key];
  }
  const n = Math.min(op.count, list.length);
  reply.array(2);
  reply.bulk(key);
  reply.array(n);
  for (let i = 0; i < n; i++) reply.bulk(popEnd(list, op.from));
  listElementsRemoved(server, db, key, list, op.from);
  server.dirty += n;
  return [name, key, String(n)];
}

/**
 * LMOVE's body (lmoveGenericCommand + lmoveHandlePush): moves one element
 * from `src` to the list at `op.target` (`dst`, already type-checked, may
 * be undefined) and replies it.
 */
function moveList(
  server: Server,
  reply: ReplyWriter,
  db: Db,
  srcKey: string,
  src: List,
  dst: List | undefined,
  op: ListOp,
): void {
  const dstKey = op.target!;
  const value = popEnd(src, op.from);
  if (dst === undefined) {
    dst = new List();
    db.add(dstKey, dst);
  }
  op.to === "head" ? dst.pushHead(value) : dst.pushTail(value);
  db.modified(dstKey);
  notifyKeyspaceEvent(server, NOTIFY.LIST, op.to === "head" ? "lpush" : "rpush", dstKey, db.id);
  reply.bulk(value);
  listElementsRemoved(server, db, srcKey, src, op.from);
  server.dirty++;
}

/** Pops for BZPOPMIN/BZPOPMAX (count -1) or BZMPOP, replies, and returns what to propagate. */
function popZSet(
  server: Server,
  reply: ReplyWriter,
  db: Db,
  key: string,
  zset: ZSet,
  op: ZSetOp,
): string[] {
  const name = op.max ? "ZPOPMAX" : "ZPOPMIN";
  const single = op.count === -1;
  const popped = op.max ? zset.popMax(single ? 1 : op.count) : zset.popMin(single ? 1 : op.count);
  if (single) {
    const [member, score] = popped[0];
    reply.array(3);
    reply.bulk(key);
    reply.bulk(member);
    reply.double(formatScore(score));
  } else {
    reply.array(2);
    reply.bulk(key);
    reply.array(popped.length);
    for (const [member, score] of popped) {
      reply.array(2);
      reply.bulk(member);
      reply.double(formatScore(score));
    }
  }
  notifyKeyspaceEvent(server, NOTIFY.ZSET, op.max ? "zpopmax" : "zpopmin", key, db.id);
  if (db.deleteIfEmpty(key, zset)) notifyKeyspaceEvent(server, NOTIFY.GENERIC, "del", key, db.id);
  db.modified(key);
  server.dirty += popped.length;
  return single ? [name, key] : [name, key, String(popped.length)];
}

// ---------------------------------------------------------------------------
// Blocking and unblocking
// ---------------------------------------------------------------------------

/** Whether `client` may not block (CLIENT_DENY_BLOCKING): inside MULTI/EXEC, or our master. */
function denyBlocking(client: Client): boolean {
  return client.flags.multi || client.flags.master;
}

function ensureCleanup(client: Client): void {
  if (cleanupInstalled.has(client)) return;
  cleanupInstalled.add(client);
  client.onClose.push(() => {
    const registry = registries.get(client.server);
    const waiter = registry?.byClient.get(client);
    if (waiter !== undefined) unblock(registry!, waiter);
  });
}

/** Redis's blockForKeys: queues the client on each key and returns the handler's promise. */
function block(ctx: CommandContext, keys: string[], op: BlockOp, timeoutMs: number): Promise<void> {
  const client = ctx.client;
  const registry = registryOf(ctx.server);
  ensureCleanup(client);
  // What the waiter pops later is propagated by the serving code, not as this command.
  ctx.preventPropagation();
  return new Promise<void>((resolve) => {
    const waiter: Waiter = {
      client,
      dbid: client.dbIndex,
      keys: [...new Set(keys)],
      op,
      deadline: timeoutMs > 0 ? Date.now() + timeoutMs : 0,
      timer: undefined,
      resolve,
    };
    let dbKeys = registry.byKey.get(waiter.dbid);
    if (dbKeys === undefined) {
      dbKeys = new Map();
      registry.byKey.set(waiter.dbid, dbKeys);
    }
    for (const key of waiter.keys) {
      const queue = dbKeys.get(key);
      if (queue === undefined) dbKeys.set(key, [waiter]);
      else queue.push(waiter);
    }
    registry.byClient.set(client, waiter);
    client.flags.blocked = true;
    if (waiter.deadline > 0) armTimer(registry, waiter);
  });
}

function armTimer(registry: BlockingRegistry, waiter: Waiter): void {
  const left = waiter.deadline - Date.now();
  waiter.timer = setTimeout(() => {
    waiter.timer = undefined;
    if (registry.byClient.get(waiter.client) !== waiter) return;
    if (Date.now() < waiter.deadline) return armTimer(registry, waiter);
    // replyToBlockedClientTimedOut
    waiter.client.reply.nilArray();
    unblock(registry, waiter);
  }, Math.max(0, Math.min(left, MAX_TIMER_DELAY)));
}

/** Forgets a waiter everywhere and settles its command (unblockClient). */
function unblock(registry: BlockingRegistry, waiter: Waiter): void {
  if (registry.byClient.get(waiter.client) !== waiter) return;
  registry.byClient.delete(waiter.client);
  const dbKeys = registry.byKey.get(waiter.dbid);
  if (dbKeys !== undefined) {
    for (const key of waiter.keys) {
      const queue = dbKeys.get(key);
      if (queue === undefined) continue;
      const i = queue.indexOf(waiter);
      if (i !== -1) queue.splice(i, 1);
      if (queue.length === 0) dbKeys.delete(key);
    }
    if (dbKeys.size === 0) registry.byKey.delete(waiter.dbid);
  }
  if (waiter.timer !== undefined) clearTimeout(waiter.timer);
  waiter.timer = undefined;
  waiter.client.flags.blocked = false;
  waiter.resolve();
}

/**
 * CLIENT UNBLOCK <id> [TIMEOUT|ERROR] for clients blocked in a pop: replies
 * to it as a timeout would, or with -UNBLOCKED. Returns false when that
 * client is not blocked here (CLIENT UNBLOCK then answers 0).
 */
export function unblockClientById(server: Server, id: number, withError: boolean): boolean {
  const registry = registries.get(server);
  if (registry === undefined) return false;
  for (const [client, waiter] of registry.byClient) {
    if (client.id !== id) continue;
    if (withError) client.reply.error(UNBLOCKED_ERROR);
    else client.reply.nilArray();
    unblock(registry, waiter);
    return true;
  }
  return false;
}

/**
 * Redis's handleClientsBlockedOnKeys: serves the waiters of every key
 * written since the last call, in the order the keys became ready and, per
 * key, in the order the clients blocked. The dispatcher calls it after each
 * top-level command when `blockingSignal.pending` is set.
 */
export function serveReadyKeys(server: Server): void {
  blockingSignal.pending = false;
  const registry = registries.get(server);
  if (registry === undefined) return;
  while (registry.ready.length > 0) {
    const batch = registry.ready;
    registry.ready = [];
    registry.readySet.clear();
    for (const [dbid, key] of batch) serveKey(server, registry, dbid, key);
  }
  blockingSignal.pending = false;
}

function serveKey(server: Server, registry: BlockingRegistry, dbid: number, key: string): void {
  const queue = registry.byKey.get(dbid)?.get(key);
  if (queue === undefined) return;
  const db = server.keyspace.dbs[dbid];
  server.keyspace.tick();
  for (const waiter of [...queue]) {
    if (registry.byClient.get(waiter.client) !== waiter) continue;
    const value = db.peek(key);
    if (value === undefined) return;
    if (waiter.op.kind === "list") {
      if (!(value instanceof List) || value.length === 0) continue;
      serveListWaiter(server, registry, waiter, waiter.op, db, key);
    } else {
      if (!(value instanceof ZSet) || value.size === 0) continue;
      const reply = waiter.client.reply;
      db.lookupWrite(key); // copy-on-write for a running snapshot
      propagate(server, dbid, popZSet(server, reply, db, key, value, waiter.op));
      unblock(registry, waiter);
    }
  }
}

/** serveClientBlockedOnList for one waiter. */
function serveListWaiter(
  server: Server,
  registry: BlockingRegistry,
  waiter: Waiter,
  op: ListOp,
  db: Db,
  key: string,
): void {
  const reply = waiter.client.reply;
  const list = db.lookupWrite(key) as List;
  if (op.target === undefined) {
    propagate(server, db.id, popList(server, reply, db, key, list, op));
    unblock(registry, waiter);
    return;
  }
  const dst = db.peek(op.target);
  if (dst !== undefined && !(dst instanceof List)) {
    // The element stays where it is; this waiter gets WRONGTYPE and leaves.
    reply.error(WRONGTYPE);
    unblock(registry, waiter);
    return;
  }
  const dstList = dst === undefined ? undefined : db.lookupWrite(op.target) as List;
  moveList(server, reply, db, key, list, dstList, op);
  propagate(
    server,
    db.id,
    op.rpoplpush
      ? ["RPOPLPUSH", key, op.target]
      : ["LMOVE", key, op.target, sideName(op.from), sideName(op.to!)],
  );
  unblock(registry, waiter);
}

/** Propagates one served pop as its own unit, after the command that woke it. */
function propagate(server: Server, dbid: number, argv: string[]): void {
  server.propagator.begin();
  server.propagator.add(dbid, argv);
  server.propagator.end();
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/** blockingPopGenericCommand: BLPOP, BRPOP, BLMPOP. */
function blockingListPop(ctx: CommandContext, keys: string[], op: ListOp, timeoutMs: number) {
  for (const key of keys) {
    const list = ctx.db.getList(key, true);
    if (list === undefined || list.length === 0) continue;
    ctx.propagate(popList(ctx.server, ctx.reply, ctx.db, key, list, op));
    return;
  }
  if (denyBlocking(ctx.client)) return ctx.reply.nilArray();
  return block(ctx, keys, op, timeoutMs);
}

/** blockingGenericZpopCommand: BZPOPMIN, BZPOPMAX, BZMPOP. */
function blockingZSetPop(ctx: CommandContext, keys: string[], op: ZSetOp, timeoutMs: number) {
  for (const key of keys) {
    const zset = ctx.db.getZSet(key, true);
    if (zset === undefined || zset.size === 0) continue;
    ctx.propagate(popZSet(ctx.server, ctx.reply, ctx.db, key, zset, op));
    return;
  }
  if (denyBlocking(ctx.client)) return ctx.reply.nilArray();
  return block(ctx, keys, op, timeoutMs);
}

/** blmoveGenericCommand: BLMOVE and BRPOPLPUSH. */
function blockingMove(ctx: CommandContext, argv: string[], op: ListOp, timeoutMs: number) {
  const srcKey = argv[1];
  const src = ctx.db.getList(srcKey, true);
  if (src === undefined || src.length === 0) {
    // A MULTI gets a null bulk here, unlike the null array a timeout gives.
    if (denyBlocking(ctx.client)) return ctx.reply.nil();
    return block(ctx, [srcKey], op, timeoutMs);
  }
  const dst = ctx.db.getList(op.target!, true); // WRONGTYPE before anything moves
  moveList(ctx.server, ctx.reply, ctx.db, srcKey, src, dst, op);
  ctx.propagate(
    op.rpoplpush ? ["RPOPLPUSH", argv[1], argv[2]] : ["LMOVE", argv[1], argv[2], argv[3], argv[4]],
  );
}

function listPopSpec(name: string, from: End): CommandSpec {
  return {
    name,
    arity: -3,
    flags: ["write", "noscript", "blocking"],
    keys: [1, -2, 1],
    acl: ["write", "list", "slow", "blocking"],
    run(ctx, argv) {
      const timeoutMs = parseTimeoutMs(argv[argv.length - 1]);
      return blockingListPop(ctx, argv.slice(1, -1), { kind: "list", from, count: -1 }, timeoutMs);
    },
  };
}

function zsetPopSpec(name: string, max: boolean): CommandSpec {
  return {
    name,
    arity: -3,
    flags: ["write", "noscript", "blocking", "fast"],
    keys: [1, -2, 1],
    acl: ["write", "sortedset", "fast", "blocking"],
    run(ctx, argv) {
      const timeoutMs = parseTimeoutMs(argv[argv.length - 1]);
      return blockingZSetPop(ctx, argv.slice(1, -1), { kind: "zset", max, count: -1 }, timeoutMs);
    },
  };
}

const blmove: CommandSpec = {
  name: "blmove",
  arity: 6,
  flags: ["write", "denyoom", "noscript", "blocking"],
  keys: [1, 2, 1],
  acl: ["write", "list", "slow", "blocking"],
  run(ctx, argv) {
    const from = parseEnd(argv[3]);
    const to = parseEnd(argv[4]);
    const timeoutMs = parseTimeoutMs(argv[5]);
    return blockingMove(
      ctx,
      argv,
      { kind: "list", from, to, target: argv[2], count: -1 },
      timeoutMs,
    );
  },
};

const brpoplpush: CommandSpec = {
  name: "brpoplpush",
  arity: 4,
  flags: ["write", "denyoom", "noscript", "blocking"],
  keys: [1, 2, 1],
  acl: ["write", "list", "slow", "blocking"],
  run(ctx, argv) {
    const timeoutMs = parseTimeoutMs(argv[3]);
    const op: ListOp = {
      kind: "list",
      from: "tail",
      to: "head",
      target: argv[2],
      count: -1,
      rpoplpush: true,
    };
    return blockingMove(ctx, argv, op, timeoutMs);
  },
};

const blmpop: CommandSpec = {
  name: "blmpop",
  arity: -5,
  flags: ["write", "blocking", "movablekeys"],
  keys: [0, 0, 0],
  acl: ["write", "list", "slow", "blocking"],
  run(ctx, argv) {
    const { keys, where, count } = parseMultiPop(argv, 2);
    const from = parseEnd(where);
    const timeoutMs = parseTimeoutMs(argv[1]);
    return blockingListPop(ctx, keys, { kind: "list", from, count }, timeoutMs);
  },
};

const bzmpop: CommandSpec = {
  name: "bzmpop",
  arity: -5,
  flags: ["write", "blocking", "movablekeys"],
  keys: [0, 0, 0],
  acl: ["write", "sortedset", "slow", "blocking"],
  run(ctx, argv) {
    const { keys, where, count } = parseMultiPop(argv, 2);
    if (where !== "min" && where !== "max") fail(SYNTAX_ERROR);
    const timeoutMs = parseTimeoutMs(argv[1]);
    return blockingZSetPop(ctx, keys, { kind: "zset", max: where === "max", count }, timeoutMs);
  },
};

/** The blocking family. */
export const blockingCommands: readonly CommandSpec[] = [
  listPopSpec("blpop", "head"),
  listPopSpec("brpop", "tail"),
  blmove,
  brpoplpush,
  blmpop,
  zsetPopSpec("bzpopmin", false),
  zsetPopSpec("bzpopmax", true),
  bzmpop,
];
