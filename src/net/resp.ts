/**
 * RESP request decoding and reply encoding.
 *
 * The decoder is a pure function over a byte buffer: `decodeRequest` returns
 * one argument vector, or `INCOMPLETE` when the buffer ends inside a request
 * (an expected condition: the caller reads more and tries again), and throws
 * `ProtocolError` with Redis's exact text for a request Redis would reject.
 * Arguments become byte strings (one char code per byte, DESIGN decision 1).
 *
 * The reply writer encodes straight into one growable buffer per client, so all
 * replies produced from one read go out in one socket write.
 */
import { bytesToString, writeString } from "../util/bytes.ts";
import { argString } from "./arg_strings.ts";
import { splitArgs } from "../config.ts";

export { splitArgs };

/** Redis's PROTO_INLINE_MAX_SIZE: an inline request or a `*`/`$` header line longer than this is an error. */
export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
/** Redis's limits for connections that have not authenticated yet. */
export const UNAUTHENTICATED_MAX_MULTIBULK = 10;
export const UNAUTHENTICATED_MAX_BULK = 16384;
const INT_MAX = 2147483647;

/** A request Redis would reject; the connection is closed after the error reply. */
export class ProtocolError extends Error {
  /** Where in the buffer the offending line starts (Redis quotes its input from there). */
  at = -1;
}

function protocolError(message: string, at: number): ProtocolError {
  const err = new ProtocolError(message);
  err.at = at;
  return err;
}

/** Returned by `decodeRequest` when the buffer ends inside a request. */
export const INCOMPLETE = null;

/** The outcome of one decode: the request and where the next one starts. */
export interface Decoded {
  argv: string[];
  /** Offset just past this request. */
  end: number;
}

/** Limits applied while decoding. */
export interface DecodeLimits {
  protoMaxBulkLen: number;
  authenticated: boolean;
}

const CR = 13;
const LF = 10;
const INT64_MAX_DIGITS = "9223372036854775807";
const INT64_MIN_DIGITS = "9223372036854775808";

/** The end of a `*`/`$` header line: the index of its '\r', or -1 when incomplete. */
function findCrlf(buf: Uint8Array, from: number, end: number): number {
  // Like Redis: a header line ends at the first '\r', and the byte after it
  // (normally '\n') must have arrived; it is skipped without being checked.
  // A plain loop: header lines are a few bytes, too short for a native indexOf call to pay.
  for (let i = from; i < end - 1; i++) if (buf[i] === CR) return i;
  return -1;
}

/** Parses a decimal integer in buf[start, end) as Redis's string2ll; NaN when it is not one. */
function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  if (start >= end || end - start > 20) return NaN;
  let i = start;
  let negative = false;
  if (buf[i] === 45) { // '-'
    negative = true;
    i++;
    if (i === end) return NaN;
  }
  // string2ll: no leading zeros, and "-0" is not a number.
  if (buf[i] === 48 && (negative || end - i > 1)) return NaN;
  let value = 0;
  for (; i < end; i++) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) return NaN;
    value = value * 10 + c;
  }
  // int64 bounds, compared on the digits: doubles cannot tell 2^63 - 1 from 2^63.
  const digits = end - (negative ? start + 1 : start);
  if (digits > 19) return NaN;
  if (digits === 19) {
    const limit = negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS;
    const from = negative ? start + 1 : start;
    for (let k = 0; k < 19; k++) {
      const d = buf[from + k] - 48;
      const l = limit.charCodeAt(k) - 48;
      if (d !== l) {
        if (d > l) return NaN;
        break;
      }
    }
  }
  return negative ? -value : value;
}

/**
 * Decodes one request from `buf[start, end)`.
 * Returns INCOMPLETE when more bytes are needed, or `{argv: [], end}` for an
 * empty request (`*0`, a blank inline line), which the caller skips.
 */
export function decodeRequest(
  buf: Uint8Array,
  start: number,
  end: number,
  limits: DecodeLimits,
): Decoded | null {
  if (start >= end) return INCOMPLETE;
  if (buf[start] === 42) return decodeMultibulk(buf, start, end, limits); // '*'
  return decodeInline(buf, start, end);
}

