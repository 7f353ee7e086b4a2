/**
 * Packed values of a load (see src/store/packed.ts): a small collection left
 * in the RDB form it was read in, type byte and body, inside the buffer the
 * load worker sent with its batch. Unpacking decodes it like a DUMP payload;
 * a snapshot copies it as it is (snapshot_batch.ts), so a dump loaded and
 * saved again costs the main thread a byte copy per collection.
 */
import { decodeRdbObject } from "./rdb_decoder.ts";
import {
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_SET_LISTPACK,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_ZSET_ZIPLIST,
} from "./rdb_constants.ts";
import { PackedValue } from "../store/packed.ts";
import type { RedisValue, TypeName } from "../store/types.ts";

/** The collection type of each RDB object type that can be packed. */
const PACKABLE_TYPES = new Map<number, Exclude<TypeName, "string">>([
  [RDB_TYPE_LIST, "list"],
  [RDB_TYPE_LIST_ZIPLIST, "list"],
  [RDB_TYPE_LIST_QUICKLIST, "list"],
  [RDB_TYPE_LIST_QUICKLIST_2, "list"],
  [RDB_TYPE_SET, "set"],
  [RDB_TYPE_SET_INTSET, "set"],
  [RDB_TYPE_SET_LISTPACK, "set"],
  [RDB_TYPE_ZSET, "zset"],
  [RDB_TYPE_ZSET_2, "zset"],
  [RDB_TYPE_ZSET_ZIPLIST, "zset"],
  [RDB_TYPE_ZSET_LISTPACK, "zset"],
  [RDB_TYPE_HASH, "hash"],
  [RDB_TYPE_HASH_ZIPMAP, "hash"],
  [RDB_TYPE_HASH_ZIPLIST, "hash"],
  [RDB_TYPE_HASH_LISTPACK, "hash"],
]);

/**
 * The RDB types Redis 7.0 itself writes: a snapshot may copy those bytes as
 * they are (older encodings are written anew, as Redis would convert them).
 */
const CURRENT_TYPES = new Set([
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
]);

/**
 * Whether Redis 7.0 writes values in RDB type `rdbType`, so a packed one can
 * be saved as it is. (Its encoding is the one it was loaded with: a hash
 * loaded as a listpack stays one even if `hash-max-listpack-entries` was
 * since lowered, a file Redis loads all the same.)
 */
export function isCurrentRdbType(rdbType: number): boolean {
  return CURRENT_TYPES.has(rdbType);
}

/** Whether a value of RDB type `rdbType` can be kept packed. */
export function isPackableType(rdbType: number): boolean {
  return PACKABLE_TYPES.has(rdbType);
}

/** A collection kept as `bytes[start, end)`: its RDB type byte, then its body. */
export class RdbPackedValue extends PackedValue {
  constructor(readonly bytes: Uint8Array, readonly start: number, readonly end: number) {
    super(PACKABLE_TYPES.get(bytes[start])!);
  }

  unpack(): RedisValue {
    return decodeRdbObject(this.bytes, this.start, this.end);
  }

  get byteLength(): number {
    return this.end - this.start;
  }
}
