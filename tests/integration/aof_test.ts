/**
 * The multi-part AOF against the reference redis-server 7.0: Redeno's AOF
 * directory survives restarts, passes redis-check-aof and loads in
 * redis-server; Redeno loads what redis-server wrote; BGREWRITEAOF; torn
 * and corrupt files; appendfsync always under kill -9; a replica's rewrite
 * after its full sync.
 */
import assert from "node:assert/strict";
import { type Reply, RespClient } from "../helpers/resp_client.ts";
import {
  delay,
  freePort,
  parseInfo,
  type ServerProcess,
  startRedeno,
  startRedis,
} from "../helpers/server_process.ts";

const AOF = ["--appendonly", "yes"];
const BINARY = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");

/** Runs `fn` with a fresh directory, removed afterwards. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "redeno_aof_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Runs `fn` with a client connected to `server`. */
async function withClient<T>(server: ServerProcess, fn: (c: RespClient) => Promise<T>): Promise<T> {
  const client = await RespClient.connect(server.port);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** Writes every type, several dbs, binary data, a TTL, big collections (more than 64 items). */
async function populate(c: RespClient, tag: string): Promise<void> {
  const big = Array.from({ length: 150 }, (_, i) => `${tag}-item-${i}`);
  await c.command("SET", `${tag}:str`, "hello");
  await c.command("SET", `${tag}:bin\x00\xff`, BINARY);
  await c.command("SET", `${tag}:int`, "12345");
  await c.command("INCRBY", `${tag}:int`, "5");
  await c.command("SET", `${tag}:ttl`, "soon", "EX", "3600");
  await c.command("RPUSH", `${tag}:list`, "a", "b", BINARY, ...big);
  await c.command("LPOP", `${tag}:list`);
  await c.command("HSET", `${tag}:hash`, "f", "v", "n", "42", ...big.flatMap((x) => [x, x]));
  await c.command("SADD", `${tag}:set`, "1", "2", "x", ...big);
  await c.command("SADD", `${tag}:intset`, "1", "2", "-3");
  await c.command("ZADD", `${tag}:zset`, "1.5", "a", "-2", "b", "0.1", "c", "inf", "d");
  await c.command("ZADD", `${tag}:zbig`, ...big.flatMap((x, i) => [String(i / 7), x]));
  await c.command("SELECT", "3");
  await c.command("SET", `${tag}:db3`, "three");
  await c.command("HSET", `${tag}:db3hash`, "a", "b");
  await c.command("SELECT", "0");
  await c.command("SET", `${tag}:gone`, "x");
  await c.command("DEL", `${tag}:gone`);
}

/** Every key of every db with its type, value (collections sorted) and whether it has a TTL. */
async function dataset(c: RespClient): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (let db = 0; db < 16; db++) {
    await c.command("SELECT", String(db));
    const keys = (await c.command("KEYS", "*")) as string[];
    for (const key of keys) {
      const type = await c.command("TYPE", key);
      let value: Reply;
      switch (type) {
        case "string":
          value = await c.command("GET", key);
          break;
        case "list":
          value = await c.command("LRANGE", key, "0", "-1");
          break;
        case "hash":
          value = pairs(await c.command("HGETALL", key));
          break;
        case "set":
          value = ((await c.command("SMEMBERS", key)) as string[]).sort();
          break;
        case "zset":
          value = await c.command("ZRANGE", key, "0", "-1", "WITHSCORES");
          break;
        default:
          value = `unexpected type ${type}`;
      }
      const pttl = (await c.command("PTTL", key)) as number;
      out.set(`${db}:${key}`, [type, value, pttl > 0]);
    }
  }
  await c.command("SELECT", "0");
  return out;
}

function pairs(reply: Reply): string[] {
  const flat = reply as string[];
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(`${flat[i]}=${flat[i + 1]}`);
  return out.sort();
}

