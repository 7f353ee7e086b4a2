/**
 * Snapshot batches: what the main thread hands the snapshot worker instead of
 * RDB bytes (DESIGN decision 4, as revised: the encoding moved off the main
 * thread).
 *
 * A batch is one byte buffer of records, copied once out of the encoder's
 * buffer at its exact size and transferred to the worker (not copied
 * again). Copying a value's bytes into it is the main thread's whole share
 * of the encoding: LZF, listpacks, intsets, double formatting and the CRC64
 * run in the worker (src/persistence/snapshot_worker.ts), which feeds the
 * records to the same RdbEncoder, so the file is byte for byte what the main
 * thread would have written. (Structured clone was measured first and costs
 * ~0.2 µs per string, more than the encoding it saves.)
 *
 * Record layout, little endian; `str` is a u32 length and the bytes:
 * - `SELECT u32 db, u32 size, u32 expiresSize`
 * - an entry: `tag u8, flags u8 (bit 0: expires), [f64 expireAtMs], str key`, then
 *   - `STRING str value`
 *   - `HASH u32 n, n × (str field, str value)`
 *   - `SET u32 n, n × str member`
 *   - `LIST u32 n, n × str element` (head first)
 *   - `ZSET u32 n, n × (str member, f64 score)` (lowest score first)
 *   - `PACKED str rdb` (a packed value: its RDB type byte and body, see
 *     rdb_packed.ts; the worker copies them as they are when they are what
 *     Redis 7.0 writes and `rdbcompression` is on, and decodes and writes
 *     them anew otherwise)
 * - `EOF`
 */
import { type CollectionKind, type RdbEncoder, SpanElements } from "./rdb_encoder.ts";
import type { SnapshotEncoder } from "./snapshot.ts";
import { bytesToString, writeString } from "../util/bytes.ts";
import { offerCpu } from "../util/thread_priority.ts";
import { decodeRdbObject } from "./rdb_decoder.ts";
import { isCurrentRdbType, RdbPackedValue } from "./rdb_packed.ts";
import { type StoredValue, unpacked } from "../store/packed.ts";
import { Hash } from "../store/hash.ts";
import { List } from "../store/list.ts";
import { StringSet } from "../store/set.ts";
import type { ZSet } from "../store/zset.ts";

/** Record tags of a {@link SnapshotBatch}. */
export const REC_SELECT = 0;
export const REC_STRING = 1;
export const REC_HASH = 2;
export const REC_SET = 3;
export const REC_LIST = 4;
export const REC_ZSET = 5;
export const REC_EOF = 6;
export const REC_PACKED = 7;

const COLLECTION_KINDS: Record<number, CollectionKind> = {
  [REC_HASH]: "hash",
  [REC_SET]: "set",
  [REC_LIST]: "list",
  [REC_ZSET]: "zset",
};

/** Reused by every batch a worker encodes (one batch at a time). */
const elements = new SpanElements();
let scores = new Float64Array(64);

/** A chunk of a snapshot in batch form: the records (see the module doc). */
export type SnapshotBatch = Uint8Array;

/** Strings shorter than this are copied by a char loop; longer ones by writeString's native path. */
const SHORT_COPY_MAX = 64;
/** The batch buffer's size: a little more than a snapshot chunk, so it rarely grows. */
const BYTES_INITIAL = 320 * 1024;

/** Builds batches on the main thread; see the module documentation. */
export class BatchSnapshotEncoder implements SnapshotEncoder<SnapshotBatch> {
  #buf = new Uint8Array(BYTES_INITIAL);
  #view = new DataView(this.#buf.buffer);
  #used = 0;

  get pending(): number {
    return this.#used;
  }

  selectDb(db: number, size: number, expiresSize: number): void {
    this.#reserve(13);
    this.#buf[this.#used++] = REC_SELECT;
    this.#u32(db);
    this.#u32(size);
    this.#u32(expiresSize);
  }

