/**
 * DUMP and RESTORE (Redis 7.0's cluster.c), and DEBUG DIGEST /
 * DEBUG DIGEST-VALUE (debug.c), which the DEBUG command reaches through
 * `debugExtensions` (registered when this module loads).
 *
 * A DUMP payload is the value in RDB object form, the RDB version (2 bytes
 * little endian) and a CRC-64 of both (8 bytes little endian): the encoder
 * and decoder of src/persistence do the work, with the server's encoding
 * thresholds and `rdbcompression`, so payloads match Redis's byte for byte.
 *
 * RESTORE with a relative TTL propagates the absolute deadline with ABSTTL
 * appended; a RESTORE whose TTL already passed stores nothing and, when
 * REPLACE removed an old value, propagates a DEL (UNLINK with
 * lazyfree-lazy-server-del), as in Redis. IDLETIME and FREQ are validated
 * and accepted; access times and frequencies are not tracked per key.
 *
 * @module
 */
import { fail, NOT_AN_INTEGER, SYNTAX_ERROR } from "../errors.ts";
import { parseLongLong } from "../util/numbers.ts";
import { bytesToString, stringToBytes } from "../util/bytes.ts";
import { encodeValueForDump } from "../persistence/rdb_encoder.ts";
import { decodeDumpPayload, RdbError } from "../persistence/rdb_decoder.ts";
import { datasetDigest, valueDigest } from "../store/digest.ts";
import { forgetStringEncoding } from "./keys.ts";
import { debugExtensions } from "./server.ts";
import { subcommandSyntaxError } from "./command_info.ts";
import type { CommandContext, CommandSpec } from "./types.ts";
import { NOTIFY, notifyKeyspaceEvent } from "../store/notify.ts";
import type { RedisValue } from "../store/types.ts";
import { unpacked } from "../store/packed.ts";

/** The DUMP payload of `value` with the server's RDB settings (createDumpPayload). */
export function dumpPayload(ctx: CommandContext, value: RedisValue): string {
  const cfg = ctx.server.config;
  const bytes = encodeValueForDump(value, {
    compression: cfg.getBool("rdbcompression"),
    hashMaxListpackEntries: cfg.getNumber("hash-max-listpack-entries"),
    hashMaxListpackValue: cfg.getNumber("hash-max-listpack-value"),
    setMaxIntsetEntries: cfg.getNumber("set-max-intset-entries"),
    zsetMaxListpackEntries: cfg.getNumber("zset-max-listpack-entries"),
    zsetMaxListpackValue: cfg.getNumber("zset-max-listpack-value"),
    listMaxListpackSize: cfg.getNumber("list-max-listpack-size"),
  });
  return bytesToString(bytes);
}

/** DUMP key — the serialized value, or nil. */
const dump: CommandSpec = {
  name: "dump",
  arity: 2,
  flags: ["readonly"],
  keys: [1, 1, 1],
  acl: ["keyspace", "read", "slow"],
  run(ctx, argv) {
    const value = ctx.db.lookupRead(argv[1]);
    if (value === undefined) return ctx.reply.nil();
    ctx.reply.bulk(dumpPayload(ctx, value));
  },
};

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] */
const restore: CommandSpec = {
  name: "restore",
  arity: -4,
  flags: ["write", "denyoom"],
  keys: [1, 1, 1],
  acl: ["keyspace", "write", "slow", "dangerous"],
  run(ctx, argv) {
    let replace = false;
    let absTtl = false;
    let lfuFreq = -1;
    let lruIdle = -1;
    for (let j = 4; j < argv.length; j++) {
      const additional = argv.length - j - 1;
      const option = argv[j].toLowerCase();
      if (option === "replace") {
        replace = true;
      } else if (option === "absttl") {
        absTtl = true;
      } else if (option === "idletime" && additional >= 1 && lfuFreq === -1) {
        const idle = parseLongLong(argv[++j]);
        if (idle === undefined) fail(NOT_AN_INTEGER);
        if (idle < 0) fail("ERR Invalid IDLETIME value, must be >= 0");
        lruIdle = idle;
      } else if (option === "freq" && additional >= 1 && lruIdle === -1) {
        const freq = parseLongLong(argv[++j]);
        if (freq === undefined) fail(NOT_AN_INTEGER);
        if (freq < 0 || freq > 255) fail("ERR Invalid FREQ value, must be >= 0 and <= 255");
        lfuFreq = freq;
      } else {
        fail(SYNTAX_ERROR);
      }
    }
    const db = ctx.db;
    const key = argv[1];
    if (!replace && db.peek(key) !== undefined) fail("BUSYKEY Target key name already exists.");
    let ttl = parseLongLong(argv[2]);
    if (ttl === undefined) fail(NOT_AN_INTEGER);
    if (ttl < 0) fail("ERR Invalid TTL value, must be >= 0");

    let value: RedisValue;
    try {
      value = decodeDumpPayload(stringToBytes(argv[3]));
    } catch (e) {
      if (e instanceof RdbError && e.kind === "payload") {
        fail("ERR DUMP payload version or checksum are wrong");
      }
      fail("ERR Bad data format");
    }

    const deleted = replace && db.delete(key);
    const now = ctx.server.keyspace.now();
    if (ttl !== 0 && !absTtl) ttl += now;
    if (ttl !== 0 && ttl <= now && !ctx.server.keyspace.isReplica()) {
      // Already expired: nothing is stored; a replaced key is gone.
      if (deleted) {
        const lazy = ctx.server.config.getBool("lazyfree-lazy-server-del");
        ctx.propagate([lazy ? "UNLINK" : "DEL", key]);
        notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "del", key, db.id);
        ctx.server.dirty++;
      }
      ctx.reply.ok();
      return;
    }
    db.set(key, value);
    forgetStringEncoding(db, key);
    if (ttl !== 0) {
      db.setExpire(key, ttl);
      if (!absTtl) {
        const rewritten = argv.slice();
        rewritten[2] = String(ttl);
        rewritten.push("ABSTTL");
        ctx.propagate(rewritten);
      }
    }
    notifyKeyspaceEvent(ctx.server, NOTIFY.GENERIC, "restore", key, db.id);
    ctx.server.dirty++;
    ctx.reply.ok();
  },
};

/** 40 zeros: DIGEST-VALUE of a missing key, DIGEST of an empty dataset. */
const ZERO_DIGEST = "0".repeat(40);

// DEBUG DIGEST: the dataset's digest as a status reply.
debugExtensions.set("digest", (ctx, argv) => {
  if (argv.length !== 2) throw subcommandSyntaxError(argv);
  ctx.reply.simple(datasetDigest(ctx.server.keyspace));
});

// DEBUG DIGEST-VALUE key ...: one status reply per key, from the dict directly
// (a logically expired key still has its digest).
debugExtensions.set("digest-value", (ctx, argv) => {
  ctx.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const value = ctx.db.dict.get(argv[j]);
    ctx.reply.simple(
      value === undefined ? ZERO_DIGEST : valueDigest(unpacked(value), ctx.db.expires.has(argv[j])),
    );
  }
});

/** DUMP and RESTORE. */
export const dumpCommands: readonly CommandSpec[] = [dump, restore];
