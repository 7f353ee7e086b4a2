/** Persistence commands: SAVE, BGSAVE, LASTSAVE. */
import type { CommandSpec } from "./types.ts";
import { fail, SYNTAX_ERROR } from "../errors.ts";
import { debugExtensions } from "./server.ts";
import { loadRdbBytes, readRdbFile } from "../persistence/rdb_loader.ts";
import { Keyspace } from "../store/keyspace.ts";
import { unpacked } from "../store/packed.ts";
import { log } from "../log.ts";

/** SAVE — a foreground save; Redeno keeps serving other clients while it runs. */
const save: CommandSpec = {
  name: "save",
  arity: 1,
  flags: ["admin", "noscript", "no_async_loading", "no_multi"],
  keys: [0, 0, 0],
  acl: ["admin", "slow", "dangerous"],
  async run(ctx) {
    const rdb = ctx.server.rdb;
    if (rdb.running !== undefined) fail("ERR Background save already in progress");
    const ok = await rdb.bgsave("foreground").done;
    if (ok) ctx.reply.ok();
    else ctx.reply.error("ERR");
  },
};

/** BGSAVE [SCHEDULE] */
const bgsave: CommandSpec = {
  name: "bgsave",
  arity: -1,
  flags: ["admin", "noscript", "no_async_loading"],
  keys: [0, 0, 0],
  acl: ["admin", "slow", "dangerous"],
  run(ctx, argv) {
    const schedule = argv.length === 2 && argv[1].toLowerCase() === "schedule";
    if (argv.length > 2 || (argv.length === 2 && !schedule)) fail(SYNTAX_ERROR);
    const server = ctx.server;
    if (server.rdb.running !== undefined) {
      fail("ERR Background save already in progress");
    }
    if (server.aofRewriteRunning()) {
      if (!schedule) {
        fail(
          "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
        );
      }
      server.rdb.scheduled = true;
      ctx.reply.simple("Background saving scheduled");
      return;
    }
    server.rdb.bgsave("user");
    ctx.reply.simple("Background saving started");
  },
};

/** LASTSAVE — unix time of the last successful save. */
const lastsave: CommandSpec = {
  name: "lastsave",
  arity: 1,
  flags: ["loading", "stale", "fast"],
  keys: [0, 0, 0],
  acl: ["admin", "fast", "dangerous"],
  run(ctx) {
    ctx.reply.int(ctx.server.rdb.lastSave);
  },
};

/** The persistence family. */
export const persistenceCommands: readonly CommandSpec[] = [save, bgsave, lastsave];

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the dataset (unless NOSAVE),
 * then load dbfilename back; MERGE/NOFLUSH keep the current keys and load
 * over them. The file is decoded completely before anything changes.
 */
debugExtensions.set("reload", async (ctx, argv) => {
  let merge = false;
  let flush = true;
  let save = true;
  for (const option of argv.slice(2)) {
    const lower = option.toLowerCase();
    if (lower === "merge") merge = true;
    else if (lower === "noflush") flush = false;
    else if (lower === "nosave") save = false;
    else fail("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
  }
  const server = ctx.server;
  if (save && !(await server.rdb.bgsave("foreground").done)) fail("ERR");
  const bytes = await readRdbFile(server.config.getString("dbfilename"));
  if (bytes === undefined) fail("ERR Error trying to load the RDB dump, check server logs.");
  const options = {
    dropExpired: !server.replication.isReplica,
    verifyChecksum: server.config.getBool("rdbchecksum"),
  };
  try {
    if (flush && !merge) {
      loadRdbBytes(bytes, server.keyspace, options);
    } else {
      // Decode into a scratch keyspace, then copy over the live one.
      const scratch = new Keyspace(server.keyspace.dbs.length);
      loadRdbBytes(bytes, scratch, options);
      for (const source of scratch.dbs) {
        const target = server.keyspace.dbs[source.id];
        for (const [key, value] of source.dict) {
          target.set(key, unpacked(value));
          const when = source.expires.get(key);
          if (when !== undefined) target.setExpire(key, when);
        }
      }
    }
  } catch (err) {
    log.warning(`${(err as Error).message}`);
    fail("ERR Error trying to load the RDB dump, check server logs.");
  }
  log.warning("DB reloaded by DEBUG RELOAD");
  ctx.reply.ok();
});
