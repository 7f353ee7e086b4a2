import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha1 } from "../../../src/util/sha1.ts";

Deno.test("sha1 matches node:crypto for every length up to 300 bytes", () => {
  let seed = 1;
  for (let len = 0; len <= 300; len++) {
    const data = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      data[i] = seed & 0xff;
    }
    const expected = new Uint8Array(createHash("sha1").update(data).digest());
    assert.deepEqual(sha1(data), expected, `length ${len}`);
  }
});

Deno.test("sha1 of 'abc' is the FIPS 180 test vector", () => {
  const hex = Array.from(
    sha1(new TextEncoder().encode("abc")),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  assert.equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
});
