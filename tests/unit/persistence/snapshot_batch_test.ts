/**
 * Snapshot batches: what the worker encodes from a batch is byte for byte
 * what the RDB encoder writes from the values themselves.
 */
import { Hash } from "../../../src/store/hash.ts";
import assert from "node:assert/strict";
import {
  encodeValueForDump,
  RdbEncoder,
  type RdbEncoderOptions,
} from "../../../src/persistence/rdb_encoder.ts";
import { RdbPackedValue } from "../../../src/persistence/rdb_packed.ts";
import { RDB_TYPE_HASH_ZIPLIST } from "../../../src/persistence/rdb_constants.ts";
import { buildZiplist } from "../../../src/persistence/ziplist.ts";
import type { StoredValue } from "../../../src/store/packed.ts";
import {
  BatchSnapshotEncoder,
  encodeSnapshotBatch,
} from "../../../src/persistence/snapshot_batch.ts";
import { List } from "../../../src/store/list.ts";
import { ZSet } from "../../../src/store/zset.ts";
import type { RedisValue } from "../../../src/store/types.ts";
import { StringSet } from "../../../src/store/set.ts";

/** Every byte 0–255, so the latin1 identity is exercised both ways. */
const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");

function zsetOf(entries: [string, number][]): ZSet {
  const z = new ZSet();
  for (const [m, s] of entries) z.add(m, s);
  return z;
}

/** Values covering every type and every encoding the encoder picks. */
function sampleEntries(): Array<[string, RedisValue, number | undefined]> {
  const bigHash = new Hash();
  for (let i = 0; i < 300; i++) bigHash.set(`field:${i}`, `value:${i}`.repeat(3));
  const bigSet = new StringSet();
  for (let i = 0; i < 600; i++) bigSet.add(`member:${i}`);
  const bigZset = new ZSet();
  for (let i = 0; i < 200; i++) bigZset.add(`m:${i}`, i / 7);
  return [
    ["int", "12345", undefined],
    ["negative", "-42", 1_900_000_000_000],
    ["short", "hello", undefined],
    ["compressible", "a".repeat(500), undefined],
    ["binary" + ALL_BYTES, ALL_BYTES.repeat(3), 1_800_000_000_123],
    ["empty", "", undefined],
    ["huge", "xyz".repeat(200_000), undefined],
    ["hash-small", Hash.from([["f", "v"], ["n", "17"]]), undefined],
    ["hash-big", bigHash, 1_900_000_000_000],
    ["set-ints", StringSet.from(["1", "2", "-3", "99999999999"]), undefined],
    ["set-strings", StringSet.from(["a", "b" + ALL_BYTES]), undefined],
    ["set-big", bigSet, undefined],
    ["list", List.from(["a", "b", "1234", "z".repeat(10_000), ALL_BYTES]), undefined],
    ["zset-small", zsetOf([["a", 1], ["b", 2.5], ["c", -Infinity], ["d", 1e300]]), undefined],
    ["zset-big", bigZset, 1_700_000_000_000],
    ["empty-hash", new Hash(), undefined],
    ["hash-ints", Hash.from([["1", "2"], ["-5", "123456789012"], ["x", "007"]]), undefined],
    ["hash-long-value", Hash.from([["f", "v".repeat(65)]]), undefined],
    [
      "set-bigints",
      StringSet.from(["9223372036854775807", "-9223372036854775808", "0"]),
      undefined,
    ],
    [
      "set-many-ints",
      StringSet.from(Array.from({ length: 600 }, (_, i) => String(i * 3))),
      undefined,
    ],
    ["list-ints", List.from(["1", "-1", "4096", "-4097", "8388608", "12345678901234", "01"]), 7],
    ["zset-long-member", zsetOf([["m".repeat(65), 1], ["b", -0]]), undefined],
    [
      "zset-scores",
      zsetOf([["a", 0.1], ["b", 1e17], ["c", -2.5e-7], ["d", 4611686018427387904]]),
      1,
    ],
  ];
}

function direct(
  entries: Array<[string, RedisValue, number | undefined]>,
  opts: RdbEncoderOptions = {},
): Uint8Array {
  const enc = new RdbEncoder({ ...opts, externalChecksum: true });
  enc.writeHeader({ ctime: 1 });
  enc.selectDb(0, entries.length, 3);
  for (const [k, v, e] of entries) enc.writeEntry(k, v, e);
  return enc.finish();
}

function throughBatches(
  entries: Array<[string, StoredValue, number | undefined]>,
  perBatch: number,
  opts: RdbEncoderOptions = {},
): Uint8Array {
  const batches: Uint8Array[] = [];
  const packer = new BatchSnapshotEncoder();
  packer.selectDb(0, entries.length, 3);
  entries.forEach(([k, v, e], i) => {
    packer.writeEntry(k, v, e);
    if ((i + 1) % perBatch === 0) batches.push(packer.takeChunk());
  });
  packer.writeEof();
  batches.push(packer.takeChunk());
  const enc = new RdbEncoder({ ...opts, externalChecksum: true });
  enc.writeHeader({ ctime: 1 });
  for (const batch of batches) encodeSnapshotBatch(enc, structuredClone(batch));
  return enc.finish();
}

