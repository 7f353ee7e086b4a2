/**
 * Replication between Redeno and the reference redis-server 7.0, both ways:
 * a Redis replica of a Redeno master, a Redeno replica of a Redis master with
 * a disk transfer (`$<len>`) and a diskless one (`$EOF:<mark>`), and a chain
 * Redis → Redeno → Redis where Redeno forwards the stream verbatim. Each ends
 * with equal datasets (and equal DEBUG DIGEST once Redeno has it).
 */

import assert from "node:assert/strict";
import {
  assertSameData,
  call,
  countLog,
  info,
  startReplicaOf,
  startServer,
  stopAll,
  waitForLog,
  waitLinkUp,
  waitOffsetsMatch,
  waitUntil,
  writeMixedData,
} from "../helpers/replication.ts";
import { delay, type ServerProcess } from "../helpers/server_process.ts";

const DEBUG = ["--enable-debug-command", "yes"];

for (const diskless of ["no", "yes"]) {
  const form = diskless === "yes" ? "diskless $EOF: transfer" : "disk $<len> transfer";
  Deno.test(`a redis-server 7.0 replica of a Redeno master (${form}) ends with the same dataset`, async () => {
    let master: ServerProcess | undefined;
    let replica: ServerProcess | undefined;
    try {
      master = await startServer("redeno", [
        ...DEBUG,
        "--repl-diskless-sync",
        diskless,
        "--repl-diskless-sync-delay",
        "0",
      ]);
      await writeMixedData(master.port, "before");
      replica = await startReplicaOf(master.port, "redis", DEBUG);
      await waitLinkUp(replica.port);
      await writeMixedData(master.port, "after");
      await call(master.port, "DEL", "before:str:1");
      await waitOffsetsMatch(master.port, [replica.port]);
      assert.equal(
        (await info(replica.port, "replication")).master_replid,
        (await info(master.port, "replication")).master_replid,
      );
      await waitForLog(replica, "MASTER <-> REPLICA sync: Finished with success");
      await waitForLog(
        replica,
        diskless === "yes"
          ? "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
          : /MASTER <-> REPLICA sync: receiving \d+ bytes from master to disk/,
      );
      await assertSameData(master.port, replica.port, "Redeno master, Redis replica");

      // A killed link continues with a partial resync, Redis replica and Redeno master agreeing.
      assert.equal(await call(master.port, "CLIENT", "KILL", "TYPE", "replica"), 1);
      await call(master.port, "HSET", "after-kill", "f", "v");
      await waitForLog(replica, "Successful partial resynchronization with master.");
      await waitOffsetsMatch(master.port, [replica.port]);
      assert.equal(await call(replica.port, "HGET", "after-kill", "f"), "v");
      assert.equal(countLog(replica, "Full resync from master"), 1);
      await assertSameData(master.port, replica.port, "after a partial resync");
    } finally {
      await stopAll(replica, master);
    }
  });
}

for (const diskless of ["no", "yes"]) {
  const form = diskless === "yes" ? "diskless $EOF: transfer" : "disk $<len> transfer";
  Deno.test(`a Redeno replica of a redis-server 7.0 master (${form}) ends with the same dataset`, async () => {
    let master: ServerProcess | undefined;
    let replica: ServerProcess | undefined;
    try {
      master = await startServer("redis", [
        ...DEBUG,
        "--repl-diskless-sync",
        diskless,
        "--repl-diskless-sync-delay",
        "0",
      ]);
      await writeMixedData(master.port, "before");
      replica = await startReplicaOf(master.port, "redeno", DEBUG);
      await waitLinkUp(replica.port);
      await writeMixedData(master.port, "after");
      await call(master.port, "SET", "ttl-ms", "x", "PX", "900000");
      await call(master.port, "INCRBYFLOAT", "float", "1.5");
      await waitOffsetsMatch(master.port, [replica.port]);
      assert.equal(
        (await info(replica.port, "replication")).master_replid,
        (await info(master.port, "replication")).master_replid,
      );
      if (diskless === "yes") {
        await waitForLog(master, "Starting BGSAVE for SYNC with target: replicas sockets");
        await waitForLog(
          replica,
          "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk",
        );
      } else {
        await waitForLog(
          replica,
          /MASTER <-> REPLICA sync: receiving \d+ bytes from master to disk/,
        );
      }
      await waitForLog(replica, "MASTER <-> REPLICA sync: Finished with success");
      await assertSameData(master.port, replica.port, "Redis master, Redeno replica");

      // The link killed on the replica's side: a partial resync from Redis's backlog.
      assert.equal(await call(replica.port, "CLIENT", "KILL", "TYPE", "master"), 1);
      await call(master.port, "RPUSH", "after-kill", "x");
      await waitForLog(replica, "Successful partial resynchronization with master.");
      await waitOffsetsMatch(master.port, [replica.port]);
      assert.equal(countLog(replica, "Full resync from master"), 1);
      assert.ok(Number((await info(master.port, "stats")).sync_partial_ok) >= 1);
      await assertSameData(master.port, replica.port, "after a partial resync");
    } finally {
      await stopAll(replica, master);
    }
  });
}

