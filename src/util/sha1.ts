/**
 * SHA-1 over small inputs, in plain JS. DEBUG DIGEST hashes every key and
 * element separately (Redis's mixDigest), where `node:crypto`'s per-call setup
 * cost dominates: this runs about 20× faster on inputs of a few dozen bytes.
 */

const W = new Int32Array(80);
let block = new Uint8Array(128);

/** The 20-byte SHA-1 of `data`. */
export function sha1(data: Uint8Array): Uint8Array {
  const len = data.length;
  const total = ((len + 8) >>> 6) * 64 + 64;
  if (block.length < total) block = new Uint8Array(total * 2);
  const buf = block;
  buf.set(data);
  buf[len] = 0x80;
  buf.fill(0, len + 1, total);
  const bits = len * 8;
  const high = Math.floor(bits / 0x100000000);
  buf[total - 8] = high >>> 24;
  buf[total - 7] = high >>> 16;
  buf[total - 6] = high >>> 8;
  buf[total - 5] = high;
  buf[total - 4] = bits >>> 24;
  buf[total - 3] = bits >>> 16;
  buf[total - 2] = bits >>> 8;
  buf[total - 1] = bits;
  let h0 = 0x67452301,
    h1 = 0xefcdab89 | 0,
    h2 = 0x98badcfe | 0,
    h3 = 0x10325476,
    h4 = 0xc3d2e1f0 | 0;
  for (let off = 0; off < total; off += 64) {
    for (let i = 0, p = off; i < 16; i++, p += 4) {
      W[i] = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
    }
    for (let i = 16; i < 80; i++) {
      const x = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
      W[i] = (x << 1) | (x >>> 31);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, t = 0;
    // Four rounds of twenty, unrolled by kind so the hot loop has no branches.
    for (let i = 0; i < 20; i++) {
      t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + W[i]) | 0;
      e = d, d = c, c = (b << 30) | (b >>> 2), b = a, a = t;
    }
    for (let i = 20; i < 40; i++) {
      t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + W[i]) | 0;
      e = d, d = c, c = (b << 30) | (b >>> 2), b = a, a = t;
    }
    for (let i = 40; i < 60; i++) {
      t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e - 0x70e44324 + W[i]) | 0;
      e = d, d = c, c = (b << 30) | (b >>> 2), b = a, a = t;
    }
    for (let i = 60; i < 80; i++) {
      t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e - 0x359d3e2a + W[i]) | 0;
      e = d, d = c, c = (b << 30) | (b >>> 2), b = a, a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  const out = new Uint8Array(20);
  const o = new DataView(out.buffer);
  o.setInt32(0, h0);
  o.setInt32(4, h1);
  o.setInt32(8, h2);
  o.setInt32(12, h3);
  o.setInt32(16, h4);
  return out;
}
