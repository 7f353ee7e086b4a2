/**
 * Wires persistence into the server: the save-point cron, the MISCONF guard,
 * the final save at shutdown, and INFO persistence.
 */
import type { Server, ShutdownOptions } from "../server.ts";
import { log } from "../log.ts";
import { commandMeta } from "../commands/types.ts";
import { loadRdb, readRdbFile, removeStaleTempFiles } from "./rdb_loader.ts";
import { prewarmSnapshotWorker } from "./snapshot_pipe.ts";
import { type RdbAuxInfo, RdbError } from "./rdb_decoder.ts";
import { aofOf, installAof } from "./aof.ts";
import { prepareIoYield } from "../util/io_yield.ts";

/** Redis's reply when writes are refused after a failed save (stop-writes-on-bgsave-error). */
export const MISCONF_ERROR =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/** Installs the persistence hooks on a server. */
export function installPersistence(server: Server): void {
  const rdb = server.rdb;
  // Starting a worker blocks the thread for a while: do it before the
  // listeners open, not at the first save (nor while clients wait on -LOADING).
  prewarmSnapshotWorker();
  // The walk's way of letting clients in between its slices.
  void prepareIoYield();
  server.cronJobs.push((now) => rdb.cron(now));
  const aof = installAof(server);

  // Clients may connect while the start-up load runs (the listeners open first):
  // like Redis, only commands flagged "loading" run until the dataset is in.
  server.guards.push((_client, cmd) =>
    server.loading && !commandMeta(cmd).loading
      ? "LOADING Redis is loading the dataset in memory"
      : undefined
  );

  server.guards.push((client, cmd) => {
    if (rdb.lastBgsaveOk || client.flags.master) return undefined;
    // (cold path from here: only after a failed save)
    if (!server.config.getBool("stop-writes-on-bgsave-error")) return undefined;
    if (server.config.savePoints().length === 0) return undefined;
    if (!cmd.flags.includes("write") && cmd.name !== "ping") return undefined;
    return MISCONF_ERROR;
  });

  server.shutdownHooks.push(async (opts: ShutdownOptions) => {
    if (rdb.running !== undefined) {
      log.warning("There is a child saving an .rdb. Killing it!");
      rdb.running.snapshot.abort("killed by shutdown");
    }
    // Redis's prepareForShutdown: the AOF (kill a rewrite, flush, fsync) before the final save.
    if (!(await aof.prepareForShutdown(opts))) return false;
    // Redis's prepareForShutdown: never a save while a dataset is being loaded, which
    // would overwrite the file with the old or a partial dataset (SHUTDOWN SAVE too).
    const wantSave = !server.loading && (opts.save === "save" ||
      (opts.save === "default" && server.config.savePoints().length > 0));
    if (!wantSave) return true;
    log.notice("Saving the final RDB snapshot before exiting.");
    const ok = await rdb.bgsave("shutdown").done;
    if (!ok) {
      log.warning("Error trying to save the DB, can't exit.");
      return false;
    }
    return true;
  });

  server.infoProviders.set("persistence", () => [
    ["loading", server.loading ? 1 : 0],
    ["async_loading", 0],
    ["current_cow_peak", 0],
    ["current_cow_size", 0],
    ["current_cow_size_age", 0],
    ["current_fork_perc", "0.00"],
    ["current_save_keys_processed", rdb.running?.snapshot.keysProcessed ?? 0],
    ["current_save_keys_total", rdb.running?.snapshot.keysTotal ?? 0],
    ...rdb.infoFields(),
    ...server.aofInfoFields(),
    ["module_fork_in_progress", 0],
    ["module_fork_last_cow_size", 0],
    ...aof.extraInfoFields(),
  ]);
}

/**
 * Start-up load (Redis's aofLoadManifestFromDisk, loadDataFromDisk,
 * aofOpenIfNeededOnServerStart, aofDelHistoryFiles): with appendonly yes the
 * AOF is loaded instead of the RDB. Returns the aux fields of the RDB (a
 * replica reads its cached master from them), or exits the process like
 * Redis when a file is unreadable or corrupt.
 */
export async function loadDataAtStartup(server: Server): Promise<RdbAuxInfo | undefined> {
  try {
    await removeStaleTempFiles(".");
  } catch {
    // an unreadable dir shows up below
  }
  const aof = aofOf(server);
  server.loading = true;
  try {
    await aof.loadManifestAtStartup();
    let aux: RdbAuxInfo | undefined;
    if (server.config.getBool("appendonly")) await aof.loadAtStartup();
    else aux = await loadRdbAtStartup(server);
    await aof.openAtStartup();
    await aof.deleteHistoryFiles();
    return aux;
  } finally {
    server.loading = false;
  }
}

/** The RDB branch of loadDataFromDisk: `dir/dbfilename`. */
async function loadRdbAtStartup(server: Server): Promise<RdbAuxInfo | undefined> {
  const start = performance.now();
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readRdbFile(server.config.getString("dbfilename"));
  } catch (err) {
    log.warning(`Fatal error loading the DB: ${(err as Error).message}. Exiting.`);
    Deno.exit(1);
  }
  if (bytes === undefined) return undefined;
  try {
    // Decoded in the load worker: the event loop stays free, clients get -LOADING meanwhile.
    const result = await loadRdb({ kind: "bytes", bytes }, server.keyspace, {
      dropExpired: server.config.replicaOf() === undefined,
      verifyChecksum: server.config.getBool("rdbchecksum"),
    });
    server.rdb.lastLoadKeysLoaded = result.keysLoaded;
    server.rdb.lastLoadKeysExpired = result.keysExpired;
    log.notice(`DB loaded from disk: ${((performance.now() - start) / 1000).toFixed(3)} seconds`);
    return result.aux;
  } catch (err) {
    if (err instanceof RdbError) {
      log.warning(`${err.message}`);
      log.warning("Fatal error loading the DB, check server logs. Exiting.");
      Deno.exit(1);
    }
    throw err;
  }
}
