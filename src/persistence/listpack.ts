/**
 * Listpack (Redis 7.0 listpack.c) writer and validating reader, and the
 * growable byte buffer the RDB encoder writes into.
 *
 * Layout: total bytes (u32 LE), element count (u16 LE, 65535 = unknown), the
 * entries, then 0xFF. An entry is an encoding byte (and length bytes), the data,
 * and a backlen: the size of encoding + data in 1–5 bytes, 7 bits per byte,
 * read right to left.
 */
import { stringToInt64 } from "./rdb_constants.ts";
import { bytesToString, writeString } from "../util/bytes.ts";

/** Size of the listpack header: total bytes and element count. */
export const LP_HDR_SIZE = 6;
/** Element count meaning "count the entries yourself". */
export const LP_HDR_NUMELE_UNKNOWN = 65535;
/** The listpack terminator byte. */
export const LP_EOF = 0xff;

const LP_ENCODING_6BIT_STR = 0x80;
const LP_ENCODING_13BIT_INT = 0xc0;
const LP_ENCODING_12BIT_STR = 0xe0;
const LP_ENCODING_16BIT_INT = 0xf1;
const LP_ENCODING_24BIT_INT = 0xf2;
const LP_ENCODING_32BIT_INT = 0xf3;
const LP_ENCODING_64BIT_INT = 0xf4;
const LP_ENCODING_32BIT_STR = 0xf0;

const TWO_32 = 4294967296;

/**
 * A growable byte buffer with little helpers for the fixed-width fields of the
 * RDB format. `bytes` may be replaced as it grows: read it after writing.
 */
export class ByteWriter {
  #buf: Uint8Array;
  #pos = 0;
  #f64 = new DataView(new ArrayBuffer(8));

