/** The AOF commands: BGREWRITEAOF, and DEBUG LOADAOF. */
import type { CommandSpec } from "./types.ts";
import { fail } from "../errors.ts";
import { aofOf } from "../persistence/aof.ts";
import { debugExtensions } from "./server.ts";
import { log } from "../log.ts";

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

/**
 * DEBUG LOADAOF (debug.c): the dataset is emptied and the AOF directory
 * loaded again. As in Redis, files that do not load (no AOF at all
 * included) end the process with exit code 1, and the load does not count
 * as changes. Clients get -LOADING meanwhile, where Redis's would wait.
 */
debugExtensions.set("loadaof", async (ctx) => {
  const server = ctx.server;
  server.loading = true;
  let loaded: boolean;
  try {
    loaded = await aofOf(server).reload();
  } finally {
    server.loading = false;
  }
  if (!loaded) Deno.exit(1);
  server.dirty = 0;
  log.warning("Append Only File loaded by DEBUG LOADAOF");
  ctx.reply.ok();
});
