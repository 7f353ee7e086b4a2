/**
 * String commands (Redis's t_string.c): GET/SET and their variants, counters,
 * APPEND, ranges and LCS.
 *
 * Variants share one generic helper each, as in Redis: SET, SETNX, SETEX and
 * PSETEX go through `setGeneric`; INCR, DECR, INCRBY and DECRBY through
 * `incrDecr`; GETRANGE and SUBSTR are one handler. Writes are propagated in
 * Redis 7.0's deterministic form (DESIGN decision 3): an expire becomes an
 * absolute `PXAT`/`PEXPIREAT`, INCRBYFLOAT a `SET … KEEPTTL`, GETSET a SET,
 * GETDEL a DEL.
 *
 * Each write handler raises its keyspace notification where the write
 * happens (`notifyKeyspaceEvent`, src/store/notify.ts).
 */
import { fail, NOT_A_FLOAT, NOT_AN_INTEGER, SYNTAX_ERROR, WrongTypeError } from "../errors.ts";
import {
  incrByInteger,
  incrByLongDouble,
  longDoubleFromNumber,
  parseInt64,
  parseLongDouble,
  parseLongLong,
  parseSafeInt,
} from "../util/numbers.ts";
import {
  alreadyExpired,
  deleteForPastDeadline,
  EMBSTR_SIZE_LIMIT,
  forgetStringEncoding,
  noteStringEncoding,
  setDeadline,
} from "./keys.ts";
import type { CommandContext, CommandSpec } from "./types.ts";
import { debugExtensions } from "./server.ts";
import { subcommandSyntaxError } from "./command_info.ts";
import { parsePositiveLong } from "./sets.ts";
import { NOTIFY, notifyKeyspaceEvent } from "../store/notify.ts";

// SET/GETEX option flags (t_string.c's OBJ_SET_NX …).
const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const PERSIST = 16;
const EX = 32;
const PX = 64;
const EXAT = 128;
const PXAT = 256;
/** Any expire option. */
const ANY_EXPIRE = EX | PX | EXAT | PXAT;

const INT64_MIN = -0x8000000000000000n;

/** Parsed SET or GETEX options. */
interface StringOptions {
  flags: number;
  /** The argument of EX/PX/EXAT/PXAT. */
  expire: string | undefined;
}

/**
 * SET's and GETEX's options (parseExtendedStringArgumentsOrReply), from
 * `from` on. Any conflict, an option of the other command or a missing
 * expire value is `ERR syntax error`. Repeating an option is allowed.
 */
function parseStringOptions(argv: string[], from: number, forSet: boolean): StringOptions {
  let flags = 0;
  let expire: string | undefined;
  for (let j = from; j < argv.length; j++) {
    const option = argv[j].toUpperCase();
    const hasValue = j < argv.length - 1;
    if (option === "NX" && forSet && (flags & XX) === 0) {
      flags |= NX;
    } else if (option === "XX" && forSet && (flags & NX) === 0) {
      flags |= XX;
    } else if (option === "GET" && forSet) {
      flags |= GET;
    } else if (option === "KEEPTTL" && forSet && (flags & (PERSIST | ANY_EXPIRE)) === 0) {
      flags |= KEEPTTL;
    } else if (option === "PERSIST" && !forSet && (flags & (KEEPTTL | ANY_EXPIRE)) === 0) {
      flags |= PERSIST;
    } else if (
      hasValue && (flags & (KEEPTTL | PERSIST)) === 0 &&
      ((option === "EX" && (flags & (ANY_EXPIRE & ~EX)) === 0) ||
        (option === "PX" && (flags & (ANY_EXPIRE & ~PX)) === 0) ||
        (option === "EXAT" && (flags & (ANY_EXPIRE & ~EXAT)) === 0) ||
        (option === "PXAT" && (flags & (ANY_EXPIRE & ~PXAT)) === 0))
    ) {
      flags |= option === "EX" ? EX : option === "PX" ? PX : option === "EXAT" ? EXAT : PXAT;
      expire = argv[++j];
    } else {
      fail(SYNTAX_ERROR);
    }
  }
  return { flags, expire };
}