  /** Creates a buffer with room for `capacity` bytes before the first growth. */
  constructor(capacity = 64 * 1024) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
  }

  /** The backing array; the written bytes are `bytes[0, length)`. */
  get bytes(): Uint8Array {
    return this.#buf;
  }

  /** Number of bytes written. */
  get length(): number {
    return this.#pos;
  }

  /** Forgets the written bytes, keeping the capacity. */
  reset(): void {
    this.#pos = 0;
  }

  /** Forgets the bytes written from offset `length` on. */
  truncate(length: number): void {
    if (length < this.#pos) this.#pos = Math.max(0, length);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.#pos + n;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }

  /** Advances over `n` bytes (to be patched later) and returns their offset. */
  skip(n: number): number {
    this.ensure(n);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  /** Appends one byte. */
  byte(b: number): void {
    if (this.#pos === this.#buf.length) this.ensure(1);
    this.#buf[this.#pos++] = b;
  }

  /** Appends `src[start, end)`. */
  raw(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.ensure(n);
    if (n < 32) {
      const buf = this.#buf;
      let p = this.#pos;
      for (let i = start; i < end; i++) buf[p++] = src[i];
    } else {
      this.#buf.set(src.subarray(start, end), this.#pos);
    }
    this.#pos += n;
  }

  /** Appends the bytes of the byte string `s`. */
  latin1(s: string): void {
    const n = s.length;
    this.ensure(n);
    writeString(this.#buf, this.#pos, s);
    this.#pos += n;
  }

  /** Appends a 16 bit little-endian integer. */
  u16le(v: number): void {
    this.ensure(2);
    const b = this.#buf;
    b[this.#pos++] = v & 0xff;
    b[this.#pos++] = (v >>> 8) & 0xff;
  }

  /** Appends a 32 bit little-endian integer. */
  u32le(v: number): void {
    this.ensure(4);
    const b = this.#buf;
    b[this.#pos++] = v & 0xff;
    b[this.#pos++] = (v >>> 8) & 0xff;
    b[this.#pos++] = (v >>> 16) & 0xff;
    b[this.#pos++] = (v >>> 24) & 0xff;
  }

  /** Appends a 32 bit big-endian integer. */
  u32be(v: number): void {
    this.ensure(4);
    const b = this.#buf;
    b[this.#pos++] = (v >>> 24) & 0xff;
    b[this.#pos++] = (v >>> 16) & 0xff;
    b[this.#pos++] = (v >>> 8) & 0xff;
    b[this.#pos++] = v & 0xff;
  }

  /** Appends a non-negative integer (< 2^53) as 64 bit big-endian. */
  u64be(v: number): void {
    const hi = Math.floor(v / TWO_32);
    this.u32be(hi);
    this.u32be(v - hi * TWO_32);
  }

  /** Appends a signed 64 bit little-endian integer (a safe integer or a bigint). */
  i64le(v: number | bigint): void {
    let lo: number, hi: number;
    if (typeof v === "bigint") {
      const u = BigInt.asUintN(64, v);
      lo = Number(u & 0xffffffffn);
      hi = Number(u >> 32n);
    } else {
      hi = Math.floor(v / TWO_32);
      lo = v - hi * TWO_32;
      hi = hi >>> 0; // two's complement of the high word
    }
    this.u32le(lo);
    this.u32le(hi);
  }

  /** Appends an IEEE 754 binary64 little-endian. */
  f64le(d: number): void {
    this.#f64.setFloat64(0, d, true);
    this.ensure(8);
    for (let i = 0; i < 8; i++) this.#buf[this.#pos++] = this.#f64.getUint8(i);
  }

  /** Overwrites a 32 bit little-endian integer at `offset`. */
  patchU32le(offset: number, v: number): void {
    const b = this.#buf;
    b[offset] = v & 0xff;
    b[offset + 1] = (v >>> 8) & 0xff;
    b[offset + 2] = (v >>> 16) & 0xff;
    b[offset + 3] = (v >>> 24) & 0xff;
  }

  /** Overwrites a 16 bit little-endian integer at `offset`. */
  patchU16le(offset: number, v: number): void {
    this.#buf[offset] = v & 0xff;
    this.#buf[offset + 1] = (v >>> 8) & 0xff;
  }

  /** A copy of the written bytes (its own ArrayBuffer, transferable). */
  copy(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}

/** Size in bytes of the backlen that describes an entry of `l` bytes. */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/**
 * Builds listpacks the way `lpAppend`/`lpAppendInteger` do, one at a time, at
 * the end of a {@link ByteWriter} (its own, or a shared one so that several
 * listpacks can be laid out back to back).
 */
export class ListpackWriter {
  #w: ByteWriter;
  #base = 0;
  #count = 0;

  /** Creates a writer over `w` (a fresh buffer by default) and starts a listpack. */
  constructor(w: ByteWriter = new ByteWriter(1024)) {
    this.#w = w;
    this.begin();
  }

  /** The buffer the listpacks are written into. */
  get writer(): ByteWriter {
    return this.#w;
  }

  /** Empties the buffer and starts a new listpack at its beginning. */
  reset(): void {
    this.#w.reset();
    this.begin();
  }

  /** Starts a new, empty listpack at the current end of the buffer. */
  begin(): void {
    this.#base = this.#w.length;
    this.#w.skip(LP_HDR_SIZE);
    this.#count = 0;
  }

  /** Offset in the buffer where the current listpack starts. */
  get start(): number {
    return this.#base;
  }

  /** Number of entries appended. */
  get count(): number {
    return this.#count;
  }

  /** Size of the listpack as it stands (header, entries and terminator). */
  get size(): number {
    return this.#w.length - this.#base + 1;
  }

  /** Appends a byte string; integers spelled canonically become integer entries. */
  appendString(s: string): void {
    const n = s.length;
    if (n <= 20) {
      const v = stringToInt64(s);
      if (v !== undefined) {
        this.appendInteger(v);
        return;
      }
    }
    this.#stringHeader(n);
    this.#w.latin1(s);
    this.#stringTrailer(n);
  }

  /** {@link appendString} for the byte string `src[start, end)`. */
  appendBytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    const c = src[start];
    if (n <= 20 && n > 0 && (c === 45 || (c >= 48 && c <= 57))) {
      const v = stringToInt64(bytesToString(src, start, end));
      if (v !== undefined) {
        this.appendInteger(v);
        return;
      }
    }
    this.#stringHeader(n);
    this.#w.raw(src, start, end);
    this.#stringTrailer(n);
  }

  /** The encoding byte(s) of a string entry of `n` bytes (room for the entry is made here). */
  #stringHeader(n: number): void {
    const w = this.#w;
    if (n < 64) {
      w.ensure(n + 2);
      w.byte(LP_ENCODING_6BIT_STR | n);
    } else if (n < 4096) {
      w.ensure(n + 4);
      w.byte((n >>> 8) | LP_ENCODING_12BIT_STR);
      w.byte(n & 0xff);
    } else {
      w.ensure(n + 10);
      w.byte(LP_ENCODING_32BIT_STR);
      w.u32le(n);
    }
  }

  /** The backlen of a string entry of `n` bytes, after its bytes. */
  #stringTrailer(n: number): void {
    this.#backlen((n < 64 ? 1 : n < 4096 ? 2 : 5) + n);
    this.#count++;
  }

  /** Appends an integer entry (an int64 as a safe integer or a bigint). */
  appendInteger(value: number | bigint): void {
    const w = this.#w;
    w.ensure(14);
    let v = value;
    if (typeof v === "bigint" && v >= -(2n ** 53n) && v <= 2n ** 53n) v = Number(v);
    let encLen: number;
    if (typeof v === "number" && v >= 0 && v <= 127) {
      w.byte(v);
      encLen = 1;
    } else if (typeof v === "number" && v >= -4096 && v <= 4095) {
      const u = v < 0 ? (1 << 13) + v : v;
      w.byte((u >>> 8) | LP_ENCODING_13BIT_INT);
      w.byte(u & 0xff);
      encLen = 2;
    } else if (typeof v === "number" && v >= -32768 && v <= 32767) {
      const u = v < 0 ? (1 << 16) + v : v;
      w.byte(LP_ENCODING_16BIT_INT);
      w.byte(u & 0xff);
      w.byte(u >>> 8);
      encLen = 3;
    } else if (typeof v === "number" && v >= -8388608 && v <= 8388607) {
      const u = v < 0 ? (1 << 24) + v : v;
      w.byte(LP_ENCODING_24BIT_INT);
      w.byte(u & 0xff);
      w.byte((u >>> 8) & 0xff);
      w.byte(u >>> 16);
      encLen = 4;
    } else if (typeof v === "number" && v >= -2147483648 && v <= 2147483647) {
      w.byte(LP_ENCODING_32BIT_INT);
      w.u32le(v >>> 0);
      encLen = 5;
    } else {
      w.byte(LP_ENCODING_64BIT_INT);
      w.i64le(v);
      encLen = 9;
    }
    this.#backlen(encLen);
    this.#count++;
  }

  #backlen(l: number): void {
    const w = this.#w;
    if (l <= 127) {
      w.byte(l);
    } else if (l < 16383) {
      w.byte(l >>> 7);
      w.byte((l & 127) | 128);
    } else if (l < 2097151) {
      w.byte(l >>> 14);
      w.byte(((l >>> 7) & 127) | 128);
      w.byte((l & 127) | 128);
    } else if (l < 268435455) {
      w.byte(l >>> 21);
      w.byte(((l >>> 14) & 127) | 128);
      w.byte(((l >>> 7) & 127) | 128);
      w.byte((l & 127) | 128);
    } else {
      w.byte(Math.floor(l / 2 ** 28));
      w.byte(((l >>> 21) & 127) | 128);
      w.byte(((l >>> 14) & 127) | 128);
      w.byte(((l >>> 7) & 127) | 128);
      w.byte((l & 127) | 128);
    }
  }

  /**
   * Terminates the listpack and fills in its header. Returns the offset just
   * past it: the listpack is `writer.bytes[start, end)`.
   */
  finish(): number {
    const w = this.#w;
    w.byte(LP_EOF);
    w.patchU32le(this.#base, w.length - this.#base);
    w.patchU16le(
      this.#base + 4,
      this.#count < LP_HDR_NUMELE_UNKNOWN ? this.#count : LP_HDR_NUMELE_UNKNOWN,
    );
    return w.length;
  }
}

/** The integer an entry of the given width holds, as a decimal string. */
function int64String(lo: number, hi: number): string {
  // hi is signed
  if (hi >= -2097152 && hi < 2097152) return String(hi * TWO_32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo >>> 0)).toString();
}

/**
 * Reads and validates the listpack `bytes[start, end)` like
 * `lpValidateIntegrity(lp, size, deep=1)`: header size and count, every
 * entry's encoding and backlen, the terminator. Returns the entries as byte
 * strings (integers in decimal), or undefined when the listpack is corrupt.
 */
export function listpackEntries(
  bytes: Uint8Array,
  start: number,
  end: number,
): string[] | undefined {
  const size = end - start;
  if (size < LP_HDR_SIZE + 1) return undefined;
  const total = (bytes[start] | (bytes[start + 1] << 8) | (bytes[start + 2] << 16) |
    (bytes[start + 3] << 24)) >>> 0;
  if (total !== size) return undefined;
  if (bytes[end - 1] !== LP_EOF) return undefined;
  const numele = bytes[start + 4] | (bytes[start + 5] << 8);
  const out: string[] = [];
  let p = start + LP_HDR_SIZE;
  const last = end - 1; // the terminator
  while (p < last) {
    const b = bytes[p];
    let encLen: number;
    let value: string;
    if ((b & 0x80) === 0) {
      encLen = 1;
      value = String(b);
    } else if ((b & 0xc0) === LP_ENCODING_6BIT_STR) {
      const n = b & 0x3f;
      encLen = 1 + n;
      if (p + encLen > last) return undefined;
      value = bytesToString(bytes, p + 1, p + 1 + n);
    } else if ((b & 0xe0) === LP_ENCODING_13BIT_INT) {
      encLen = 2;
      if (p + 2 > last) return undefined;
      let u = ((b & 0x1f) << 8) | bytes[p + 1];
      if (u >= 1 << 12) u -= 1 << 13;
      value = String(u);
    } else if ((b & 0xf0) === LP_ENCODING_12BIT_STR) {
      if (p + 2 > last) return undefined;
      const n = ((b & 0x0f) << 8) | bytes[p + 1];
      encLen = 2 + n;
      if (p + encLen > last) return undefined;
      value = bytesToString(bytes, p + 2, p + 2 + n);
    } else if (b === LP_ENCODING_16BIT_INT) {
      encLen = 3;
      if (p + 3 > last) return undefined;
      let u = bytes[p + 1] | (bytes[p + 2] << 8);
      if (u >= 1 << 15) u -= 1 << 16;
      value = String(u);
    } else if (b === LP_ENCODING_24BIT_INT) {
      encLen = 4;
      if (p + 4 > last) return undefined;
      let u = bytes[p + 1] | (bytes[p + 2] << 8) | (bytes[p + 3] << 16);
      if (u >= 1 << 23) u -= 1 << 24;
      value = String(u);
    } else if (b === LP_ENCODING_32BIT_INT) {
      encLen = 5;
      if (p + 5 > last) return undefined;
      const u = bytes[p + 1] | (bytes[p + 2] << 8) | (bytes[p + 3] << 16) | (bytes[p + 4] << 24);
      value = String(u); // `|` already yields the signed value
    } else if (b === LP_ENCODING_64BIT_INT) {
      encLen = 9;
      if (p + 9 > last) return undefined;
      const lo = (bytes[p + 1] | (bytes[p + 2] << 8) | (bytes[p + 3] << 16) |
        (bytes[p + 4] << 24)) >>> 0;
      const hi = bytes[p + 5] | (bytes[p + 6] << 8) | (bytes[p + 7] << 16) | (bytes[p + 8] << 24);
      value = int64String(lo, hi);
    } else if (b === LP_ENCODING_32BIT_STR) {
      if (p + 5 > last) return undefined;
      const n = (bytes[p + 1] | (bytes[p + 2] << 8) | (bytes[p + 3] << 16) |
        (bytes[p + 4] << 24)) >>> 0;
      encLen = 5 + n;
      if (p + encLen > last) return undefined;
      value = bytesToString(bytes, p + 5, p + 5 + n);
    } else {
      return undefined; // 0xF5–0xFE are unused; 0xFF is only the terminator
    }
    // The backlen must follow and describe encLen exactly.
    const blen = backlenSize(encLen);
    const next = p + encLen + blen;
    if (next > last) return undefined;
    let decoded = 0;
    let mul = 1;
    for (let q = next - 1; q >= p + encLen; q--) {
      decoded += (bytes[q] & 127) * mul;
      mul *= 128;
      const more = (bytes[q] & 128) !== 0;
      if (more !== (q > p + encLen)) return undefined;
    }
    if (decoded !== encLen) return undefined;
    out.push(value);
    p = next;
  }
  if (numele !== LP_HDR_NUMELE_UNKNOWN && numele !== out.length) return undefined;
  return out;
}
