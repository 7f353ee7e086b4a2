/**
 * Encoder → decoder round trips for every type and encoding, plus the byte
 * layouts Redis 7.0 produces for them.
 */
import { Hash } from "../../../src/store/hash.ts";
import assert from "node:assert/strict";
import { encodeRdb, encodeValueForDump, RdbEncoder } from "../../../src/persistence/rdb_encoder.ts";
import {
  decodeDumpPayload,
  decodeRdb,
  RdbDecoder,
  RdbError,
} from "../../../src/persistence/rdb_decoder.ts";
import {
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
} from "../../../src/persistence/rdb_constants.ts";
import { crc64 } from "../../../src/persistence/crc64.ts";
import { List } from "../../../src/store/list.ts";
import { ZSet } from "../../../src/store/zset.ts";
import type { RedisValue } from "../../../src/store/types.ts";
import { StringSet } from "../../../src/store/set.ts";

type Plain = string | [string, unknown];

/** A comparable form of a value (hash and set contents sorted). */
export function plain(v: RedisValue): Plain {
  if (typeof v === "string") return v;
  if (v instanceof List) return ["list", Array.from(v.values())];
  if (v instanceof Hash) return ["hash", Array.from(v.entries()).sort()];
  if (v instanceof StringSet) return ["set", Array.from(v).sort()];
  return ["zset", Array.from((v as ZSet).entries())];
}

function zsetOf(entries: [string, number][]): ZSet {
  const z = new ZSet();
  for (const [m, s] of entries) z.add(m, s);
  return z;
}

