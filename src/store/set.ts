/**
 * The set value: distinct members with Set's interface and order
 * (insertion order; a deleted member leaves the others in place).
 *
 * A small set is flat: one string holding its members, each after a
 * one-char length header (src/store/flat_string.ts), the way Redis 7.2
 * keeps a small set in a listpack. A V8 Set of 10 members costs 400 bytes
 * of heap before its strings, and each member string a 16-byte header; the
 * flat string holds the bytes themselves. A lookup scans the headers; a
 * change builds a new string. Past the flat limits the set moves to a Set
 * and stays there.
 *
 * Iteration returns views into the flat string (for replies and for
 * building other values, which copy what they keep). Iterating a flat set
 * walks the string as it was when the iteration began, so the set may change
 * meanwhile, as a Set may.
 *
 * @module
 */
import { ownedSlice, stringBytes } from "../util/bytes.ts";
import {
  findItem,
  FLAT_MAX_ITEM_LENGTH,
  flatOf,
  forEachFlatItem,
  itemEnd,
  withItems,
  withoutRun,
} from "./flat_string.ts";

/** Members up to which a set stays flat (scans stay short). */
export const SET_FLAT_MAX_MEMBERS = 64;
/** The longest member a flat set holds. */
export const SET_FLAT_MAX_LENGTH = FLAT_MAX_ITEM_LENGTH;
/** Chars of a flat set's string at most: bounds the copy each change makes. */
export const SET_FLAT_MAX_CHARS = 4096;

/** The object of a flat set: its header and three fields. */
const FLAT_OBJECT_BYTES = 48;

/** A Redis set of byte strings. */
export class StringSet implements Iterable<string> {
  /** The flat form's string; unused once `#set` is set. */
  #flat = "";
  /** The flat form's member count. */
  #size = 0;
  #set: Set<string> | undefined = undefined;

  /** A set of `members` (repeats count once). */
  static from(members: Iterable<string>): StringSet {
    const set = new StringSet();
    for (const member of members) set.add(member);
    return set;
  }

  /** A set of `members`, which the caller knows are distinct: one string built at once. */
  static fromDistinct(members: readonly string[]): StringSet {
    const set = new StringSet();
    let chars = 0;
    let fits = members.length <= SET_FLAT_MAX_MEMBERS;
    for (let i = 0; fits && i < members.length; i++) {
      chars += 1 + members[i].length;
      fits = members[i].length <= SET_FLAT_MAX_LENGTH && chars <= SET_FLAT_MAX_CHARS;
    }
    if (fits) {
      set.#flat = flatOf(members);
      set.#size = members.length;
    } else {
      // Views into other flat strings may stay views: each keeps at most one
      // string of SET_FLAT_MAX_CHARS alive, which it shares with its neighbours.
      set.#set = new Set(members);
    }
    return set;
  }

  /** Whether the set is still flat (for tests). */
  get isFlat(): boolean {
    return this.#set === undefined;
  }

  /** The memory of the flat form (the object and its string), or undefined once a Set. */
  get flatBytes(): number | undefined {
    return this.#set !== undefined ? undefined : FLAT_OBJECT_BYTES + stringBytes(this.#flat.length);
  }

  /** Number of members. */
  get size(): number {
    return this.#set !== undefined ? this.#set.size : this.#size;
  }

  has(member: string): boolean {
    return this.#set !== undefined ? this.#set.has(member) : this.#find(member) >= 0;
  }

  /** Adds `member` (a new one goes last). */
  add(member: string): this {
    if (this.#set !== undefined) {
      this.#set.add(member);
      return this;
    }
    if (this.#find(member) >= 0) return this;
    const flat = this.#flat;
    if (
      this.#size < SET_FLAT_MAX_MEMBERS && member.length <= SET_FLAT_MAX_LENGTH &&
      flat.length + 1 + member.length <= SET_FLAT_MAX_CHARS
    ) {
      this.#flat = withItems(flat, flat.length, flat.length, [member]);
      this.#size++;
    } else {
      this.#toSet().add(member);
    }
    return this;
  }

  /** Removes `member`; false when it was absent. */
  delete(member: string): boolean {
    if (this.#set !== undefined) return this.#set.delete(member);
    const at = this.#find(member);
    if (at < 0) return false;
    this.#flat = withoutRun(this.#flat, at, itemEnd(this.#flat, at));
    this.#size--;
    return true;
  }

  values(): IterableIterator<string> {
    return this.#set !== undefined ? this.#set.values() : flatMembers(this.#flat);
  }

  /** Same as values(), as Set's keys() is. */
  keys(): IterableIterator<string> {
    return this.values();
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.values();
  }

  /** Visits every member in order. */
  forEach(visit: (member: string) => void): void {
    if (this.#set !== undefined) return this.#set.forEach((member) => visit(member));
    forEachFlatItem(this.#flat, (flat, from, to) => visit(flat.slice(from, to)));
  }

  /** Visits every member as a range of a string, allocating nothing for a flat set (for snapshots). */
  forEachItem(visit: (source: string, from: number, to: number) => void): void {
    if (this.#set !== undefined) {
      this.#set.forEach((member) => visit(member, 0, member.length));
      return;
    }
    forEachFlatItem(this.#flat, visit);
  }

  /** The offset of `member`'s header in the flat string, or -1. */
  #find(member: string): number {
    return findItem(this.#flat, member, false);
  }

  /** Moves the members into a Set, as owned strings: the set stays one from now on. */
  #toSet(): Set<string> {
    const flat = this.#flat;
    const set = new Set<string>();
    for (let at = 0; at < flat.length;) {
      const end = itemEnd(flat, at);
      set.add(ownedSlice(flat, at + 1, end));
      at = end;
    }
    this.#set = set;
    this.#flat = "";
    this.#size = 0;
    return set;
  }
}

/** The members of a flat string, as views. */
function* flatMembers(flat: string): IterableIterator<string> {
  for (let at = 0; at < flat.length;) {
    const end = itemEnd(flat, at);
    yield flat.slice(at + 1, end);
    at = end;
  }
}