/** The absolute ms deadline of an EX/PX/EXAT/PXAT value (getExpireMillisecondsOrReply). */
function optionDeadline(ctx: CommandContext, flags: number, expire: string, command: string) {
  const relative = (flags & (EX | PX)) !== 0;
  const now = relative ? ctx.server.keyspace.now() : undefined;
  return setDeadline(expire, (flags & (EX | EXAT)) !== 0, now, command);
}

/**
 * SET, SETNX, SETEX, PSETEX (setGenericCommand). `setnx` selects SETNX's
 * integer replies instead of OK/nil.
 */
function setGeneric(
  ctx: CommandContext,
  argv: string[],
  flags: number,
  key: string,
  value: string,
  expire: string | undefined,
  setnx: boolean,
): void {
  const deadline = expire === undefined
    ? undefined
    : optionDeadline(ctx, flags, expire, argv[0].toLowerCase());
  const db = ctx.db;
  if ((flags & GET) !== 0) {
    const old = db.getString(key); // WRONGTYPE aborts the SET too
    old === undefined ? ctx.reply.nil() : ctx.reply.bulk(old);
  }
  if ((flags & (NX | XX)) !== 0) {
    const found = db.peek(key) !== undefined;
    if (((flags & NX) !== 0 && found) || ((flags & XX) !== 0 && !found)) {
      if ((flags & GET) === 0) setnx ? ctx.reply.int(0) : ctx.reply.nil();
      return;
    }
  }
  db.set(key, value, (flags & KEEPTTL) !== 0);
  forgetStringEncoding(db, key);
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "set", key, db.id);
  if (deadline !== undefined) {
    db.setExpire(key, Number(deadline));
    ctx.propagate(["SET", key, value, "PXAT", String(deadline)]);
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "expire", key, db.id);
  } else if ((flags & GET) !== 0) {
    // Propagate without GET: a replica has no one to reply to.
    const rewritten: string[] = [];
    for (let j = 0; j < argv.length; j++) {
      if (j < 3 || argv[j].toUpperCase() !== "GET") rewritten.push(argv[j]);
    }
    ctx.propagate(rewritten);
  }
  if ((flags & GET) === 0) setnx ? ctx.reply.int(1) : ctx.reply.ok();
}

/** GET key — the string at key, or nil. */
const get: CommandSpec = {
  name: "get",
  arity: 2,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "string", "fast"],
  run(ctx, argv) {
    const value = ctx.db.getString(argv[1]);
    value === undefined ? ctx.reply.nil() : ctx.reply.bulk(value);
  },
};

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]. */
const set: CommandSpec = {
  name: "set",
  arity: -3,
  flags: ["write", "denyoom"],
  keys: [1, 1, 1],
  acl: ["write", "string", "slow"],
  run(ctx, argv) {
    if (argv.length === 3) {
      // The benchmark's hot path: no options to parse, nothing to allocate.
      const db = ctx.db;
      db.set(argv[1], argv[2]);
      forgetStringEncoding(db, argv[1]);
      ctx.server.dirty++;
      notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "set", argv[1], db.id);
      ctx.reply.ok();
      return;
    }
    const { flags, expire } = parseStringOptions(argv, 3, true);
    setGeneric(ctx, argv, flags, argv[1], argv[2], expire, false);
  },
};

const setnx: CommandSpec = {
  name: "setnx",
  arity: 3,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "string", "fast"],
  run: (ctx, argv) => setGeneric(ctx, argv, NX, argv[1], argv[2], undefined, true),
};

const setex: CommandSpec = {
  name: "setex",
  arity: 4,
  flags: ["write", "denyoom"],
  keys: [1, 1, 1],
  acl: ["write", "string", "slow"],
  run: (ctx, argv) => setGeneric(ctx, argv, EX, argv[1], argv[3], argv[2], false),
};

const psetex: CommandSpec = {
  name: "psetex",
  arity: 4,
  flags: ["write", "denyoom"],
  keys: [1, 1, 1],
  acl: ["write", "string", "slow"],
  run: (ctx, argv) => setGeneric(ctx, argv, PX, argv[1], argv[3], argv[2], false),
};

