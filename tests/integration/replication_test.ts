/**
 * Master/replica replication with real processes on free ports: the seed's
 * walk-through from conf/master.conf and conf/replica.conf, three replicas
 * sharing one snapshot, a chain of replicas, partial resyncs (after CLIENT
 * KILL and after a restart with a cached master), failover with REPLICAOF NO
 * ONE, and consistency while redis-benchmark writes during a full sync.
 *
 * `REPL_TEST_KIND=redis deno test -A tests/integration/replication_test.ts`
 * runs the same assertions against redis-server 7.0, to check the
 * expectations themselves against the reference.
 */

import assert from "node:assert/strict";
import {
  assertSameData,
  call,
  countLog,
  info,
  type ServerKind,
  startPair,
  startReplicaOf,
  startServer,
  stopAll,
  waitForLog,
  waitLinkUp,
  waitOffsetsMatch,
  waitUntil,
  writeMixedData,
} from "../helpers/replication.ts";
import { ErrorReply, RespClient } from "../helpers/resp_client.ts";
import {
  command,
  delay,
  redisCli,
  REPO_ROOT,
  type ServerProcess,
} from "../helpers/server_process.ts";
import { decodeRdb } from "../../src/persistence/rdb_decoder.ts";

/** The implementation under test (Redeno unless REPL_TEST_KIND=redis). */
const KIND: ServerKind = Deno.env.get("REPL_TEST_KIND") === "redis" ? "redis" : "redeno";
/** Disk-target full syncs (Redis 7.0 defaults to diskless) and DEBUG for digests. */
const MASTER_ARGS = ["--repl-diskless-sync", "no", "--enable-debug-command", "yes"];
/** Replicas serve their own sub-replicas diskless (the default), without the 5 s wait. */
const REPLICA_ARGS = ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"];

/** Asserts every line occurs in the log, in this order. */
function assertLogInOrder(server: ServerProcess, expected: Array<string | RegExp>): void {
  const log = server.log();
  let from = 0;
  for (const line of expected) {
    let at: number;
    let len: number;
    if (typeof line === "string") {
      at = log.indexOf(line, from);
      len = line.length;
    } else {
      const m = new RegExp(line.source, "g");
      m.lastIndex = from;
      const found = m.exec(log);
      at = found ? found.index : -1;
      len = found ? found[0].length : 0;
    }
    assert.ok(at !== -1, `log line ${line} (in order) missing from:\n${log}`);
    from = at + len;
  }
}

/** Writes `count` string keys with pipelined MSETs of 1000 keys. */
async function fillKeys(port: number, count: number, prefix = "fill", size = 32): Promise<void> {
  const client = await RespClient.connect(port);
  try {
    const value = "v".repeat(size);
    const cmds: string[][] = [];
    for (let i = 0; i < count; i += 1000) {
      const argv = ["MSET"];
      for (let j = i; j < Math.min(count, i + 1000); j++) argv.push(`${prefix}:${j}`, value);
      cmds.push(argv);
    }
    for (let i = 0; i < cmds.length; i += 20) await client.pipeline(cmds.slice(i, i + 20));
  } finally {
    client.close();
  }
}

