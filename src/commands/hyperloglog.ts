/**
 * HyperLogLog commands (Redis 7.0's hyperloglog.c): PFADD, PFCOUNT, PFMERGE,
 * PFDEBUG and PFSELFTEST over the representation in src/store/hyperloglog.ts.
 *
 * An HLL is a string value, so every write stores a new string. PFCOUNT on a
 * single key whose cached cardinality is stale writes the fresh cache back
 * and counts as a write (it is propagated, like in Redis). Values written
 * here are "raw" strings in Redis (dbUnshareStringValue), recorded for OBJECT
 * ENCODING.
 *
 * Cost: a dense HLL is 12304 bytes; each PFADD that changes it copies it into
 * a byte buffer and back into a string (tens of microseconds).
 *
 * @module
 */
import { fail, WrongTypeError } from "../errors.ts";
import {
  cachedCardinalityOf,
  countRawRegisters,
  HLL_DENSE,
  HLL_REGISTERS,
  HLL_SPARSE,
  HyperLogLog,
  INVALID_HLL_ERROR,
  isHllString,
  NOT_HLL_ERROR,
} from "../store/hyperloglog.ts";
import { noteStringEncoding } from "./keys.ts";
import type { CommandContext, CommandSpec } from "./types.ts";
import { NOTIFY, notifyKeyspaceEvent } from "../store/notify.ts";
import type { RedisValue } from "../store/types.ts";

/**
 * The last HLL parsed or stored and the string it was parsed from or stored
 * as, so that a run of commands on one key does not re-parse 12 KB each time
 * (copying a binary string into bytes is the expensive part). A command that
 * mutates the cached object either stores its new string, which refreshes
 * the entry, or drops the entry before failing.
 */
let cachedString: string | undefined;
let cachedHll: HyperLogLog | undefined;

/** The HLL held in `value` (already validated), from the cache when it is the same string. */
function parseHll(value: string): HyperLogLog {
  if (cachedHll !== undefined && value === cachedString) return cachedHll;
  const hll = HyperLogLog.fromString(value);
  cachedString = value;
  cachedHll = hll;
  return hll;
}

/** isHLLObjectOrReply: the HLL in `value`, or Redis's errors for another type or a non-HLL string. */
function hllOf(value: RedisValue): HyperLogLog {
  if (typeof value !== "string") throw new WrongTypeError();
  if (!isHllString(value)) fail(NOT_HLL_ERROR);
  return parseHll(value);
}

/** Fails with INVALIDOBJ after a partial update, dropping the cached copy. */
function failCorrupt(): never {
  cachedString = undefined;
  cachedHll = undefined;
  fail(INVALID_HLL_ERROR);
}

function sparseMaxBytes(ctx: CommandContext): number {
  return ctx.server.config.getNumber("hll-sparse-max-bytes");
}

/** Stores an HLL at `key`, keeping its TTL, as the raw string Redis would hold. */
function storeHll(ctx: CommandContext, key: string, hll: HyperLogLog): void {
  const value = hll.toString();
  ctx.db.set(key, value, true);
  noteStringEncoding(ctx.db, key, value, "raw");
  cachedString = value;
  cachedHll = hll;
}

/** PFADD key [element ...] — 1 when a register changed (or the key was created), else 0. */
const pfadd: CommandSpec = {
  name: "pfadd",
  arity: -2,
  flags: ["write", "denyoom", "fast"],
  keys: [1, 1, 1],
  acl: ["write", "hyperloglog", "fast"],
  run(ctx, argv) {
    const key = argv[1];
    const current = ctx.db.peek(key);
    let updated = 0;
    let hll: HyperLogLog;
    if (current === undefined) {
      hll = HyperLogLog.create();
      updated++;
    } else {
      hll = hllOf(current);
      noteStringEncoding(ctx.db, key, current as string, "raw");
    }
    const maxBytes = sparseMaxBytes(ctx);
    for (let j = 2; j < argv.length; j++) {
      const result = hll.add(argv[j], maxBytes);
      if (result === 1) updated++;
      else if (result === -1) failCorrupt();
    }
    if (updated > 0) {
      hll.invalidateCache();
      storeHll(ctx, key, hll);
      notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "pfadd", key, ctx.db.id);
      ctx.server.dirty += updated;
    }
    ctx.reply.int(updated > 0 ? 1 : 0);
  },
};

