import assert from "node:assert/strict";
import {
  crc64,
  crc64Digest,
  crc64Hex,
  crc64Init,
  crc64ReadLE,
  crc64Update,
  crc64WriteLE,
} from "../../../src/persistence/crc64.ts";

const LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed " +
  "do eiusmod tempor incididunt ut labore et dolore magna " +
  "aliqua. Ut enim ad minim veniam, quis nostrud exercitation " +
  "ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis " +
  "aute irure dolor in reprehenderit in voluptate velit esse " +
  "cillum dolore eu fugiat nulla pariatur. Excepteur sint " +
  "occaecat cupidatat non proident, sunt in culpa qui officia " +
  "deserunt mollit anim id est laborum.";

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Bit-by-bit reference (crc64.c `_crc64`): reflected Jones polynomial. */
function referenceCrc64(bytes: Uint8Array): bigint {
  const poly = 0x95ac9329ac4bc9b5n;
  let crc = 0n;
  for (const b of bytes) {
    crc ^= BigInt(b);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc;
}

Deno.test("crc64 of 123456789 is Redis's check value e9c6d914c4b8d9ca", () => {
  assert.equal(crc64(0n, "123456789"), 0xe9c6d914c4b8d9can);
});

Deno.test("crc64 of the lorem text with its NUL matches Redis's crc64 self test", () => {
  assert.equal(crc64(0n, LOREM + "\0"), 0xc7794709e69683b3n);
});

Deno.test("crc64 of nothing is zero", () => {
  assert.equal(crc64(0n, new Uint8Array(0)), 0n);
  assert.equal(crc64Hex(crc64Init()), "0");
});

Deno.test("crc64 table code agrees with the bit-by-bit definition on random lengths", () => {
  for (let n = 0; n < 70; n++) {
    const bytes = randomBytes(n * 7 + (n % 3), n + 1);
    assert.equal(crc64(0n, bytes), referenceCrc64(bytes), `length ${bytes.length}`);
  }
});

Deno.test("crc64 over chunks of any size equals crc64 over the whole", () => {
  const bytes = randomBytes(100_003, 42);
  const whole = crc64Digest(crc64Update(crc64Init(), bytes));
  for (const step of [1, 3, 8, 13, 4096, 65_537]) {
    const state = crc64Init();
    for (let i = 0; i < bytes.length; i += step) {
      crc64Update(state, bytes, i, Math.min(bytes.length, i + step));
    }
    assert.equal(crc64Digest(state), whole, `step ${step}`);
  }
});

Deno.test("crc64 continues from a previous value like Redis's crc64(crc, s, l)", () => {
  const a = randomBytes(1000, 7);
  const b = randomBytes(777, 9);
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  assert.equal(crc64(crc64(0n, a), b), crc64(0n, both));
});

Deno.test("crc64 state is written and read back as 8 little-endian bytes", () => {
  const state = crc64Update(crc64Init(), new TextEncoder().encode("123456789"));
  const out = new Uint8Array(10);
  crc64WriteLE(state, out, 1);
  assert.deepEqual(Array.from(out.subarray(1, 9)), [
    0xca,
    0xd9,
    0xb8,
    0xc4,
    0x14,
    0xd9,
    0xc6,
    0xe9,
  ]);
  assert.deepEqual(crc64ReadLE(out, 1), state);
});

Deno.test("crc64 of 32 MB in one call equals the same bytes fed in 1 MB pieces", () => {
  const bytes = randomBytes(32 << 20, 3);
  let state = crc64Init();
  for (let at = 0; at < bytes.length; at += 1 << 20) {
    state = crc64Update(state, bytes, at, at + (1 << 20));
  }
  assert.equal(crc64Digest(crc64Update(crc64Init(), bytes)), crc64Digest(state));
});

Deno.test("crc64Update gives the same value at every alignment, length and split point", () => {
  const data = randomBytes(1000, 99);
  for (const offset of [0, 1, 2, 3, 5, 7]) {
    const buf = new Uint8Array(data.length + 16);
    buf.set(data, offset);
    const view = buf.subarray(offset, offset + data.length);
    for (const len of [0, 1, 7, 8, 63, 64, 65, 100, 999, 1000]) {
      const want = referenceCrc64(data.subarray(0, len));
      assert.equal(crc64Digest(crc64Update(crc64Init(), view, 0, len)), want, `${offset}/${len}`);
      for (const split of [1, 13, 64, 500]) {
        if (split >= len) continue;
        const state = crc64Update(crc64Init(), view, 0, split);
        assert.equal(
          crc64Digest(crc64Update(state, view, split, len)),
          want,
          `${offset}/${len}/${split}`,
        );
      }
    }
  }
});