  /** One entry; every byte is copied now (what copy-on-write needs). */
  writeEntry(key: string, stored: StoredValue, expireAtMs: number | undefined): void {
    if (stored instanceof RdbPackedValue) return this.#writePacked(key, stored, expireAtMs);
    const value = unpacked(stored);
    const tag = typeof value === "string"
      ? REC_STRING
      : value instanceof Hash
      ? REC_HASH
      : value instanceof StringSet
      ? REC_SET
      : value instanceof List
      ? REC_LIST
      : REC_ZSET;
    this.#reserve(10);
    this.#buf[this.#used++] = tag;
    this.#buf[this.#used++] = expireAtMs === undefined ? 0 : 1;
    if (expireAtMs !== undefined) this.#f64(expireAtMs);
    this.#str(key);
    switch (tag) {
      case REC_STRING:
        this.#str(value as string);
        return;
      case REC_HASH:
        this.#reserve(4);
        this.#u32((value as Hash).size);
        (value as Hash).forEachItem(this.#writeItem);
        return;
      case REC_SET:
        this.#reserve(4);
        this.#u32((value as StringSet).size);
        (value as StringSet).forEachItem(this.#writeItem);
        return;
      case REC_LIST: {
        this.#reserve(4);
        const list = value as List;
        this.#u32(list.length);
        list.forEachItem(this.#writeItem);
        return;
      }
      default: {
        const zset = value as ZSet;
        this.#reserve(4);
        this.#u32(zset.size);
        zset.forEach(this.#writeScored);
      }
    }
  }

  // The visitors of collections, made once: forEach with them allocates
  // nothing per element, where for-of made an iterator result (and for a
  // Map an entry array) for each one. A 1M-key mixed snapshot allocated
  // 387 MB on the main thread with for-of and 213 MB with these (V8's
  // sampling heap profiler), in 7-10 scavenges instead of 10-17.
  // Lists, hashes and sets hand over ranges: a flat one's items are copied
  // out of its string without a string per item.
  #writeItem = (source: string, from: number, to: number): void => this.#strRange(source, from, to);
  #writeScored = (member: string, score: number): void => {
    this.#str(member);
    this.#reserve(8);
    this.#f64(score);
  };

  #writePacked(key: string, value: RdbPackedValue, expireAtMs: number | undefined): void {
    const n = value.end - value.start;
    this.#reserve(14 + n);
    this.#buf[this.#used++] = REC_PACKED;
    this.#buf[this.#used++] = expireAtMs === undefined ? 0 : 1;
    if (expireAtMs !== undefined) this.#f64(expireAtMs);
    this.#str(key);
    this.#reserve(4 + n);
    this.#u32(n);
    this.#buf.set(value.bytes.subarray(value.start, value.end), this.#used);
    this.#used += n;
  }

  writeRaw(chunk: SnapshotBatch): void {
    this.#reserve(chunk.length);
    this.#buf.set(chunk, this.#used);
    this.#used += chunk.length;
  }

  writeEof(): void {
    this.#reserve(1);
    this.#buf[this.#used++] = REC_EOF;
  }

  /**
   * An exact-size copy of the records written since the last take; the
   * buffer stays for the next batch (shrunk back if a big value grew it).
   * Handing out the buffer itself meant a fresh 320 KB allocation per batch,
   * however small: under a client load the walk takes a batch every
   * half-millisecond slice, and those allocations (about 1 GB for a 1M-key
   * snapshot) kept both isolates collecting.
   */
  takeChunk(): SnapshotBatch {
    const out = this.#buf.slice(0, this.#used);
    if (this.#buf.length > BYTES_INITIAL) {
      this.#buf = new Uint8Array(BYTES_INITIAL);
      this.#view = new DataView(this.#buf.buffer);
    }
    this.#used = 0;
    return out;
  }

  /** A u32 length and the string's bytes (the hot spot: kept free of calls for short strings). */
  /** `source[from, to)` as #str writes a string. */
  #strRange(source: string, from: number, to: number): void {
    const n = to - from;
    if (this.#used + 4 + n > this.#buf.length) this.#reserve(4 + n);
    const b = this.#buf;
    let at = this.#used;
    b[at] = n; // a Uint8Array stores the low 8 bits
    b[at + 1] = n >>> 8;
    b[at + 2] = n >>> 16;
    b[at + 3] = n >>> 24;
    at += 4;
    if (n >= SHORT_COPY_MAX) {
      this.#used = writeString(
        b,
        at,
        from === 0 && to === source.length ? source : source.slice(from, to),
      );
      return;
    }
    for (let i = 0; i < n; i++) b[at + i] = source.charCodeAt(from + i);
    this.#used = at + n;
  }

  #str(s: string): void {
    this.#strRange(s, 0, s.length);
  }