/** PFCOUNT key [key ...] — the estimated cardinality (of the union for several keys). */
const pfcount: CommandSpec = {
  name: "pfcount",
  arity: -2,
  flags: ["readonly"],
  keys: [1, -1, 1],
  acl: ["read", "hyperloglog", "slow"],
  run(ctx, argv) {
    const db = ctx.db;
    if (argv.length > 2) {
      const max = new Uint8Array(HLL_REGISTERS);
      for (let j = 1; j < argv.length; j++) {
        const value = db.lookupRead(argv[j]);
        if (value === undefined) continue;
        if (!hllOf(value).mergeInto(max)) fail(INVALID_HLL_ERROR);
      }
      ctx.reply.int(countRawRegisters(max));
      return;
    }
    const key = argv[1];
    const value = db.lookupRead(key);
    if (value === undefined) {
      ctx.reply.int(0);
      return;
    }
    if (typeof value !== "string") throw new WrongTypeError();
    if (!isHllString(value)) fail(NOT_HLL_ERROR);
    noteStringEncoding(db, key, value, "raw");
    let card = cachedCardinalityOf(value);
    if (card === undefined) {
      const hll = parseHll(value);
      card = hll.count();
      if (card === undefined) fail(INVALID_HLL_ERROR);
      hll.storeCardinality(card);
      // A read that rewrites the cached cardinality: a write to propagate.
      storeHll(ctx, key, hll);
      ctx.server.dirty++;
    }
    ctx.reply.int(card);
  },
};

/** PFMERGE destkey [sourcekey ...] — merges the sources (and destkey itself) into destkey. */
const pfmerge: CommandSpec = {
  name: "pfmerge",
  arity: -2,
  flags: ["write", "denyoom"],
  keys: [1, -1, 1],
  acl: ["write", "hyperloglog", "slow"],
  run(ctx, argv) {
    const db = ctx.db;
    const max = new Uint8Array(HLL_REGISTERS);
    let useDense = false;
    for (let j = 1; j < argv.length; j++) {
      const value = db.lookupRead(argv[j]);
      if (value === undefined) continue;
      const hll = hllOf(value);
      if (hll.encoding === HLL_DENSE) useDense = true;
      if (!hll.mergeInto(max)) fail(INVALID_HLL_ERROR);
    }
    const key = argv[1];
    const current = db.peek(key);
    // Already checked above when it exists.
    const dest = current === undefined ? HyperLogLog.create() : parseHll(current as string);
    if (useDense && !dest.toDense()) fail(INVALID_HLL_ERROR);
    const maxBytes = sparseMaxBytes(ctx);
    for (let j = 0; j < HLL_REGISTERS; j++) {
      if (max[j] !== 0) dest.setRegister(j, max[j], maxBytes);
    }
    dest.invalidateCache();
    storeHll(ctx, key, dest);
    notifyKeyspaceEvent(ctx.server, NOTIFY.STRING, "pfadd", key, ctx.db.id);
    ctx.server.dirty++;
    ctx.reply.ok();
  },
};

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key — internals, for tests. */
const pfdebug: CommandSpec = {
  name: "pfdebug",
  arity: 3,
  flags: ["write", "denyoom", "admin"],
  keys: [2, 2, 1],
  acl: ["write", "hyperloglog", "admin", "slow", "dangerous"],
  run(ctx, argv) {
    const sub = argv[1];
    const key = argv[2];
    const value = ctx.db.peek(key);
    if (value === undefined) fail("ERR The specified key does not exist");
    const hll = hllOf(value);
    noteStringEncoding(ctx.db, key, value as string, "raw");
    const reply = ctx.reply;
    switch (sub.toLowerCase()) {
      case "getreg": {
        if (hll.encoding !== HLL_DENSE) {
          if (!hll.toDense()) fail(INVALID_HLL_ERROR);
          storeHll(ctx, key, hll);
          ctx.server.dirty++; // force propagation of the encoding change
        }
        const registers = hll.denseRegisters();
        reply.array(registers.length);
        for (const r of registers) reply.int(r);
        return;
      }
      case "decode":
        if (hll.encoding !== HLL_SPARSE) fail("ERR HLL encoding is not sparse");
        reply.bulk(hll.decodeSparse());
        return;
      case "encoding":
        reply.simple(hll.encoding === HLL_DENSE ? "dense" : "sparse");
        return;
      case "todense": {
        let converted = false;
        if (hll.encoding !== HLL_DENSE) {
          if (!hll.toDense()) fail(INVALID_HLL_ERROR);
          storeHll(ctx, key, hll);
          converted = true;
          ctx.server.dirty++;
        }
        reply.int(converted ? 1 : 0);
        return;
      }
    }
    fail(`ERR Unknown PFDEBUG subcommand '${sub}'`);
  },
};