const mget: CommandSpec = {
  name: "mget",
  arity: -2,
  flags: ["readonly", "fast"],
  keys: [1, -1, 1],
  acl: ["read", "string", "fast"],
  run(ctx, argv) {
    const db = ctx.db;
    const reply = ctx.reply;
    reply.array(argv.length - 1);
    for (let i = 1; i < argv.length; i++) {
      const value = db.lookupRead(argv[i]);
      typeof value === "string" ? reply.bulk(value) : reply.nil();
    }
  },
};

/** MSET/MSETNX (msetGenericCommand). */
function msetGeneric(ctx: CommandContext, argv: string[], nx: boolean): void {
  if (argv.length % 2 === 0) {
    fail(`ERR wrong number of arguments for '${argv[0].toLowerCase()}' command`);
  }
  const db = ctx.db;
  if (nx) {
    for (let i = 1; i < argv.length; i += 2) {
      if (db.peek(argv[i]) !== undefined) {
        ctx.reply.int(0);
        return;
      }
    }
  }
  for (let i = 1; i < argv.length; i += 2) {
    db.set(argv[i], argv[i + 1]);
    forgetStringEncoding(db, argv[i]);
    notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "set", argv[i], db.id);
  }
  ctx.server.dirty += (argv.length - 1) / 2;
  nx ? ctx.reply.int(1) : ctx.reply.ok();
}

const mset: CommandSpec = {
  name: "mset",
  arity: -3,
  flags: ["write", "denyoom"],
  keys: [1, -1, 2],
  acl: ["write", "string", "slow"],
  run: (ctx, argv) => msetGeneric(ctx, argv, false),
};

const msetnx: CommandSpec = {
  name: "msetnx",
  arity: -3,
  flags: ["write", "denyoom"],
  keys: [1, -1, 2],
  acl: ["write", "string", "slow"],
  run: (ctx, argv) => msetGeneric(ctx, argv, true),
};

const getset: CommandSpec = {
  name: "getset",
  arity: 3,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "string", "fast"],
  run(ctx, argv) {
    const db = ctx.db;
    const old = db.getString(argv[1]);
    old === undefined ? ctx.reply.nil() : ctx.reply.bulk(old);
    db.set(argv[1], argv[2]);
    forgetStringEncoding(db, argv[1]);
    notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "set", argv[1], db.id);
    ctx.server.dirty++;
    ctx.propagate(["SET", argv[1], argv[2]]);
  },
};

const getdel: CommandSpec = {
  name: "getdel",
  arity: 2,
  flags: ["write", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "string", "fast"],
  run(ctx, argv) {
    const db = ctx.db;
    const value = db.getString(argv[1]);
    if (value === undefined) {
      ctx.reply.nil();
      return;
    }
    ctx.reply.bulk(value);
    db.delete(argv[1]);
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", argv[1], db.id);
    ctx.server.dirty++;
    ctx.propagate([
      ctx.server.config.getBool("lazyfree-lazy-user-del") ? "UNLINK" : "DEL",
      argv[1],
    ]);
  },
};

/**
 * GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]. Never propagated as is: as
 * PEXPIREAT, PERSIST, or DEL when an absolute deadline is already past.
 */
const getex: CommandSpec = {
  name: "getex",
  arity: -2,
  flags: ["write", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "string", "fast"],
  run(ctx, argv) {
    const { flags, expire } = parseStringOptions(argv, 2, false);
    const db = ctx.db;
    const key = argv[1];
    const value = db.getString(key);
    if (value === undefined) {
      ctx.reply.nil();
      return;
    }
    const deadline = expire === undefined ? undefined : optionDeadline(ctx, flags, expire, "getex");
    ctx.reply.bulk(value);
    if (deadline !== undefined) {
      const when = Number(deadline);
      if ((flags & (EXAT | PXAT)) !== 0 && alreadyExpired(ctx, when)) {
        deleteForPastDeadline(ctx, key);
        return;
      }
      db.setExpire(key, when);
      notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "expire", key, db.id);
      ctx.server.dirty++;
      ctx.propagate(["PEXPIREAT", key, String(deadline)]);
    } else if ((flags & PERSIST) !== 0 && db.persist(key)) {
      notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "persist", key, db.id);
      ctx.server.dirty++;
      ctx.propagate(["PERSIST", key]);
    }
  },
};

