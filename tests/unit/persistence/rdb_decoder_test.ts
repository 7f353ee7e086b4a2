/**
 * The decoder on older encodings, on every opcode, and on bad input: corrupt,
 * truncated, unsupported or random data must raise RdbError, never anything else.
 */
import { Hash } from "../../../src/store/hash.ts";
import assert from "node:assert/strict";
import { encodeRdb, RdbEncoder } from "../../../src/persistence/rdb_encoder.ts";
import {
  decodeDumpPayload,
  decodeRdb,
  RdbDecoder,
  RdbError,
  type RdbErrorKind,
} from "../../../src/persistence/rdb_decoder.ts";
import { crc64 } from "../../../src/persistence/crc64.ts";
import { ByteWriter } from "../../../src/persistence/listpack.ts";
import { buildZiplist } from "../../../src/persistence/ziplist.ts";
import { listpackBytes, rdbFile } from "../../helpers/rdb_files.ts";
import { List } from "../../../src/store/list.ts";
import { ZSet } from "../../../src/store/zset.ts";
import type { RedisValue } from "../../../src/store/types.ts";
import { StringSet } from "../../../src/store/set.ts";

function plain(v: RedisValue): unknown {
  if (typeof v === "string") return v;
  if (v instanceof List) return ["list", Array.from(v.values())];
  if (v instanceof Hash) return ["hash", Array.from(v.entries()).sort()];
  if (v instanceof StringSet) return ["set", Array.from(v).sort()];
  return ["zset", Array.from((v as ZSet).entries())];
}

const file = rdbFile;

function only(bytes: Uint8Array): RedisValue {
  const entries = decodeRdb(bytes).dbs.get(0)!;
  assert.equal(entries.length, 1);
  return entries[0].value;
}

function assertRdbError(f: () => unknown, kind: RdbErrorKind, text?: string): RdbError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof RdbError, `not an RdbError: ${e}`);
    assert.equal(e.kind, kind, e.message);
    if (text !== undefined) assert.ok(e.message.includes(text), e.message);
    assert.ok(/\(RDB offset \d+\)$/.test(e.message), e.message);
    return e;
  }
  assert.fail("no error");
}

Deno.test("decoder reads plain LIST, SET and HASH of old files", () => {
  const list = file(6, (e) => {
    e.saveType(1);
    e.saveRawString("k");
    e.saveLen(3);
    for (const s of ["a", "12", "c".repeat(50)]) e.saveRawString(s);
  });
  assert.deepEqual(plain(only(list)), ["list", ["a", "12", "c".repeat(50)]]);
  const set = file(6, (e) => {
    e.saveType(2);
    e.saveRawString("k");
    e.saveLen(2);
    e.saveRawString("x");
    e.saveRawString("7");
  });
  assert.deepEqual(plain(only(set)), ["set", ["7", "x"]]);
  const hash = file(6, (e) => {
    e.saveType(4);
    e.saveRawString("k");
    e.saveLen(1);
    e.saveRawString("f");
    e.saveRawString("v");
  });
  assert.deepEqual(plain(only(hash)), ["hash", [["f", "v"]]]);
});

Deno.test("decoder reads ZSET with string scores including inf and -inf", () => {
  const bytes = file(7, (e) => {
    e.saveType(3);
    e.saveRawString("z");
    e.saveLen(4);
    e.saveRawString("a");
    e.saveDoubleValue(1.5);
    e.saveRawString("b");
    e.saveDoubleValue(Infinity);
    e.saveRawString("c");
    e.saveDoubleValue(-Infinity);
    e.saveRawString("d");
    e.saveDoubleValue(0.1);
  });
  assert.deepEqual(plain(only(bytes)), ["zset", [["c", -Infinity], ["d", 0.1], ["a", 1.5], [
    "b",
    Infinity,
  ]]]);
  const nan = file(7, (e) => {
    e.saveType(3);
    e.saveRawString("z");
    e.saveLen(1);
    e.saveRawString("a");
    e.saveDoubleValue(NaN);
  });
  assertRdbError(() => decodeRdb(nan), "corrupt", "Zset with NAN score detected");
});

