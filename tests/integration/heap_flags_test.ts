/** `deno run -A main.ts` runs with V8's young generation bounded (src/util/heap_flags.ts). */
import assert from "node:assert/strict";
import { command, startRedeno } from "../helpers/server_process.ts";
import { HEAP_FLAGS } from "../../src/util/heap_flags.ts";

/** The environment of process `pid`, from /proc. */
function environ(pid: number): Map<string, string> {
  const entries = Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0").filter((e) => e !== "");
  return new Map(entries.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

Deno.test({
  name: "the server re-executes itself in place with the heap flags, once",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const server = await startRedeno();
    try {
      // Same pid as spawned (execve), now with DENO_V8_FLAGS, and serving.
      const env = environ(server.pid);
      assert.equal(env.get("DENO_V8_FLAGS"), HEAP_FLAGS);
      assert.equal(env.get("REDENO_HEAP_FLAGS"), "1");
      assert.equal(await command(server.port, "PING"), "PONG");
      const info = String(await command(server.port, "INFO", "server"));
      assert.match(info, new RegExp(`process_id:${server.pid}\\r\\n`));
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "V8 flags the operator set in DENO_V8_FLAGS are kept as they are",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const server = await startRedeno([], { env: { DENO_V8_FLAGS: "--max-semi-space-size=16" } });
    try {
      const env = environ(server.pid);
      assert.equal(env.get("DENO_V8_FLAGS"), "--max-semi-space-size=16");
      assert.equal(env.has("REDENO_HEAP_FLAGS"), false);
      assert.equal(await command(server.port, "PING"), "PONG");
    } finally {
      await server.stop();
    }
  },
});