/**
 * V8's longest string (String::kMaxLength on 64-bit), 24 bytes short of the
 * default proto-max-bulk-len of 512 MB: no JS string can be longer.
 */
export const MAX_STRING_LENGTH = 2 ** 29 - 24;

/**
 * Redis's checkStringLength: a string may not grow past proto-max-bulk-len
 * (the master's stream is exempt), nor, here, past what a JS string can hold.
 */
function checkStringLength(ctx: CommandContext, size: number): void {
  if (
    (!ctx.client.flags.master && size > ctx.server.protoMaxBulkLen) || size > MAX_STRING_LENGTH
  ) {
    fail("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
}

/** The string at `key` for a write (lookupKeyWrite: no stats), or undefined; WRONGTYPE for another type. */
function stringForWrite(ctx: CommandContext, key: string): string | undefined {
  const value = ctx.db.peek(key);
  if (value === undefined || typeof value === "string") return value;
  throw new WrongTypeError();
}

const append: CommandSpec = {
  name: "append",
  arity: 3,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "string", "fast"],
  run(ctx, argv) {
    const db = ctx.db;
    const key = argv[1];
    const current = stringForWrite(ctx, key);
    let length: number;
    if (current === undefined) {
      db.set(key, argv[2]);
      forgetStringEncoding(db, key);
      length = argv[2].length;
    } else {
      checkStringLength(ctx, current.length + argv[2].length);
      const result = current + argv[2];
      db.set(key, result, true);
      noteStringEncoding(db, key, result, "raw"); // appended strings are raw sds in Redis
      length = result.length;
    }
    notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "append", key, db.id);
    ctx.server.dirty++;
    ctx.reply.int(length);
  },
};

const strlen: CommandSpec = {
  name: "strlen",
  arity: 2,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "string", "fast"],
  run(ctx, argv) {
    ctx.reply.int(ctx.db.getString(argv[1])?.length ?? 0);
  },
};

/** INCR, DECR, INCRBY, DECRBY (incrDecrCommand): int64 arithmetic, the TTL is kept. */
function incrDecr(ctx: CommandContext, key: string, delta: number | bigint): void {
  const db = ctx.db;
  const current = stringForWrite(ctx, key);
  const result = incrByInteger(current, delta);
  db.set(key, result, true);
  forgetStringEncoding(db, key);
  notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "incrby", key, db.id);
  ctx.server.dirty++;
  ctx.reply.raw(":" + result + "\r\n");
}

/** An int64 argument: a number when exact, else a bigint. */
function int64Arg(arg: string): number | bigint {
  const quick = parseSafeInt(arg);
  if (quick !== undefined) return quick;
  const exact = parseInt64(arg);
  if (exact === undefined) fail(NOT_AN_INTEGER);
  return exact;
}

/** One of INCR, DECR, INCRBY, DECRBY. */
function counterCommand(
  name: string,
  arity: number,
  delta: (argv: string[]) => number | bigint,
): CommandSpec {
  return {
    name,
    arity,
    flags: ["write", "denyoom", "fast"],
    keys: [1, 1, 1],
    acl: ["write", "string", "fast"],
    run: (ctx, argv) => incrDecr(ctx, argv[1], delta(argv)),
  };
}

const incr = counterCommand("incr", 2, () => 1);
const decr = counterCommand("decr", 2, () => -1);
const incrby = counterCommand("incrby", 3, (argv) => int64Arg(argv[2]));
const decrby = counterCommand("decrby", 3, (argv) => {
  const by = int64Arg(argv[2]);
  if (by === INT64_MIN) fail("ERR decrement would overflow");
  return -by;
});

const LONG_DOUBLE_ZERO = longDoubleFromNumber(0);

/**
 * INCRBYFLOAT: long double arithmetic and `%.17Lf` formatting, exactly as
 * Redis on x86-64. Propagated as `SET key result KEEPTTL`.
 */
