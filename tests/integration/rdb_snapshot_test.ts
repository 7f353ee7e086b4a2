/**
 * Snapshots as Redis users rely on them: point-in-time (writes during a
 * BGSAVE are absent, every key present at its start is there), a failed save
 * keeps the previous dump and reports err/MISCONF, and kill -9 mid-save leaves
 * the previous dump intact plus a temp file the next start-up removes.
 */
import assert from "node:assert/strict";
import {
  command,
  delay,
  parseInfo,
  redisCliWithInput,
  startRedeno,
} from "../helpers/server_process.ts";
import { decodeRdb } from "../../src/persistence/rdb_decoder.ts";

/** RESP for `SET key:<i> <value>` for i in [from, to). */
function setCommands(from: number, to: number, value: (i: number) => string): string {
  const parts: string[] = [];
  for (let i = from; i < to; i++) {
    const key = `key:${i}`;
    const v = value(i);
    parts.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${v.length}\r\n${v}\r\n`);
  }
  return parts.join("");
}

async function load(port: number, count: number, value: (i: number) => string): Promise<void> {
  const out = await redisCliWithInput(port, ["--pipe"], setCommands(0, count, value));
  assert.equal(out.code, 0, out.stdout + out.stderr);
  assert.match(out.stdout, /errors: 0, replies: \d+/);
}

async function persistence(port: number): Promise<Map<string, string>> {
  return parseInfo(await command(port, "INFO", "persistence") as string);
}

async function waitSaved(port: number, ms = 20_000): Promise<Map<string, string>> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const info = await persistence(port);
    if (info.get("rdb_bgsave_in_progress") === "0") return info;
    await delay(20);
  }
  throw new Error("BGSAVE did not finish");
}

Deno.test("a BGSAVE is a point-in-time image: writes made while it runs are absent", async () => {
  const server = await startRedeno();
  try {
    const count = 200_000;
    await load(server.port, count, (i) => `v${i}-` + "x".repeat(40));
    assert.equal(await command(server.port, "BGSAVE"), "Background saving started");
    // These land while the walk is under way (200k keys take well over one 2 ms slice).
    const during = await persistence(server.port);
    for (let i = 0; i < 500; i++) {
      await command(server.port, "SET", `key:${count - 1 - i}`, "changed");
      await command(server.port, "DEL", `key:${i}`);
      await command(server.port, "SET", `new:${i}`, "born during the save");
    }
    const after = await waitSaved(server.port);
    // The keys changed or deleted before the walk reached them were copied first.
    assert.ok(Number(after.get("rdb_last_cow_size")) > 0, "rdb_last_cow_size counts copied bytes");
    const file = await Deno.readFile(`${server.dir}/dump.rdb`);
    const decoded = decodeRdb(file);
    const entries = decoded.dbs.get(0) ?? [];
    const keys = new Map(entries.map((e) => [e.key, e.value]));
    assert.equal(keys.size, count, "every key present at the start, nothing else");
    for (let i = 0; i < 500; i++) {
      assert.equal(
        keys.get(`key:${i}`),
        `v${i}-` + "x".repeat(40),
        "deleted during the save, still in it",
      );
      const last = count - 1 - i;
      assert.equal(
        keys.get(`key:${last}`),
        `v${last}-` + "x".repeat(40),
        "changed during the save, old value in it",
      );
      assert.equal(keys.has(`new:${i}`), false, "born during the save, absent");
    }
    // The check only means something if the writes really overlapped the save.
    assert.equal(during.get("rdb_bgsave_in_progress"), "1");
    assert.equal(during.get("current_save_keys_total"), String(count));
  } finally {
    await server.stop();
  }
});

Deno.test("a failed save keeps the previous dump, reports err and refuses writes with MISCONF", async () => {
  const server = await startRedeno(["--save", "3600 1"]);
  try {
    await command(server.port, "SET", "a", "1");
    assert.equal(await command(server.port, "SAVE"), "OK");
    const before = await Deno.readFile(`${server.dir}/dump.rdb`);
    // The worker cannot create its temp file where a directory stands.
    await Deno.mkdir(`${server.dir}/temp-${server.pid}.rdb`);
    await command(server.port, "SET", "b", "2");
    assert.equal(await command(server.port, "BGSAVE"), "Background saving started");
    const info = await waitSaved(server.port);
    assert.equal(info.get("rdb_last_bgsave_status"), "err");
    assert.deepEqual(await Deno.readFile(`${server.dir}/dump.rdb`), before);
    const reply = await command(server.port, "SET", "c", "3");
    assert.match(String((reply as { message?: string }).message ?? reply), /^MISCONF /);
    assert.match(
      server.log(),
      new RegExp(
        `:C .* # Failed opening the temp RDB file temp-${server.pid}\\.rdb \\(in server root dir ` +
          `${server.dir.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\) for saving: Is a directory\n`,
      ),
    );
    assert.match(server.log(), /Background saving error/);
    await Deno.remove(`${server.dir}/temp-${server.pid}.rdb`, { recursive: true });
    assert.equal(await command(server.port, "BGSAVE"), "Background saving started");
    assert.equal((await waitSaved(server.port)).get("rdb_last_bgsave_status"), "ok");
    assert.equal(await command(server.port, "SET", "c", "3"), "OK");
  } finally {
    await server.stop();
  }
});