function assertSameDataset(actual: Map<string, unknown>, expected: Map<string, unknown>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [key, value] of expected) assert.deepEqual(actual.get(key), value, key);
}

async function info(server: ServerProcess): Promise<Map<string, string>> {
  return await withClient(server, async (c) => parseInfo((await c.command("INFO")) as string));
}

/** Waits until no AOF rewrite runs (and the last one is accounted for). */
async function waitRewriteDone(server: ServerProcess, rewrites: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const fields = await info(server);
    if (
      fields.get("aof_rewrite_in_progress") === "0" &&
      Number(fields.get("aof_rewrites")) >= rewrites && fields.get("aof_rewrite_scheduled") === "0"
    ) {
      return;
    }
    await delay(50);
  }
  throw new Error(`the AOF rewrite did not finish\n${server.log()}`);
}

async function readManifest(dir: string): Promise<string> {
  return await Deno.readTextFile(`${dir}/appendonlydir/appendonly.aof.manifest`);
}

async function checkAof(dir: string): Promise<{ code: number; out: string }> {
  const result = await new Deno.Command("redis-check-aof", {
    args: [`${dir}/appendonlydir/appendonly.aof.manifest`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: result.code,
    out: text.decode(result.stdout) + text.decode(result.stderr),
  };
}

/** Waits for a log line, or fails with the log. */
async function waitLog(server: ServerProcess, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!server.log().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in the log:\n${server.log()}`);
    await delay(50);
  }
}

Deno.test("Redeno with appendonly yes keeps its writes across a restart", async () => {
  await withDir(async (dir) => {
    let expected: Map<string, unknown>;
    const first = await startRedeno(AOF, { dir });
    try {
      await waitLog(first, "Ready to accept connections");
      const log = first.log();
      assert.match(log, /Creating AOF base file appendonly\.aof\.1\.base\.rdb on server start/);
      assert.match(log, /Creating AOF incr file appendonly\.aof\.1\.incr\.aof on server start/);
      expected = await withClient(first, async (c) => {
        await populate(c, "r");
        return await dataset(c);
      });
      const fields = await info(first);
      assert.equal(fields.get("aof_enabled"), "1");
      assert.equal(fields.get("aof_last_write_status"), "ok");
      assert.ok(Number(fields.get("aof_current_size")) > 0);
      assert.equal(fields.get("aof_base_size"), "0");
    } finally {
      await first.stop();
    }
    assert.equal(
      await readManifest(dir),
      "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
    const second = await startRedeno(AOF, { dir });
    try {
      await withClient(second, async (c) => assertSameDataset(await dataset(c), expected));
      const log = second.log();
      assert.match(log, /Reading RDB base file on AOF loading\.\.\./);
      assert.match(
        log,
        /DB loaded from base file appendonly\.aof\.1\.base\.rdb: \d+\.\d{3} seconds/,
      );
      assert.match(
        log,
        /DB loaded from incr file appendonly\.aof\.1\.incr\.aof: \d+\.\d{3} seconds/,
      );
      assert.match(log, /DB loaded from append only file: \d+\.\d{3} seconds/);
      assert.match(log, /Opening AOF incr file appendonly\.aof\.1\.incr\.aof on server start/);
    } finally {
      await second.stop();
    }
    const check = await checkAof(dir);
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /All AOF files and manifest are valid/);
  });
});

Deno.test("BGREWRITEAOF swaps in a new base and incr file and the data survives a restart", async () => {
  await withDir(async (dir) => {
    let expected: Map<string, unknown>;
    const server = await startRedeno(AOF, { dir });
    try {
      expected = await withClient(server, async (c) => {
        await populate(c, "before");
        assert.equal(
          await c.command("BGREWRITEAOF"),
          "Background append only file rewriting started",
        );
        // Writes during the rewrite go to the new incr file.
        await populate(c, "during");
        await waitRewriteDone(server, 1);
        await populate(c, "after");
        return await dataset(c);
      });
      const log = server.log();
      const pid = server.pid;
      for (
        const line of [
          "Creating AOF incr file appendonly.aof.2.incr.aof on background rewrite",
          `Background append only file rewriting started by pid ${pid}`,
          "Background AOF rewrite terminated with success",
          `Successfully renamed the temporary AOF base file temp-rewriteaof-bg-${pid}.aof into appendonly.aof.2.base.rdb`,
          "Removing the history file appendonly.aof.1.incr.aof in the background",
          "Removing the history file appendonly.aof.1.base.rdb in the background",
          "Background AOF rewrite finished successfully",
        ]
      ) {
        assert.ok(log.includes(line), `missing: ${line}\n${log}`);
      }
      const fields = await info(server);
      assert.equal(fields.get("aof_rewrites"), "1");
      assert.equal(fields.get("aof_last_bgrewrite_status"), "ok");
      assert.ok(Number(fields.get("aof_base_size")) > 0);
    } finally {
      await server.stop();
    }
    assert.equal(
      await readManifest(dir),
      "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
    );
    const names = [...Deno.readDirSync(`${dir}/appendonlydir`)].map((e) => e.name).sort();
    assert.deepEqual(names, [
      "appendonly.aof.2.base.rdb",
      "appendonly.aof.2.incr.aof",
      "appendonly.aof.manifest",
    ]);
    const check = await checkAof(dir);
    assert.equal(check.code, 0, check.out);
    const again = await startRedeno(AOF, { dir });
    try {
      await withClient(again, async (c) => assertSameDataset(await dataset(c), expected));
    } finally {
      await again.stop();
    }
  });
});

Deno.test("redis-server 7.0 serves the dataset of Redeno's AOF directory", async () => {
  for (const preamble of ["yes", "no"]) {
    await withDir(async (dir) => {
      const args = [...AOF, "--aof-use-rdb-preamble", preamble];
      let expected: Map<string, unknown>;
      const server = await startRedeno(args, { dir });
      try {
        expected = await withClient(server, async (c) => {
          await populate(c, "base");
          await c.command("BGREWRITEAOF");
          await waitRewriteDone(server, 1);
          await populate(c, "incr");
          return await dataset(c);
        });
      } finally {
        await server.stop();
      }
      const check = await checkAof(dir);
      assert.equal(check.code, 0, check.out);
      const redis = await startRedis(args, { dir });
      try {
        await withClient(redis, async (c) => assertSameDataset(await dataset(c), expected));
        assert.match(redis.log(), /DB loaded from append only file/);
      } finally {
        await redis.stop();
      }
    });
  }
});

Deno.test("Redeno serves the dataset of an AOF directory redis-server wrote", async () => {
  for (const preamble of ["yes", "no"]) {
    await withDir(async (dir) => {
      const args = [...AOF, "--aof-use-rdb-preamble", preamble];
      let expected: Map<string, unknown>;
      const redis = await startRedis(args, { dir });
      try {
        expected = await withClient(redis, async (c) => {
          await populate(c, "base");
          await c.command("BGREWRITEAOF");
          await waitRewriteDone(redis, 1);
          await populate(c, "incr");
          return await dataset(c);
        });
      } finally {
        await redis.stop();
      }
      const server = await startRedeno(args, { dir });
      try {
        await withClient(server, async (c) => assertSameDataset(await dataset(c), expected));
        const suffix = preamble === "yes" ? "rdb" : "aof";
        assert.match(
          server.log(),
          new RegExp(`DB loaded from base file appendonly\\.aof\\.2\\.base\\.${suffix}`),
        );
        assert.match(server.log(), /Opening AOF incr file appendonly\.aof\.2\.incr\.aof/);
      } finally {
        await server.stop();
      }
    });
  }
});

Deno.test("a torn last command is cut off with aof-load-truncated yes and refused with no", async () => {
  await withDir(async (dir) => {
    const server = await startRedeno(AOF, { dir });
    try {
      await withClient(server, async (c) => {
        await c.command("SET", "k1", "v1");
        await c.command("SET", "k2", "v2");
      });
    } finally {
      await server.stop();
    }
    const incr = `${dir}/appendonlydir/appendonly.aof.1.incr.aof`;
    const good = await Deno.readFile(incr);
    const torn = new TextEncoder().encode("*3\r\n$3\r\nSET\r\n$2\r\nk3\r\n$2\r\nv");
    const withTail = new Uint8Array(good.length + torn.length);
    withTail.set(good);
    withTail.set(torn, good.length);
    await Deno.writeFile(incr, withTail);

    const refused = await startRedeno([...AOF, "--aof-load-truncated", "no"], {
      dir,
      noWait: true,
    });
    const status = await refused.status;
    assert.equal(status.code, 1, refused.log());
    assert.match(
      refused.log(),
      /Unexpected end of file reading the append only file appendonly\.aof\.1\.incr\.aof\. You can: 1\) Make a backup of your AOF file, then use \.\/redis-check-aof --fix <filename\.manifest>\. 2\) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server\./,
    );
    await refused.stop();

    const loaded = await startRedeno(AOF, { dir });
    try {
      const log = loaded.log();
      assert.match(
        log,
        /!!! Warning: short read while loading the AOF file appendonly\.aof\.1\.incr\.aof!!!/,
      );
      assert.ok(
        log.includes(
          `!!! Truncating the AOF appendonly.aof.1.incr.aof at offset ${good.length} !!!`,
        ),
        log,
      );
      assert.match(
        log,
        /AOF appendonly\.aof\.1\.incr\.aof loaded anyway because aof-load-truncated is enabled/,
      );
      await withClient(loaded, async (c) => {
        assert.equal(await c.command("GET", "k1"), "v1");
        assert.equal(await c.command("GET", "k2"), "v2");
        assert.equal(await c.command("EXISTS", "k3"), 0);
        await c.command("SET", "k4", "v4");
      });
    } finally {
      await loaded.stop();
    }
    const check = await checkAof(dir);
    assert.equal(check.code, 0, check.out);
  });
});

Deno.test("a corrupt command in the middle of the AOF stops the start-up", async () => {
  await withDir(async (dir) => {
    const server = await startRedeno(AOF, { dir });
    try {
      await withClient(server, async (c) => {
        await c.command("SET", "k1", "v1");
        await c.command("SET", "k2", "v2");
      });
    } finally {
      await server.stop();
    }
    const incr = `${dir}/appendonlydir/appendonly.aof.1.incr.aof`;
    const text = await Deno.readTextFile(incr);
    const second = text.indexOf("*3", text.indexOf("*3") + 1);
    await Deno.writeTextFile(incr, text.slice(0, second) + "?" + text.slice(second + 1));
    const refused = await startRedeno(AOF, { dir, noWait: true });
    const status = await refused.status;
    assert.equal(status.code, 1, refused.log());
    assert.ok(
      refused.log().includes(
        "Bad file format reading the append only file appendonly.aof.1.incr.aof: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
      ),
      refused.log(),
    );
    await refused.stop();
  });
});

Deno.test("appendfsync always loses no acknowledged write to kill -9", async () => {
  await withDir(async (dir) => {
    const args = [...AOF, "--appendfsync", "always"];
    const server = await startRedeno(args, { dir });
    const acked: Array<[string, string]> = [];
    try {
      const clients = await Promise.all(
        Array.from({ length: 4 }, () => RespClient.connect(server.port)),
      );
      const stopAt = Date.now() + 2000;
      let killed = false;
      const writers = clients.map(async (c, n) => {
        for (let i = 0; !killed; i++) {
          const key = `c${n}:k${i}`;
          const value = `v${i}-${"x".repeat(i % 50)}`;
          try {
            const reply = await c.command("SET", key, value);
            if (reply === "OK") acked.push([key, value]);
          } catch {
            return; // the server is gone
          }
        }
      });
      while (Date.now() < stopAt) await delay(20);
      await server.kill9();
      killed = true;
      await Promise.all(writers);
      for (const c of clients) c.close();
    } finally {
      await server.kill9();
    }
    assert.ok(acked.length > 50, `only ${acked.length} writes were acknowledged`);
    const restarted = await startRedeno(args, { dir });
    try {
      await withClient(restarted, async (c) => {
        for (let i = 0; i < acked.length; i += 500) {
          const chunk = acked.slice(i, i + 500);
          const values = (await c.command("MGET", ...chunk.map(([k]) => k))) as Reply[];
          chunk.forEach(([key, value], j) =>
            assert.equal(values[j], value, `${key}\n${restarted.log()}`)
          );
        }
      });
    } finally {
      await restarted.stop();
    }
  });
});

Deno.test("CONFIG SET appendonly yes creates the AOF with a rewrite, and no stops it", async () => {
  await withDir(async (dir) => {
    const server = await startRedeno([], { dir });
    try {
      await withClient(server, async (c) => {
        await populate(c, "x");
        assert.equal((await info(server)).get("aof_enabled"), "0");
        assert.equal(await c.command("CONFIG", "SET", "appendonly", "yes"), "OK");
        await waitRewriteDone(server, 1);
        await c.command("SET", "later", "1");
        const fields = await info(server);
        assert.equal(fields.get("aof_enabled"), "1");
        assert.ok(fields.has("aof_current_size"));
        const log = server.log();
        assert.match(
          log,
          /Creating AOF incr file temp-appendonly\.aof\.incr on background rewrite/,
        );
        assert.match(
          log,
          /Successfully renamed the temporary AOF incr file temp-appendonly\.aof\.incr into appendonly\.aof\.1\.incr\.aof/,
        );
        assert.equal(
          await readManifest(dir),
          "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
        );
        assert.equal(await c.command("CONFIG", "SET", "appendonly", "no"), "OK");
        const off = await info(server);
        assert.equal(off.get("aof_enabled"), "0");
        assert.equal(off.has("aof_current_size"), false);
      });
    } finally {
      await server.stop();
    }
    const check = await checkAof(dir);
    assert.equal(check.code, 0, check.out);
  });
});

Deno.test("a replica with appendonly yes rewrites its AOF after the full sync", async () => {
  const master = await startRedeno([]);
  let replica: ServerProcess | undefined;
  try {
    await withClient(master, async (c) => await c.command("SET", "from-master", "1"));
    replica = await startRedeno([...AOF, "--replicaof", "127.0.0.1", String(master.port)], {
      port: freePort(),
    });
    await waitLog(replica, "MASTER <-> REPLICA sync: Finished with success");
    await waitLog(replica, "Background AOF rewrite finished successfully");
    const log = replica.log();
    const synced = log.indexOf("MASTER <-> REPLICA sync: Finished with success");
    assert.ok(
      log.indexOf("Creating AOF incr file temp-appendonly.aof.incr on background rewrite") > synced,
      log,
    );
    assert.match(
      log,
      /Successfully renamed the temporary AOF incr file temp-appendonly\.aof\.incr into appendonly\.aof\.2\.incr\.aof/,
    );
    assert.match(log, /Removing the history file appendonly\.aof\.1\.base\.rdb in the background/);
    await withClient(master, async (c) => await c.command("SET", "streamed", "2"));
    const deadline = Date.now() + 10_000;
    while ((await withClient(replica, (c) => c.command("GET", "streamed"))) !== "2") {
      if (Date.now() > deadline) throw new Error("the write did not reach the replica");
      await delay(50);
    }
    assert.equal(
      await readManifest(replica.dir),
      "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
    );
    const incr = await Deno.readTextFile(`${replica.dir}/appendonlydir/appendonly.aof.2.incr.aof`);
    assert.ok(incr.includes("streamed"), JSON.stringify(incr));
  } finally {
    await replica?.stop();
    await master.stop();
  }
});

Deno.test("writes made during repeated rewrites are all in the AOF after a restart", async () => {
  await withDir(async (dir) => {
    let expected: Map<string, unknown>;
    const server = await startRedeno([...AOF, "--hz", "50"], { dir });
    try {
      const clients = await Promise.all(
        Array.from({ length: 3 }, () => RespClient.connect(server.port)),
      );
      const stopAt = Date.now() + 2000;
      const writers = clients.map(async (c, n) => {
        for (let i = 0; Date.now() < stopAt; i++) {
          const k = (i * 7919 + n) % 500;
          await c.pipeline([
            ["INCR", `counter:${k}`],
            ["RPUSH", `list:${k % 50}`, `${n}-${i}`],
            ["HINCRBY", `hash:${k % 20}`, `f${n}`, "1"],
            ["ZINCRBY", "zset", "1", `m${k % 100}`],
            ["SELECT", String(k % 4)],
            ["SADD", `set:${k % 10}`, String(i)],
            ["SELECT", "0"],
          ]);
        }
      });
      let rewrites = 0;
      const rewriter = (async () => {
        while (Date.now() < stopAt) {
          const reply = await withClient(server, (c) => c.command("BGREWRITEAOF"));
          if (reply === "Background append only file rewriting started") rewrites++;
          await delay(100);
        }
      })();
      await Promise.all([...writers, rewriter]);
      for (const c of clients) c.close();
      await waitRewriteDone(server, rewrites);
      assert.ok(rewrites >= 3, `only ${rewrites} rewrites`);
      expected = await withClient(server, dataset);
    } finally {
      await server.stop();
    }
    const check = await checkAof(dir);
    assert.equal(check.code, 0, check.out);
    const again = await startRedeno(AOF, { dir });
    try {
      await withClient(again, async (c) => assertSameDataset(await dataset(c), expected));
    } finally {
      await again.stop();
    }
  });
});

for (const kind of ["redeno", "redis"] as const) {
  Deno.test(`DEBUG LOADAOF reads the AOF directory again, and ends a server without one (${kind})`, async () => {
    const start = kind === "redeno" ? startRedeno : startRedis;
    await withDir(async (dir) => {
      const args = [...AOF, "--enable-debug-command", "yes"];
      const server = await start(args, { dir });
      try {
        await withClient(server, async (c) => {
          await populate(c, "l");
          const before = await dataset(c);
          assert.equal(await c.command("DEBUG", "LOADAOF"), "OK");
          assertSameDataset(await dataset(c), before);
          // What the files hold is what comes back: a command appended behind the server's back.
          const incr = `${dir}/appendonlydir/appendonly.aof.1.incr.aof`;
          await Deno.writeTextFile(incr, "*3\r\n$3\r\nSET\r\n$5\r\nadded\r\n$1\r\n1\r\n", {
            append: true,
          });
          await c.command("SET", "l:str", "changed");
          assert.equal(await c.command("DEBUG", "LOADAOF"), "OK");
          assert.equal(await c.command("GET", "added"), "1");
          assert.equal(await c.command("GET", "l:str"), "changed");
          assert.equal((await info(server)).get("rdb_changes_since_last_save"), "0");
        });
        assert.match(server.log(), /# Append Only File loaded by DEBUG LOADAOF/);
      } finally {
        await server.stop();
      }
    });
    // Without an AOF directory the load fails, and Redis exits with code 1.
    const bare = await start(["--enable-debug-command", "yes"]);
    try {
      await withClient(bare, (c) => c.command("DEBUG", "LOADAOF").catch(() => undefined));
      assert.equal((await bare.status).code, 1);
    } finally {
      await bare.stop();
    }
  });
}