Deno.test("the seed's walk-through: a set on the master is read on the replica, with Redis's INFO and log lines", async () => {
  let master: ServerProcess | undefined;
  let replica: ServerProcess | undefined;
  try {
    master = await startServer(KIND, [
      `${REPO_ROOT}conf/master.conf`,
      "--repl-diskless-sync",
      "no",
    ]);
    replica = await startReplicaOf(master.port, KIND, [`${REPO_ROOT}conf/replica.conf`]);
    await waitLinkUp(replica.port);
    assert.equal(await call(master.port, "SET", "name", "HongWan"), "OK");
    const got = await waitUntil(
      "the replica to serve name",
      async () => (await call(replica!.port, "GET", "name")) ?? undefined,
    );
    assert.equal(got, "HongWan");

    const r = await info(replica.port, "replication");
    assert.equal(r.role, "slave");
    assert.equal(r.master_link_status, "up");
    assert.equal(r.master_host, "127.0.0.1");
    assert.equal(r.master_port, String(master.port));
    assert.equal(r.master_sync_in_progress, "0");
    assert.equal(r.slave_read_only, "1");

    const m = await waitUntil("the replica's ACK of the set", async () => {
      const fields = await info(master!.port, "replication");
      return /offset=([1-9]\d*)/.test(fields.slave0 ?? "") ? fields : undefined;
    });
    assert.equal(m.role, "master");
    assert.equal(m.connected_slaves, "1");
    assert.match(
      m.slave0,
      new RegExp(`^ip=127\\.0\\.0\\.1,port=${replica.port},state=online,offset=\\d+,lag=\\d+$`),
    );
    assert.equal(r.master_replid, m.master_replid);

    // ROLE on both sides, the read-only replica, and WAIT counting the ACK.
    const masterOffset = Number(m.master_repl_offset);
    assert.deepEqual(await call(master.port, "ROLE"), [
      "master",
      masterOffset,
      [["127.0.0.1", String(replica.port), String(masterOffset)]],
    ]);
    assert.deepEqual(await call(replica.port, "ROLE"), [
      "slave",
      "127.0.0.1",
      master.port,
      "connected",
      masterOffset,
    ]);
    const readonly = await command(replica.port, "SET", "name", "other");
    assert.ok(readonly instanceof ErrorReply);
    assert.equal(readonly.message, "READONLY You can't write against a read only replica.");
    assert.equal(await call(master.port, "WAIT", "1", "5000"), 1);
    assert.equal(await call(master.port, "WAIT", "2", "100"), 1);

    assert.equal((await info(master.port, "keyspace")).db0, "keys=1,expires=0,avg_ttl=0");
    assert.equal((await info(replica.port, "keyspace")).db0, "keys=1,expires=0,avg_ttl=0");

    const replicaName = `127.0.0.1:${replica.port}`;
    await waitForLog(master, `Synchronization with replica ${replicaName} succeeded`);
    assertLogInOrder(master, [
      `Replica ${replicaName} asks for synchronization`,
      `Full resync requested by replica ${replicaName}`,
      "Starting BGSAVE for SYNC with target: disk",
      "Background saving started",
      `Synchronization with replica ${replicaName} succeeded`,
    ]);
    assertLogInOrder(replica, [
      `Connecting to MASTER 127.0.0.1:${master.port}`,
      "MASTER <-> REPLICA sync started",
      `Full resync from master: ${m.master_replid}:`,
      /MASTER <-> REPLICA sync: receiving \d+ bytes from master to disk/,
      "MASTER <-> REPLICA sync: Loading DB in memory",
      "MASTER <-> REPLICA sync: Finished with success",
    ]);
    // The replica's log marks it a replica (role letter S) once it follows a master.
    assert.match(replica.log(), /^\d+:S .*Connecting to MASTER/m);
  } finally {
    await stopAll(replica, master);
  }
});

Deno.test("three replicas asking at once share one snapshot", async () => {
  const replicas: ServerProcess[] = [];
  let master: ServerProcess | undefined;
  try {
    master = await startServer(KIND, [...MASTER_ARGS, "--rdb-key-save-delay", "20"]);
    await fillKeys(master.port, 60_000);
    for (let i = 0; i < 3; i++) replicas.push(await startServer(KIND, REPLICA_ARGS));
    // All three REPLICAOF at the same moment: their PSYNCs arrive while one snapshot runs.
    await Promise.all(
      replicas.map((r) => call(r.port, "REPLICAOF", "127.0.0.1", master!.port)),
    );
    for (const r of replicas) await waitLinkUp(r.port);
    await waitOffsetsMatch(master.port, replicas.map((r) => r.port));

    assert.equal(
      countLog(master, "Starting BGSAVE for SYNC"),
      1,
      `one snapshot for three replicas:\n${master.log()}`,
    );
    assert.equal(countLog(master, /Synchronization with replica 127\.0\.0\.1:\d+ succeeded/), 3);
    const stats = await info(master.port, "stats");
    assert.equal(stats.sync_full, "3");
    const persistence = await info(master.port, "persistence");
    assert.equal(persistence.rdb_saves, "1");
    if (KIND === "redis") assert.equal(stats.total_forks, "1");
    for (const r of replicas) {
      assert.equal((await info(r.port, "keyspace")).db0, "keys=60000,expires=0,avg_ttl=0");
    }
  } finally {
    await stopAll(...replicas, master);
  }
});

/** Writes `count` keys of `size` random hex bytes each (LZF cannot shrink them). */
async function fillRandom(port: number, count: number, size: number): Promise<void> {
  const client = await RespClient.connect(port);
  try {
    const raw = new Uint8Array(size / 2);
    const cmds: string[][] = [];
    for (let i = 0; i < count; i++) {
      crypto.getRandomValues(raw);
      cmds.push([
        "SET",
        `rand:${i}`,
        Array.from(raw, (b) => b.toString(16).padStart(2, "0")).join(""),
      ]);
    }
    for (let i = 0; i < cmds.length; i += 100) await client.pipeline(cmds.slice(i, i + 100));
  } finally {
    client.close();
  }
}

