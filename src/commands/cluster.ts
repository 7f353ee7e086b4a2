/**
 * The cluster client commands of a server without cluster support: READONLY,
 * READWRITE and ASKING, which cluster-aware clients send to every node, get
 * the error Redis 7.0 gives when `cluster-enabled` is no. (Redeno runs
 * standalone only, so that is the whole behaviour.)
 *
 * @module
 */
import type { CommandFlag, CommandSpec } from "./types.ts";
import { fail } from "../errors.ts";

/** Redis's reply to a cluster command when cluster mode is off. */
export const CLUSTER_DISABLED = "ERR This instance has cluster support disabled";

function clusterClientCommand(name: string, flags: CommandFlag[]): CommandSpec {
  return {
    name,
    arity: 1,
    flags,
    keys: [0, 0, 0],
    acl: ["fast", "connection"],
    run() {
      fail(CLUSTER_DISABLED);
    },
  };
}

export const clusterCommands: readonly CommandSpec[] = [
  clusterClientCommand("readonly", ["loading", "stale", "fast"]),
  clusterClientCommand("readwrite", ["loading", "stale", "fast"]),
  clusterClientCommand("asking", ["fast"]),
];