Deno.test("decoder reads zipmap, ziplist and quicklist v1 encodings", () => {
  const zipmap = Uint8Array.of(1, 1, 0x66, 2, 0, 0x76, 0x76, 0xff);
  const hz = file(4, (e) => {
    e.saveType(9);
    e.saveRawString("h");
    e.saveRawBytes(zipmap);
  });
  assert.deepEqual(plain(only(hz)), ["hash", [["f", "vv"]]]);

  const lz = file(6, (e) => {
    e.saveType(10);
    e.saveRawString("l");
    e.saveRawBytes(buildZiplist(["a", "1", "-300", "x".repeat(100)]));
  });
  assert.deepEqual(plain(only(lz)), ["list", ["a", "1", "-300", "x".repeat(100)]]);

  const zz = file(6, (e) => {
    e.saveType(12);
    e.saveRawString("z");
    e.saveRawBytes(buildZiplist(["a", "2.5", "b", "1", "c", "inf"]));
  });
  assert.deepEqual(plain(only(zz)), ["zset", [["b", 1], ["a", 2.5], ["c", Infinity]]]);

  const hzl = file(6, (e) => {
    e.saveType(13);
    e.saveRawString("h");
    e.saveRawBytes(buildZiplist(["f1", "v1", "f2", "2"]));
  });
  assert.deepEqual(plain(only(hzl)), ["hash", [["f1", "v1"], ["f2", "2"]]]);

  const ql = file(8, (e) => {
    e.saveType(14);
    e.saveRawString("l");
    e.saveLen(2);
    e.saveRawBytes(buildZiplist(["a", "b"]));
    e.saveRawBytes(buildZiplist(["3"]));
  });
  assert.deepEqual(plain(only(ql)), ["list", ["a", "b", "3"]]);
});

Deno.test("decoder reads Redis 7.2's SET_LISTPACK", () => {
  const bytes = file(10, (e) => {
    e.saveType(20);
    e.saveRawString("s");
    e.saveRawBytes(listpackBytes(["a", "1", "b"]));
  });
  assert.deepEqual(plain(only(bytes)), ["set", ["1", "a", "b"]]);
});

Deno.test("decoder applies EXPIRETIME seconds, FREQ and IDLE to the next key only", () => {
  // Built by hand: EXPIRETIME takes a raw int32, FREQ a raw byte.
  const w = new ByteWriter(64);
  w.latin1("REDIS0009");
  w.byte(253);
  w.u32le(1_600_000_000);
  w.byte(249);
  w.byte(7);
  w.byte(0);
  w.byte(1);
  w.latin1("a");
  w.byte(1);
  w.latin1("1");
  w.byte(248);
  w.byte(42);
  w.byte(0);
  w.byte(1);
  w.latin1("b");
  w.byte(1);
  w.latin1("2");
  w.byte(0);
  w.byte(1);
  w.latin1("c");
  w.byte(1);
  w.latin1("3");
  w.byte(0xff);
  w.i64le(0); // checksum disabled
  const d = decodeRdb(w.copy());
  const [a, b, c] = d.dbs.get(0)!;
  assert.deepEqual([a.expireAtMs, a.lfuFreq, a.lruIdle], [1_600_000_000_000, 7, undefined]);
  assert.deepEqual([b.expireAtMs, b.lfuFreq, b.lruIdle], [undefined, undefined, 42]);
  assert.deepEqual([c.expireAtMs, c.lfuFreq, c.lruIdle], [undefined, undefined, undefined]);
});

Deno.test("decoder reads a version 4 file, which has no checksum", () => {
  const bytes = file(4, (e) => {
    e.saveType(0);
    e.saveRawString("k");
    e.saveRawString("v");
  });
  const d = decodeRdb(bytes);
  assert.equal(d.version, 4);
  assert.equal(d.endOffset, bytes.length);
});

