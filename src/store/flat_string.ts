/**
 * The flat form small lists, hashes and sets share: one string holding items
 * in order, each after a one-char header giving its length
 * (src/store/list.ts, hash.ts, set.ts), the way Redis keeps a small
 * collection in a listpack.
 *
 * Owned strings. V8's `slice` of 13 chars or more makes a view that keeps
 * its parent alive, and a `+` of long strings makes a pair that points to
 * both. A flat string is stored for long, so it is always built by `join` of
 * parts that include a one-char header: `join` copies into a new string
 * (it returns a lone non-empty part unchanged, hence the header).
 */

/** The longest item a flat string holds: its length fits the one-char header. */
export const FLAT_MAX_ITEM_LENGTH = 255;

/** The header of an item of each length. */
const HEADERS: readonly string[] = Array.from(
  { length: FLAT_MAX_ITEM_LENGTH + 1 },
  (_, n) => String.fromCharCode(n),
);

/** The items in order as a flat string. */
export function flatOf(items: readonly string[]): string {
  const parts = new Array<string>(2 * items.length);
  for (let i = 0; i < items.length; i++) {
    parts[2 * i] = HEADERS[items[i].length];
    parts[2 * i + 1] = items[i];
  }
  return parts.join("");
}

/** The offset just past the item whose header is at `at`. */
export function itemEnd(flat: string, at: number): number {
  return at + 1 + flat.charCodeAt(at);
}

/** The item whose header is at `at`, as a view (for a reply: it lives as long as the reply). */
export function itemAt(flat: string, at: number): string {
  return flat.slice(at + 1, itemEnd(flat, at));
}

/** Visits every item of a flat string as its range, allocating nothing. */
export function forEachFlatItem(
  flat: string,
  visit: (source: string, from: number, to: number) => void,
): void {
  for (let at = 0; at < flat.length;) {
    const end = itemEnd(flat, at);
    visit(flat, at + 1, end);
    at = end;
  }
}

/**
 * `flat[from, to)`, a run of whole items, as a string of its own: a join of
 * its first header and the rest copies, where a slice would be a view.
 */
export function ownedRun(flat: string, from: number, to: number): string {
  if (from === to) return "";
  return [HEADERS[flat.charCodeAt(from)], flat.slice(from + 1, to)].join("");
}

/**
 * The live part `flat[start, end)` (the whole string unless a list popped
 * from its ends) without the whole items in [from, to), as a string of its
 * own.
 */
export function withoutRun(
  flat: string,
  from: number,
  to: number,
  start = 0,
  end = flat.length,
): string {
  if (from === start) return ownedRun(flat, to, end);
  if (to === end) return ownedRun(flat, start, from);
  return [flat.slice(start, from), flat.slice(to, end)].join(""); // two non-empty parts: a copy
}

/**
 * The live part `flat[start, end)` with the whole items in [from, to)
 * replaced by `items` (at least one), as a string of its own.
 */
export function withItems(
  flat: string,
  from: number,
  to: number,
  items: readonly string[],
  start = 0,
  end = flat.length,
): string {
  const parts = [flat.slice(start, from)];
  for (const item of items) parts.push(HEADERS[item.length], item);
  parts.push(flat.slice(to, end));
  return parts.join("");
}

/**
 * The offset of the header of the first item equal to `item`, or -1. With
 * `pairs` only the items at even places are compared (a hash's fields),
 * so a value is never mistaken for a field.
 */
export function findItem(flat: string, item: string, pairs: boolean): number {
  const length = item.length;
  // The last char first: items of one pattern mostly differ at the end.
  const last = length === 0 ? -1 : item.charCodeAt(length - 1);
  for (let at = 0; at < flat.length;) {
    const itemLength = flat.charCodeAt(at);
    if (
      itemLength === length && (length === 0 || flat.charCodeAt(at + length) === last) &&
      flat.startsWith(item, at + 1)
    ) {
      return at;
    }
    at += 1 + itemLength;
    if (pairs) at += 1 + flat.charCodeAt(at);
  }
  return -1;
}
