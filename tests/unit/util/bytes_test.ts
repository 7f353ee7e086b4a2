import assert from "node:assert/strict";
import {
  bytesToString,
  latin1ToUtf8,
  stringToBytes,
  utf8ToLatin1,
  writeString,
} from "../../../src/util/bytes.ts";

function allBytes(): Uint8Array {
  const bytes = new Uint8Array(256);
  for (let i = 0; i < 256; i++) bytes[i] = i;
  return bytes;
}

/** The identity mapping, one char at a time: the reference the fast paths must equal. */
function reference(buf: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
  return s;
}

Deno.test("bytesToString maps every byte to the char code of the same value", () => {
  const s = bytesToString(allBytes());
  assert.equal(s.length, 256);
  for (let i = 0; i < 256; i++) assert.equal(s.charCodeAt(i), i);
  // 0x80–0x9f stay themselves (windows-1252 would turn 0x80 into U+20AC).
  assert.equal(s.charCodeAt(0x80), 0x80);
});

Deno.test("bytesToString gives the same string on every length and offset", () => {
  const buf = new Uint8Array(300);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 151 + 7) & 0xff;
  for (let start = 0; start < 5; start++) {
    for (let len = 0; len <= 100; len++) {
      assert.equal(bytesToString(buf, start, start + len), reference(buf, start, start + len));
    }
  }
  assert.equal(bytesToString(buf), reference(buf, 0, buf.length));
  assert.equal(bytesToString(buf.subarray(10, 50)), reference(buf, 10, 50));
});

Deno.test("bytesToString clamps its range to the buffer", () => {
  const buf = new Uint8Array([65, 66, 67]);
  assert.equal(bytesToString(buf, 2, 1), "");
  assert.equal(bytesToString(buf, -5, 99), "ABC");
  assert.equal(bytesToString(buf, 3), "");
});

Deno.test("bytesToString handles a megabyte of binary data", () => {
  const buf = new Uint8Array(1 << 20);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 31) & 0xff;
  const s = bytesToString(buf);
  assert.equal(s.length, buf.length);
  for (let i = 0; i < buf.length; i += 4093) assert.equal(s.charCodeAt(i), buf[i]);
});

Deno.test("stringToBytes is the inverse of bytesToString", () => {
  const bytes = allBytes();
  assert.deepEqual(stringToBytes(bytesToString(bytes)), bytes);
  assert.deepEqual(stringToBytes(""), new Uint8Array(0));
});

Deno.test("writeString writes at an offset and returns the offset after the bytes", () => {
  const dst = new Uint8Array(10);
  assert.equal(writeString(dst, 2, "ab\xff"), 5);
  assert.deepEqual([...dst.subarray(0, 6)], [0, 0, 97, 98, 255, 0]);
  assert.equal(writeString(dst, 5, ""), 5);
});

Deno.test("writeString is exact for long ASCII, binary and mixed strings", () => {
  const ascii = "x".repeat(5000) + "end";
  const binary = bytesToString(allBytes()).repeat(20);
  const mixed = "y".repeat(70) + "\x80" + "z".repeat(70); // non-ASCII after the encoder's first bytes
  const highLast = "q".repeat(100) + "\xe9";
  for (const s of [ascii, binary, mixed, highLast]) {
    const dst = new Uint8Array(s.length + 8).fill(0xaa);
    assert.equal(writeString(dst, 3, s), 3 + s.length);
    assert.equal(bytesToString(dst, 3, 3 + s.length), s);
    assert.equal(dst[2], 0xaa);
    assert.equal(dst[3 + s.length], 0xaa); // nothing written past the string
  }
});

Deno.test("utf8ToLatin1 turns text into its UTF-8 bytes and latin1ToUtf8 reverses it", () => {
  assert.equal(utf8ToLatin1("plain ascii"), "plain ascii");
  assert.equal(utf8ToLatin1("é"), "\xc3\xa9");
  assert.equal(utf8ToLatin1("€"), "\xe2\x82\xac");
  assert.equal(utf8ToLatin1("😀"), "\xf0\x9f\x98\x80");
  for (const text of ["", "ascii", "héllo wörld", "日本語", "emoji 😀 mix €"]) {
    assert.equal(latin1ToUtf8(utf8ToLatin1(text)), text);
  }
  assert.equal(latin1ToUtf8("\xff\xfe"), "\ufffd\ufffd");
});
