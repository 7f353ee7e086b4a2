import assert from "node:assert/strict";
import { Config, ConfigError, PARAMS, quoteRepr, splitArgs } from "../../src/config.ts";

/** The fatal block redis-server 7.0.15 prints for a bad line. */
function fatal(line: number, text: string, reason: string): string {
  return `\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n` +
    `Reading the configuration file, at line ${line}\n>>> '${text}'\n${reason}`;
}

function loadError(text: string): string {
  try {
    new Config().loadText(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.message;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

function setError(config: Config, pairs: Array<[string, string]>): string {
  try {
    config.set(pairs);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.message;
  }
  assert.fail(`no error for ${JSON.stringify(pairs)}`);
}

function pairsToMap(flat: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) m.set(flat[i], flat[i + 1]);
  return m;
}

/**
 * `redis-cli CONFIG GET '*'` of redis-server 7.0.15 started with no config
 * file (port and dir left out), sorted.
 */
const REDIS_DEFAULTS = `acl-pubsub-default resetchannels|aclfile |acllog-max-len 128|
active-defrag-cycle-max 25|active-defrag-cycle-min 1|active-defrag-ignore-bytes 104857600|
active-defrag-max-scan-fields 1000|active-defrag-threshold-lower 10|
active-defrag-threshold-upper 100|active-expire-effort 1|activedefrag no|activerehashing yes|
always-show-logo no|aof-disable-auto-gc no|aof-load-truncated yes|
aof-rewrite-incremental-fsync yes|aof-timestamp-enabled no|aof-use-rdb-preamble yes|
aof_rewrite_cpulist |appenddirname appendonlydir|appendfilename appendonly.aof|
appendfsync everysec|appendonly no|auto-aof-rewrite-min-size 67108864|
auto-aof-rewrite-percentage 100|bgsave_cpulist |bind * -::*|bind-source-addr |bio_cpulist |
busy-reply-threshold 5000|
client-output-buffer-limit normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60|
client-query-buffer-limit 1073741824|cluster-allow-pubsubshard-when-down yes|
cluster-allow-reads-when-down no|cluster-allow-replica-migration yes|
cluster-announce-bus-port 0|cluster-announce-hostname |cluster-announce-ip |
cluster-announce-port 0|cluster-announce-tls-port 0|cluster-config-file nodes.conf|
cluster-enabled no|cluster-link-sendbuf-limit 0|cluster-migration-barrier 1|
cluster-node-timeout 15000|cluster-port 0|cluster-preferred-endpoint-type ip|
cluster-replica-no-failover no|cluster-replica-validity-factor 10|
cluster-require-full-coverage yes|cluster-slave-no-failover no|
cluster-slave-validity-factor 10|crash-log-enabled yes|crash-memcheck-enabled yes|
daemonize no|databases 16|dbfilename dump.rdb|disable-thp yes|dynamic-hz yes|
enable-debug-command no|enable-module-command no|enable-protected-configs no|
hash-max-listpack-entries 512|hash-max-listpack-value 64|hash-max-ziplist-entries 512|
hash-max-ziplist-value 64|hll-sparse-max-bytes 3000|hz 10|ignore-warnings |io-threads 1|
io-threads-do-reads no|jemalloc-bg-thread yes|latency-monitor-threshold 0|latency-tracking yes|
latency-tracking-info-percentiles 50 99 99.9|lazyfree-lazy-eviction no|lazyfree-lazy-expire no|
lazyfree-lazy-server-del no|lazyfree-lazy-user-del no|lazyfree-lazy-user-flush no|
lfu-decay-time 1|lfu-log-factor 10|list-compress-depth 0|list-max-listpack-size -2|
list-max-ziplist-size -2|logfile |loglevel notice|lua-time-limit 5000|masterauth |masteruser |
maxclients 10000|maxmemory 0|maxmemory-clients 0|maxmemory-eviction-tenacity 10|
maxmemory-policy noeviction|maxmemory-samples 5|min-replicas-max-lag 10|
min-replicas-to-write 0|min-slaves-max-lag 10|min-slaves-to-write 0|
no-appendfsync-on-rewrite no|notify-keyspace-events |oom-score-adj no|
oom-score-adj-values 0 200 800|pidfile |proc-title-template {title} {listen-addr} {server-mode}|
propagation-error-behavior ignore|protected-mode yes|proto-max-bulk-len 536870912|
rdb-del-sync-files no|rdb-save-incremental-fsync yes|rdbchecksum yes|rdbcompression yes|
repl-backlog-size 1048576|repl-backlog-ttl 3600|repl-disable-tcp-nodelay no|
repl-diskless-load disabled|repl-diskless-sync yes|repl-diskless-sync-delay 5|
repl-diskless-sync-max-replicas 0|repl-ping-replica-period 10|repl-ping-slave-period 10|
repl-timeout 60|replica-announce-ip |replica-announce-port 0|replica-announced yes|
replica-ignore-disk-write-errors no|replica-ignore-maxmemory yes|replica-lazy-flush no|
replica-priority 100|replica-read-only yes|replica-serve-stale-data yes|replicaof |
requirepass |sanitize-dump-payload no|save 3600 1 300 100 60 10000|server_cpulist |
set-max-intset-entries 512|set-proc-title yes|shutdown-on-sigint default|
shutdown-on-sigterm default|shutdown-timeout 10|slave-announce-ip |slave-announce-port 0|
slave-ignore-maxmemory yes|slave-lazy-flush no|slave-priority 100|slave-read-only yes|
slave-serve-stale-data yes|slaveof |slowlog-log-slower-than 10000|slowlog-max-len 128|
socket-mark-id 0|stop-writes-on-bgsave-error yes|stream-node-max-bytes 4096|
stream-node-max-entries 100|supervised no|syslog-enabled no|syslog-facility local0|
syslog-ident redis|tcp-backlog 511|tcp-keepalive 300|timeout 0|tls-auth-clients yes|
tls-ca-cert-dir |tls-ca-cert-file |tls-cert-file |tls-ciphers |tls-ciphersuites |
tls-client-cert-file |tls-client-key-file |tls-client-key-file-pass |tls-cluster no|
tls-dh-params-file |tls-key-file |tls-key-file-pass |tls-port 0|tls-prefer-server-ciphers no|
tls-protocols |tls-replication no|tls-session-cache-size 20480|tls-session-cache-timeout 300|
tls-session-caching yes|tracking-table-max-keys 1000000|unixsocket |unixsocketperm 0|
zset-max-listpack-entries 128|zset-max-listpack-value 64|zset-max-ziplist-entries 128|
zset-max-ziplist-value 64`;

Deno.test("CONFIG GET * lists every Redis 7.0.15 parameter with its default", () => {
  const expected = REDIS_DEFAULTS.replaceAll("\n", "").split("|").map((entry) => {
    const space = entry.indexOf(" ");
    return [entry.slice(0, space), entry.slice(space + 1)] as const;
  });
  const got = pairsToMap(new Config().getMatching(["*"]));
  got.delete("dir");
  assert.equal(got.get("port"), "6379");
  got.delete("port");
  assert.deepEqual([...got].sort(), [...expected].sort());
});

Deno.test("the parameter table marks the core parameters as implemented", () => {
  const implemented = new Set(PARAMS.filter((p) => p.implemented).map((p) => p.name));
  for (
    const name of [
      "bind",
      "port",
      "requirepass",
      "save",
      "appendonly",
      "replicaof",
      "repl-backlog-size",
      "client-output-buffer-limit",
      "hash-max-listpack-entries",
    ]
  ) assert.ok(implemented.has(name), name);
  assert.ok(!implemented.has("cluster-enabled"));
});

Deno.test("dir defaults to the absolute working directory", () => {
  assert.equal(new Config().get("dir"), Deno.cwd());
});

Deno.test("splitArgs handles double quotes, escapes and single quotes like sdssplitargs", () => {
  assert.deepEqual(splitArgs('set "a b" c'), ["set", "a b", "c"]);
  assert.deepEqual(splitArgs('"\\n\\r\\t\\b\\a\\x41\\"\\\\z"'), ['\n\r\t\b\x07A"\\z']);
  assert.deepEqual(splitArgs("'it\\'s' '\\n'"), ["it's", "\\n"]);
  assert.deepEqual(splitArgs('a"b c"d'), null);
  assert.deepEqual(splitArgs('x a"b c"'), ["x", "ab c"]);
  assert.deepEqual(splitArgs('"abc'), null);
  assert.deepEqual(splitArgs("'abc"), null);
  assert.deepEqual(splitArgs('"a"b'), null);
  assert.deepEqual(splitArgs('""'), [""]);
  assert.deepEqual(splitArgs("   "), []);
});

Deno.test("quoteRepr escapes like sdscatrepr", () => {
  assert.equal(quoteRepr('a"b\\'), '"a\\"b\\\\"');
  assert.equal(quoteRepr("\n\x01\xff"), '"\\n\\x01\\xff"');
});

Deno.test("config text skips comments and blank lines and ignores directive case", () => {
  const c = new Config();
  c.loadText('# comment\n\n   \nPORT 7000\n  MaxMemory 10mb  \r\nrequirepass "a b\\x21"\n');
  assert.equal(c.get("port"), "7000");
  assert.equal(c.getNumber("maxmemory"), 10 * 1024 * 1024);
  assert.equal(c.get("requirepass"), "a b!");
});

Deno.test("memory values take k, kb, m, mb, g and gb units in any case", () => {
  const c = new Config();
  const cases: Array<[string, string]> = [
    ["1k", "1000"],
    ["1kb", "1024"],
    ["1K", "1000"],
    ["1KB", "1024"],
    ["2m", "2000000"],
    ["2mb", "2097152"],
    ["1g", "1000000000"],
    ["1Gb", "1073741824"],
    ["1B", "1"],
    ["", "0"],
    ["18446744073709551616", "18446744073709551615"],
    ["20000000000gb", "3028092406290448384"],
  ];
  for (const [text, bytes] of cases) {
    c.set([["maxmemory", text]]);
    assert.equal(c.get("maxmemory"), bytes, text);
  }
  for (const bad of ["1x", "-1", "+5", "1.5mb", "5 mb", "-0"]) {
    assert.equal(
      setError(c, [["maxmemory", bad]]),
      "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
    );
  }
});

Deno.test("yes/no parameters accept any case", () => {
  const c = new Config();
  c.loadText("appendonly YES\nprotected-mode No\n");
  assert.equal(c.getBool("appendonly"), true);
  assert.equal(c.get("protected-mode"), "no");
});

Deno.test('repeated save lines accumulate and save "" clears them', () => {
  const saves = (text: string, args: string[] = []) => {
    const c = new Config();
    c.loadText(text);
    if (args.length) c.loadArgs(args);
    return c.get("save");
  };
  assert.equal(saves(""), "3600 1 300 100 60 10000");
  assert.equal(saves("save 900 1\nsave 300 10\nSAVE 60 10000\n"), "900 1 300 10 60 10000");
  assert.equal(saves('save 100 1\nsave ""\n'), "");
  assert.equal(saves('save ""\nsave 100 1\n'), "100 1");
  assert.equal(saves('save "100 1 200 2"\n'), "100 1 200 2");
  assert.equal(saves("save 100 1\n", ["--save", ""]), "");
  assert.equal(saves("save 100 1\n", ["--save", "200", "2"]), "100 1 200 2");
  assert.equal(saves("save 100 1\n", ["--save", "200 2", "--save", "300 3"]), "100 1 200 2 300 3");
  assert.equal(saves("save 100 1\n", ["--save"]), "");
  assert.equal(saves("save 100 1\n", ["--save", "--loglevel", "warning"]), "");
  assert.equal(saves("", ["--port", "1", "--save 50 5"]), "50 5");
  assert.deepEqual(
    (() => {
      const c = new Config();
      c.loadText("save 60 1000\n");
      return c.savePoints();
    })(),
    [{ seconds: 60, changes: 1000 }],
  );
});

Deno.test("slaveof is an alias of replicaof and replicaof no one clears it", () => {
  const c = new Config();
  c.loadText("slaveof 127.0.0.1 6380\n");
  assert.deepEqual(c.replicaOf(), { host: "127.0.0.1", port: 6380 });
  assert.equal(c.get("replicaof"), "127.0.0.1 6380");
  assert.equal(c.get("SLAVEOF"), "127.0.0.1 6380");
  c.loadText("replicaof no one\n");
  assert.equal(c.replicaOf(), undefined);
  assert.equal(c.get("slaveof"), "");
});

Deno.test("aliases and primary names share one value", () => {
  const c = new Config();
  c.loadText("hash-max-ziplist-entries 100\nslave-read-only no\n");
  assert.equal(c.getNumber("hash-max-listpack-entries"), 100);
  assert.equal(c.getBool("replica-read-only"), false);
});

Deno.test("load errors carry redis-server's exact fatal text", () => {
  const cases: Array<[string, number, string, string]> = [
    ["port 1\nfoo bar\n", 2, "foo bar", "Bad directive or wrong number of arguments"],
    ["port 1 2\n", 1, "port 1 2", "wrong number of arguments"],
    ['port "abc\n', 1, 'port "abc', "Unbalanced quotes in configuration line"],
    ["port 'abc\n", 1, "port 'abc", "Unbalanced quotes in configuration line"],
    ['port "1"x\n', 1, 'port "1"x', "Unbalanced quotes in configuration line"],
    ["port abc\n", 1, "port abc", "argument couldn't be parsed into an integer"],
    ["port 70000\n", 1, "port 70000", "argument must be between 0 and 65535 inclusive"],
    ["hz -1\n", 1, "hz -1", "argument must be between 0 and 2147483647 inclusive"],
    ["maxmemory 1x\n", 1, "maxmemory 1x", "argument must be a memory value"],
    ["appendonly maybe\n", 1, "appendonly maybe", "argument must be 'yes' or 'no'"],
    [
      "loglevel loud\n",
      1,
      "loglevel loud",
      "argument(s) must be one of the following: debug, verbose, notice, warning",
    ],
    [
      "supervised x\n",
      1,
      "supervised x",
      "argument(s) must be one of the following: upstart, systemd, auto, no",
    ],
    ["save 10\n", 1, "save 10", "Invalid save parameters"],
    ["save 0 1\n", 1, "save 0 1", "Invalid save parameters"],
    ['save "abc"\n', 1, 'save "abc"', "Invalid save parameters"],
    [
      "client-output-buffer-limit normal 1 2\n",
      1,
      "client-output-buffer-limit normal 1 2",
      "Wrong number of arguments in buffer limit configuration.",
    ],
    [
      "client-output-buffer-limit master 1 2 3\n",
      1,
      "client-output-buffer-limit master 1 2 3",
      "Invalid client class specified in buffer limit configuration.",
    ],
    [
      "client-output-buffer-limit normal 1x 2 3\n",
      1,
      "client-output-buffer-limit normal 1x 2 3",
      "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
    ],
    [
      "notify-keyspace-events Q\n",
      1,
      "notify-keyspace-events Q",
      "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
    ],
    ["notify-keyspace-events a b\n", 1, "notify-keyspace-events a b", "wrong number of arguments"],
    ["replicaof 127.0.0.1\n", 1, "replicaof 127.0.0.1", "wrong number of arguments"],
    ["replicaof\n", 1, "replicaof", "wrong number of arguments"],
    ["replicaof 127.0.0.1 abc\n", 1, "replicaof 127.0.0.1 abc", "Invalid master port"],
    ["dir /nonexistent/dir\n", 1, "dir /nonexistent/dir", "No such file or directory"],
    ["dir\n", 1, "dir", "wrong number of arguments"],
    ["dbfilename /a/b\n", 1, "dbfilename /a/b", "dbfilename can't be a path, just a filename"],
    ['appendfilename ""\n', 1, 'appendfilename ""', "appendfilename can't be empty"],
    [
      "appenddirname a/b\n",
      1,
      "appenddirname a/b",
      "appenddirname can't be a path, just a dirname",
    ],
    [
      "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
      1,
      "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
      "Too many bind addresses specified.",
    ],
    ["oom-score-adj-values 1 2\n", 1, "oom-score-adj-values 1 2", "wrong number of arguments"],
    [
      "maxmemory-clients 200%\n",
      1,
      "maxmemory-clients 200%",
      "percentage argument must be less or equal to 100",
    ],
    [
      "maxmemory-clients 10x\n",
      1,
      "maxmemory-clients 10x",
      "argument must be a memory or percent value",
    ],
    [
      "unixsocketperm 999\n",
      1,
      "unixsocketperm 999",
      "argument couldn't be parsed as an octal number",
    ],
    [
      "unixsocketperm 1000\n",
      1,
      "unixsocketperm 1000",
      "argument must be between 0 and 777 inclusive",
    ],
    [
      "shutdown-on-sigint save nosave\n",
      1,
      "shutdown-on-sigint save nosave",
      "shutdown options SAVE and NOSAVE can't be used simultaneously",
    ],
    [
      "latency-tracking-info-percentiles 1e1 x\n",
      1,
      "latency-tracking-info-percentiles 1e1 x",
      "Invalid latency-tracking-info-percentiles parameters",
    ],
    [
      'proc-title-template "{title"\n',
      1,
      'proc-title-template "{title"',
      "template format is invalid or contains unknown variables",
    ],
    ["include\n", 1, "include", "Bad directive or wrong number of arguments"],
    ["loadmodule\n", 1, "loadmodule", "Bad directive or wrong number of arguments"],
    [
      "list-max-ziplist-entries 5 6\n",
      1,
      "list-max-ziplist-entries 5 6",
      "Bad directive or wrong number of arguments",
    ],
    ["foo.bar\n", 1, "foo.bar", "Module config specified without value"],
    ["sentinel foo\n", 1, "sentinel foo", "sentinel directive while not in sentinel mode"],
  ];
  for (const [text, line, shown, reason] of cases) {
    assert.equal(loadError(text), fatal(line, shown, reason), text);
  }
});

Deno.test("loadmodule is refused because Redeno has no modules", () => {
  assert.equal(
    loadError("loadmodule /x.so\n"),
    fatal(1, "loadmodule /x.so", "Redeno does not support modules (loadmodule)"),
  );
});

Deno.test("deprecated directives with one argument are ignored", () => {
  const c = new Config();
  c.loadText("list-max-ziplist-entries 5\nlist-max-ziplist-value 6\nlua-replicate-commands yes\n");
  assert.equal(c.get("list-max-listpack-size"), "-2");
});

Deno.test("end-of-file checks fail without a line like Redis", () => {
  const header = "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n";
  assert.equal(
    loadError("logfile /nonexistent/x.log\n"),
    header + "Can't open the log file: No such file or directory",
  );
  assert.equal(
    loadError("cluster-enabled yes\nreplicaof 1.2.3.4 5\n"),
    header + "replicaof directive not allowed in cluster mode",
  );
});

Deno.test("hz out of range is clamped after loading and after CONFIG SET", () => {
  const c = new Config();
  c.loadText("hz 1000\n");
  assert.equal(c.get("hz"), "500");
  c.set([["hz", "0"]]);
  assert.equal(c.get("hz"), "1");
});

Deno.test("CONFIG SET raises repl-backlog-size below 16kb to 16kb, the config file does not", () => {
  // redis-server 7.0.15: `--repl-backlog-size 1` keeps 1; CONFIG SET to 100 gives 16384.
  const c = new Config();
  c.loadText("repl-backlog-size 1\n");
  assert.equal(c.get("repl-backlog-size"), "1");
  c.set([["repl-backlog-size", "100"]]);
  assert.equal(c.get("repl-backlog-size"), "16384");
  c.set([["repl-backlog-size", "20kb"]]);
  assert.equal(c.get("repl-backlog-size"), "20480");
});

Deno.test("include reads relative, absolute and wildcard paths", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${dir}/conf.d`);
    Deno.writeTextFileSync(`${dir}/base.conf`, "port 7001\nsave 10 1\n");
    Deno.writeTextFileSync(`${dir}/conf.d/a.conf`, "maxmemory 1mb\n");
    Deno.writeTextFileSync(`${dir}/conf.d/b.conf`, "maxmemory 2mb\n");
    Deno.writeTextFileSync(`${dir}/conf.d/.hidden.conf`, "maxmemory 3mb\n");
    Deno.writeTextFileSync(
      `${dir}/main.conf`,
      `dir ${dir}\ninclude base.conf\ninclude ${dir}/conf.d/*.conf\ninclude conf.d/*.none\nhz 20\n`,
    );
    const c = new Config();
    c.loadFile(`${dir}/main.conf`);
    assert.equal(c.configFile, `${dir}/main.conf`);
    assert.equal(c.get("port"), "7001");
    assert.equal(c.get("maxmemory"), String(2 * 1024 * 1024));
    assert.equal(c.get("hz"), "20");
    assert.equal(c.get("dir"), Deno.realPathSync(dir));

    try {
      new Config().loadText(`dir ${dir}\ninclude missing.conf\n`);
      assert.fail("included a missing file");
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(
        err.message,
        "Fatal error, can't open config file 'missing.conf': No such file or directory",
      );
      assert.equal(err.viaLog, true);
    }
    // An error inside an included file counts lines from that file.
    Deno.writeTextFileSync(`${dir}/inc_bad.conf`, "port 1\nfoo\n");
    assert.equal(
      loadError(`dir ${dir}\ninclude inc_bad.conf\n`),
      fatal(2, "foo", "Bad directive or wrong number of arguments"),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a missing config file gives Redis's log-line error with the absolute path", () => {
  const c = new Config();
  try {
    c.loadFile("/nonexistent-redeno.conf");
    assert.fail("loaded a missing file");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(
      e.message,
      "Fatal error, can't open config file '/nonexistent-redeno.conf': No such file or directory",
    );
    assert.ok(e.viaLog);
  }
});

Deno.test("command-line options become config lines after the file", () => {
  const argsError = (args: string[], stdin?: string) => {
    try {
      const c = new Config();
      c.loadArgs(args, stdin);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.message;
    }
    assert.fail("no error");
  };
  assert.equal(
    argsError(["--port", "23999", "--foo", "bar"]),
    fatal(3, 'foo "bar"', "Bad directive or wrong number of arguments"),
  );
  assert.equal(
    argsError(["--port", "23999", "--save", "", "--bogus"]),
    fatal(4, "bogus", "Bad directive or wrong number of arguments"),
  );
  assert.equal(
    argsError(["--port", "23999", "--loglevel"]),
    fatal(3, "loglevel", "wrong number of arguments"),
  );
  assert.equal(
    argsError(["--port", "23999", "--replicaof", "127.0.0.1 x"]),
    fatal(3, 'replicaof "127.0.0.1 x"', "Invalid master port"),
  );
  assert.equal(
    argsError(["-", "--port", "23456", "--foo"], "hz 5\n"),
    fatal(4, "foo", "Bad directive or wrong number of arguments"),
  );

  const c = new Config();
  c.loadText("port 1\nbind 127.0.0.1\n");
  c.loadArgs(["--port", "6380", "--replicaof", "127.0.0.1 6379", "--bind", "1.2.3.4", "::1"]);
  assert.equal(c.get("port"), "6380");
  assert.deepEqual(c.replicaOf(), { host: "127.0.0.1", port: 6379 });
  assert.deepEqual(c.bindAddresses(), ["1.2.3.4", "::1"]);
});

Deno.test("stdin is read for a bare dash first or last", () => {
  assert.equal(Config.wantsStdin(["-"], false), true);
  assert.equal(Config.wantsStdin(["-", "--port", "1"], false), true);
  assert.equal(Config.wantsStdin(["--port", "1", "-"], true), true);
  assert.equal(Config.wantsStdin(["-", "--port", "1"], true), false);
  const c = new Config();
  c.loadArgs(["-", "--port", "7002"], "maxmemory 1kb\n");
  assert.equal(c.get("maxmemory"), "1024");
  assert.equal(c.get("port"), "7002");
});

Deno.test("CONFIG GET matches globs case-insensitively over names and aliases", () => {
  const c = new Config();
  assert.deepEqual(
    new Set(pairsToMap(c.getMatching(["slave*"])).keys()),
    new Set([
      "slave-read-only",
      "slave-priority",
      "slave-announce-ip",
      "slave-serve-stale-data",
      "slave-announce-port",
      "slaveof",
      "slave-ignore-maxmemory",
      "slave-lazy-flush",
    ]),
  );
  assert.deepEqual(
    new Set(pairsToMap(c.getMatching(["MAX*"])).keys()),
    new Set([
      "maxmemory-policy",
      "maxmemory",
      "maxclients",
      "maxmemory-eviction-tenacity",
      "maxmemory-samples",
      "maxmemory-clients",
    ]),
  );
  assert.deepEqual(c.getMatching(["PORT"]), ["PORT", "6379"]);
  assert.deepEqual(c.getMatching(["port", "port"]), ["port", "6379"]);
  assert.deepEqual(c.getMatching(["maxmemory", "nope", "hz"]), ["maxmemory", "0", "hz", "10"]);
  assert.deepEqual(c.getMatching(["nomatch*"]), []);
  assert.deepEqual(c.getMatching(["rdb-key-save-delay"]), ["rdb-key-save-delay", "0"]);
  assert.deepEqual(c.getMatching(["rdb-key*"]), []);
  assert.deepEqual(
    new Set(pairsToMap(c.getMatching(["*cpulist*"])).keys()),
    new Set(["bio_cpulist", "bgsave_cpulist", "server_cpulist", "aof_rewrite_cpulist"]),
  );
  const hz = c.getMatching(["hz", "h*"]);
  assert.equal(hz.filter((x) => x === "hz").length, 1);
});

Deno.test("CONFIG SET reports Redis 7.0's errors", () => {
  const c = new Config();
  const failed = (name: string, why: string) =>
    `ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`;
  const cases: Array<[Array<[string, string]>, string]> = [
    [[["foo", "bar"]], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"],
    [[["daemonize", "yes"]], failed("daemonize", "can't set immutable config")],
    [[["SLAVEOF", "x"]], failed("SLAVEOF", "can't set immutable config")],
    [[["dir", "/tmp"]], failed("dir", "can't set protected config")],
    [[["dbfilename", "x.rdb"]], failed("dbfilename", "can't set protected config")],
    [[["port", "abc"]], failed("port", "argument couldn't be parsed into an integer")],
    [[["port", "70000"]], failed("port", "argument must be between 0 and 65535 inclusive")],
    [[["timeout", "05"]], failed("timeout", "argument couldn't be parsed into an integer")],
    [[["timeout", "+5"]], failed("timeout", "argument couldn't be parsed into an integer")],
    [[["timeout", "1.5"]], failed("timeout", "argument couldn't be parsed into an integer")],
    [[["HZ", "abc"]], failed("hz", "argument couldn't be parsed into an integer")],
    [
      [["hash-max-ziplist-entries", "abc"]],
      failed("hash-max-ziplist-entries", "argument couldn't be parsed into an integer"),
    ],
    [[["appendonly", "maybe"]], failed("appendonly", "argument must be 'yes' or 'no'")],
    [
      [["loglevel", "loud"]],
      failed(
        "loglevel",
        "argument(s) must be one of the following: debug, verbose, notice, warning",
      ),
    ],
    [
      [["maxmemory-clients", "200%"]],
      failed("maxmemory-clients", "percentage argument must be less or equal to 100"),
    ],
    [
      [["slowlog-log-slower-than", "-2"]],
      failed(
        "slowlog-log-slower-than",
        "argument must be between -1 and 9223372036854775807 inclusive",
      ),
    ],
    [
      [["maxclients", "0"]],
      failed("maxclients", "argument must be between 1 and 4294967295 inclusive"),
    ],
    [
      [["proto-max-bulk-len", "10000000000000000000"]],
      failed(
        "proto-max-bulk-len",
        "argument must be between 1048576 and 9223372036854775807 inclusive",
      ),
    ],
    [
      [["hash-max-listpack-value", "10000000000000000000"]],
      failed(
        "hash-max-listpack-value",
        "argument must be between 0 and 9223372036854775807 inclusive",
      ),
    ],
    [[["save", "10"]], failed("save", "Invalid save parameters")],
    [[["save", "10  1"]], failed("save", "Invalid save parameters")],
    [[["save", "1 1 "]], failed("save", "Invalid save parameters")],
    [
      [["client-output-buffer-limit", "normal 0  0 0"]],
      failed(
        "client-output-buffer-limit",
        "Wrong number of arguments in buffer limit configuration.",
      ),
    ],
    [
      [["client-output-buffer-limit", "normal 1 2 -1"]],
      failed(
        "client-output-buffer-limit",
        "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
      ),
    ],
    [
      [["shutdown-on-sigint", "save  now"]],
      failed(
        "shutdown-on-sigint",
        "argument(s) must be one of the following: default, save, nosave, now, force",
      ),
    ],
    [
      [["shutdown-on-sigint", "nosave save"]],
      failed("shutdown-on-sigint", "shutdown options SAVE and NOSAVE can't be used simultaneously"),
    ],
    [
      [["oom-score-adj-values", "1 2 3000"]],
      failed(
        "oom-score-adj-values",
        "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
      ),
    ],
    [
      [["latency-tracking-info-percentiles", "101"]],
      failed(
        "latency-tracking-info-percentiles",
        "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
      ),
    ],
    [
      [["cluster-announce-hostname", "a_b"]],
      failed(
        "cluster-announce-hostname",
        "Hostnames may only contain alphanumeric characters, hyphens or dots",
      ),
    ],
    [
      [["bind", "a b c d e f g h i j k l m n o p q"]],
      failed("bind", "Too many bind addresses specified."),
    ],
    [[["hz", "10"], ["hz", "11"]], failed("hz", "duplicate parameter")],
    [[["HZ", "5"], ["hz", "6"]], failed("hz", "duplicate parameter")],
    [
      [["hz", "10"], ["foo", "11"]],
      "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
    ],
    [[["daemonize", "yes"], ["foo", "bar"]], failed("daemonize", "can't set immutable config")],
    [
      [["foo", "bar"], ["daemonize", "yes"]],
      "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
    ],
    [
      [["hz", "abc"], ["foo", "bar"]],
      "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
    ],
    [
      [["port", "23456"], ["hz", "abc"]],
      failed("hz", "argument couldn't be parsed into an integer"),
    ],
  ];
  for (const [pairs, message] of cases) {
    assert.equal(setError(c, pairs), message, JSON.stringify(pairs));
  }
  // Nothing above changed anything.
  assert.equal(c.get("hz"), "10");
  assert.equal(c.get("port"), "6379");
});

Deno.test("CONFIG SET stores canonical values", () => {
  const c = new Config();
  const check = (name: string, value: string, shown: string) => {
    c.set([[name, value]]);
    assert.equal(c.get(name), shown, `${name} ${value}`);
  };
  check("loglevel", "WARNING", "warning");
  check("appendonly", "YES", "yes");
  check("maxmemory-clients", "10%", "10%");
  check("maxmemory-clients", "1kb", "1024");
  check("hash-max-listpack-value", "1k", "1000");
  check("save", "10 1 20 2", "10 1 20 2");
  check("save", "", "");
  check("shutdown-on-sigint", "now save", "save now");
  check("shutdown-on-sigint", "default now", "now");
  check("shutdown-on-sigint", "force", "force");
  check("oom-score-adj", "relative", "yes");
  check("notify-keyspace-events", "KEA", "AKE");
  check("notify-keyspace-events", "Ex", "xE");
  check("notify-keyspace-events", "g$lshzxetmdnKE", "AKEm");
  check("notify-keyspace-events", "", "");
  check("bind", "127.0.0.1 -::1", "127.0.0.1 -::1");
  check("bind", "", "");
  check(
    "client-output-buffer-limit",
    "pubsub 1 2 3 normal 1 2 3",
    "normal 1 2 3 slave 268435456 67108864 60 pubsub 1 2 3",
  );
  check(
    "client-output-buffer-limit",
    "replica 1mb 2mb 3",
    "normal 1 2 3 slave 1048576 2097152 3 pubsub 1 2 3",
  );
  check("client-output-buffer-limit", "", "normal 1 2 3 slave 1048576 2097152 3 pubsub 1 2 3");
  check("latency-tracking-info-percentiles", "50.0 99.990", "50 99.99");
  check("latency-tracking-info-percentiles", "", "");
  check("list-max-ziplist-size", "5", "5");
  check("masterauth", "a b", "a b");
  assert.equal(c.get("list-max-listpack-size"), "5");
  assert.deepEqual(c.outputBufferLimit("replica"), {
    hard: 1048576,
    soft: 2097152,
    softSeconds: 3,
  });
  assert.deepEqual(c.outputBufferLimit("normal"), { hard: 1, soft: 2, softSeconds: 3 });
});

Deno.test("CONFIG SET is all or nothing", () => {
  const c = new Config();
  assert.equal(
    setError(c, [["maxmemory", "10mb"], ["hz", "20"], ["port", "x"]]),
    "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer",
  );
  assert.equal(c.get("maxmemory"), "0");
  assert.equal(c.get("hz"), "10");
  c.set([["maxmemory", "10mb"], ["hz", "20"]]);
  assert.equal(c.get("maxmemory"), "10485760");
  assert.equal(c.get("hz"), "20");
});

Deno.test("protected parameters need enable-protected-configs", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const c = new Config();
    c.loadText("enable-protected-configs local\n");
    assert.equal(
      setError(c, [["dir", dir]]),
      "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config",
    );
    c.set([["dir", dir]], { local: true });
    assert.equal(c.get("dir"), Deno.realPathSync(dir));
    try {
      c.set([["dir", "missing"]], { local: true });
      assert.fail("set a missing dir");
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(
        e.message,
        "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory",
      );
    }
    assert.equal(c.get("dir"), Deno.realPathSync(dir));
    try {
      c.set([["appendonly", "yes"]], { loading: true });
      assert.fail("set while loading");
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.message, "LOADING Redis is loading the dataset in memory");
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("onChange hooks run after all values are set and a failing hook rolls back", () => {
  const c = new Config();
  const seen: string[] = [];
  c.onChange("hz", (v) => seen.push(`hz=${v}`));
  c.onChange("slave-read-only", (v) => seen.push(`ro=${v}`));
  c.set([["hz", "20"], ["replica-read-only", "no"]]);
  assert.deepEqual(seen, ["hz=20", "ro=no"]);
  seen.length = 0;
  c.set([["hz", "20"]]); // unchanged: no hook
  assert.deepEqual(seen, []);

  c.onChange("port", (v) => {
    if (v === "1") throw new Error("Unable to listen on this port. Check server logs.");
  });
  assert.equal(
    setError(c, [["hz", "30"], ["port", "1"]]),
    "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.",
  );
  assert.equal(c.get("hz"), "20");
  assert.equal(c.get("port"), "6379");
  // The hz hook ran with the new value, then again with the restored one.
  assert.deepEqual(seen, ["hz=30", "hz=20"]);
});

Deno.test("CONFIG REWRITE without a config file fails like Redis", async () => {
  await assert.rejects(() => new Config().rewrite(), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.message, "ERR The server is running without a config file");
    return true;
  });
});

Deno.test("CONFIG REWRITE updates lines in place and appends the rest", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/redis.conf`;
    Deno.writeTextFileSync(
      path,
      [
        "# Sample config",
        "port 23456",
        "daemonize no",
        "",
        "# save points",
        "save 900 1",
        "save 300 10",
        "SAVE 60 10000",
        "slaveof 127.0.0.1 23999",
        "maxmemory 100mb",
        "loglevel notice",
        "",
        "bind 127.0.0.1",
        "hz 10",
        'requirepass "foo bar"',
        "list-max-ziplist-entries 5",
        'rename-command FLUSHALL ""',
        "hash-max-ziplist-entries 100",
        "client-output-buffer-limit normal 0 0 0",
        "client-output-buffer-limit pubsub 32mb 8mb 60",
        'notify-keyspace-events ""',
        "pidfile /tmp/x.pid",
        "appendonly no",
        "",
        "",
        "# trailing comment",
        "",
      ].join("\n"),
    );
    const c = new Config();
    c.loadFile(path);
    c.set([
      ["maxmemory", "200mb"],
      ["hz", "20"],
      ["loglevel", "warning"],
      ["save", "100 1"],
      ["client-output-buffer-limit", "pubsub 1mb 2mb 3"],
      ["maxmemory-policy", "allkeys-lru"],
      ["notify-keyspace-events", "KEA"],
      ["hash-max-listpack-entries", "200"],
      ["maxmemory-clients", "10%"],
    ]);
    await c.rewrite();
    // The in-place part is byte for byte what redis-server 7.0.15 writes;
    // Redis appends new lines in hash order, Redeno in table order.
    assert.equal(
      Deno.readTextFileSync(path),
      [
        "# Sample config",
        "port 23456",
        "daemonize no",
        "",
        "# save points",
        "save 100 1",
        "",
        "replicaof 127.0.0.1 23999",
        "maxmemory 200mb",
        "loglevel warning",
        "",
        "bind 127.0.0.1",
        "hz 20",
        'requirepass "foo bar"',
        "# ??? list-max-ziplist-entries 5",
        'rename-command FLUSHALL ""',
        "hash-max-listpack-entries 200",
        "client-output-buffer-limit normal 0 0 0",
        "client-output-buffer-limit replica 256mb 64mb 60",
        'notify-keyspace-events "AKE"',
        'pidfile "/tmp/x.pid"',
        "appendonly no",
        "",
        "# trailing comment",
        "",
        "# Generated by CONFIG REWRITE",
        "maxmemory-policy allkeys-lru",
        "maxmemory-clients 10%",
        `dir ${quoteRepr(c.get("dir")!)}`,
        "client-output-buffer-limit pubsub 1mb 2mb 3",
        "latency-tracking-info-percentiles 50 99 99.9",
        "",
      ].join("\n"),
    );
    // A second rewrite reuses the signature; like Redis it turns the final
    // newline into one blank line, and then the file is stable.
    const before = Deno.readTextFileSync(path);
    await c.rewrite();
    assert.equal(Deno.readTextFileSync(path), before + "\n");
    await c.rewrite();
    assert.equal(Deno.readTextFileSync(path), before + "\n");
    // Defaults drop out where Redis drops them: bind and an unset replicaof.
    const d = new Config();
    d.loadText("bind 127.0.0.1\nreplicaof 1.2.3.4 5\nport 7000\n");
    assert.equal(
      d.rewriteContent("bind 127.0.0.1\nslaveof 1.2.3.4 5\nport 7000\n").split("\n").slice(0, 3)
        .join("\n"),
      "bind 127.0.0.1\nreplicaof 1.2.3.4 5\nport 7000",
    );
    const e = new Config();
    assert.equal(
      e.rewriteContent("# top\nbind 127.0.0.1\n\nslaveof 1.2.3.4 5\nport 6379\n").split("\n")
        .slice(0, 4).join("\n"),
      "# top\n\nport 6379\n",
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((f) => f.name), ["redis.conf"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("rename-command and user directives are kept for the server", () => {
  const c = new Config();
  c.commandExists = (name) => ["flushall", "get", "set"].includes(name);
  c.loadText('rename-command FLUSHALL ""\nrename-command get fetch\nuser bob on >pass ~* +@all\n');
  assert.deepEqual(c.renamedCommands(), [["FLUSHALL", ""], ["get", "fetch"]]);
  assert.deepEqual(c.userDirectives(), [["bob", "on", ">pass", "~*", "+@all"]]);
  const d = new Config();
  d.commandExists = (name) => ["get", "set"].includes(name);
  try {
    d.loadText("rename-command FOO bar\n");
    assert.fail("renamed a missing command");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(
      e.message,
      fatal(1, "rename-command FOO bar", "No such command in rename-command"),
    );
  }
});
