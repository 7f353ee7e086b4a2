/** When the parent of `daemonize yes` counts its daemon as ready. */
import assert from "node:assert/strict";
import { servesCommands } from "../../src/daemonize.ts";

/** A listener on a free port that answers every connection's first read with `reply`. */
async function replyingWith(reply: string, check: (port: number) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(64);
      if (await conn.read(buf) !== null) await conn.write(new TextEncoder().encode(reply));
      conn.close();
    }
  })();
  try {
    await check((listener.addr as Deno.NetAddr).port);
  } finally {
    listener.close();
    await served.catch(() => {});
  }
}

Deno.test("a daemon answering -LOADING is not ready yet; PONG and -NOAUTH are ready", async () => {
  await replyingWith("-LOADING Redis is loading the dataset in memory\r\n", async (port) => {
    assert.equal(await servesCommands(port), false);
  });
  await replyingWith("+PONG\r\n", async (port) => {
    assert.equal(await servesCommands(port), true);
  });
  await replyingWith("-NOAUTH Authentication required.\r\n", async (port) => {
    assert.equal(await servesCommands(port), true);
  });
});

Deno.test("nothing listening is not ready", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  assert.equal(await servesCommands(port), false);
});
