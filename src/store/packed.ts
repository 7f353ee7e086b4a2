/**
 * A small collection kept in its serialized form until a command first
 * touches it.
 *
 * Loading a dump builds every value on the main thread, and for small
 * collections that is most of the load: ten strings and a Map per hash, all
 * of them new objects the garbage collector then copies (measured: 1M mixed
 * keys spent ~0.9 s of 3.3 s building their 300k collections). A packed
 * value is one object that points into the bytes the load worker sent; the
 * keyspace unpacks it on first lookup (see Db in keyspace.ts), the way Redis
 * converts a listpack to a hashtable only when it must.
 */
import type { RedisValue, TypeName } from "./types.ts";

/** A collection not yet unpacked; persistence provides the concrete kind. */
export abstract class PackedValue {
  constructor(readonly type: Exclude<TypeName, "string">) {}

  /** The value in its store form (a new object each call). */
  abstract unpack(): RedisValue;

  /** The serialized bytes it holds (for memory accounting). */
  abstract get byteLength(): number;
}

/** What a db's dict holds: a store value, or one still packed. */
export type StoredValue = RedisValue | PackedValue;

/** `value` in its store form, unpacking a packed one without storing the result. */
export function unpacked(value: StoredValue): RedisValue {
  return value instanceof PackedValue ? value.unpack() : value;
}