Deno.test("decoder skips empty collections like Redis and counts them", () => {
  const bytes = file(10, (e) => {
    e.saveType(1);
    e.saveRawString("emptylist");
    e.saveLen(0);
    e.saveType(13);
    e.saveRawString("emptyziplist");
    e.saveRawBytes(buildZiplist([]));
    e.saveType(16);
    e.saveRawString("emptylistpack");
    e.saveRawBytes(listpackBytes([]));
    e.saveType(18);
    e.saveRawString("emptynodes");
    e.saveLen(1);
    e.saveLen(2);
    e.saveRawBytes(listpackBytes([]));
    e.saveType(0);
    e.saveRawString("k");
    e.saveRawString("v");
  });
  const d = decodeRdb(bytes);
  assert.equal(d.emptyKeysSkipped, 4);
  assert.deepEqual(d.dbs.get(0)!.map((e) => e.key), ["k"]);
});

Deno.test("decoder refuses bad magic and versions above 10", () => {
  const good = encodeRdb([]);
  const bad = good.slice();
  bad[0] = 0x58;
  assertRdbError(() => decodeRdb(bad), "version", "Wrong signature trying to load DB from file");
  const v11 = good.slice();
  v11[8] = 0x31;
  v11[7] = 0x31;
  assertRdbError(() => decodeRdb(v11), "version", "Can't handle RDB format version 11");
  const v0 = good.slice();
  v0[7] = 0x30;
  v0[8] = 0x30;
  assertRdbError(() => decodeRdb(v0), "version", "Can't handle RDB format version 0");
  assertRdbError(() => decodeRdb(new Uint8Array(3)), "eof", "Short read");
});

Deno.test("decoder reports every truncation as a short read", () => {
  const bytes = encodeRdb([{
    index: 1,
    entries: [
      ["s", "hello", 5],
      ["lzf", "abc".repeat(40), undefined],
      ["l", List.from(["a", "b", "1"]), undefined],
      ["h", Hash.from([["f", "v"]]), undefined],
      ["z", ZSet.from([["m", 1.5]]), undefined],
    ],
  }]);
  for (let n = 9; n < bytes.length; n++) {
    assertRdbError(() => decodeRdb(bytes.subarray(0, n)), "eof", "Short read or OOM loading DB");
  }
});

Deno.test("decoder refuses a wrong checksum unless told not to verify it", () => {
  const bytes = encodeRdb([{ index: 0, entries: [["key", "value", undefined]] }]);
  const at = String.fromCharCode(...bytes).indexOf("value");
  const bad = bytes.slice();
  bad[at] = 0x77;
  const e = assertRdbError(() => decodeRdb(bad), "checksum", "Wrong RDB checksum expected: (");
  assert.ok(e.message.includes("Aborting now"));
  assert.equal(decodeRdb(bad, { verifyChecksum: false }).dbs.get(0)![0].value, "walue");
  const zero = bad.slice();
  zero.fill(0, zero.length - 8);
  assert.equal(decodeRdb(zero).dbs.get(0)![0].value, "walue"); // 0 = saved without checksum
});

Deno.test("decoder refuses streams, modules, functions and too many dbs clearly", () => {
  for (const type of [15, 19, 21]) {
    const bytes = file(10, (e) => {
      e.saveType(type);
      e.saveRawString("stream");
      e.saveLen(0);
    });
    assertRdbError(() => decodeRdb(bytes), "unsupported", "stream values are not supported");
    // The load worker's form names the key too, though it never made a string of it.
    const viaSink = assertRdbError(
      () => new RdbDecoder(bytes).nextInto(new StringSink()),
      "unsupported",
      "stream values are not supported",
    );
    assert.equal(viaSink.reason, assertRdbError(() => decodeRdb(bytes), "unsupported").reason);
  }
  const moduleAux = file(10, (e) => {
    e.saveType(247);
    e.saveLen(12345 << 10);
  });
  assertRdbError(() => decodeRdb(moduleAux), "unsupported", "AUX module data");
  const moduleValue = file(10, (e) => {
    e.saveType(7);
    e.saveRawString("k");
    e.saveLen(1 << 10);
  });
  assertRdbError(() => decodeRdb(moduleValue), "unsupported", "module data");
  assert.equal(
    assertRdbError(() => new RdbDecoder(moduleValue).nextInto(new StringSink()), "unsupported")
      .reason,
    assertRdbError(() => decodeRdb(moduleValue), "unsupported").reason,
  );
  const fn = file(10, (e) => {
    e.saveType(245);
    e.saveRawString("#!lua name=lib\nredis.register_function('f', function() end)");
  });
  assertRdbError(() => decodeRdb(fn), "unsupported", "function libraries");
  const db16 = file(10, (e) => {
    e.saveType(254);
    e.saveLen(16);
  });
  assertRdbError(() => decodeRdb(db16), "unsupported", "more than 16 databases");
  assert.doesNotThrow(() => decodeRdb(db16, { databases: 32 }));
});

