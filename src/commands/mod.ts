/** Registers every command family in the table. */
import { registerCommands } from "./table.ts";
import { connectionCommands } from "./connection.ts";
import { stringCommands } from "./strings.ts";
import { keyCommands } from "./keys.ts";
import { serverCommands } from "./server.ts";
import { hashCommands } from "./hashes.ts";
import { setCommands } from "./sets.ts";
import { listCommands } from "./lists.ts";
import { zsetCommands } from "./zsets.ts";
import { persistenceCommands } from "./persistence.ts";
import { replicationCommands } from "./replication.ts";
import { aofCommands } from "./aof.ts";
import { bitmapCommands } from "./bitmaps.ts";
import { hyperloglogCommands } from "./hyperloglog.ts";
import { sortCommands } from "./sort.ts";
import { dumpCommands } from "./dump.ts";
import { transactionCommands } from "./transactions.ts";
import { pubsubCommands } from "./pubsub.ts";
import { blockingCommands } from "./blocking.ts";
import { clusterCommands } from "./cluster.ts";
import { memoryCommands } from "./memory.ts";

let registered = false;

/** Fills the command table once. */
export function registerAllCommands(): void {
  if (registered) return;
  registered = true;
  registerCommands(connectionCommands);
  registerCommands(stringCommands);
  registerCommands(keyCommands);
  registerCommands(serverCommands);
  registerCommands(hashCommands);
  registerCommands(setCommands);
  registerCommands(listCommands);
  registerCommands(zsetCommands);
  registerCommands(persistenceCommands);
  registerCommands(replicationCommands);
  registerCommands(aofCommands);
  registerCommands(bitmapCommands);
  registerCommands(hyperloglogCommands);
  registerCommands(sortCommands);
  registerCommands(dumpCommands);
  registerCommands(transactionCommands);
  registerCommands(pubsubCommands);
  registerCommands(blockingCommands);
  registerCommands(clusterCommands);
  registerCommands(memoryCommands);
}
