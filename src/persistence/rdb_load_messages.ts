/**
 * Typed messages between the main thread and the RDB load worker (STYLE:
 * discriminated unions), and the batch format the decoded keys travel in.
 *
 * A batch is columnar and flat: the bytes of every string of its keys and
 * values in one buffer, the rest in typed arrays, all transferred rather
 * than cloned. A Map or Set would cost V8 one call per entry on the
 * receiving side (measured: 100k ten-field hashes as Maps took ~0.5 s to
 * clone, as arrays ~0.2 s), and the receiving side is the main thread, the
 * one whose time the load is waiting for.
 */
import type { RdbAuxInfo, RdbErrorKind } from "./rdb_decoder.ts";

/** `kinds[i]`: a string value (one string follows the key). */
export const BATCH_STRING = 0;
/** `kinds[i]`: a list; its elements follow the key, head first. */
export const BATCH_LIST = 1;
/** `kinds[i]`: a hash; field, value, field, value… follow the key. */
export const BATCH_HASH = 2;
/**
 * `kinds[i]`: a hash with the same fields, in the same order, as the hash
 * before it in the load (BATCH_HASH or this kind, in any earlier batch): only
 * its values follow the key. Hashes of one shape are common (objects stored
 * field by field), and sharing the field strings spares the main thread
 * copying them and, above all, hashing each one afresh as a Map key.
 */
export const BATCH_HASH_SAME_FIELDS = 5;
/** `kinds[i]`: a set; its members follow the key. */
export const BATCH_SET = 3;
/** `kinds[i]`: a sorted set; its members follow the key, their scores are next in `scores`. */
export const BATCH_ZSET = 4;

/**
 * `kinds[i]`: a small collection kept packed (see src/store/packed.ts): no
 * strings follow the key; its RDB type byte and body are the next
 * `lengths[i]` bytes of `packed`.
 */
export const BATCH_PACKED = 6;

/** Decoded keys of one db, in file order. */
export interface RdbLoadBatch {
  /** The db every key of the batch belongs to (a batch never spans two dbs). */
  db: number;
  /** The db's key count from the file's RESIZEDB, 0 when it had none: its table is sized once. */
  dbSize: number;
  /** The same for the db's keys with an expire time. */
  dbExpiresSize: number;
  /**
   * Key by key: the key, then the `lengths[i]` strings of its value, as
   * their bytes one after another; string `k` ends at `ends[k]`. Bytes
   * transfer for free, while structured clone costs the worker ~200 ns per
   * string (measured: a third of its CPU in a replica's load), more than the
   * main thread then spends making the strings.
   */
  text: Uint8Array;
  ends: Uint32Array;
  /** Per key: how many strings of `text` its value takes. */
  lengths: Uint32Array;
  /** Per key: one of the BATCH_* kinds. */
  kinds: Uint8Array;
  /** Per key: the absolute expire time in unix ms, NaN for none. */
  expires: Float64Array;
  /** The scores of the batch's sorted sets, one set after another, in key order. */
  scores: Float64Array;
  /** The bytes of the batch's packed collections, one after another, in key order. */
  packed: Uint8Array;
}

/** Where the worker gets the file from. */
export type RdbLoadSource =
  /** The bytes, transferred (not copied) to the worker. */
  | { kind: "bytes"; bytes: Uint8Array }
  /** A file the worker reads itself. */
  | { kind: "path"; path: string }
  /** Bytes that follow in `chunk` requests, as they arrive (a replica's transfer), until `end`. */
  | { kind: "stream" };

/**
 * The pull signal, an Int32Array of one element on a SharedArrayBuffer. The
 * main thread asks for batches by storing PULL_REQUESTED and notifying; the
 * worker answers with one `batches` message and stores PULL_IDLE. The worker
 * never posts batches unasked: a message arriving from another thread wakes
 * the main thread's event loop, and an event loop that is woken again and
 * again never sleeps, which is when it reads its sockets (measured: clients
 * waited up to a second for -LOADING while batches were pushed to it).
 */
export const PULL_IDLE = 0;
/** See {@link PULL_IDLE}. */
export const PULL_REQUESTED = 1;

/** What the worker reports once the whole file decoded and its checksum verified. */
export interface RdbLoadDone {
  aux: RdbAuxInfo;
  /** Keys dropped as already expired. */
  keysExpired: number;
  /** Offset just past the checksum: where an AOF's commands start after its RDB preamble. */
  endOffset: number;
}

/** main → worker */
export type RdbLoadRequest =
  /** Decode `source`; batches are handed over when asked for through `pullSignal`. */
  | {
    type: "load";
    source: RdbLoadSource;
    verifyChecksum: boolean;
    /** `databases`: a SELECTDB beyond it is refused. */
    databases: number;
    /** Keys that expire before this time (unix ms) are counted and dropped; undefined keeps them all. */
    dropExpiredBefore: number | undefined;
    /** See {@link PULL_IDLE}. */
    pullSignal: Int32Array;
  }
  /** The next bytes of a `stream` source, transferred. */
  | { type: "chunk"; bytes: Uint8Array }
  /** A `stream` source has no more bytes. */
  | { type: "end" };

/** worker → main */
export type RdbLoadReply =
  /** The aux fields, posted once the first key is decoded (Redis logs them then). */
  | { type: "aux"; aux: RdbAuxInfo }
  /** The answer to a pull: the batches decoded since the last one, and `done` after the last. */
  | { type: "batches"; batches: RdbLoadBatch[]; done: RdbLoadDone | undefined }
  /** The decoder refused the file: the main thread throws the same RdbError. */
  | { type: "error"; reason: string; offset: number; kind: RdbErrorKind }
  /** Something other than the file's contents went wrong (say, reading it). */
  | { type: "failure"; message: string };
