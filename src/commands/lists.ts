/**
 * List commands (Redis 7.0's t_list.c) over `List` (src/store/list.ts).
 *
 * Every reply is bounded by the list itself: ranges are clamped to its
 * length before anything is allocated.
 *
 * Propagation: LMPOP propagates `LPOP|RPOP key count` with the number of
 * elements it actually popped, as Redis does; everything else propagates as
 * called. The blocking variants (BLPOP, BLMOVE, BLMPOP …) live in
 * blocking.ts; pushes wake their waiters through the keyspace hooks.
 *
 * @module
 */
import type { CommandContext, CommandSpec } from "./types.ts";
import { NOTIFY, notifyKeyspaceEvent } from "../store/notify.ts";
import { fail, INDEX_OUT_OF_RANGE, NO_SUCH_KEY, SYNTAX_ERROR } from "../errors.ts";
import { parseInt64 } from "../util/numbers.ts";
import { List } from "../store/list.ts";
import { parseLong, parseNumKeys, parsePositiveLong } from "./sets.ts";

/** Which end of a list: Redis's LIST_HEAD ("LEFT") or LIST_TAIL ("RIGHT"). */
type End = "head" | "tail";

/** getListPositionFromObjectOrReply: LEFT or RIGHT in any case, else a syntax error. */
function parseEnd(arg: string): End {
  const s = arg.toLowerCase();
  if (s === "left") return "head";
  if (s === "right") return "tail";
  fail(SYNTAX_ERROR);
}

function push(list: List, end: End, value: string): void {
  end === "head" ? list.pushHead(value) : list.pushTail(value);
}

function pop(list: List, end: End): string {
  return (end === "head" ? list.popHead() : list.popTail())!;
}

/** LPUSH/RPUSH/LPUSHX/RPUSHX (pushGenericCommand). */
function pushGeneric(ctx: CommandContext, argv: string[], end: End, onlyIfExists: boolean): void {
  const key = argv[1];
  let list = ctx.db.getList(key, true);
  if (list === undefined) {
    if (onlyIfExists) return ctx.reply.int(0);
    list = new List();
    ctx.db.add(key, list);
  }
  for (let i = 2; i < argv.length; i++) push(list, end, argv[i]);
  ctx.db.modified(key);
  ctx.server.dirty += argv.length - 2;
  notifyKeyspaceEvent(ctx.server, NOTIFY.LIST, end === "head" ? "lpush" : "rpush", key, ctx.db.id);
  ctx.reply.int(list.length);
}

/**
 * Pops up to `count` elements from one end and replies them as an array
 * (tail-first for the tail), deleting the key when the list empties.
 */
function popRange(ctx: CommandContext, key: string, list: List, end: End, count: number): number {
  const n = Math.min(count, list.length);
  ctx.reply.array(n);
  for (let i = 0; i < n; i++) ctx.reply.bulk(pop(list, end));
  notifyKeyspaceEvent(ctx.server, NOTIFY.LIST, end === "head" ? "lpop" : "rpop", key, ctx.db.id);
  if (ctx.db.deleteIfEmpty(key, list)) {
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, ctx.db.id);
  }
  ctx.db.modified(key);
  ctx.server.dirty += n;
  return n;
}

/** LPOP/RPOP key [count] (popGenericCommand). */
function popGeneric(ctx: CommandContext, argv: string[], end: End): void {
  if (argv.length > 3) fail(`ERR wrong number of arguments for '${argv[0].toLowerCase()}' command`);
  const hasCount = argv.length === 3;
  const count = hasCount ? parsePositiveLong(argv[2]) : 0;
  const key = argv[1];
  const list = ctx.db.getList(key, true);
  if (list === undefined) return hasCount ? ctx.reply.nilArray() : ctx.reply.nil();
  if (hasCount && count === 0) return ctx.reply.array(0);
  if (!hasCount) {
    const value = pop(list, end);
    notifyKeyspaceEvent(ctx.server, NOTIFY.LIST, end === "head" ? "lpop" : "rpop", key, ctx.db.id);
    if (ctx.db.deleteIfEmpty(key, list)) {
      notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, ctx.db.id);
    }
    ctx.db.modified(key);
    ctx.server.dirty++;
    return ctx.reply.bulk(value);
  }
  popRange(ctx, key, list, end, count);
}

const lpush: CommandSpec = {
  name: "lpush",
  arity: -3,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "list", "fast"],
  run(ctx, argv) {
    pushGeneric(ctx, argv, "head", false);
  },
};

const rpush: CommandSpec = {
  name: "rpush",
  arity: -3,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "list", "fast"],
  run(ctx, argv) {
    pushGeneric(ctx, argv, "tail", false);
  },
};

const lpushx: CommandSpec = {
  name: "lpushx",
  arity: -3,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "list", "fast"],
  run(ctx, argv) {
    pushGeneric(ctx, argv, "head", true);
  },
};

const rpushx: CommandSpec = {
  name: "rpushx",
  arity: -3,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "list", "fast"],
  run(ctx, argv) {
    pushGeneric(ctx, argv, "tail", true);
  },
};

