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
  const view = new DataView(buf.buffer, buf.byteOffset, total);
  view.setUint32(total - 8, Math.floor(bits / 0x100000000));
  view.setUint32(total - 4, bits >>> 0);
  let h0 = 0x67452301,
    h1 = 0xefcdab89 | 0,
    h2 = 0x98badcfe | 0,
    h3 = 0x10325476,
    h4 = 0xc3d2e1f0 | 0;
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) W[i] = view.getInt32(off + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
      W[i] = (x << 1) | (x >>> 31);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number, k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + W[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
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
