/**
 * `daemonize yes`: Deno cannot fork, so the process starts a detached copy of
 * itself (same arguments, output to `logfile` or nowhere) and exits 0 once the
 * copy serves commands (its dataset loaded, its pid file written), or 1 if
 * the copy died first. The copy knows it is the daemon from an environment
 * variable.
 */
import { fileURLToPath } from "node:url";

/** Set in the daemon's environment so it does not daemonize again. */
export const DAEMON_ENV = "REDENO_DAEMONIZED";
/** How long the parent waits for the daemon to listen. */
export const DAEMON_START_TIMEOUT_MS = 30_000;

/** True in the detached copy. */
export function isDaemonChild(): boolean {
  return Deno.env.get(DAEMON_ENV) === "1";
}

/** The command that runs this same program again: `deno run -A main.ts …` from source, the binary itself when compiled. */
function selfCommand(args: string[]): { cmd: string; args: string[] } {
  const exec = Deno.execPath();
  const base = exec.slice(exec.lastIndexOf("/") + 1);
  if (base === "deno" || base.startsWith("deno.")) {
    return { cmd: exec, args: ["run", "-A", fileURLToPath(Deno.mainModule), ...args] };
  }
  return { cmd: exec, args };
}

/**
 * Whether the daemon serves commands: it answers PING with anything but -LOADING
 * (PONG, or -NOAUTH when requirepass is set). A daemon still loading its
 * dataset answers -LOADING, and a parent that returned then let its caller's
 * first command fail.
 */
export async function servesCommands(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(new TextEncoder().encode("PING\r\n"));
      const buf = new Uint8Array(64);
      const n = await conn.read(buf);
      if (n === null || n === 0) return false;
      return !new TextDecoder().decode(buf.subarray(0, n)).startsWith("-LOADING");
    } finally {
      conn.close();
    }
  } catch {
    return false;
  }
}

/** Starts the daemon and returns the parent's exit code. */
export async function daemonize(args: string[], port: number): Promise<number> {
  const { cmd, args: cmdArgs } = selfCommand(args);
  const child = new Deno.Command(cmd, {
    args: cmdArgs,
    env: { [DAEMON_ENV]: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  child.unref();
  const deadline = Date.now() + DAEMON_START_TIMEOUT_MS;
  while (Date.now() < deadline && !exited) {
    if (port === 0 || await servesCommands(port)) return 0;
    await new Promise((r) => setTimeout(r, 50));
  }
  return exited ? 1 : 0;
}

/** Writes the pid file (Redis's createPidFile); failure is only logged by the caller. */
export function writePidFile(path: string): void {
  Deno.writeTextFileSync(path, `${Deno.pid}\n`);
}