Deno.test("a multi-megabyte dump reaches a disk-based and a diskless replica intact, chunk after chunk", async () => {
  let disk: ServerProcess | undefined;
  let diskless: ServerProcess | undefined;
  const replicas: ServerProcess[] = [];
  try {
    // 6 MB of values: the disk-based transfer sends the file in several 1 MB reads, the diskless one
    // in many worker chunks, both queued on the socket as they are (Client.writeChunk).
    disk = await startServer(KIND, MASTER_ARGS);
    diskless = await startServer(KIND, [
      "--repl-diskless-sync",
      "yes",
      "--repl-diskless-sync-delay",
      "0",
      "--enable-debug-command",
      "yes",
    ]);
    await Promise.all([fillRandom(disk.port, 3000, 2048), fillRandom(diskless.port, 3000, 2048)]);
    for (const master of [disk, diskless]) {
      const replica = await startReplicaOf(master.port, KIND, REPLICA_ARGS);
      replicas.push(replica);
      await waitLinkUp(replica.port);
      await waitOffsetsMatch(master.port, [replica.port]);
      await assertSameData(master.port, replica.port);
      assert.equal((await info(replica.port, "keyspace")).db0, "keys=3000,expires=0,avg_ttl=0");
    }
    assertLogInOrder(disk, ["Starting BGSAVE for SYNC with target: disk"]);
    assertLogInOrder(diskless, ["Starting BGSAVE for SYNC with target: replicas sockets"]);
  } finally {
    await stopAll(...replicas, disk, diskless);
  }
});

Deno.test("a chain master → replica → sub-replica has the same data, replid and offset all along", async () => {
  let master: ServerProcess | undefined;
  let middle: ServerProcess | undefined;
  let leaf: ServerProcess | undefined;
  try {
    master = await startServer(KIND, MASTER_ARGS);
    await writeMixedData(master.port, "before");
    middle = await startReplicaOf(master.port, KIND, [
      ...REPLICA_ARGS,
      "--repl-diskless-sync",
      "no",
    ]);
    await waitLinkUp(middle.port);
    leaf = await startReplicaOf(middle.port, KIND, REPLICA_ARGS);
    await waitLinkUp(leaf.port);
    // Writes after the chain is up travel down it verbatim.
    await writeMixedData(master.port, "after");
    await call(master.port, "DEL", "before:str:3");
    await call(master.port, "LPOP", "after:list");

    const offset = await waitOffsetsMatch(master.port, [middle.port]);
    await waitUntil("the sub-replica to reach the master's offset", async () => {
      const f = await info(leaf!.port, "replication");
      return Number(f.master_repl_offset) >= offset ? true : undefined;
    });
    const [m, mid, sub] = await Promise.all(
      [master, middle, leaf].map((s) => info(s.port, "replication")),
    );
    assert.equal(mid.master_replid, m.master_replid);
    assert.equal(sub.master_replid, m.master_replid);
    assert.equal(mid.master_repl_offset, m.master_repl_offset);
    assert.equal(sub.master_repl_offset, m.master_repl_offset);
    assert.equal(mid.connected_slaves, "1");
    assert.equal(sub.master_link_status, "up");

    await assertSameData(master.port, middle.port, "master and replica");
    await assertSameData(master.port, leaf.port, "master and sub-replica");
    assert.equal(await call(leaf.port, "GET", "after:str:7"), "value-7");
    assert.equal(await call(leaf.port, "EXISTS", "before:str:3"), 0);
  } finally {
    await stopAll(leaf, middle, master);
  }
});

Deno.test("a replica hides an expired key but keeps it until the master's DEL arrives", async () => {
  let master: ServerProcess | undefined;
  let replica: ServerProcess | undefined;
  try {
    ({ master, replica } = await startPair({
      masterKind: KIND,
      replicaKind: KIND,
      masterArgs: MASTER_ARGS,
      replicaArgs: REPLICA_ARGS,
    }));
    // The master expires nothing by itself for now: only the replica's clock matters.
    assert.equal(await call(master.port, "DEBUG", "SET-ACTIVE-EXPIRE", "0"), "OK");
    assert.equal(await call(master.port, "SET", "short", "lived", "PX", "300"), "OK");
    await waitOffsetsMatch(master.port, [replica.port]);
    assert.equal(await call(replica.port, "GET", "short"), "lived");
    await delay(400);
    assert.equal(await call(replica.port, "GET", "short"), null);
    assert.equal(await call(replica.port, "EXISTS", "short"), 0);
    // Still held: the replica waits for its master.
    assert.equal(await call(replica.port, "DBSIZE"), 1);
    // The master's active expiry deletes it and propagates a DEL.
    assert.equal(await call(master.port, "DEBUG", "SET-ACTIVE-EXPIRE", "1"), "OK");
    await waitUntil("the DEL to reach the replica", async () => {
      return (await call(replica!.port, "DBSIZE")) === 0;
    });
    await waitOffsetsMatch(master.port, [replica.port]);
    await assertSameData(master.port, replica.port);
  } finally {
    await stopAll(replica, master);
  }
});

