/**
 * Redis 7.0's HyperLogLog representation (hyperloglog.c), byte for byte, so a
 * value made by Redis counts the same here and the reverse.
 *
 * An HLL is an ordinary string value:
 *
 * ```
 * +------+---+-----+----------+--------------------------------+
 * | HYLL | E | N/U | Cardin.  |  registers                     |
 * +------+---+-----+----------+--------------------------------+
 *  4 bytes 1   3     8 bytes LE  dense: 16384 × 6 bits, LSB first
 *                                sparse: ZERO / XZERO / VAL opcodes
 * ```
 *
 * E is the encoding (0 dense, 1 sparse). The cardinality is a cache: when the
 * most significant bit of its last byte is set it must be recomputed.
 * Elements are hashed with MurmurHash64A (seed 0xadc83b19): the low 14 bits
 * pick the register, the run of zeros above them (plus one) is the value.
 *
 * Sparse opcodes (a run of registers each):
 * - ZERO  `00xxxxxx`: 1–64 zero registers;
 * - XZERO `01xxxxxx yyyyyyyy`: 1–16384 zero registers;
 * - VAL   `1vvvvvxx`: 1–4 registers of value 1–32.
 *
 * A sparse HLL is promoted to dense when a value above 32 must be stored or
 * when it would grow past `hll-sparse-max-bytes`; the update algorithm below
 * is hllSparseSet's, step by step, so that the bytes match Redis's exactly.
 *
 * The class works on a private growable byte buffer; values enter and leave
 * the keyspace as latin1 strings (`fromString` / `toString`).
 *
 * @module
 */
import { bytesToString, writeString } from "../util/bytes.ts";

/** Register index bits (Redis's HLL_P). */
export const HLL_P = 14;
/** Hash bits left for the zero run (HLL_Q = 64 - P). */
export const HLL_Q = 64 - HLL_P;
/** Number of registers. */
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
/** Bits per dense register. */
export const HLL_BITS = 6;
const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
/** Header: magic, encoding, 3 unused bytes, 8 bytes of cached cardinality. */
export const HLL_HDR_SIZE = 16;
/** Length of a dense HLL string. */
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * HLL_BITS + 7) >> 3);
/** Encoding byte of a dense HLL. */
export const HLL_DENSE = 0;
/** Encoding byte of a sparse HLL. */
export const HLL_SPARSE = 1;
/** Default of `hll-sparse-max-bytes`. */
export const HLL_SPARSE_MAX_BYTES_DEFAULT = 3000;
/** MurmurHash64A seed Redis uses for HLL elements. */
export const HLL_HASH_SEED = 0xadc83b19;

const HLL_SPARSE_XZERO_BIT = 0x40;
const HLL_SPARSE_VAL_BIT = 0x80;
const HLL_SPARSE_VAL_MAX_VALUE = 32;
const HLL_SPARSE_VAL_MAX_LEN = 4;
const HLL_SPARSE_ZERO_MAX_LEN = 64;
const HLL_SPARSE_XZERO_MAX_LEN = 16384;
/** 0.5 / ln(2). */
const HLL_ALPHA_INF = 0.721347520444481703680;

/** The error for a value that is not an HLL (note: Redis sends it with WRONGTYPE as its code). */
export const NOT_HLL_ERROR = "WRONGTYPE Key is not a valid HyperLogLog string value.";
/** The error for an HLL whose sparse representation is corrupt. */
export const INVALID_HLL_ERROR = "INVALIDOBJ Corrupted HLL object detected";

// --------------------------------------------------------------- hashing

/** MurmurHash64A's multiplier 0xc6a4a7935bd1e995 as two 32-bit halves. */
const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;

/** High 32 bits of the unsigned 64-bit product of two uint32 (Hacker's Delight mulhu). */
function mulHiU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const t = a1 * b0 + ((a0 * b0) >>> 16);
  const w1 = (t & 0xffff) + a0 * b1;
  return (a1 * b1 + Math.floor(t / 65536) + Math.floor(w1 / 65536)) >>> 0;
}

// Scratch for the 64-bit arithmetic below: [hi, lo] of the last result.
let rHi = 0;
let rLo = 0;

