/**
 * Start-up: argv like redis-server, the config, the log's opening lines,
 * listeners, signals. Persistence and replication register themselves here.
 */
import { Config, ConfigError } from "./config.ts";
import { REDENO_VERSION, REDIS_VERSION, Server, type ShutdownOptions } from "./server.ts";
import { log } from "./log.ts";
import { registerAllCommands } from "./commands/mod.ts";
import { lookupCommand, renameCommand } from "./commands/table.ts";
import { installPersistence, loadDataAtStartup } from "./persistence/mod.ts";
import { latin1ToUtf8 } from "./util/bytes.ts";
import { installReplication } from "./replication/mod.ts";
import { installInfoTracking } from "./commands/info.ts";
import { aofOf } from "./persistence/aof.ts";
import { installEviction } from "./memory/eviction.ts";
import { daemonize, isDaemonChild, writePidFile } from "./daemonize.ts";

const USAGE = `Usage: ./redeno [/path/to/redis.conf] [options] [-]
       ./redeno - (read config from stdin)
       ./redeno -v or --version
       ./redeno -h or --help

Examples:
       ./redeno (run the server with default conf)
       ./redeno /etc/redis/6379.conf
       ./redeno --port 7777
       ./redeno --port 7777 --replicaof 127.0.0.1 8888
       ./redeno /etc/myredis.conf --loglevel verbose -
       ./redeno /etc/myredis.conf --loglevel verbose
`;

/** redis-server modes Redeno does not have. */
const UNSUPPORTED_MODES = [
  "--test-memory",
  "--check-system",
  "--sentinel",
  "--check-rdb",
  "--check-aof",
];

