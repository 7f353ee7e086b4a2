/**
 * Hash commands (Redis 7.0's t_hash.c). A hash is a plain `Map<string,
 * string>` in insertion order.
 *
 * Redis keeps small hashes (at most hash-max-listpack-entries fields, none
 * longer than hash-max-listpack-value bytes) as a listpack and converts them
 * to a hash table, never back, once a write goes past a limit; writes here
 * record that conversion in keys.ts's `hashtableEncoded`. Besides OBJECT
 * ENCODING, the difference shows in HSCAN, which returns a listpack whole.
 *
 * Propagation: HINCRBYFLOAT propagates `HSET key field <result>` so replicas
 * and the AOF do not redo floating-point arithmetic; everything else
 * propagates as called.
 *
 * @module
 */
import type { CommandContext, CommandSpec } from "./types.ts";
import { NOTIFY, notifyKeyspaceEvent } from "../store/notify.ts";
import { fail, SYNTAX_ERROR } from "../errors.ts";
import {
  formatInteger,
  incrByLongDouble,
  isFiniteLongDouble,
  longDoubleFromNumber,
  parseInt64,
  parseLongDouble,
} from "../util/numbers.ts";
import type { RedisHash } from "../store/types.ts";
import { Hash } from "../store/hash.ts";
import { hashtableEncoded, objectEncoding } from "./keys.ts";
import {
  checkRandomCountWithValues,
  checkRandomReplyBytes,
  parseRandomCount,
  parseScanCursor,
  parseScanOptions,
  randomDistinctMembers,
  randomMember,
  randomMembersWithRepeats,
  sampleAdded,
  sampleInvalidate,
  scanPage,
  scanReply,
} from "./sets.ts";

const INT64_MAX = 0x7fffffffffffffffn;
const INT64_MIN = -0x8000000000000000n;

/** The hash at `key` for writing, created (and added to the db) when missing. */
function hashForWrite(ctx: CommandContext, key: string): RedisHash {
  let hash = ctx.db.getHash(key, true);
  if (hash === undefined) {
    hash = new Hash();
    ctx.db.add(key, hash);
  }
  return hash;
}

/**
 * Records Redis's one-way listpack → hashtable conversion after a write to
 * `hash` that involved `strings[start..end)` (fields and values): any of them
 * longer than hash-max-listpack-value, or more fields than
 * hash-max-listpack-entries.
 */
function noteHashWrite(
  ctx: CommandContext,
  hash: RedisHash,
  strings: readonly string[],
  start = 0,
  end = strings.length,
): void {
  if (hashtableEncoded.has(hash)) return;
  const config = ctx.server.config;
  const maxValue = config.getNumber("hash-max-listpack-value");
  let convert = hash.size > config.getNumber("hash-max-listpack-entries");
  for (let i = start; i < end && !convert; i++) convert = strings[i].length > maxValue;
  if (convert) hashtableEncoded.add(hash);
}

/** Sets a field, keeping the random-sampling snapshot in step; true when the field is new. */
function setField(hash: RedisHash, field: string, value: string): boolean {
  const isNew = !hash.has(field);
  hash.set(field, value);
  if (isNew) sampleAdded(hash, field);
  return isNew;
}

/** HSET and HMSET: same work, different replies. */
function hsetGeneric(ctx: CommandContext, argv: string[], name: string): number {
  if (argv.length % 2 === 1) fail(`ERR wrong number of arguments for '${name}' command`);
  const key = argv[1];
  const hash = hashForWrite(ctx, key);
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) {
    if (setField(hash, argv[i], argv[i + 1])) created++;
  }
  noteHashWrite(ctx, hash, argv, 2);
  ctx.db.modified(key);
  ctx.server.dirty += (argv.length - 2) / 2;
  notifyKeyspaceEvent(ctx.server, NOTIFY.HASH, "hset", key, ctx.db.id);
  return created;
}

const hset: CommandSpec = {
  name: "hset",
  arity: -4,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "hash", "fast"],
  run(ctx, argv) {
    ctx.reply.int(hsetGeneric(ctx, argv, "hset"));
  },
};

const hmset: CommandSpec = {
  name: "hmset",
  arity: -4,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "hash", "fast"],
  run(ctx, argv) {
    hsetGeneric(ctx, argv, "hmset");
    ctx.reply.ok();
  },
};