const incrbyfloat: CommandSpec = {
  name: "incrbyfloat",
  arity: 3,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "string", "fast"],
  run(ctx, argv) {
    const db = ctx.db;
    const key = argv[1];
    const current = stringForWrite(ctx, key);
    const value = current === undefined ? LONG_DOUBLE_ZERO : parseLongDouble(current);
    if (value === undefined) fail(NOT_A_FLOAT);
    const increment = parseLongDouble(argv[2]);
    if (increment === undefined) fail(NOT_A_FLOAT);
    const result = incrByLongDouble(value, increment);
    db.set(key, result, true);
    // createStringObject: embstr or raw by length, never int.
    noteStringEncoding(db, key, result, result.length <= EMBSTR_SIZE_LIMIT ? "embstr" : "raw");
    notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "incrbyfloat", key, db.id);
    ctx.server.dirty++;
    ctx.reply.bulk(result);
    ctx.propagate(["SET", key, result, "KEEPTTL"]);
  },
};

const setrange: CommandSpec = {
  name: "setrange",
  arity: 4,
  flags: ["write", "denyoom"],
  keys: [1, 1, 1],
  acl: ["write", "string", "slow"],
  run(ctx, argv) {
    const offset = parseLongLong(argv[2]);
    if (offset === undefined) fail(NOT_AN_INTEGER);
    if (offset < 0) fail("ERR offset is out of range");
    const db = ctx.db;
    const key = argv[1];
    const patch = argv[3];
    const current = stringForWrite(ctx, key);
    if (patch.length === 0) {
      // Setting nothing changes nothing, not even a missing key.
      ctx.reply.int(current?.length ?? 0);
      return;
    }
    checkStringLength(ctx, offset + patch.length);
    const base = current ?? "";
    const head = base.length >= offset
      ? base.slice(0, offset)
      : base + "\0".repeat(offset - base.length);
    const result = head + patch + base.slice(offset + patch.length);
    db.set(key, result, current !== undefined);
    noteStringEncoding(db, key, result, "raw");
    notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "setrange", key, db.id);
    ctx.server.dirty++;
    ctx.reply.int(result.length);
  },
};

/** GETRANGE and SUBSTR: inclusive byte range with negative indexes from the end. */
function getrangeCommand(name: string): CommandSpec {
  return {
    name,
    arity: 4,
    flags: ["readonly"],
    keys: [1, 1, 1],
    acl: ["read", "string", "slow"],
    run(ctx, argv) {
      let start = parseLongLong(argv[2]);
      let end = parseLongLong(argv[3]);
      if (start === undefined || end === undefined) fail(NOT_AN_INTEGER);
      const value = ctx.db.getString(argv[1]) ?? "";
      const len = value.length;
      if (start < 0 && end < 0 && start > end) {
        ctx.reply.bulk("");
        return;
      }
      if (start < 0) start = Math.max(0, len + start);
      if (end < 0) end = Math.max(0, len + end);
      if (end >= len) end = len - 1;
      ctx.reply.bulk(start > end || len === 0 ? "" : value.slice(start, end + 1));
    },
  };
}

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN] (lcsCommand). */
const lcs: CommandSpec = {
  name: "lcs",
  arity: -3,
  flags: ["readonly"],
  keys: [1, 2, 1],
  acl: ["read", "string", "slow"],
  run(ctx, argv) {
    const db = ctx.db;
    const objA = db.lookupRead(argv[1]);
    const objB = db.lookupRead(argv[2]);
    if (
      (objA !== undefined && typeof objA !== "string") ||
      (objB !== undefined && typeof objB !== "string")
    ) {
      fail("ERR The specified keys must contain string values");
    }
    const a = objA ?? "";
    const b = objB ?? "";
    let getIdx = false;
    let getLen = false;
    let withMatchLen = false;
    let minMatchLen = 0;
    for (let j = 3; j < argv.length; j++) {
      const option = argv[j].toUpperCase();
      if (option === "IDX") getIdx = true;
      else if (option === "LEN") getLen = true;
      else if (option === "WITHMATCHLEN") withMatchLen = true;
      else if (option === "MINMATCHLEN" && j < argv.length - 1) {
        const n = parseLongLong(argv[++j]);
        if (n === undefined) fail(NOT_AN_INTEGER);
        minMatchLen = Math.max(0, n);
      } else fail(SYNTAX_ERROR);
    }
    if (getIdx && getLen) fail("ERR If you want both the length and indexes, please just use IDX.");
    lcsReply(ctx, a, b, getIdx, getLen, withMatchLen, minMatchLen);
  },
};

