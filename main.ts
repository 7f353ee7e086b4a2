/**
 * Redeno's entry point: `redeno [/path/to/redis.conf] [--directive value …]`,
 * the same arguments `redis-server` takes.
 *
 * Layout (see ../shared/DESIGN.md):
 * - src/config.ts      redis.conf parsing and the parameter table
 * - src/log.ts         Redis-format log lines
 * - src/server.ts      listeners, clients, stats, cron
 * - src/net/           RESP decoding/encoding and connections
 * - src/commands/      the command table, the dispatcher and one file per family
 * - src/store/         the keyspace and data structures
 * - src/persistence/   RDB, snapshots, AOF
 * - src/replication/   master and replica sides
 */
import { reexecWithHeapFlags } from "./src/util/heap_flags.ts";

if (import.meta.main) {
  // Before the server's modules load: a re-executed process loads them once.
  reexecWithHeapFlags();
  const { startServer } = await import("./src/startup.ts");
  const code = await startServer(Deno.args);
  if (code !== undefined) Deno.exit(code);
}
