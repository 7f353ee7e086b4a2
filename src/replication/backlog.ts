/**
 * The replication backlog: a ring buffer holding the last `size` bytes of the
 * replication stream, addressed by stream offset as Redis does.
 *
 * Offsets: `masterOffset` counts every byte ever appended (master_repl_offset).
 * The backlog holds bytes with offsets `firstByteOffset … masterOffset`, where
 * the first byte of the stream has offset 1 (repl_backlog_first_byte_offset).
 */
export class ReplicationBacklog {
  #buf: Uint8Array;
  /** Index in #buf where the next byte goes. */
  #idx = 0;
  /** Bytes held, ≤ #buf.length (repl_backlog_histlen). */
  histlen = 0;
  /** Offset of the last byte appended (master_repl_offset). */
  masterOffset: number;

  constructor(size: number, masterOffset: number) {
    this.#buf = new Uint8Array(Math.max(16 * 1024, size));
    this.masterOffset = masterOffset;
  }

  get size(): number {
    return this.#buf.length;
  }

  /** Offset of the oldest byte held (repl_backlog_first_byte_offset). */
  get firstByteOffset(): number {
    return this.masterOffset - this.histlen + 1;
  }

  append(bytes: Uint8Array): void {
    const buf = this.#buf;
    const data = bytes.length >= buf.length ? bytes.subarray(bytes.length - buf.length) : bytes;
    const room = buf.length - this.#idx;
    // Views only when the piece wraps around (each is an object for the young generation).
    if (data.length <= room) {
      buf.set(data, this.#idx);
    } else {
      buf.set(data.subarray(0, room), this.#idx);
      buf.set(data.subarray(room), 0);
    }
    this.#idx = (this.#idx + data.length) % buf.length;
    this.histlen = Math.min(buf.length, this.histlen + data.length);
    this.masterOffset += bytes.length;
  }

  /** True when the bytes from `offset` (the replica's next needed byte) to the end are held. */
  covers(offset: number): boolean {
    return this.histlen > 0
      ? offset >= this.firstByteOffset && offset <= this.masterOffset + 1
      : offset === this.masterOffset + 1;
  }

  /** A copy of the bytes from `offset` to the end; `covers(offset)` must hold. */
  readFrom(offset: number): Uint8Array {
    const len = this.masterOffset + 1 - offset;
    const out = new Uint8Array(len);
    if (len === 0) return out;
    const buf = this.#buf;
    const start = (this.#idx - len + buf.length) % buf.length;
    const first = Math.min(len, buf.length - start);
    out.set(buf.subarray(start, start + first), 0);
    if (first < len) out.set(buf.subarray(0, len - first), first);
    return out;
  }

  /** Changes the capacity keeping the newest bytes (CONFIG SET repl-backlog-size). */
  resize(size: number): void {
    const keep = this.readFrom(this.masterOffset + 1 - Math.min(this.histlen, size));
    this.#buf = new Uint8Array(Math.max(16 * 1024, size));
    this.#idx = 0;
    this.histlen = 0;
    const offset = this.masterOffset - keep.length;
    this.masterOffset = offset;
    this.append(keep);
  }
}