  /** Callers reserve the room. */
  #u32(n: number): void {
    this.#view.setUint32(this.#used, n, true);
    this.#used += 4;
  }

  #f64(x: number): void {
    this.#view.setFloat64(this.#used, x, true);
    this.#used += 8;
  }

  #reserve(n: number): void {
    if (this.#used + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#used + n));
    next.set(this.#buf.subarray(0, this.#used));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
}

/** Reads a batch's records in order. */
class BatchReader {
  at = 0;
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(): number {
    return this.bytes[this.at++];
  }
  u32(): number {
    const n = this.view.getUint32(this.at, true);
    this.at += 4;
    return n;
  }
  f64(): number {
    const x = this.view.getFloat64(this.at, true);
    this.at += 8;
    return x;
  }
  /** The next string's span, without making a JS string. */
  span(into: { start: number; end: number }): void {
    const n = this.u32();
    into.start = this.at;
    into.end = this.at += n;
  }
}

/** Writes one batch's records with `enc` (in the snapshot worker). */
export function encodeSnapshotBatch(enc: RdbEncoder, batch: SnapshotBatch): void {
  const r = new BatchReader(batch);
  const keySpan = { start: 0, end: 0 };
  const valueSpan = { start: 0, end: 0 };
  const keySpanOf = (bytes: Uint8Array) => ({ bytes, start: keySpan.start, end: keySpan.end });
  while (r.at < batch.length) {
    offerCpu();
    const tag = r.u8();
    if (tag === REC_SELECT) {
      enc.selectDb(r.u32(), r.u32(), r.u32());
      continue;
    }
    if (tag === REC_EOF) continue;
    const expireAtMs = r.u8() & 1 ? r.f64() : undefined;
    if (tag === REC_STRING) {
      // Most of a keyspace: bytes to RDB without JS strings.
      r.span(keySpan);
      r.span(valueSpan);
      enc.saveStringPairBytes(batch, keySpan, valueSpan, expireAtMs);
      continue;
    }
    if (tag === REC_PACKED) {
      r.span(keySpan);
      r.span(valueSpan);
      encodePacked(enc, batch, keySpan, valueSpan, expireAtMs);
      continue;
    }
    // A collection: its elements stay spans of the batch (no JS strings either).
    r.span(keySpan);
    const n = r.u32();
    const kind = COLLECTION_KINDS[tag];
    if (kind === undefined) throw new Error(`snapshot batch: unknown record ${tag}`);
    elements.reset(batch, kind === "hash" ? 2 * n : n);
    if (kind === "zset" && scores.length < n) scores = new Float64Array(n);
    const spans = kind === "hash" ? 2 * n : n;
    for (let i = 0; i < spans; i++) {
      r.span(valueSpan);
      elements.push(valueSpan.start, valueSpan.end);
      if (kind === "zset") scores[i] = r.f64();
    }
    enc.saveCollectionPair(kind, keySpanOf(batch), elements, scores, expireAtMs);
  }
}

/** A PACKED record's key and value (see the module documentation). */
function encodePacked(
  enc: RdbEncoder,
  batch: SnapshotBatch,
  key: { start: number; end: number },
  value: { start: number; end: number },
  expireAtMs: number | undefined,
): void {
  if (enc.compression && isCurrentRdbType(batch[value.start])) {
    enc.saveRawObjectPair(batch, key, value, expireAtMs);
    return;
  }
  enc.saveKeyValuePair(
    bytesToString(batch, key.start, key.end),
    decodeRdbObject(batch, value.start, value.end),
    expireAtMs,
  );
}
