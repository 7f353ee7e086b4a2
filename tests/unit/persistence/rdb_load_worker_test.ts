/**
 * `loadRdb` (decoding in the load worker) against `loadRdbBytes` (all on the
 * main thread): the same dataset, counts, aux fields and log lines for every
 * type and encoding, and the same refusal, leaving the old data, for a bad file.
 */
import { Hash } from "../../../src/store/hash.ts";
import assert from "node:assert/strict";
import { encodeRdb } from "../../../src/persistence/rdb_encoder.ts";
import { RdbError } from "../../../src/persistence/rdb_decoder.ts";
import {
  loadRdb,
  loadRdbBytes,
  type RdbLoadOptions,
  type RdbLoadResult,
  startRdbStreamLoad,
} from "../../../src/persistence/rdb_loader.ts";
import { buildZiplist } from "../../../src/persistence/ziplist.ts";
import { listpackBytes, rdbFile } from "../../helpers/rdb_files.ts";
import { Keyspace, typeOf } from "../../../src/store/keyspace.ts";
import { List } from "../../../src/store/list.ts";
import { ZSet } from "../../../src/store/zset.ts";
import type { RedisValue } from "../../../src/store/types.ts";
import { PackedValue, type StoredValue } from "../../../src/store/packed.ts";
import { log } from "../../../src/log.ts";
import { StringSet } from "../../../src/store/set.ts";

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
const HIGH_BYTES = Array.from({ length: 128 }, (_, i) => String.fromCharCode(128 + i)).join("");

/**
 * A comparable form of a value, checking the structures' own invariants on
 * the way; a packed value compares as what it unpacks to.
 */
function plain(stored: StoredValue): unknown {
  const v = stored instanceof PackedValue ? stored.unpack() : stored;
  if (typeof v === "string") return v;
  if (v instanceof List) {
    v.verify();
    return ["list", v.toArray()];
  }
  if (v instanceof ZSet) {
    v.verify();
    return ["zset", Array.from(v.entries()), v.encoding, v.memberBytes, v.maxMemberLength];
  }
  if (v instanceof Hash) return ["hash", Array.from(v.entries())];
  return ["set", Array.from(v)];
}

/** Every db of `ks` as comparable data: keys in insertion order, values, expires. */
function snapshot(ks: Keyspace): unknown[] {
  return ks.dbs.map((db) => [
    Array.from(db.dict, ([k, v]) => [k, plain(v)]),
    Array.from(db.expires),
    db.avgTtl,
  ]);
}

function zsetOf(entries: [string, number][]): ZSet {
  const z = new ZSet();
  for (const [m, s] of entries) z.add(m, s);
  return z;
}

/** One value of every type and Redis 7.0 encoding, binary included. */
function sampleValues(): [string, RedisValue][] {
  return [
    ["str", "hello"],
    ["str:empty", ""],
    ["str:int", "-2000000000"],
    ["str:lzf", "abc".repeat(100)],
    ["str:all-bytes", ALL_BYTES],
    ["str:high\x80\xff", HIGH_BYTES.repeat(3)],
    ["list:small", List.from(["a", "1", "-5", "\x80\x9f\xff", ""])],
    ["list:big", List.from(Array.from({ length: 5000 }, (_, i) => `item${i}`))],
    ["hash:lp", Hash.from([["f", "v"], ["n", "7"], ["\xfe", "\x80"]])],
    ["hash:lp-same-fields", Hash.from([["f", "w"], ["n", "8"], ["\xfe", "\x81"]])],
    ["hash:ht", Hash.from(Array.from({ length: 200 }, (_, i) => [`f${i}`, `v${i}\xe9`]))],
    ["hash:ht-long", Hash.from([["f", "v".repeat(65)]])],
    ["set:intset", StringSet.from(["1", "2", "-3", "100000", "5000000000"])],
    ["set:ht", StringSet.from(["a", "b", "1", "\x80\x81"])],
    ["set:ht-count", StringSet.from(Array.from({ length: 600 }, (_, i) => String(i)))],
    ["zset:lp", zsetOf([["a", 1.5], ["b", 2], ["c", -0.1], ["d", Infinity], ["\xff", 1e17]])],
    ["zset:sl", zsetOf(Array.from({ length: 200 }, (_, i) => [`m${i % 7}:${i}`, i % 10]))],
    ["zset:sl-long", zsetOf([["m".repeat(65), 1], ["x", -Infinity], ["y", -Infinity]])],
  ];
}

