/**
 * Generates src/commands/command_docs.json from a running Redis 7.0 server:
 * the COMMAND DOCS entry and the COMMAND INFO entry of every command and
 * subcommand, kept with their RESP3 types so Redeno can replay them exactly in
 * RESP2 and RESP3.
 *
 * Usage: deno run -A scripts/gen_command_docs.ts [port] [out-file]
 * (start `redis-server --port 23000 --save ""` first; the default port is 6379).
 *
 * Encoding of a typed reply in the JSON file:
 * - bulk string → JSON string; integer → JSON number; null → null; array → JSON array
 * - simple string → {"+": "text"}; map → {"%": [k1, v1, k2, v2, …]}; set → {"~": [...]}
 *
 * The file holds, per full command name ("get", "config|get"):
 * `{"docs": <doc map without "subcommands">, "info": [name, arity, flags, first, last,
 * step, acl, tips, key specs]}` (COMMAND INFO's entry without its subcommands).
 */

/** A RESP3 reply with its type kept (see the module comment). */
type Typed =
  | string
  | number
  | null
  | Typed[]
  | { "+": string }
  | { "%": Typed[] }
  | { "~": Typed[] }
  | { "-": string };

class Reader {
  #buf = new Uint8Array(0);
  #pos = 0;
  constructor(readonly conn: Deno.Conn) {}

  async #fill(): Promise<void> {
    const chunk = new Uint8Array(65536);
    const n = await this.conn.read(chunk);
    if (n === null) throw new Error("connection closed");
    const next = new Uint8Array(this.#buf.length - this.#pos + n);
    next.set(this.#buf.subarray(this.#pos));
    next.set(chunk.subarray(0, n), this.#buf.length - this.#pos);
    this.#buf = next;
    this.#pos = 0;
  }

  async #line(): Promise<string> {
    while (true) {
      const i = this.#buf.indexOf(10, this.#pos);
      if (i !== -1) {
        const line = String.fromCharCode(...this.#buf.subarray(this.#pos, i - 1));
        this.#pos = i + 1;
        return line;
      }
      await this.#fill();
    }
  }

  async #bytes(n: number): Promise<string> {
    while (this.#buf.length - this.#pos < n + 2) await this.#fill();
    const s = new TextDecoder().decode(this.#buf.subarray(this.#pos, this.#pos + n));
    this.#pos += n + 2;
    return s;
  }

  async read(): Promise<Typed> {
    const line = await this.#line();
    const rest = line.slice(1);
    switch (line[0]) {
      case "+":
        return { "+": rest };
      case "-":
        return { "-": rest };
      case ":":
        return Number(rest);
      case "_":
        return null;
      case "$":
        return Number(rest) < 0 ? null : await this.#bytes(Number(rest));
      case "*":
      case "~":
      case "%": {
        const n = Number(rest) * (line[0] === "%" ? 2 : 1);
        const items: Typed[] = [];
        for (let i = 0; i < n; i++) items.push(await this.read());
        return line[0] === "*" ? items : line[0] === "~" ? { "~": items } : { "%": items };
      }
      default:
        throw new Error(`unexpected reply line ${JSON.stringify(line)}`);
    }
  }
}

async function command(conn: Deno.Conn, reader: Reader, argv: string[]): Promise<Typed> {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${new TextEncoder().encode(a).length}\r\n${a}\r\n`;
  await conn.write(new TextEncoder().encode(s));
  return await reader.read();
}

function pairs(map: Typed): Array<[string, Typed]> {
  const items = (map as { "%": Typed[] })["%"];
  const out: Array<[string, Typed]> = [];
  for (let i = 0; i < items.length; i += 2) out.push([items[i] as string, items[i + 1]]);
  return out;
}

const port = Number(Deno.args[0] ?? 6379);
const outFile = Deno.args[1] ??
  new URL("../src/commands/command_docs.json", import.meta.url).pathname;
const conn = await Deno.connect({ hostname: "127.0.0.1", port });
const reader = new Reader(conn);
await command(conn, reader, ["HELLO", "3"]);
const docs = await command(conn, reader, ["COMMAND", "DOCS"]);
const infos = await command(conn, reader, ["COMMAND", "INFO"]) as Typed[][];
conn.close();

const out: Record<string, { docs: Typed; info: Typed[] }> = {};

function addDocs(name: string, doc: Typed): void {
  const kept: Typed[] = [];
  for (const [key, value] of pairs(doc)) {
    if (key === "subcommands") {
      for (const [sub, subDoc] of pairs(value)) addDocs(sub, subDoc);
      continue;
    }
    kept.push(key, value);
  }
  (out[name] ??= { docs: null, info: [] }).docs = { "%": kept };
}

function addInfo(entry: Typed[]): void {
  const name = entry[0] as string;
  (out[name] ??= { docs: null, info: [] }).info = entry.slice(0, 9);
  // No subcommands is an empty set, subcommands an array of entries.
  const subs = entry[9];
  if (Array.isArray(subs)) { for (const sub of subs) addInfo(sub as Typed[]); }
}

for (const [name, doc] of pairs(docs)) addDocs(name, doc);
for (const entry of infos) addInfo(entry);

const sorted = Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
await Deno.writeTextFile(outFile, JSON.stringify(sorted) + "\n");
console.log(`wrote ${Object.keys(sorted).length} entries to ${outFile}`);
