/**
 * The value model of the keyspace.
 *
 * Byte strings are JS strings holding one byte per UTF-16 code unit (0–255),
 * see DESIGN decision 1. A string value is stored as a bare JS string (no
 * wrapper object) to keep 1M small keys cheap; the other types are objects.
 *
 * - string: `string`
 * - list:   `List`  (src/store/list.ts, a flat string, a deque of chunks once big)
 * - hash:   `Hash`  (src/store/hash.ts, a flat string, a Map once big)
 * - set:    `StringSet` (src/store/set.ts, a flat string, a Set once big)
 * - zset:   `ZSet`  (src/store/zset.ts, skiplist + member→score map)
 */
import type { Hash } from "./hash.ts";
import type { List } from "./list.ts";
import type { StringSet } from "./set.ts";
import type { ZSet } from "./zset.ts";

export type RedisHash = Hash;
export type RedisSet = StringSet;
export type RedisValue = string | List | RedisHash | RedisSet | ZSet;

/** The name TYPE replies for each kind of value. */
export type TypeName = "string" | "list" | "hash" | "set" | "zset";