/** (hi, lo) × m mod 2^64 into rHi/rLo. */
function mulM(hi: number, lo: number): void {
  const newHi = (Math.imul(hi, M_LO) + Math.imul(lo, M_HI) + mulHiU32(lo, M_LO)) >>> 0;
  rLo = Math.imul(lo, M_LO) >>> 0;
  rHi = newHi;
}

/**
 * Redis's MurmurHash64A over the bytes of the latin1 string `s` (the
 * endian-neutral variant: blocks are read little endian). Returns the hash's
 * high and low 32 bits in `out`.
 */
export function murmurHash64A(s: string, seed: number, out: [number, number] = [0, 0]): [
  number,
  number,
] {
  const len = s.length;
  // h = seed ^ (len * m); len * m mod 2^64 with len < 2^32.
  mulM(0, len >>> 0);
  let hHi = rHi;
  let hLo = (rLo ^ seed) >>> 0;
  const blocks = len - (len & 7);
  let i = 0;
  for (; i < blocks; i += 8) {
    let kLo = (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) |
      (s.charCodeAt(i + 3) << 24)) >>> 0;
    let kHi = (s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 8) | (s.charCodeAt(i + 6) << 16) |
      (s.charCodeAt(i + 7) << 24)) >>> 0;
    mulM(kHi, kLo);
    kHi = rHi;
    kLo = rLo;
    kLo = (kLo ^ (kHi >>> 15)) >>> 0; // k ^= k >> 47
    mulM(kHi, kLo);
    hHi = (hHi ^ rHi) >>> 0;
    hLo = (hLo ^ rLo) >>> 0;
    mulM(hHi, hLo);
    hHi = rHi;
    hLo = rLo;
  }
  const tail = len & 7;
  if (tail !== 0) {
    for (let j = tail - 1; j >= 0; j--) {
      const byte = s.charCodeAt(i + j);
      if (j >= 4) hHi = (hHi ^ (byte << ((j - 4) * 8))) >>> 0;
      else hLo = (hLo ^ (byte << (j * 8))) >>> 0;
    }
    mulM(hHi, hLo);
    hHi = rHi;
    hLo = rLo;
  }
  hLo = (hLo ^ (hHi >>> 15)) >>> 0; // h ^= h >> 47
  mulM(hHi, hLo);
  hHi = rHi;
  hLo = (rLo ^ (rHi >>> 15)) >>> 0;
  out[0] = hHi;
  out[1] = hLo;
  return out;
}

const hashScratch: [number, number] = [0, 0];

/**
 * hllPatLen: the register an element maps to and the value it proposes (the
 * length of the zero run above the index bits, plus one), packed as
 * `index * 64 + count`.
 */
export function hllPatLen(element: string): number {
  const [hi, lo] = murmurHash64A(element, HLL_HASH_SEED, hashScratch);
  const index = lo & HLL_P_MASK;
  // hash >>= P; hash |= 1 << Q; count = trailing zeros + 1.
  const vLo = ((lo >>> HLL_P) | (hi << (32 - HLL_P))) >>> 0;
  const vHi = ((hi >>> HLL_P) | (1 << (HLL_Q - 32))) >>> 0;
  let count: number;
  if (vLo !== 0) count = 32 - Math.clz32(vLo & -vLo);
  else count = 33 + 31 - Math.clz32(vHi & -vHi);
  return index * 64 + count;
}

// ------------------------------------------------------------ estimation

/** Ertl's sigma (hllSigma). */
function hllSigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** Ertl's tau (hllTau). */
function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** The cardinality estimate from a register histogram (the second half of hllCount). */
function estimateFromHistogram(histo: Float64Array): number {
  const m = HLL_REGISTERS;
  let z = m * hllTau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * hllSigma(histo[0] / m);
  // llroundl: halves away from zero; the value is never negative.
  return Math.round(HLL_ALPHA_INF * m * m / z);
}

/**
 * The cardinality of an HLL given as one byte per register (Redis's internal
 * HLL_RAW, used by PFCOUNT over several keys).
 */
export function countRawRegisters(registers: Uint8Array): number {
  const histo = new Float64Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[registers[i]]++;
  return estimateFromHistogram(histo);
}

// ----------------------------------------------------------- validation