Deno.test("a BGSAVE whose writes fail (disk full) keeps the previous dump and says why", async () => {
  const server = await startRedeno(["--save", ""]);
  try {
    for (let i = 0; i < 2000; i++) await command(server.port, "SET", `key:${i}`, "v".repeat(200));
    assert.equal(await command(server.port, "SAVE"), "OK");
    const before = await Deno.readFile(`${server.dir}/dump.rdb`);
    await command(server.port, "SET", "more", "1");
    // The temp file opens fine, and every write to it fails with ENOSPC.
    const temp = `${server.dir}/temp-${server.pid}.rdb`;
    await Deno.symlink("/dev/full", temp);
    assert.equal(await command(server.port, "BGSAVE"), "Background saving started");
    const info = await waitSaved(server.port);
    assert.equal(info.get("rdb_last_bgsave_status"), "err");
    assert.deepEqual(await Deno.readFile(`${server.dir}/dump.rdb`), before);
    assert.match(server.log(), /:C .* # Write error saving DB on disk: No space left on device\n/);
    assert.equal(await Deno.lstat(temp).then(() => true, () => false), false, "temp link removed");
    assert.equal(await command(server.port, "BGSAVE"), "Background saving started");
    assert.equal((await waitSaved(server.port)).get("rdb_last_bgsave_status"), "ok");
  } finally {
    await server.stop();
  }
});

Deno.test("kill -9 during a BGSAVE leaves the previous dump, and the next start-up removes the temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await startRedeno([], { dir });
    let before: Uint8Array;
    try {
      await command(first.port, "SET", "old", "dump");
      assert.equal(await command(first.port, "SAVE"), "OK");
      before = await Deno.readFile(`${dir}/dump.rdb`);
      await load(first.port, 300_000, (i) => `value-${i}-` + "y".repeat(80));
      assert.equal(await command(first.port, "BGSAVE"), "Background saving started");
      await delay(30);
    } finally {
      await first.kill9();
    }
    assert.deepEqual(await Deno.readFile(`${dir}/dump.rdb`), before, "previous dump intact");
    const second = await startRedeno([], { dir });
    try {
      assert.equal(await command(second.port, "GET", "old"), "dump");
      assert.equal(await command(second.port, "DBSIZE"), 1);
      const leftovers = [];
      for await (const entry of Deno.readDir(dir)) {
        if (entry.name.startsWith("temp-")) leftovers.push(entry.name);
      }
      assert.deepEqual(leftovers, []);
    } finally {
      await second.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("DEBUG RELOAD saves and loads the dataset back, and NOSAVE reloads the file on disk", async () => {
  const server = await startRedeno(["--enable-debug-command", "yes"]);
  try {
    await command(server.port, "SET", "a", "1");
    await command(server.port, "RPUSH", "l", "x", "y");
    await command(server.port, "PEXPIRE", "a", 100_000);
    assert.equal(await command(server.port, "DEBUG", "RELOAD"), "OK");
    assert.equal(await command(server.port, "GET", "a"), "1");
    assert.deepEqual(await command(server.port, "LRANGE", "l", 0, -1), ["x", "y"]);
    assert.ok((await command(server.port, "PTTL", "a") as number) > 90_000);
    // NOSAVE loads what is on disk: a key written since is gone.
    await command(server.port, "SET", "b", "2");
    assert.equal(await command(server.port, "DEBUG", "RELOAD", "NOSAVE"), "OK");
    assert.equal(await command(server.port, "GET", "b"), null);
    // MERGE keeps keys the file does not have.
    await command(server.port, "SET", "c", "3");
    assert.equal(await command(server.port, "DEBUG", "RELOAD", "NOSAVE", "MERGE"), "OK");
    assert.equal(await command(server.port, "GET", "c"), "3");
    assert.equal(await command(server.port, "GET", "a"), "1");
    assert.match(server.log(), /# DB reloaded by DEBUG RELOAD/); // a warning, as in Redis
  } finally {
    await server.stop();
  }
});
