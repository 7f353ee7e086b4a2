import assert from "node:assert/strict";
import { ARG_CACHE_MAX_LENGTH, argString } from "../../../src/net/arg_strings.ts";
import { bytesToString } from "../../../src/util/bytes.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("argString gives the bytes' string, the same object for the same short bytes", () => {
  const a = argString(bytes("xxkey:1yy"), 2, 7);
  assert.equal(a, "key:1");
  const b = argString(bytes("key:1"), 0, 5);
  assert.equal(b, "key:1");
  assert.ok(Object.is(a, b));
});

Deno.test("argString is exact for every byte, empty and long arguments, and slot collisions", () => {
  const all = new Uint8Array(256).map((_, i) => i);
  for (let n = 0; n <= ARG_CACHE_MAX_LENGTH + 2; n++) {
    for (let at = 0; at + n <= 256; at += 37) {
      assert.equal(argString(all, at, at + n), bytesToString(all, at, at + n));
    }
  }
  // Many distinct keys share slots: each still reads back as itself.
  const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}`);
  for (const round of [0, 1]) {
    for (const k of keys) assert.equal(argString(bytes(k), 0, k.length), k, `round ${round}`);
  }
});
