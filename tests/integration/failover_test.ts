/**
 * FAILOVER between real processes: a hand-over to a synced replica (writes
 * paused, then READONLY), the argument and state errors, a timeout that
 * aborts, a forced hand-over, and a target that refuses the PSYNC.
 *
 * `REPL_TEST_KIND=redis deno test -A tests/integration/failover_test.ts`
 * runs the same assertions against redis-server 7.0.
 */
import assert from "node:assert/strict";
import {
  assertSameData,
  call,
  info,
  type ServerKind,
  startReplicaOf,
  startServer,
  stopAll,
  waitForLog,
  waitLinkUp,
  waitOffsetsMatch,
  waitUntil,
  writeMixedData,
} from "../helpers/replication.ts";
import { ErrorReply } from "../helpers/resp_client.ts";
import { command, type ServerProcess } from "../helpers/server_process.ts";

const KIND: ServerKind = Deno.env.get("REPL_TEST_KIND") === "redis" ? "redis" : "redeno";
const ARGS = ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"];

/** A synced master and replica. */
async function startSynced(): Promise<{ master: ServerProcess; replica: ServerProcess }> {
  const master = await startServer(KIND, ARGS);
  try {
    await writeMixedData(master.port);
    const replica = await startReplicaOf(master.port, KIND, ARGS);
    await waitLinkUp(replica.port);
    await waitOffsetsMatch(master.port, [replica.port]);
    return { master, replica };
  } catch (err) {
    await stopAll(master);
    throw err;
  }
}

/** The error a command answers (fails if it answers anything else). */
async function errorOf(port: number, ...args: string[]): Promise<string> {
  const reply = await command(port, ...args);
  assert.ok(reply instanceof ErrorReply, `${args.join(" ")} answered ${JSON.stringify(reply)}`);
  return reply.message;
}

function failoverState(port: number): Promise<string> {
  return info(port, "replication").then((r) => r.master_failover_state);
}

