/**
 * Before a batch of pipelined requests runs, reads the keyspace memory their
 * lookups will need, for all of them at once (see `KeyTable.prefetch`). Each
 * lookup in a large table waits for three cache misses in a row; issued
 * together for a batch's keys, the misses overlap. The scan reads the
 * requests' bytes without decoding them: a request is decoded and checked
 * when it runs, so a scan that meets anything unusual just stops.
 */
import type { Db } from "../store/keyspace.ts";
import { hashKeyBytes } from "../store/key_table.ts";

/** Requests looked ahead at, at most. */
export const PREFETCH_MAX_REQUESTS = 32;

const CR = 13;
const STAR = 42;
const DOLLAR = 36;

/** Hashes of the scanned requests' first keys. */
const hashes = new Int32Array(PREFETCH_MAX_REQUESTS);
/** Where the last `readLength` left off: just past its line's CRLF. */
let next = 0;
/** What the reads gave back, kept so that the compiler cannot drop them. */
let kept = 0;

/**
 * The decimal number of the header line at `pos` (after its '*' or '$'),
 * or -1 when the line is not a short non-negative number ending in CRLF
 * within `end`; sets `next`.
 */
function readLength(buf: Uint8Array, pos: number, end: number): number {
  let value = 0;
  let digits = 0;
  for (; pos < end; pos++) {
    const c = buf[pos];
    if (c === CR) break;
    const d = c - 48;
    if (d < 0 || d > 9 || ++digits > 9) return -1;
    value = value * 10 + d;
  }
  if (digits === 0 || pos + 1 >= end) return -1;
  next = pos + 2;
  return value;
}

/**
 * Hashes into `out` the second argument (the first key of most commands) of
 * each complete multibulk request in `buf[start, end)`, as many as `out`
 * holds; returns how many it hashed.
 */
export function scanFirstKeys(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Int32Array,
): number {
  let n = 0;
  let pos = start;
  while (n < out.length && pos < end && buf[pos] === STAR) {
    const count = readLength(buf, pos + 1, end);
    if (count < 0) break;
    pos = next;
    let key = 0;
    for (let i = 0; i < count; i++) {
      if (pos >= end || buf[pos] !== DOLLAR) return n;
      const len = readLength(buf, pos + 1, end);
      if (len < 0) return n;
      const data = next;
      pos = data + len + 2;
      if (pos > end) return n;
      if (i === 1) key = hashKeyBytes(buf, data, data + len);
    }
    // Requests without a key (PING) cost nothing to skip.
    if (count >= 2) out[n++] = key;
  }
  return n;
}

/**
 * Prefetches from `db` the first keys of the requests waiting in
 * `buf[start, end)`, when there are several (one lookup alone has nothing to
 * overlap with).
 */
export function prefetchRequestKeys(db: Db, buf: Uint8Array, start: number, end: number): void {
  const n = scanFirstKeys(buf, start, end, hashes);
  if (n < 2) return;
  kept += db.dict.prefetch(hashes, n);
  if (db.expires.size !== 0) kept += db.expires.prefetch(hashes, n);
  kept &= 0xffff;
}
