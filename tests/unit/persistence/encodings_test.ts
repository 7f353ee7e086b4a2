import assert from "node:assert/strict";
import { ByteWriter, listpackEntries, ListpackWriter } from "../../../src/persistence/listpack.ts";
import { buildZiplist, ziplistEntries, zipmapEntries } from "../../../src/persistence/ziplist.ts";
import { intsetEntries, writeIntset } from "../../../src/persistence/intset.ts";
import { stringToInt64 } from "../../../src/persistence/rdb_constants.ts";

function listpackOf(values: string[]): Uint8Array {
  const lp = new ListpackWriter();
  for (const v of values) lp.appendString(v);
  const end = lp.finish();
  return lp.writer.bytes.slice(lp.start, end);
}

const INTEGERS = [
  "0",
  "1",
  "127",
  "128",
  "-1",
  "-4096",
  "4095",
  "4096",
  "-4097",
  "-32768",
  "32767",
  "32768",
  "-8388608",
  "8388607",
  "8388608",
  "-2147483648",
  "2147483647",
  "2147483648",
  "9007199254740993",
  "-9007199254740993",
  "9223372036854775807",
  "-9223372036854775808",
];
const NOT_INTEGERS = ["-0", "01", "+1", " 1", "1.0", "", "9223372036854775808", "abc", "1e3"];

Deno.test("stringToInt64 accepts exactly what string2ll accepts", () => {
  for (const s of INTEGERS) assert.equal(String(stringToInt64(s)), s, s);
  for (const s of NOT_INTEGERS) assert.equal(stringToInt64(s), undefined, s);
  assert.equal(typeof stringToInt64("9007199254740991"), "number");
  assert.equal(typeof stringToInt64("9007199254740993"), "bigint");
});

Deno.test("listpack of a small hash has Redis's exact bytes", () => {
  assert.deepEqual(
    Array.from(listpackOf(["f", "v", "n", "7"])),
    [0x12, 0, 0, 0, 4, 0, 0x81, 0x66, 2, 0x81, 0x76, 2, 0x81, 0x6e, 2, 0x07, 1, 0xff],
  );
});

Deno.test("listpack encodes integers in the narrowest of Redis's integer encodings", () => {
  const cases: [string, number[]][] = [
    ["5", [0x05, 0x01]],
    ["128", [0xc0, 0x80, 0x02]],
    ["-1", [0xdf, 0xff, 0x02]],
    ["4096", [0xf1, 0x00, 0x10, 0x03]],
    ["-32768", [0xf1, 0x00, 0x80, 0x03]],
    ["8388607", [0xf2, 0xff, 0xff, 0x7f, 0x04]],
    ["-2147483648", [0xf3, 0x00, 0x00, 0x00, 0x80, 0x05]],
    ["-2", [0xdf, 0xfe, 0x02]],
    ["4294967296", [0xf4, 0, 0, 0, 0, 1, 0, 0, 0, 0x09]],
    ["-9223372036854775808", [0xf4, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x09]],
  ];
  for (const [s, entry] of cases) {
    const lp = listpackOf([s]);
    assert.deepEqual(Array.from(lp.subarray(6, lp.length - 1)), entry, s);
  }
});

Deno.test("listpack strings use 6, 12 and 32 bit lengths with matching backlens", () => {
  const s200 = "x".repeat(200);
  const lp = listpackOf([s200]);
  assert.deepEqual(Array.from(lp.subarray(6, 8)), [0xe0, 200]);
  assert.deepEqual(Array.from(lp.subarray(lp.length - 3, lp.length - 1)), [1, 0xca]);
  const s5000 = "y".repeat(5000);
  const big = listpackOf([s5000]);
  assert.deepEqual(Array.from(big.subarray(6, 11)), [0xf0, 0x88, 0x13, 0, 0]);
  assert.deepEqual(listpackEntries(big, 0, big.length), [s5000]);
});

Deno.test("listpack round trips integers, text and binary strings", () => {
  const values = [
    ...INTEGERS,
    ...NOT_INTEGERS,
    "\x00\x80\x9f\xff",
    "z".repeat(63),
    "z".repeat(64),
    "q".repeat(4095),
    "q".repeat(4096),
  ];
  const lp = listpackOf(values);
  assert.deepEqual(listpackEntries(lp, 0, lp.length), values);
});

Deno.test("listpack header count saturates at 65535 and is then not checked", () => {
  const values = Array.from({ length: 70_000 }, (_, i) => String(i % 300));
  const lp = listpackOf(values);
  assert.equal(lp[4] | (lp[5] << 8), 65535);
  assert.deepEqual(listpackEntries(lp, 0, lp.length), values);
});

Deno.test("listpack reader rejects every corruption of size, count, backlen and terminator", () => {
  const lp = listpackOf(["a", "bb", "123", "x".repeat(100)]);
  assert.ok(listpackEntries(lp, 0, lp.length));
  assert.equal(listpackEntries(lp, 0, lp.length - 1), undefined); // size mismatch
  const badCount = lp.slice();
  badCount[4] = 3;
  assert.equal(listpackEntries(badCount, 0, badCount.length), undefined);
  const badEnd = lp.slice();
  badEnd[badEnd.length - 1] = 0;
  assert.equal(listpackEntries(badEnd, 0, badEnd.length), undefined);
  const badBacklen = lp.slice();
  badBacklen[8] = 9; // backlen of "a"
  assert.equal(listpackEntries(badBacklen, 0, badBacklen.length), undefined);
  const badEncoding = lp.slice();
  badEncoding[6] = 0xf7;
  assert.equal(listpackEntries(badEncoding, 0, badEncoding.length), undefined);
  assert.equal(listpackEntries(new Uint8Array(3), 0, 3), undefined);
});