function bytesOf(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");

/** One value of every type and Redis encoding. */
function sampleValues(): [string, RedisValue][] {
  return [
    ["str", "hello"],
    ["str:empty", ""],
    ["str:int8", "-12"],
    ["str:int16", "30000"],
    ["str:int32", "-2000000000"],
    ["str:int64", "9223372036854775807"],
    ["str:notint", "007"],
    ["str:lzf", "abc".repeat(100)],
    ["str:incompressible", ALL_BYTES],
    ["str:binary\x00\xff", "\x00\x01\x80\x9f\xff"],
    ["list:small", List.from(["a", "1", "-5", "hello world", ""])],
    ["list:big", List.from(Array.from({ length: 5000 }, (_, i) => `item${i}`))],
    ["list:ints", List.from(Array.from({ length: 3000 }, (_, i) => String(i * 1000 - 7)))],
    ["hash:lp", Hash.from([["f", "v"], ["n", "7"], ["", "empty field"]])],
    ["hash:ht-count", Hash.from(Array.from({ length: 200 }, (_, i) => [`f${i}`, `v${i}`]))],
    ["hash:ht-long", Hash.from([["f", "v".repeat(65)]])],
    ["set:intset", StringSet.from(["1", "2", "-3", "100000", "5000000000"])],
    ["set:intset16", StringSet.from(["-32768", "32767"])],
    ["set:ht", StringSet.from(["a", "b", "1"])],
    ["set:ht-count", StringSet.from(Array.from({ length: 600 }, (_, i) => String(i)))],
    ["zset:lp", zsetOf([["a", 1.5], ["b", 2], ["c", -0.1], ["d", Infinity], ["e", 1e17]])],
    [
      "zset:sl",
      zsetOf(Array.from({ length: 200 }, (_, i) => [`m${i}`, i / 3] as [string, number])),
    ],
    ["zset:sl-long", zsetOf([["m".repeat(65), 1], ["x", -Infinity]])],
  ];
}

Deno.test("encoder picks the type byte Redis 7.0 picks for each encoding", () => {
  const enc = new RdbEncoder();
  const expected: Record<string, number> = {
    "str": RDB_TYPE_STRING,
    "list:small": RDB_TYPE_LIST_QUICKLIST_2,
    "hash:lp": RDB_TYPE_HASH_LISTPACK,
    "hash:ht-count": RDB_TYPE_HASH,
    "hash:ht-long": RDB_TYPE_HASH,
    "set:intset": RDB_TYPE_SET_INTSET,
    "set:ht": RDB_TYPE_SET,
    "set:ht-count": RDB_TYPE_SET,
    "zset:lp": RDB_TYPE_ZSET_LISTPACK,
    "zset:sl": RDB_TYPE_ZSET_2,
    "zset:sl-long": RDB_TYPE_ZSET_2,
  };
  for (const [key, value] of sampleValues()) {
    if (key in expected) assert.equal(enc.objectType(value), expected[key], key);
  }
});

Deno.test("encoder thresholds are options with Redis's defaults", () => {
  const hash = Hash.from(Array.from({ length: 10 }, (_, i) => [`f${i}`, "v"]));
  assert.equal(new RdbEncoder().objectType(hash), RDB_TYPE_HASH_LISTPACK);
  assert.equal(new RdbEncoder({ hashMaxListpackEntries: 9 }).objectType(hash), RDB_TYPE_HASH);
  assert.equal(new RdbEncoder({ hashMaxListpackValue: 1 }).objectType(hash), RDB_TYPE_HASH);
  const set = StringSet.from(["1", "2", "3"]);
  assert.equal(new RdbEncoder({ setMaxIntsetEntries: 2 }).objectType(set), RDB_TYPE_SET);
  const z = zsetOf([["a", 1], ["b", 2]]);
  assert.equal(new RdbEncoder({ zsetMaxListpackEntries: 1 }).objectType(z), RDB_TYPE_ZSET_2);
  assert.equal(new RdbEncoder({ zsetMaxListpackValue: 0 }).objectType(z), RDB_TYPE_ZSET_2);
});

Deno.test("every type and encoding round trips through a file", () => {
  const values = sampleValues();
  const bytes = encodeRdb([{ index: 0, entries: values.map(([k, v]) => [k, v, undefined]) }]);
  const decoded = decodeRdb(bytes);
  const got = decoded.dbs.get(0)!;
  assert.equal(got.length, values.length);
  for (let i = 0; i < values.length; i++) {
    assert.equal(got[i].key, values[i][0]);
    assert.deepEqual(plain(got[i].value), plain(values[i][1]), values[i][0]);
    assert.equal(got[i].expireAtMs, undefined);
  }
});

Deno.test("every value round trips through DUMP payloads", () => {
  for (const [key, value] of sampleValues()) {
    const payload = encodeValueForDump(value);
    assert.deepEqual(plain(decodeDumpPayload(payload)), plain(value), key);
  }
});

Deno.test("the same file round trips without compression and without checksum", () => {
  const values = sampleValues();
  const entries = values.map(([k, v]) => [k, v, undefined] as const);
  const plainFile = encodeRdb([{ index: 0, entries }], {}, { compression: false, checksum: false });
  assert.deepEqual(Array.from(plainFile.subarray(plainFile.length - 8)), [0, 0, 0, 0, 0, 0, 0, 0]);
  const got = decodeRdb(plainFile).dbs.get(0)!;
  for (let i = 0; i < values.length; i++) {
    assert.deepEqual(plain(got[i].value), plain(values[i][1]));
  }
  const compressed = encodeRdb([{ index: 0, entries }]);
  assert.ok(compressed.length < plainFile.length);
});

Deno.test("expire times, binary keys and all 16 dbs round trip", () => {
  const now = 1_700_000_000_000;
  const dbs = Array.from({ length: 16 }, (_, db) => ({
    index: db,
    entries: [
      [`k${db}`, `v${db}`, undefined],
      [`ttl${db}`, "x", now + db * 1000],
      [ALL_BYTES, List.from(["a"]), now - 5],
      ["neg", "y", -1],
      ["far", "z", 2 ** 52],
    ] as [string, RedisValue, number | undefined][],
  }));
  const decoded = decodeRdb(encodeRdb(dbs));
  assert.equal(decoded.dbs.size, 16);
  for (let db = 0; db < 16; db++) {
    const got = decoded.dbs.get(db)!;
    assert.deepEqual(
      got.map((e) => [e.key, plain(e.value), e.expireAtMs]),
      dbs[db].entries.map(([k, v, e]) => [k, plain(v), e]),
    );
    assert.deepEqual(decoded.resizeHints.get(db), { size: 5, expiresSize: 4 });
  }
});

Deno.test("empty and 1 MB values round trip", () => {
  const mb = "0123456789abcdef".repeat(65536);
  let random = "";
  let x = 12345;
  for (let i = 0; i < 1 << 20; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    random += String.fromCharCode(x >>> 24);
  }
  const values: [string, RedisValue][] = [
    ["", ""],
    ["big", mb],
    ["bigrandom", random],
    ["biglist", List.from([mb, "a", random])],
    ["bighash", Hash.from([["f", mb]])],
    ["bigset", StringSet.from([random])],
    ["bigzset", zsetOf([[mb, 1]])],
  ];
  const decoded = decodeRdb(
    encodeRdb([{ index: 0, entries: values.map(([k, v]) => [k, v, undefined]) }]),
  );
  const got = decoded.dbs.get(0)!;
  for (let i = 0; i < values.length; i++) {
    assert.deepEqual(plain(got[i].value), plain(values[i][1]));
  }
});

Deno.test("empty collections are skipped by the encoder", () => {
  const enc = new RdbEncoder();
  assert.equal(enc.writeEntry("l", new List()), false);
  assert.equal(enc.writeEntry("h", new Hash()), false);
  assert.equal(enc.writeEntry("s", new StringSet()), false);
  assert.equal(enc.writeEntry("z", new ZSet()), false);
  assert.equal(enc.totalBytes, 0);
  const bytes = encodeRdb([{
    index: 0,
    entries: [["l", new List(), undefined], ["k", "v", undefined]],
  }]);
  assert.deepEqual(decodeRdb(bytes).resizeHints.get(0), { size: 1, expiresSize: 0 });
  assert.throws(() => encodeValueForDump(new StringSet()), RangeError);
});

Deno.test("header holds REDIS0010 and the aux fields in Redis's order", () => {
  const bytes = encodeRdb([], {
    ctime: 1700000000,
    usedMem: 123456,
    repl: { streamDb: 3, id: "a".repeat(40), offset: 987654321 },
    aofBase: true,
    extra: [["lua", "x"]],
  });
  assert.equal(String.fromCharCode(...bytes.subarray(0, 9)), "REDIS0010");
  const d = decodeRdb(bytes);
  assert.deepEqual(Array.from(d.aux.fields.keys()), [
    "redis-ver",
    "redis-bits",
    "ctime",
    "used-mem",
    "repl-stream-db",
    "repl-id",
    "repl-offset",
    "aof-base",
    "lua",
  ]);
  assert.equal(d.aux.redisVer, "7.0.15");
  assert.equal(d.aux.redisBits, 64);
  assert.equal(d.aux.ctime, 1700000000);
  assert.equal(d.aux.usedMem, 123456);
  assert.equal(d.aux.replStreamDb, 3);
  assert.equal(d.aux.replId, "a".repeat(40));
  assert.equal(d.aux.replOffset, 987654321);
  assert.equal(d.aux.aofBase, true);
  assert.equal(d.dbs.size, 0);
});

Deno.test("an empty dataset encodes like Redis: header, EOF, checksum", () => {
  const bytes = encodeRdb([], { ctime: 1, usedMem: 0 });
  assert.equal(bytes[bytes.length - 9], 0xff);
  const crc = crc64(0n, bytes.subarray(0, bytes.length - 8));
  const stored = new DataView(bytes.buffer).getBigUint64(bytes.length - 8, true);
  assert.equal(stored, crc);
});

Deno.test("strings use Redis's integer encodings and LZF exactly", () => {
  const cases: [string, number[]][] = [
    ["0", [0xc0, 0x00]],
    ["-128", [0xc0, 0x80]],
    ["128", [0xc1, 0x80, 0x00]],
    ["-32769", [0xc2, 0xff, 0x7f, 0xff, 0xff]],
    ["2147483648", [0x0a, ...bytesOf("2147483648")]],
    ["-0", [0x02, 0x2d, 0x30]],
    ["a".repeat(45), [0xc3, 0x09, 0x2d, 0x01, 0x61, 0x61, 0xe0, 0x20, 0x00, 0x01, 0x61, 0x61]],
    ["a".repeat(20), [0x14, ...bytesOf("a".repeat(20))]], // ≤ 20 bytes: never compressed
  ];
  for (const [s, expected] of cases) {
    const enc = new RdbEncoder();
    enc.saveRawString(s);
    assert.deepEqual(Array.from(enc.takeChunk()), expected, JSON.stringify(s));
  }
});

Deno.test("lengths use 6, 14, 32 and 64 bit forms", () => {
  const cases: [number, number[]][] = [
    [63, [0x3f]],
    [64, [0x40, 0x40]],
    [16383, [0x7f, 0xff]],
    [16384, [0x80, 0, 0, 0x40, 0]],
    [2 ** 32, [0x81, 0, 0, 0, 1, 0, 0, 0, 0]],
  ];
  for (const [n, expected] of cases) {
    const enc = new RdbEncoder();
    enc.saveLen(n);
    assert.deepEqual(Array.from(enc.takeChunk()), expected, String(n));
  }
});

Deno.test("a small zset listpack stores integral scores as integers and others as %.17g", () => {
  // DUMP of ZADD z 0.1 a 1e17 b 3 c -0 d 2.5e-7 e inf f in redis-server 7.0.15.
  const z = zsetOf([["a", 0.1], ["b", 1e17], ["c", 3], ["d", -0], ["e", 2.5e-7], ["f", Infinity]]);
  const payload = encodeValueForDump(z);
  const redis = bytesOf(
    "\x11\xc3@F@Y\x12Y\x00\x00\x00\x0c\x00\x81d\x02\x00\x01\x81e\x02\x962.49\xe0\x05\x00\x0ce-07" +
      "\x17\x81a\x02\x930.10\xe0\x05\x00\x1c1\x14\x81c\x02\x03\x01\x81b\x02\xf4\x00\x00\x8a]xEc\x01" +
      "\t\x81f\x02\x83inf\x04\xff\n\x00\x18>\xc8\xd4I+\xb0\xb0",
  );
  assert.deepEqual(payload, redis);
});

Deno.test("big lists are split into listpack nodes of at most 8 KB like quicklist", () => {
  const enc = new RdbEncoder();
  const list = List.from(Array.from({ length: 5000 }, (_, i) => `item${i}`));
  enc.saveObject(list, RDB_TYPE_LIST_QUICKLIST_2);
  const bytes = enc.takeChunk();
  // 5000 entries of 7–10 bytes at ~ 8 + len estimated bytes each → several nodes.
  const nodes = bytes[0] & 0x3f;
  assert.ok(nodes > 4 && nodes < 12, `nodes ${nodes}`);
  const fill1 = new RdbEncoder({ listMaxListpackSize: 1 });
  fill1.saveObject(List.from(["a", "b", "c"]), RDB_TYPE_LIST_QUICKLIST_2);
  assert.equal(fill1.takeChunk()[0], 3); // one element per node
});

Deno.test("list elements over the packed threshold get plain nodes", () => {
  const enc = new RdbEncoder({ listPackedThreshold: 100 });
  const list = List.from(["a", "x".repeat(150), "b", "c"]);
  enc.saveObject(list, RDB_TYPE_LIST_QUICKLIST_2);
  const bytes = enc.takeChunk();
  assert.equal(bytes[0], 3); // [a] [x…] [b c]
  assert.equal(bytes[1], 2); // packed
  const payload = encodeValueForDump(list, { listPackedThreshold: 100 });
  assert.deepEqual(plain(decodeDumpPayload(payload)), plain(list));
});

Deno.test("takeChunk streams the file in pieces that concatenate to finish()'s whole", () => {
  const values = sampleValues();
  const whole = encodeRdb([{ index: 0, entries: values.map(([k, v]) => [k, v, undefined]) }], {
    ctime: 5,
  });
  const enc = new RdbEncoder();
  enc.writeHeader({ ctime: 5 });
  enc.selectDb(0, values.length, 0);
  const chunks: Uint8Array[] = [enc.takeChunk()];
  for (const [k, v] of values) {
    enc.writeEntry(k, v);
    chunks.push(enc.takeChunk());
  }
  chunks.push(enc.finish());
  const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    joined.set(c, o);
    o += c.length;
  }
  assert.deepEqual(joined, whole);
  assert.equal(enc.totalBytes, whole.length);
});

