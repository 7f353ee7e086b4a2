/**
 * Malformed requests over raw TCP, sent to Redeno and to redis-server 7.0
 * side by side: the error reply must be the same bytes, both servers must
 * close the connection after it, and other connections must keep working.
 */
import assert from "node:assert/strict";
import {
  command,
  RespConnection,
  type ServerProcess,
  startRedeno,
  startRedis,
} from "../helpers/server_process.ts";

/** How long to wait for a server to close a connection after a protocol error. */
const CLOSE_TIMEOUT_MS = 3_000;
/** How long a request that Redis just waits on is watched for a reply. */
const QUIET_MS = 300;

const INLINE_MAX = 64 * 1024;

/** Each case: a name, the bytes to send, and whether the server closes the connection. */
interface Case {
  name: string;
  input: string;
  closes: boolean;
}

const CASES: Case[] = [
  { name: "non-numeric multibulk count", input: "*x\r\n", closes: true },
  { name: "empty multibulk count", input: "*\r\n", closes: true },
  { name: "plus sign in multibulk count", input: "*+1\r\n", closes: true },
  { name: "multibulk count above INT_MAX", input: "*2147483648\r\n", closes: true },
  { name: "multibulk count far too large", input: "*99999999999999999999999\r\n", closes: true },
  { name: "negative bulk length", input: "*1\r\n$-1\r\n", closes: true },
  { name: "non-numeric bulk length", input: "*1\r\n$x\r\n", closes: true },
  { name: "empty bulk length", input: "*1\r\n$\r\n", closes: true },
  { name: "bulk length over proto-max-bulk-len", input: "*1\r\n$2000000000\r\n", closes: true },
  { name: "missing dollar sign", input: "*1\r\nx\r\n", closes: true },
  { name: "integer instead of bulk", input: "*2\r\n$4\r\nECHO\r\n:1\r\n", closes: true },
  { name: "blank line instead of bulk", input: "*1\r\n\r\n", closes: true },
  {
    name: "too big mbulk count string",
    input: "*1" + "1".repeat(INLINE_MAX + 10),
    closes: true,
  },
  {
    name: "too big bulk count string",
    input: "*1\r\n$1" + "1".repeat(INLINE_MAX + 10),
    closes: true,
  },
  { name: "too big inline request", input: "PING" + "a".repeat(INLINE_MAX + 10), closes: true },
  { name: "unbalanced double quote", input: 'ECHO "abc\r\n', closes: true },
  { name: "unbalanced single quote", input: "ECHO 'abc\r\n", closes: true },
  { name: "closing quote followed by text", input: 'ECHO "a"b\r\n', closes: true },
  {
    name: "valid requests before a malformed one in the same packet",
    input: "*1\r\n$4\r\nPING\r\nPING\r\n*1\r\nx\r\n*1\r\n$4\r\nPING\r\n",
    closes: true,
  },
  { name: "empty multibulk requests", input: "*0\r\n*-1\r\n*-5\r\nPING\r\n", closes: false },
  { name: "blank inline lines", input: "\r\n\n   \r\nPING\r\n", closes: false },
  {
    name: "garbage after bulk data where CRLF belongs",
    input: "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
    closes: false,
  },
  {
    name: "incomplete request with a huge declared count",
    input: "*2147483647\r\n",
    closes: false,
  },
];

/** Lengths Redis's string2ll rejects although they look like numbers. */
const STRICT_NUMBER_CASES: Case[] = [
  { name: "leading zero in multibulk count", input: "*01\r\n$4\r\nPING\r\n", closes: true },
  { name: "minus zero multibulk count", input: "*-0\r\nPING\r\n", closes: true },
  { name: "leading zero in bulk length", input: "*1\r\n$04\r\nPING\r\n", closes: true },
  {
    name: "multibulk count below the 64-bit range",
    input: "*-9999999999999999999\r\nPING\r\n",
    closes: true,
  },
];

/** Sends `input` on a new connection; returns the bytes received and whether the server closed. */
async function exchange(port: number, c: Case): Promise<{ data: string; closed: boolean }> {
  const conn = await RespConnection.open(port);
  try {
    await conn.send(c.input);
    return await conn.readUntilClosed(c.closes ? CLOSE_TIMEOUT_MS : QUIET_MS);
  } finally {
    await conn.close();
  }
}

/** Runs `body` with a Redeno and a redis-server started with the same `args`. */
async function sideBySide(
  args: string[],
  body: (redeno: ServerProcess, redis: ServerProcess) => Promise<void>,
): Promise<void> {
  const redis = await startRedis(args);
  let redeno: ServerProcess | undefined;
  try {
    redeno = await startRedeno(args);
    await body(redeno, redis);
  } finally {
    await redis.stop();
    await redeno?.stop();
  }
}

/**
 * Sends every case to both servers. A bystander connection on each must keep
 * working and answer the same as its twin (ECHO, or NOAUTH under requirepass).
 */