/** Keys in all 16 dbs, with expire times in the past and the future, more than a batch. */
function sampleFile(): Uint8Array {
  const now = Date.now();
  const dbs = [];
  for (let db = 0; db < 16; db++) {
    const entries: [string, RedisValue, number | undefined][] = [];
    for (const [key, value] of sampleValues()) {
      entries.push([`${key}:${db}`, value, undefined]);
      entries.push([`${key}:${db}:future`, value, now + 3_600_000]);
      entries.push([`${key}:${db}:past`, value, now - 3_600_000]);
    }
    dbs.push({ index: db, entries });
  }
  // Db 3 gets many small keys so that it spans several batches, hashes of one shape among them.
  const many = dbs[3].entries;
  for (let i = 0; i < 12_000; i++) {
    if (i % 3 === 0) many.push([`h${i}`, Hash.from([["a", `${i}`], ["b", "x"]]), undefined]);
    else if (i % 3 === 1) {
      many.push([`s${i}\x80`, `v${i}`, i % 2 ? now + 3_600_000 + 1000 * i : undefined]);
    } else many.push([`z${i}`, zsetOf([["p", i], ["q", -i]]), undefined]);
  }
  return encodeRdb(dbs, { ctime: 1_700_000_000, usedMem: 123456789 });
}

/** Lines logged while `f` runs. */
async function logged<T>(f: () => Promise<T> | T): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const original = log.raw;
  // Without the time stamp, and the age in seconds may tick between two loads.
  log.raw = (line: string) =>
    lines.push(
      line.replace(/^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ /, "").replace(/RDB age \d+/, "RDB age N"),
    );
  try {
    return { result: await f(), lines };
  } finally {
    log.raw = original;
  }
}

/** `bytes` loaded both ways into fresh keyspaces, each with its result and log lines. */
async function loadBothWays(bytes: Uint8Array, opts: RdbLoadOptions) {
  const syncKs = new Keyspace(16);
  const sync = await logged(() => loadRdbBytes(bytes, syncKs, opts));
  const workerKs = new Keyspace(16);
  const worker = await logged(() =>
    loadRdb({ kind: "bytes", bytes: bytes.slice() }, workerKs, opts)
  );
  return { syncKs, sync, workerKs, worker };
}

function sameResult(a: RdbLoadResult, b: RdbLoadResult): void {
  assert.equal(b.keysLoaded, a.keysLoaded);
  assert.equal(b.keysExpired, a.keysExpired);
  assert.equal(b.endOffset, a.endOffset);
  assert.deepEqual(b.aux, a.aux);
}

for (const dropExpired of [true, false]) {
  Deno.test(`the worker load yields the same dataset and log lines as loadRdbBytes (dropExpired ${dropExpired})`, async () => {
    const bytes = sampleFile();
    const opts = { dropExpired, verifyChecksum: true };
    const { syncKs, sync, workerKs, worker } = await loadBothWays(bytes, opts);
    sameResult(sync.result, worker.result);
    assert.ok(sync.result.keysLoaded > 12_000);
    assert.equal(sync.result.keysExpired > 0, dropExpired);
    assert.deepEqual(snapshot(workerKs), snapshot(syncKs));
    assert.deepEqual(worker.lines, sync.lines);
    assert.equal(worker.lines.length, 4);
    assert.match(worker.lines[0], /Loading RDB produced by version 7\.0\.15/);
    assert.match(worker.lines[3], /Done loading RDB, keys loaded: \d+, keys expired: \d+\./);
  });
}

