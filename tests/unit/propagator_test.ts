import assert from "node:assert/strict";
import { Propagator, type StreamSink } from "../../src/propagator.ts";
import { bytesToString } from "../../src/util/bytes.ts";

/** A sink that keeps a copy of each unit, as the contract asks. */
function recordingSink(kind: StreamSink["kind"]): StreamSink & { units: string[] } {
  const units: string[] = [];
  return { kind, selectedDb: -1, units, write: (bytes) => units.push(bytesToString(bytes)) };
}

Deno.test("Propagator hands each sink the bytes of every unit, one after the other", () => {
  const p = new Propagator();
  const repl = recordingSink("replication");
  const aof = recordingSink("aof");
  p.addSink(repl);
  p.addSink(aof);
  p.add(0, ["SET", "k", "v1"]);
  p.add(0, ["SET", "k", "v2"]);
  p.add(0, ["PUBLISH", "ch", "m"], "replication");
  const select = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n";
  assert.deepEqual(repl.units, [
    select + "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n",
    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv2\r\n",
    "*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$1\r\nm\r\n",
  ]);
  assert.deepEqual(aof.units, repl.units.slice(0, 2));
});

Deno.test("Propagator encodes a unit larger than its scratch buffer whole", () => {
  const p = new Propagator();
  const sink = recordingSink("replication");
  sink.selectedDb = 0;
  p.addSink(sink);
  const big = "x".repeat(200_000);
  p.add(0, ["SET", "big", big]);
  p.add(0, ["SET", "small", "y"]);
  assert.equal(sink.units[0], `*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${big.length}\r\n${big}\r\n`);
  assert.equal(sink.units[1], "*3\r\n$3\r\nSET\r\n$5\r\nsmall\r\n$1\r\ny\r\n");
});

Deno.test("Propagator wraps the writes of one call in MULTI/EXEC", () => {
  const p = new Propagator();
  const sink = recordingSink("replication");
  sink.selectedDb = 0;
  p.addSink(sink);
  p.begin();
  p.add(0, ["INCR", "a"]);
  p.add(0, ["INCR", "b"]);
  p.end();
  assert.deepEqual(sink.units, [
    "*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*2\r\n$4\r\nINCR\r\n$1\r\nb\r\n*1\r\n$4\r\nEXEC\r\n",
  ]);
});
