/**
 * Bytes appended in many small pieces and read back once, in order: the
 * stream a replica is owed while its full sync runs. The pieces are copied
 * into shared chunks, so a write costs a copy, not an array of its own (each
 * new array is a malloc and a free outside V8's heap).
 */

/** Size of one chunk; a larger piece gets a chunk of its own size. */
export const CHUNK_BYTES = 64 * 1024;

export class ChunkedBytes {
  #chunks: Uint8Array[] = [];
  /** Bytes used in the last chunk. */
  #tailUsed = 0;
  #length = 0;

  /** Bytes held. */
  get length(): number {
    return this.#length;
  }

  /** Copies `bytes` in after what is held. */
  append(bytes: Uint8Array): void {
    let tail = this.#chunks.at(-1);
    if (tail === undefined || tail.length - this.#tailUsed < bytes.length) {
      // The full chunk keeps only what it holds.
      if (tail !== undefined) {
        this.#chunks[this.#chunks.length - 1] = tail.subarray(0, this.#tailUsed);
      }
      tail = new Uint8Array(Math.max(CHUNK_BYTES, bytes.length));
      this.#chunks.push(tail);
      this.#tailUsed = 0;
    }
    tail.set(bytes, this.#tailUsed);
    this.#tailUsed += bytes.length;
    this.#length += bytes.length;
  }

  /** The bytes held, in order, as views of the chunks. */
  *parts(): IterableIterator<Uint8Array> {
    const last = this.#chunks.length - 1;
    for (let i = 0; i < last; i++) yield this.#chunks[i];
    if (last >= 0) yield this.#chunks[last].subarray(0, this.#tailUsed);
  }

  /** Drops everything held. */
  clear(): void {
    this.#chunks = [];
    this.#tailUsed = 0;
    this.#length = 0;
  }
}
