import assert from "node:assert/strict";
import { PREFETCH_MAX_REQUESTS, scanFirstKeys } from "../../../src/net/key_prefetch.ts";
import { encodeCommand } from "../../../src/net/resp.ts";
import { hashKey } from "../../../src/store/key_table.ts";
import { stringToBytes } from "../../../src/util/bytes.ts";

/** Where the scans put their hashes, as the server's is: PREFETCH_MAX_REQUESTS of them. */
const out = new Int32Array(PREFETCH_MAX_REQUESTS);

function scannedHashes(n: number): number[] {
  return Array.from(out.subarray(0, n));
}

function requests(...argvs: string[][]): Uint8Array {
  return stringToBytes(argvs.map(encodeCommand).join(""));
}

Deno.test("scanFirstKeys hashes the second argument of each complete request", () => {
  const buf = requests(["SET", "k1", "v"], ["GET", "k2"], ["HSET", "h", "f", "v"]);
  assert.equal(scanFirstKeys(buf, 0, buf.length, out), 3);
  assert.deepEqual(scannedHashes(3), [hashKey("k1"), hashKey("k2"), hashKey("h")]);
});

Deno.test("scanFirstKeys skips requests without a key and stops at an incomplete one", () => {
  const buf = requests(["PING"], ["GET", "a"], ["SET", "b", "value"]);
  // Cut inside the last request's value.
  const n = scanFirstKeys(buf, 0, buf.length - 4, out);
  assert.equal(n, 1);
  assert.deepEqual(scannedHashes(1), [hashKey("a")]);
});

Deno.test("scanFirstKeys stops at inline requests and at bytes that are not RESP", () => {
  const inline = stringToBytes("GET a\r\n");
  assert.equal(scanFirstKeys(inline, 0, inline.length, out), 0);
  const bad = stringToBytes("*2\r\n$3\r\nGET\r\n$x\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n");
  assert.equal(scanFirstKeys(bad, 0, bad.length, out), 0);
  const negative = stringToBytes("*-1\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n");
  assert.equal(scanFirstKeys(negative, 0, negative.length, out), 0);
});

Deno.test("scanFirstKeys looks at most PREFETCH_MAX_REQUESTS ahead, from where it is told", () => {
  const argvs = Array.from({ length: PREFETCH_MAX_REQUESTS + 5 }, (_, i) => ["GET", `key${i}`]);
  const buf = requests(...argvs);
  assert.equal(scanFirstKeys(buf, 0, buf.length, out), PREFETCH_MAX_REQUESTS);
  const second = encodeCommand(argvs[0]).length;
  assert.equal(scanFirstKeys(buf, second, buf.length, out), PREFETCH_MAX_REQUESTS);
  assert.equal(scannedHashes(1)[0], hashKey("key1"));
});
