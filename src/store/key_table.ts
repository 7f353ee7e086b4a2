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
 * - `#slots`: key, value, key, value… in insertion order. A deleted entry
 *   leaves a hole (its key slot is `undefined`) until the next rebuild.
 * - `#index`: two int32 per bucket, the key's hash and its entry number + 1
 *   (0: empty bucket, TOMBSTONE: its entry was deleted). Buckets number a
 *   power of two, at least twice the entries, so a probe ends quickly.
 *
 * Iterators follow `Map`'s rules: entries appended while one runs are
 * visited, deleted ones are not, and a rebuild (which closes the holes)
 * moves every live iterator to the same entry in the new layout.
 */

/** `#index` entry number of a bucket whose entry was deleted. */
const TOMBSTONE = -1;

/** Random entry numbers `randomKey` tries before it walks to the next live entry. */
const RANDOM_TRIES = 32;

/** Smallest number of buckets. */
const MIN_BUCKETS = 8;

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
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A key → value table of strings (see the file comment). */
export class KeyTable<V> implements Iterable<[string, V]> {
  #slots: unknown[] = [];
  /** The hash of entry e at `#hashes[e]`, so a rebuild need not recompute them. */
  #hashes: Int32Array;
  #index: Int32Array;
  #mask: number;
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

  get(key: string): V | undefined {
    const bucket = this.#probe(key, hashKey(key));
    return bucket < 0 ? undefined : this.#slots[2 * (this.#index[2 * bucket + 1] - 1) + 1] as V;
  }

  has(key: string): boolean {
    return this.#probe(key, hashKey(key)) >= 0;
  }

  /**
   * Where `key` is in iteration order, -1 when absent: it was visited by an
   * iterator of this table iff it is below the iterator's `position` (both
   * move together when a rebuild renumbers the entries).
   */
  entryNumber(key: string): number {
    const bucket = this.#probe(key, hashKey(key));
    return bucket < 0 ? -1 : this.#index[2 * bucket + 1] - 1;
  }

  set(key: string, value: V): this {
    const hash = hashKey(key);
    const bucket = this.#probe(key, hash);
    if (bucket >= 0) {
      this.#slots[2 * (this.#index[2 * bucket + 1] - 1) + 1] = value;
      return this;
    }
    if (this.#used === this.#hashes.length) {
      // Full: close the holes, and double the buckets unless that made room.
      this.#rebuild(bucketsFor(this.#size + 1));
      this.#append(key, value, hash, this.#probe(key, hash));
    } else {
      this.#append(key, value, hash, bucket);
    }
    return this;
  }

