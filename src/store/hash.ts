/**
 * The hash value: fields and values with Map's interface and order
 * (insertion order; a deleted field leaves the others in place).
 *
 * A small hash is flat: one string holding field, value, field, value, …,
 * each after a one-char length header (src/store/flat_string.ts), the way
 * Redis keeps a small hash in a listpack. A V8 Map of 10 fields costs 528
 * bytes of heap before its strings, and each value string a 16-byte header
 * and an 8-byte slot; the flat string holds the bytes themselves. A lookup
 * scans the headers (a field is only ever matched against fields, never
 * against a value); a change builds a new string. Past the flat limits the
 * hash moves to a Map and stays there, as Redis converts a listpack hash to
 * a hashtable and never back.
 *
 * Reads (`get`, iteration) return views into the flat string: they serve
 * replies. Iterating a flat hash walks the string as it was when the
 * iteration began, so the hash may change meanwhile, as a Map may.
 *
 * @module
 */
import { ownedSlice, stringBytes } from "../util/bytes.ts";
import {
  findItem,
  FLAT_MAX_ITEM_LENGTH,
  forEachFlatItem,
  itemAt,
  itemEnd,
  withItems,
  withoutRun,
} from "./flat_string.ts";

/** Fields up to which a hash stays flat (Redis 7.0's hash-max-listpack-entries is 512; scans stay short). */
export const HASH_FLAT_MAX_FIELDS = 64;
/** The longest field or value a flat hash holds. */
export const HASH_FLAT_MAX_LENGTH = FLAT_MAX_ITEM_LENGTH;
/** Chars of a flat hash's string at most: bounds the copy each change makes. */
export const HASH_FLAT_MAX_CHARS = 4096;

/** The flat limits in force: the constants above, lowered by `setHashFlatLimits`. */
let maxFields = HASH_FLAT_MAX_FIELDS;
let maxLength = HASH_FLAT_MAX_LENGTH;

/**
 * Lowers the flat limits to the configuration's `hash-max-listpack-entries`
 * and `-value`, so a hash leaves the flat form no later than Redis's leaves
 * its listpack. With 0 entries every hash is a Map: writes cost less CPU,
 * the hashes more memory.
 */
export function setHashFlatLimits(entries: number, value: number): void {
  maxFields = Math.min(HASH_FLAT_MAX_FIELDS, entries);
  maxLength = Math.min(HASH_FLAT_MAX_LENGTH, value);
}

/** The object of a flat hash: its header and three fields. */
const FLAT_OBJECT_BYTES = 48;

/** A Redis hash: field → value. */
export class Hash implements Iterable<[string, string]> {
  /** The flat form's string; unused once `#map` is set. */
  #flat = "";
  /** The flat form's field count. */
  #size = 0;
  #map: Map<string, string> | undefined = undefined;

  /** A hash of `entries`; a repeated field keeps its last value. */
  static from(entries: Iterable<readonly [string, string]>): Hash {
    const hash = new Hash();
    for (const [field, value] of entries) hash.set(field, value);
    return hash;
  }

  /** Whether the hash is still flat (for memory estimates and tests). */
  get isFlat(): boolean {
    return this.#map === undefined;
  }

  /** The memory of the flat form (the object and its string), or undefined once a Map. */
  get flatBytes(): number | undefined {
    return this.#map !== undefined ? undefined : FLAT_OBJECT_BYTES + stringBytes(this.#flat.length);
  }

  /** Number of fields. */
  get size(): number {
    return this.#map !== undefined ? this.#map.size : this.#size;
  }

