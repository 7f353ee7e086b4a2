/**
 * RDB format constants (Redis 7.0 `rdb.h`) and the two number helpers the
 * codec needs beyond src/util: int64 parsing into number-or-bigint and C's
 * lenient `strtod` for stored scores.
 */
import { parseInt64, parseSafeInt } from "../util/numbers.ts";

/** The RDB version this codec writes, and the newest it reads. */
export const RDB_VERSION = 10;

// Length encodings: the two most significant bits of the first byte.
/** A 6 bit length in the low bits of the first byte. */
export const RDB_6BITLEN = 0;
/** A 14 bit length: the low 6 bits of the first byte and the next byte. */
export const RDB_14BITLEN = 1;
/** First byte of a 32 bit big-endian length. */
export const RDB_32BITLEN = 0x80;
/** First byte of a 64 bit big-endian length. */
export const RDB_64BITLEN = 0x81;
/** A special encoding follows (the low 6 bits name it). */
export const RDB_ENCVAL = 3;

// Special string encodings (RDB_ENCVAL).
/** 8 bit signed integer. */
export const RDB_ENC_INT8 = 0;
/** 16 bit signed integer, little endian. */
export const RDB_ENC_INT16 = 1;
/** 32 bit signed integer, little endian. */
export const RDB_ENC_INT32 = 2;
/** LZF-compressed string: compressed length, original length, data. */
export const RDB_ENC_LZF = 3;

// Object types.
/** A string value. */
export const RDB_TYPE_STRING = 0;
/** A list as a plain sequence of strings (old files). */
export const RDB_TYPE_LIST = 1;
/** A set as a sequence of strings. */
export const RDB_TYPE_SET = 2;
/** A sorted set with scores as strings (old files). */
export const RDB_TYPE_ZSET = 3;
/** A hash as a sequence of field/value strings. */
export const RDB_TYPE_HASH = 4;
/** A sorted set with binary double scores. */
export const RDB_TYPE_ZSET_2 = 5;
/** A module value of the pre-GA format. */
export const RDB_TYPE_MODULE_PRE_GA = 6;
/** A module value. */
export const RDB_TYPE_MODULE_2 = 7;
/** A hash as a zipmap blob (Redis < 2.6). */
export const RDB_TYPE_HASH_ZIPMAP = 9;
/** A list as one ziplist blob. */
export const RDB_TYPE_LIST_ZIPLIST = 10;
/** A set of integers as an intset blob. */
export const RDB_TYPE_SET_INTSET = 11;
/** A sorted set as a ziplist blob of member/score pairs. */
export const RDB_TYPE_ZSET_ZIPLIST = 12;
/** A hash as a ziplist blob of field/value pairs. */
export const RDB_TYPE_HASH_ZIPLIST = 13;
/** A list as a quicklist of ziplist nodes. */
export const RDB_TYPE_LIST_QUICKLIST = 14;
/** A stream (not supported). */
export const RDB_TYPE_STREAM_LISTPACKS = 15;
/** A hash as a listpack blob of field/value pairs. */
export const RDB_TYPE_HASH_LISTPACK = 16;
/** A sorted set as a listpack blob of member/score pairs. */
export const RDB_TYPE_ZSET_LISTPACK = 17;
/** A list as a quicklist of listpack (or plain) nodes. */
export const RDB_TYPE_LIST_QUICKLIST_2 = 18;
/** A stream, 7.0 format (not supported). */
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;
/** A set as a listpack blob (Redis 7.2). */
export const RDB_TYPE_SET_LISTPACK = 20;
/** A stream, 7.2 format (not supported). */
export const RDB_TYPE_STREAM_LISTPACKS_3 = 21;

/** Quicklist node container: one element stored verbatim. */
export const QUICKLIST_NODE_CONTAINER_PLAIN = 1;
/** Quicklist node container: a listpack of elements. */
export const QUICKLIST_NODE_CONTAINER_PACKED = 2;

// Opcodes.
/** Function library (7.0 GA). */
export const RDB_OPCODE_FUNCTION2 = 245;
/** Function library (7.0 release candidates). */
export const RDB_OPCODE_FUNCTION_PRE_GA = 246;
/** Module auxiliary data. */
export const RDB_OPCODE_MODULE_AUX = 247;
/** LRU idle time of the next key, in seconds. */
export const RDB_OPCODE_IDLE = 248;
/** LFU frequency of the next key. */
export const RDB_OPCODE_FREQ = 249;
/** An auxiliary string field. */
export const RDB_OPCODE_AUX = 250;
/** Hash table size hints for the current db. */
export const RDB_OPCODE_RESIZEDB = 251;
/** Expire time of the next key, 64 bit milliseconds. */
export const RDB_OPCODE_EXPIRETIME_MS = 252;
/** Expire time of the next key, 32 bit seconds (old files). */
export const RDB_OPCODE_EXPIRETIME = 253;
/** The db of the keys that follow. */
export const RDB_OPCODE_SELECTDB = 254;
/** End of the keyspace, followed by the checksum. */
export const RDB_OPCODE_EOF = 255;

/** Module opcode ending a module value. */
export const RDB_MODULE_OPCODE_EOF = 0;
/** Module opcode of an unsigned integer. */
export const RDB_MODULE_OPCODE_UINT = 2;

/** The DUMP payload footer: 2 bytes of RDB version and 8 bytes of CRC64. */
export const DUMP_FOOTER_SIZE = 10;

/**
 * Redis's strict `string2ll` (listpack's `lpStringToInt64` accepts the same):
 * the int64 the byte string spells exactly, as a number when it is a safe
 * integer and a bigint beyond, or undefined when `s` is not such an integer.
 */
export function stringToInt64(s: string): number | bigint | undefined {
  if (s.length > 20) return undefined;
  const c = s.charCodeAt(0);
  if (c !== 45 && (c < 48 || c > 57)) return undefined; // cheap reject of most text
  return parseSafeInt(s) ?? parseInt64(s);
}

/**
 * C's `strtod` over a whole byte string as Redis uses it for scores
 * (`zzlStrtod`, `sscanf("%lg")`): leading white space, an optional sign,
 * "inf"/"infinity"/"nan" in any case, or a decimal number with an optional
 * exponent; trailing garbage ends the number. Returns NaN when nothing parses.
 */
export function strtod(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/i
    .exec(s);
  if (m === null) return NaN;
  const sign = m[1] === "-" ? -1 : 1;
  const body = m[2].toLowerCase();
  if (body.startsWith("inf")) return sign * Infinity;
  if (body === "nan") return NaN;
  return sign * Number(m[2]);
}
