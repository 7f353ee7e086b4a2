/**
 * Real server processes for integration tests: Redeno (`deno run -A main.ts`)
 * and the reference redis-server 7.0, started on free ports with their output
 * collected, stopped with SIGTERM (SIGKILL after a grace period); redis-cli
 * runs; and a small raw RESP connection for talking to either server byte
 * for byte.
 *
 * Every process a test starts must be stopped in a `finally` so Deno's
 * resource and op sanitizers stay happy.
 */

import { encodeRequest, ErrorReply, type Reply } from "./resp_client.ts";

/** The repository root (this file lives in tests/helpers/). */
export const REPO_ROOT: string = new URL("../../", import.meta.url).pathname;

/** How long a server may take to answer its first PING. */
export const STARTUP_TIMEOUT_MS = 15_000;
/** How long `stop()` waits after SIGTERM before sending SIGKILL. */
export const STOP_GRACE_MS = 5_000;

/** A port that was free a moment ago (bind port 0, read it, close). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A running server process. */
export interface ServerProcess {
  /** The TCP port the server listens on (127.0.0.1). */
  readonly port: number;
  readonly pid: number;
  /** The data directory (`--dir`), removed by `stop()` unless given by the caller. */
  readonly dir: string;
  /** Everything the process wrote to stdout and stderr so far. */
  log(): string;
  /** SIGTERM, then SIGKILL after STOP_GRACE_MS; resolves when the process has exited. */
  stop(): Promise<Deno.CommandStatus>;
  /** SIGKILL; resolves when the process has exited. */
  kill9(): Promise<Deno.CommandStatus>;
  /** Resolves when the process exits on its own. */
  readonly status: Promise<Deno.CommandStatus>;
}

/** Options for `startRedeno` / `startRedis`. */
export interface StartOptions {
  /** Port to listen on; a free one by default. */
  port?: number;
  /** Data directory; a fresh temp dir (removed on stop) by default. */
  dir?: string;
  /** Start-up timeout; STARTUP_TIMEOUT_MS by default. */
  timeoutMs?: number;
  /** Don't wait for PING (for servers expected to fail at start-up). */
  noWait?: boolean;
  /** Password to AUTH with while waiting for the first PING (a NOAUTH answer also counts as up). */
  password?: string;
  /** Environment variables added to the process's. */
  env?: Record<string, string>;
}

/**
 * Starts Redeno: `deno run -A main.ts --port P --dir D [--bind 127.0.0.1] [--save ""] … args`.
 * `--bind 127.0.0.1`, `--save ""` and `--appendonly no` are added unless `args` sets them.
 */
export function startRedeno(args: string[] = [], opts: StartOptions = {}): Promise<ServerProcess> {
  return startProcess(Deno.execPath(), ["run", "-A", `${REPO_ROOT}main.ts`], args, opts);
}

/** Starts the reference redis-server 7.0 with the same defaults as `startRedeno`. */
export function startRedis(args: string[] = [], opts: StartOptions = {}): Promise<ServerProcess> {
  return startProcess("redis-server", [], args, opts);
}

/** Attempts at a fresh free port when the one picked was taken before the server bound it. */
const PORT_ATTEMPTS = 3;

async function startProcess(
  command: string,
  prefix: string[],
  args: string[],
  opts: StartOptions,
): Promise<ServerProcess> {
  for (let attempt = 1;; attempt++) {
    try {
      return await startOnce(command, prefix, args, opts);
    } catch (err) {
      // freePort() can race with another process grabbing the port before we bind it.
      const portRace = err instanceof PortTaken ||
        /Address already in use|Could not create server TCP listening socket/.test(String(err));
      if (opts.port !== undefined || !portRace || attempt === PORT_ATTEMPTS) throw err;
    }
  }
}

/** Another process answered on the port picked for a new server. */
class PortTaken extends Error {}

