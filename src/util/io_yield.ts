/**
 * Yielding to the event loop in a way that lets it read the sockets.
 *
 * Deno's runtime polls its sockets only when it has nothing left to run (or
 * once every 61 scheduler ticks). A long job that yields between slices with
 * `setImmediate` always leaves something to run, so a client's request waits
 * about 60 slices (a 2 ms slice: ~120 ms); a zero-delay timer makes the loop
 * wait, but costs about a millisecond a hop (timer granularity).
 *
 * `yieldToIo` writes one byte to a loopback socket pair of its own and waits
 * for it: the loop, with nothing else to run, asks the OS for every ready
 * socket at once, finds the byte already there and goes on without sleeping.
 * Until the pair is connected (or where it cannot be made), a timer does it.
 */

/** The loopback pair: bytes written to `tx` come back on `rx`. */
interface Pair {
  tx: Deno.TcpConn;
  rx: Deno.TcpConn;
}

const ONE_BYTE = new Uint8Array(1);
/** Big enough to drain every byte a set of shared yields wrote. */
const drain = new Uint8Array(64);

let pair: Pair | undefined;
let connecting: Promise<void> | undefined;
/** A yield on its way: every caller meanwhile shares it. */
let inFlight: Promise<void> | undefined;

async function connectPair(): Promise<void> {
  let listener: Deno.TcpListener | undefined;
  try {
    listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted = listener.accept();
    const tx = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const rx = await accepted;
    // (No unref: a job awaiting its yield must keep the process alive; between
    // yields no read is pending, so the pair alone never does.)
    tx.setNoDelay(true);
    pair = { tx, rx };
  } catch {
    // No loopback here: keep yielding with timers.
  } finally {
    listener?.close();
  }
}

function timerYield(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function roundTrip(p: Pair): Promise<void> {
  try {
    await p.tx.write(ONE_BYTE);
    if (await p.rx.read(drain) === null) throw new Error("closed");
  } catch {
    // The pair broke (closed at shutdown): fall back to timers.
    if (pair === p) pair = undefined;
    await timerYield();
  }
}

/** Connects the loopback pair ahead of the first yield (at start-up). */
export function prepareIoYield(): Promise<void> {
  if (pair !== undefined) return Promise.resolve();
  return connecting ??= connectPair();
}

/**
 * Resolves after the event loop has had a chance to read every socket that
 * is ready. Concurrent callers share one round trip.
 */
export function yieldToIo(): Promise<void> {
  if (inFlight !== undefined) return inFlight;
  let next: Promise<void>;
  if (pair !== undefined) next = roundTrip(pair);
  else {
    void prepareIoYield();
    next = timerYield();
  }
  const shared = next.finally(() => {
    inFlight = undefined;
  });
  inFlight = shared;
  return shared;
}

/** Closes the loopback pair (for tests that check for leaked resources). */
export function closeIoYield(): void {
  if (pair === undefined) return;
  const { tx, rx } = pair;
  pair = undefined;
  connecting = undefined;
  for (const conn of [tx, rx]) {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}
