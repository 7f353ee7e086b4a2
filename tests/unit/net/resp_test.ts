/**
 * The RESP request decoder and the reply writer (src/net/resp.ts).
 *
 * Expected behaviour is Redis 7.0's processMultibulkBuffer /
 * processInlineBuffer / sdssplitargs, checked against redis-server 7.0.15.
 */
import assert from "node:assert/strict";
import {
  type DecodeLimits,
  decodeRequest,
  encodeCommand,
  PROTO_INLINE_MAX_SIZE,
  ProtocolError,
  ReplyWriter,
  splitArgs,
} from "../../../src/net/resp.ts";

const AUTHED: DecodeLimits = { protoMaxBulkLen: 512 * 1024 * 1024, authenticated: true };
const UNAUTHED: DecodeLimits = { protoMaxBulkLen: 512 * 1024 * 1024, authenticated: false };

/** Byte string → bytes with the identity mapping (DESIGN decision 1). */
function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Bytes → byte string with the identity mapping. */
function str(b: Uint8Array): string {
  let s = "";
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/**
 * Decodes every complete request in `buf[start, end)` like the client's read
 * loop does, skipping empty requests; returns them and the first unconsumed offset.
 */
function decodeAll(
  buf: Uint8Array,
  start = 0,
  end = buf.length,
  limits = AUTHED,
): { requests: string[][]; next: number } {
  const requests: string[][] = [];
  let pos = start;
  while (true) {
    const decoded = decodeRequest(buf, pos, end, limits);
    if (decoded === null) break;
    assert.ok(decoded.end > pos, "a decoded request consumes bytes");
    pos = decoded.end;
    if (decoded.argv.length > 0) requests.push(decoded.argv);
  }
  return { requests, next: pos };
}

/** The protocol error `decodeRequest` throws for `input`, or undefined when none. */
function protocolError(input: string, limits = AUTHED): string | undefined {
  try {
    decodeAll(bytes(input), 0, input.length, limits);
  } catch (err) {
    if (err instanceof ProtocolError) return err.message;
    throw err;
  }
  return undefined;
}

/** Every byte value 0x00–0xff once, as a byte string. */
const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");

/** A pipelined stream mixing multibulk and inline requests, with empty ones in between. */
const MIXED_STREAM = [
  encodeCommand(["SET", "key", "value"]),
  "PING\r\n",
  "*0\r\n",
  encodeCommand(["SET", "bin", ALL_BYTES]),
  "*-1\r\n",
  "\r\n",
  "set 'single quoted' \"double \\x41\\n\"\n",
  encodeCommand(["ECHO", ""]),
  "   \t  \r\n",
  encodeCommand(["MSET", "a", "1", "b", "2", "c\r\n", "3"]),
  "GET   key   \r\n",
  encodeCommand(["X".repeat(300), "\x80\x81\x9f\xff"]),
  "INCR counter\r\n",
].join("");

const MIXED_EXPECTED: string[][] = [
  ["SET", "key", "value"],
  ["PING"],
  ["SET", "bin", ALL_BYTES],
  ["set", "single quoted", "double A\n"],
  ["ECHO", ""],
  ["MSET", "a", "1", "b", "2", "c\r\n", "3"],
  ["GET", "key"],
  ["X".repeat(300), "\x80\x81\x9f\xff"],
  ["INCR", "counter"],
];

Deno.test("decoder reads a pipelined stream of multibulk and inline requests", () => {
  const { requests, next } = decodeAll(bytes(MIXED_STREAM));
  assert.deepEqual(requests, MIXED_EXPECTED);
  assert.equal(next, MIXED_STREAM.length);
});

Deno.test("decoder gives the same requests at every split point of a pipelined stream", () => {
  const whole = bytes(MIXED_STREAM);
  // A buffer with room to spare, filled with CR LF garbage beyond `end` the
  // way a reused read buffer holds stale bytes: the decoder must respect `end`.
  const buf = new Uint8Array(whole.length + 64);
  for (let k = 0; k <= whole.length; k++) {
    buf.fill(13);
    for (let i = 0; i < buf.length; i += 2) buf[i + 1] = 10;
    buf.set(whole.subarray(0, k));
    const first = decodeAll(buf, 0, k);
    buf.set(whole.subarray(k), k);
    const second = decodeAll(buf, first.next, whole.length);
    assert.deepEqual(
      [...first.requests, ...second.requests],
      MIXED_EXPECTED,
      `split at byte ${k}`,
    );
    assert.equal(second.next, whole.length, `split at byte ${k} consumes the whole stream`);
  }
});

Deno.test("decoder returns incomplete for every proper prefix of a single request", () => {
  const request = encodeCommand(["SET", "k", "v".repeat(100)]);
  const buf = bytes(request);
  for (let k = 0; k < buf.length; k++) {
    assert.equal(decodeRequest(buf, 0, k, AUTHED), null, `prefix of ${k} bytes`);
  }
  assert.deepEqual(decodeRequest(buf, 0, buf.length, AUTHED), {
    argv: ["SET", "k", "v".repeat(100)],
    end: buf.length,
  });
});

Deno.test("decoder reads thousands of requests pipelined in one buffer", () => {
  const count = 5000;
  let stream = "";
  const expected: string[][] = [];
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) {
      stream += `SET inline:${i} ${i}\r\n`;
      expected.push(["SET", `inline:${i}`, String(i)]);
    } else {
      const argv = ["SET", `key:${i}`, "v".repeat(i % 50)];
      stream += encodeCommand(argv);
      expected.push(argv);
    }
  }
  const { requests, next } = decodeAll(bytes(stream));
  assert.equal(requests.length, count);
  assert.deepEqual(requests, expected);
  assert.equal(next, stream.length);
});

