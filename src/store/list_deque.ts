/**
 * The large form of a list value (see list.ts): a deque of fixed-size
 * chunks, in the spirit of Redis's quicklist and of CPython's `deque`.
 *
 * Layout. Elements live in chunks (plain JS arrays of `chunkSize` slots) whose
 * references sit in `#chunks`, a ring buffer of power-of-two capacity. Read in
 * ring order, the used chunks form one run of slots; the list occupies the
 * slots `[#start, #start + #length)` of that run. So element `i` lives at run
 * slot `g = #start + i`, in chunk `g >> #shift`, at offset `g & #slotMask`:
 * index access is O(1), pushing and popping at either end is O(1) (a chunk is
 * allocated or released every `chunkSize` operations, never one per element),
 * and growing the ring copies only chunk references.
 *
 * Small lists. A chunk of the full `MAX_CHUNK_SIZE` slots would cost about
 * 1 KB for a one-element list, and a keyspace can hold millions of small lists.
 * So a list starts with one chunk of `MIN_CHUNK_SIZE` slots and, while it is a
 * single chunk, doubles it (re-centering the elements) until it reaches
 * `MAX_CHUNK_SIZE`; only then do more chunks appear. The chunk size never
 * shrinks.
 *
 * Invariants:
 * - `#usedChunks === 0` when the list is empty; otherwise the used chunks
 *   cover exactly the slots up to the last element:
 *   `#usedChunks === ceil((#start + #length) / chunkSize)` and
 *   `#start < chunkSize`.
 * - Slots outside the list hold `undefined`, so popped strings can be
 *   collected.
 * - `#bytes` is the sum of the lengths of the elements.
 *
 * Indexes in this API are 0-based; where documented, negative ones count from
 * the tail like Redis (-1 is the last element).
 */

/** Slots in the first chunk of a new list. */
export const MIN_CHUNK_SIZE = 4;

/** Slots in a chunk once a list has outgrown its single small chunk. */
export const MAX_CHUNK_SIZE = 128;

const MIN_CHUNK_SHIFT = Math.log2(MIN_CHUNK_SIZE);
const MAX_CHUNK_SHIFT = Math.log2(MAX_CHUNK_SIZE);

/** Approximate bytes for one element slot and string header (see byteSize). */
const ELEMENT_OVERHEAD_BYTES = 24;

type Chunk = (string | undefined)[];

function newChunk(size: number): Chunk {
  return new Array<string | undefined>(size).fill(undefined);
}

/**
 * The elements LRANGE and LTRIM mean by `start` and `stop` (inclusive) in a
 * list of `n`: negative indexes count from the tail, start is clamped to 0
 * and stop to the last index. Undefined for an empty range.
 */
export function listRange(start: number, stop: number, n: number): [number, number] | undefined {
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return undefined;
  return [start, stop >= n ? n - 1 : stop];
}

/** A deque of strings with O(1) access at both ends and by index. */
export class ListDeque {
  /** Ring of chunk references; its length is a power of two. */
  #chunks: (Chunk | undefined)[] = [undefined];
  /** `#chunks.length - 1`. */
  #ringMask = 0;
  /** Ring index of the first used chunk. */
  #firstChunk = 0;
  /** Number of chunks in use, starting at `#firstChunk`. */
  #usedChunks = 0;
  /** log2 of the chunk size. */
  #shift = MIN_CHUNK_SHIFT;
  /** Chunk size minus one. */
  #slotMask = MIN_CHUNK_SIZE - 1;
  /** Slot of element 0 within the first used chunk. */
  #start = 0;
  #length = 0;
  #bytes = 0;
  /** One released full-size chunk kept for reuse (queues cross chunk borders often). */
  #spare: Chunk | undefined = undefined;

  /** An empty list. */
  constructor() {}