  delete(key: string): boolean {
    const bucket = this.#probe(key, hashKey(key));
    if (bucket < 0) return false;
    const entry = this.#index[2 * bucket + 1] - 1;
    this.#index[2 * bucket + 1] = TOMBSTONE;
    this.#slots[2 * entry] = undefined;
    this.#slots[2 * entry + 1] = undefined;
    this.#size--;
    // Mostly empty: shrink, as Map does, so a drained table gives its memory back
    // (well below what bucketsFor rounds a size up to, so that it does not see-saw).
    const buckets = this.#mask + 1;
    if (buckets > MIN_BUCKETS && this.#size * 16 < buckets) this.#rebuild(bucketsFor(this.#size));
    return true;
  }

  clear(): void {
    this.#slots = [];
    this.#used = 0;
    this.#size = 0;
    this.#index = new Int32Array(2 * MIN_BUCKETS);
    this.#hashes = new Int32Array(MIN_BUCKETS >>> 1);
    this.#mask = MIN_BUCKETS - 1;
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
    const slots = this.#slots;
    const used = this.#used;
    let entry = 0;
    for (let attempt = 0; attempt < RANDOM_TRIES; attempt++) {
      entry = Math.floor(Math.random() * used);
      if (slots[2 * entry] !== undefined) return slots[2 * entry] as string;
    }
    for (let step = 0; step < used; step++) {
      const key = slots[2 * ((entry + step) % used)];
      if (key !== undefined) return key as string;
    }
    return undefined;
  }

  keys(): KeyTableIterator<V, string> {
    return this.#iterate((slots, entry) => slots[2 * entry] as string);
  }

  values(): KeyTableIterator<V, V> {
    return this.#iterate((slots, entry) => slots[2 * entry + 1] as V);
  }

  entries(): KeyTableIterator<V, [string, V]> {
    return this.#iterate((slots, entry) => [slots[2 * entry] as string, slots[2 * entry + 1] as V]);
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /**
   * The bucket holding `key`; when it is absent, -1 − the empty bucket its
   * probe ended at (where it would go).
   */
  #probe(key: string, hash: number): number {
    const index = this.#index;
    const mask = this.#mask;
    let bucket = hash & mask;
    for (;;) {
      const entry = index[2 * bucket + 1];
      if (entry === 0) return -1 - bucket;
      if (entry > 0 && index[2 * bucket] === hash && this.#slots[2 * (entry - 1)] === key) {
        return bucket;
      }
      bucket = (bucket + 1) & mask;
    }
  }

  /** Appends an entry for an absent key at `probe`'s empty bucket (room known to be there). */
  #append(key: string, value: V, hash: number, probe: number): void {
    const bucket = -1 - probe;
    this.#index[2 * bucket] = hash;
    this.#index[2 * bucket + 1] = this.#used + 1;
    this.#hashes[this.#used] = hash;
    this.#slots.push(key, value);
    this.#used++;
    this.#size++;
  }

  /**
   * Closes the holes (entries keep their order) and builds a fresh index of
   * `buckets`; live iterators move to the entry they were about to visit.
   */
  #rebuild(buckets: number): void {
    const slots = this.#slots;
    const oldHashes = this.#hashes;
    const used = this.#used;
    const iterators: KeyTableIterator<V, unknown>[] = [];
    for (const ref of this.#iterators) {
      const it = ref.deref();
      if (it !== undefined && !it.finished) iterators.push(it);
    }
    iterators.sort((a, b) => a.position - b.position);
    const hashes = new Int32Array(buckets >>> 1);
    let live = 0;
    let next = 0; // the next iterator to move
    for (let e = 0; e < used; e++) {
      while (next < iterators.length && iterators[next].position <= e) {
        iterators[next++].moveTo(live);
      }
      const key = slots[2 * e];
      if (key === undefined) continue;
      if (live !== e) {
        slots[2 * live] = key;
        slots[2 * live + 1] = slots[2 * e + 1];
      }
      hashes[live++] = oldHashes[e];
    }
    while (next < iterators.length) iterators[next++].moveTo(live);
    slots.length = 2 * live;
    const index = new Int32Array(2 * buckets);
    const mask = buckets - 1;
    for (let e = 0; e < live; e++) {
      let bucket = hashes[e] & mask;
      while (index[2 * bucket + 1] !== 0) bucket = (bucket + 1) & mask;
      index[2 * bucket] = hashes[e];
      index[2 * bucket + 1] = e + 1;
    }
    this.#index = index;
    this.#hashes = hashes;
    this.#mask = mask;
    this.#used = live;
  }

  #iterate<T>(pick: (slots: unknown[], entry: number) => T): KeyTableIterator<V, T> {
    const it = new KeyTableIterator<V, T>(pick, () => this.#slots, () => this.#used);
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

  /** `slots` and `used` read the table's current layout (a rebuild replaces it). */
  constructor(
    readonly pick: (slots: unknown[], entry: number) => T,
    readonly slots: () => unknown[],
    readonly used: () => number,
  ) {}

  moveTo(position: number): void {
    this.position = position;
  }

  next(): IteratorResult<T> {
    if (!this.finished) {
      const slots = this.slots();
      const used = this.used();
      while (this.position < used) {
        const entry = this.position++;
        if (slots[2 * entry] !== undefined) return { done: false, value: this.pick(slots, entry) };
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
