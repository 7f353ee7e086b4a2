/**
 * What a server propagates, side by side: the commands redis-server 7.0
 * writes to its AOF for a list of writes, and the commands Redeno hands its
 * propagator for the same writes (an in-process server with a capturing sink).
 */
import assert from "node:assert/strict";
import { ErrorReply, RespClient } from "./resp_client.ts";
import { latin1String, startRedis } from "./server_process.ts";
import { Config } from "../../src/config.ts";
import { Server } from "../../src/server.ts";
import { registerAllCommands } from "../../src/commands/mod.ts";

/** The commands of a RESP command stream (an AOF incr file, a captured propagation). */
export function parseCommands(text: string): string[][] {
  const commands: string[][] = [];
  let pos = 0;
  const line = () => {
    const end = text.indexOf("\r\n", pos);
    const s = text.slice(pos, end);
    pos = end + 2;
    return s;
  };
  while (pos < text.length) {
    const header = line();
    assert.equal(header[0], "*", `bad stream at ${pos}: ${JSON.stringify(header)}`);
    const argv: string[] = [];
    for (let n = Number(header.slice(1)); n > 0; n--) {
      const len = Number(line().slice(1));
      argv.push(text.slice(pos, pos + len));
      pos += len + 2;
    }
    commands.push(argv);
  }
  return commands;
}

/** Commands propagated for some writes, and when the writes began (for masking deadlines). */
export interface Propagation {
  commands: string[][];
  start: number;
}

/** Options of a propagation run. */
export interface PropagationOptions {
  /** Extra server arguments (both servers). */
  extra?: string[];
  /** Fail when a write gets an error reply. */
  requireOk?: boolean;
}

async function runWrites(port: number, writes: string[][], requireOk: boolean): Promise<number> {
  const client = await RespClient.connect(port);
  try {
    const start = Date.now();
    for (const argv of writes) {
      const reply = await client.command(...argv);
      if (requireOk) assert.ok(!(reply instanceof ErrorReply), `${argv.join(" ")}: ${reply}`);
    }
    return start;
  } finally {
    client.close();
  }
}

/** What redis-server 7.0 writes to its AOF incr file for `writes`. */
export async function redisPropagation(
  writes: string[][],
  opts: PropagationOptions = {},
): Promise<Propagation> {
  const redis = await startRedis([
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    ...(opts.extra ?? []),
  ]);
  try {
    const start = await runWrites(redis.port, writes, opts.requireOk ?? false);
    const dir = `${redis.dir}/appendonlydir`;
    const incr = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".incr.aof"))!;
    return {
      commands: parseCommands(latin1String(Deno.readFileSync(`${dir}/${incr.name}`))),
      start,
    };
  } finally {
    await redis.stop();
  }
}

/** What Redeno's propagator emits for `writes` (an in-process server, one "aof" sink). */
export async function redenoPropagation(
  writes: string[][],
  opts: PropagationOptions = {},
): Promise<Propagation> {
  registerAllCommands();
  const config = new Config();
  config.loadArgs([
    "--port",
    "0",
    "--save",
    "",
    "--bind",
    "127.0.0.1",
    "--loglevel",
    "warning",
    ...(opts.extra ?? []),
  ]);
  const server = new Server(config);
  let captured = "";
  server.propagator.addSink({
    kind: "aof",
    selectedDb: -1,
    write(bytes) {
      captured += latin1String(bytes);
    },
  });
  server.start();
  try {
    const start = await runWrites(server.boundPort, writes, opts.requireOk ?? false);
    return { commands: parseCommands(captured), start };
  } finally {
    server.close();
  }
}
