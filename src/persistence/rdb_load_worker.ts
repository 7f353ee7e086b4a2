/**
 * The RDB load worker: decodes a whole RDB file off the main thread (RDB
 * parsing, LZF, CRC-64, listpacks, building the values) and posts its keys
 * in batches (see rdb_load_messages.ts). At most MAX_OUTSTANDING_BATCHES are
 * in flight: the main thread acknowledges each one it takes, so a large file
 * never piles up in memory between the threads. The file's verdict comes
 * last: `done` once every key was decoded and the checksum verified, or the
 * decoder's error.
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
  type RdbLoadBatch,
  type RdbLoadReply,
  type RdbLoadRequest,
} from "./rdb_load_messages.ts";

/** Keys per batch: enough to make a message's fixed cost negligible, small enough to overlap. */
const BATCH_KEYS = 4096;
/** A batch is posted early once its keys took this many bytes of the file (large values). */
const BATCH_FILE_BYTES = 4 << 20;
/** Batches posted and not yet acknowledged, at most. */
const MAX_OUTSTANDING_BATCHES = 4;

let outstanding = 0;
let wakeSender: (() => void) | undefined;

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

  /** Posts the batch and starts an empty one. */
  post(): void {
    const batch: RdbLoadBatch = {
      db: this.db,
      strings: this.strings,
      lengths: Uint32Array.from(this.lengths),
      kinds: Uint8Array.from(this.kinds),
      expires: Float64Array.from(this.expires),
      scores: Float64Array.from(this.scores),
    };
    post({ type: "batch", batch }, [
      batch.lengths.buffer as ArrayBuffer,
      batch.kinds.buffer as ArrayBuffer,
      batch.expires.buffer as ArrayBuffer,
      batch.scores.buffer as ArrayBuffer,
    ]);
    outstanding++;
    this.size = 0;
    this.strings = [];
    this.lengths = [];
    this.kinds = [];
    this.expires = [];
    this.scores = [];
  }
}

/** Resolves once fewer than MAX_OUTSTANDING_BATCHES are unacknowledged. */
async function flowControl(): Promise<void> {
  while (outstanding >= MAX_OUTSTANDING_BATCHES) {
    await new Promise<void>((resolve) => wakeSender = resolve);
  }
}

async function load(request: Extract<RdbLoadRequest, { type: "load" }>): Promise<void> {
  const bytes = request.source.kind === "bytes"
    ? request.source.bytes
    : await Deno.readFile(request.source.path);
  const decoder = new RdbDecoder(bytes, {
    verifyChecksum: request.verifyChecksum,
    databases: request.databases,
  });
  const dropBefore = request.dropExpiredBefore;
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
      batch.post();
      batchStart = decoder.offset;
      await flowControl();
    }
    batch.add(entry);
    if (batch.size >= BATCH_KEYS || decoder.offset - batchStart >= BATCH_FILE_BYTES) {
      batch.post();
      batchStart = decoder.offset;
      await flowControl();
    }
  }
  if (!announced) post({ type: "aux", aux: decoder.aux });
  if (batch.size > 0) batch.post();
  post({ type: "done", aux: decoder.aux, keysExpired, endOffset: decoder.offset });
}

self.onmessage = (event: MessageEvent<RdbLoadRequest>) => {
  const msg = event.data;
  switch (msg.type) {
    case "ack": {
      outstanding--;
      const wake = wakeSender;
      wakeSender = undefined;
      wake?.();
      return;
    }
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