  /**
   * A list holding `values` in order (head first), laid out in one step: a
   * small list gets a single chunk with the elements centred, as pushes would
   * leave it, a large one full-size chunks from slot 0. O(n), no relayouts.
   */
  static fromArray(values: readonly string[]): ListDeque {
    const list = new ListDeque();
    const n = values.length;
    if (n === 0) return list;
    let bytes = 0;
    if (n < MAX_CHUNK_SIZE) {
      // The smallest chunk that leaves a free slot (pushes double a chunk once half full).
      let shift = MIN_CHUNK_SHIFT;
      while (1 << shift <= n) shift++;
      const size = 1 << shift;
      const chunk = newChunk(size);
      const start = (size - n) >> 1;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        chunk[start + i] = v;
        bytes += v.length;
      }
      list.#shift = shift;
      list.#slotMask = size - 1;
      list.#chunks[0] = chunk;
      list.#usedChunks = 1;
      list.#start = start;
    } else {
      const chunkCount = Math.ceil(n / MAX_CHUNK_SIZE);
      let ring = 1;
      while (ring < chunkCount) ring <<= 1;
      const chunks = new Array<Chunk | undefined>(ring).fill(undefined);
      for (let c = 0, i = 0; c < chunkCount; c++) {
        const chunk = newChunk(MAX_CHUNK_SIZE);
        const end = Math.min(n, i + MAX_CHUNK_SIZE);
        for (let s = 0; i < end; i++, s++) {
          const v = values[i];
          chunk[s] = v;
          bytes += v.length;
        }
        chunks[c] = chunk;
      }
      list.#shift = MAX_CHUNK_SHIFT;
      list.#slotMask = MAX_CHUNK_SIZE - 1;
      list.#chunks = chunks;
      list.#ringMask = ring - 1;
      list.#usedChunks = chunkCount;
      list.#start = 0;
    }
    list.#length = n;
    list.#bytes = bytes;
    return list;
  }

  /** Number of elements. */
  get length(): number {
    return this.#length;
  }

  /** Total length of the elements in bytes. */
  get elementBytes(): number {
    return this.#bytes;
  }

  /** Approximate memory held, in bytes: the elements plus slot and chunk overhead. */
  byteSize(): number {
    const slots = this.#usedChunks << this.#shift;
    return 64 + this.#bytes + this.#length * ELEMENT_OVERHEAD_BYTES + slots * 8 +
      this.#chunks.length * 8;
  }

  // ---------------------------------------------------------------- ends

  /** Add `v` before the first element (LPUSH). */
  pushHead(v: string): void {
    if (this.#start === 0 || this.#usedChunks === 0) this.#makeRoomAtHead();
    this.#start--;
    this.#chunks[this.#firstChunk]![this.#start] = v;
    this.#length++;
    this.#bytes += v.length;
  }

  /** Add `v` after the last element (RPUSH). */
  pushTail(v: string): void {
    let g = this.#start + this.#length;
    if (g === this.#usedChunks << this.#shift) {
      this.#makeRoomAtTail();
      g = this.#start + this.#length;
    }
    this.#chunkAt(g >> this.#shift)[g & this.#slotMask] = v;
    this.#length++;
    this.#bytes += v.length;
  }

  /** Remove and return the first element (LPOP), or undefined when empty. */
  popHead(): string | undefined {
    if (this.#length === 0) return undefined;
    const v = this.#popHeadUncounted();
    this.#bytes -= v.length;
    return v;
  }

  /** Remove and return the last element (RPOP), or undefined when empty. */
  popTail(): string | undefined {
    if (this.#length === 0) return undefined;
    const v = this.#popTailUncounted();
    this.#bytes -= v.length;
    return v;
  }

  // ---------------------------------------------------------------- by index

  /** The element at `index` (negative counts from the tail), or undefined out of range. */
  at(index: number): string | undefined {
    if (index < 0) index += this.#length;
    if (index < 0 || index >= this.#length) return undefined;
    return this.#get(index);
  }

  /** Replace the element at `index` (negative counts from the tail); false when out of range. */
  set(index: number, v: string): boolean {
    if (index < 0) index += this.#length;
    if (index < 0 || index >= this.#length) return false;
    this.#bytes += v.length - this.#get(index).length;
    this.#put(index, v);
    return true;
  }

  /**
   * Insert `v` so that it becomes the element at `index` (0 ≤ index ≤ length);
   * the elements from `index` on move one place toward the tail. Shifts the
   * shorter side, so costs O(min(index, length - index)). Returns false when
   * `index` is out of range.
   */
  insertAt(index: number, v: string): boolean {
    const n = this.#length;
    if (index < 0 || index > n) return false;
    if (index === 0) {
      this.pushHead(v);
    } else if (index === n) {
      this.pushTail(v);
    } else if (index < n >> 1) {
      // Duplicate the head, shift the elements before index one place down,
      // and overwrite the hole; the duplicate's bytes were counted by the push.
      const first = this.#get(0);
      this.pushHead(first);
      for (let i = 1; i < index; i++) this.#put(i, this.#get(i + 1));
      this.#bytes += v.length - first.length;
      this.#put(index, v);
    } else {
      const last = this.#get(n - 1);
      this.pushTail(last);
      for (let i = n - 1; i > index; i--) this.#put(i, this.#get(i - 1));
      this.#bytes += v.length - last.length;
      this.#put(index, v);
    }
    return true;
  }

  /**
   * Remove and return the element at `index` (0-based, non-negative), or
   * undefined when out of range. Costs O(min(index, length - index)).
   */
  removeAt(index: number): string | undefined {
    const n = this.#length;
    if (index < 0 || index >= n) return undefined;
    const v = this.#get(index);
    if (index < n >> 1) {
      for (let i = index; i > 0; i--) this.#put(i, this.#get(i - 1));
      this.#popHeadUncounted();
    } else {
      for (let i = index; i < n - 1; i++) this.#put(i, this.#get(i + 1));
      this.#popTailUncounted();
    }
    this.#bytes -= v.length;
    return v;
  }

  // ---------------------------------------------------------------- ranges

  /**
   * The elements from `start` to `stop` inclusive with LRANGE semantics:
   * negative indexes count from the tail, start is clamped to 0 and stop to
   * the last index, and an empty range gives an empty array.
   */
  range(from: number, to: number): string[] {
    const bounds = listRange(from, to, this.#length);
    if (bounds === undefined) return [];
    const [start, stop] = bounds;
    const out = new Array<string>(stop - start + 1);
    let k = 0;
    let g = this.#start + start;
    const end = this.#start + stop;
    while (g <= end) {
      const chunk = this.#chunkAt(g >> this.#shift);
      const chunkEnd = Math.min(end, g | this.#slotMask);
      for (let s = g & this.#slotMask; g <= chunkEnd; g++, s++) out[k++] = chunk[s]!;
    }
    return out;
  }

  /**
   * Keep only the elements from `start` to `stop` inclusive (LTRIM semantics:
   * negative indexes count from the tail; an empty range empties the list).
   */
  trim(start: number, stop: number): void {
    const n = this.#length;
    const bounds = listRange(start, stop, n);
    if (bounds === undefined) return this.#dropHead(n);
    this.#dropTail(n - bounds[1] - 1);
    this.#dropHead(bounds[0]);
  }

  /**
   * Remove elements equal to `value` (LREM semantics): the first `count` from
   * the head when count > 0, the last `-count` from the tail when count < 0,
   * all of them when count is 0. Returns the number removed.
   */
  remove(value: string, count: number): number {
    const n = this.#length;
    const limit = count === 0 ? Infinity : Math.abs(count);
    let removed = 0;
    if (count >= 0) {
      // Compact toward the head, then cut the tail.
      let w = 0;
      for (let r = 0; r < n; r++) {
        const v = this.#get(r);
        if (removed < limit && v === value) {
          removed++;
          continue;
        }
        if (w !== r) this.#put(w, v);
        w++;
      }
      if (removed > 0) this.#dropTailUncounted(removed);
    } else {
      let w = n - 1;
      for (let r = n - 1; r >= 0; r--) {
        const v = this.#get(r);
        if (removed < limit && v === value) {
          removed++;
          continue;
        }
        if (w !== r) this.#put(w, v);
        w--;
      }
      if (removed > 0) this.#dropHeadUncounted(removed);
    }
    this.#bytes -= removed * value.length;
    return removed;
  }

  /**
   * Positions of `value` following LPOS: skip to the `rank`-th match (rank > 0
   * scans from the head, rank < 0 from the tail; rank must not be 0), then
   * collect up to `count` matches (0 means all), comparing at most `maxlen`
   * elements (0 means no limit). Positions are always head-based indexes, in
   * scan order. For LPOS without COUNT, call with count 1.
   */
  positions(value: string, rank: number, count: number, maxlen: number): number[] {
    const out: number[] = [];
    const n = this.#length;
    const wanted = Math.abs(rank);
    const scan = maxlen > 0 && maxlen < n ? maxlen : n;
    let matches = 0;
    if (rank >= 0) {
      for (let i = 0; i < scan; i++) {
        if (this.#get(i) !== value) continue;
        if (++matches >= wanted) {
          out.push(i);
          if (count > 0 && out.length >= count) break;
        }
      }
    } else {
      for (let k = 0; k < scan; k++) {
        const i = n - 1 - k;
        if (this.#get(i) !== value) continue;
        if (++matches >= wanted) {
          out.push(i);
          if (count > 0 && out.length >= count) break;
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- iteration

  /** The elements from head to tail. */
  *values(): IterableIterator<string> {
    const n = this.#length;
    for (let i = 0; i < n; i++) {
      const g = this.#start + i;
      yield this.#chunkAt(g >> this.#shift)[g & this.#slotMask]!;
    }
  }

  /** The elements from tail to head. */
  *reverseValues(): IterableIterator<string> {
    for (let i = this.#length - 1; i >= 0; i--) {
      const g = this.#start + i;
      yield this.#chunkAt(g >> this.#shift)[g & this.#slotMask]!;
    }
  }

  /** Same as values(). */
  [Symbol.iterator](): IterableIterator<string> {
    return this.values();
  }

  /** The elements head to tail in a new array. */
  toArray(): string[] {
    return this.range(0, -1);
  }

  /** Check the layout invariants (see the module comment); throws on a violation. For tests. */
  verify(): void {
    const fail = (what: string): never => {
      throw new Error("list invariant broken: " + what);
    };
    const size = 1 << this.#shift;
    if (this.#length === 0) {
      if (this.#usedChunks !== 0) fail("chunks held by an empty list");
      return;
    }
    if (this.#start >= size) fail("start past the first chunk");
    if (this.#usedChunks !== Math.ceil((this.#start + this.#length) / size)) fail("chunk count");
    if (this.#shift < MAX_CHUNK_SHIFT && this.#usedChunks > 1) fail("several small chunks");
    let bytes = 0;
    for (let c = 0; c < this.#usedChunks; c++) {
      const chunk = this.#chunkAt(c);
      if (chunk === undefined || chunk.length !== size) fail("chunk size");
      for (let s = 0; s < size; s++) {
        const g = (c << this.#shift) + s;
        const inside = g >= this.#start && g < this.#start + this.#length;
        if (inside !== (chunk[s] !== undefined)) fail("slot " + g);
        if (inside) bytes += chunk[s]!.length;
      }
    }
    if (bytes !== this.#bytes) fail("byte count");
  }

  // ---------------------------------------------------------------- internals

  #chunkAt(chunkIndex: number): Chunk {
    return this.#chunks[(this.#firstChunk + chunkIndex) & this.#ringMask]!;
  }

  /** Element `i`, for 0 ≤ i < length. */
  #get(i: number): string {
    const g = this.#start + i;
    return this.#chunkAt(g >> this.#shift)[g & this.#slotMask]!;
  }

  /** Store `v` at element `i` without touching #bytes (undefined only to clear a slot). */
  #put(i: number, v: string | undefined): void {
    const g = this.#start + i;
    this.#chunkAt(g >> this.#shift)[g & this.#slotMask] = v;
  }

  /** Remove and return the first element of a non-empty list without touching #bytes. */
  #popHeadUncounted(): string {
    const chunk = this.#chunks[this.#firstChunk]!;
    const v = chunk[this.#start]!;
    chunk[this.#start] = undefined;
    this.#start++;
    this.#length--;
    if (this.#length === 0) {
      this.#clear();
    } else if (this.#start > this.#slotMask) {
      this.#releaseFirstChunk();
      this.#start = 0;
    }
    return v;
  }

  /** Remove and return the last element of a non-empty list without touching #bytes. */
  #popTailUncounted(): string {
    const g = this.#start + this.#length - 1;
    const chunk = this.#chunkAt(g >> this.#shift);
    const slot = g & this.#slotMask;
    const v = chunk[slot]!;
    chunk[slot] = undefined;
    this.#length--;
    if (this.#length === 0) {
      this.#clear();
    } else if (slot === 0) {
      this.#releaseLastChunk();
    }
    return v;
  }

  #newChunk(): Chunk {
    if (this.#shift === MAX_CHUNK_SHIFT && this.#spare !== undefined) {
      const c = this.#spare;
      this.#spare = undefined;
      return c;
    }
    return newChunk(1 << this.#shift);
  }

  #recycle(chunk: Chunk): void {
    // Slots are already cleared by the callers.
    if (this.#shift === MAX_CHUNK_SHIFT) this.#spare = chunk;
  }

  /** Make the list empty, keeping the chunk size; #bytes is the caller's business. */
  #clear(): void {
    for (let c = 0; c < this.#usedChunks; c++) {
      const idx = (this.#firstChunk + c) & this.#ringMask;
      const chunk = this.#chunks[idx]!;
      this.#chunks[idx] = undefined;
      if (c === 0) this.#recycle(chunk.fill(undefined));
    }
    this.#usedChunks = 0;
    this.#firstChunk = 0;
    this.#start = 0;
    this.#length = 0;
  }

  #releaseFirstChunk(): void {
    const chunk = this.#chunks[this.#firstChunk]!;
    this.#chunks[this.#firstChunk] = undefined;
    this.#firstChunk = (this.#firstChunk + 1) & this.#ringMask;
    this.#usedChunks--;
    this.#recycle(chunk);
  }

  #releaseLastChunk(): void {
    const idx = (this.#firstChunk + this.#usedChunks - 1) & this.#ringMask;
    const chunk = this.#chunks[idx]!;
    this.#chunks[idx] = undefined;
    this.#usedChunks--;
    this.#recycle(chunk);
  }

  /** Double the ring of chunk references when every entry is in use. */
  #growRingIfFull(): void {
    const ring = this.#chunks;
    if (this.#usedChunks < ring.length) return;
    const grown = new Array<Chunk | undefined>(ring.length * 2).fill(undefined);
    for (let c = 0; c < this.#usedChunks; c++) {
      grown[c] = ring[(this.#firstChunk + c) & this.#ringMask];
    }
    this.#chunks = grown;
    this.#ringMask = grown.length - 1;
    this.#firstChunk = 0;
  }

  /**
   * Rebuild a single-chunk list into one chunk, of double size when at least
   * half full, with its elements centred.
   */
  #relayoutSmall(): void {
    const size = 1 << this.#shift;
    const grow = this.#length >= size >> 1;
    const newShift = grow ? this.#shift + 1 : this.#shift;
    const newSize = 1 << newShift;
    const fresh = newChunk(newSize);
    const newStart = (newSize - this.#length) >> 1;
    const old = this.#usedChunks > 0 ? this.#chunks[this.#firstChunk]! : undefined;
    for (let i = 0; i < this.#length; i++) fresh[newStart + i] = old![this.#start + i];
    this.#shift = newShift;
    this.#slotMask = newSize - 1;
    this.#chunks[this.#firstChunk] = fresh;
    this.#usedChunks = 1;
    this.#start = newStart;
  }

  /** Ensure `#start > 0` with at least one used chunk. */
  #makeRoomAtHead(): void {
    if (this.#usedChunks === 0) {
      this.#chunks[this.#firstChunk] = this.#newChunk();
      this.#usedChunks = 1;
      // An empty list about to grow at the head: start in the middle when
      // small (both ends may follow), past the last slot when full size.
      const size = 1 << this.#shift;
      this.#start = this.#shift < MAX_CHUNK_SHIFT ? size >> 1 : size;
      return;
    }
    if (this.#shift < MAX_CHUNK_SHIFT) {
      this.#relayoutSmall();
      if (this.#start > 0) return;
    }
    this.#growRingIfFull();
    this.#firstChunk = (this.#firstChunk - 1) & this.#ringMask;
    this.#chunks[this.#firstChunk] = this.#newChunk();
    this.#usedChunks++;
    this.#start += 1 << this.#shift;
  }

  /** Ensure the slot after the last element exists. */
  #makeRoomAtTail(): void {
    if (this.#usedChunks === 0) {
      this.#chunks[this.#firstChunk] = this.#newChunk();
      this.#usedChunks = 1;
      // An empty list about to grow at the tail: start in the middle when
      // small (both ends may follow), at slot 0 when chunks are full size.
      this.#start = this.#shift < MAX_CHUNK_SHIFT ? (1 << this.#shift) >> 1 : 0;
      return;
    }
    if (this.#shift < MAX_CHUNK_SHIFT) {
      this.#relayoutSmall();
      if (this.#start + this.#length < 1 << this.#shift) return;
    }
    this.#growRingIfFull();
    const idx = (this.#firstChunk + this.#usedChunks) & this.#ringMask;
    this.#chunks[idx] = this.#newChunk();
    this.#usedChunks++;
  }

  /** Remove `k` elements from the head, updating #bytes. */
  #dropHead(k: number): void {
    if (k <= 0) return;
    for (let i = 0; i < k; i++) this.#bytes -= this.#get(i).length;
    this.#dropHeadUncounted(k);
  }

  /** Remove `k` elements from the tail, updating #bytes. */
  #dropTail(k: number): void {
    if (k <= 0) return;
    for (let i = this.#length - k; i < this.#length; i++) this.#bytes -= this.#get(i).length;
    this.#dropTailUncounted(k);
  }

  /** Remove `k` elements from the head without touching #bytes. */
  #dropHeadUncounted(k: number): void {
    if (k >= this.#length) {
      this.#clear();
      return;
    }
    for (let i = 0; i < k; i++) this.#put(i, undefined);
    const g = this.#start + k;
    const dropChunks = g >> this.#shift;
    for (let c = 0; c < dropChunks; c++) this.#releaseFirstChunk();
    this.#start = g & this.#slotMask;
    this.#length -= k;
  }

  /** Remove `k` elements from the tail without touching #bytes. */
  #dropTailUncounted(k: number): void {
    if (k >= this.#length) {
      this.#clear();
      return;
    }
    const n = this.#length;
    for (let i = n - k; i < n; i++) this.#put(i, undefined);
    this.#length -= k;
    const needed = ((this.#start + this.#length - 1) >> this.#shift) + 1;
    while (this.#usedChunks > needed) this.#releaseLastChunk();
  }
}
