/**
 * What a key and its value cost in memory, estimated from V8's object
 * layout (8-byte words: a one-byte string is a 16-byte header plus its
 * bytes rounded up to a word; a Map or Set entry with its share of the hash
 * table is about 40 bytes). Measured against the heap after a full GC: a
 * 10-byte key with a 3-byte value costs 93 bytes, the formula says 96.
 *
 * MEMORY USAGE reports these figures and the maxmemory accounting adds them
 * up. Hashes and sets are sampled as Redis's objectComputeSize samples them:
 * the first `samples` elements give the mean element size (0 = all of them).
 * Lists, sorted sets and flat hashes and sets know their own size.
 */
import { Hash } from "../store/hash.ts";
import { List } from "../store/list.ts";
import { StringSet } from "../store/set.ts";
import { ZSet } from "../store/zset.ts";
import { PackedValue, type StoredValue } from "../store/packed.ts";
import { stringBytes } from "../util/bytes.ts";

/** A dict entry (KeyTable, Map or Set) with its share of the hash table. */
export const ENTRY_BYTES = 40;
/** A JS Map or Set with an empty table. */
const COLLECTION_BYTES = 96;
/** An expires entry: the map entry and the heap number of the time (the key string is shared). */
export const EXPIRE_ENTRY_BYTES = ENTRY_BYTES + 16;
/** MEMORY USAGE's default sample count (Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES). */
export const DEFAULT_SAMPLES = 5;

/** The memory of a value; `samples` bounds how many elements of a hash or set are looked at (0 = all). */
export function valueBytes(value: StoredValue, samples = DEFAULT_SAMPLES): number {
  if (typeof value === "string") return stringBytes(value.length);
  if (value instanceof List || value instanceof ZSet) return value.byteSize();
  if (value instanceof PackedValue) return packedBytes(value);
  if (value instanceof Hash || value instanceof StringSet) {
    const flat = value.flatBytes;
    if (flat !== undefined) return flat;
  }
  const size = value.size;
  if (size === 0) return COLLECTION_BYTES;
  const limit = samples === 0 ? size : Math.min(samples, size);
  let sampled = 0;
  let bytes = 0;
  if (value instanceof Hash) {
    for (const [field, v] of value) {
      bytes += stringBytes(field.length) + stringBytes(v.length);
      if (++sampled === limit) break;
    }
  } else {
    for (const member of value) {
      bytes += stringBytes(member.length);
      if (++sampled === limit) break;
    }
  }
  return COLLECTION_BYTES + Math.round((bytes / sampled + ENTRY_BYTES) * size);
}

/** A value still in its serialized form: the object and the bytes it points into. */
function packedBytes(value: PackedValue): number {
  return 48 + value.byteLength;
}

/** A key's whole cost: its dict entry, the key string, the value and an expires entry. */
export function keyBytes(
  key: string,
  value: StoredValue,
  hasExpire: boolean,
  samples = DEFAULT_SAMPLES,
): number {
  return ENTRY_BYTES + stringBytes(key.length) + valueBytes(value, samples) +
    (hasExpire ? EXPIRE_ENTRY_BYTES : 0);
}
