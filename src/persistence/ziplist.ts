/**
 * The legacy blob encodings found in older RDB files: ziplist (ziplist.c, used
 * by RDB types 10, 12, 13 and quicklist v1 nodes) and zipmap (zipmap.c, hashes
 * of Redis < 2.6). Validating readers, plus a ziplist writer that tests use to
 * build such files.
 *
 * Ziplist: zlbytes (u32 LE), zltail (u32 LE, offset of the last entry), zllen
 * (u16 LE, 65535 = unknown), entries, 0xFF. An entry is prevlen (1 byte, or
 * 0xFE + u32 LE), an encoding, and the data.
 */
import { ByteWriter } from "./listpack.ts";
import { stringToInt64 } from "./rdb_constants.ts";
import { bytesToString } from "../util/bytes.ts";

const ZIP_END = 0xff;
const ZIP_BIG_PREVLEN = 0xfe;
const ZIPLIST_HEADER_SIZE = 10;
const ZIP_INT_16B = 0xc0;
const ZIP_INT_32B = 0xd0;
const ZIP_INT_64B = 0xe0;
const ZIP_INT_24B = 0xf0;
const ZIP_INT_8B = 0xfe;
const TWO_32 = 4294967296;

function u32le(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

/**
 * Reads and validates the ziplist `bytes[start, end)` the way
 * `ziplistValidateIntegrity(zl, size, deep=1)` does. Returns the entries as byte
 * strings (integers in decimal), or undefined when the ziplist is corrupt.
 */
export function ziplistEntries(
  bytes: Uint8Array,
  start: number,
  end: number,
): string[] | undefined {
  const size = end - start;
  if (size < ZIPLIST_HEADER_SIZE + 1) return undefined;
  if (u32le(bytes, start) !== size) return undefined;
  const tail = u32le(bytes, start + 4);
  if (tail > size - 1) return undefined;
  if (bytes[end - 1] !== ZIP_END) return undefined;
  const zllen = bytes[start + 8] | (bytes[start + 9] << 8);
  const out: string[] = [];
  let p = start + ZIPLIST_HEADER_SIZE;
  const last = end - 1;
  let prevRaw = 0;
  let lastEntry = -1;
  while (p < last) {
    // prevlen
    let prevlen: number;
    let h = p;
    if (bytes[h] < ZIP_BIG_PREVLEN) {
      prevlen = bytes[h];
      h += 1;
    } else if (bytes[h] === ZIP_BIG_PREVLEN) {
      if (h + 5 > last) return undefined;
      prevlen = u32le(bytes, h + 1);
      h += 5;
    } else {
      return undefined;
    }
    if (prevlen !== prevRaw) return undefined;
    if (h >= last) return undefined;
    const enc = bytes[h];
    let data: number;
    let dataLen: number;
    let value: string;
    if ((enc & 0xc0) === 0x00) {
      dataLen = enc & 0x3f;
      data = h + 1;
      if (data + dataLen > last) return undefined;
      value = bytesToString(bytes, data, data + dataLen);
    } else if ((enc & 0xc0) === 0x40) {
      if (h + 2 > last) return undefined;
      dataLen = ((enc & 0x3f) << 8) | bytes[h + 1];
      data = h + 2;
      if (data + dataLen > last) return undefined;
      value = bytesToString(bytes, data, data + dataLen);
    } else if (enc === 0x80) {
      if (h + 5 > last) return undefined;
      dataLen = ((bytes[h + 1] << 24) | (bytes[h + 2] << 16) | (bytes[h + 3] << 8) |
        bytes[h + 4]) >>> 0;
      data = h + 5;
      if (data + dataLen > last) return undefined;
      value = bytesToString(bytes, data, data + dataLen);
    } else {
      data = h + 1;
      if (enc === ZIP_INT_8B) {
        dataLen = 1;
        if (data + 1 > last) return undefined;
        value = String((bytes[data] << 24) >> 24);
      } else if (enc === ZIP_INT_16B) {
        dataLen = 2;
        if (data + 2 > last) return undefined;
        value = String(((bytes[data] | (bytes[data + 1] << 8)) << 16) >> 16);
      } else if (enc === ZIP_INT_24B) {
        dataLen = 3;
        if (data + 3 > last) return undefined;
        value = String(
          ((bytes[data] | (bytes[data + 1] << 8) | (bytes[data + 2] << 16)) << 8) >> 8,
        );
      } else if (enc === ZIP_INT_32B) {
        dataLen = 4;
        if (data + 4 > last) return undefined;
        value = String(u32le(bytes, data) | 0);
      } else if (enc === ZIP_INT_64B) {
        dataLen = 8;
        if (data + 8 > last) return undefined;
        const lo = u32le(bytes, data);
        const hi = u32le(bytes, data + 4) | 0;
        value = hi >= -2097152 && hi < 2097152
          ? String(hi * TWO_32 + lo)
          : ((BigInt(hi) << 32n) | BigInt(lo)).toString();
      } else if (enc >= 0xf1 && enc <= 0xfd) {
        dataLen = 0;
        value = String((enc & 0x0f) - 1);
      } else {
        return undefined;
      }
    }
    lastEntry = p - start;
    const next = data + dataLen;
    prevRaw = next - p;
    out.push(value);
    p = next;
  }
  if (p !== last) return undefined;
  if (zllen !== 0xffff && zllen !== out.length) return undefined;
  // zltail points at the last entry, or at the terminator when empty.
  if (lastEntry === -1 ? tail !== ZIPLIST_HEADER_SIZE : tail !== lastEntry) return undefined;
  return out;
}

/**
 * Reads and validates the zipmap `bytes[start, end)` (`zipmapValidateIntegrity`
 * with deep=1). Returns alternating keys and values, or undefined when corrupt.
 *
 * Layout: zmlen (1 byte), then per pair: len, key, len, free (1 byte), value,
 * `free` unused bytes; a len is 1 byte below 254 or 254 + u32 LE; 0xFF ends.
 */
export function zipmapEntries(
  bytes: Uint8Array,
  start: number,
  end: number,
): string[] | undefined {
  if (end - start < 2) return undefined;
  const out: string[] = [];
  let p = start + 1; // skip zmlen
  const readLen = (): number | undefined => {
    if (p >= end) return undefined;
    const b = bytes[p];
    if (b < 254) {
      p += 1;
      return b;
    }
    if (b === 254) {
      if (p + 5 > end) return undefined;
      const n = u32le(bytes, p + 1);
      p += 5;
      return n;
    }
    return undefined; // 255 is only the terminator
  };
  while (true) {
    if (p >= end) return undefined;
    if (bytes[p] === ZIP_END) {
      p++;
      break;
    }
    const klen = readLen();
    if (klen === undefined || p + klen > end) return undefined;
    out.push(bytesToString(bytes, p, p + klen));
    p += klen;
    const vlen = readLen();
    if (vlen === undefined || p + 1 > end) return undefined;
    const free = bytes[p++];
    if (p + vlen + free > end) return undefined;
    out.push(bytesToString(bytes, p, p + vlen));
    p += vlen + free;
  }
  if (p !== end) return undefined;
  const zmlen = bytes[start];
  if (zmlen < 254 && zmlen * 2 !== out.length) return undefined;
  return out;
}

/** Builds ziplists as `ziplistPush(zl, s, len, ZIPLIST_TAIL)` does (for tests and tools). */
export function buildZiplist(values: Iterable<string>): Uint8Array {
  const w = new ByteWriter(256);
  w.skip(ZIPLIST_HEADER_SIZE);
  let prevRaw = 0;
  let lastEntry = ZIPLIST_HEADER_SIZE;
  let count = 0;
  for (const s of values) {
    const at = w.length;
    lastEntry = at;
    if (prevRaw < ZIP_BIG_PREVLEN) {
      w.byte(prevRaw);
    } else {
      w.byte(ZIP_BIG_PREVLEN);
      w.u32le(prevRaw);
    }
    const v = s.length <= 32 ? stringToInt64(s) : undefined;
    if (v !== undefined) {
      const n = Number(v);
      if (typeof v === "number" && n >= 0 && n <= 12) {
        w.byte(0xf1 + n);
      } else if (typeof v === "number" && n >= -128 && n <= 127) {
        w.byte(ZIP_INT_8B);
        w.byte(n & 0xff);
      } else if (typeof v === "number" && n >= -32768 && n <= 32767) {
        w.byte(ZIP_INT_16B);
        w.u16le(n & 0xffff);
      } else if (typeof v === "number" && n >= -8388608 && n <= 8388607) {
        w.byte(ZIP_INT_24B);
        w.byte(n & 0xff);
        w.byte((n >> 8) & 0xff);
        w.byte((n >> 16) & 0xff);
      } else if (typeof v === "number" && n >= -2147483648 && n <= 2147483647) {
        w.byte(ZIP_INT_32B);
        w.u32le(n >>> 0);
      } else {
        w.byte(ZIP_INT_64B);
        w.i64le(v);
      }
    } else {
      const n = s.length;
      if (n <= 0x3f) {
        w.byte(n);
      } else if (n <= 0x3fff) {
        w.byte(0x40 | (n >>> 8));
        w.byte(n & 0xff);
      } else {
        w.byte(0x80);
        w.u32be(n);
      }
      w.latin1(s);
    }
    prevRaw = w.length - at;
    count++;
  }
  w.byte(ZIP_END);
  w.patchU32le(0, w.length);
  w.patchU32le(4, lastEntry);
  w.patchU16le(8, count < 0xffff ? count : 0xffff);
  return w.copy();
}