  get(field: string): string | undefined {
    if (this.#map !== undefined) return this.#map.get(field);
    const at = this.#find(field);
    return at < 0 ? undefined : itemAt(this.#flat, at + 1 + field.length);
  }

  has(field: string): boolean {
    return this.#map !== undefined ? this.#map.has(field) : this.#find(field) >= 0;
  }

  /** Sets `field` to `value` (a new field goes last). */
  set(field: string, value: string): this {
    if (this.#map !== undefined) {
      this.#map.set(field, value);
      return this;
    }
    const flat = this.#flat;
    const at = this.#find(field);
    if (at >= 0) {
      const valueAt = at + 1 + field.length;
      const valueEnd = itemEnd(flat, valueAt);
      if (fitsFlat(value.length, flat.length - (valueEnd - valueAt))) {
        this.#flat = withItems(flat, valueAt, valueEnd, [value]);
        return this;
      }
    } else if (
      this.#size < maxFields && field.length <= maxLength &&
      fitsFlat(value.length, flat.length + 1 + field.length)
    ) {
      this.#flat = withItems(flat, flat.length, flat.length, [field, value]);
      this.#size++;
      return this;
    }
    this.#toMap().set(field, value);
    return this;
  }

  /** Removes `field`; false when it was absent. */
  delete(field: string): boolean {
    if (this.#map !== undefined) return this.#map.delete(field);
    const at = this.#find(field);
    if (at < 0) return false;
    this.#flat = withoutRun(this.#flat, at, itemEnd(this.#flat, at + 1 + field.length));
    this.#size--;
    return true;
  }

  keys(): IterableIterator<string> {
    return this.#map !== undefined ? this.#map.keys() : flatItems(this.#flat, 0);
  }

  values(): IterableIterator<string> {
    return this.#map !== undefined ? this.#map.values() : flatItems(this.#flat, 1);
  }

  entries(): IterableIterator<[string, string]> {
    return this.#map !== undefined ? this.#map.entries() : flatEntries(this.#flat);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Visits every field in order, as Map.forEach does (value first). */
  forEach(visit: (value: string, field: string) => void): void {
    if (this.#map !== undefined) return this.#map.forEach(visit);
    const flat = this.#flat;
    for (let at = 0; at < flat.length;) {
      const valueAt = itemEnd(flat, at);
      const end = itemEnd(flat, valueAt);
      visit(flat.slice(valueAt + 1, end), flat.slice(at + 1, valueAt));
      at = end;
    }
  }

  /**
   * Visits field, value, field, value… as ranges of strings, allocating
   * nothing for a flat hash: a snapshot copies the bytes out of the string.
   */
  forEachItem(visit: (source: string, from: number, to: number) => void): void {
    if (this.#map !== undefined) {
      this.#map.forEach((value, field) => {
        visit(field, 0, field.length);
        visit(value, 0, value.length);
      });
      return;
    }
    forEachFlatItem(this.#flat, visit);
  }

  /** The offset of `field`'s header in the flat string, or -1. */
  #find(field: string): number {
    return findItem(this.#flat, field, true);
  }

  /** Moves the fields into a Map, as owned strings: the hash stays one from now on. */
  #toMap(): Map<string, string> {
    const flat = this.#flat;
    const map = new Map<string, string>();
    for (let at = 0; at < flat.length;) {
      const valueAt = itemEnd(flat, at);
      const end = itemEnd(flat, valueAt);
      map.set(ownedSlice(flat, at + 1, valueAt), ownedSlice(flat, valueAt + 1, end));
      at = end;
    }
    this.#map = map;
    this.#flat = "";
    this.#size = 0;
    return map;
  }
}

/** Whether a value of `length` fits a flat string that holds `chars` without it. */
function fitsFlat(length: number, chars: number): boolean {
  return length <= maxLength && chars + 1 + length <= HASH_FLAT_MAX_CHARS;
}

/** The fields (`which` 0) or the values (1) of a flat string, as views. */
function* flatItems(flat: string, which: 0 | 1): IterableIterator<string> {
  for (let at = 0; at < flat.length;) {
    const valueAt = itemEnd(flat, at);
    const end = itemEnd(flat, valueAt);
    yield which === 0 ? flat.slice(at + 1, valueAt) : flat.slice(valueAt + 1, end);
    at = end;
  }
}

/** The [field, value] pairs of a flat string, as views. */
function* flatEntries(flat: string): IterableIterator<[string, string]> {
  for (let at = 0; at < flat.length;) {
    const valueAt = itemEnd(flat, at);
    const end = itemEnd(flat, valueAt);
    yield [flat.slice(at + 1, valueAt), flat.slice(valueAt + 1, end)];
    at = end;
  }
}