async function startOnce(
  command: string,
  prefix: string[],
  args: string[],
  opts: StartOptions,
): Promise<ServerProcess> {
  const port = opts.port ?? freePort();
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? await Deno.makeTempDir({ prefix: "redeno_test_" });
  const all = [...prefix];
  // A config file must come first, as with redis-server (give an absolute
  // path: the process runs in `dir`).
  let rest = args;
  if (rest.length > 0 && !rest[0].startsWith("--")) {
    all.push(rest[0]);
    rest = rest.slice(1);
  }
  all.push("--port", String(port), "--dir", dir);
  // Loopback only: tests must not listen on every interface.
  if (!rest.includes("--bind")) all.push("--bind", "127.0.0.1");
  if (!rest.includes("--save")) all.push("--save", "");
  if (!rest.includes("--appendonly")) all.push("--appendonly", "no");
  all.push(...rest);

  const child = new Deno.Command(command, {
    args: all,
    cwd: dir,
    env: opts.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder(); // one per stream: chunks may split a UTF-8 sequence
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await pumps;
    return s;
  });

  const signal = (name: Deno.Signal) => {
    try {
      child.kill(name);
    } catch {
      // already gone
    }
  };
  let stopping: Promise<Deno.CommandStatus> | undefined;
  /** SIGTERM (SIGKILL after the grace period) or SIGKILL at once; then the temp dir goes. */
  const terminate = (graceful: boolean): Promise<Deno.CommandStatus> => {
    stopping ??= (async () => {
      if (!exited) {
        signal(graceful ? "SIGTERM" : "SIGKILL");
        if (graceful && await exceeds(status, STOP_GRACE_MS)) signal("SIGKILL");
      }
      const s = await status;
      if (ownDir) await Deno.remove(dir, { recursive: true }).catch(() => {});
      return s;
    })();
    return stopping;
  };
  const server: ServerProcess = {
    port,
    pid: child.pid,
    dir,
    status,
    log: () => output,
    stop: () => terminate(true),
    kill9: () => terminate(false),
  };
  if (opts.noWait) return server;
  try {
    await waitForPing(port, opts.timeoutMs ?? STARTUP_TIMEOUT_MS, () => exited, opts.password);
    if (opts.password === undefined && !(await answeredBy(port, child.pid))) {
      throw new PortTaken(`another process answers on port ${port}`);
    }
  } catch (err) {
    await server.kill9();
    if (err instanceof PortTaken) throw err;
    throw new Error(`${command} did not start: ${(err as Error).message}\n--- log ---\n${output}`);
  }
  return server;
}

/** True when the server on `port` is process `pid` (INFO server's process_id). */
async function answeredBy(port: number, pid: number): Promise<boolean> {
  try {
    const conn = await RespConnection.open(port);
    try {
      const info = await conn.call("INFO", "server");
      return typeof info !== "string" || info.includes(`process_id:${pid}\r\n`);
    } finally {
      await conn.close();
    }
  } catch {
    return true; // cannot tell; the test will say what is wrong
  }
}

async function waitForPing(
  port: number,
  timeoutMs: number,
  exited: () => boolean,
  password?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (exited()) throw new Error("the process exited");
    try {
      const conn = await RespConnection.open(port);
      try {
        if (password !== undefined) await conn.call("AUTH", password);
        const reply = await conn.call("PING");
        // NOAUTH also means the server is up and serving.
        if (
          reply === "PONG" || (reply instanceof ErrorReply && reply.message.startsWith("NOAUTH"))
        ) {
          return;
        }
        last = JSON.stringify(reply);
      } finally {
        await conn.close();
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await delay(100);
  }
  throw new Error(`no PONG within ${timeoutMs} ms (${last})`);
}

/** True when `promise` has not settled within `ms` milliseconds. */
async function exceeds(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = await Promise.race([
    promise.then(() => false),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), ms)),
  ]);
  clearTimeout(timer);
  return late;
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What a redis-cli run printed and its exit code. */
export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `redis-cli -p port …args` (stdout is a pipe, so redis-cli prints raw replies). */
export function redisCli(port: number, ...args: string[]): Promise<CliResult> {
  return redisCliWithInput(port, args);
}

/** Runs `redis-cli -p port …args` with `input` on its stdin. */
export async function redisCliWithInput(
  port: number,
  args: string[],
  input?: string | Uint8Array,
): Promise<CliResult> {
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(port), ...args],
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(typeof input === "string" ? latin1Bytes(input) : input);
    await writer.close();
  }
  const out = await child.output();
  return {
    stdout: latin1String(out.stdout),
    stderr: latin1String(out.stderr),
    code: out.code,
  };
}

// ---------------------------------------------------------------------------
// Raw connections: RESP over TCP, byte for byte.
// ---------------------------------------------------------------------------

