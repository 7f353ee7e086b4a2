import assert from "node:assert/strict";
import { CHUNK_BYTES, ChunkedBytes } from "../../../src/util/chunked_bytes.ts";

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (seed + i * 7) & 0xff;
  return bytes;
}

function joined(parts: Iterable<Uint8Array>): number[] {
  const out: number[] = [];
  for (const part of parts) out.push(...part);
  return out;
}

Deno.test("ChunkedBytes gives back every piece in order, across chunk boundaries", () => {
  const held = new ChunkedBytes();
  const expected: number[] = [];
  // Pieces that straddle chunk ends, one larger than a chunk, and empty ones.
  const sizes = [100, CHUNK_BYTES - 150, 200, 0, CHUNK_BYTES + 10, 3, CHUNK_BYTES, 1];
  sizes.forEach((size, i) => {
    const piece = pattern(size, i);
    held.append(piece);
    expected.push(...piece);
  });
  assert.equal(held.length, expected.length);
  assert.deepEqual(joined(held.parts()), expected);
});

Deno.test("ChunkedBytes copies what it is given, so the caller may reuse its buffer", () => {
  const held = new ChunkedBytes();
  const scratch = new Uint8Array([1, 2, 3]);
  held.append(scratch);
  scratch.set([9, 9, 9]);
  held.append(scratch.subarray(0, 1));
  assert.deepEqual(joined(held.parts()), [1, 2, 3, 9]);
});

Deno.test("ChunkedBytes.clear drops everything", () => {
  const held = new ChunkedBytes();
  held.append(pattern(10, 0));
  held.clear();
  assert.equal(held.length, 0);
  assert.deepEqual(joined(held.parts()), []);
  held.append(pattern(2, 5));
  assert.deepEqual(joined(held.parts()), [5, 12]);
});