Deno.test("a Redeno replica between two redis-servers forwards the stream with the same replid and offsets", async () => {
  let top: ServerProcess | undefined;
  let middle: ServerProcess | undefined;
  let leaf: ServerProcess | undefined;
  try {
    top = await startServer("redis", [...DEBUG, "--repl-diskless-sync", "no"]);
    await writeMixedData(top.port, "before");
    middle = await startReplicaOf(top.port, "redeno", [
      ...DEBUG,
      "--repl-diskless-sync-delay",
      "0",
    ]);
    await waitLinkUp(middle.port);
    leaf = await startReplicaOf(middle.port, "redis", DEBUG);
    await waitLinkUp(leaf.port);
    await writeMixedData(top.port, "after");
    const offset = await waitOffsetsMatch(top.port, [middle.port, leaf.port]);
    const ids = await Promise.all(
      [top, middle, leaf].map(async (s) => (await info(s.port, "replication")).master_replid),
    );
    assert.equal(ids[1], ids[0]);
    assert.equal(ids[2], ids[0]);
    assert.equal(Number((await info(leaf.port, "replication")).master_repl_offset), offset);
    await assertSameData(top.port, leaf.port, "Redis → Redeno → Redis");
    await assertSameData(top.port, middle.port, "Redis → Redeno");
  } finally {
    await stopAll(leaf, middle, top);
  }
});

/**
 * A log reduced to what must match Redis's: from "Ready to accept
 * connections" on, each line's role and level marker and its text, with
 * replication ids and numbers masked. Redis's forked child's copy-on-write
 * report has no counterpart (no fork here).
 */
function comparableLog(log: string): string[] {
  const lines = log.split("\n");
  const ready = lines.findIndex((l) => l.includes("Ready to accept connections"));
  return lines.slice(ready + 1)
    .filter((l) => l !== "" && !l.includes("Fork CoW"))
    .map((l) =>
      l.replace(/^\d+:([A-Z]) \d+ \w+ \d+ [\d:.]+ /, "$1 ")
        .replace(/[0-9a-f]{40}/g, "<id>")
        .replace(/\d+/g, "N")
    );
}

Deno.test("a sync, a killed link, a promotion and a demotion log the same lines as redis-server 7.0", async () => {
  const logs: Record<string, { master: string[]; replica: string[] }> = {};
  for (const kind of ["redis", "redeno"] as const) {
    const args = ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"];
    let master: ServerProcess | undefined;
    let replica: ServerProcess | undefined;
    try {
      master = await startServer(kind, args);
      replica = await startServer(kind, args);
      await call(master.port, "SET", "a", "1");
      await call(replica.port, "REPLICAOF", "127.0.0.1", master.port);
      await waitLinkUp(replica.port);
      await waitForLog(master, /Synchronization with replica [\d.:]+ succeeded/);
      await call(master.port, "SET", "b", "2");
      await call(master.port, "CLIENT", "KILL", "TYPE", "replica");
      await waitForLog(
        replica,
        "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.",
      );
      await waitOffsetsMatch(master.port, [replica.port]);
      // Failover: the replica takes over, the old master follows it.
      const lost = /Connection with replica [\d.:]+ lost\./;
      const lostBefore = countLog(master, lost);
      await call(replica.port, "REPLICAOF", "NO", "ONE");
      // The old master notices the closed link on its own time: wait, so its
      // line comes before the demotion's on both servers (CI saw it after).
      const m = master;
      await waitUntil(
        "the old master to log its lost replica",
        () => countLog(m, lost) > lostBefore,
      );
      await call(master.port, "REPLICAOF", "127.0.0.1", replica.port);
      await waitForLog(
        master,
        "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.",
      );
      await waitOffsetsMatch(replica.port, [master.port]);
      logs[kind] = { master: comparableLog(master.log()), replica: comparableLog(replica.log()) };
    } finally {
      await stopAll(replica, master);
    }
  }
  assert.deepEqual(logs.redeno.master, logs.redis.master, "the first master's log");
  assert.deepEqual(logs.redeno.replica, logs.redis.replica, "the first replica's log");
});

