/**
 * The hash value: fields and values with Map's interface and order
 * (insertion order, a deleted field leaves the others in place).
 *
 * A small hash keeps them in one flat array (field, value, field, value, …)
 * and finds a field by a linear scan, the way Redis keeps a small hash in a
 * listpack. Measured with 10 fields, strings included: 849 bytes a Map,
 * 817 an array of exactly 20 slots, 1024 one grown by push. Past
 * {@link HASH_FLAT_MAX_FIELDS} the hash moves to a Map and stays there.
 *
 * @module
 */

/** Fields up to which a hash stays a flat array (a scan of 64 is cheaper than hashing). */
export const HASH_FLAT_MAX_FIELDS = 64;

/** A Redis hash: field → value. */
export class Hash implements Iterable<[string, string]> {
  /** field, value, field, value, … while small; undefined once the hash is a Map. */
  #flat: string[] | undefined = [];
  #map: Map<string, string> | undefined;

  /** A hash of `entries`; a repeated field keeps its last value. */
  static from(entries: Iterable<readonly [string, string]>): Hash {
    const hash = new Hash();
    for (const [field, value] of entries) hash.set(field, value);
    return hash;
  }

  /** Whether the hash is still a flat array (for memory estimates). */
  get isFlat(): boolean {
    return this.#flat !== undefined;
  }

  /** Number of fields. */
  get size(): number {
    return this.#flat !== undefined ? this.#flat.length >> 1 : this.#map!.size;
  }

  get(field: string): string | undefined {
    const flat = this.#flat;
    if (flat === undefined) return this.#map!.get(field);
    const k = indexOfField(flat, field);
    return k < 0 ? undefined : flat[k + 1];
  }

  has(field: string): boolean {
    const flat = this.#flat;
    return flat === undefined ? this.#map!.has(field) : indexOfField(flat, field) >= 0;
  }

  /** Sets `field` to `value` (a new field goes last). */
  set(field: string, value: string): this {
    const flat = this.#flat;
    if (flat === undefined) {
      this.#map!.set(field, value);
      return this;
    }
    const k = indexOfField(flat, field);
    if (k >= 0) {
      flat[k + 1] = value;
    } else if (flat.length < 2 * HASH_FLAT_MAX_FIELDS) {
      // concat allocates exactly the new length; push would grow the
      // capacity by half, making a 10-field hash bigger than a Map.
      this.#flat = flat.concat(field, value);
    } else {
      const map = new Map<string, string>();
      for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
      map.set(field, value);
      this.#map = map;
      this.#flat = undefined;
    }
    return this;
  }

  /** Removes `field`; false when it was absent. */
  delete(field: string): boolean {
    const flat = this.#flat;
    if (flat === undefined) return this.#map!.delete(field);
    const k = indexOfField(flat, field);
    if (k < 0) return false;
    flat.splice(k, 2);
    return true;
  }

  // Iterators over a flat hash walk a copy, so a caller may change the hash
  // meanwhile, as a Map allows.

  keys(): IterableIterator<string> {
    const flat = this.#flat;
    if (flat === undefined) return this.#map!.keys();
    const keys = new Array<string>(flat.length >> 1);
    for (let i = 0; i < keys.length; i++) keys[i] = flat[2 * i];
    return keys.values();
  }

  values(): IterableIterator<string> {
    const flat = this.#flat;
    if (flat === undefined) return this.#map!.values();
    const values = new Array<string>(flat.length >> 1);
    for (let i = 0; i < values.length; i++) values[i] = flat[2 * i + 1];
    return values.values();
  }

  entries(): IterableIterator<[string, string]> {
    const flat = this.#flat;
    if (flat === undefined) return this.#map!.entries();
    const entries = new Array<[string, string]>(flat.length >> 1);
    for (let i = 0; i < entries.length; i++) entries[i] = [flat[2 * i], flat[2 * i + 1]];
    return entries.values();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Visits every field in order, as Map.forEach does (value first); `visit` must not change the hash. */
  forEach(visit: (value: string, field: string) => void): void {
    const flat = this.#flat;
    if (flat === undefined) return this.#map!.forEach(visit);
    for (let i = 0; i < flat.length; i += 2) visit(flat[i + 1], flat[i]);
  }
}

/** The index of `field` among the fields (even indexes) of a flat hash, or -1. */
function indexOfField(flat: readonly string[], field: string): number {
  for (let k = 0; k < flat.length; k += 2) if (flat[k] === field) return k;
  return -1;
}