Deno.test("decoder starts at the given offset and reports the end offset", () => {
  const prefix = "garbage that was already consumed";
  const request = encodeCommand(["GET", "k"]);
  const buf = bytes(prefix + request + "PING\r\n");
  const decoded = decodeRequest(buf, prefix.length, buf.length, AUTHED);
  assert.deepEqual(decoded, { argv: ["GET", "k"], end: prefix.length + request.length });
  assert.deepEqual(decodeRequest(buf, decoded!.end, buf.length, AUTHED), {
    argv: ["PING"],
    end: buf.length,
  });
  assert.equal(decodeRequest(buf, buf.length, buf.length, AUTHED), null);
});

Deno.test("decoder keeps every byte value of a bulk argument, 0x80 to 0x9f included", () => {
  const long = ALL_BYTES.repeat(40); // longer than the short-string fast path
  for (const arg of [ALL_BYTES, long, "\x80", "\x9f\x80", "\x00\x00", "\xff".repeat(24)]) {
    const buf = bytes(encodeCommand(["SET", arg, arg]));
    const decoded = decodeRequest(buf, 0, buf.length, AUTHED);
    assert.ok(decoded !== null);
    assert.equal(decoded.argv[1], arg);
    assert.equal(decoded.argv[2].length, arg.length);
    for (let i = 0; i < arg.length; i++) {
      assert.equal(decoded.argv[2].charCodeAt(i), arg.charCodeAt(i));
    }
  }
});

Deno.test("decoder reads every argument length from 0 to 100 bytes", () => {
  for (let len = 0; len <= 100; len++) {
    const arg = Array.from({ length: len }, (_, i) => String.fromCharCode((i * 37 + len) & 0xff))
      .join("");
    const buf = bytes(encodeCommand(["ECHO", arg]));
    assert.deepEqual(decodeRequest(buf, 0, buf.length, AUTHED)?.argv, ["ECHO", arg]);
  }
});

Deno.test("decoder reads an empty bulk string as an empty argument", () => {
  const buf = bytes("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n");
  assert.deepEqual(decodeRequest(buf, 0, buf.length, AUTHED), {
    argv: ["SET", "", ""],
    end: buf.length,
  });
});

Deno.test("decoder treats *0, *-1 and other non-positive counts as empty requests", () => {
  for (const header of ["*0\r\n", "*-1\r\n", "*-5\r\n"]) {
    const buf = bytes(header + "PING\r\n");
    assert.deepEqual(decodeRequest(buf, 0, buf.length, AUTHED), { argv: [], end: header.length });
  }
});

