import assert from "node:assert/strict";
import {
  lzfCompress,
  lzfCompressBytes,
  lzfDecompress,
  lzfDecompressBytes,
} from "../../../src/persistence/lzf.ts";

function bytesOf(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

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

/** Text-like data: words from a small vocabulary, so LZF finds matches. */
function compressible(n: number, seed: number): Uint8Array {
  const words = ["redis", "deno", "the ", "quick", "brown", "fox ", "12345", "\x00\xff", "lazy"];
  const r = randomBytes(n, seed);
  const out = new Uint8Array(n);
  let p = 0;
  for (let i = 0; p < n; i++) {
    const w = words[r[i % n] % words.length];
    for (let k = 0; k < w.length && p < n; k++) out[p++] = w.charCodeAt(k);
  }
  return out;
}

function roundTrip(input: Uint8Array): void {
  // Incompressible data grows by one header byte per 32 literals.
  const room = input.length + Math.ceil(input.length / 32) + 4;
  const out = new Uint8Array(room + 1);
  const clen = lzfCompress(input, 0, input.length, out, 0, room);
  assert.ok(clen > 0);
  const back = new Uint8Array(input.length);
  assert.equal(lzfDecompress(out, 0, clen, back, 0, input.length), input.length);
  assert.deepEqual(back, input);
}

Deno.test("lzf compresses 45 a's to the same bytes as Redis 7.0", () => {
  // From a dump.rdb written by redis-server 7.0.15 for SET k <45 x "a">.
  const c = lzfCompressBytes(bytesOf("a".repeat(45)));
  assert.deepEqual(Array.from(c!), [0x01, 0x61, 0x61, 0xe0, 0x20, 0x00, 0x01, 0x61, 0x61]);
});

Deno.test("lzf compresses a repeated phrase to the same bytes as Redis 7.0", () => {
  const s = "hello world hello world hello world hello world";
  const c = lzfCompressBytes(bytesOf(s));
  const hex = Array.from(c!).map((b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(hex, "0c68656c6c6f20776f726c642068e0170b016c64");
  assert.deepEqual(lzfDecompressBytes(c!, s.length), bytesOf(s));
});

Deno.test("lzf refuses to compress data that would not shrink by 4 bytes", () => {
  assert.equal(lzfCompressBytes(bytesOf("abcdefghijklmnopqrstuvwxyz")), undefined);
  assert.equal(lzfCompressBytes(randomBytes(1000, 5)), undefined);
  assert.equal(lzfCompressBytes(bytesOf("aaaa")), undefined);
});

Deno.test("lzf round trips random and compressible data of many sizes", () => {
  for (let n = 1; n < 3000; n += 97) {
    roundTrip(randomBytes(n, n));
    roundTrip(compressible(n, n));
  }
  roundTrip(compressible(1 << 20, 99));
  roundTrip(new Uint8Array(100_000)); // long runs: maximal back references
});

Deno.test("lzf decompresses runs and long non-overlapping references (the fill and copy paths)", () => {
  // A short head then one byte repeated: one back reference at distance 1.
  roundTrip(bytesOf("v000000000123" + "x".repeat(87)));
  // A block repeated: references longer than their distance is far.
  const block = randomBytes(300, 7);
  const twice = new Uint8Array(600);
  twice.set(block);
  twice.set(block, 300);
  roundTrip(twice);
  // Short references (byte loop) mixed with long ones.
  roundTrip(bytesOf("abcabcabc" + "z".repeat(40) + "abcabcabcabc" + "q".repeat(17)));
});

Deno.test("lzf compression is deterministic from one call to the next", () => {
  const a = compressible(5000, 1);
  const b = compressible(7000, 2);
  const first = lzfCompressBytes(a);
  lzfCompressBytes(b);
  assert.deepEqual(lzfCompressBytes(a), first);
});

Deno.test("lzf works on sub-ranges of larger buffers", () => {
  const big = compressible(10_000, 3);
  const out = new Uint8Array(20_000);
  const clen = lzfCompress(big, 1234, 5000, out, 17, 6000);
  assert.ok(clen > 0);
  const back = new Uint8Array(5010);
  assert.equal(lzfDecompress(out, 17, clen, back, 5, 5000), 5000);
  assert.deepEqual(back.subarray(5, 5005), big.subarray(1234, 6234));
});

Deno.test("lzf decompression rejects truncated, overflowing and out-of-range input", () => {
  const input = compressible(4000, 4);
  const c = lzfCompressBytes(input)!;
  assert.equal(lzfDecompressBytes(c.subarray(0, c.length - 1), input.length), undefined);
  assert.equal(lzfDecompressBytes(c, input.length - 1), undefined);
  // A back reference before the start of the output.
  assert.equal(
    lzfDecompress(Uint8Array.of(0xe0, 0x05, 0x10), 0, 3, new Uint8Array(100), 0, 100),
    0,
  );
  // A literal run longer than the input.
  assert.equal(lzfDecompress(Uint8Array.of(0x05, 0x41), 0, 2, new Uint8Array(100), 0, 100), 0);
  assert.equal(lzfDecompress(new Uint8Array(0), 0, 0, new Uint8Array(10), 0, 10), 0);
});

Deno.test("lzf decompression of random garbage never throws", () => {
  const out = new Uint8Array(4096);
  for (let i = 0; i < 2000; i++) {
    const junk = randomBytes(1 + (i % 200), i + 11);
    const n = lzfDecompress(junk, 0, junk.length, out, 0, out.length);
    assert.ok(n >= 0 && n <= out.length);
  }
});

Deno.test("lzf with a continued hash table still produces valid output", () => {
  // Redis's table survives between calls from the same frame; stale offsets are
  // read relative to the new input and must only ever yield verified matches.
  const inputs = [compressible(9000, 1), compressible(300, 2), randomBytes(5000, 3)];
  inputs.push(inputs[0].slice(100), compressible(20_000, 4));
  let first = true;
  for (const input of inputs) {
    const room = input.length + Math.ceil(input.length / 32) + 4;
    const out = new Uint8Array(room + 1);
    const clen = lzfCompress(input, 0, input.length, out, 0, room, !first);
    first = false;
    const back = new Uint8Array(input.length);
    assert.equal(lzfDecompress(out, 0, clen, back, 0, input.length), input.length);
    assert.deepEqual(back, input);
  }
});
