import assert from "node:assert/strict";
import { ServedClients } from "../../../src/net/served_clients.ts";

Deno.test("a client counts once per period, however many times it is served", () => {
  const served = new ServedClients();
  const lone = { servedPeriod: 0 };
  for (let i = 0; i < 100; i++) served.served(lone);
  assert.equal(served.count, 1);
  served.mark();
  served.served(lone);
  served.served(lone);
  assert.equal(served.count, 2);
});

Deno.test("every client served in a period counts", () => {
  const served = new ServedClients();
  const clients = Array.from({ length: 50 }, () => ({ servedPeriod: 0 }));
  for (let round = 0; round < 3; round++) {
    for (const client of clients) served.served(client);
  }
  assert.equal(served.count, 50);
  served.mark();
  for (const client of clients) served.served(client);
  assert.equal(served.count, 100);
});
