/**
 * `deno task demo`: the seed's master/slave walk-through, end to end.
 *
 * Starts the master from conf/master.conf (6379) and the replica from
 * conf/replica.conf (6378) — or free ports when those are taken, saying so —
 * waits for master_link_status:up, runs `redis-cli -p 6379 set name HongWan`
 * and `redis-cli -p 6378 get name`, prints INFO replication of both and the
 * replication lines of both logs, stops both, and exits 0 only when every
 * step matched.
 */
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Longest wait for any one step. */
const STEP_TIMEOUT_MS = 20_000;

/** Lines of both logs that tell the replication story (Redis 7.0's wording). */
const REPLICATION_LINE =
  /Replica .* asks for synchronization|Full resync requested|Partial resynchronization|Replication backlog created|Starting BGSAVE for SYNC|Background saving started|DB saved on disk|Background saving terminated|Synchronization with replica|Connecting to MASTER|MASTER <-> REPLICA sync|Non blocking connect for SYNC|Master replied to PING|Full resync from master|Loading RDB produced|Done loading RDB| # /;

interface Proc {
  name: string;
  port: number;
  child: Deno.ChildProcess;
  log: string[];
  done: Promise<void>;
}

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function choosePort(wanted: number, name: string): number {
  if (portFree(wanted)) return wanted;
  const port = freePort();
  console.log(`Port ${wanted} is taken; the ${name} uses ${port} instead.`);
  return port;
}

function start(name: string, port: number, args: string[]): Proc {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const lines = stream.pipeThrough(new TextDecoderStream());
    let rest = "";
    for await (const text of lines) {
      const parts = (rest + text).split("\n");
      rest = parts.pop() ?? "";
      log.push(...parts);
    }
    if (rest) log.push(rest);
  };
  const done = Promise.all([pump(child.stdout), pump(child.stderr)]).then(() => {});
  return { name, port, child, log, done };
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", {
    args: ["-p", String(port), ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function stop(proc: Proc): Promise<void> {
  try {
    proc.child.kill("SIGTERM");
  } catch {
    // already gone
  }
  const timer = setTimeout(() => {
    try {
      proc.child.kill("SIGKILL");
    } catch {
      // gone
    }
  }, 5000);
  await proc.child.status;
  clearTimeout(timer);
  await proc.done;
}

function step(ok: boolean, text: string): boolean {
  console.log(`${ok ? "ok  " : "FAIL"} ${text}`);
  return ok;
}

async function main(): Promise<number> {
  const ensure = await new Deno.Command("bash", { args: ["scripts/ensure_tools.sh"], cwd: ROOT })
    .output();
  if (ensure.code !== 0) {
    console.error("Could not install redis-cli (Debian's redis-tools).");
    return 1;
  }
  const masterPort = choosePort(6379, "master");
  const replicaPort = choosePort(6378, "replica");
  const dataDir = await Deno.makeTempDir({ prefix: "redeno-demo-" });
  const masterArgs = ["conf/master.conf", "--dir", dataDir, "--dbfilename", "master.rdb"];
  if (masterPort !== 6379) masterArgs.push("--port", String(masterPort));
  const replicaArgs = ["conf/replica.conf", "--dir", dataDir, "--dbfilename", "replica.rdb"];
  if (replicaPort !== 6378) replicaArgs.push("--port", String(replicaPort));
  if (masterPort !== 6379) replicaArgs.push("--replicaof", `127.0.0.1 ${masterPort}`);

  console.log(`$ deno run -A main.ts ${masterArgs.join(" ")}`);
  const master = start("master", masterPort, masterArgs);
  let replica: Proc | undefined;
  let ok = true;
  try {
    await until("the master", async () => (await cli(masterPort, "ping")) === "PONG");
    console.log(`$ deno run -A main.ts ${replicaArgs.join(" ")}`);
    replica = start("replica", replicaPort, replicaArgs);
    await until(
      "master_link_status:up",
      async () => (await cli(replicaPort, "info", "replication")).includes("master_link_status:up"),
    );
    ok = step(true, "the replica's link to the master is up") && ok;

    const set = await cli(masterPort, "set", "name", "HongWan");
    console.log(`$ redis-cli -p ${masterPort} set name HongWan\n${set}`);
    ok = step(set === "OK", "SET on the master") && ok;
    let got = "";
    await until(
      "the key on the replica",
      async () => (got = await cli(replicaPort, "get", "name")) === "HongWan",
    )
      .catch(() => {});
    console.log(`$ redis-cli -p ${replicaPort} get name\n"${got}"`);
    ok = step(got === "HongWan", "GET on the replica returns the master's value") && ok;

    const masterInfo = await cli(masterPort, "info", "replication");
    const replicaInfo = await cli(replicaPort, "info", "replication");
    console.log(`$ redis-cli -p ${masterPort} info replication\n${masterInfo}`);
    console.log(`$ redis-cli -p ${replicaPort} info replication\n${replicaInfo}`);
    ok = step(
      masterInfo.includes("role:master") && masterInfo.includes("connected_slaves:1"),
      "master: role:master, connected_slaves:1",
    ) && ok;
    ok = step(
      new RegExp(`slave0:ip=127\\.0\\.0\\.1,port=${replicaPort},state=online`).test(masterInfo),
      "master lists the replica online",
    ) && ok;
    ok = step(
      replicaInfo.includes("role:slave") && replicaInfo.includes("master_link_status:up"),
      "replica: role:slave, master_link_status:up",
    ) && ok;
    const keyspace = await cli(replicaPort, "info", "keyspace");
    ok = step(
      keyspace.includes("db0:keys=1,expires=0,avg_ttl=0"),
      "replica: db0:keys=1,expires=0,avg_ttl=0",
    ) && ok;
  } catch (err) {
    ok = step(false, (err as Error).message);
  } finally {
    if (replica) await stop(replica);
    await stop(master);
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
  for (const proc of [master, replica]) {
    if (!proc) continue;
    console.log(`\n--- ${proc.name} log (replication lines) ---`);
    for (const line of proc.log) if (REPLICATION_LINE.test(line)) console.log(line);
  }
  const masterLog = master.log.join("\n");
  const replicaLog = replica?.log.join("\n") ?? "";
  ok = step(
    /Synchronization with replica 127\.0\.0\.1:\d+ succeeded/.test(masterLog),
    "master log: Synchronization with replica … succeeded",
  ) && ok;
  ok = step(
    /MASTER <-> REPLICA sync: Finished with success/.test(replicaLog),
    "replica log: MASTER <-> REPLICA sync: Finished with success",
  ) && ok;
  console.log(ok ? "\nThe walk-through matched." : "\nThe walk-through did NOT match.");
  return ok ? 0 : 1;
}

Deno.exit(await main());
