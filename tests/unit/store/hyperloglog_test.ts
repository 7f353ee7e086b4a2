/**
 * The HyperLogLog representation against bytes and counts captured from a
 * real Redis 7.0.15 (PFADD, GET, PFCOUNT, PFDEBUG on the same elements).
 */
import assert from "node:assert/strict";
import {
  countRawRegisters,
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_REGISTERS,
  HLL_SPARSE,
  HyperLogLog,
  isHllString,
  murmurHash64A,
} from "../../../src/store/hyperloglog.ts";

const MAX_BYTES = 3000;

function hex(s: string): string {
  return [...s].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

/** MurmurHash64A written plainly with bigints, as the reference. */
function murmurReference(s: string, seed: bigint): bigint {
  const mask = (1n << 64n) - 1n;
  const m = 0xc6a4a7935bd1e995n;
  const len = BigInt(s.length);
  let h = (seed ^ (len * m)) & mask;
  const blocks = s.length - (s.length & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(s.charCodeAt(i + j));
    k = (k * m) & mask;
    k ^= k >> 47n;
    k = (k * m) & mask;
    h ^= k;
    h = (h * m) & mask;
  }
  const tail = s.length & 7;
  if (tail > 0) {
    for (let j = tail - 1; j >= 0; j--) h ^= BigInt(s.charCodeAt(blocks + j)) << BigInt(8 * j);
    h = (h * m) & mask;
  }
  h ^= h >> 47n;
  h = (h * m) & mask;
  h ^= h >> 47n;
  return h;
}

function hllOf(elements: Iterable<string>, maxBytes = MAX_BYTES): HyperLogLog {
  const hll = HyperLogLog.create();
  for (const e of elements) hll.add(e, maxBytes);
  hll.invalidateCache();
  return hll;
}

Deno.test("murmurHash64A agrees with a bigint reference on every length and byte", () => {
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) >>> 0) >>> 16;
  for (let len = 0; len < 70; len++) {
    for (let round = 0; round < 5; round++) {
      let s = "";
      for (let i = 0; i < len; i++) s += String.fromCharCode(next() & 0xff);
      const [hi, lo] = murmurHash64A(s, 0xadc83b19);
      const expected = murmurReference(s, 0xadc83b19n);
      assert.equal((BigInt(hi) << 32n) | BigInt(lo), expected, `length ${len}`);
    }
  }
});

Deno.test("a new HLL is Redis's 18-byte sparse string with one XZERO opcode", () => {
  const hll = HyperLogLog.create();
  assert.equal(hex(hll.toString()), "48594c4c010000000000000000000000" + "7fff");
  assert.equal(hll.encoding, HLL_SPARSE);
  assert.equal(hll.cachedCardinality(), 0);
  assert.equal(hll.decodeSparse(), "Z:16384");
});

Deno.test("PFADD of a few elements gives Redis's exact sparse bytes and cache", () => {
  const hll = hllOf(["a", "b", "c", "foo", "bar", "\x00\xff"]);
  assert.equal(
    hex(hll.toString()),
    "48594c4c0100000000000000000000804f60804d5190443e804621804a8e844bfb80425a",
  );
  assert.equal(
    hll.decodeSparse(),
    "Z:3937 v:1,1 Z:3410 v:5,1 Z:1087 v:1,1 Z:1570 v:1,1 Z:2703 v:2,1 Z:3068 v:1,1 Z:603",
  );
  assert.equal(hll.cachedCardinality(), undefined);
  const card = hll.count()!;
  hll.storeCardinality(card);
  assert.equal(card, 6);
  assert.equal(
    hex(hll.toString()),
    "48594c4c0100000006000000000000004f60804d5190443e804621804a8e844bfb80425a",
  );
});

Deno.test("counts match Redis at 1000, 20000 and 200000 elements, sparse and dense", () => {
  const k1000 = hllOf(Array.from({ length: 1000 }, (_, i) => `element:${i}`));
  assert.equal(k1000.encoding, HLL_SPARSE);
  assert.equal(k1000.count(), 997);
  const k20000 = hllOf(Array.from({ length: 20000 }, (_, i) => `element:${i}`));
  assert.equal(k20000.encoding, HLL_DENSE);
  assert.equal(k20000.byteLength, HLL_DENSE_SIZE);
  assert.equal(k20000.count(), 19986);
  const k200000 = hllOf(Array.from({ length: 200000 }, (_, i) => `x${i}`));
  assert.equal(k200000.count(), 200991);
  // PFCOUNT k1000 k20000 small: the union through raw registers.
  const max = new Uint8Array(HLL_REGISTERS);
  for (const h of [k1000, k20000, hllOf(["a", "b", "c", "foo", "bar", "\x00\xff"])]) {
    assert.ok(h.mergeInto(max));
  }
  assert.equal(countRawRegisters(max), 19996);
});

Deno.test("sparse and dense representations of the same elements count the same", () => {
  const elements = Array.from({ length: 3000 }, (_, i) => `e${i * 31}`);
  const sparse = hllOf(elements, 1 << 20);
  const dense = hllOf(elements);
  assert.equal(sparse.encoding, HLL_SPARSE);
  assert.equal(dense.encoding, HLL_DENSE);
  assert.equal(sparse.count(), dense.count());
  assert.ok(sparse.toDense());
  assert.equal(sparse.toString().slice(16), dense.toString().slice(16));
});

Deno.test("a sparse HLL is promoted when it would outgrow hll-sparse-max-bytes", () => {
  const hll = HyperLogLog.create();
  let promotedAt = -1;
  for (let i = 0; i < 200 && promotedAt === -1; i++) {
    hll.add(`k${i}`, 100);
    if (hll.encoding === HLL_DENSE) promotedAt = i;
  }
  assert.ok(promotedAt > 0);
  assert.equal(hll.byteLength, HLL_DENSE_SIZE);
});

Deno.test("a register value above 32 forces the dense encoding", () => {
  const hll = HyperLogLog.create();
  assert.equal(hll.setRegister(5, 33, MAX_BYTES), 1);
  assert.equal(hll.encoding, HLL_DENSE);
  assert.equal(hll.denseRegisters()[5], 33);
  assert.equal(hll.setRegister(5, 20, MAX_BYTES), 0);
});

Deno.test("isHllString accepts only well-formed headers and exact dense lengths", () => {
  const sparse = HyperLogLog.create().toString();
  assert.ok(isHllString(sparse));
  assert.ok(!isHllString("HYLL"));
  assert.ok(!isHllString("hyll" + sparse.slice(4)));
  assert.ok(!isHllString(sparse.slice(0, 4) + "\x02" + sparse.slice(5)));
  const dense = HyperLogLog.create();
  dense.toDense();
  assert.ok(isHllString(dense.toString()));
  assert.ok(!isHllString(dense.toString() + "x"));
});

Deno.test("a corrupt sparse representation is detected by count, merge and promotion", () => {
  // Header plus a ZERO run of 1: far fewer than 16384 registers.
  const bad = HyperLogLog.fromString(HyperLogLog.create().toString().slice(0, 16) + "\x00");
  assert.equal(bad.count(), undefined);
  assert.equal(bad.mergeInto(new Uint8Array(HLL_REGISTERS)), false);
  assert.equal(bad.toDense(), false);
  assert.equal(bad.setRegister(100, 3, MAX_BYTES), -1);
});