/** Rounds of PFSELFTEST's register test (Redis runs 1000). */
const SELFTEST_REGISTER_ROUNDS = 10;
/** Elements PFSELFTEST adds (Redis adds 10M; this keeps the blocking call near a second). */
const SELFTEST_ELEMENTS = 1_000_000;

/**
 * PFSELFTEST — Redis's self test, shortened: register access, then dense and
 * sparse estimates agreeing and staying within error bounds at each power of
 * ten.
 */
const pfselftest: CommandSpec = {
  name: "pfselftest",
  arity: 1,
  flags: ["admin"],
  keys: [0, 0, 0],
  acl: ["hyperloglog", "admin", "slow", "dangerous"],
  run(ctx) {
    const maxBytes = sparseMaxBytes(ctx);
    // Test 1: registers keep what is stored without disturbing their neighbours.
    const bytecounters = new Uint8Array(HLL_REGISTERS);
    for (let round = 0; round < SELFTEST_REGISTER_ROUNDS; round++) {
      const dense = HyperLogLog.create();
      dense.toDense();
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const r = Math.floor(Math.random() * 64);
        bytecounters[i] = r;
        dense.setRegister(i, r, maxBytes);
      }
      const regs = dense.denseRegisters();
      for (let i = 0; i < HLL_REGISTERS; i++) {
        if (regs[i] !== bytecounters[i]) {
          fail(`TESTFAILED Register ${i} should be ${bytecounters[i]} but is ${regs[i]}`);
        }
      }
    }
    // Test 2: approximation error, dense and sparse side by side.
    const dense = HyperLogLog.create();
    dense.toDense();
    const sparse = HyperLogLog.create();
    const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
    let checkpoint = 1;
    const seed = Math.floor(Math.random() * 0x100000000);
    const ele = new Uint8Array(8);
    for (let j = 1; j <= SELFTEST_ELEMENTS; j++) {
      const x = (j ^ seed) >>> 0;
      ele[0] = x & 0xff;
      ele[1] = (x >>> 8) & 0xff;
      ele[2] = (x >>> 16) & 0xff;
      ele[3] = x >>> 24;
      const element = String.fromCharCode(...ele);
      dense.add(element, maxBytes);
      sparse.add(element, maxBytes);
      if (j === checkpoint) {
        if (j < maxBytes / 2 && sparse.encoding === HLL_DENSE) {
          fail("TESTFAILED sparse encoding not used");
        }
        const card = dense.count()!;
        if (card !== sparse.count()) fail("TESTFAILED dense/sparse disagree");
        let maxerr = Math.ceil(relerr * 6 * checkpoint);
        if (j === 10) maxerr = 1;
        const abserr = Math.abs(checkpoint - card);
        if (abserr > maxerr) {
          fail(`TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`);
        }
        checkpoint *= 10;
      }
    }
    ctx.reply.ok();
  },
};

/** The HyperLogLog family. */
export const hyperloglogCommands: readonly CommandSpec[] = [
  pfadd,
  pfcount,
  pfmerge,
  pfdebug,
  pfselftest,
];