Deno.test("decoder treats a blank inline line as an empty request", () => {
  for (const line of ["\r\n", "\n", "   \r\n", "\t \t\n"]) {
    const buf = bytes(line);
    assert.deepEqual(decodeRequest(buf, 0, buf.length, AUTHED), { argv: [], end: line.length });
  }
});

Deno.test("decoder ends an inline request at LF with or without CR", () => {
  const buf = bytes("PING\nECHO a\r\n");
  assert.deepEqual(decodeAll(buf).requests, [["PING"], ["ECHO", "a"]]);
});

Deno.test("decoder skips the two bytes after bulk data without checking them, like Redis", () => {
  // redis-server 7.0 answers +PONG twice to this stream.
  const buf = bytes("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n");
  assert.deepEqual(decodeAll(buf).requests, [["PING"], ["PING"]]);
});

Deno.test("decoder waits for a large declared multibulk count without allocating for it", () => {
  const buf = bytes("*2147483647\r\n$4\r\nPING\r\n");
  assert.equal(decodeRequest(buf, 0, buf.length, AUTHED), null);
});

Deno.test("splitArgs splits on whitespace and honours double and single quotes", () => {
  assert.deepEqual(splitArgs("set key value"), ["set", "key", "value"]);
  assert.deepEqual(splitArgs("  set\tkey \r value  "), ["set", "key", "value"]);
  assert.deepEqual(splitArgs(""), []);
  assert.deepEqual(splitArgs("   "), []);
  assert.deepEqual(splitArgs('set "hello world" x'), ["set", "hello world", "x"]);
  assert.deepEqual(splitArgs("set 'hello world' x"), ["set", "hello world", "x"]);
  assert.deepEqual(splitArgs('""'), [""]);
  assert.deepEqual(splitArgs("''"), [""]);
  assert.deepEqual(splitArgs('a"b c"'), ["ab c"]);
  assert.deepEqual(splitArgs('foo"bar"'), ["foobar"]);
});

Deno.test("splitArgs decodes escapes inside double quotes", () => {
  assert.deepEqual(splitArgs('"a\\nb\\rc\\td\\be\\af"'), ["a\nb\rc\td\be\x07f"]);
  assert.deepEqual(splitArgs('"\\x41\\x00\\xff\\x80\\x9F"'), ["A\x00\xff\x80\x9f"]);
  assert.deepEqual(splitArgs('"\\xZZ"'), ["xZZ"]);
  assert.deepEqual(splitArgs('"\\x4"'), ["x4"]);
  assert.deepEqual(splitArgs('"say \\"hi\\""'), ['say "hi"']);
  assert.deepEqual(splitArgs('"back\\\\slash"'), ["back\\slash"]);
  assert.deepEqual(splitArgs('"\\q"'), ["q"]);
});

Deno.test("splitArgs keeps backslashes literal inside single quotes except before a quote", () => {
  assert.deepEqual(splitArgs("'it\\'s'"), ["it's"]);
  assert.deepEqual(splitArgs("'a\\nb'"), ["a\\nb"]);
  assert.deepEqual(splitArgs("'\\x41'"), ["\\x41"]);
});

Deno.test("splitArgs rejects unbalanced quotes and a closing quote followed by a non-space", () => {
  for (const line of ['"abc', "'abc", 'set "a"b', "set 'a'b", '"abc\\"', "'abc\\'"]) {
    assert.equal(splitArgs(line), null, line);
  }
  assert.deepEqual(splitArgs('"a" b'), ["a", "b"]);
  assert.deepEqual(splitArgs("'a'\tb"), ["a", "b"]);
});

Deno.test("decoder reads quoted inline requests with escapes", () => {
  const buf = bytes('SET "my key" "\\xe2\\x82\\xac \\"q\\""\r\n');
  assert.deepEqual(decodeRequest(buf, 0, buf.length, AUTHED)?.argv, [
    "SET",
    "my key",
    '\xe2\x82\xac "q"',
  ]);
});

