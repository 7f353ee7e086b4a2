/**
 * A small RESP2 client for the benchmark: one connection, pipelining by
 * expectation (each write says how many replies it waits for), a read loop
 * into one reused buffer. All bench data is ASCII, so commands are encoded
 * with `TextEncoder` and replies decoded byte for byte.
 */

/** An error reply from the server (`-ERR …`). */
export class ServerError {
  /** The error text without the leading `-`. */
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** A decoded RESP2 reply. */
export type Reply = string | number | null | ServerError | Reply[];

/** What a pipelined write got back. */
export interface BatchResult {
  /** Replies received for the batch. */
  replies: number;
  /** How many of them were errors. */
  errors: number;
  /** The first error, if any. */
  firstError?: string;
}

interface Expectation {
  count: number;
  remaining: number;
  errors: number;
  firstError?: string;
  collected?: Reply[];
  resolve(result: BatchResult, collected?: Reply[]): void;
  reject(err: Error): void;
}

const INITIAL_BUFFER = 256 * 1024;
const MIN_READ_ROOM = 64 * 1024;
const encoder = new TextEncoder();

/** Decodes bytes one char code per byte (ASCII/latin1 identity). */
export function bytesToString(buf: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i += 8192) {
    const slice = buf.subarray(i, Math.min(end, i + 8192));
    out += String.fromCharCode.apply(null, slice as unknown as number[]);
  }
  return out;
}

/** The RESP encoding of one command (ASCII arguments). */
export function commandText(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${a.length}\r\n${a}\r\n`;
  return out;
}

/** The RESP encoding of several commands as bytes. */
export function encodeCommands(commands: readonly (readonly string[])[]): Uint8Array {
  const parts: string[] = [];
  for (const c of commands) parts.push(commandText(c));
  return encoder.encode(parts.join(""));
}

/** One RESP connection to a server. */
export class RespClient {
  #conn: Deno.TcpConn;
  #buf = new Uint8Array(INITIAL_BUFFER);
  #start = 0;
  #end = 0;
  #value: Reply = null;
  #queue: Expectation[] = [];
  #closed = false;
  #closeError: Error | undefined;
  #writing: Promise<void> = Promise.resolve();

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    conn.setNoDelay(true);
    this.#readLoop();
  }

  /** Connects to 127.0.0.1:port. */
  static async connect(port: number): Promise<RespClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    return new RespClient(conn);
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one command and returns its reply (errors are returned as `ServerError`). */
  async command(...args: string[]): Promise<Reply> {
    const { collected } = await this.#expect(encoder.encode(commandText(args)), 1, true);
    return collected![0];
  }

  /** Sends pre-encoded commands and waits for `count` replies (counted, not kept). */
  async sendBatch(bytes: Uint8Array, count: number): Promise<BatchResult> {
    return (await this.#expect(bytes, count, false)).result;
  }

  /** Sends pre-encoded commands and returns their `count` replies. */
  async sendCollect(bytes: Uint8Array, count: number): Promise<Reply[]> {
    return (await this.#expect(bytes, count, true)).collected!;
  }

  /** Closes the connection; pending expectations are rejected. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer.
    }
  }

  #expect(
    bytes: Uint8Array,
    count: number,
    collect: boolean,
  ): Promise<{ result: BatchResult; collected?: Reply[] }> {
    if (this.#closed) {
      return Promise.reject(this.#closeError ?? new Error("connection closed"));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({
        count,
        remaining: count,
        errors: 0,
        collected: collect ? [] : undefined,
        resolve: (result, collected) => resolve({ result, collected }),
        reject,
      });
      this.#writing = this.#writing.then(() => this.#writeAll(bytes)).catch((err) => {
        this.#fail(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
  }

  #fail(err: Error): void {
    this.#closeError ??= err;
    this.close();
    for (const e of this.#queue.splice(0)) e.reject(err);
  }

  async #readLoop(): Promise<void> {
    try {
      while (true) {
        this.#makeRoom();
        const n = await this.#conn.read(this.#buf.subarray(this.#end));
        if (n === null) throw new Error("connection closed by the server");
        this.#end += n;
        this.#deliver();
      }
    } catch (err) {
      this.#fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #makeRoom(): void {
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
    }
    if (this.#buf.length - this.#end >= MIN_READ_ROOM) return;
    const used = this.#end - this.#start;
    if (this.#start > 0 && this.#buf.length - used >= MIN_READ_ROOM) {
      this.#buf.copyWithin(0, this.#start, this.#end);
    } else {
      const bigger = new Uint8Array(Math.max(this.#buf.length * 2, used + MIN_READ_ROOM));
      bigger.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf = bigger;
    }
    this.#start = 0;
    this.#end = used;
  }

  #deliver(): void {
    while (this.#start < this.#end) {
      const next = this.#parse(this.#start);
      if (next < 0) return;
      this.#start = next;
      const head = this.#queue[0];
      if (head === undefined) continue; // An unexpected reply (should not happen).
      const value = this.#value;
      if (value instanceof ServerError) {
        head.errors++;
        head.firstError ??= value.message;
      }
      head.collected?.push(value);
      if (--head.remaining === 0) {
        this.#queue.shift();
        head.resolve(
          {
            replies: head.count,
            errors: head.errors,
            firstError: head.firstError,
          },
          head.collected,
        );
      }
    }
  }

  /** Parses one reply at pos into #value; returns the next position or -1 when incomplete. */
  #parse(pos: number): number {
    const buf = this.#buf;
    const end = this.#end;
    if (pos >= end) return -1;
    const cr = buf.indexOf(13, pos);
    if (cr < 0 || cr + 1 >= end) return -1;
    switch (buf[pos]) {
      case 43: // +
        this.#value = bytesToString(buf, pos + 1, cr);
        return cr + 2;
      case 45: // -
        this.#value = new ServerError(bytesToString(buf, pos + 1, cr));
        return cr + 2;
      case 58: // :
        this.#value = Number(bytesToString(buf, pos + 1, cr));
        return cr + 2;
      case 36: { // $
        const len = Number(bytesToString(buf, pos + 1, cr));
        if (len < 0) {
          this.#value = null;
          return cr + 2;
        }
        if (cr + 2 + len + 2 > end) return -1;
        this.#value = bytesToString(buf, cr + 2, cr + 2 + len);
        return cr + 4 + len;
      }
      case 42: { // *
        const n = Number(bytesToString(buf, pos + 1, cr));
        if (n < 0) {
          this.#value = null;
          return cr + 2;
        }
        const items: Reply[] = [];
        let p = cr + 2;
        for (let i = 0; i < n; i++) {
          p = this.#parse(p);
          if (p < 0) return -1;
          items.push(this.#value);
        }
        this.#value = items;
        return p;
      }
      default:
        throw new Error(`unexpected reply type byte ${buf[pos]}`);
    }
  }
}

/** Parses an INFO reply into field → value. */
export function parseInfo(reply: Reply): Map<string, string> {
  const fields = new Map<string, string>();
  if (typeof reply !== "string") return fields;
  for (const line of reply.split("\r\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** Sends INFO [section] and returns the parsed fields. */
export async function info(client: RespClient, section?: string): Promise<Map<string, string>> {
  const reply = section === undefined ? await client.command("INFO") : await client.command(
    "INFO",
    section,
  );
  return parseInfo(reply);
}

/** Whether the server knows the command (an "unknown command" error means no). */
export function isUnknownCommand(reply: Reply): boolean {
  return reply instanceof ServerError &&
    /^ERR (unknown command|unknown subcommand)/.test(reply.message);
}