function decodeMultibulk(
  buf: Uint8Array,
  start: number,
  end: number,
  limits: DecodeLimits,
): Decoded | null {
  const headerEnd = findCrlf(buf, start + 1, end);
  if (headerEnd === -1) {
    if (end - start > PROTO_INLINE_MAX_SIZE) {
      throw new ProtocolError("Protocol error: too big mbulk count string");
    }
    return INCOMPLETE;
  }
  const count = parseDecimal(buf, start + 1, headerEnd);
  if (Number.isNaN(count) || count > INT_MAX) {
    throw new ProtocolError("Protocol error: invalid multibulk length");
  }
  if (!limits.authenticated && count > UNAUTHENTICATED_MAX_MULTIBULK) {
    throw new ProtocolError("Protocol error: unauthenticated multibulk length");
  }
  let pos = headerEnd + 2;
  if (count <= 0) return { argv: [], end: pos };
  // Don't trust the declared count for allocation: grow as arguments arrive.
  const argv: string[] = [];
  for (let n = 0; n < count; n++) {
    if (pos >= end) return INCOMPLETE;
    const lenEnd = findCrlf(buf, pos, end);
    if (lenEnd === -1) {
      if (end - pos > PROTO_INLINE_MAX_SIZE) {
        throw protocolError("Protocol error: too big bulk count string", pos);
      }
      return INCOMPLETE;
    }
    if (buf[pos] !== 36) { // '$'
      throw protocolError(
        `Protocol error: expected '$', got '${String.fromCharCode(buf[pos])}'`,
        pos,
      );
    }
    const len = parseDecimal(buf, pos + 1, lenEnd);
    if (Number.isNaN(len) || len < 0 || len > limits.protoMaxBulkLen) {
      throw protocolError("Protocol error: invalid bulk length", pos);
    }
    if (!limits.authenticated && len > UNAUTHENTICATED_MAX_BULK) {
      throw protocolError("Protocol error: unauthenticated bulk length", pos);
    }
    const dataStart = lenEnd + 2;
    if (dataStart + len + 2 > end) return INCOMPLETE;
    argv.push(argString(buf, dataStart, dataStart + len));
    pos = dataStart + len + 2;
  }
  return { argv, end: pos };
}

function decodeInline(buf: Uint8Array, start: number, end: number): Decoded | null {
  const nl = buf.indexOf(LF, start);
  if (nl === -1 || nl >= end) {
    if (end - start > PROTO_INLINE_MAX_SIZE) {
      throw new ProtocolError("Protocol error: too big inline request");
    }
    return INCOMPLETE;
  }
  const lineEnd = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
  const args = splitArgs(bytesToString(buf, start, lineEnd));
  if (args === null) throw new ProtocolError("Protocol error: unbalanced quotes in request");
  return { argv: args, end: nl + 1 };
}

const INITIAL_OUTPUT = 16 * 1024;
const SMALL_INTS: Uint8Array[] = [];
for (let i = 0; i < 10000; i++) SMALL_INTS.push(new TextEncoder().encode(`:${i}\r\n`));

/**
 * Encodes replies into a growable buffer. RESP2 by default; `protocol = 3`
 * switches nil, maps, sets, doubles, booleans and pushes to RESP3 forms.
 */