Deno.test("a replica whose link is killed continues with a partial resync", async () => {
  let master: ServerProcess | undefined;
  let replica: ServerProcess | undefined;
  try {
    master = await startServer(KIND, MASTER_ARGS);
    await writeMixedData(master.port);
    replica = await startReplicaOf(master.port, KIND, REPLICA_ARGS);
    await waitLinkUp(replica.port);
    await waitOffsetsMatch(master.port, [replica.port]);

    const killed = await call(master.port, "CLIENT", "KILL", "TYPE", "replica");
    assert.equal(killed, 1);
    // Writes while the link is down come from the backlog.
    await call(master.port, "SET", "while-down", "1");
    await call(master.port, "RPUSH", "k:list", "tail");
    await waitForLog(replica, "Successful partial resynchronization with master.");
    const replicaName = `127.0.0.1:${replica.port}`;
    await waitForLog(
      master,
      new RegExp(
        `Partial resynchronization request from ${replicaName.replaceAll(".", "\\.")} accepted`,
      ),
    );
    await waitOffsetsMatch(master.port, [replica.port]);
    assert.equal(await call(replica.port, "GET", "while-down"), "1");

    const stats = await info(master.port, "stats");
    assert.ok(Number(stats.sync_partial_ok) >= 1, `sync_partial_ok ${stats.sync_partial_ok}`);
    assert.equal(stats.sync_full, "1");
    assert.equal(countLog(master, "Starting BGSAVE for SYNC"), 1);
    assert.equal(countLog(replica, "Full resync from master"), 1);
    await assertSameData(master.port, replica.port);
  } finally {
    await stopAll(replica, master);
  }
});

