/** The AOF command: BGREWRITEAOF. */
import type { CommandSpec } from "./types.ts";
import { fail } from "../errors.ts";
import { aofOf } from "../persistence/aof.ts";

/**
 * BGREWRITEAOF — rewrites the append only file in the background (also with
 * appendonly no, which leaves a fresh base in appenddirname). While a BGSAVE
 * runs the rewrite is scheduled for when it ends.
 */
const bgrewriteaof: CommandSpec = {
  name: "bgrewriteaof",
  arity: 1,
  flags: ["admin", "noscript", "no_async_loading"],
  keys: [0, 0, 0],
  acl: ["admin", "slow", "dangerous"],
  async run(ctx) {
    const aof = aofOf(ctx.server);
    if (aof.rewriteRunning) fail("ERR Background append only file rewriting already in progress");
    if (ctx.server.rdb.running !== undefined) {
      aof.scheduleRewrite();
      ctx.reply.simple("Background append only file rewriting scheduled");
      return;
    }
    if (await aof.startRewrite()) {
      ctx.reply.simple("Background append only file rewriting started");
    } else {
      ctx.reply.error(
        "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
      );
    }
  },
};

/** The AOF family. */
export const aofCommands: readonly CommandSpec[] = [bgrewriteaof];
