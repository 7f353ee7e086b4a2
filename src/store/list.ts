/**
 * The list value, in one of two forms.
 *
 * Flat: a small list is one string holding its elements in order, each after
 * a one-char header giving its length, the way Redis keeps a small list in a
 * single listpack. Every element as a string of its own costs V8 a header
 * and a slot besides its bytes: a list of 10 elements of 15 bytes took 673
 * bytes of heap as a deque (src/store/list_deque.ts) and 231 flat. Reads scan
 * the headers (O(n) for n ≤ FLAT_MAX_ELEMENTS). A pop or a trim only moves
 * the offsets of the live part; every other change builds a new string (at
 * most FLAT_MAX_CHARS chars), as a listpack insert moves its tail.
 *
 * Deque: the first element or change that does not fit the flat limits
 * turns the list into a `ListDeque`, and it stays one (as Redis 7.0 never
 * turns a quicklist back into a listpack).
 *
 * Reads for replies (`at`, `range`, iteration) return views into the flat
 * string (see flat_string.ts); an element that leaves the list (the pops)
 * is copied with `ownedSlice`, since it may be stored elsewhere.
 *
 * Indexes in this API are 0-based; where documented, negative ones count from
 * the tail like Redis (-1 is the last element).
 */
import { ownedSlice } from "../util/bytes.ts";
import { ListDeque, listRange } from "./list_deque.ts";
import {
  FLAT_MAX_ITEM_LENGTH,
  flatOf,
  itemAt,
  ownedRun,
  withItems,
  withoutRun,
} from "./flat_string.ts";

export { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from "./list_deque.ts";

/** Elements a flat list holds at most (Redis's listpack sizes are in bytes; this keeps scans short). */
export const FLAT_MAX_ELEMENTS = 128;
/** The longest element a flat list holds. */
export const FLAT_MAX_ELEMENT_LENGTH = FLAT_MAX_ITEM_LENGTH;
/** Chars of a flat list's string at most: bounds the copy each change makes. */
export const FLAT_MAX_CHARS = 4096;

/** Approximate bytes of a flat list's object and its string's header (see byteSize). */
const FLAT_OVERHEAD_BYTES = 64;

/** A Redis list: O(1) at both ends and by index once large, O(n) scans while flat. */
export class List {
  /** The flat form's string ("" when empty); unused once `#deque` is set. */
  #flat = "";
  /**
   * The part of `#flat` that holds the list: pops only move these offsets,
   * and the string is rebuilt by the next change, or at once when more of it
   * is dead than alive (`#compact`).
   */
  #start = 0;
  #end = 0;
  /** The flat form's element count. */
  #length = 0;
  /** The large form, once the list left the flat one. */
  #deque: ListDeque | undefined = undefined;

  /** An empty list. */
  constructor() {}

  /** A list holding `values` in order (head first). */
  static from(values: Iterable<string>): List {
    return List.fromArray(Array.isArray(values) ? values : [...values]);
  }

  /** A list holding `values` in order (head first), laid out in one step. */
  static fromArray(values: readonly string[]): List {
    const list = new List();
    const n = values.length;
    let chars = 0;
    let fits = n <= FLAT_MAX_ELEMENTS;
    for (let i = 0; fits && i < n; i++) {
      const len = values[i].length;
      chars += 1 + len;
      fits = len <= FLAT_MAX_ELEMENT_LENGTH && chars <= FLAT_MAX_CHARS;
    }
    if (!fits) {
      list.#deque = ListDeque.fromArray(values);
      return list;
    }
    list.#flat = flatOf(values);
    list.#end = list.#flat.length;
    list.#length = n;
    return list;
  }

  /** Number of elements. */
  get length(): number {
    return this.#deque !== undefined ? this.#deque.length : this.#length;
  }

  /** Total length of the elements in bytes. */
  get elementBytes(): number {
    return this.#deque !== undefined
      ? this.#deque.elementBytes
      : this.#end - this.#start - this.#length;
  }

  /** Whether the list is in the flat form (for tests and MEMORY accounting). */
  get isFlat(): boolean {
    return this.#deque === undefined;
  }

  /** Approximate memory held, in bytes. */
  byteSize(): number {
    return this.#deque !== undefined
      ? this.#deque.byteSize()
      : FLAT_OVERHEAD_BYTES + this.#flat.length;
  }

  // ---------------------------------------------------------------- ends

  /** Add `v` before the first element (LPUSH). */
  pushHead(v: string): void {
    if (this.#deque === undefined && !this.#fits(v.length, 0)) this.#toDeque();
    if (this.#deque !== undefined) return this.#deque.pushHead(v);
    this.#splice(this.#start, this.#start, v);
    this.#length++;
  }

  /** Add `v` after the last element (RPUSH). */
  pushTail(v: string): void {
    if (this.#deque === undefined && !this.#fits(v.length, 0)) this.#toDeque();
    if (this.#deque !== undefined) return this.#deque.pushTail(v);
    this.#splice(this.#end, this.#end, v);
    this.#length++;
  }

  /** Remove and return the first element (LPOP), or undefined when empty. */
  popHead(): string | undefined {
    if (this.#deque !== undefined) return this.#deque.popHead();
    if (this.#length === 0) return undefined;
    return this.#take(this.#start);
  }

  /** Remove and return the last element (RPOP), or undefined when empty. */
  popTail(): string | undefined {
    if (this.#deque !== undefined) return this.#deque.popTail();
    if (this.#length === 0) return undefined;
    return this.#take(this.#offset(this.#length - 1));
  }

  // ---------------------------------------------------------------- by index

  /** The element at `index` (negative counts from the tail), or undefined out of range. */
  at(index: number): string | undefined {
    if (this.#deque !== undefined) return this.#deque.at(index);
    if (index < 0) index += this.#length;
    if (index < 0 || index >= this.#length) return undefined;
    return itemAt(this.#flat, this.#offset(index));
  }

  /** Replace the element at `index` (negative counts from the tail); false when out of range. */
  set(index: number, v: string): boolean {
    if (this.#deque !== undefined) return this.#deque.set(index, v);
    if (index < 0) index += this.#length;
    if (index < 0 || index >= this.#length) return false;
    const at = this.#offset(index);
    const oldLength = this.#flat.charCodeAt(at);
    if (!this.#fits(v.length, 1 + oldLength)) {
      this.#toDeque();
      return this.#deque!.set(index, v);
    }
    this.#splice(at, at + 1 + oldLength, v);
    return true;
  }

  /**
   * Insert `v` so that it becomes the element at `index` (0 ≤ index ≤ length);
   * the elements from `index` on move one place toward the tail. Returns
   * false when `index` is out of range.
   */
  insertAt(index: number, v: string): boolean {
    if (this.#deque === undefined) {
      if (index < 0 || index > this.#length) return false;
      if (!this.#fits(v.length, 0)) this.#toDeque();
    }
    if (this.#deque !== undefined) return this.#deque.insertAt(index, v);
    const at = this.#offset(index);
    this.#splice(at, at, v);
    this.#length++;
    return true;
  }

  /**
   * Remove and return the element at `index` (0-based, non-negative), or
   * undefined when out of range.
   */
  removeAt(index: number): string | undefined {
    if (this.#deque !== undefined) return this.#deque.removeAt(index);
    if (index < 0 || index >= this.#length) return undefined;
    return this.#take(this.#offset(index));
  }

  // ---------------------------------------------------------------- ranges

  /**
   * The elements from `start` to `stop` inclusive with LRANGE semantics:
   * negative indexes count from the tail, start is clamped to 0 and stop to
   * the last index, and an empty range gives an empty array.
   */
  range(from: number, to: number): string[] {
    if (this.#deque !== undefined) return this.#deque.range(from, to);
    const bounds = listRange(from, to, this.#length);
    if (bounds === undefined) return [];
    const [start, stop] = bounds;
    const out = new Array<string>(stop - start + 1);
    const flat = this.#flat;
    let at = this.#offset(start);
    for (let k = 0; k < out.length; k++) {
      const len = flat.charCodeAt(at);
      out[k] = flat.slice(at + 1, at + 1 + len);
      at += 1 + len;
    }
    return out;
  }

  /**
   * Keep only the elements from `start` to `stop` inclusive (LTRIM semantics:
   * negative indexes count from the tail; an empty range empties the list).
   */
  trim(first: number, last: number): void {
    if (this.#deque !== undefined) return this.#deque.trim(first, last);
    const bounds = listRange(first, last, this.#length);
    if (bounds === undefined) return this.#clear();
    const [start, stop] = bounds;
    const from = this.#offset(start);
    const to = this.#offset(stop + 1);
    this.#start = from;
    this.#end = to;
    this.#length = stop - start + 1;
    this.#compact();
  }

  /**
   * Remove elements equal to `value` (LREM semantics): the first `count` from
   * the head when count > 0, the last `-count` from the tail when count < 0,
   * all of them when count is 0. Returns the number removed.
   */
  remove(value: string, count: number): number {
    if (this.#deque !== undefined) return this.#deque.remove(value, count);
    const limit = count === 0 ? Infinity : Math.abs(count);
    const matches = this.#matchOffsets(value, count < 0, limit);
    if (matches.length === 0) return 0;
    if (count < 0) matches.reverse();
    // Keep the runs between the matches.
    const flat = this.#flat;
    const skip = 1 + value.length;
    const runs: number[] = [];
    let from = this.#start;
    for (const at of matches) {
      if (at > from) runs.push(from, at);
      from = at + skip;
    }
    if (from < this.#end) runs.push(from, this.#end);
    if (runs.length <= 2) {
      this.#flat = runs.length === 0 ? "" : ownedRun(flat, runs[0], runs[1]);
    } else {
      // Two or more non-empty parts: the join copies.
      const parts: string[] = [];
      for (let r = 0; r < runs.length; r += 2) parts.push(flat.slice(runs[r], runs[r + 1]));
      this.#flat = parts.join("");
    }
    this.#start = 0;
    this.#end = this.#flat.length;
    this.#length -= matches.length;
    return matches.length;
  }

  /**
   * Positions of `value` following LPOS: skip to the `rank`-th match (rank > 0
   * scans from the head, rank < 0 from the tail; rank must not be 0), then
   * collect up to `count` matches (0 means all), comparing at most `maxlen`
   * elements (0 means no limit). Positions are always head-based indexes, in
   * scan order. For LPOS without COUNT, call with count 1.
   */
  positions(value: string, rank: number, count: number, maxlen: number): number[] {
    if (this.#deque !== undefined) return this.#deque.positions(value, rank, count, maxlen);
    const n = this.#length;
    const scan = maxlen > 0 && maxlen < n ? maxlen : n;
    // Head-based indexes of the matches among the scanned elements, head first.
    const found: number[] = [];
    const flat = this.#flat;
    const first = rank >= 0 ? 0 : n - scan;
    const last = rank >= 0 ? scan : n;
    for (let i = 0, at = this.#start; i < last; i++) {
      const len = flat.charCodeAt(at);
      if (i >= first && len === value.length && flat.startsWith(value, at + 1)) found.push(i);
      at += 1 + len;
    }
    if (rank < 0) found.reverse();
    const matches = found.slice(Math.abs(rank) - 1);
    return count > 0 ? matches.slice(0, count) : matches;
  }

  // ---------------------------------------------------------------- iteration

  /** The elements from head to tail. */
  *values(): IterableIterator<string> {
    if (this.#deque !== undefined) return yield* this.#deque.values();
    const flat = this.#flat;
    const end = this.#end;
    for (let at = this.#start; at < end;) {
      const len = flat.charCodeAt(at);
      yield flat.slice(at + 1, at + 1 + len);
      at += 1 + len;
    }
  }

  /**
   * Visits every element head to tail as a range of a string, allocating
   * nothing: a snapshot copies the bytes out of the flat string itself.
   */
  forEachItem(visit: (source: string, from: number, to: number) => void): void {
    if (this.#deque !== undefined) {
      for (const v of this.#deque.values()) visit(v, 0, v.length);
      return;
    }
    const flat = this.#flat;
    for (let at = this.#start; at < this.#end;) {
      const end = at + 1 + flat.charCodeAt(at);
      visit(flat, at + 1, end);
      at = end;
    }
  }

  /** The elements from tail to head. */
  *reverseValues(): IterableIterator<string> {
    if (this.#deque !== undefined) return yield* this.#deque.reverseValues();
    const all = this.range(0, -1);
    for (let i = all.length - 1; i >= 0; i--) yield all[i];
  }

  /** Same as values(). */
  [Symbol.iterator](): IterableIterator<string> {
    return this.values();
  }

  /** The elements head to tail in a new array. */
  toArray(): string[] {
    return this.range(0, -1);
  }

  /** Check the layout invariants; throws on a violation. For tests. */
  verify(): void {
    if (this.#deque !== undefined) return this.#deque.verify();
    const fail = (what: string): never => {
      throw new Error("list invariant broken: " + what);
    };
    const flat = this.#flat;
    if (flat.length > FLAT_MAX_CHARS) fail("flat string too long");
    if (this.#start < 0 || this.#start > this.#end || this.#end > flat.length) fail("window");
    if (flat.length - (this.#end - this.#start) > this.#end - this.#start) {
      fail("more dead than alive");
    }
    let count = 0;
    let at = this.#start;
    while (at < this.#end) {
      at += 1 + flat.charCodeAt(at);
      count++;
    }
    if (at !== this.#end) fail("headers overrun the window");
    if (count !== this.#length) fail("element count");
    if (count > FLAT_MAX_ELEMENTS) fail("too many flat elements");
  }

  // ---------------------------------------------------------------- internals

  /**
   * Whether the flat form can take an element of `length`: a new one
   * (`replaced` 0) or in place of one of `replaced` chars, header included.
   */
  #fits(length: number, replaced: number): boolean {
    return length <= FLAT_MAX_ELEMENT_LENGTH &&
      this.#length + (replaced === 0 ? 1 : 0) <= FLAT_MAX_ELEMENTS &&
      this.#end - this.#start - replaced + 1 + length <= FLAT_MAX_CHARS;
  }

  /** The offset of element `index`'s header (`#end` for index === length). */
  #offset(index: number): number {
    const flat = this.#flat;
    let at = this.#start;
    for (let i = 0; i < index; i++) at += 1 + flat.charCodeAt(at);
    return at;
  }

  /** Removes the element whose header is at `at` and returns it as an owned string. */
  #take(at: number): string {
    const flat = this.#flat;
    const end = at + 1 + flat.charCodeAt(at);
    const v = ownedSlice(flat, at + 1, end);
    this.#length--;
    if (at === this.#start) {
      this.#start = end;
    } else if (end === this.#end) {
      this.#end = at;
    } else {
      this.#flat = withoutRun(flat, at, end, this.#start, this.#end);
      this.#start = 0;
      this.#end = this.#flat.length;
    }
    this.#compact();
    return v;
  }

  /** Replaces the chars [from, to) (whole elements) with the element `v`: a new string. */
  #splice(from: number, to: number, v: string): void {
    this.#flat = withItems(this.#flat, from, to, [v], this.#start, this.#end);
    this.#start = 0;
    this.#end = this.#flat.length;
  }

  /** Drops the dead ends of the string once they outweigh the list (or the list is empty). */
  #compact(): void {
    if (this.#length === 0) return this.#clear();
    const live = this.#end - this.#start;
    if (this.#flat.length - live <= live) return;
    this.#flat = ownedRun(this.#flat, this.#start, this.#end);
    this.#start = 0;
    this.#end = live;
  }

  /** Empties a flat list. */
  #clear(): void {
    this.#flat = "";
    this.#start = 0;
    this.#end = 0;
    this.#length = 0;
  }

  /** Offsets of the elements equal to `value`, up to `limit`, scanning from the tail when `fromTail`. */
  #matchOffsets(value: string, fromTail: boolean, limit: number): number[] {
    const flat = this.#flat;
    const all: number[] = [];
    for (let at = this.#start; at < this.#end;) {
      const len = flat.charCodeAt(at);
      if (len === value.length && flat.startsWith(value, at + 1)) all.push(at);
      at += 1 + len;
    }
    if (fromTail) all.reverse();
    return all.length > limit ? all.slice(0, limit) : all;
  }

  /** Moves the elements into a deque, as owned strings: the list stays large from now on. */
  #toDeque(): void {
    const flat = this.#flat;
    const values = new Array<string>(this.#length);
    for (let i = 0, at = this.#start; i < values.length; i++) {
      const len = flat.charCodeAt(at);
      values[i] = ownedSlice(flat, at + 1, at + 1 + len);
      at += 1 + len;
    }
    this.#deque = ListDeque.fromArray(values);
    this.#clear();
  }
}