Deno.test("a master's SHUTDOWN leaves its replicas' links to the exit, as redis-server 7.0 does", async () => {
  for (const kind of ["redis", "redeno"] as const) {
    let master: ServerProcess | undefined;
    let replica: ServerProcess | undefined;
    try {
      master = await startServer(kind, ["--repl-diskless-sync-delay", "0"]);
      replica = await startServer(kind);
      await call(replica.port, "REPLICAOF", "127.0.0.1", master.port);
      await waitLinkUp(replica.port);
      await call(master.port, "SHUTDOWN", "NOSAVE").catch(() => {});
      await master.status;
      // The listener is gone with the links: the replica's next attempt is refused.
      await waitForLog(replica, "# Error condition on socket for SYNC: Connection refused");
      assert.equal(countLog(master, "Connection with replica"), 0, `${kind}: ${master.log()}`);
      assert.equal(countLog(replica, "Connection reset by peer"), 0, kind);
    } finally {
      await stopAll(replica, master);
    }
  }
});

// A master without PSYNC (a pre-2.8 one, emulated with `rename-command PSYNC ""`): the
// replica falls back to SYNC, whose history has no id and starts at offset -1, and
// never ACKs. Both directions, each checked against the reference on the other side.
for (const [masterKind, replicaKind] of [["redis", "redeno"], ["redeno", "redis"]] as const) {
  Deno.test(`a ${replicaKind} replica of a ${masterKind} master without PSYNC retries with SYNC, as redis-server 7.0 does`, async () => {
    let master: ServerProcess | undefined;
    let replica: ServerProcess | undefined;
    try {
      master = await startServer(masterKind, [
        ...DEBUG,
        "--repl-diskless-sync-delay",
        "0",
        "--rename-command",
        "PSYNC",
        "",
      ]);
      await assert.rejects(call(master.port, "PSYNC", "?", "-1"), /unknown command 'PSYNC'/);
      await writeMixedData(master.port, "before");
      replica = await startReplicaOf(master.port, replicaKind, DEBUG);
      await waitLinkUp(replica.port);
      for (
        const line of [
          "Partial resynchronization not possible (no cached master)",
          "Master does not support PSYNC or is in error state (reply: -ERR unknown command 'PSYNC', with args beginning with: '?' '-1' )",
          "Retrying with SYNC...",
          "MASTER <-> REPLICA sync: Finished with success",
        ]
      ) await waitForLog(replica, line);
      assert.equal(countLog(replica, "Full resync from master"), 0);
      await writeMixedData(master.port, "after");
      await call(master.port, "SET", "last", "1");
      await waitUntil(
        "the stream to reach the replica",
        async () => await call(replica!.port, "GET", "last") === "1",
      );
      await assertSameData(master.port, replica.port, `${masterKind} master, SYNC`);
      // No id, and an offset counted from -1; the master never hears an ACK.
      const fields = await info(replica.port, "replication");
      assert.equal(fields.master_replid, "");
      assert.equal(fields.repl_backlog_first_byte_offset, "0");
      await delay(1500);
      assert.match((await info(master.port, "replication")).slave0, /state=online,offset=0,/);

      // A lost link asks PSYNC with what it has, is refused again, and syncs again.
      const offset = Number((await info(replica.port, "replication")).master_repl_offset);
      assert.equal(await call(replica.port, "CLIENT", "KILL", "TYPE", "master"), 1);
      await waitForLog(replica, `Trying a partial resynchronization (request :${offset + 1}).`);
      await waitUntil("a second SYNC", () => countLog(replica!, "Retrying with SYNC...") === 2);
      await call(master.port, "SET", "after-kill", "1");
      await waitUntil(
        "the stream after the second SYNC",
        async () => await call(replica!.port, "GET", "after-kill") === "1",
      );
      await assertSameData(master.port, replica.port, "after the second SYNC");
    } finally {
      await stopAll(replica, master);
    }
  });
}