const hsetnx: CommandSpec = {
  name: "hsetnx",
  arity: 4,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "hash", "fast"],
  run(ctx, argv) {
    const key = argv[1];
    const hash = hashForWrite(ctx, key);
    // Redis checks the arguments' lengths for conversion before the field.
    if (hash.has(argv[2])) {
      noteHashWrite(ctx, hash, argv, 2, 4);
      return ctx.reply.int(0);
    }
    setField(hash, argv[2], argv[3]);
    noteHashWrite(ctx, hash, argv, 2, 4);
    ctx.db.modified(key);
    ctx.server.dirty++;
    notifyKeyspaceEvent(ctx.server, NOTIFY.HASH, "hset", key, ctx.db.id);
    ctx.reply.int(1);
  },
};

const hget: CommandSpec = {
  name: "hget",
  arity: 3,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "hash", "fast"],
  run(ctx, argv) {
    const value = ctx.db.getHash(argv[1])?.get(argv[2]);
    value === undefined ? ctx.reply.nil() : ctx.reply.bulk(value);
  },
};

const hmget: CommandSpec = {
  name: "hmget",
  arity: -3,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "hash", "fast"],
  run(ctx, argv) {
    const hash = ctx.db.getHash(argv[1]);
    ctx.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) {
      const value = hash?.get(argv[i]);
      value === undefined ? ctx.reply.nil() : ctx.reply.bulk(value);
    }
  },
};

const hdel: CommandSpec = {
  name: "hdel",
  arity: -3,
  flags: ["write", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "hash", "fast"],
  run(ctx, argv) {
    const key = argv[1];
    const hash = ctx.db.getHash(key, true);
    if (hash === undefined) return ctx.reply.int(0);
    let deleted = 0;
    for (let i = 2; i < argv.length; i++) {
      if (hash.delete(argv[i])) {
        deleted++;
        if (hash.size === 0) break;
      }
    }
    if (deleted > 0) {
      sampleInvalidate(hash);
      notifyKeyspaceEvent(ctx.server, NOTIFY.HASH, "hdel", key, ctx.db.id);
      if (ctx.db.deleteIfEmpty(key, hash)) {
        notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, ctx.db.id);
      }
      ctx.db.modified(key);
      ctx.server.dirty += deleted;
    }
    ctx.reply.int(deleted);
  },
};

const hlen: CommandSpec = {
  name: "hlen",
  arity: 2,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "hash", "fast"],
  run(ctx, argv) {
    ctx.reply.int(ctx.db.getHash(argv[1])?.size ?? 0);
  },
};

const hstrlen: CommandSpec = {
  name: "hstrlen",
  arity: 3,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "hash", "fast"],
  run(ctx, argv) {
    ctx.reply.int(ctx.db.getHash(argv[1])?.get(argv[2])?.length ?? 0);
  },
};

const hexists: CommandSpec = {
  name: "hexists",
  arity: 3,
  flags: ["readonly", "fast"],
  keys: [1, 1, 1],
  acl: ["read", "hash", "fast"],
  run(ctx, argv) {
    ctx.reply.int(ctx.db.getHash(argv[1])?.has(argv[2]) ? 1 : 0);
  },
};

const hkeys: CommandSpec = {
  name: "hkeys",
  arity: 2,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "hash", "slow"],
  run(ctx, argv) {
    const hash = ctx.db.getHash(argv[1]);
    if (hash === undefined) return ctx.reply.array(0);
    ctx.reply.array(hash.size);
    for (const field of hash.keys()) ctx.reply.bulk(field);
  },
};

const hvals: CommandSpec = {
  name: "hvals",
  arity: 2,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "hash", "slow"],
  run(ctx, argv) {
    const hash = ctx.db.getHash(argv[1]);
    if (hash === undefined) return ctx.reply.array(0);
    ctx.reply.array(hash.size);
    for (const value of hash.values()) ctx.reply.bulk(value);
  },
};

const hgetall: CommandSpec = {
  name: "hgetall",
  arity: 2,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "hash", "slow"],
  run(ctx, argv) {
    const hash = ctx.db.getHash(argv[1]);
    if (hash === undefined) return ctx.reply.map(0);
    ctx.reply.map(hash.size);
    for (const [field, value] of hash) {
      ctx.reply.bulk(field);
      ctx.reply.bulk(value);
    }
  },
};

const hincrby: CommandSpec = {
  name: "hincrby",
  arity: 4,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "hash", "fast"],
  run(ctx, argv) {
    const [, key, field, incrArg] = argv;
    const incr = parseInt64(incrArg);
    if (incr === undefined) fail("ERR value is not an integer or out of range");
    const hash = hashForWrite(ctx, key);
    const current = hash.get(field);
    let value = 0n;
    if (current !== undefined) {
      const parsed = parseInt64(current);
      if (parsed === undefined) fail("ERR hash value is not an integer");
      value = parsed;
    }
    const sum = value + incr;
    if (sum > INT64_MAX || sum < INT64_MIN) fail("ERR increment or decrement would overflow");
    const text = formatInteger(sum);
    setField(hash, field, text);
    noteHashWrite(ctx, hash, [field, text]);
    ctx.db.modified(key);
    ctx.server.dirty++;
    notifyKeyspaceEvent(ctx.server, NOTIFY.HASH, "hincrby", key, ctx.db.id);
    ctx.reply.int(sum);
  },
};