Deno.test("a restarted replica continues from the replid and offset kept in its RDB", async () => {
  let master: ServerProcess | undefined;
  let replica: ServerProcess | undefined;
  const dir = await Deno.makeTempDir({ prefix: "redeno_repl_restart_" });
  try {
    master = await startServer(KIND, MASTER_ARGS);
    await writeMixedData(master.port);
    replica = await startReplicaOf(master.port, KIND, REPLICA_ARGS, { dir });
    await waitLinkUp(replica.port);
    await waitOffsetsMatch(master.port, [replica.port]);
    assert.equal(await call(replica.port, "SAVE"), "OK");
    await replica.stop();
    replica = undefined;

    await call(master.port, "SET", "while-stopped", "yes");
    replica = await startReplicaOf(master.port, KIND, REPLICA_ARGS, { dir });
    await waitLinkUp(replica.port);
    await waitForLog(replica, "Successful partial resynchronization with master.");
    await waitOffsetsMatch(master.port, [replica.port]);
    assert.equal(await call(replica.port, "GET", "while-stopped"), "yes");

    const stats = await info(master.port, "stats");
    assert.equal(stats.sync_full, "1");
    assert.ok(Number(stats.sync_partial_ok) >= 1);
    assert.equal(countLog(replica, "Full resync from master"), 0);
    await waitForLog(
      master,
      new RegExp(`Partial resynchronization request from 127\\.0\\.0\\.1:${replica.port} accepted`),
    );
    await assertSameData(master.port, replica.port);
  } finally {
    await stopAll(replica, master);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("CONFIG SET repl-backlog-size shrinks the live backlog: a replica that missed more gets a full resync", async () => {
  let master: ServerProcess | undefined;
  let replica: ServerProcess | undefined;
  const dir = await Deno.makeTempDir({ prefix: "redeno_repl_backlog_size_" });
  try {
    master = await startServer(KIND, MASTER_ARGS);
    replica = await startReplicaOf(master.port, KIND, REPLICA_ARGS, { dir });
    await waitLinkUp(replica.port);
    await waitOffsetsMatch(master.port, [replica.port]);
    assert.equal(await call(replica.port, "SAVE"), "OK");
    await replica.stop();
    replica = undefined;

    // Below Redis's 16kb minimum: CONFIG SET raises it.
    assert.equal(await call(master.port, "CONFIG", "SET", "repl-backlog-size", "1"), "OK");
    assert.deepEqual(await call(master.port, "CONFIG", "GET", "repl-backlog-size"), [
      "repl-backlog-size",
      "16384",
    ]);
    for (let i = 0; i < 10; i++) await call(master.port, "SET", `big:${i}`, "x".repeat(8000));
    const repl = await info(master.port, "replication");
    assert.equal(repl.repl_backlog_size, "16384");
    assert.ok(Number(repl.repl_backlog_histlen) < 40_000, `histlen ${repl.repl_backlog_histlen}`);

    replica = await startReplicaOf(master.port, KIND, REPLICA_ARGS, { dir });
    await waitLinkUp(replica.port);
    await waitForLog(master, /for lack of backlog \(Replica request was: \d+\)\./);
    await waitForLog(replica, "Full resync from master");
    await waitOffsetsMatch(master.port, [replica.port]);
    assert.equal((await call(replica.port, "GET", "big:0") as string).length, 8000);
    const stats = await info(master.port, "stats");
    assert.equal(stats.sync_full, "2");
    assert.equal(stats.sync_partial_err, "1");
  } finally {
    await stopAll(replica, master);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

/** Runs `redis-cli --rdb` (or --functions-rdb) into a file; returns the decoded file and its redis-check-rdb verdict. */
async function fetchRdb(port: number, flag: "--rdb" | "--functions-rdb", path: string) {
  const cli = await redisCli(port, flag, path);
  assert.equal(cli.code, 0, `redis-cli ${flag}: ${cli.stdout}${cli.stderr}`);
  const check = await new Deno.Command("redis-check-rdb", { args: [path], stdout: "piped" })
    .output();
  assert.ok(check.success, new TextDecoder().decode(check.stdout));
  const decoded = decodeRdb(await Deno.readFile(path));
  let keys = 0;
  for (const list of decoded.dbs.values()) keys += list.length;
  return { decoded, keys };
}

Deno.test("redis-cli --rdb gets the dump and --functions-rdb the header alone; the connection then closes", async () => {
  let master: ServerProcess | undefined;
  const dir = await Deno.makeTempDir({ prefix: "redeno_rdb_only_" });
  try {
    master = await startServer(KIND, [...MASTER_ARGS, "--repl-diskless-sync-delay", "0"]);
    const port = master.port;
    await writeMixedData(port);
    let dbsize = 0;
    for (const field of Object.values(await info(port, "keyspace"))) {
      dbsize += Number(/keys=(\d+)/.exec(field)![1]);
    }

    // Disk-based: the dump on disk goes out, then the rdb-only client is dropped.
    const disk = await fetchRdb(port, "--rdb", `${dir}/disk.rdb`);
    assert.equal(disk.keys, dbsize);
    await waitForLog(
      master,
      /RDB transfer completed, rdb only replica \(127\.0\.0\.1:.*\) should be disconnected asap/,
    );
    // A filtered snapshot always goes to the socket, even with repl-diskless-sync no.
    const functionsOnly = await fetchRdb(port, "--functions-rdb", `${dir}/functions.rdb`);
    assert.equal(functionsOnly.keys, 0);
    assert.equal(
      functionsOnly.decoded.aux.fields.get("repl-id"),
      (await info(port, "replication")).master_replid,
    );

    assert.equal(await call(port, "CONFIG", "SET", "repl-diskless-sync", "yes"), "OK");
    const diskless = await fetchRdb(port, "--rdb", `${dir}/diskless.rdb`);
    assert.equal(diskless.keys, dbsize);
    // No replica stays attached, and none was ever counted as online.
    await waitUntil(
      "rdb-only replicas gone",
      async () => (await info(port, "replication")).connected_slaves === "0",
    );
    assert.equal(countLog(master, "Synchronization with replica"), 0);
    assert.equal((await info(port, "stats")).sync_full, "3");

    // The REPLCONF options' own errors, and a filter without the EOF capability.
    const conn = await RespClient.connect(port);
    try {
      assert.deepEqual(
        await conn.command("REPLCONF", "rdb-only", "2"),
        new ErrorReply("ERR value is out of range, value must between 0 and 1"),
      );
      assert.deepEqual(
        await conn.command("REPLCONF", "rdb-filter-only", "data"),
        new ErrorReply("ERR Unsupported rdb-filter-only option: data"),
      );
      assert.equal(await conn.command("REPLCONF", "rdb-filter-only", ""), "OK");
      assert.deepEqual(
        await conn.command("SYNC"),
        new ErrorReply("ERR Filtered replica requires EOF capability"),
      );
    } finally {
      conn.close();
    }
  } finally {
    await stopAll(master);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("CLIENT PAUSE WRITE on a replica holds the master's stream in order until it ends", async () => {
  let master: ServerProcess | undefined;
  let replica: ServerProcess | undefined;
  try {
    master = await startServer(KIND, MASTER_ARGS);
    replica = await startReplicaOf(master.port, KIND, REPLICA_ARGS);
    await waitLinkUp(replica.port);
    await waitOffsetsMatch(master.port, [replica.port]);

    assert.equal(await call(replica.port, "CLIENT", "PAUSE", "800", "WRITE"), "OK");
    // The stream: SET in db 0, then SELECT 1 (not a write) and SET in db 1.
    assert.equal(await call(master.port, "SET", "in-db0", "a"), "OK");
    const conn = await RespClient.connect(master.port);
    try {
      assert.equal(await conn.command("SELECT", "1"), "OK");
      assert.equal(await conn.command("SET", "in-db1", "b"), "OK");
    } finally {
      conn.close();
    }
    await delay(200);
    // Reads are not paused: nothing has been applied, nor acknowledged, yet.
    assert.equal(await call(replica.port, "GET", "in-db0"), null);
    const held = Number((await info(replica.port, "replication")).slave_repl_offset);
    const masterOffset = Number((await info(master.port, "replication")).master_repl_offset);
    assert.ok(held < masterOffset, `replica at ${held} of ${masterOffset} while paused`);

    await waitOffsetsMatch(master.port, [replica.port]);
    assert.equal(await call(replica.port, "GET", "in-db0"), "a");
    const r = await RespClient.connect(replica.port);
    try {
      assert.equal(await r.command("SELECT", "1"), "OK");
      assert.equal(await r.command("GET", "in-db1"), "b");
      assert.equal(await r.command("EXISTS", "in-db0"), 0);
    } finally {
      r.close();
    }
  } finally {
    await stopAll(replica, master);
  }
});

Deno.test("after REPLICAOF NO ONE the other replica follows the new master with a partial resync", async () => {
  let master: ServerProcess | undefined;
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;
  try {
    master = await startServer(KIND, MASTER_ARGS);
    await writeMixedData(master.port);
    [a, b] = await Promise.all([
      startReplicaOf(master.port, KIND, [...REPLICA_ARGS, "--repl-diskless-sync", "no"]),
      startReplicaOf(master.port, KIND, REPLICA_ARGS),
    ]);
    await Promise.all([waitLinkUp(a.port), waitLinkUp(b.port)]);
    await call(master.port, "SET", "last-from-old-master", "1");
    await waitOffsetsMatch(master.port, [a.port, b.port]);
    const oldReplid = (await info(master.port, "replication")).master_replid;
    // The old master goes away, as in a real failover (Redis 7.0 sends a last GETACK as it stops).
    await master.stop();
    master = undefined;
    const offset = Number((await info(a.port, "replication")).master_repl_offset);

    assert.equal(await call(a.port, "REPLICAOF", "NO", "ONE"), "OK");
    const ra = await info(a.port, "replication");
    assert.equal(ra.role, "master");
    assert.equal(ra.master_replid2, oldReplid);
    assert.notEqual(ra.master_replid, oldReplid);
    assert.equal(ra.second_repl_offset, String(offset + 1));
    assert.equal(await call(a.port, "GET", "last-from-old-master"), "1");
    assert.equal(await call(a.port, "SET", "written-on-a", "new"), "OK");

    assert.equal(await call(b.port, "REPLICAOF", "127.0.0.1", a.port), "OK");
    await waitLinkUp(b.port);
    await waitForLog(b, "Successful partial resynchronization with master.");
    await waitForLog(
      a,
      new RegExp(`Partial resynchronization request from 127\\.0\\.0\\.1:${b.port} accepted`),
    );
    await waitOffsetsMatch(a.port, [b.port]);
    assert.equal(await call(b.port, "GET", "written-on-a"), "new");
    assert.equal(countLog(b, "Full resync from master"), 1, "only B's first sync was full");
    assert.equal((await info(a.port, "stats")).sync_full, "0");
    const rb = await info(b.port, "replication");
    assert.equal(rb.master_replid, ra.master_replid);
    await assertSameData(a.port, b.port);
  } finally {
    await stopAll(b, a, master);
  }
});

Deno.test("a demoted master joins the promoted replica with a partial resync", async () => {
  let master: ServerProcess | undefined;
  let a: ServerProcess | undefined;
  try {
    // No PING into the stream meanwhile: the old master's offset must stay where A left it.
    master = await startServer(KIND, [...MASTER_ARGS, "--repl-ping-replica-period", "60"]);
    await writeMixedData(master.port);
    a = await startReplicaOf(master.port, KIND, REPLICA_ARGS);
    await waitLinkUp(a.port);
    await waitOffsetsMatch(master.port, [a.port]);

    assert.equal(await call(a.port, "REPLICAOF", "NO", "ONE"), "OK");
    assert.equal(await call(a.port, "SET", "after-promotion", "a"), "OK");
    assert.equal(await call(master.port, "REPLICAOF", "127.0.0.1", a.port), "OK");
    await waitLinkUp(master.port);
    await waitForLog(
      master,
      "Before turning into a replica, using my own master parameters to synthesize a cached master",
    );
    await waitForLog(master, "Successful partial resynchronization with master.");
    await waitOffsetsMatch(a.port, [master.port]);
    assert.equal(await call(master.port, "GET", "after-promotion"), "a");
    assert.equal((await info(a.port, "stats")).sync_full, "0");
    assert.equal((await info(master.port, "replication")).role, "slave");
    await assertSameData(a.port, master.port);
  } finally {
    await stopAll(master, a);
  }
});

/**
 * The load of the full-sync test: redis-benchmark SETs, stopped once the
 * sync is over and the master processed BENCH_WRITES commands. Its request
 * count only bounds it (about a minute at full speed): a fixed 200,000
 * writes ended before the sync on a busy host.
 */
const BENCH_WRITES = 200_000;
const BENCH_MAX_REQUESTS = 12_000_000;
/**
 * How long the sync may take: a syncing replica puts its threads under
 * SCHED_IDLE, so on a busy machine it waits for every other process.
 */
const SYNC_WAIT_MS = 60_000;

Deno.test("a replica doing a full sync under redis-benchmark load ends with the master's dataset", async () => {
  let master: ServerProcess | undefined;
  let replica: ServerProcess | undefined;
  let bench: Deno.ChildProcess | undefined;
  try {
    master = await startServer(KIND, MASTER_ARGS);
    await fillKeys(master.port, 20_000, "pre");
    replica = await startServer(KIND, REPLICA_ARGS);
    bench = new Deno.Command("redis-benchmark", {
      args: [
        "-p",
        String(master.port),
        "-t",
        "set",
        "-r",
        "100000",
        "-n",
        String(BENCH_MAX_REQUESTS),
        "-P",
        "16",
        "-c",
        "20",
        "-q",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const benchDone = bench.output();
    // Keys with a TTL and other types, written by a client of our own during the sync.
    const writer = (async () => {
      const client = await RespClient.connect(master!.port);
      try {
        for (let i = 0; i < 40; i++) {
          const batch: string[][] = [];
          for (let j = 0; j < 50; j++) {
            const n = i * 50 + j;
            batch.push(["SET", `ex:${n}`, String(n), "EX", String(300 + n)]);
            batch.push(["HSET", `h:${n % 30}`, `f${n}`, String(n)]);
            batch.push(["ZADD", "z", String(n), `m${n}`]);
            batch.push(["EXPIRE", `pre:${n}`, "500"]);
          }
          await client.pipeline(batch);
          await delay(10);
        }
      } finally {
        client.close();
      }
    })();
    let benchRunning = true;
    benchDone.finally(() => benchRunning = false);
    // REPLICAOF as soon as the benchmark's writes arrive.
    const startedBy = Date.now() + 10_000;
    while (Number(await call(master.port, "DBSIZE")) < 21_000 && Date.now() < startedBy) {
      await delay(5);
    }
    await call(replica.port, "REPLICAOF", "127.0.0.1", master.port);
    // The snapshot starts while the load runs, so writes land during it.
    const syncDuringLoad = await waitUntil(
      "the replica's full sync",
      () =>
        replica!.log().includes("MASTER <-> REPLICA sync: Finished with success")
          ? { benchRunning }
          : undefined,
      SYNC_WAIT_MS,
    ).then((seen) => seen.benchRunning, () => false);
    // Then the load runs on until it made its 200,000 writes, and stops.
    await waitUntil(
      "redis-benchmark's writes",
      async () =>
        !benchRunning ||
        Number((await info(master!.port, "stats")).total_commands_processed) >= BENCH_WRITES,
      60_000,
    );
    const finishedAlone = !benchRunning;
    if (!finishedAlone) bench.kill("SIGINT");
    const [out] = await Promise.all([benchDone, writer]);
    bench = undefined;
    if (finishedAlone) assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    await waitLinkUp(replica.port, SYNC_WAIT_MS);
    await waitOffsetsMatch(master.port, [replica.port], SYNC_WAIT_MS);
    // (redis-server can finish the whole benchmark before its replica's PSYNC.)
    if (KIND === "redeno") {
      assert.ok(syncDuringLoad, "the full sync started while redis-benchmark was running");
    }
    assert.ok(countLog(replica, "Full resync from master") >= 1);
    const { keys } = await assertSameData(master.port, replica.port, "after the load");
    assert.ok(keys > 80_000, `expected most of the 100000 random keys, got ${keys}`);
  } finally {
    if (bench !== undefined) {
      try {
        bench.kill("SIGKILL");
      } catch {
        // gone
      }
      await bench.output().catch(() => {});
    }
    await stopAll(replica, master);
  }
});

Deno.test("a master restarted from its RDB keeps its history: the replica continues with a partial resync", async () => {
  const dir = await Deno.makeTempDir();
  let master: ServerProcess | undefined;
  let replica: ServerProcess | undefined;
  try {
    const masterArgs = ["--save", "3600 1", "--repl-diskless-sync", "no"];
    master = await startServer(KIND, masterArgs, { dir });
    const port = master.port;
    await call(port, "SET", "before", "1");
    replica = await startReplicaOf(port, KIND);
    await waitLinkUp(replica.port);
    await call(port, "SET", "during", "2");
    await waitOffsetsMatch(port, [replica.port]);
    await master.stop();
    assert.match(master.log(), /1 of 1 replicas are in sync when shutting down\./);
    master = await startServer(KIND, masterArgs, { dir, port });
    await waitLinkUp(replica.port);
    await waitForLog(master, "Partial resynchronization request from");
    await call(port, "SET", "after", "3");
    await waitOffsetsMatch(port, [replica.port]);
    assert.equal(await call(replica.port, "GET", "after"), "3");
    assert.equal(countLog(master, "Full resync requested"), 0);
    assert.equal(countLog(replica, "Successful partial resynchronization with master."), 1);
  } finally {
    await stopAll(replica, master);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("repl-diskless-load swapdb loads the transfer from memory and keeps the old data until it is in", async () => {
  let master: ServerProcess | undefined;
  let replica: ServerProcess | undefined;
  try {
    master = await startServer(KIND, ["--repl-diskless-sync-delay", "0"]);
    await writeMixedData(master.port, "swap");
    replica = await startReplicaOf(master.port, KIND, ["--repl-diskless-load", "swapdb"]);
    await waitLinkUp(replica.port);
    await waitOffsetsMatch(master.port, [replica.port]);
    await assertSameData(master.port, replica.port);
    await waitForLog(
      replica,
      "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to parser",
    );
    await waitForLog(replica, "MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
    await waitForLog(replica, "MASTER <-> REPLICA sync: Finished with success");
  } finally {
    await stopAll(replica, master);
  }
});

Deno.test("rdb-del-sync-files removes the dumps written only for a sync on both sides, as Redis does", async () => {
  let master: ServerProcess | undefined;
  let replica: ServerProcess | undefined;
  let keeper: ServerProcess | undefined;
  const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
  try {
    const del = ["--rdb-del-sync-files", "yes"];
    master = await startServer(KIND, [...MASTER_ARGS, ...del]);
    await call(master.port, "SET", "k", "v");
    replica = await startReplicaOf(master.port, KIND, [...REPLICA_ARGS, ...del]);
    await waitLinkUp(replica.port);
    await waitForLog(
      replica,
      "* Removing the RDB file obtained from the master. This replica has persistence disabled",
    );
    await waitForLog(
      master,
      "* Removing the RDB file used to feed replicas in a persistence-less instance",
    );
    await waitUntil(
      "both dumps to be gone",
      async () =>
        !(await exists(`${master!.dir}/dump.rdb`)) && !(await exists(`${replica!.dir}/dump.rdb`)),
    );
    assert.equal(await call(replica.port, "GET", "k"), "v");
    // Without the option (the default) the replica keeps what it got.
    keeper = await startReplicaOf(master.port, KIND, REPLICA_ARGS);
    await waitLinkUp(keeper.port);
    assert.ok(await exists(`${keeper.dir}/dump.rdb`));
    assert.equal(countLog(keeper, "Removing the RDB file"), 0);
  } finally {
    await stopAll(keeper, replica, master);
  }
});