// Each case: input bytes and Redis 7.0.15's error text (seen with redis-server).
const PROTOCOL_ERRORS: Array<[string, string]> = [
  ["*x\r\n", "Protocol error: invalid multibulk length"],
  ["*\r\n", "Protocol error: invalid multibulk length"],
  ["*+1\r\n", "Protocol error: invalid multibulk length"],
  ["*1x\r\n", "Protocol error: invalid multibulk length"],
  ["*2147483648\r\n", "Protocol error: invalid multibulk length"],
  ["*3000000000\r\n", "Protocol error: invalid multibulk length"],
  ["*99999999999999999999999\r\n", "Protocol error: invalid multibulk length"],
  ["*1\r\n$-1\r\n", "Protocol error: invalid bulk length"],
  ["*1\r\n$x\r\n", "Protocol error: invalid bulk length"],
  ["*1\r\n$\r\n", "Protocol error: invalid bulk length"],
  ["*1\r\n$+4\r\nPING\r\n", "Protocol error: invalid bulk length"],
  ["*2\r\n$4\r\nECHO\r\n$2000000000\r\n", "Protocol error: invalid bulk length"],
  ["*1\r\nx\r\n", "Protocol error: expected '$', got 'x'"],
  ["*2\r\n$4\r\nECHO\r\n:1\r\n", "Protocol error: expected '$', got ':'"],
  ["*1\r\n$4\r\nPING\r\n*1\r\nx\r\n", "Protocol error: expected '$', got 'x'"],
  ["*1" + "1".repeat(PROTO_INLINE_MAX_SIZE + 10), "Protocol error: too big mbulk count string"],
  [
    "*1\r\n$1" + "1".repeat(PROTO_INLINE_MAX_SIZE + 10),
    "Protocol error: too big bulk count string",
  ],
  ["PING" + "a".repeat(PROTO_INLINE_MAX_SIZE + 10), "Protocol error: too big inline request"],
  ['set a "b\r\n', "Protocol error: unbalanced quotes in request"],
  ['set a "b"c\r\n', "Protocol error: unbalanced quotes in request"],
  ["set a 'b\r\n", "Protocol error: unbalanced quotes in request"],
];

Deno.test("decoder throws Redis's protocol error text for each malformed request", () => {
  for (const [input, expected] of PROTOCOL_ERRORS) {
    assert.equal(protocolError(input), expected, JSON.stringify(input.slice(0, 40)));
  }
});

Deno.test("decoder rejects leading zeros and minus zero in lengths like Redis's string2ll", () => {
  // redis-server 7.0.15 closes the connection with these errors.
  assert.equal(protocolError("*01\r\n$4\r\nPING\r\n"), "Protocol error: invalid multibulk length");
  assert.equal(protocolError("*-0\r\nPING\r\n"), "Protocol error: invalid multibulk length");
  assert.equal(protocolError("*1\r\n$04\r\nPING\r\n"), "Protocol error: invalid bulk length");
  assert.equal(protocolError("*1\r\n$00\r\n\r\n"), "Protocol error: invalid bulk length");
});

Deno.test("decoder rejects a count below the 64-bit range like Redis's string2ll", () => {
  // string2ll overflows, so Redis answers an error instead of an empty request.
  assert.equal(
    protocolError("*-9999999999999999999\r\nPING\r\n"),
    "Protocol error: invalid multibulk length",
  );
  assert.equal(protocolError("*-9223372036854775808\r\nPING\r\n"), undefined);
});

Deno.test("decoder accepts a request exactly at the inline size limit", () => {
  const line = "ECHO " + "a".repeat(PROTO_INLINE_MAX_SIZE - 10) + "\r\n";
  assert.equal(protocolError(line), undefined);
  const unterminated = "PING" + "a".repeat(PROTO_INLINE_MAX_SIZE - 4);
  assert.equal(decodeRequest(bytes(unterminated), 0, unterminated.length, AUTHED), null);
});

Deno.test("decoder applies proto-max-bulk-len to bulk lengths", () => {
  const limits = { protoMaxBulkLen: 100, authenticated: true };
  assert.equal(
    protocolError(encodeCommand(["ECHO", "a".repeat(101)]), limits),
    "Protocol error: invalid bulk length",
  );
  assert.equal(protocolError(encodeCommand(["ECHO", "a".repeat(100)]), limits), undefined);
});

