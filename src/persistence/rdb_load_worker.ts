/**
 * The RDB load worker: decodes an RDB file off the main thread (RDB parsing,
 * LZF, CRC-64, listpacks, building the values) into batches of keys (see
 * rdb_load_messages.ts), and hands over the batches it has each time the
 * main thread pulls. It decodes ahead at most MAX_READY_BATCHES, then waits
 * for the next pull, so a large file never piles up in memory. The file
 * comes whole (bytes or a path) or chunk by chunk as a replica receives it;
 * then a key cut short by the end of what has arrived is read again once
 * more is there. The file's verdict comes last: `done` with the last batches
 * once every key was decoded and the checksum verified, or the decoder's error.
 */
/// <reference lib="deno.worker" />
import {
  type RdbByteSink,
  RdbDecoder,
  RdbError,
  type RdbPlainValue,
  type RdbResizeHint,
  type RdbSinkEntry,
} from "./rdb_decoder.ts";
import { isPackableType } from "./rdb_packed.ts";
import { idleThreadPriority, noteWork, offerCpu } from "../util/thread_priority.ts";
import { bytesToString } from "../util/bytes.ts";
import { ByteWriter } from "./listpack.ts";
import {
  BATCH_HASH,
  BATCH_HASH_SAME_FIELDS,
  BATCH_LIST,
  BATCH_PACKED,
  BATCH_SET,
  BATCH_STRING,
  BATCH_ZSET,
  PULL_IDLE,
  PULL_REQUESTED,
  type RdbLoadBatch,
  type RdbLoadDone,
  type RdbLoadReply,
  type RdbLoadRequest,
} from "./rdb_load_messages.ts";

idleThreadPriority();

/**
 * Collections of at most this many strings (a hash counts fields and values)
 * and this many bytes in the file are sent packed, to be decoded when first
 * used: small enough that unpacking one never holds up a command.
 */
const PACK_MAX_STRINGS = 256;
const PACK_MAX_BYTES = 8192;

/** Keys per batch: enough to make a batch's fixed costs negligible, small enough to overlap. */
const BATCH_KEYS = 4096;
/** A batch is closed early once its keys took this many bytes of the file (large values). */
const BATCH_FILE_BYTES = 4 << 20;
/** Batches decoded ahead of the main thread, at most. */
const MAX_READY_BATCHES = 8;
/** A key cut short by the end of what has arrived is not read again before this much more. */
const STREAM_RETRY_BYTES = 256 * 1024;
/** How long one wait for a pull lasts before it looks again (the wait is a blocking one). */
const PULL_WAIT_MS = 100;

function post(reply: RdbLoadReply, transfer: Transferable[] = []): void {
  self.postMessage(reply, transfer);
}

/**
 * The strings of a batch as bytes one after another (RdbLoadBatch.text): the
 * decoder copies keys and string values straight in (RdbByteSink), so the
 * worker never makes JS strings of them; a collection's elements are
 * written from the strings it was decoded into.
 */