Deno.test("decoder refuses structural corruption with Redis's reasons", () => {
  const cases: [string, (e: RdbEncoder) => void, string][] = [
    ["unknown type", (e) => {
      e.saveType(30);
      e.saveRawString("k");
    }, "Unknown RDB encoding type 30"],
    ["dup set member", (e) => {
      e.saveType(2);
      e.saveRawString("k");
      e.saveLen(2);
      e.saveRawString("a");
      e.saveRawString("a");
    }, "Duplicate set members detected"],
    ["dup hash field", (e) => {
      e.saveType(4);
      e.saveRawString("k");
      e.saveLen(2);
      for (const s of ["f", "1", "f", "2"]) e.saveRawString(s);
    }, "Duplicate hash fields detected"],
    ["dup zset member", (e) => {
      e.saveType(5);
      e.saveRawString("k");
      e.saveLen(2);
      e.saveRawString("m");
      e.saveBinaryDouble(1);
      e.saveRawString("m");
      e.saveBinaryDouble(2);
    }, "Duplicate zset fields detected"],
    ["nan score", (e) => {
      e.saveType(5);
      e.saveRawString("k");
      e.saveLen(1);
      e.saveRawString("m");
      e.saveBinaryDouble(NaN);
    }, "Zset with NAN score detected"],
    ["bad container", (e) => {
      e.saveType(18);
      e.saveRawString("k");
      e.saveLen(1);
      e.saveLen(3);
      e.saveRawString("x");
    }, "Quicklist integrity check failed."],
    ["bad listpack", (e) => {
      e.saveType(18);
      e.saveRawString("k");
      e.saveLen(1);
      e.saveLen(2);
      e.saveRawString("not a listpack");
    }, "Listpack integrity check failed."],
    ["odd hash listpack", (e) => {
      e.saveType(16);
      e.saveRawString("k");
      e.saveRawBytes(listpackBytes(["f"]));
    }, "Hash listpack integrity check failed."],
    ["bad intset", (e) => {
      e.saveType(11);
      e.saveRawString("k");
      e.saveRawString("xxxxxxxxxxxx");
    }, "Intset integrity check failed."],
    ["bad string encoding", (e) => {
      e.saveType(0);
      e.saveRawString("k");
      e.saveType(0xc4);
    }, "Unknown RDB string encoding type 4"],
    ["bad lzf", (e) => {
      e.saveType(0);
      e.saveRawString("k");
      e.saveType(0xc3);
      e.saveLen(3);
      e.saveLen(10);
      e.saveType(0xe0);
      e.saveType(0x05);
      e.saveType(0x10);
    }, "Invalid LZF compressed string"],
    ["absurd lzf length", (e) => {
      e.saveType(0);
      e.saveRawString("k");
      e.saveType(0xc3);
      e.saveLen(1);
      e.saveLen(2 ** 40);
      e.saveType(0);
    }, "Invalid LZF compressed string"],
  ];
  for (const [name, body, reason] of cases) {
    const err = assertRdbError(() => decodeRdb(file(10, body)), "corrupt", reason);
    assert.ok(err.offset >= 9, name);
  }
});

Deno.test("DUMP payload bodies are checked like RESTORE checks them", () => {
  const mk = (body: number[]) => {
    const out = new Uint8Array(body.length + 10);
    out.set(body);
    out[body.length] = 10;
    new DataView(out.buffer).setBigUint64(
      body.length + 2,
      crc64(0n, out.subarray(0, body.length + 2)),
      true,
    );
    return out;
  };
  assert.equal(decodeDumpPayload(mk([0, 1, 0x61])), "a");
  assertRdbError(() => decodeDumpPayload(mk([0xfe, 0])), "corrupt", "Bad data format");
  assertRdbError(() => decodeDumpPayload(mk([0, 5, 0x61])), "eof");
  assertRdbError(() => decodeDumpPayload(mk([1, 0])), "corrupt", "Bad data format");
  assertRdbError(() => decodeDumpPayload(mk([15, 0])), "unsupported", "stream");
});