/** A byte string (one char code 0–255 per byte) as bytes. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Bytes as a byte string (identity mapping, never TextDecoder("latin1")). */
export function latin1String(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

/** How long `RespConnection` waits for a reply before giving up. */
export const REPLY_TIMEOUT_MS = 10_000;

/**
 * One TCP connection with a background reader. Send raw bytes or commands,
 * read parsed replies, or everything until the server closes the connection.
 * `close()` must be awaited (it ends the background read).
 */
export class RespConnection {
  #conn: Deno.TcpConn;
  #data = "";
  #closedByPeer = false;
  #closing = false;
  #reader: Promise<void>;
  #wake: (() => void) | undefined;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.#reader = this.#readLoop();
  }

  /** Connects to 127.0.0.1:port. */
  static async open(port: number): Promise<RespConnection> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    return new RespConnection(conn);
  }

  async #readLoop(): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        this.#data += latin1String(buf.subarray(0, n));
        this.#wake?.();
      }
    } catch {
      // reset by the peer, or closed by us
    }
    this.#closedByPeer = !this.#closing;
    this.#wake?.();
  }

  /** True once the server has closed the connection (EOF or reset). */
  get closedByPeer(): boolean {
    return this.#closedByPeer;
  }

  /** Bytes received and not yet consumed by `reply()`. */
  get pending(): string {
    return this.#data;
  }

  /** Sends raw bytes; false when the server had already closed the connection. */
  async send(data: string | Uint8Array): Promise<boolean> {
    const bytes = typeof data === "string" ? latin1Bytes(data) : data;
    try {
      let off = 0;
      while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
      return true;
    } catch {
      return false;
    }
  }

  /** Sends a command as a RESP multibulk request and returns its reply. */
  async call(...args: Array<string | number>): Promise<Reply> {
    await this.send(encodeRequest(args.map(String)));
    return await this.reply();
  }

  /** Waits until something happens (data, close) or `ms` elapse. */
  async #waitEvent(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    this.#wake = undefined;
    clearTimeout(timer);
  }

  /** Parses the next reply; throws when none arrives within `timeoutMs`. */
  async reply(timeoutMs = REPLY_TIMEOUT_MS): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const parsed = parseReply(this.#data, 0);
      if (parsed !== undefined) {
        this.#data = this.#data.slice(parsed.end);
        return parsed.value;
      }
      if (this.#closedByPeer) throw new Error("connection closed by the server");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms`);
      await this.#waitEvent(left);
    }
  }

  /**
   * Waits until the server closes the connection or `timeoutMs` pass; returns
   * every byte received (and not consumed) and whether the server closed.
   */
  async readUntilClosed(timeoutMs: number): Promise<{ data: string; closed: boolean }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closedByPeer) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await this.#waitEvent(left);
    }
    const data = this.#data;
    this.#data = "";
    return { data, closed: this.#closedByPeer };
  }

  /** Closes our side and waits for the background reader to stop. */
  async close(): Promise<void> {
    this.#closing = !this.#closedByPeer;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    await this.#reader;
  }
}

/**
 * Parses one RESP2/RESP3 reply starting at `pos` of a byte string; undefined
 * when incomplete. Unlike `RespClient` this works on bytes already received,
 * e.g. everything a server sent before it closed the connection.
 */
export function parseReply(data: string, pos: number): { value: Reply; end: number } | undefined {
  const eol = data.indexOf("\r\n", pos);
  if (eol === -1) return undefined;
  const type = data[pos];
  const line = data.slice(pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new ErrorReply(line), end: next };
    case ":":
      return { value: Number.isSafeInteger(Number(line)) ? Number(line) : BigInt(line), end: next };
    case ",":
      return { value: line, end: next };
    case "#":
      return { value: line === "t", end: next };
    case "_":
      return { value: null, end: next };
    case "$":
    case "=":
    case "!": {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (data.length < next + len + 2) return undefined;
      const body = data.slice(next, next + len);
      if (type === "!") return { value: new ErrorReply(body), end: next + len + 2 };
      return { value: body, end: next + len + 2 };
    }
    case "*":
    case "~":
    case ">":
    case "%": {
      // Maps become arrays of alternating keys and values, as in resp_client.ts.
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let p = next;
      for (let i = 0; i < (type === "%" ? count * 2 : count); i++) {
        const item = parseReply(data, p);
        if (item === undefined) return undefined;
        items.push(item.value);
        p = item.end;
      }
      return { value: items, end: p };
    }
    default:
      throw new Error(`not a RESP reply at ${pos}: ${JSON.stringify(data.slice(pos, pos + 40))}`);
  }
}

/** Opens a connection, runs one command, closes; returns the reply. */
export async function command(port: number, ...args: Array<string | number>): Promise<Reply> {
  const conn = await RespConnection.open(port);
  try {
    return await conn.call(...args);
  } finally {
    await conn.close();
  }
}

/** The fields of an INFO reply as a map (`used_memory` → "123"). */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}