/** The dynamic-programming part of LCS and its three reply shapes. */
function lcsReply(
  ctx: CommandContext,
  a: string,
  b: string,
  getIdx: boolean,
  getLen: boolean,
  withMatchLen: boolean,
  minMatchLen: number,
): void {
  const alen = a.length;
  const blen = b.length;
  const width = blen + 1;
  const cells = (alen + 1) * width;
  if (cells * 4 > ctx.server.protoMaxBulkLen) {
    fail("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  let table: Uint32Array;
  try {
    table = new Uint32Array(cells);
  } catch {
    fail("ERR Insufficient memory, failed allocating transient memory for LCS");
  }
  // table[i * width + j] = LCS length of a[0..i) and b[0..j); row 0 and column 0 stay 0.
  for (let i = 1; i <= alen; i++) {
    const ca = a.charCodeAt(i - 1);
    const row = i * width;
    const prev = row - width;
    for (let j = 1; j <= blen; j++) {
      if (ca === b.charCodeAt(j - 1)) {
        table[row + j] = table[prev + j - 1] + 1;
      } else {
        const up = table[prev + j];
        const left = table[row + j - 1];
        table[row + j] = up > left ? up : left;
      }
    }
  }
  const total = table[alen * width + blen];
  const reply = ctx.reply;
  if (getLen) {
    reply.int(total);
    return;
  }
  // Walk back from the end, collecting the string and the matching ranges.
  const chars: number[] = new Array<number>(total);
  const ranges: number[][] = [];
  let idx = total;
  let aStart = alen; // alen means "no range open"
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars[idx - 1] = a.charCodeAt(i - 1);
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (table[(i - 1) * width + j] > table[i * width + j - 1]) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (getIdx && (minMatchLen === 0 || matchLen >= minMatchLen)) {
        ranges.push([aStart, aEnd, bStart, bEnd, matchLen]);
      }
      aStart = alen;
    }
  }
  if (!getIdx) {
    let text = "";
    for (let k = 0; k < chars.length; k += 8192) {
      text += String.fromCharCode(...chars.slice(k, k + 8192));
    }
    reply.bulk(text);
    return;
  }
  reply.map(2);
  reply.bulk("matches");
  reply.array(ranges.length);
  for (const [as, ae, bs, be, len] of ranges) {
    reply.array(withMatchLen ? 3 : 2);
    reply.array(2);
    reply.int(as);
    reply.int(ae);
    reply.array(2);
    reply.int(bs);
    reply.int(be);
    if (withMatchLen) reply.int(len);
  }
  reply.bulk("len");
  reply.int(total);
}

/** The string family. */
export const stringCommands: readonly CommandSpec[] = [
  get,
  set,
  setnx,
  setex,
  psetex,
  mget,
  mset,
  msetnx,
  getset,
  getdel,
  getex,
  append,
  strlen,
  incr,
  decr,
  incrby,
  decrby,
  incrbyfloat,
  setrange,
  getrangeCommand("getrange"),
  getrangeCommand("substr"),
  lcs,
];

/**
 * DEBUG POPULATE count [prefix] [size]: `count` string keys `prefix:N` (at
 * most 127 bytes, as Redis's snprintf into 128) holding `value:N`, cut or
 * zero-padded to `size` bytes when a size is given. Existing keys are kept.
 * Like Redis, nothing is propagated and the dirty counter does not move.
 */
debugExtensions.set("populate", (ctx, argv) => {
  if (argv.length < 3 || argv.length > 5) throw subcommandSyntaxError(argv);
  const count = parsePositiveLong(argv[2]);
  const size = argv.length === 5 ? parsePositiveLong(argv[4]) : 0;
  const prefix = argv.length === 3 ? "key" : argv[3];
  const db = ctx.db;
  for (let j = 0; j < count; j++) {
    const key = `${prefix}:${j}`.slice(0, 127);
    if (db.lookupWrite(key) !== undefined) continue;
    const text = `value:${j}`;
    const value = size === 0
      ? text
      : size <= text.length
      ? text.slice(0, size)
      : text + "\0".repeat(size - text.length);
    db.add(key, value);
    db.modified(key);
  }
  ctx.reply.ok();
});