/** xorshift32: a repeatable stream of pseudo-random numbers. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

Deno.test("decoder only ever throws RdbError on randomly mutated files", () => {
  const sample = encodeRdb([{
    index: 0,
    entries: [
      ["s", "hello", 1234],
      ["i", "-300", undefined],
      ["lzf", "abcabcabcabcabcabcabcabcabcabcabc", undefined],
      ["l", List.from(["a", "1", "x".repeat(70)]), undefined],
      ["hl", Hash.from([["f", "v"], ["n", "5"]]), undefined],
      ["hh", Hash.from(Array.from({ length: 130 }, (_, i) => [`f${i}`, `${i}`])), undefined],
      ["si", StringSet.from(["1", "2", "70000"]), undefined],
      ["sh", StringSet.from(["a", "b"]), undefined],
      ["zl", ZSet.from([["a", 1], ["b", 2.5]]), undefined],
      [
        "zs",
        ZSet.from(Array.from({ length: 130 }, (_, i) => [`m${i}`, i] as [string, number])),
        undefined,
      ],
    ],
  }, { index: 5, entries: [["k", "v", undefined]] }]);
  const random = rng(20240601);
  let ok = 0;
  for (let iter = 0; iter < 3000; iter++) {
    const bytes = sample.slice();
    const flips = 1 + Math.floor(random() * 4);
    for (let k = 0; k < flips; k++) {
      const at = 9 + Math.floor(random() * (bytes.length - 9));
      bytes[at] = random() < 0.5
        ? Math.floor(random() * 256)
        : bytes[at] ^ (1 << Math.floor(random() * 8));
    }
    const input = random() < 0.1 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
    for (const verifyChecksum of [false, true]) {
      const plainOutcome = drainOutcome(iter, () => {
        const dec = new RdbDecoder(input, { verifyChecksum });
        let keys = 0;
        while (dec.next() !== undefined) keys++;
        return keys;
      });
      // The load worker's form decodes the same keys and fails the same way.
      const sinkOutcome = drainOutcome(iter, () => {
        const dec = new RdbDecoder(input, { verifyChecksum });
        let keys = 0;
        while (dec.nextInto(new StringSink()) !== undefined) keys++;
        return keys;
      });
      assert.equal(sinkOutcome, plainOutcome, `iteration ${iter}`);
      if (plainOutcome.startsWith("ok")) ok++;
    }
  }
  assert.ok(ok >= 0);
});

/** "ok <keys>" or "error <reason> at <offset>"; anything but an RdbError fails the test. */
function drainOutcome(iter: number, drain: () => number): string {
  try {
    return `ok ${drain()}`;
  } catch (e) {
    if (!(e instanceof RdbError)) throw new Error(`iteration ${iter}: ${e}`, { cause: e });
    return `error ${e.reason} at ${e.offset}`;
  }
}

Deno.test("decoder only ever throws RdbError on random bytes after a valid magic", () => {
  const random = rng(7);
  for (let iter = 0; iter < 2000; iter++) {
    const n = 9 + Math.floor(random() * 200);
    const bytes = new Uint8Array(n);
    for (let i = 9; i < n; i++) bytes[i] = Math.floor(random() * 256);
    bytes.set(Uint8Array.from("REDIS0010", (c) => c.charCodeAt(0)));
    try {
      decodeRdb(bytes, { verifyChecksum: false });
    } catch (e) {
      if (!(e instanceof RdbError)) throw new Error(`iteration ${iter}: ${e}`, { cause: e });
    }
    try {
      decodeDumpPayload(bytes.subarray(9), { verifyChecksum: false });
    } catch (e) {
      if (!(e instanceof RdbError)) throw new Error(`dump ${iter}: ${e}`, { cause: e });
    }
  }
});