Deno.test("decoder limits unauthenticated clients to 10 arguments and 16384-byte bulks", () => {
  assert.equal(
    protocolError("*11\r\n", UNAUTHED),
    "Protocol error: unauthenticated multibulk length",
  );
  assert.equal(protocolError("*10\r\n", UNAUTHED), undefined);
  assert.equal(
    protocolError("*2\r\n$4\r\nECHO\r\n$16385\r\n", UNAUTHED),
    "Protocol error: unauthenticated bulk length",
  );
  assert.equal(protocolError("*2\r\n$4\r\nECHO\r\n$16384\r\n", UNAUTHED), undefined);
  // The same requests are fine once authenticated.
  assert.equal(protocolError("*11\r\n", AUTHED), undefined);
  assert.equal(protocolError("*2\r\n$4\r\nECHO\r\n$16385\r\n", AUTHED), undefined);
  // Inline requests have no such limit.
  const inline = "AUTH " + Array.from({ length: 20 }, (_, i) => `a${i}`).join(" ") + "\r\n";
  assert.equal(protocolError(inline, UNAUTHED), undefined);
});

Deno.test("decoder decodes the requests before a malformed one", () => {
  const buf = bytes("*1\r\n$4\r\nPING\r\n*1\r\nx\r\n");
  const first = decodeRequest(buf, 0, buf.length, AUTHED);
  assert.deepEqual(first?.argv, ["PING"]);
  assert.throws(() => decodeRequest(buf, first!.end, buf.length, AUTHED), ProtocolError);
});