Deno.test("external checksum mode ends at the EOF opcode", () => {
  const enc = new RdbEncoder({ externalChecksum: true });
  enc.writeHeader({ ctime: 5 });
  enc.writeEntry("k", "v");
  const body = enc.finish();
  assert.equal(body[body.length - 1], 0xff);
  const full = new Uint8Array(body.length + 8);
  full.set(body);
  new DataView(full.buffer).setBigUint64(body.length, crc64(0n, body), true);
  assert.equal(decodeRdb(full).dbs.get(0)![0].value, "v");
});

Deno.test("RdbDecoder hands out keys one at a time", () => {
  const bytes = encodeRdb([{ index: 2, entries: [["a", "1", undefined], ["b", "2", 99]] }]);
  const dec = new RdbDecoder(bytes);
  assert.equal(dec.version, 10);
  const first = dec.next()!;
  assert.deepEqual([first.db, first.key, first.value, first.expireAtMs], [2, "a", "1", undefined]);
  assert.equal(dec.done, false);
  const second = dec.next()!;
  assert.deepEqual([second.key, second.expireAtMs], ["b", 99]);
  assert.equal(dec.next(), undefined);
  assert.equal(dec.done, true);
  assert.equal(dec.offset, bytes.length);
  assert.equal(dec.next(), undefined);
});