Deno.test("decoder refuses a repeated member or field in large collections too", () => {
  const many = (n: number, at: number) =>
    Array.from({ length: n }, (_, i) => (i === at ? "m3" : `m${i}`));
  const cases: [string, (e: RdbEncoder) => void, string][] = [
    ["set", (e) => {
      e.saveType(2);
      e.saveRawString("k");
      e.saveLen(40);
      for (const m of many(40, 39)) e.saveRawString(m);
    }, "Duplicate set members detected"],
    ["hash", (e) => {
      e.saveType(4);
      e.saveRawString("k");
      e.saveLen(40);
      for (const m of many(40, 39)) {
        e.saveRawString(m);
        e.saveRawString("v");
      }
    }, "Duplicate hash fields detected"],
    ["zset", (e) => {
      e.saveType(5);
      e.saveRawString("k");
      e.saveLen(40);
      for (const m of many(40, 39)) {
        e.saveRawString(m);
        e.saveBinaryDouble(1);
      }
    }, "Duplicate zset fields detected"],
    ["set listpack", (e) => {
      e.saveType(20);
      e.saveRawString("k");
      e.saveRawBytes(listpackBytes(many(40, 39)));
    }, "Set listpack integrity check failed."],
    ["hash listpack", (e) => {
      e.saveType(16);
      e.saveRawString("k");
      e.saveRawBytes(listpackBytes(many(40, 39).flatMap((m) => [m, "v"])));
    }, "Hash listpack integrity check failed."],
    ["zset listpack", (e) => {
      e.saveType(17);
      e.saveRawString("k");
      e.saveRawBytes(listpackBytes(many(40, 39).flatMap((m) => [m, "1"])));
    }, "Zset listpack integrity check failed."],
    ["small hash listpack", (e) => {
      e.saveType(16);
      e.saveRawString("k");
      e.saveRawBytes(listpackBytes(many(5, 4).flatMap((m) => [m, "v"])));
    }, "Hash listpack integrity check failed."],
  ];
  for (const [name, body, reason] of cases) {
    const err = assertRdbError(() => decodeRdb(file(10, body)), "corrupt", reason);
    assert.ok(err.offset >= 9, name);
  }
});

/** A sink like the load worker's: every string appended, as a byte string. */
class StringSink {
  strings: string[] = [];
  get count(): number {
    return this.strings.length;
  }
  append(bytes: Uint8Array, start: number, end: number): void {
    this.strings.push(String.fromCharCode(...bytes.subarray(start, end)));
  }
  truncate(count: number): void {
    this.strings.length = Math.min(count, this.strings.length);
  }
  stringAt(k: number): string {
    return this.strings[k];
  }
}

Deno.test("nextInto appends keys and string values to the sink, other values as nextPlain", () => {
  const long = "abc".repeat(40); // LZF-compressed
  const bytes = file(10, (e) => {
    e.saveType(0);
    e.saveRawString("plain");
    e.saveRawString("v\u00ff");
    e.saveType(0);
    e.saveRawString("12345"); // int-encoded key and value
    e.saveRawString("-7");
    e.saveType(1);
    e.saveRawString("emptylist");
    e.saveLen(0);
    e.saveType(0);
    e.saveRawString(long);
    e.saveRawString(long + "x");
    e.saveType(16);
    e.saveRawString("hash");
    e.saveRawBytes(listpackBytes(["f", "1"]));
  });
  const ref = new RdbDecoder(bytes);
  const expected = [];
  for (let e = ref.nextPlain(); e !== undefined; e = ref.nextPlain()) expected.push(e);
  const sink = new StringSink();
  const d = new RdbDecoder(bytes);
  const got = [];
  for (let e = d.nextInto(sink); e !== undefined; e = d.nextInto(sink)) got.push(e);
  assert.equal(got.length, 4);
  assert.deepEqual(sink.strings, ["plain", "v\u00ff", "12345", "-7", long, long + "x", "hash"]);
  assert.deepEqual(got.slice(0, 3).map((e) => e.value), [undefined, undefined, undefined]);
  assert.deepEqual(got[3].value, expected[3].value);
  assert.deepEqual(got.map((e) => e.bodyStart), expected.map((e) => e.bodyStart));
  assert.equal(d.emptyKeysSkipped, 1);
  assert.equal(d.offset, bytes.length);
});
