/** The snapshot's bookkeeping of the keys its walk has passed. */
import assert from "node:assert/strict";
import { KEY_SEGMENT_SIZE, KeySegments } from "../../../src/persistence/snapshot.ts";

Deno.test("key segments remember every key added across segments until cleared", () => {
  const keys = new KeySegments();
  const n = KEY_SEGMENT_SIZE * 2 + 17;
  for (let i = 0; i < n; i++) keys.add(`k${i}`);
  for (const i of [0, 1, KEY_SEGMENT_SIZE - 1, KEY_SEGMENT_SIZE, KEY_SEGMENT_SIZE * 2, n - 1]) {
    assert.ok(keys.has(`k${i}`), `k${i}`);
  }
  assert.equal(keys.has(`k${n}`), false);
  assert.equal(keys.has("other"), false);
  keys.clear();
  assert.equal(keys.has("k0"), false);
  assert.equal(keys.has(`k${n - 1}`), false);
});
