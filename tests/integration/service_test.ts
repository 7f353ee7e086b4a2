/**
 * Running Redeno like a Redis service: the conf/ files (valid for redis-server
 * 7.0 too), daemonize with a pid file, SIGTERM's final save, and the modes and
 * errors of the command line.
 */
import assert from "node:assert/strict";
import { delay, freePort, REPO_ROOT, startRedeno, startRedis } from "../helpers/server_process.ts";
import { command } from "../helpers/server_process.ts";

function run(args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${REPO_ROOT}main.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
}

async function waitFor(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await delay(50);
  }
  return false;
}

Deno.test("conf/master.conf and conf/replica.conf start both redis-server 7.0 and Redeno", async () => {
  for (const file of ["conf/master.conf", "conf/replica.conf"]) {
    const extra = file.includes("replica") ? ["--replicaof", `127.0.0.1 ${freePort()}`] : [];
    for (const start of [startRedis, startRedeno]) {
      const server = await start([`${REPO_ROOT}${file}`, ...extra]);
      try {
        assert.equal(await command(server.port, "PING"), "PONG", `${file} with ${start.name}`);
        const role = await command(server.port, "ROLE") as unknown[];
        assert.equal(role[0], file.includes("replica") ? "slave" : "master");
      } finally {
        await server.stop();
      }
    }
  }
});

Deno.test("daemonize yes detaches, writes the pid file, and SIGTERM removes it with Redis's last line", async () => {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const pidfile = `${dir}/redeno.pid`;
  const logfile = `${dir}/redeno.log`;
  let pid = 0;
  try {
    const out = await run([
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--daemonize",
      "yes",
      "--pidfile",
      pidfile,
      "--logfile",
      logfile,
      "--dir",
      dir,
      "--save",
      "",
    ]);
    assert.equal(out.code, 0);
    assert.equal(await command(port, "PING"), "PONG");
    pid = Number((await Deno.readTextFile(pidfile)).trim());
    assert.ok(pid > 0);
    Deno.kill(pid, "SIGTERM");
    const gone = await waitFor(async () => {
      try {
        await Deno.stat(pidfile);
        return false;
      } catch {
        return true;
      }
    });
    assert.ok(gone, "pid file removed on exit");
    // The last line follows the pid file's removal, so wait for the process to end.
    const exited = await waitFor(() => {
      try {
        Deno.kill(pid, "SIGCONT");
        return false;
      } catch {
        return true;
      }
    });
    assert.ok(exited, "the daemon exits");
    pid = 0; // gone: nothing for the cleanup to stop
    const log = await Deno.readTextFile(logfile);
    assert.match(log, /Received SIGTERM scheduling shutdown\.\.\./);
    assert.match(log, /Removing the pid file\./);
    assert.match(log, /Redis is now ready to exit, bye bye\.\.\./);
  } finally {
    // A failed assertion must not leave the daemon running.
    if (pid === 0) {
      pid = Number((await Deno.readTextFile(pidfile).catch(() => "")).trim());
    }
    if (pid > 0) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    } else await command(port, "SHUTDOWN", "NOSAVE").catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("SIGTERM saves the dataset when save points are configured", async () => {
  const server = await startRedeno(["--save", "3600 1"]);
  try {
    assert.equal(await command(server.port, "SET", "name", "HongWan"), "OK");
  } finally {
    await server.stop();
  }
  assert.match(server.log(), /Saving the final RDB snapshot before exiting\./);
  assert.match(server.log(), /DB saved on disk/);
});

Deno.test("shutdown-on-sigterm save and nosave override the save points, as in Redis", async () => {
  for (const start of [startRedis, startRedeno]) {
    for (
      const [save, onSigterm, saved] of [["", "save", true], ["3600 1", "nosave", false]] as const
    ) {
      const dir = await Deno.makeTempDir({ prefix: "redeno_sigterm_" });
      try {
        const server = await start(["--save", save, "--shutdown-on-sigterm", onSigterm], { dir });
        try {
          assert.equal(await command(server.port, "SET", "name", "HongWan"), "OK");
        } finally {
          await server.stop();
        }
        const what = `${start.name} with save "${save}" and shutdown-on-sigterm ${onSigterm}`;
        const dumped = await Deno.stat(`${dir}/dump.rdb`).then(() => true, () => false);
        assert.equal(dumped, saved, what);
        assert.equal(
          /Saving the final RDB snapshot before exiting\./.test(server.log()),
          saved,
          what,
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
  }
});

/** redis-cli over a unix socket. */
async function cliOverSocket(path: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", { args: ["-s", path, ...args], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("unixsocket and unixsocketperm serve clients over a unix socket, as in Redis", async () => {
  for (const start of [startRedis, startRedeno]) {
    const dir = await Deno.makeTempDir({ prefix: "redeno_unix_" });
    const path = `${dir}/redis.sock`;
    try {
      // A stale file where the socket goes is replaced.
      await Deno.writeTextFile(path, "stale");
      const server = await start(["--unixsocket", path, "--unixsocketperm", "700"], { dir });
      try {
        assert.equal((await Deno.stat(path)).mode! & 0o777, 0o700, start.name);
        assert.equal(await cliOverSocket(path, "SET", "k", "over the socket"), "OK");
        assert.equal(await command(server.port, "GET", "k"), "over the socket");
        assert.match(
          await cliOverSocket(path, "CLIENT", "INFO"),
          new RegExp(
            `^id=\\d+ addr=${path}:0 laddr=${path}:0 fd=\\d+ name= age=\\d+ idle=\\d+ flags=U `,
          ),
        );
        assert.match(
          server.log(),
          new RegExp(
            `Ready to accept connections\n.* \\* The server is now ready to accept connections at ${path}\n`,
          ),
        );
        assert.equal(await cliOverSocket(path, "SHUTDOWN", "NOSAVE"), "");
        await server.status;
      } finally {
        await server.stop();
      }
      assert.match(server.log(), /\* Removing the unix socket file\.\n/);
      assert.equal(await Deno.stat(path).then(() => true, () => false), false, start.name);
      // A socket that cannot be made is fatal.
      const bad = await start(["--unixsocket", `${dir}/missing/redis.sock`], { noWait: true });
      assert.equal((await bad.status).code, 1);
      assert.match(bad.log(), /# Failed opening Unix socket: bind: No such file or directory/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("redis-server-only modes and bad config files exit 1 with a message", async () => {
  const memory = await run(["--test-memory", "10"]);
  assert.equal(memory.code, 1);
  assert.match(new TextDecoder().decode(memory.stderr), /not support/);

  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.conf`, "port 6379\nno-such-directive yes\n");
    const bad = await run([`${dir}/bad.conf`]);
    assert.equal(bad.code, 1);
    const text = new TextDecoder().decode(bad.stderr);
    assert.match(text, /\*\*\* FATAL CONFIG FILE ERROR \(Redis 7\.0\.15\) \*\*\*/);
    assert.match(text, /at line 2/);
    assert.match(text, />>> 'no-such-directive yes'/);
    assert.match(text, /Bad directive or wrong number of arguments/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("options on the command line alone count as a loaded configuration, as in Redis", async () => {
  for (const start of [startRedis, startRedeno]) {
    const server = await start();
    try {
      const log = server.log();
      assert.match(log, /# Configuration loaded\n/, log.slice(0, 600));
      assert.doesNotMatch(log, /no config file specified/);
    } finally {
      await server.stop();
    }
  }
});
