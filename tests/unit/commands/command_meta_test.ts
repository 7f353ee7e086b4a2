import assert from "node:assert/strict";
import { lookupCommand } from "../../../src/commands/table.ts";
import { commandMeta } from "../../../src/commands/types.ts";
import { registerAllCommands } from "../../../src/commands/mod.ts";

registerAllCommands();

Deno.test("batch-shared timing: @fast commands and the SET family, not MSET or slow commands", () => {
  const shared = (name: string) => commandMeta(lookupCommand(name)!).sharedTiming;
  for (
    const name of ["get", "incr", "lpush", "hset", "set", "setnx", "setex", "psetex", "getset"]
  ) {
    assert.ok(shared(name), name);
  }
  for (const name of ["mset", "msetnx", "keys", "sort", "lrange", "debug"]) {
    assert.ok(!shared(name), name);
  }
  // The latency monitor's "fast-command" event still follows Redis's own flag.
  assert.equal(commandMeta(lookupCommand("set")!).fast, false);
  assert.equal(commandMeta(lookupCommand("get")!).fast, true);
});