Deno.test("a million small string keys encode in 256 KB chunks", () => {
  const n = 1_000_000;
  const keys = Array.from({ length: n }, (_, i) => `key:${i}`);
  const enc = new RdbEncoder();
  enc.writeHeader();
  enc.selectDb(0, n, 0);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    enc.writeEntry(keys[i], keys[i]);
    if (enc.pendingBytes > 256 * 1024) bytes += enc.takeChunk().length;
  }
  bytes += enc.finish().length;
  assert.ok(bytes > n * 20);
});

Deno.test("DUMP payloads carry version 10 and a CRC the decoder checks", () => {
  const payload = encodeValueForDump("hello");
  assert.deepEqual(Array.from(payload), [
    0x00,
    0x05,
    ...bytesOf("hello"),
    0x0a,
    0x00,
    ...Array.from(payload.subarray(9)),
  ]);
  assert.equal(
    crc64(0n, payload.subarray(0, payload.length - 8)),
    new DataView(payload.buffer).getBigUint64(payload.length - 8, true),
  );
  const bad = payload.slice();
  bad[3] ^= 1;
  assert.throws(() => decodeDumpPayload(bad), (e) => e instanceof RdbError && e.kind === "payload");
  const newer = payload.slice();
  newer[payload.length - 10] = 11;
  assert.throws(
    () => decodeDumpPayload(newer),
    (e) => e instanceof RdbError && e.kind === "payload",
  );
  assert.equal(decodeDumpPayload(bad, { verifyChecksum: false }), "hdllo");
  assert.throws(() => decodeDumpPayload(new Uint8Array(5)), RdbError);
});