Deno.test("the worker reads the file itself when given a path", async () => {
  const bytes = sampleFile();
  const path = await Deno.makeTempFile({ suffix: ".rdb" });
  try {
    await Deno.writeFile(path, bytes);
    const opts = { dropExpired: true, verifyChecksum: true };
    const syncKs = new Keyspace(16);
    const sync = await logged(() => loadRdbBytes(bytes, syncKs, opts));
    const workerKs = new Keyspace(16);
    const worker = await logged(() => loadRdb({ kind: "path", path }, workerKs, opts));
    sameResult(sync.result, worker.result);
    assert.deepEqual(snapshot(workerKs), snapshot(syncKs));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a bytes source that is part of a larger buffer is copied, not detached", async () => {
  const bytes = sampleFile();
  const larger = new Uint8Array(bytes.length + 10);
  larger.set(bytes, 5);
  const view = larger.subarray(5, 5 + bytes.length);
  const ks = new Keyspace(16);
  await logged(() =>
    loadRdb({ kind: "bytes", bytes: view }, ks, { dropExpired: false, verifyChecksum: true })
  );
  assert.equal(view.length, bytes.length);
  assert.deepEqual(view, bytes);
});

const rawFile = rdbFile;

Deno.test("the worker load reads the older encodings like loadRdbBytes", async () => {
  const bytes = rawFile(9, (e) => {
    e.saveType(9); // zipmap
    e.saveRawString("hz");
    e.saveRawBytes(Uint8Array.of(1, 1, 0x66, 2, 0, 0x76, 0x76, 0xff));
    e.saveType(10); // list ziplist
    e.saveRawString("lz");
    e.saveRawBytes(buildZiplist(["a", "1", "-300", "x".repeat(100)]));
    e.saveType(12); // zset ziplist
    e.saveRawString("zz");
    e.saveRawBytes(buildZiplist(["a", "2.5", "b", "1", "c", "inf"]));
    e.saveType(13); // hash ziplist
    e.saveRawString("hzl");
    e.saveRawBytes(buildZiplist(["f1", "v1", "f2", "2"]));
    e.saveType(14); // quicklist v1
    e.saveRawString("ql");
    e.saveLen(2);
    e.saveRawBytes(buildZiplist(["a", "b"]));
    e.saveRawBytes(buildZiplist(["3"]));
    e.saveType(20); // 7.2's set listpack
    e.saveRawString("slp");
    e.saveRawBytes(listpackBytes(["x", "y", "7"]));
    e.saveType(3); // zset with string scores
    e.saveRawString("zs");
    e.saveLen(2);
    e.saveRawString("m");
    e.saveDoubleValue(1.5);
    e.saveRawString("n");
    e.saveDoubleValue(-Infinity);
    e.saveType(2); // plain set, more members than a scan checks
    e.saveRawString("s");
    e.saveLen(40);
    for (let i = 0; i < 40; i++) e.saveRawString(`m${i}`);
  });
  const opts = { dropExpired: true, verifyChecksum: true };
  const { syncKs, sync, workerKs, worker } = await loadBothWays(bytes, opts);
  sameResult(sync.result, worker.result);
  assert.equal(worker.result.keysLoaded, 8);
  assert.deepEqual(snapshot(workerKs), snapshot(syncKs));
});

/** The error `f` rejects or throws with. */
async function failure(f: () => unknown): Promise<RdbError> {
  try {
    await f();
  } catch (err) {
    assert.ok(err instanceof RdbError, String(err));
    return err;
  }
  assert.fail("no error");
}

Deno.test("a corrupt, truncated or badly checksummed file is refused alike and the old data stays", async () => {
  const good = sampleFile();
  const badCrc = good.slice();
  badCrc[badCrc.length - 1] ^= 0xff;
  const corrupt = good.slice();
  corrupt[good.length - 200] = 0xfe; // an unknown type byte near the end
  const dupInBigSet = rawFile(10, (e) => {
    e.saveType(2);
    e.saveRawString("s");
    e.saveLen(30);
    for (let i = 0; i < 30; i++) e.saveRawString(i === 29 ? "m3" : `m${i}`);
  });
  const cases: [string, Uint8Array][] = [
    ["bad checksum", badCrc],
    ["truncated", good.subarray(0, good.length - 5000)],
    ["truncated header", good.subarray(0, 5)],
    ["corrupt", corrupt],
    ["duplicate member", dupInBigSet],
    ["bad magic", Uint8Array.from("REDIX0010xxxxxxxx", (c) => c.charCodeAt(0))],
  ];
  for (const [name, bytes] of cases) {
    const opts = { dropExpired: true, verifyChecksum: true };
    const syncKs = new Keyspace(16);
    syncKs.dbs[0].set("old", "data");
    const syncLog = await logged(() => failure(() => loadRdbBytes(bytes, syncKs, opts)));
    const workerKs = new Keyspace(16);
    workerKs.dbs[0].set("old", "data");
    const workerLog = await logged(() =>
      failure(() => loadRdb({ kind: "bytes", bytes: bytes.slice() }, workerKs, opts))
    );
    const [a, b] = [syncLog.result, workerLog.result];
    assert.equal(b.message, a.message, name);
    assert.equal(b.kind, a.kind, name);
    assert.equal(b.offset, a.offset, name);
    assert.equal(b.reason, a.reason, name);
    assert.deepEqual(workerLog.lines, syncLog.lines, name);
    assert.deepEqual(snapshot(workerKs), snapshot(syncKs), name);
    assert.equal(workerKs.dbs[0].dict.get("old"), "data", name);
    assert.equal(workerKs.dbs[0].size, 1, name);
  }
});

Deno.test("a missing file given by path is a plain error, not an RdbError", async () => {
  const ks = new Keyspace(16);
  await assert.rejects(
    () =>
      loadRdb({ kind: "path", path: "/nonexistent/dump.rdb" }, ks, {
        dropExpired: true,
        verifyChecksum: true,
      }),
    (err) => !(err instanceof RdbError) && err instanceof Error,
  );
});

/** Feeds `bytes` to a stream load in pieces of `size` bytes, letting the worker run in between. */
async function streamIn(
  bytes: Uint8Array,
  size: number,
  keyspace: Keyspace,
  opts: RdbLoadOptions,
): Promise<RdbLoadResult> {
  const load = startRdbStreamLoad(keyspace, opts);
  for (let at = 0; at < bytes.length; at += size) {
    load.push(bytes.slice(at, Math.min(bytes.length, at + size))); // push takes the buffer
    if ((at / size) % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return await load.end();
}

Deno.test("a load fed in chunks of any size as they arrive yields the same dataset", async () => {
  const bytes = sampleFile();
  const opts = { dropExpired: true, verifyChecksum: true };
  const syncKs = new Keyspace(16);
  const sync = await logged(() => loadRdbBytes(bytes, syncKs, opts));
  for (const size of [1 << 20, 65536, 4093, 7]) {
    if (size < 1000 && bytes.length / size > 200_000) continue;
    const ks = new Keyspace(16);
    const streamed = await logged(() => streamIn(bytes, size, ks, opts));
    sameResult(sync.result, streamed.result);
    assert.deepEqual(snapshot(ks), snapshot(syncKs), `chunks of ${size}`);
    assert.deepEqual(streamed.lines, sync.lines, `chunks of ${size}`);
  }
});

Deno.test("a stream load logs nothing and installs nothing before end()", async () => {
  const bytes = sampleFile();
  const ks = new Keyspace(16);
  ks.dbs[0].set("old", "data");
  const { lines } = await logged(async () => {
    const load = startRdbStreamLoad(ks, { dropExpired: false, verifyChecksum: true });
    load.push(bytes);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(ks.dbs[0].dict.get("old"), "data");
    load.abort();
    await assert.rejects(() => load.end());
  });
  assert.deepEqual(lines, []);
  assert.equal(ks.dbs[0].dict.get("old"), "data");
});

Deno.test("a stream that ends early or carries a bad checksum is refused like the whole file", async () => {
  const good = sampleFile();
  const badCrc = good.slice();
  badCrc[badCrc.length - 3] ^= 0x01;
  for (const bytes of [good.subarray(0, good.length - 777), badCrc, good.subarray(0, 4)]) {
    const opts = { dropExpired: true, verifyChecksum: true };
    const syncKs = new Keyspace(16);
    const a = await logged(() => failure(() => loadRdbBytes(bytes, syncKs, opts)));
    const ks = new Keyspace(16);
    ks.dbs[2].set("old", "data");
    const b = await logged(() => failure(() => streamIn(bytes, 50_000, ks, opts)));
    assert.equal(b.result.message, a.result.message);
    assert.equal(b.result.kind, a.result.kind);
    assert.deepEqual(b.lines, a.lines);
    assert.equal(ks.dbs[2].dict.get("old"), "data");
  }
});

Deno.test("the worker leaves small collections packed; a lookup unpacks one in place", async () => {
  const ks = new Keyspace(16);
  await loadRdb({ kind: "bytes", bytes: sampleFile() }, ks, {
    dropExpired: false,
    verifyChecksum: true,
  });
  const db = ks.dbs[0];
  for (const key of ["list:small:0", "hash:lp:0", "set:intset:0", "zset:lp:0", "hash:ht-long:0"]) {
    assert.ok(db.dict.get(key) instanceof PackedValue, key);
  }
  for (const key of ["list:big:0", "hash:ht:0", "set:ht-count:0", "str:0"]) {
    assert.ok(!(db.dict.get(key) instanceof PackedValue), key);
  }
  assert.equal(typeOf(db.dict.get("zset:lp:0")!), "zset");
  const hash = db.lookupRead("hash:lp:0");
  assert.ok(hash instanceof Hash);
  assert.deepEqual([...hash], [["f", "v"], ["n", "7"], ["\xfe", "\x80"]]);
  assert.equal(db.dict.get("hash:lp:0"), hash);
  const list = db.lookupWrite("list:small:0");
  assert.ok(list instanceof List);
  assert.equal(db.dict.get("list:small:0"), list);
  assert.ok(db.peek("set:intset:0") instanceof StringSet);
});
