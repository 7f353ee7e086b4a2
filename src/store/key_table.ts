/**
 * The hash table a db keeps its keys in (and their expire times): the part
 * of `Map<string, V>`'s interface the server uses, with the same iteration
 * semantics, but hashing keys itself.
 *
 * Why not a `Map`: V8 (13 and later, Deno 2.9.6 ships 15) internalizes a
 * string the first time it is used as a `Map` or `Set` key. Every key a
 * command names is a fresh string from the socket, and so is every key a
 * load or a full sync inserts, so each of them cost a lookup (and, for a new
 * key, an insert) in V8's process-wide string table, which holds every key of
 * the dataset: measured 0.5–1.4 µs per fresh key in a 1M-key db, against
 * ~0.2 µs here, where the hash is computed from the characters in JavaScript
 * and equality is `===` on the contents.
 *
 * Layout (CPython's compact dict, with linear probing):
 * - `#chunks`: key, value, key, value… in insertion order, CHUNK_ENTRIES
 *   entries per array (one big array was copied whole each time it grew: 20
 *   ms at 1.5M entries, 29 ms at 2.4M). A deleted entry leaves a hole (its
 *   key slot is `undefined`) until the next rehash.
 * - `#index`: two int32 per bucket, the key's hash and its entry number + 1
 *   (0: empty bucket). A deleted entry's bucket stays: the hole it points to
 *   matches no key, so it acts as a tombstone until the next rehash. Buckets
 *   number a power of two, at least twice the entries, so a probe ends quickly.
 *
 * Rehashing is incremental, as Redis rehashes its dicts. When the table is
 * seven eighths full, a fresh index (twice the buckets when the live entries
 * need them, else as many) takes new keys at once, while the old one keeps
 * answering for the entries not yet moved over: REHASH_PER_WRITE per write,
 * the rest from the server's cron (`rehash`), so the last eighth's writes do
 * the work. Moving over closes the holes: live entries move down in order.
 * A one-off rebuild used to stop the world: 60 ms growing at 1M keys, 127 ms
 * at 2M, 90 ms closing holes at 1M under churn. A table that shrinks (below
 * 1/16 full) is still rebuilt at once.
 *
 * Iterators follow `Map`'s rules: entries appended while one runs are
 * visited, deleted ones are not, and a rehash or rebuild (which renumber the
 * entries) moves every live iterator to the same entry in the new layout.
 */

/** Random entry numbers `randomKey` tries before it walks to the next live entry. */
const RANDOM_TRIES = 32;

/**
 * Entries per chunk (a power of two): 1 MB arrays, few enough that their
 * headers stay in cache (at 4K entries a lookup in a 1M-key table took 10%
 * longer), allocated straight into V8's large-object space, never copied.
 */
const CHUNK_BITS = 16;
const CHUNK_ENTRIES = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_ENTRIES - 1;

/** The chunk holding entry `e`, and the offset of its key there (its value follows). */
const chunkOf = (e: number) => e >>> CHUNK_BITS;
const offsetOf = (e: number) => 2 * (e & CHUNK_MASK);

/**
 * The entry number `key` has in `index` (a probe from its hash's bucket),
 * or -1 − the empty bucket the probe ended at.
 */
function probe(
  index: Int32Array,
  mask: number,
  chunks: unknown[][],
  key: string,
  hash: number,
): number {
  let bucket = hash & mask;
  for (;;) {
    const entry = index[2 * bucket + 1];
    if (entry === 0) return -1 - bucket;
    // A deleted entry is a hole and matches nothing.
    if (index[2 * bucket] === hash && chunks[chunkOf(entry - 1)][offsetOf(entry - 1)] === key) {
      return entry - 1;
    }
    bucket = (bucket + 1) & mask;
  }
}

/** The empty bucket of `index` a probe for `hash` ends at (its key known to be absent). */
function emptyBucket(index: Int32Array, mask: number, hash: number): number {
  let bucket = hash & mask;
  while (index[2 * bucket + 1] !== 0) bucket = (bucket + 1) & mask;
  return bucket;
}

/** Moves entry `from`'s key and value to entry `to`, leaving a hole. */
function moveEntry(chunks: unknown[][], from: number, to: number): void {
  const source = chunks[chunkOf(from)];
  const target = chunks[chunkOf(to)];
  target[offsetOf(to)] = source[offsetOf(from)];
  target[offsetOf(to) + 1] = source[offsetOf(from) + 1];
  source[offsetOf(from)] = undefined;
  source[offsetOf(from) + 1] = undefined;
}

/** Entry numbers `prefetch` read, between its two passes (grown as needed). */
let prefetchEntries = new Int32Array(64);

