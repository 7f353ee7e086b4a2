/**
 * Byte strings: conversions between bytes and JS strings holding one byte per
 * char code 0–255 (DESIGN decision 1, the "latin1 identity"), plus the two
 * bridges to human text (UTF-8).
 *
 * Never use `TextDecoder("latin1")` for byte strings: that is windows-1252 and
 * maps 0x80–0x9f to other code points.
 *
 * Speed notes (Deno 2.9, measured when this was written):
 * - bytes → string: `String.fromCharCode` on explicit arguments wins up to
 *   about 12 bytes (the strings also hash faster as Map keys); beyond that the
 *   runtime's native `latin1Slice` costs a near-constant ~90 ns and ~50 µs/MiB.
 * - string → bytes: a `charCodeAt` loop wins for short strings (~2 ns/byte);
 *   for long ones `TextEncoder#encodeInto` is ~20× faster when the string is
 *   ASCII, which we learn from its own result, falling back to the loop.
 *   Deno's `latin1Write` is implemented in JS and slower than the loop.
 *
 * @module
 */
import { Buffer } from "node:buffer";

const nativeLatin1Slice = Buffer.prototype.latin1Slice;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();
/** Up to this length, bytesToString builds the string from char codes. */
const SHORT_STRING_MAX = 24;
/** From this length on, writeString tries the native ASCII encoder first. */
const ENCODE_INTO_MIN = 64;
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * The byte string of `buf[start, end)`. Indices are clamped to the buffer, so
 * an empty or reversed range gives `""`.
 */
export function bytesToString(buf: Uint8Array, start = 0, end: number = buf.length): string {
  if (start < 0) start = 0;
  if (end > buf.length) end = buf.length;
  const len = end - start;
  if (len <= 0) return "";
  if (len > SHORT_STRING_MAX) return nativeLatin1Slice.call(buf, start, end);
  // One call with exactly len char codes: cheaper than the native slice for
  // short strings, and flat (a concatenation would leave a cons string).
  const f = String.fromCharCode;
  const b = buf;
  const s = start;
  // deno-fmt-ignore
  switch (len) {
    case 1: return f(b[s]);
    case 2: return f(b[s], b[s + 1]);
    case 3: return f(b[s], b[s + 1], b[s + 2]);
    case 4: return f(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    case 9: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8]);
    case 10: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9]);
    case 11: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10]);
    case 12: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11]);
    case 13: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12]);
    case 14: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13]);
    case 15: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14]);
    case 16: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15]);
    case 17: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16]);
    case 18: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17]);
    case 19: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18]);
    case 20: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19]);
    case 21: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20]);
    case 22: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21]);
    case 23: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22]);
    case 24: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22], b[s + 23]);
    default: return nativeLatin1Slice.call(buf, start, end);
  }
}

/**
 * Writes the byte string `s` into `dst` at `offset` and returns the offset just
 * past it. The caller guarantees room (`offset + s.length <= dst.length`);
 * char codes above 255 (not byte strings) are truncated to their low byte.
 */
export function writeString(dst: Uint8Array, offset: number, s: string): number {
  const len = s.length;
  if (len >= ENCODE_INTO_MIN) {
    // UTF-8 of an ASCII string is the string itself: if every char took one
    // byte, the bytes are right; otherwise redo them with the identity loop.
    const { read, written } = utf8Encoder.encodeInto(s, dst.subarray(offset, offset + len));
    if (read === len && written === len) return offset + len;
  }
  for (let i = 0; i < len; i++) dst[offset + i] = s.charCodeAt(i);
  return offset + len;
}

/** The bytes of the byte string `s`, in a new array. */
export function stringToBytes(s: string): Uint8Array {
  const bytes = new Uint8Array(s.length);
  writeString(bytes, 0, s);
  return bytes;
}

/**
 * Encodes human text (any JS string) as UTF-8 and returns those bytes as a
 * byte string: for log lines, INFO text and other text sent over the wire.
 * ASCII text is returned unchanged.
 */
export function utf8ToLatin1(text: string): string {
  if (!NON_ASCII.test(text)) return text;
  const bytes = utf8Encoder.encode(text);
  return nativeLatin1Slice.call(bytes, 0, bytes.length);
}

/**
 * Decodes a byte string holding UTF-8 into human text, for printing. Invalid
 * sequences become U+FFFD. ASCII byte strings are returned unchanged.
 */
export function latin1ToUtf8(bytes: string): string {
  if (!NON_ASCII.test(bytes)) return bytes;
  return utf8Decoder.decode(stringToBytes(bytes));
}

/**
 * From this length on, V8's `slice` makes a view into its parent string (a
 * SlicedString) instead of a copy, and the view keeps the whole parent alive.
 */
const SLICED_STRING_MIN_LENGTH = 13;
/** The buffer `ownedSlice` copies through (grown on demand, kept while small). */
let sliceScratch = new Uint8Array(256);
const SLICE_SCRATCH_MAX = 1 << 16;

/**
 * `s.slice(start, end)` (0 ≤ start ≤ end ≤ s.length) as a string of its own:
 * for a part that outlives `s`, e.g. an element taken out of a larger string
 * holding many, which a view would keep alive whole.
 */
export function ownedSlice(s: string, start: number, end: number): string {
  const len = end - start;
  if (len < SLICED_STRING_MIN_LENGTH) return s.slice(start, end);
  let buf = sliceScratch;
  if (buf.length < len) {
    buf = new Uint8Array(Math.max(len, 2 * buf.length));
    if (buf.length <= SLICE_SCRATCH_MAX) sliceScratch = buf;
  }
  for (let i = 0; i < len; i++) buf[i] = s.charCodeAt(start + i);
  return bytesToString(buf, 0, len);
}

/** The heap size of a one-byte JS string of `length` bytes (its header and chars, 8-aligned). */
export function stringBytes(length: number): number {
  return 16 + ((length + 7) & ~7);
}