export class ReplyWriter {
  buf: Uint8Array = new Uint8Array(INITIAL_OUTPUT);
  pos = 0;
  protocol: 2 | 3 = 2;
  /** Called for every error reply (INFO errorstats counts them). */
  onError: ((message: string) => void) | undefined;

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Appends a byte string verbatim. */
  raw(s: string): void {
    const len = s.length;
    this.ensure(len);
    if (len > 16) {
      this.pos = writeString(this.buf, this.pos, s);
      return;
    }
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < len; i++) buf[pos++] = s.charCodeAt(i);
    this.pos = pos;
  }

  /** Appends bytes verbatim. */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  #header(prefix: number, n: number): void {
    this.ensure(24);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = prefix;
    if (n >= 0 && n < 10) {
      buf[pos++] = 48 + n;
    } else {
      const s = String(n);
      for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
    }
    buf[pos++] = CR;
    buf[pos++] = LF;
    this.pos = pos;
  }

  ok(): void {
    this.raw("+OK\r\n");
  }

  /** A status reply; `s` must not contain CR or LF. */
  simple(s: string): void {
    this.raw("+" + s + "\r\n");
  }

  /** An error reply; `message` is the full text without the leading '-' ("ERR syntax error"). */
  error(message: string): void {
    // Like Redis's addReplyErrorLength: newlines would break the protocol.
    this.raw("-" + message.replace(/[\r\n]/g, " ") + "\r\n");
    this.onError?.(message);
  }

  int(n: number | bigint): void {
    if (typeof n === "number" && n >= 0 && n < 10000 && Number.isInteger(n)) {
      this.bytes(SMALL_INTS[n]);
      return;
    }
    this.raw(":" + String(n) + "\r\n");
  }

  bulk(s: string): void {
    this.#header(36, s.length);
    this.raw(s);
    this.ensure(2);
    this.buf[this.pos++] = CR;
    this.buf[this.pos++] = LF;
  }

  /** A bulk reply of a JS string that may hold non-latin1 text (encoded as UTF-8). */
  bulkText(text: string): void {
    const bytes = new TextEncoder().encode(text);
    this.#header(36, bytes.length);
    this.bytes(bytes);
    this.raw("\r\n");
  }

  /** RESP3 verbatim string (`=len\r\ntxt:...`); a bulk string in RESP2. */
  verbatim(s: string, format = "txt"): void {
    if (this.protocol === 2) return this.bulk(s);
    this.#header(61, s.length + 4);
    this.raw(format + ":" + s + "\r\n");
  }

  nil(): void {
    this.raw(this.protocol === 3 ? "_\r\n" : "$-1\r\n");
  }

  /** The null array RESP2 uses for e.g. a timed-out BLPOP or an aborted EXEC. */
  nilArray(): void {
    this.raw(this.protocol === 3 ? "_\r\n" : "*-1\r\n");
  }

  array(n: number): void {
    this.#header(42, n);
  }

  /** A map of `n` pairs: RESP3 `%n`, RESP2 a flat array of 2n. */
  map(n: number): void {
    if (this.protocol === 3) this.#header(37, n);
    else this.#header(42, n * 2);
  }

  /** A set: RESP3 `~n`, RESP2 an array. */
  set(n: number): void {
    this.#header(this.protocol === 3 ? 126 : 42, n);
  }

  /** An out-of-band push: RESP3 `>n`, RESP2 an array. */
  push(n: number): void {
    this.#header(this.protocol === 3 ? 62 : 42, n);
  }

  /** A double: RESP3 `,x`, RESP2 a bulk string of the same text. */
  double(text: string): void {
    if (this.protocol === 3) this.raw("," + text + "\r\n");
    else this.bulk(text);
  }

  bool(b: boolean): void {
    if (this.protocol === 3) this.raw(b ? "#t\r\n" : "#f\r\n");
    else this.int(b ? 1 : 0);
  }

  bulkArray(items: readonly string[]): void {
    this.array(items.length);
    for (const item of items) this.bulk(item);
  }

  /** Hands out the encoded bytes and continues in a spare buffer (see `recycle`). */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.buf = this.#spare ?? new Uint8Array(INITIAL_OUTPUT);
    this.#spare = undefined;
    this.pos = 0;
    return out;
  }

  #spare: Uint8Array | undefined = undefined;

  /** Returns a buffer obtained from `take` once it has been written, for reuse. */
  recycle(used: Uint8Array): void {
    if (used.buffer.byteLength <= INITIAL_OUTPUT * 4) this.#spare = new Uint8Array(used.buffer);
  }
}

/** Encodes an argument vector as a RESP multibulk request (the propagation format). */
export function encodeCommand(argv: readonly string[]): string {
  let s = "*" + argv.length + "\r\n";
  for (const arg of argv) s += "$" + arg.length + "\r\n" + arg + "\r\n";
  return s;
}
