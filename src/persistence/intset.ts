/**
 * Intset (Redis intset.c): a sorted array of distinct integers of one width.
 * Layout: encoding (u32 LE: 2, 4 or 8 bytes per value), length (u32 LE), the
 * values ascending, little endian.
 */
import type { ByteWriter } from "./listpack.ts";

/** 16 bit values. */
export const INTSET_ENC_INT16 = 2;
/** 32 bit values. */
export const INTSET_ENC_INT32 = 4;
/** 64 bit values. */
export const INTSET_ENC_INT64 = 8;

const TWO_32 = 4294967296;

function encodingOf(v: number | bigint): number {
  if (typeof v === "bigint") return INTSET_ENC_INT64;
  if (v < -2147483648 || v > 2147483647) return INTSET_ENC_INT64;
  if (v < -32768 || v > 32767) return INTSET_ENC_INT32;
  return INTSET_ENC_INT16;
}

function compare(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Appends the intset holding `values` (distinct int64s, as safe integers or
 * bigints, any order) to `w`, with the narrowest encoding that fits them all.
 * Sorts `values` in place.
 */
export function writeIntset(w: ByteWriter, values: (number | bigint)[]): void {
  let enc = INTSET_ENC_INT16;
  let allNumbers = true;
  for (const v of values) {
    const e = encodingOf(v);
    if (e > enc) enc = e;
    if (typeof v === "bigint") allNumbers = false;
  }
  if (allNumbers) (values as number[]).sort((a, b) => a - b);
  else values.sort(compare);
  w.ensure(8 + values.length * enc);
  w.u32le(enc);
  w.u32le(values.length);
  if (enc === INTSET_ENC_INT16) {
    for (const v of values as number[]) w.u16le(v & 0xffff);
  } else if (enc === INTSET_ENC_INT32) {
    for (const v of values as number[]) w.u32le(v >>> 0);
  } else {
    for (const v of values) w.i64le(v);
  }
}

/**
 * Reads and validates the intset `bytes[start, end)` like
 * `intsetValidateIntegrity(p, size, deep=1)`: a known encoding, a size that
 * matches the length, not empty, values strictly ascending. Returns the values
 * as decimal byte strings, or undefined when corrupt.
 */
export function intsetEntries(
  bytes: Uint8Array,
  start: number,
  end: number,
): string[] | undefined {
  const size = end - start;
  if (size < 8) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + start, size);
  const enc = dv.getUint32(0, true);
  if (enc !== INTSET_ENC_INT16 && enc !== INTSET_ENC_INT32 && enc !== INTSET_ENC_INT64) {
    return undefined;
  }
  const count = dv.getUint32(4, true);
  if (8 + count * enc !== size) return undefined;
  if (count === 0) return undefined;
  const out: string[] = new Array(count);
  if (enc === INTSET_ENC_INT64) {
    let prev: bigint | undefined;
    for (let i = 0; i < count; i++) {
      const lo = dv.getUint32(8 + i * 8, true);
      const hi = dv.getInt32(12 + i * 8, true);
      const safe = hi >= -2097152 && hi < 2097152;
      const big = dv.getBigInt64(8 + i * 8, true);
      if (prev !== undefined && big <= prev) return undefined;
      prev = big;
      out[i] = safe ? String(hi * TWO_32 + lo) : big.toString();
    }
  } else {
    let prev = -Infinity;
    for (let i = 0; i < count; i++) {
      const v = enc === INTSET_ENC_INT16
        ? dv.getInt16(8 + i * 2, true)
        : dv.getInt32(8 + i * 4, true);
      if (v <= prev) return undefined;
      prev = v;
      out[i] = String(v);
    }
  }
  return out;
}
