/**
 * A minimal RESP client for tests: sends commands over a raw TCP connection
 * and reads replies back, either decoded or as their exact bytes, so a test
 * can compare Redeno's replies with real Redis's byte for byte.
 *
 * Byte strings are latin1-identity JS strings (one char per byte), as in the
 * server (DESIGN decision 1).
 *
 * @module
 */

/** An error reply (`-ERR …`), kept apart from strings so tests can tell them apart. */
export class ErrorReply {
  constructor(readonly message: string) {}
  toString(): string {
    return `(error) ${this.message}`;
  }
}

/**
 * A decoded reply: simple and bulk strings are strings, integers numbers
 * (bigint beyond 2^53), nil is null, arrays/sets/pushes arrays, maps arrays of
 * alternating keys and values, doubles strings, booleans booleans.
 */
export type Reply = string | number | bigint | boolean | null | ErrorReply | Reply[];

/** One parsed reply: its value and its exact bytes. */
export interface ParsedReply {
  value: Reply;
  raw: string;
}

/** Encodes argv as a RESP multibulk request (latin1 identity). */
export function encodeRequest(argv: readonly string[]): Uint8Array {
  let text = `*${argv.length}\r\n`;
  for (const arg of argv) text += `$${arg.length}\r\n${arg}\r\n`;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 8192)));
  }
  return s;
}

/** A connection to a RESP server. */
export class RespClient {
  #conn: Deno.TcpConn;
  #buf = new Uint8Array(0);
  #pos = 0;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connects to `host:port`. */
  static async connect(port: number, host = "127.0.0.1"): Promise<RespClient> {
    return new RespClient(await Deno.connect({ hostname: host, port }));
  }

  /** Sends one command and returns its decoded reply. */
  async command(...argv: string[]): Promise<Reply> {
    return (await this.exchange(argv)).value;
  }

  /** Sends one command and returns its reply's exact bytes. */
  async raw(...argv: string[]): Promise<string> {
    return (await this.exchange(argv)).raw;
  }

  /** Sends one command and returns the reply, both decoded and raw. */
  async exchange(argv: readonly string[]): Promise<ParsedReply> {
    await this.write(encodeRequest(argv));
    return await this.read();
  }

  /** Sends several commands in one write and returns their replies in order. */
  async pipeline(commands: readonly (readonly string[])[]): Promise<ParsedReply[]> {
    const parts = commands.map(encodeRequest);
    const total = parts.reduce((n, p) => n + p.length, 0);
    const all = new Uint8Array(total);
    let offset = 0;
    for (const p of parts) {
      all.set(p, offset);
      offset += p.length;
    }
    await this.write(all);
    const replies: ParsedReply[] = [];
    for (let i = 0; i < commands.length; i++) replies.push(await this.read());
    return replies;
  }

  /** Writes raw bytes. */
  async write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.#conn.write(bytes.subarray(written));
  }

  /** Reads the next reply. */
  async read(): Promise<ParsedReply> {
    const start = this.#pos;
    const value = await this.#parse();
    const raw = latin1(this.#buf, start, this.#pos);
    // Drop consumed bytes once in a while.
    if (this.#pos > 65536) {
      this.#buf = this.#buf.slice(this.#pos);
      this.#pos = 0;
    }
    return { value, raw };
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  async #fill(): Promise<void> {
    const chunk = new Uint8Array(65536);
    const n = await this.#conn.read(chunk);
    if (n === null) throw new Error("connection closed by the server");
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
  }

  async #line(): Promise<string> {
    while (true) {
      for (let i = this.#pos; i + 1 < this.#buf.length; i++) {
        if (this.#buf[i] === 13 && this.#buf[i + 1] === 10) {
          const line = latin1(this.#buf, this.#pos, i);
          this.#pos = i + 2;
          return line;
        }
      }
      await this.#fill();
    }
  }

  async #bytes(n: number): Promise<string> {
    while (this.#buf.length - this.#pos < n + 2) await this.#fill();
    const s = latin1(this.#buf, this.#pos, this.#pos + n);
    this.#pos += n + 2;
    return s;
  }

  async #parse(): Promise<Reply> {
    const line = await this.#line();
    const type = line[0];
    const rest = line.slice(1);
    switch (type) {
      case "+":
        return rest;
      case "-":
        return new ErrorReply(rest);
      case ":": {
        const n = Number(rest);
        return Number.isSafeInteger(n) ? n : BigInt(rest);
      }
      case "$":
      case "=": {
        const len = Number(rest);
        return len < 0 ? null : await this.#bytes(len);
      }
      case "_":
        return null;
      case ",":
        return rest;
      case "#":
        return rest === "t";
      case "*":
      case "~":
      case ">":
      case "%": {
        const count = Number(rest);
        if (count < 0) return null;
        const items: Reply[] = [];
        const n = type === "%" ? count * 2 : count;
        for (let i = 0; i < n; i++) items.push(await this.#parse());
        return items;
      }
      default:
        throw new Error(`unexpected reply line ${JSON.stringify(line)}`);
    }
  }
}