async function compareCases(redeno: ServerProcess, redis: ServerProcess, cases: Case[]) {
  const redenoBystander = await RespConnection.open(redeno.port);
  const redisBystander = await RespConnection.open(redis.port);
  try {
    for (const c of cases) {
      const expected = await exchange(redis.port, c);
      assert.equal(expected.closed, c.closes, `redis-server closes after: ${c.name}`);
      const actual = await exchange(redeno.port, c);
      assert.equal(actual.data, expected.data, `reply bytes for: ${c.name}`);
      assert.equal(actual.closed, expected.closed, `connection closed after: ${c.name}`);
      assert.deepEqual(
        await redenoBystander.call("ECHO", c.name),
        await redisBystander.call("ECHO", c.name),
        `bystander after: ${c.name}`,
      );
    }
  } finally {
    await redenoBystander.close();
    await redisBystander.close();
  }
}

Deno.test("malformed requests get Redis's exact error and close only their own connection", async () => {
  await sideBySide([], (redeno, redis) => compareCases(redeno, redis, CASES));
});

Deno.test("lengths with leading zeros, minus zero or 64-bit overflow are protocol errors as in Redis", async () => {
  await sideBySide([], (redeno, redis) => compareCases(redeno, redis, STRICT_NUMBER_CASES));
});

Deno.test("unauthenticated clients are limited to 10 arguments and 16 KB bulks as in Redis", async () => {
  const cases: Case[] = [
    { name: "11 arguments", input: "*11\r\n", closes: true },
    { name: "a 16385-byte bulk", input: "*2\r\n$4\r\nECHO\r\n$16385\r\n", closes: true },
    { name: "10 arguments", input: "*10\r\n", closes: false },
    { name: "a 16384-byte bulk", input: "*2\r\n$4\r\nECHO\r\n$16384\r\n", closes: false },
  ];
  await sideBySide(
    ["--requirepass", "s3cret"],
    (redeno, redis) => compareCases(redeno, redis, cases),
  );
});

Deno.test("proto-max-bulk-len set at start-up rejects longer bulks as in Redis", async () => {
  // Redis 7.0 accepts at least 1mb for proto-max-bulk-len.
  await sideBySide(["--proto-max-bulk-len", "1mb"], async (redeno, redis) => {
    const over: Case = {
      name: "bulk one byte over 1mb",
      input: "*2\r\n$4\r\nECHO\r\n$1048577\r\n",
      closes: true,
    };
    const at: Case = {
      name: "bulk of exactly 1mb",
      input: "*2\r\n$4\r\nECHO\r\n$1048576\r\n",
      closes: false,
    };
    await compareCases(redeno, redis, [over, at]);
    // A full 1mb value still goes through.
    const value = "v".repeat(1048576);
    assert.equal(await command(redeno.port, "ECHO", value), value);
  });
});

Deno.test("proto-max-bulk-len changed with CONFIG SET applies to new requests as in Redis", async () => {
  await sideBySide([], async (redeno, redis) => {
    for (const server of [redis, redeno]) {
      assert.equal(await command(server.port, "CONFIG", "SET", "proto-max-bulk-len", "2mb"), "OK");
    }
    const over: Case = {
      name: "bulk one byte over 2mb",
      input: "*2\r\n$4\r\nECHO\r\n$2097153\r\n",
      closes: true,
    };
    await compareCases(redeno, redis, [over]);
  });
});

Deno.test("a client over client-query-buffer-limit is disconnected without a reply as in Redis", async () => {
  await sideBySide(["--client-query-buffer-limit", "1mb"], async (redeno, redis) => {
    // One 2 MB bulk that never completes: the query buffer passes 1 MB first.
    const header = "*2\r\n$4\r\nECHO\r\n$2000000\r\n";
    const body = "a".repeat(2_000_000 - 10);
    for (const server of [redis, redeno]) {
      const bystander = await RespConnection.open(server.port);
      const conn = await RespConnection.open(server.port);
      try {
        await conn.send(header + body); // may fail part-way once the server closes
        const { data, closed } = await conn.readUntilClosed(CLOSE_TIMEOUT_MS);
        assert.equal(data, "", `no reply from port ${server.port}`);
        assert.ok(closed, `connection to port ${server.port} closed`);
        assert.equal(await bystander.call("PING"), "PONG");
      } finally {
        await conn.close();
        await bystander.close();
      }
    }
    assert.match(redeno.log(), /Closing client that reached max query buffer length/);
  });
});

Deno.test("a complete request larger than client-query-buffer-limit is not run, as in Redis", async () => {
  // Redis checks the limit after each read, before parsing: a whole 2 MB
  // request is refused even when all of it has arrived.
  await sideBySide(["--client-query-buffer-limit", "1mb"], async (redeno, redis) => {
    const value = "c".repeat(2_000_000);
    const request = `*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${value.length}\r\n${value}\r\n`;
    for (const server of [redis, redeno]) {
      const conn = await RespConnection.open(server.port);
      try {
        await conn.send(request);
        const { data, closed } = await conn.readUntilClosed(CLOSE_TIMEOUT_MS);
        assert.equal(data, "", `no reply from port ${server.port}`);
        assert.ok(closed, `connection to port ${server.port} closed`);
      } finally {
        await conn.close();
      }
      assert.equal(
        await command(server.port, "GET", "big"),
        null,
        `nothing stored on ${server.port}`,
      );
    }
  });
});

Deno.test("a request under client-query-buffer-limit is served normally", async () => {
  const redeno = await startRedeno(["--client-query-buffer-limit", "1mb"]);
  try {
    const value = "b".repeat(900_000);
    assert.equal(await command(redeno.port, "ECHO", value), value);
  } finally {
    await redeno.stop();
  }
});