/**
 * isHLLObjectOrReply's test: at least a header long, "HYLL" magic, a known
 * encoding, and exactly HLL_DENSE_SIZE bytes when dense.
 */
export function isHllString(s: string): boolean {
  if (s.length < HLL_HDR_SIZE) return false;
  if (s.charCodeAt(0) !== 0x48 || s.charCodeAt(1) !== 0x59) return false; // "HY"
  if (s.charCodeAt(2) !== 0x4c || s.charCodeAt(3) !== 0x4c) return false; // "LL"
  const encoding = s.charCodeAt(4);
  if (encoding > HLL_SPARSE) return false;
  return encoding !== HLL_DENSE || s.length === HLL_DENSE_SIZE;
}

/** The cardinality cached in an HLL string's header, or undefined when it is stale. */
export function cachedCardinalityOf(s: string): number | undefined {
  if ((s.charCodeAt(15) & 0x80) !== 0) return undefined;
  let card = 0;
  for (let i = 15; i >= 8; i--) card = card * 256 + s.charCodeAt(i);
  return card;
}

// -------------------------------------------------------- representation

/** One HLL being read or updated. */
export class HyperLogLog {
  /** The bytes; one spare byte past `#len` stays zero (sds's terminator, read by the last register). */
  #buf: Uint8Array;
  #len: number;

  private constructor(buf: Uint8Array, len: number) {
    this.#buf = buf;
    this.#len = len;
  }

  /** createHLLObject: an empty sparse HLL (one XZERO opcode covering every register). */
  static create(): HyperLogLog {
    const sparseLen = HLL_HDR_SIZE +
      Math.floor((HLL_REGISTERS + (HLL_SPARSE_XZERO_MAX_LEN - 1)) / HLL_SPARSE_XZERO_MAX_LEN) * 2;
    const buf = new Uint8Array(sparseLen + 64);
    buf.set([0x48, 0x59, 0x4c, 0x4c]);
    buf[4] = HLL_SPARSE;
    let p = HLL_HDR_SIZE;
    for (let left = HLL_REGISTERS; left > 0;) {
      const run = Math.min(HLL_SPARSE_XZERO_MAX_LEN, left);
      buf[p] = ((run - 1) >> 8) | HLL_SPARSE_XZERO_BIT;
      buf[p + 1] = (run - 1) & 0xff;
      p += 2;
      left -= run;
    }
    return new HyperLogLog(buf, sparseLen);
  }

  /** The HLL held in a string value; the caller checked it with `isHllString`. */
  static fromString(s: string): HyperLogLog {
    const extra = s.charCodeAt(4) === HLL_SPARSE ? 64 : 1;
    const buf = new Uint8Array(s.length + extra);
    writeString(buf, 0, s);
    return new HyperLogLog(buf, s.length);
  }

  /** The value as a string for the keyspace. */
  toString(): string {
    return bytesToString(this.#buf, 0, this.#len);
  }

  /** HLL_DENSE or HLL_SPARSE. */
  get encoding(): number {
    return this.#buf[4];
  }

  /** Length of the representation in bytes. */
  get byteLength(): number {
    return this.#len;
  }

  // ------------------------------------------------------------- cache

  /** The cached cardinality, or undefined when the cache is invalid. */
  cachedCardinality(): number | undefined {
    const b = this.#buf;
    if ((b[15] & 0x80) !== 0) return undefined;
    let card = 0;
    for (let i = 15; i >= 8; i--) card = card * 256 + b[i];
    return card;
  }

  /** Stores `card` as the cached cardinality (8 bytes little endian, valid). */
  storeCardinality(card: number): void {
    const b = this.#buf;
    let rest = card;
    for (let i = 8; i < 16; i++) {
      b[i] = rest % 256;
      rest = Math.floor(rest / 256);
    }
  }

  /** HLL_INVALIDATE_CACHE. */
  invalidateCache(): void {
    this.#buf[15] |= 0x80;
  }

  // ------------------------------------------------------------- dense

  #denseGet(regnum: number): number {
    const b = this.#buf;
    const bit = regnum * HLL_BITS;
    const byte = HLL_HDR_SIZE + (bit >> 3);
    const fb = bit & 7;
    return ((b[byte] >> fb) | (b[byte + 1] << (8 - fb))) & HLL_REGISTER_MAX;
  }