const lpop: CommandSpec = {
  name: "lpop",
  arity: -2,
  flags: ["write", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "list", "fast"],
  run(ctx, argv) {
    popGeneric(ctx, argv, "head");
  },
};

const rpop: CommandSpec = {
  name: "rpop",
  arity: -2,
  flags: ["write", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "list", "fast"],
  run(ctx, argv) {
    popGeneric(ctx, argv, "tail");
  },
};

const llen: CommandSpec = {
  name: "llen",
  arity: 2,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "list", "fast"],
  run(ctx, argv) {
    ctx.reply.int(ctx.db.getList(argv[1])?.length ?? 0);
  },
};

const lrange: CommandSpec = {
  name: "lrange",
  arity: 4,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "list", "slow"],
  run(ctx, argv) {
    const start = parseLong(argv[2]);
    const stop = parseLong(argv[3]);
    const list = ctx.db.getList(argv[1]);
    if (list === undefined) return ctx.reply.array(0);
    ctx.reply.bulkArray(list.range(start, stop));
  },
};

const lindex: CommandSpec = {
  name: "lindex",
  arity: 3,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "list", "slow"],
  run(ctx, argv) {
    const list = ctx.db.getList(argv[1]);
    if (list === undefined) return ctx.reply.nil();
    const value = list.at(parseLong(argv[2]));
    value === undefined ? ctx.reply.nil() : ctx.reply.bulk(value);
  },
};

const lset: CommandSpec = {
  name: "lset",
  arity: 4,
  flags: ["write", "denyoom"],
  keys: [1, 1, 1],
  acl: ["write", "list", "slow"],
  run(ctx, argv) {
    const key = argv[1];
    const list = ctx.db.getList(key, true);
    if (list === undefined) fail(NO_SUCH_KEY);
    const index = parseLong(argv[2]);
    if (!list.set(index, argv[3])) fail(INDEX_OUT_OF_RANGE);
    ctx.db.modified(key);
    notifyKeyspaceEvent(ctx.server, NOTIFY.LIST, "lset", key, ctx.db.id);
    ctx.server.dirty++;
    ctx.reply.ok();
  },
};

const linsert: CommandSpec = {
  name: "linsert",
  arity: 5,
  flags: ["write", "denyoom"],
  keys: [1, 1, 1],
  acl: ["write", "list", "slow"],
  run(ctx, argv) {
    const [, key, where, pivot, value] = argv;
    const w = where.toLowerCase();
    if (w !== "before" && w !== "after") fail(SYNTAX_ERROR);
    const list = ctx.db.getList(key, true);
    if (list === undefined) return ctx.reply.int(0);
    const found = list.positions(pivot, 1, 1, 0);
    if (found.length === 0) return ctx.reply.int(-1);
    list.insertAt(w === "before" ? found[0] : found[0] + 1, value);
    ctx.db.modified(key);
    notifyKeyspaceEvent(ctx.server, NOTIFY.LIST, "linsert", key, ctx.db.id);
    ctx.server.dirty++;
    ctx.reply.int(list.length);
  },
};

const lrem: CommandSpec = {
  name: "lrem",
  arity: 4,
  flags: ["write"],
  keys: [1, 1, 1],
  acl: ["write", "list", "slow"],
  run(ctx, argv) {
    const key = argv[1];
    const count = parseLong(argv[2]);
    const list = ctx.db.getList(key, true);
    if (list === undefined) return ctx.reply.int(0);
    const removed = list.remove(argv[3], count);
    if (removed > 0) {
      notifyKeyspaceEvent(ctx.server, NOTIFY.LIST, "lrem", key, ctx.db.id);
      if (ctx.db.deleteIfEmpty(key, list)) {
        notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, ctx.db.id);
      }
      ctx.db.modified(key);
      ctx.server.dirty += removed;
    }
    ctx.reply.int(removed);
  },
};

const ltrim: CommandSpec = {
  name: "ltrim",
  arity: 4,
  flags: ["write"],
  keys: [1, 1, 1],
  acl: ["write", "list", "slow"],
  run(ctx, argv) {
    const key = argv[1];
    const start = parseLong(argv[2]);
    const stop = parseLong(argv[3]);
    const list = ctx.db.getList(key, true);
    if (list === undefined) return ctx.reply.ok();
    const before = list.length;
    list.trim(start, stop);
    const removed = before - list.length;
    notifyKeyspaceEvent(ctx.server, NOTIFY.LIST, "ltrim", key, ctx.db.id);
    if (ctx.db.deleteIfEmpty(key, list)) {
      notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, ctx.db.id);
    }
    ctx.db.modified(key);
    ctx.server.dirty += removed;
    ctx.reply.ok();
  },
};

const LONG_MIN = -0x8000000000000000n;