Deno.test("FAILOVER TO a synced replica: it becomes the master, the old master follows it with a partial resync", async () => {
  let servers: { master: ServerProcess; replica: ServerProcess } | undefined;
  try {
    servers = await startSynced();
    const { master, replica } = servers;
    const target = ["TO", "127.0.0.1", String(replica.port)];

    // The replica lags for a moment, so the failover has to wait for its ACK.
    assert.equal(await call(replica.port, "CLIENT", "PAUSE", "500", "ALL"), "OK");
    assert.equal(await call(master.port, "SET", "before", "failover"), "OK");
    assert.equal(await call(master.port, "FAILOVER", ...target), "OK");
    assert.equal(await failoverState(master.port), "waiting-for-sync");
    // A write during the hand-over waits for it, then finds a replica.
    const write = errorOf(master.port, "SET", "during", "failover");
    assert.equal(await errorOf(master.port, "FAILOVER"), "ERR FAILOVER already in progress.");
    assert.equal(
      await errorOf(master.port, "REPLICAOF", "NO", "ONE"),
      "ERR REPLICAOF not allowed while failing over.",
    );
    assert.equal(
      await write,
      "READONLY You can't write against a read only replica.",
    );

    await waitLinkUp(master.port);
    assert.equal((await info(replica.port, "replication")).role, "master");
    assert.equal(await failoverState(master.port), "no-failover");
    assert.equal(await failoverState(replica.port), "no-failover");
    await waitForLog(master, `FAILOVER requested to 127.0.0.1:${replica.port}.`);
    await waitForLog(master, `Failover target 127.0.0.1:${replica.port} is synced, failing over.`);
    await waitForLog(replica, /Failover request received for replid [0-9a-f]{40}\./);
    await waitForLog(replica, /MASTER MODE enabled \(failover request from 'id=\d+ addr=/);
    await waitForLog(master, "Successful partial resynchronization with master.");
    assert.equal((await info(replica.port, "stats")).sync_partial_ok, "1");

    assert.equal(await call(replica.port, "SET", "after", "failover"), "OK");
    await waitOffsetsMatch(replica.port, [master.port]);
    assert.equal(await call(master.port, "GET", "after"), "failover");
    assert.equal(await call(master.port, "GET", "during"), null);
    assert.equal(await call(master.port, "GET", "before"), "failover");
    await assertSameData(replica.port, master.port);
  } finally {
    await stopAll(servers?.replica, servers?.master);
  }
});

Deno.test("FAILOVER's argument and state errors are Redis's", async () => {
  let servers: { master: ServerProcess; replica: ServerProcess } | undefined;
  let lone: ServerProcess | undefined;
  let waiting: ServerProcess | undefined;
  try {
    lone = await startServer(KIND, ARGS);
    assert.equal(await errorOf(lone.port, "FAILOVER"), "ERR FAILOVER requires connected replicas.");
    servers = await startSynced();
    const { master, replica } = servers;
    const cases: Array<[string[], string]> = [
      [["TIMEOUT", "0"], "ERR FAILOVER timeout must be greater than 0"],
      [["TIMEOUT", "x"], "ERR value is not an integer or out of range"],
      [["TO", "127.0.0.1", "x"], "ERR value is not an integer or out of range"],
      [["TO", "127.0.0.1", "1"], "ERR FAILOVER target HOST and PORT is not a replica."],
      [["FORCE"], "ERR FAILOVER with force option requires both a timeout and target HOST and IP."],
      [
        ["TO", "127.0.0.1", String(replica.port), "FORCE"],
        "ERR FAILOVER with force option requires both a timeout and target HOST and IP.",
      ],
      [["TIMEOUT", "10", "TIMEOUT", "10"], "ERR syntax error"],
      [["bogus"], "ERR syntax error"],
      [["ABORT"], "ERR No failover in progress."],
    ];
    for (const [args, error] of cases) {
      assert.equal(await errorOf(master.port, "FAILOVER", ...args), error, args.join(" "));
    }
    assert.equal(
      await errorOf(replica.port, "FAILOVER"),
      "ERR FAILOVER is not valid when server is a replica.",
    );
    assert.equal(
      await errorOf(replica.port, "PSYNC", "0".repeat(40), "1", "FAILOVER"),
      "ERR PSYNC FAILOVER replid must match my replid.",
    );
    assert.equal(
      await errorOf(master.port, "PSYNC", "?", "-1", "FAILOVER"),
      "ERR PSYNC FAILOVER can't be sent to a master.",
    );
    assert.equal(await failoverState(master.port), "no-failover");

    // A replica still waiting for its snapshot is no target yet.
    assert.equal(await call(lone.port, "CONFIG", "SET", "repl-diskless-sync-delay", "60"), "OK");
    waiting = await startReplicaOf(lone.port, KIND, ARGS);
    await waitUntil(
      "the replica to wait for its snapshot",
      async () => /state=wait_bgsave/.test((await info(lone!.port, "replication")).slave0 ?? ""),
    );
    assert.equal(
      await errorOf(lone.port, "FAILOVER", "TO", "127.0.0.1", String(waiting.port)),
      "ERR FAILOVER target replica is not online.",
    );
    assert.equal(await failoverState(lone.port), "no-failover");
  } finally {
    await stopAll(waiting, servers?.replica, servers?.master, lone);
  }
});

Deno.test("a FAILOVER whose replica never catches up aborts at its TIMEOUT; with FORCE it hands over anyway", async () => {
  let servers: { master: ServerProcess; replica: ServerProcess } | undefined;
  try {
    servers = await startSynced();
    const { master, replica } = servers;
    // A paused replica does not apply (nor acknowledge) the write below.
    assert.equal(await call(replica.port, "CLIENT", "PAUSE", "1500", "ALL"), "OK");
    assert.equal(await call(master.port, "SET", "lagging", "1"), "OK");
    assert.equal(await call(master.port, "FAILOVER", "TIMEOUT", "200"), "OK");
    assert.equal(await failoverState(master.port), "waiting-for-sync");
    await waitForLog(
      master,
      "FAILOVER to any replica aborted: Replica never caught up before timeout",
    );
    assert.equal(await failoverState(master.port), "no-failover");
    assert.equal((await info(master.port, "replication")).role, "master");
    assert.equal(await call(master.port, "SET", "still", "master"), "OK");

    assert.equal(await call(replica.port, "CLIENT", "PAUSE", "1000", "ALL"), "OK");
    assert.equal(await call(master.port, "SET", "lagging", "2"), "OK");
    const target = ["TO", "127.0.0.1", String(replica.port)];
    assert.equal(await call(master.port, "FAILOVER", ...target, "TIMEOUT", "200", "FORCE"), "OK");
    await waitForLog(
      master,
      `FAILOVER to 127.0.0.1:${replica.port} time out exceeded, failing over.`,
    );
    await waitUntil(
      "the replica promoted",
      async () => (await info(replica.port, "replication")).role === "master",
    );
    await waitLinkUp(master.port);
    assert.equal(await failoverState(master.port), "no-failover");
    assert.equal(await call(replica.port, "GET", "lagging"), "2");
    await assertSameData(replica.port, master.port);
  } finally {
    await stopAll(servers?.replica, servers?.master);
  }
});

Deno.test("a target that refuses the PSYNC FAILOVER leaves the old master in charge", async () => {
  let servers: { master: ServerProcess; replica: ServerProcess } | undefined;
  try {
    servers = await startSynced();
    const { master, replica } = servers;
    // The replica's replid no longer matches the one the master hands over.
    assert.equal(await call(replica.port, "DEBUG", "CHANGE-REPL-ID"), "OK");
    assert.equal(await call(master.port, "FAILOVER"), "OK");
    await waitForLog(
      master,
      /Master does not support PSYNC or is in error state \(reply: -ERR PSYNC FAILOVER replid must match my replid\.\)/,
    );
    await waitForLog(
      master,
      `FAILOVER to 127.0.0.1:${replica.port} aborted: Failover target rejected psync request`,
    );
    await waitUntil(
      "the old master back in charge",
      async () => (await info(master.port, "replication")).role === "master",
    );
    assert.equal(await failoverState(master.port), "no-failover");
    assert.equal(await call(master.port, "SET", "after", "abort"), "OK");
    assert.equal((await info(replica.port, "replication")).role, "slave");
  } finally {
    await stopAll(servers?.replica, servers?.master);
  }
});
