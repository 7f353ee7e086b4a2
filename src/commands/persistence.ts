/** Persistence commands: SAVE, BGSAVE, LASTSAVE. */
import type { CommandSpec } from "./types.ts";
import { fail, SYNTAX_ERROR } from "../errors.ts";

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
