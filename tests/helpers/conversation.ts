/**
 * Scripted conversations for side-by-side tests: the same lines run against
 * Redeno and redis-server 7.0, every reply recorded with its exact bytes.
 *
 * A script has one step per line:
 * - `<connection>|<command words>[|<replies>]` sends the command on that
 *   connection (opened on first use) and records the next `<replies>` replies
 *   (default 1; `0` sends without reading, e.g. a command that blocks;
 *   `pong` reads up to a RESP2 subscriber's PING reply, however many
 *   messages come first). An empty command only reads.
 * - `#sleep <ms>` pauses.
 * - A leading `!` runs the step without recording it (HELLO, whose reply
 *   holds the client id).
 *
 * Words are split on single spaces; byte strings are latin1-identity.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeRequest, RespClient } from "./resp_client.ts";
import { delay, startRedeno, startRedis } from "./server_process.ts";

/** How long one reply may take before the conversation fails. */
export const CONVERSATION_REPLY_TIMEOUT_MS = 5_000;

/** What PING answers a RESP2 subscriber. */
const SUBSCRIBED_PONG = "*2\r\n$4\r\npong\r\n$0\r\n\r\n";

/** Runs a script against the server on `port`; returns one line per recorded reply. */
export async function converse(port: number, script: string): Promise<string[]> {
  const conns = new Map<string, RespClient>();
  const out: string[] = [];
  try {
    for (const raw of script.split("\n")) {
      const line = raw.trim();
      if (line === "") continue;
      if (line.startsWith("#sleep ")) {
        await delay(Number(line.slice(7)));
        continue;
      }
      const record = !line.startsWith("!");
      const [name, words, count] = (record ? line : line.slice(1)).split("|");
      let conn = conns.get(name);
      if (conn === undefined) {
        conn = await RespClient.connect(port);
        conns.set(name, conn);
      }
      if (words !== "") await conn.write(encodeRequest(words.split(" ")));
      const untilPong = count === "pong";
      for (let i = 0; untilPong || i < Number(count ?? 1); i++) {
        const reply = await withTimeout(conn.read(), `reply ${i + 1} to "${line}"`);
        if (record) out.push(`${name}> ${words} => ${JSON.stringify(reply.raw)}`);
        if (untilPong && reply.raw === SUBSCRIBED_PONG) break;
      }
    }
  } finally {
    for (const conn of conns.values()) conn.close();
  }
  return out;
}

/** Rejects when `promise` takes longer than CONVERSATION_REPLY_TIMEOUT_MS. */
export async function withTimeout<T>(
  promise: Promise<T>,
  what: string,
  ms = CONVERSATION_REPLY_TIMEOUT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs each script on a fresh Redeno and a fresh redis-server 7.0 (both
 * started with `args`; the same two servers for all scripts, one script after
 * the other, both servers at once) and asserts identical replies.
 */
export async function assertSameConversation(
  scripts: string | string[],
  args: string[] = [],
): Promise<void> {
  const [redeno, redis] = await Promise.all([startRedeno(args), startRedis(args)]);
  try {
    for (const script of typeof scripts === "string" ? [scripts] : scripts) {
      const [ours, theirs] = await Promise.all([
        converse(redeno.port, script),
        converse(redis.port, script),
      ]);
      assert.deepEqual(ours, theirs);
    }
  } finally {
    await Promise.all([redeno.stop(), redis.stop()]);
  }
}