class TextColumn implements RdbByteSink {
  #bytes = new ByteWriter(256 * 1024);
  #ends = new Uint32Array(8192);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  append(bytes: Uint8Array, start: number, end: number): void {
    this.#bytes.raw(bytes, start, end);
    this.#end();
  }

  appendString(s: string): void {
    this.#bytes.latin1(s);
    this.#end();
  }

  truncate(count: number): void {
    if (count >= this.#count) return;
    this.#count = count;
    this.#bytes.truncate(this.#endOf(count));
  }

  stringAt(k: number): string {
    return bytesToString(this.#bytes.bytes, this.#endOf(k), this.#ends[k]);
  }

  /**
   * The first `count` strings, as `[text, ends]` of their own (to transfer);
   * the strings after them stay, as the first ones of the next batch.
   */
  take(count: number): [Uint8Array, Uint32Array] {
    const bytesTaken = this.#endOf(count);
    const used = this.#bytes.length;
    const all = this.#bytes.bytes;
    const text = all.slice(0, bytesTaken);
    const ends = this.#ends.slice(0, count);
    const rest = this.#count - count;
    all.copyWithin(0, bytesTaken, used);
    this.#bytes.truncate(used - bytesTaken);
    for (let k = 0; k < rest; k++) this.#ends[k] = this.#ends[count + k] - bytesTaken;
    this.#count = rest;
    return [text, ends];
  }

  /** Where string `k` starts: where the one before it ends. */
  #endOf(k: number): number {
    return k === 0 ? 0 : this.#ends[k - 1];
  }

  /** Ends the string just written. */
  #end(): void {
    if (this.#count === this.#ends.length) {
      const grown = new Uint32Array(2 * this.#ends.length);
      grown.set(this.#ends);
      this.#ends = grown;
    }
    this.#ends[this.#count++] = this.#bytes.length;
  }
}

/** The keys decoded since the last post, column by column. */
class BatchBuilder {
  /** The decoder's RESIZEDB hints (the live map), for each batch's `dbSize`. */
  constructor(readonly sizeHints: ReadonlyMap<number, RdbResizeHint>) {}

  db = 0;
  size = 0;
  /** The strings of the keys added, and those of the entry being decoded (see RdbByteSink). */
  readonly text = new TextColumn();
  lengths: number[] = [];
  kinds: number[] = [];
  expires: number[] = [];
  scores: number[] = [];
  /** The fields of the last hash added, across batches (see BATCH_HASH_SAME_FIELDS). */
  #previousFields: string[] = [];
  /** The packed collections so far (see BATCH_PACKED); reused from batch to batch. */
  #packed = new Uint8Array(64 * 1024);
  #packedUsed = 0;

  /**
   * `entry`, just decoded into `text` (its key, and a string value), its body
   * at `entry.bodyStart` of `bytes`.
   */
  add(entry: RdbSinkEntry, bytes: Uint8Array): void {
    this.db = entry.db;
    this.size++;
    this.expires.push(entry.expireAtMs ?? NaN);
    const value = entry.value;
    if (value === undefined) {
      this.kinds.push(BATCH_STRING);
      this.lengths.push(1);
      return;
    }
    if (this.#addPacked(entry, bytes)) return;
    const text = this.text;
    let items: string[];
    switch (value.type) {
      case "list":
        items = value.elements;
        this.kinds.push(BATCH_LIST);
        break;
      case "hash": {
        const pairs = value.pairs;
        if (this.#sameFields(pairs)) {
          this.kinds.push(BATCH_HASH_SAME_FIELDS);
          this.lengths.push(pairs.length >> 1);
          for (let i = 1; i < pairs.length; i += 2) text.appendString(pairs[i]);
          return;
        }
        items = pairs;
        this.kinds.push(BATCH_HASH);
        break;
      }
      case "set":
        items = value.members;
        this.kinds.push(BATCH_SET);
        break;
      case "zset": {
        items = value.members;
        this.kinds.push(BATCH_ZSET);
        const scores = this.scores;
        for (let i = 0; i < value.scores.length; i++) scores.push(value.scores[i]);
        break;
      }
    }
    this.lengths.push(items.length);
    for (let i = 0; i < items.length; i++) text.appendString(items[i]);
  }

  /** Adds a small collection as its type byte and body; false when it is not small. */
  #addPacked(entry: RdbSinkEntry, bytes: Uint8Array): boolean {
    const value = entry.value as Exclude<RdbPlainValue, string>;
    const strings = value.type === "hash"
      ? value.pairs.length
      : value.type === "list"
      ? value.elements.length
      : value.members.length;
    const { bodyStart, bodyEnd } = entry;
    const n = 1 + bodyEnd - bodyStart;
    if (strings > PACK_MAX_STRINGS || n > PACK_MAX_BYTES || !isPackableType(entry.rdbType)) {
      return false;
    }
    if (this.#packedUsed + n > this.#packed.length) {
      const grown = new Uint8Array(Math.max(2 * this.#packed.length, this.#packedUsed + n));
      grown.set(this.#packed.subarray(0, this.#packedUsed));
      this.#packed = grown;
    }
    this.#packed[this.#packedUsed] = entry.rdbType;
    this.#packed.set(bytes.subarray(bodyStart, bodyEnd), this.#packedUsed + 1);
    this.#packedUsed += n;
    this.kinds.push(BATCH_PACKED);
    this.lengths.push(n);
    return true;
  }

  /**
   * Whether `pairs` has the fields of the previous hash, in order; if not,
   * its fields become the ones the next hash is compared with.
   */
  #sameFields(pairs: readonly string[]): boolean {
    const previous = this.#previousFields;
    const n = pairs.length >> 1;
    if (previous.length === n) {
      let k = 0;
      while (k < n && previous[k] === pairs[2 * k]) k++;
      if (k === n) return true;
    }
    const fields = new Array<string>(n);
    for (let k = 0; k < n; k++) fields[k] = pairs[2 * k];
    this.#previousFields = fields;
    return false;
  }

  /**
   * The batch so far, with the buffers to transfer; starts an empty one. The
   * strings of `text` from `keep` on (an entry decoded but not added) stay.
   */
  take(keep = this.text.count): [RdbLoadBatch, ArrayBuffer[]] {
    const [text, ends] = this.text.take(keep);
    const batch: RdbLoadBatch = {
      db: this.db,
      dbSize: this.sizeHints.get(this.db)?.size ?? 0,
      dbExpiresSize: this.sizeHints.get(this.db)?.expiresSize ?? 0,
      text,
      ends,
      lengths: Uint32Array.from(this.lengths),
      kinds: Uint8Array.from(this.kinds),
      expires: Float64Array.from(this.expires),
      scores: Float64Array.from(this.scores),
      packed: this.#packed.slice(0, this.#packedUsed),
    };
    this.#packedUsed = 0;
    this.size = 0;
    this.lengths = [];
    this.kinds = [];
    this.expires = [];
    this.scores = [];
    const buffers = [
      batch.text,
      batch.ends,
      batch.lengths,
      batch.kinds,
      batch.expires,
      batch.scores,
      batch.packed,
    ];
    return [batch, buffers.map((a) => a.buffer as ArrayBuffer)];
  }
}

/** The batches decoded and not yet handed over, and the pull protocol (see PULL_IDLE). */
class Handover {
  #signal: Int32Array;
  #batches: RdbLoadBatch[] = [];
  #transfer: ArrayBuffer[] = [];

  constructor(signal: Int32Array) {
    this.#signal = signal;
  }

  /** Adds a batch; hands everything over if a pull is waiting, and waits for one when full. */
  add([batch, buffers]: [RdbLoadBatch, ArrayBuffer[]]): void {
    this.#batches.push(batch);
    for (const b of buffers) this.#transfer.push(b);
    if (Atomics.load(this.#signal, 0) === PULL_REQUESTED) this.#send(undefined);
    while (this.#batches.length >= MAX_READY_BATCHES) {
      this.#waitForPull();
      this.#send(undefined);
    }
  }

  /** Hands over what is ready if a pull is waiting (before waiting for more input). */
  offer(): void {
    if (this.#batches.length > 0 && Atomics.load(this.#signal, 0) === PULL_REQUESTED) {
      this.#send(undefined);
    }
  }

  /** Hands the last batches over with the verdict, at the next pull. */
  finish(done: RdbLoadDone): void {
    this.#waitForPull();
    this.#send(done);
  }

  #waitForPull(): void {
    while (Atomics.load(this.#signal, 0) !== PULL_REQUESTED) {
      Atomics.wait(this.#signal, 0, PULL_IDLE, PULL_WAIT_MS);
    }
  }

  #send(done: RdbLoadDone | undefined): void {
    Atomics.store(this.#signal, 0, PULL_IDLE);
    post({ type: "batches", batches: this.#batches, done }, this.#transfer);
    this.#batches = [];
    this.#transfer = [];
  }
}

/**
 * The file as far as it has arrived: all of it at once for a `bytes` or
 * `path` source, chunk by chunk for a `stream` one. A stream's input drops
 * what was decoded (`dropBefore`), so its buffer stays the size of a few
 * chunks and is reused, instead of growing to the whole file (measured: the
 * growing copies and the page faults of fresh memory cost the worker ~0.5 s
 * of CPU for a 65 MB transfer).
 */
class Input {
  #buf: Uint8Array;
  #length: number;
  /** File offset of `#buf[0]`: the bytes before it were dropped. */
  #base = 0;
  #ended: boolean;
  #wake: (() => void) | undefined;

  constructor(bytes: Uint8Array, ended: boolean) {
    this.#buf = bytes;
    this.#length = bytes.length;
    this.#ended = ended;
  }

  /** The bytes held, from file offset `base` on (a view; the next append may move them). */
  get bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#length);
  }

  /** File offset of `bytes[0]`. */
  get base(): number {
    return this.#base;
  }

  /** File bytes arrived so far. */
  get arrived(): number {
    return this.#base + this.#length;
  }

  get ended(): boolean {
    return this.#ended;
  }

  append(chunk: Uint8Array): void {
    const need = this.#length + chunk.length;
    if (need > this.#buf.length) {
      const grown = new Uint8Array(Math.max(need, this.#buf.length * 2, 1 << 20));
      grown.set(this.bytes);
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#length);
    this.#length = need;
    this.#wakeUp();
  }

  /** Drops the bytes before file offset `offset` (moving the rest to the front). */
  dropBefore(offset: number): void {
    const n = offset - this.#base;
    if (n <= 0) return;
    this.#buf.copyWithin(0, n, this.#length);
    this.#length -= n;
    this.#base = offset;
  }

  end(): void {
    this.#ended = true;
    this.#wakeUp();
  }

  /** Resolves once the file's first `n` bytes have arrived, or the input ended. */
  async waitFor(n: number): Promise<void> {
    while (this.arrived < n && !this.#ended) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** The input of the load running in this worker. */
let input: Input | undefined;

async function load(request: Extract<RdbLoadRequest, { type: "load" }>): Promise<void> {
  const source = request.source;
  if (source.kind === "stream") {
    input = new Input(new Uint8Array(0), false);
  } else {
    const bytes = source.kind === "bytes" ? source.bytes : await Deno.readFile(source.path);
    input = new Input(bytes, true);
  }
  const incoming = input;
  await incoming.waitFor(9); // the header
  const decoder = new RdbDecoder(incoming.bytes, {
    verifyChecksum: request.verifyChecksum,
    databases: request.databases,
  });
  const dropBefore = request.dropExpiredBefore;
  const handover = new Handover(request.pullSignal);
  const batch = new BatchBuilder(decoder.resizeHints);
  let batchStart = decoder.offset;
  let announced = false;
  let keysExpired = 0;
  while (true) {
    offerCpu();
    let entry;
    const textBefore = batch.text.count;
    try {
      entry = decoder.nextInto(batch.text);
    } catch (err) {
      batch.text.truncate(textBefore);
      if (!(err instanceof RdbError) || err.kind !== "eof" || incoming.ended) throw err;
      // The key goes on in bytes still to come. It is read again from its start once
      // what is pending has doubled (or the input ended), so that a huge value
      // arriving in many chunks is not parsed over and over.
      decoder.rewind();
      handover.offer();
      const from = decoder.callOffset;
      const pending = incoming.arrived - from;
      // Only the key being read is still needed: the buffer's room is reused.
      decoder.release(from);
      incoming.dropBefore(from);
      await incoming.waitFor(from + Math.max(2 * pending, pending + STREAM_RETRY_BYTES));
      decoder.rebase(incoming.bytes, incoming.base);
      continue;
    }
    if (entry === undefined) break;
    if (!announced) {
      announced = true;
      post({ type: "aux", aux: decoder.aux });
    }
    if (
      dropBefore !== undefined && entry.expireAtMs !== undefined && entry.expireAtMs < dropBefore
    ) {
      batch.text.truncate(textBefore);
      keysExpired++;
      continue;
    }
    if (batch.size > 0 && entry.db !== batch.db) {
      handover.add(batch.take(textBefore));
      batchStart = decoder.offset;
    }
    batch.add(entry, decoder.bytes);
    if (batch.size >= BATCH_KEYS || decoder.offset - batchStart >= BATCH_FILE_BYTES) {
      handover.add(batch.take());
      batchStart = decoder.offset;
    }
  }
  if (!announced) post({ type: "aux", aux: decoder.aux });
  if (batch.size > 0) handover.add(batch.take());
  handover.finish({ aux: decoder.aux, keysExpired, endOffset: decoder.offset });
}

self.onmessage = (event: MessageEvent<RdbLoadRequest>) => {
  const msg = event.data;
  noteWork();
  switch (msg.type) {
    case "chunk":
      input?.append(msg.bytes);
      return;
    case "end":
      input?.end();
      return;
    case "load":
      load(msg).catch((err) => {
        if (err instanceof RdbError) {
          post({ type: "error", reason: err.reason, offset: err.offset, kind: err.kind });
        } else {
          post({ type: "failure", message: (err as Error).message });
        }
      });
      return;
  }
};
