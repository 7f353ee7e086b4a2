/**
 * The RDB load worker: decodes a whole RDB file off the main thread (RDB
 * parsing, LZF, CRC-64, listpacks, building the values) into batches of
 * keys (see rdb_load_messages.ts), and hands over the batches it has each
 * time the main thread pulls. It decodes ahead at most MAX_READY_BATCHES,
 * then waits for the next pull, so a large file never piles up in memory.
 * The file's verdict comes last: `done` with the last batches once every key
 * was decoded and the checksum verified, or the decoder's error.
 */
/// <reference lib="deno.worker" />
import { RdbDecoder, RdbError, type RdbPlainEntry } from "./rdb_decoder.ts";
import {
  BATCH_HASH,
  BATCH_HASH_SAME_FIELDS,
  BATCH_LIST,
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

/** Keys per batch: enough to make a batch's fixed costs negligible, small enough to overlap. */
const BATCH_KEYS = 4096;
/** A batch is closed early once its keys took this many bytes of the file (large values). */
const BATCH_FILE_BYTES = 4 << 20;
/** Batches decoded ahead of the main thread, at most. */
const MAX_READY_BATCHES = 8;
/** How long one wait for a pull lasts before it looks again (the wait is a blocking one). */
const PULL_WAIT_MS = 100;

function post(reply: RdbLoadReply, transfer: Transferable[] = []): void {
  self.postMessage(reply, transfer);
}

/** The keys decoded since the last post, column by column. */
class BatchBuilder {
  db = 0;
  size = 0;
  strings: string[] = [];
  lengths: number[] = [];
  kinds: number[] = [];
  expires: number[] = [];
  scores: number[] = [];
  /** The fields of the last hash added, across batches (see BATCH_HASH_SAME_FIELDS). */
  #previousFields: string[] = [];

  add(entry: RdbPlainEntry): void {
    this.db = entry.db;
    this.size++;
    this.expires.push(entry.expireAtMs ?? NaN);
    const strings = this.strings;
    strings.push(entry.key);
    const value = entry.value;
    if (typeof value === "string") {
      strings.push(value);
      this.kinds.push(BATCH_STRING);
      this.lengths.push(1);
      return;
    }
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
          for (let i = 1; i < pairs.length; i += 2) strings.push(pairs[i]);
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
    for (let i = 0; i < items.length; i++) strings.push(items[i]);
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

  /** The batch so far, with the buffers to transfer; starts an empty one. */
  take(): [RdbLoadBatch, ArrayBuffer[]] {
    const batch: RdbLoadBatch = {
      db: this.db,
      strings: this.strings,
      lengths: Uint32Array.from(this.lengths),
      kinds: Uint8Array.from(this.kinds),
      expires: Float64Array.from(this.expires),
      scores: Float64Array.from(this.scores),
    };
    this.size = 0;
    this.strings = [];
    this.lengths = [];
    this.kinds = [];
    this.expires = [];
    this.scores = [];
    const buffers = [batch.lengths, batch.kinds, batch.expires, batch.scores];
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

async function load(request: RdbLoadRequest): Promise<void> {
  const bytes = request.source.kind === "bytes"
    ? request.source.bytes
    : await Deno.readFile(request.source.path);
  const decoder = new RdbDecoder(bytes, {
    verifyChecksum: request.verifyChecksum,
    databases: request.databases,
  });
  const dropBefore = request.dropExpiredBefore;
  const handover = new Handover(request.pullSignal);
  const batch = new BatchBuilder();
  let batchStart = decoder.offset;
  let announced = false;
  let keysExpired = 0;
  for (let entry = decoder.nextPlain(); entry !== undefined; entry = decoder.nextPlain()) {
    if (!announced) {
      announced = true;
      post({ type: "aux", aux: decoder.aux });
    }
    if (
      dropBefore !== undefined && entry.expireAtMs !== undefined && entry.expireAtMs < dropBefore
    ) {
      keysExpired++;
      continue;
    }
    if (batch.size > 0 && entry.db !== batch.db) {
      handover.add(batch.take());
      batchStart = decoder.offset;
    }
    batch.add(entry);
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
  load(event.data).catch((err) => {
    if (err instanceof RdbError) {
      post({ type: "error", reason: err.reason, offset: err.offset, kind: err.kind });
    } else {
      post({ type: "failure", message: (err as Error).message });
    }
  });
};
