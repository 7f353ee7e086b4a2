import assert from "node:assert/strict";
import { ReplicationBacklog } from "../../../src/replication/backlog.ts";

function bytes(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) % 251);
}

Deno.test("the backlog holds the newest bytes by stream offset", () => {
  const b = new ReplicationBacklog(16 * 1024, 100);
  b.append(bytes(20_000));
  assert.equal(b.masterOffset, 20_100);
  assert.equal(b.histlen, 16 * 1024);
  assert.equal(b.firstByteOffset, 20_100 - 16 * 1024 + 1);
  assert.ok(!b.covers(101));
  assert.ok(b.covers(b.firstByteOffset));
  assert.deepEqual(b.readFrom(20_091), bytes(20_000).subarray(19_990));
});

Deno.test("resize keeps the newest bytes and their offsets", () => {
  const b = new ReplicationBacklog(64 * 1024, 0);
  const data = bytes(40_000);
  b.append(data);
  b.resize(16 * 1024);
  assert.equal(b.size, 16 * 1024);
  assert.equal(b.masterOffset, 40_000);
  assert.equal(b.histlen, 16 * 1024);
  assert.deepEqual(b.readFrom(b.firstByteOffset), data.subarray(40_000 - 16 * 1024));
  b.resize(1024 * 1024);
  assert.equal(b.histlen, 16 * 1024);
  b.append(bytes(10, 7));
  assert.equal(b.masterOffset, 40_010);
  assert.deepEqual(b.readFrom(40_001), bytes(10, 7));
});

Deno.test("the buffer is never smaller than 16kb", () => {
  assert.equal(new ReplicationBacklog(1, 0).size, 16 * 1024);
});