Deno.test("encodeCommand writes a RESP multibulk request", () => {
  assert.equal(encodeCommand(["SET", "k", ""]), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  assert.equal(encodeCommand([]), "*0\r\n");
  assert.equal(encodeCommand(["\x00\xff"]), "*1\r\n$2\r\n\x00\xff\r\n");
});

/** Runs `write` against a fresh writer in the given protocol and returns the bytes as a string. */
function encoded(protocol: 2 | 3, write: (w: ReplyWriter) => void): string {
  const w = new ReplyWriter();
  w.protocol = protocol;
  write(w);
  return str(w.buf.subarray(0, w.pos));
}

Deno.test("reply writer encodes simple replies the same in RESP2 and RESP3", () => {
  for (const protocol of [2, 3] as const) {
    assert.equal(encoded(protocol, (w) => w.ok()), "+OK\r\n");
    assert.equal(encoded(protocol, (w) => w.simple("PONG")), "+PONG\r\n");
    assert.equal(encoded(protocol, (w) => w.error("ERR syntax error")), "-ERR syntax error\r\n");
    assert.equal(encoded(protocol, (w) => w.int(0)), ":0\r\n");
    assert.equal(encoded(protocol, (w) => w.int(9999)), ":9999\r\n");
    assert.equal(encoded(protocol, (w) => w.int(10000)), ":10000\r\n");
    assert.equal(encoded(protocol, (w) => w.int(-1)), ":-1\r\n");
    assert.equal(
      encoded(protocol, (w) => w.int(-9223372036854775808n)),
      ":-9223372036854775808\r\n",
    );
    assert.equal(encoded(protocol, (w) => w.bulk("")), "$0\r\n\r\n");
    assert.equal(encoded(protocol, (w) => w.bulk("hello")), "$5\r\nhello\r\n");
    assert.equal(encoded(protocol, (w) => w.array(0)), "*0\r\n");
    assert.equal(
      encoded(protocol, (w) => w.bulkArray(["a", "bc"])),
      "*2\r\n$1\r\na\r\n$2\r\nbc\r\n",
    );
  }
});

Deno.test("reply writer replaces newlines in error messages with spaces", () => {
  assert.equal(encoded(2, (w) => w.error("ERR bad\r\nthing\n")), "-ERR bad  thing \r\n");
});

Deno.test("reply writer reports each error reply to onError", () => {
  const w = new ReplyWriter();
  const seen: string[] = [];
  w.onError = (message) => seen.push(message);
  w.error("WRONGTYPE Operation against a key holding the wrong kind of value");
  w.ok();
  assert.deepEqual(seen, ["WRONGTYPE Operation against a key holding the wrong kind of value"]);
});

Deno.test("reply writer keeps every byte of a bulk reply, short and long", () => {
  for (
    const value of [ALL_BYTES, ALL_BYTES.repeat(100), "\x80\x9f", "x".repeat(64), "y".repeat(65)]
  ) {
    assert.equal(encoded(2, (w) => w.bulk(value)), `$${value.length}\r\n${value}\r\n`);
  }
});

Deno.test("reply writer encodes text beyond latin1 as UTF-8 in bulkText", () => {
  assert.equal(encoded(2, (w) => w.bulkText("€")), "$3\r\n\xe2\x82\xac\r\n");
});

Deno.test("reply writer encodes nil and the null array per protocol", () => {
  assert.equal(encoded(2, (w) => w.nil()), "$-1\r\n");
  assert.equal(encoded(3, (w) => w.nil()), "_\r\n");
  assert.equal(encoded(2, (w) => w.nilArray()), "*-1\r\n");
  assert.equal(encoded(3, (w) => w.nilArray()), "_\r\n");
});

Deno.test("reply writer encodes maps as flat arrays in RESP2 and %n in RESP3", () => {
  const write = (w: ReplyWriter) => {
    w.map(2);
    w.bulk("a");
    w.int(1);
    w.bulk("b");
    w.int(2);
  };
  assert.equal(encoded(2, write), "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n");
  assert.equal(encoded(3, write), "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n");
  assert.equal(encoded(2, (w) => w.map(0)), "*0\r\n");
  assert.equal(encoded(3, (w) => w.map(0)), "%0\r\n");
});

Deno.test("reply writer encodes sets as arrays in RESP2 and ~n in RESP3", () => {
  assert.equal(encoded(2, (w) => w.set(12)), "*12\r\n");
  assert.equal(encoded(3, (w) => w.set(12)), "~12\r\n");
});

Deno.test("reply writer encodes doubles as bulk strings in RESP2 and ,x in RESP3", () => {
  assert.equal(encoded(2, (w) => w.double("3.5")), "$3\r\n3.5\r\n");
  assert.equal(encoded(3, (w) => w.double("3.5")), ",3.5\r\n");
  assert.equal(encoded(2, (w) => w.double("inf")), "$3\r\ninf\r\n");
  assert.equal(encoded(3, (w) => w.double("-inf")), ",-inf\r\n");
});

Deno.test("reply writer encodes pushes as arrays in RESP2 and >n in RESP3", () => {
  const write = (w: ReplyWriter) => {
    w.push(3);
    w.bulk("message");
    w.bulk("ch");
    w.bulk("hi");
  };
  assert.equal(encoded(2, write), "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  assert.equal(encoded(3, write), ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
});

Deno.test("reply writer encodes booleans as integers in RESP2 and #t/#f in RESP3", () => {
  assert.equal(encoded(2, (w) => w.bool(true)), ":1\r\n");
  assert.equal(encoded(2, (w) => w.bool(false)), ":0\r\n");
  assert.equal(encoded(3, (w) => w.bool(true)), "#t\r\n");
  assert.equal(encoded(3, (w) => w.bool(false)), "#f\r\n");
});

Deno.test("reply writer encodes verbatim strings as bulk in RESP2 and =n in RESP3", () => {
  assert.equal(encoded(2, (w) => w.verbatim("hello")), "$5\r\nhello\r\n");
  assert.equal(encoded(3, (w) => w.verbatim("hello")), "=9\r\ntxt:hello\r\n");
  assert.equal(encoded(3, (w) => w.verbatim("# x", "mkd")), "=7\r\nmkd:# x\r\n");
});

Deno.test("reply writer grows its buffer and hands out everything in take", () => {
  const w = new ReplyWriter();
  const big = "z".repeat(100_000);
  w.bulk("first");
  w.bulk(big);
  w.int(7);
  const out = str(w.take());
  assert.equal(out, `$5\r\nfirst\r\n$100000\r\n${big}\r\n:7\r\n`);
  assert.equal(w.pos, 0);
  w.ok();
  assert.equal(str(w.take()), "+OK\r\n");
});

Deno.test("reply writer reuses a recycled buffer without corrupting later replies", () => {
  const w = new ReplyWriter();
  w.bulk("one");
  const first = w.take();
  assert.equal(str(first), "$3\r\none\r\n");
  w.recycle(first);
  w.bulk("two");
  w.simple("three");
  assert.equal(str(w.take()), "$3\r\ntwo\r\n+three\r\n");
});