const lpos: CommandSpec = {
  name: "lpos",
  arity: -3,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "list", "slow"],
  run(ctx, argv) {
    let rank = 1;
    let count = -1; // -1: no COUNT option
    let maxlen = 0;
    for (let j = 3; j < argv.length; j++) {
      const opt = argv[j].toLowerCase();
      const more = j < argv.length - 1;
      if (opt === "rank" && more) {
        const r = parseInt64(argv[++j]);
        if (r === undefined) fail("ERR value is not an integer or out of range");
        if (r === 0n) {
          fail(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
          );
        }
        // Redis negates LONG_MIN into itself: it then counts from the tail
        // and the first match qualifies, exactly like -1.
        rank = r === LONG_MIN ? -1 : Number(r);
      } else if (opt === "count" && more) {
        count = parsePositiveLong(argv[++j], "ERR COUNT can't be negative");
      } else if (opt === "maxlen" && more) {
        maxlen = parsePositiveLong(argv[++j], "ERR MAXLEN can't be negative");
      } else {
        fail(SYNTAX_ERROR);
      }
    }
    const list = ctx.db.getList(argv[1]);
    if (list === undefined) return count === -1 ? ctx.reply.nil() : ctx.reply.array(0);
    const found = list.positions(argv[2], rank, count === -1 ? 1 : count, maxlen);
    if (count !== -1) {
      ctx.reply.array(found.length);
      for (const i of found) ctx.reply.int(i);
    } else {
      found.length === 0 ? ctx.reply.nil() : ctx.reply.int(found[0]);
    }
  },
};

/** LMOVE / RPOPLPUSH (lmoveGenericCommand). */
function lmoveGeneric(
  ctx: CommandContext,
  srcKey: string,
  dstKey: string,
  from: End,
  to: End,
): void {
  const src = ctx.db.getList(srcKey, true);
  if (src === undefined) return ctx.reply.nil();
  let dst = ctx.db.getList(dstKey, true);
  const value = pop(src, from);
  if (dst === undefined) {
    dst = new List();
    ctx.db.add(dstKey, dst);
  }
  push(dst, to, value);
  ctx.db.modified(dstKey);
  notifyKeyspaceEvent(
    ctx.server,
    NOTIFY.LIST,
    to === "head" ? "lpush" : "rpush",
    dstKey,
    ctx.db.id,
  );
  notifyKeyspaceEvent(
    ctx.server,
    NOTIFY.LIST,
    from === "head" ? "lpop" : "rpop",
    srcKey,
    ctx.db.id,
  );
  if (ctx.db.deleteIfEmpty(srcKey, src)) {
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", srcKey, ctx.db.id);
  }
  ctx.db.modified(srcKey);
  ctx.server.dirty++;
  ctx.reply.bulk(value);
}

const lmove: CommandSpec = {
  name: "lmove",
  arity: 5,
  flags: ["write", "denyoom"],
  keys: [1, 2, 1],
  acl: ["write", "list", "slow"],
  run(ctx, argv) {
    const from = parseEnd(argv[3]);
    const to = parseEnd(argv[4]);
    lmoveGeneric(ctx, argv[1], argv[2], from, to);
  },
};

const rpoplpush: CommandSpec = {
  name: "rpoplpush",
  arity: 3,
  flags: ["write", "denyoom"],
  keys: [1, 2, 1],
  acl: ["write", "list", "slow"],
  run(ctx, argv) {
    lmoveGeneric(ctx, argv[1], argv[2], "tail", "head");
  },
};

const lmpop: CommandSpec = {
  name: "lmpop",
  arity: -4,
  flags: ["write", "movablekeys"],
  keys: [0, 0, 0],
  acl: ["write", "list", "slow"],
  run(ctx, argv) {
    const numkeys = parseNumKeys(argv[1]);
    const whereIndex = 1 + numkeys + 1;
    if (whereIndex >= argv.length) fail(SYNTAX_ERROR);
    const end = parseEnd(argv[whereIndex]);
    let count = -1;
    for (let j = whereIndex + 1; j < argv.length; j++) {
      if (count === -1 && argv[j].toLowerCase() === "count" && j < argv.length - 1) {
        count = parseLong(argv[++j], "ERR count should be greater than 0");
        if (count < 1) fail("ERR count should be greater than 0");
      } else {
        fail(SYNTAX_ERROR);
      }
    }
    if (count === -1) count = 1;
    for (let i = 2; i < whereIndex; i++) {
      const key = argv[i];
      const list = ctx.db.getList(key, true);
      if (list === undefined || list.length === 0) continue;
      ctx.reply.array(2);
      ctx.reply.bulk(key);
      const popped = popRange(ctx, key, list, end, count);
      ctx.propagate([end === "head" ? "LPOP" : "RPOP", key, String(popped)]);
      return;
    }
    ctx.reply.nilArray();
  },
};

/** The list family. */
export const listCommands: readonly CommandSpec[] = [
  lpush,
  rpush,
  lpushx,
  rpushx,
  lpop,
  rpop,
  llen,
  lrange,
  lindex,
  lset,
  linsert,
  lrem,
  ltrim,
  lpos,
  lmove,
  rpoplpush,
  lmpop,
];