const hincrbyfloat: CommandSpec = {
  name: "hincrbyfloat",
  arity: 4,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "hash", "fast"],
  run(ctx, argv) {
    const [, key, field, incrArg] = argv;
    const incr = parseLongDouble(incrArg);
    if (incr === undefined) fail("ERR value is not a valid float");
    if (!isFiniteLongDouble(incr)) fail("ERR value is NaN or Infinity");
    const hash = hashForWrite(ctx, key);
    const current = hash.get(field);
    let value = longDoubleFromNumber(0);
    if (current !== undefined) {
      const parsed = parseLongDouble(current);
      if (parsed === undefined) fail("ERR hash value is not a float");
      value = parsed;
    }
    const result = incrByLongDouble(value, incr);
    setField(hash, field, result);
    noteHashWrite(ctx, hash, [field, result]);
    ctx.db.modified(key);
    ctx.server.dirty++;
    notifyKeyspaceEvent(ctx.server, NOTIFY.HASH, "hincrbyfloat", key, ctx.db.id);
    ctx.propagate(["HSET", key, field, result]);
    ctx.reply.bulk(result);
  },
};

const hrandfield: CommandSpec = {
  name: "hrandfield",
  arity: -2,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "hash", "slow"],
  run(ctx, argv) {
    if (argv.length === 2) {
      const hash = ctx.db.getHash(argv[1]);
      if (hash === undefined) return ctx.reply.nil();
      return ctx.reply.bulk(randomMember(hash));
    }
    const count = parseRandomCount(argv[2]);
    if (argv.length > 4 || (argv.length === 4 && argv[3].toLowerCase() !== "withvalues")) {
      fail(SYNTAX_ERROR);
    }
    const withValues = argv.length === 4;
    if (withValues) checkRandomCountWithValues(argv[2]);
    const hash = ctx.db.getHash(argv[1]);
    if (hash === undefined || count === 0) return ctx.reply.array(0);
    let fields: string[];
    if (count < 0) {
      fields = randomMembersWithRepeats(hash, -count);
      if (withValues) checkRandomReplyBytes(fields.map((f) => hash.get(f)!));
    } else if (count >= hash.size) fields = [...hash.keys()];
    else fields = randomDistinctMembers(hash, count);
    replyFields(ctx, hash, fields, withValues);
  },
};

/** HRANDFIELD's reply: fields, or field-value pairs (nested in RESP3). */
function replyFields(
  ctx: CommandContext,
  hash: RedisHash,
  fields: string[],
  withValues: boolean,
): void {
  const r = ctx.reply;
  if (!withValues) return r.bulkArray(fields);
  const resp3 = r.protocol === 3;
  r.array(resp3 ? fields.length : fields.length * 2);
  for (const field of fields) {
    if (resp3) r.array(2);
    r.bulk(field);
    r.bulk(hash.get(field)!);
  }
}

const hscan: CommandSpec = {
  name: "hscan",
  arity: -3,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["read", "hash", "slow"],
  run(ctx, argv) {
    const cursor = parseScanCursor(argv[2]);
    const hash = ctx.db.getHash(argv[1]);
    if (hash === undefined) return scanReply(ctx, 0, []);
    const { count, match } = parseScanOptions(argv, 3);
    let next = 0;
    let fields: string[];
    if (objectEncoding(ctx.db, argv[1], hash, ctx.server.config) === "listpack") {
      fields = [...hash.keys()];
    } else {
      [next, fields] = scanPage(hash, () => hash.keys(), cursor, count);
    }
    const items: string[] = [];
    for (const field of fields) {
      const value = hash.get(field);
      if (value === undefined || (match !== undefined && !match(field))) continue;
      items.push(field, value);
    }
    scanReply(ctx, next, items);
  },
};

/** The hash family. */
export const hashCommands: readonly CommandSpec[] = [
  hset,
  hmset,
  hsetnx,
  hget,
  hmget,
  hdel,
  hlen,
  hstrlen,
  hexists,
  hkeys,
  hvals,
  hgetall,
  hincrby,
  hincrbyfloat,
  hrandfield,
  hscan,
];