Deno.test("a snapshot batch encodes to the same RDB bytes as the values themselves", () => {
  const entries = sampleEntries();
  const expected = direct(entries);
  for (const perBatch of [1, 3, 1000]) {
    assert.deepEqual(throughBatches(entries, perBatch), expected, `batches of ${perBatch}`);
  }
});

Deno.test("a snapshot batch follows the encoder's settings like the values do", () => {
  const entries = sampleEntries();
  for (
    const opts of [
      { compression: false },
      { listPackedThreshold: 100, listMaxListpackSize: 3 },
      { hashMaxListpackEntries: 1, setMaxIntsetEntries: 2, zsetMaxListpackEntries: 2 },
      { hashMaxListpackValue: 3, zsetMaxListpackValue: 1 },
    ]
  ) {
    assert.deepEqual(throughBatches(entries, 5, opts), direct(entries, opts), JSON.stringify(opts));
  }
});

Deno.test("a batch holds copies: changing a value after it was written does not change the batch", () => {
  const hash = Hash.from([["f", "before"]]);
  const packer = new BatchSnapshotEncoder();
  packer.writeEntry("h", hash, undefined);
  hash.set("f", "after");
  hash.set("g", "new");
  const batch = packer.takeChunk();
  const enc = new RdbEncoder({ externalChecksum: true });
  encodeSnapshotBatch(enc, batch);
  const want = new RdbEncoder({ externalChecksum: true });
  want.writeEntry("h", Hash.from([["f", "before"]]));
  assert.deepEqual(enc.takeChunk(), want.takeChunk());
});

Deno.test("a batch owns exactly its bytes: the next one neither changes it nor shares its buffer", () => {
  const packer = new BatchSnapshotEncoder();
  packer.writeEntry("a", "1", undefined);
  const first = packer.takeChunk();
  const copy = first.slice();
  packer.writeEntry("b", "2".repeat(1000), undefined);
  const second = packer.takeChunk();
  assert.equal(first.buffer.byteLength, first.length, "an exact-size buffer (it is transferred)");
  assert.equal(second.buffer.byteLength, second.length);
  assert.deepEqual(first, copy);
  assert.notEqual(first.buffer, second.buffer);
});

Deno.test("raw batches from another packer are appended in order", () => {
  const early = new BatchSnapshotEncoder();
  early.writeEntry("a", "1", undefined);
  const main = new BatchSnapshotEncoder();
  main.writeRaw(early.takeChunk());
  main.writeEntry("b", "2", 5);
  const enc = new RdbEncoder({ externalChecksum: true });
  encodeSnapshotBatch(enc, main.takeChunk());
  const want = new RdbEncoder({ externalChecksum: true });
  want.writeEntry("a", "1");
  want.writeEntry("b", "2", 5);
  assert.deepEqual(enc.takeChunk(), want.takeChunk());
});

/** `value` packed the way a load leaves it: its RDB type byte and body (a DUMP payload without footer). */
function packedOf(value: RedisValue, opts: RdbEncoderOptions = {}): RdbPackedValue {
  const dump = encodeValueForDump(value, opts);
  return new RdbPackedValue(dump, 0, dump.length - 10);
}

Deno.test("packed values are saved as the values they hold, copied or encoded anew", () => {
  const entries = sampleEntries().filter(([k]) => k !== "empty-hash"); // never packed
  const packed = entries.map((
    [k, v, e],
  ): [string, StoredValue, number | undefined] => [k, typeof v === "string" ? v : packedOf(v), e]);
  for (const opts of [{}, { compression: false }]) {
    const expected = direct(entries, opts);
    const got = throughBatches(packed, 4, opts);
    assert.deepEqual(got, expected, JSON.stringify(opts));
  }
});

Deno.test("a packed value in an older encoding is saved as Redis 7.0 writes it", () => {
  // A ziplist hash (RDB type 13), as Redis 6 wrote small hashes.
  const body = new RdbEncoder({ externalChecksum: true });
  body.saveRawBytes(buildZiplist(["f", "v", "n", "17"]));
  const bytes = new Uint8Array([RDB_TYPE_HASH_ZIPLIST, ...body.takeChunk()]);
  const old = new RdbPackedValue(bytes, 0, bytes.length);
  assert.equal(old.type, "hash");
  const value = Hash.from([["f", "v"], ["n", "17"]]);
  const unpacked = old.unpack();
  assert.ok(unpacked instanceof Hash);
  assert.deepEqual([...unpacked], [...value]);
  const got = throughBatches([["h", old, undefined]], 1);
  assert.deepEqual(got, direct([["h", value, undefined]]));
});