Deno.test("listpack writers can lay several listpacks back to back", () => {
  const w = new ByteWriter(16);
  const lp = new ListpackWriter(w);
  lp.appendString("a");
  const end1 = lp.finish();
  lp.begin();
  const start2 = lp.start;
  lp.appendString("b");
  lp.appendString("c");
  const end2 = lp.finish();
  assert.deepEqual(listpackEntries(w.bytes, 0, end1), ["a"]);
  assert.deepEqual(listpackEntries(w.bytes, start2, end2), ["b", "c"]);
});

Deno.test("ziplist round trips every integer and string encoding", () => {
  const values = [
    "0",
    "12",
    "13",
    "-128",
    "127",
    "-32768",
    "-8388608",
    "2147483647",
    "-9223372036854775808",
    "text",
    "t".repeat(63),
    "t".repeat(64),
    "t".repeat(20000),
    "-0",
    "\x00\xff",
  ];
  const zl = buildZiplist(values);
  assert.deepEqual(ziplistEntries(zl, 0, zl.length), values);
  const empty = buildZiplist([]);
  assert.deepEqual(ziplistEntries(empty, 0, empty.length), []);
});

Deno.test("ziplist reader rejects bad sizes, prevlens, tails and counts", () => {
  const zl = buildZiplist(["a", "b".repeat(300), "c"]);
  assert.ok(ziplistEntries(zl, 0, zl.length));
  assert.equal(ziplistEntries(zl, 0, zl.length - 1), undefined);
  const badTail = zl.slice();
  badTail[4] ^= 1;
  assert.equal(ziplistEntries(badTail, 0, badTail.length), undefined);
  const badCount = zl.slice();
  badCount[8] = 7;
  assert.equal(ziplistEntries(badCount, 0, badCount.length), undefined);
  const badPrevlen = zl.slice();
  badPrevlen[13] = 5; // prevlen of the second entry
  assert.equal(ziplistEntries(badPrevlen, 0, badPrevlen.length), undefined);
});

Deno.test("zipmap reader reads pairs with free space and long lengths", () => {
  // zmlen 2; "a"=>"1" with 2 free bytes; 300-byte key => "v"; end.
  const key = "k".repeat(300);
  const bytes = [
    2,
    1,
    0x61,
    1,
    2,
    0x31,
    0,
    0,
    254,
    44,
    1,
    0,
    0,
    ...Array.from(key, (c) => c.charCodeAt(0)),
  ];
  bytes.push(1, 0, 0x76, 0xff);
  const zm = Uint8Array.from(bytes);
  assert.deepEqual(zipmapEntries(zm, 0, zm.length), ["a", "1", key, "v"]);
  assert.equal(zipmapEntries(zm, 0, zm.length - 1), undefined);
  const badCount = zm.slice();
  badCount[0] = 3;
  assert.equal(zipmapEntries(badCount, 0, badCount.length), undefined);
});

Deno.test("intset is written sorted in the narrowest width and read back", () => {
  const w = new ByteWriter(16);
  writeIntset(w, [5, -3, 1]);
  assert.deepEqual(Array.from(w.bytes.subarray(0, w.length)), [
    2,
    0,
    0,
    0,
    3,
    0,
    0,
    0,
    0xfd,
    0xff,
    1,
    0,
    5,
    0,
  ]);
  assert.deepEqual(intsetEntries(w.bytes, 0, w.length), ["-3", "1", "5"]);
  w.reset();
  writeIntset(w, [70000, -1]);
  assert.equal(w.bytes[0], 4);
  assert.deepEqual(intsetEntries(w.bytes, 0, w.length), ["-1", "70000"]);
  w.reset();
  writeIntset(w, [2n ** 62n, 3, -(2n ** 63n), 5000000000]);
  assert.equal(w.bytes[0], 8);
  assert.deepEqual(intsetEntries(w.bytes, 0, w.length), [
    "-9223372036854775808",
    "3",
    "5000000000",
    "4611686018427387904",
  ]);
});

Deno.test("intset reader rejects unsorted, duplicate, empty and mis-sized sets", () => {
  const mk = (enc: number, values: number[]) => {
    const w = new ByteWriter(16);
    w.u32le(enc);
    w.u32le(values.length);
    for (const v of values) enc === 2 ? w.u16le(v & 0xffff) : w.u32le(v >>> 0);
    return w.copy();
  };
  assert.deepEqual(intsetEntries(mk(2, [1, 2]), 0, 12), ["1", "2"]);
  assert.equal(intsetEntries(mk(2, [2, 1]), 0, 12), undefined);
  assert.equal(intsetEntries(mk(2, [2, 2]), 0, 12), undefined);
  assert.equal(intsetEntries(mk(2, []), 0, 8), undefined);
  assert.equal(intsetEntries(mk(3, [1]), 0, 10), undefined);
  assert.equal(intsetEntries(mk(4, [1, 2]), 0, 15), undefined);
});
