/**
 * LZF compression as liblzf 3.6 does it in Redis 7.0 (lzf_c.c / lzf_d.c, with
 * HLOG 16, VERY_FAST, CHECK_INPUT, and hash slots holding offsets from the
 * input start as on 64-bit builds). The compressor follows lzf_compress step
 * by step so it emits the same bytes.
 *
 * One subtlety decides byte-exactness: Redis's hash table is an uninitialized
 * local array (INIT_HTAB 0), so a call sees the offsets the previous call from
 * the same stack frame left behind, read relative to its own input. Redis
 * compresses a list's quicklist nodes one after another from the same frame,
 * so {@link lzfCompress} with `continueTable` reproduces that; a fresh call
 * starts from an empty table.
 *
 * Format: `000LLLLL` + L+1 literal bytes; `LLLooooo oooooooo` back reference of
 * L+2 bytes at distance o+1; `111ooooo LLLLLLLL oooooooo` the same with L+9.
 */

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const TABLE_LIMIT = 0x7fff0000;

/**
 * Slots hold `tableBase + offset`. Values below `tableBase` belong to an
 * earlier table and read as empty; a continued table keeps its base, so the
 * previous call's offsets stay visible.
 */
const htab = new Int32Array(HSIZE);
let tableBase = 1;
/** Largest offset stored since the table was (logically) emptied. */
let tableSpan = 0;

function idx(h: number): number {
  return ((h >>> (3 * 8 - HLOG)) - Math.imul(h, 5)) & (HSIZE - 1);
}

/**
 * liblzf's `lzf_compress`: compresses `input[inStart, inStart + inLen)` into
 * `out[outStart, …)` using at most `outLen` bytes and returns the compressed
 * length, or 0 when the result would not fit in `outLen` bytes.
 *
 * Like the C code, it may scribble one byte past `outLen` (Redis allocates
 * `outLen + 1`): `out` must have room for `outStart + outLen + 1` bytes.
 * With `continueTable` the hash table left by the previous call is kept (see
 * the module documentation); any match found through it is still verified.
 */
export function lzfCompress(
  input: Uint8Array,
  inStart: number,
  inLen: number,
  out: Uint8Array,
  outStart: number,
  outLen: number,
  continueTable = false,
): number {
  if (inLen === 0 || outLen === 0) return 0;
  if (!continueTable) {
    tableBase += tableSpan + 1;
    tableSpan = 0;
  }
  if (tableBase + Math.max(tableSpan, inLen) + 1 > TABLE_LIMIT) {
    htab.fill(0);
    tableBase = 1;
    tableSpan = 0;
  }
  if (inLen > tableSpan) tableSpan = inLen;
  const base = tableBase - inStart; // stored value = base + absolute input index

  let ip = inStart;
  const inEnd = inStart + inLen;
  let op = outStart;
  const outEnd = outStart + outLen;
  let lit = 0;
  op++; // start run

  let hval = ((input[ip] << 8) | input[ip + 1]) >>> 0;
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0;
    const slot = idx(hval);
    const stored = htab[slot];
    htab[slot] = base + ip;
    // An empty slot reads as offset 0, which `ref > in_data` rejects.
    const ref = stored >= tableBase ? stored - base : inStart;
    let off: number;
    if (
      ref < ip &&
      (off = ip - ref - 1) < MAX_OFF &&
      ref > inStart &&
      input[ref + 2] === input[ip + 2] &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1]
    ) {
      // match found at ref
      let len = 2;
      let maxlen = inEnd - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;

      if (op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return 0;

      out[op - lit - 1] = lit - 1; // stop run
      if (lit === 0) op--; // undo run if length is zero

      // The C loop first compares 16 bytes unrolled when maxlen > 16, then
      // continues one by one; keep its exact bounds so lengths match.
      let mismatch = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            mismatch = true;
            break;
          }
        }
      }
      if (!mismatch) {
        do len++; while (len < maxlen && input[ref + len] === input[ip + len]);
      }

      len -= 2; // len is now #octets - 1
      ip++;

      if (len < 7) {
        out[op++] = (off >>> 8) + (len << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run

      ip += len + 1;
      if (ip >= inEnd - 2) break;

      // VERY_FAST: rehash the two positions before the new ip.
      ip -= 2;
      hval = ((input[ip] << 8) | input[ip + 1]) >>> 0;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      htab[idx(hval)] = base + ip;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      htab[idx(hval)] = base + ip;
      ip++;
    } else {
      // one more literal byte we must copy
      if (op >= outEnd) return 0;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1; // stop run
        lit = 0;
        op++; // start run
      }
    }
  }

  if (op + 3 > outEnd) return 0; // at most 3 bytes can be missing here

  while (ip < inEnd) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }

  out[op - lit - 1] = lit - 1; // end run
  if (lit === 0) op--; // undo run if length is zero
  return op - outStart;
}

/** Back references longer than this are copied by fill/copyWithin instead of a byte loop. */
const FILL_MIN = 16;

/**
 * liblzf's `lzf_decompress`: expands `input[inStart, inStart + inLen)` into
 * `out[outStart, outStart + outLen)` and returns the number of bytes produced,
 * or 0 when the data is corrupt or would not fit (E2BIG/EINVAL in C).
 */
export function lzfDecompress(
  input: Uint8Array,
  inStart: number,
  inLen: number,
  out: Uint8Array,
  outStart: number,
  outLen: number,
): number {
  let ip = inStart;
  const inEnd = inStart + inLen;
  let op = outStart;
  const outEnd = outStart + outLen;
  if (inLen === 0) return 0;

  do {
    let ctrl = input[ip++];
    if (ctrl < 1 << 5) {
      // literal run
      ctrl++;
      if (op + ctrl > outEnd) return 0;
      if (ip + ctrl > inEnd) return 0;
      const stop = ip + ctrl;
      while (ip < stop) out[op++] = input[ip++];
    } else {
      // back reference
      let len = ctrl >>> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= inEnd) return 0;
      if (len === 7) {
        len += input[ip++];
        if (ip >= inEnd) return 0;
      }
      ref -= input[ip++];
      if (op + len + 2 > outEnd) return 0;
      if (ref < outStart) return 0;
      const n = len + 2;
      const distance = op - ref;
      if (distance === 1 && n > FILL_MIN) {
        // A run of one byte, the commonest long reference.
        out.fill(out[ref], op, op + n);
        op += n;
      } else if (distance >= n && n > FILL_MIN) {
        out.copyWithin(op, ref, ref + n);
        op += n;
      } else {
        // Overlapping copies repeat what they copy (runs): byte by byte.
        const stop = op + n;
        while (op < stop) out[op++] = out[ref++];
      }
    }
  } while (ip < inEnd);

  return op - outStart;
}

/**
 * Compresses `input` the way Redis's rdbSaveLzfStringObject does: only worth it
 * when it saves at least 4 bytes. Returns the compressed bytes or undefined.
 */
export function lzfCompressBytes(input: Uint8Array): Uint8Array | undefined {
  if (input.length <= 4) return undefined;
  const outLen = input.length - 4;
  const out = new Uint8Array(outLen + 1);
  const n = lzfCompress(input, 0, input.length, out, 0, outLen);
  return n === 0 ? undefined : out.slice(0, n);
}

/** Decompresses `input` to exactly `originalLength` bytes, or undefined if corrupt. */
export function lzfDecompressBytes(
  input: Uint8Array,
  originalLength: number,
): Uint8Array | undefined {
  const out = new Uint8Array(originalLength);
  const n = lzfDecompress(input, 0, input.length, out, 0, originalLength);
  return n === originalLength ? out : undefined;
}