/** Slots of a small table's first chunk, which doubles up to a full chunk (most tables are small). */
const FIRST_CHUNK_SLOTS = 32;

/** Smallest number of buckets. */
const MIN_BUCKETS = 8;

/**
 * Entries a write moves into the new index while rehashing: the move must
 * be done before the eighth of room left fills (so more than eight), and
 * the sooner it is done, the fewer misses probe two indexes (inserting 1M
 * keys: 278 ms at 2, 240 at 8, 235 at 64 per write, when growth started only
 * once full).
 */
const REHASH_PER_WRITE = 16;

/** Per-process seed, so another process cannot pick colliding keys in advance. */
const SEED = (Math.random() * 0x1_0000_0000) | 0;

/** The key hashed last and its hash: a command looks its key up in several tables in a row. */
let lastKey = "";
let lastHash = computeHash(lastKey);

/** FNV-1a over the UTF-16 code units, then murmur3's finalizer (linear probing wants mixed low bits). */
export function hashKey(key: string): number {
  if (key === lastKey) return lastHash;
  lastKey = key;
  lastHash = computeHash(key);
  return lastHash;
}

function computeHash(key: string): number {
  let h = SEED ^ 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return finalizeHash(h);
}

/** `hashKey` of the byte string `buf[start, end)`, read from the bytes (DESIGN decision 1's identity). */
export function hashKeyBytes(buf: Uint8Array, start: number, end: number): number {
  let h = SEED ^ 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return finalizeHash(h);
}

function finalizeHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A key → value table of strings (see the file comment). */
export class KeyTable<V> implements Iterable<[string, V]> {
  #chunks: unknown[][] = [];
  /** The hash of entry e at `#hashes[e]`, so a rebuild need not recompute them. */
  #hashes: Int32Array;
  #index: Int32Array;
  #mask: number;
  /**
   * While rehashing: the previous index, which still finds the entries from
   * `#rehashNext` on that were there when it started (below `#rehashEnd`).
   * Entries below `#rehashNext` are renumbered: the live ones among them are
   * below `#rehashLive`, the numbers in between are empty.
   */
  #oldIndex: Int32Array | undefined;
  #oldMask = 0;
  #rehashNext = 0;
  #rehashEnd = 0;
  #rehashLive = 0;
  /** The empty bucket of `#index` where the key `#find` missed last would go. */
  #free = 0;
  /** Entries appended since the last rebuild, holes included. */
  #used = 0;
  #size = 0;
  /** Iterators that may still be used, moved by a rebuild. */
  #iterators = new Set<WeakRef<KeyTableIterator<V, unknown>>>();
  #dropped = new FinalizationRegistry<WeakRef<KeyTableIterator<V, unknown>>>((ref) =>
    this.#iterators.delete(ref)
  );

  /** `expectedSize`: how many keys it will hold, to build the index once. */
  constructor(expectedSize = 0) {
    const buckets = bucketsFor(expectedSize);
    this.#index = new Int32Array(2 * buckets);
    this.#hashes = new Int32Array(buckets >>> 1);
    this.#mask = buckets - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Iterators a rebuild would still move: unfinished ones not yet collected. */
  get openIterators(): number {
    return this.#iterators.size;
  }

  /** Whether an incremental rehash is under way. */
  get rehashing(): boolean {
    return this.#oldIndex !== undefined;
  }

  /**
   * Reads, for the keys with `hashes[0, n)`, the memory their lookups will
   * read: each key's bucket, then the entry and the stored key it points to.
   * A lookup's reads depend on one another and each misses the cache in a
   * large table; the same reads for several keys do not, so the CPU overlaps
   * them (in a 1M-key table, 16 lookups after this took 400 ns each against
   * 850). Returns a number derived from what it read, for the caller to keep,
   * so that the compiler cannot drop the reads.
   */
  prefetch(hashes: Int32Array, n: number): number {
    const index = this.#index;
    const mask = this.#mask;
    const chunks = this.#chunks;
    const entries = prefetchEntries.length < n
      ? (prefetchEntries = new Int32Array(n))
      : prefetchEntries;
    for (let i = 0; i < n; i++) entries[i] = index[2 * (hashes[i] & mask) + 1];
    let seen = 0;
    for (let i = 0; i < n; i++) {
      const e = entries[i];
      if (e === 0) continue;
      const key = chunks[chunkOf(e - 1)]?.[offsetOf(e - 1)] as string | undefined;
      if (key !== undefined) seen += key.length;
    }
    return seen;
  }

  get(key: string): V | undefined {
    const entry = this.#find(key, hashKey(key));
    return entry < 0 ? undefined : this.#chunks[chunkOf(entry)][offsetOf(entry) + 1] as V;
  }

  has(key: string): boolean {
    return this.#find(key, hashKey(key)) >= 0;
  }

  /**
   * Where `key` is in iteration order, -1 when absent: it was visited by an
   * iterator of this table iff it is below the iterator's `position` (both
   * move together when a rebuild renumbers the entries).
   */
  entryNumber(key: string): number {
    return this.#find(key, hashKey(key));
  }

  set(key: string, value: V): this {
    if (this.rehashing) this.rehash(REHASH_PER_WRITE);
    const hash = hashKey(key);
    const entry = this.#find(key, hash);
    if (entry >= 0) {
      this.#chunks[chunkOf(entry)][offsetOf(entry) + 1] = value;
      return this;
    }
    const capacity = this.#hashes.length;
    if (this.#used === capacity) {
      // Full before the work under way ended: end it now, and rebuild at once
      // if that made no room.
      while (this.rehash(Infinity));
      if (this.#used === this.#hashes.length) this.#rebuild(bucketsFor(this.#size + 1));
      this.#free = emptyBucket(this.#index, this.#mask, hash);
    } else if (this.#used >= capacity - (capacity >>> 3) && !this.rehashing) {
      // Nearly full, an eighth left for the writes that do the work (each
      // does REHASH_PER_WRITE entries of it): rehash into more buckets when
      // the live entries need them, otherwise into as many, closing holes.
      this.#startRehash(Math.max(this.#mask + 1, bucketsFor(this.#size + 1)));
      this.#free = emptyBucket(this.#index, this.#mask, hash);
    }
    this.#append(key, value, hash, this.#free);
    return this;
  }

  delete(key: string): boolean {
    if (this.rehashing) this.rehash(REHASH_PER_WRITE);
    const entry = this.#find(key, hashKey(key));
    if (entry < 0) return false;
    const chunk = this.#chunks[chunkOf(entry)];
    chunk[offsetOf(entry)] = undefined;
    chunk[offsetOf(entry) + 1] = undefined;
    this.#size--;
    // Mostly empty: shrink, as Map does, so a drained table gives its memory back
    // (well below what bucketsFor rounds a size up to, so that it does not see-saw).
    const buckets = this.#mask + 1;
    if (buckets > MIN_BUCKETS && this.#size * 16 < buckets) this.#rebuild(bucketsFor(this.#size));
    return true;
  }

  clear(): void {
    this.#chunks = [];
    this.#used = 0;
    this.#size = 0;
    this.#index = new Int32Array(2 * MIN_BUCKETS);
    this.#hashes = new Int32Array(MIN_BUCKETS >>> 1);
    this.#mask = MIN_BUCKETS - 1;
    this.#oldIndex = undefined;
    for (const ref of this.#iterators) ref.deref()?.moveTo(0);
  }

  /**
   * A key picked uniformly at random, or undefined when empty: random entry
   * numbers until one is not a hole. A table shrinks before seven eighths of
   * its entries are holes, so that takes eight tries at most on average;
   * after RANDOM_TRIES the next live entry is taken.
   */
  randomKey(): string | undefined {
    if (this.#size === 0) return undefined;
    const used = this.#used;
    let entry = 0;
    for (let attempt = 0; attempt < RANDOM_TRIES; attempt++) {
      entry = Math.floor(Math.random() * used);
      const key = this.#keyAt(entry);
      if (key !== undefined) return key;
    }
    for (let step = 0; step < used; step++) {
      const key = this.#keyAt((entry + step) % used);
      if (key !== undefined) return key;
    }
    return undefined;
  }

  keys(): KeyTableIterator<V, string> {
    return this.#iterate((chunk, at) => chunk[at] as string);
  }

  values(): KeyTableIterator<V, V> {
    return this.#iterate((chunk, at) => chunk[at + 1] as V);
  }

  entries(): KeyTableIterator<V, [string, V]> {
    return this.#iterate((chunk, at) => [chunk[at] as string, chunk[at + 1] as V]);
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /**
   * Does up to `entries` entries of a rehash; returns whether some are left.
   * Each live entry moves down to the next free number, in order, and gets
   * a bucket in the new index under it; an iterator the scan passes moves
   * with the entry it was about to visit, so "below an iterator's position"
   * keeps meaning "visited". Entries appended meanwhile (already in the new
   * index) are scanned too; when the scan reaches the end, the emptied tail
   * goes and the previous index with it. The cron calls it too (Redis's
   * `activerehashing`), so a table that stops taking writes does not keep
   * two indexes.
   */
  rehash(entries: number): boolean {
    if (this.#oldIndex === undefined) return false;
    const chunks = this.#chunks;
    const hashes = this.#hashes;
    const index = this.#index;
    const mask = this.#mask;
    const scan = this.#rehashNext;
    const before = this.#rehashEnd;
    const end = Math.min(this.#used, scan + entries);
    const last = end === this.#used;
    // The last step also takes iterators at the end: they must see what is appended next.
    const iterators = this.#iteratorsAt(scan, last ? Infinity : end);
    let next = 0;
    let live = this.#rehashLive;
    for (let e = scan; e < end; e++) {
      while (next < iterators.length && iterators[next].position <= e) {
        iterators[next++].moveTo(live);
      }
      const from = chunks[chunkOf(e)];
      const key = from[offsetOf(e)];
      if (key === undefined) continue;
      const hash = hashes[e];
      if (e < before) {
        // Found by the previous index only: a bucket here, under its new number.
        const bucket = emptyBucket(index, mask, hash);
        index[2 * bucket] = hash;
        index[2 * bucket + 1] = live + 1;
      } else if (live !== e) {
        // Appended meanwhile: its bucket here (its number and its hash) follows it.
        let bucket = hash & mask;
        while (index[2 * bucket + 1] !== e + 1 || index[2 * bucket] !== hash) {
          bucket = (bucket + 1) & mask;
        }
        index[2 * bucket + 1] = live + 1;
      }
      if (live !== e) {
        moveEntry(chunks, e, live);
        hashes[live] = hash;
      }
      live++;
    }
    while (next < iterators.length) iterators[next++].moveTo(live);
    this.#rehashLive = live;
    this.#rehashNext = end;
    if (!last) return true;
    this.#used = live;
    chunks.length = Math.ceil(live / CHUNK_ENTRIES);
    this.#oldIndex = undefined;
    return false;
  }

  /** Unfinished iterators at positions in [from, to), by position. */
  #iteratorsAt(from: number, to: number): KeyTableIterator<V, unknown>[] {
    const found: KeyTableIterator<V, unknown>[] = [];
    if (this.#iterators.size === 0) return found;
    for (const ref of this.#iterators) {
      const it = ref.deref();
      if (it !== undefined && !it.finished && it.position >= from && it.position < to) {
        found.push(it);
      }
    }
    return found.sort((a, b) => a.position - b.position);
  }

  /**
   * The entry number of `key`, or -1 with `#free` set to the empty bucket of
   * `#index` where it would go. While growing, a key not yet moved is in
   * the previous index.
   */
  #find(key: string, hash: number): number {
    const found = probe(this.#index, this.#mask, this.#chunks, key, hash);
    if (found >= 0) return found;
    this.#free = -1 - found;
    if (this.#oldIndex === undefined) return -1;
    // Not moved over yet (one moved is found above).
    return Math.max(-1, probe(this.#oldIndex, this.#oldMask, this.#chunks, key, hash));
  }

  /** Appends an entry for an absent key at the empty bucket `bucket` (room known to be there). */
  #append(key: string, value: V, hash: number, bucket: number): void {
    this.#index[2 * bucket] = hash;
    this.#index[2 * bucket + 1] = this.#used + 1;
    this.#hashes[this.#used] = hash;
    const e = this.#used;
    let chunk = this.#chunks[chunkOf(e)];
    if (chunk === undefined || chunk.length === offsetOf(e)) chunk = this.#growChunk(chunkOf(e));
    chunk[offsetOf(e)] = key;
    chunk[offsetOf(e) + 1] = value;
    this.#used++;
    this.#size++;
  }

  /**
   * Starts a rehash into `buckets` (more than now, or as many): new keys go
   * into a fresh index at once, the entries so far move over by `rehash`.
   */
  #startRehash(buckets: number): void {
    if (buckets > this.#mask + 1) {
      const hashes = new Int32Array(buckets >>> 1);
      hashes.set(this.#hashes.subarray(0, this.#used));
      this.#hashes = hashes;
    }
    this.#oldIndex = this.#index;
    this.#oldMask = this.#mask;
    this.#rehashNext = 0;
    this.#rehashEnd = this.#used;
    this.#rehashLive = 0;
    this.#index = new Int32Array(2 * buckets);
    this.#mask = buckets - 1;
  }

  /**
   * Closes the holes (entries keep their order) and builds a fresh index of
   * `buckets` (a growth under way is overtaken); live iterators move to the
   * entry they were about to visit.
   */
  #rebuild(buckets: number): void {
    const chunks = this.#chunks;
    const oldHashes = this.#hashes;
    const used = this.#used;
    const iterators = this.#iteratorsAt(0, Infinity);
    const hashes = new Int32Array(buckets >>> 1);
    let live = 0;
    let next = 0; // the next iterator to move
    for (let e = 0; e < used; e++) {
      while (next < iterators.length && iterators[next].position <= e) {
        iterators[next++].moveTo(live);
      }
      const from = chunks[chunkOf(e)];
      const key = from[offsetOf(e)];
      if (key === undefined) continue;
      if (live !== e) moveEntry(chunks, e, live);
      hashes[live++] = oldHashes[e];
    }
    while (next < iterators.length) iterators[next++].moveTo(live);
    chunks.length = Math.ceil(live / CHUNK_ENTRIES);
    // A table drained to a few keys gives its first chunk back too.
    if (
      live <= CHUNK_ENTRIES / 8 && chunks.length === 1 &&
      chunks[0].length > 8 * Math.max(FIRST_CHUNK_SLOTS, 2 * live)
    ) {
      chunks[0] = chunks[0].slice(0, Math.max(FIRST_CHUNK_SLOTS, 4 * live));
    }
    const index = new Int32Array(2 * buckets);
    const mask = buckets - 1;
    for (let e = 0; e < live; e++) {
      const bucket = emptyBucket(index, mask, hashes[e]);
      index[2 * bucket] = hashes[e];
      index[2 * bucket + 1] = e + 1;
    }
    this.#index = index;
    this.#hashes = hashes;
    this.#mask = mask;
    this.#used = live;
    this.#oldIndex = undefined;
  }

  /**
   * Room for chunk `c`'s next entry: a new full chunk, or the first one
   * doubled (so a table of ten keys does not take a megabyte).
   */
  #growChunk(c: number): unknown[] {
    const old = this.#chunks[c] ?? [];
    const slots = c > 0
      ? 2 * CHUNK_ENTRIES
      : Math.min(2 * CHUNK_ENTRIES, Math.max(FIRST_CHUNK_SLOTS, 2 * old.length));
    const chunk = new Array(slots).fill(undefined);
    for (let i = 0; i < old.length; i++) chunk[i] = old[i];
    this.#chunks[c] = chunk;
    return chunk;
  }

  /** The key of entry `e` (below `#used`), undefined for a hole. */
  #keyAt(e: number): string | undefined {
    return this.#chunks[chunkOf(e)][offsetOf(e)] as string | undefined;
  }

  #iterate<T>(pick: (chunk: unknown[], at: number) => T): KeyTableIterator<V, T> {
    const it = new KeyTableIterator<V, T>(pick, () => this.#chunks, () => this.#used);
    const ref = new WeakRef<KeyTableIterator<V, unknown>>(it);
    this.#iterators.add(ref);
    // Dropped unfinished (a SCAN never completed), it leaves the set once collected.
    this.#dropped.register(it, ref, ref);
    it.onFinish = () => {
      this.#iterators.delete(ref);
      this.#dropped.unregister(ref);
    };
    return it;
  }
}

/**
 * An iterator over a KeyTable's entries from `position` on. The table moves
 * it when a rebuild renumbers the entries; once done it stays done (as a Map
 * iterator does).
 */
export class KeyTableIterator<V, T> implements IterableIterator<T> {
  /** The entry number it looks at next: every entry below it was visited. */
  position = 0;
  finished = false;
  onFinish: () => void = () => {};

  /**
   * `pick` reads an entry from its chunk and key offset; `chunks` and `used`
   * read the table's current layout (a rebuild replaces it).
   */
  constructor(
    readonly pick: (chunk: unknown[], at: number) => T,
    readonly chunks: () => unknown[][],
    readonly used: () => number,
  ) {}

  moveTo(position: number): void {
    this.position = position;
  }

  next(): IteratorResult<T> {
    if (!this.finished) {
      const chunks = this.chunks();
      const used = this.used();
      while (this.position < used) {
        const entry = this.position++;
        const chunk = chunks[chunkOf(entry)];
        const at = offsetOf(entry);
        if (chunk[at] !== undefined) return { done: false, value: this.pick(chunk, at) };
      }
      this.#finish();
    }
    return { done: true, value: undefined };
  }

  return(): IteratorResult<T> {
    this.#finish();
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this;
  }

  #finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish();
  }
}

/**
 * Buckets for `entries`: a power of two, at least three times as many, so
 * that the entries fill at most two thirds of the room (half the buckets)
 * and half as many again can be added before the next rebuild.
 */
function bucketsFor(entries: number): number {
  let buckets = MIN_BUCKETS;
  while (buckets < 3 * entries) buckets *= 2;
  return buckets;
}