  #denseSetRaw(regnum: number, value: number): void {
    const b = this.#buf;
    const bit = regnum * HLL_BITS;
    const byte = HLL_HDR_SIZE + (bit >> 3);
    const fb = bit & 7;
    const fb8 = 8 - fb;
    b[byte] = (b[byte] & ~(HLL_REGISTER_MAX << fb)) | ((value << fb) & 0xff);
    if (byte + 1 < b.length) {
      b[byte + 1] = (b[byte + 1] & ~(HLL_REGISTER_MAX >> fb8)) | (value >> fb8);
    }
  }

  /** hllDenseSet: raises register `index` to `count`; 1 when it changed. */
  #denseSet(index: number, count: number): 0 | 1 {
    if (count > this.#denseGet(index)) {
      this.#denseSetRaw(index, count);
      return 1;
    }
    return 0;
  }

  // ------------------------------------------------------------ sparse

  /** hllSparseToDense; false when the sparse representation is corrupt. Dense stays as is. */
  toDense(): boolean {
    const old = this.#buf;
    if (old[4] === HLL_DENSE) return true;
    const end = this.#len;
    const dense = new Uint8Array(HLL_DENSE_SIZE + 1);
    dense.set(old.subarray(0, HLL_HDR_SIZE)); // magic and cached cardinality
    dense[4] = HLL_DENSE;
    this.#buf = dense;
    let idx = 0;
    let p = HLL_HDR_SIZE;
    let valid = true;
    while (p < end) {
      const op = old[p];
      if ((op & 0xc0) === 0) {
        const runlen = (op & 0x3f) + 1;
        if (runlen + idx > HLL_REGISTERS) {
          valid = false;
          break;
        }
        idx += runlen;
        p++;
      } else if ((op & 0xc0) === HLL_SPARSE_XZERO_BIT) {
        const runlen = (((op & 0x3f) << 8) | old[p + 1]) + 1;
        if (runlen + idx > HLL_REGISTERS) {
          valid = false;
          break;
        }
        idx += runlen;
        p += 2;
      } else {
        let runlen = (op & 0x3) + 1;
        const regval = ((op >> 2) & 0x1f) + 1;
        if (runlen + idx > HLL_REGISTERS) {
          valid = false;
          break;
        }
        while (runlen-- > 0) this.#denseSetRaw(idx++, regval);
        p++;
      }
    }
    if (!valid || idx !== HLL_REGISTERS) {
      this.#buf = old;
      return false;
    }
    this.#len = HLL_DENSE_SIZE;
    return true;
  }

  /** Makes room for `extra` more bytes past #len (plus the zero terminator). */
  #reserve(extra: number): void {
    if (this.#len + extra + 1 <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#len + extra + 1, this.#buf.length * 2));
    grown.set(this.#buf.subarray(0, this.#len));
    this.#buf = grown;
  }

  /**
   * hllSparseSet: raises register `index` to `count` in a sparse HLL,
   * splitting and merging opcodes in place exactly as Redis does, or
   * promoting to dense. 1 when the register changed, 0 when not, -1 when the
   * representation is corrupt.
   */
  #sparseSet(index: number, count: number, sparseMaxBytes: number): -1 | 0 | 1 {
    if (count > HLL_SPARSE_VAL_MAX_VALUE) return this.#promote(index, count);
    this.#reserve(3);
    const b = this.#buf;
    const sparse = HLL_HDR_SIZE;
    let end = this.#len;
    let p = sparse;
    let first = 0;
    let prev = -1;
    let span = 0;
    // Step 1: find the opcode covering `index`.
    while (p < end) {
      const op = b[p];
      let oplen = 1;
      if ((op & 0xc0) === 0) {
        span = (op & 0x3f) + 1;
      } else if ((op & HLL_SPARSE_VAL_BIT) !== 0) {
        span = (op & 0x3) + 1;
      } else {
        span = (((op & 0x3f) << 8) | b[p + 1]) + 1;
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;

    const op = b[p];
    const isXzero = (op & 0xc0) === HLL_SPARSE_XZERO_BIT;
    const isZero = (op & 0xc0) === 0;
    const isVal = !isXzero && !isZero;
    let next = isXzero ? p + 2 : p + 1;
    if (next >= end) next = -1;
    const runlen = isZero ? (op & 0x3f) + 1 : isXzero ? span : (op & 0x3) + 1;

    let updated = false;
    // Step 2, cases A and B: a VAL opcode.
    if (isVal) {
      const oldcount = ((op >> 2) & 0x1f) + 1;
      if (oldcount >= count) return 0;
      if (runlen === 1) {
        b[p] = valOpcode(count, 1);
        updated = true;
      }
    }
    // Case C: a ZERO opcode of length 1.
    if (!updated && isZero && runlen === 1) {
      b[p] = valOpcode(count, 1);
      updated = true;
    }
    if (!updated) {
      // Case D: split the opcode into up to three.
      const seq: number[] = [];
      const last = first + span - 1;
      if (isZero || isXzero) {
        if (index !== first) pushZeroRun(seq, index - first);
        seq.push(valOpcode(count, 1));
        if (index !== last) pushZeroRun(seq, last - index);
      } else {
        const curval = ((op >> 2) & 0x1f) + 1;
        if (index !== first) seq.push(valOpcode(curval, index - first));
        seq.push(valOpcode(count, 1));
        if (index !== last) seq.push(valOpcode(curval, last - index));
      }
      // Step 3: substitute the sequence for the old opcode.
      const oldlen = isXzero ? 2 : 1;
      const deltalen = seq.length - oldlen;
      if (deltalen > 0 && this.#len + deltalen > sparseMaxBytes) {
        return this.#promote(index, count);
      }
      if (deltalen !== 0 && next !== -1) b.copyWithin(next + deltalen, next, end);
      this.#len += deltalen;
      for (let i = 0; i < seq.length; i++) b[p + i] = seq[i];
      end += deltalen;
      if (deltalen < 0) b.fill(0, end, end - deltalen);
    }

    // Step 4: merge adjacent VAL opcodes of equal value, scanning up to 5 opcodes from prev.
    p = prev !== -1 ? prev : sparse;
    let scanlen = 5;
    while (p < end && scanlen-- > 0) {
      const cur = b[p];
      if ((cur & 0xc0) === HLL_SPARSE_XZERO_BIT) {
        p += 2;
        continue;
      } else if ((cur & 0xc0) === 0) {
        p++;
        continue;
      }
      if (p + 1 < end && (b[p + 1] & HLL_SPARSE_VAL_BIT) !== 0) {
        const v1 = ((cur >> 2) & 0x1f) + 1;
        const v2 = ((b[p + 1] >> 2) & 0x1f) + 1;
        if (v1 === v2) {
          const len = (cur & 0x3) + 1 + (b[p + 1] & 0x3) + 1;
          if (len <= HLL_SPARSE_VAL_MAX_LEN) {
            b[p + 1] = valOpcode(v1, len);
            b.copyWithin(p, p + 1, end);
            this.#len--;
            end--;
            b[end] = 0;
            continue;
          }
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }

  /** The `promote:` label of hllSparseSet: convert, then set densely (always a change). */
  #promote(index: number, count: number): -1 | 1 {
    if (!this.toDense()) return -1;
    this.#denseSet(index, count);
    return 1;
  }

  // ------------------------------------------------------------ public

  /**
   * hllSparseSet / hllDenseSet: raises register `index` to `count`. 1 when
   * it changed, 0 when not, -1 when the sparse representation is corrupt.
   */
  setRegister(index: number, count: number, sparseMaxBytes: number): -1 | 0 | 1 {
    if (this.#buf[4] === HLL_DENSE) return this.#denseSet(index, count);
    return this.#sparseSet(index, count, sparseMaxBytes);
  }

  /** hllAdd: adds one element; 1 when a register changed, 0 when not, -1 when corrupt. */
  add(element: string, sparseMaxBytes: number): -1 | 0 | 1 {
    const packed = hllPatLen(element);
    return this.setRegister(packed >>> 6, packed & 63, sparseMaxBytes);
  }

  /**
   * hllMerge: max[i] = max(max[i], register i) for every register; false
   * when the sparse representation is corrupt.
   */
  mergeInto(max: Uint8Array): boolean {
    const b = this.#buf;
    if (b[4] === HLL_DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const val = this.#denseGet(i);
        if (val > max[i]) max[i] = val;
      }
      return true;
    }
    const end = this.#len;
    let p = HLL_HDR_SIZE;
    let i = 0;
    while (p < end) {
      const op = b[p];
      if ((op & 0xc0) === 0) {
        const runlen = (op & 0x3f) + 1;
        if (runlen + i > HLL_REGISTERS) return false;
        i += runlen;
        p++;
      } else if ((op & 0xc0) === HLL_SPARSE_XZERO_BIT) {
        const runlen = (((op & 0x3f) << 8) | b[p + 1]) + 1;
        if (runlen + i > HLL_REGISTERS) return false;
        i += runlen;
        p += 2;
      } else {
        let runlen = (op & 0x3) + 1;
        const regval = ((op >> 2) & 0x1f) + 1;
        if (runlen + i > HLL_REGISTERS) return false;
        while (runlen-- > 0) {
          if (regval > max[i]) max[i] = regval;
          i++;
        }
        p++;
      }
    }
    return i === HLL_REGISTERS;
  }

  /** hllCount: the estimated cardinality, or undefined when the sparse representation is corrupt. */
  count(): number | undefined {
    const histo = new Float64Array(64);
    const b = this.#buf;
    if (b[4] === HLL_DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) histo[this.#denseGet(i)]++;
      return estimateFromHistogram(histo);
    }
    const end = this.#len;
    let p = HLL_HDR_SIZE;
    let idx = 0;
    let valid = true;
    while (p < end) {
      const op = b[p];
      let runlen: number;
      let regval = 0;
      if ((op & 0xc0) === 0) {
        runlen = (op & 0x3f) + 1;
        p++;
      } else if ((op & 0xc0) === HLL_SPARSE_XZERO_BIT) {
        runlen = (((op & 0x3f) << 8) | b[p + 1]) + 1;
        p += 2;
      } else {
        runlen = (op & 0x3) + 1;
        regval = ((op >> 2) & 0x1f) + 1;
        p++;
      }
      if (runlen + idx > HLL_REGISTERS) {
        valid = false;
        break;
      }
      idx += runlen;
      histo[regval] += runlen;
    }
    if (!valid || idx !== HLL_REGISTERS) return undefined;
    return estimateFromHistogram(histo);
  }

  /** Every register's value (the HLL must be dense): PFDEBUG GETREG. */
  denseRegisters(): number[] {
    const out = new Array<number>(HLL_REGISTERS);
    for (let i = 0; i < HLL_REGISTERS; i++) out[i] = this.#denseGet(i);
    return out;
  }

  /** PFDEBUG DECODE's text for a sparse HLL: "z:N", "Z:N" and "v:V,N" separated by spaces. */
  decodeSparse(): string {
    const b = this.#buf;
    const parts: string[] = [];
    for (let p = HLL_HDR_SIZE; p < this.#len;) {
      const op = b[p];
      if ((op & 0xc0) === 0) {
        parts.push(`z:${(op & 0x3f) + 1}`);
        p++;
      } else if ((op & 0xc0) === HLL_SPARSE_XZERO_BIT) {
        parts.push(`Z:${(((op & 0x3f) << 8) | b[p + 1]) + 1}`);
        p += 2;
      } else {
        parts.push(`v:${((op >> 2) & 0x1f) + 1},${(op & 0x3) + 1}`);
        p++;
      }
    }
    return parts.join(" ");
  }
}

/** HLL_SPARSE_VAL_SET's byte. */
function valOpcode(value: number, len: number): number {
  return (((value - 1) << 2) | (len - 1)) | HLL_SPARSE_VAL_BIT;
}

/** A run of `len` zero registers as ZERO (up to 64) or XZERO. */
function pushZeroRun(seq: number[], len: number): void {
  if (len > HLL_SPARSE_ZERO_MAX_LEN) {
    seq.push(((len - 1) >> 8) | HLL_SPARSE_XZERO_BIT, (len - 1) & 0xff);
  } else {
    seq.push(len - 1);
  }
}
