/**
 * yieldToIo: a job that yields with it between slices lets a socket read
 * complete at once, where a chain of immediates starves the read (Deno polls
 * its sockets only when it has nothing else to run).
 */
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { closeIoYield, prepareIoYield, yieldToIo } from "../../../src/util/io_yield.ts";

/** Hops a job makes until a byte already sent to a socket has been read (at most `limit`). */
async function hopsUntilRead(hop: () => Promise<void>, limit: number): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await accepted;
  listener.close();
  try {
    let read = false;
    const reading = server.read(new Uint8Array(8)).then(() => {
      read = true;
    });
    await client.write(new Uint8Array([1]));
    let hops = 0;
    while (!read && hops < limit) {
      // A slice of work, then the yield under test.
      const end = performance.now() + 0.2;
      while (performance.now() < end) { /* busy */ }
      await hop();
      hops++;
    }
    await reading;
    return hops;
  } finally {
    client.close();
    server.close();
  }
}

Deno.test("yieldToIo lets ready sockets be read between slices; immediates do not", async () => {
  await prepareIoYield();
  try {
    const withYield = await hopsUntilRead(yieldToIo, 200);
    assert.ok(withYield <= 2, `read after ${withYield} yields`);
    const withImmediates = await hopsUntilRead(() => new Promise((r) => setImmediate(r)), 20);
    assert.equal(withImmediates, 20, "immediates starve the socket (Deno's I/O polling changed?)");
  } finally {
    closeIoYield();
  }
});

Deno.test("concurrent yields share one round trip and all resolve", async () => {
  await prepareIoYield();
  try {
    const first = yieldToIo();
    assert.equal(yieldToIo(), first);
    await Promise.all([first, yieldToIo()]);
    for (let i = 0; i < 100; i++) await yieldToIo();
  } finally {
    closeIoYield();
  }
});

Deno.test("after the pair is closed, yields fall back to timers", async () => {
  closeIoYield();
  await yieldToIo();
  closeIoYield();
});
