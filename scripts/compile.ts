/**
 * `deno task compile`: builds `dist/redeno`, one executable with the snapshot
 * worker embedded.
 *
 * `deno compile` needs a runtime base binary ("denort") matching this Deno.
 * It normally downloads it from Deno's download host, which these machines
 * cannot reach; point `DENORT_BIN` at a denort binary for Deno 2.9.6 instead.
 * Without one the task stops at once and says so.
 */
import { fileURLToPath } from "node:url";
import { HEAP_FLAGS } from "../src/util/heap_flags.ts";

/** Modules loaded at run time by URL (workers): `deno compile` must be told to embed them. */
export const RUNTIME_MODULES = [
  "src/persistence/snapshot_worker.ts",
  "src/persistence/rdb_load_worker.ts",
];

/**
 * What the server needs: sockets, its files (dir, logfile, pidfile, config),
 * environment, system facts for INFO (hostname, load), running itself for
 * `daemonize yes`, and libc's sched_setscheduler for the background workers'
 * priority (src/util/thread_priority.ts).
 */
export const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
  "--allow-ffi",
];

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUTPUT = "dist/redeno";

/** The compile command line for a given output path. */
export function compileArgs(output = OUTPUT): string[] {
  return [
    "compile",
    ...PERMISSIONS,
    `--v8-flags=${HEAP_FLAGS}`,
    ...RUNTIME_MODULES.flatMap((m) => ["--include", m]),
    "--output",
    output,
    "main.ts",
  ];
}

/** Why compiling cannot start, or undefined when it can. */
export function missingRuntimeReason(env: Record<string, string | undefined>): string | undefined {
  const denort = env.DENORT_BIN;
  if ((denort === undefined || denort === "") && cachedRuntime(env) !== undefined) return undefined;
  if (denort === undefined || denort === "") {
    return [
      "deno compile needs the Deno runtime base binary (denort) for Deno " + Deno.version.deno +
      ".",
      "It is normally downloaded from Deno's download host, which cannot be reached from this machine,",
      "and DENORT_BIN is not set.",
      "Set DENORT_BIN to the path of a denort binary for Deno " + Deno.version.deno +
      " (x86_64-unknown-linux-gnu), e.g.:",
      "  DENORT_BIN=/path/to/denort deno task compile",
    ].join("\n");
  }
  try {
    const info = Deno.statSync(denort);
    if (!info.isFile) return `DENORT_BIN=${denort} is not a file.`;
  } catch {
    return `DENORT_BIN=${denort} does not exist.`;
  }
  return undefined;
}

/** A denort that an earlier `deno compile` downloaded into DENO_DIR, if any. */
function cachedRuntime(env: Record<string, string | undefined>): string | undefined {
  const denoDir = env.DENO_DIR ?? (env.HOME ? `${env.HOME}/.cache/deno` : undefined);
  if (denoDir === undefined) return undefined;
  const path = `${denoDir}/dl/release/v${Deno.version.deno}/denort-x86_64-unknown-linux-gnu.zip`;
  try {
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

if (import.meta.main) {
  const reason = missingRuntimeReason(Deno.env.toObject());
  if (reason !== undefined) {
    console.error(reason);
    Deno.exit(1);
  }
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(),
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code === 0) console.log(`Built ${OUTPUT}: ./${OUTPUT} conf/master.conf`);
  Deno.exit(code);
}
