import type { BenchOptions } from "./util.ts";
/** stub */
export function runReplication(_opts: BenchOptions): Promise<string> {
  return Promise.resolve("### replication\n\nn/a");
}
