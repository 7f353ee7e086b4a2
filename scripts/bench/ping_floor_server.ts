/**
 * The I/O floor: the least a Deno server can do per request. It answers every
 * `*1\r\n$4\r\nPING\r\n` with `+PONG\r\n` — no parser, no dispatch, no stats —
 * with the same I/O as Redeno (a `conn.read` loop into one buffer, one
 * `conn.write` per read). Run by the "floor" bench section only.
 *
 *   deno run -A scripts/bench/ping_floor_server.ts <port>
 */
const port = Number(Deno.args[0]);
const PONG = new TextEncoder().encode("+PONG\r\n");
/** Lines of one PING_MBULK request. */
const LINES_PER_PING = 3;

async function serve(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const input = new Uint8Array(16 * 1024);
  let output = new Uint8Array(16 * 1024);
  let lines = 0;
  try {
    while (true) {
      const n = await conn.read(input);
      if (n === null) return;
      let replies = 0;
      for (let i = 0; i < n; i++) {
        if (input[i] === 10 && ++lines === LINES_PER_PING) {
          lines = 0;
          replies++;
        }
      }
      if (replies * PONG.length > output.length) output = new Uint8Array(replies * PONG.length);
      for (let r = 0; r < replies; r++) output.set(PONG, r * PONG.length);
      let at = 0;
      while (at < replies * PONG.length) {
        at += await conn.write(output.subarray(at, replies * PONG.length));
      }
    }
  } catch {
    // the peer went away
  } finally {
    conn.close();
  }
}

for await (const conn of Deno.listen({ hostname: "127.0.0.1", port })) serve(conn);
