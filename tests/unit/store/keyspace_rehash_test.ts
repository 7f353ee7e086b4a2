import assert from "node:assert/strict";
import { Keyspace } from "../../../src/store/keyspace.ts";

Deno.test("the cron's active rehash finishes the growth of key and expire tables", () => {
  const keyspace = new Keyspace(2);
  const db = keyspace.dbs[1];
  let i = 0;
  while (!db.dict.rehashing || !db.expires.rehashing) {
    if (!db.dict.rehashing) db.dict.set(`k${i}`, "v");
    if (!db.expires.rehashing) db.expires.set(`k${i}`, 1);
    i++;
  }
  keyspace.activeRehash(1000);
  assert.equal(db.dict.rehashing, false);
  assert.equal(db.expires.rehashing, false);
  assert.equal(db.dict.get("k0"), "v");
  assert.equal(db.expires.get("k0"), 1);
});