/** Parses argv, loads the config and runs the server until it stops. Returns an exit code for early exits. */
export async function startServer(args: string[]): Promise<number | undefined> {
  if (args[0] === "-v" || args[0] === "--version") {
    console.log(
      `Redeno server v=${REDENO_VERSION} (Redis ${REDIS_VERSION} compatible) bits=64 deno=${Deno.version.deno}`,
    );
    return 0;
  }
  if (args[0] === "-h" || args[0] === "--help") {
    console.log(USAGE);
    return 0;
  }
  if (args.length > 0 && UNSUPPORTED_MODES.includes(args[0])) {
    console.error(`${args[0]} is a redis-server mode that Redeno does not support.`);
    return 1;
  }

  registerAllCommands();
  const config = new Config();
  config.commandExists = (name) => lookupCommand(name) !== undefined;
  let configFile: string | undefined;
  let rest = args;
  if (args.length > 0 && !args[0].startsWith("--")) {
    configFile = args[0];
    rest = args.slice(1);
  }
  try {
    if (configFile === "-") {
      config.loadText(await readStdin(), "stdin");
    } else if (configFile !== undefined) {
      config.loadFile(configFile);
    }
    // A trailing "-" also means: append the config read from stdin.
    if (rest[rest.length - 1] === "-") {
      rest = rest.slice(0, -1);
      config.loadText(await readStdin(), "stdin");
    }
    config.loadArgs(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
      console.error(
        `Fatal error, can't open config file '${configFile}': ${(err as Error).message}`,
      );
      return 1;
    }
    throw err;
  }

  if (config.getBool("daemonize") && !isDaemonChild()) {
    return await daemonize(args, config.getNumber("port"));
  }
  log.level = config.getString("loglevel") as typeof log.level;
  try {
    log.setFile(config.getString("logfile"));
  } catch (err) {
    console.error(`Can't open the log file: ${(err as Error).message}`);
    return 1;
  }
  log.warning("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
  log.warning(
    `Redis version=${REDIS_VERSION}, bits=64, commit=00000000, modified=0, pid=${Deno.pid}, just started`,
  );
  // Redis warns only when it gets no arguments at all (argc == 1): options
  // on the command line alone count as a loaded configuration.
  if (args.length === 0) {
    log.warning(
      "Warning: no config file specified, using the default config. In order to specify a config file use deno run -A main.ts /path/to/redis.conf",
    );
  } else {
    log.warning("Configuration loaded");
  }

  try {
    Deno.chdir(latin1ToUtf8(config.getString("dir")));
  } catch (err) {
    log.warning(`Can't chdir to '${config.getString("dir")}': ${(err as Error).message}`);
    return 1;
  }
  for (const [from, to] of config.renamedCommands()) renameCommand(from, to);
  const server = new Server(config);
  installPersistence(server);
  installInfoTracking(server);
  const replication = installReplication(server);
  // A replica with appendonly yes rewrites its AOF after each full sync.
  replication.onLinkCreated.push((link) => aofOf(server).attachToLink(link));
  const eviction = installEviction(server);
  const master = config.replicaOf();
  log.role = master ? "S" : "M";
  log.notice("monotonic clock: POSIX clock_gettime");
  // Like Redis, the listeners open before the dataset is loaded and answer
  // -LOADING until it is in; set before listening so no command slips in early.
  server.loading = true;
  server.start();
  log.notice(`Running mode=standalone, port=${server.boundPort}.`);
  log.warning("Server initialized");
  // SHUTDOWN is served while the dataset loads (as in Redis): it ends the process at once.
  const loaded = await Promise.race([
    loadDataAtStartup(server).then((aux) => ({ aux })),
    server.stopped.then(() => undefined),
  ]);
  if (loaded === undefined) {
    log.close();
    return 0;
  }
  const aux = loaded.aux;
  // Both before the first command is served: whoever sees the server answer
  // finds its pid file and can stop it with SIGTERM.
  installSignalHandlers(server);
  const pidfile = config.getString("pidfile");
  if (pidfile || config.getBool("daemonize")) {
    const path = pidfile || "/var/run/redis.pid";
    try {
      writePidFile(path);
      server.pidFile = path;
    } catch (err) {
      log.warning(`Failed to write PID file: ${(err as Error).message}`);
    }
  }
  server.loading = false;
  for (const init of startupHooks) await init(server);
  if (server.listensOnTcp) log.notice("Ready to accept connections");
  eviction.warnIfTiny();
  const socket = config.getString("unixsocket");
  if (socket !== "") log.notice(`The server is now ready to accept connections at ${socket}`);
  if (!master && aux?.replId !== undefined && aux.replOffset !== undefined) {
    replication.restoreFromRdb(aux.replId, aux.replOffset);
  }
  if (master) {
    // A replica restarted with an RDB of its master's history can try a partial resync.
    const cached = aux?.replId !== undefined && aux.replOffset !== undefined
      ? { replid: aux.replId, offset: aux.replOffset }
      : undefined;
    if (cached) {
      log.notice(
        "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
      );
    }
    replication.becomeReplicaOf(master.host, master.port, { startup: true, cached });
  }
  await server.stopped;
  log.close();
  return 0;
}

/** Things later layers do between "Server initialized" and "Ready to accept connections" (load data, connect to a master). */
export const startupHooks: Array<(server: Server) => Promise<void>> = [];

async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

/**
 * SIGTERM and SIGINT shut down like Redis (save if save points are set); a
 * second SIGINT while shutting down exits at once.
 */
/** shutdown-on-sigterm / shutdown-on-sigint: "default", or some of save|nosave, now, force. */
function signalShutdownOptions(server: Server, signal: string): ShutdownOptions {
  const words = server.config.getString(`shutdown-on-${signal.toLowerCase()}`).split(" ");
  return {
    save: words.includes("save") ? "save" : words.includes("nosave") ? "nosave" : "default",
    now: words.includes("now"),
    force: words.includes("force"),
  };
}

function installSignalHandlers(server: Server): void {
  let shutdownRequested = false;
  const handler = (name: string) => () => {
    if (shutdownRequested && name === "SIGINT") {
      log.raw(
        `${Deno.pid}:signal-handler (${
          Math.floor(Date.now() / 1000)
        }) You insist... exiting now.\n`,
      );
      Deno.exit(1);
    }
    log.raw(
      `${Deno.pid}:signal-handler (${
        Math.floor(Date.now() / 1000)
      }) Received ${name} scheduling shutdown...\n`,
    );
    shutdownRequested = true;
    server.shutdown(signalShutdownOptions(server, name)).then((ok) => {
      if (!ok) shutdownRequested = false;
    });
  };
  Deno.addSignalListener("SIGTERM", handler("SIGTERM"));
  Deno.addSignalListener("SIGINT", handler("SIGINT"));
}
