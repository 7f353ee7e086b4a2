/**
 * Redeno side by side with redis-server 7.0 (`deno task bench`).
 *
 *   deno task bench                     every section
 *   deno task bench core datatypes      some sections
 *   deno task bench --quick             small datasets, one round (a smoke run)
 *   deno task bench --rounds 5          more alternating rounds
 *   deno task bench --keys 500000       size of the big datasets
 *
 * Sections: core (issue 2), datatypes (issue 3), persistence (issue 4),
 * replication (issue 5), eviction (maxmemory, issue 5), floor (the runtime's own I/O cost, for issue 2). Tables go to stdout, progress to stderr, so
 * `deno task bench > bench.md` keeps only the tables.
 */
import { runCore } from "./bench/core.ts";
import { runDatatypes } from "./bench/datatypes.ts";
import { runEviction } from "./bench/eviction.ts";
import { runFloor } from "./bench/floor.ts";
import { runPersistence } from "./bench/persistence.ts";
import { runReplication } from "./bench/replication.ts";
import { type BenchOptions, cleanupAll, progress, REPO_ROOT } from "./bench/util.ts";

const SECTIONS: Record<string, (opts: BenchOptions) => Promise<string>> = {
  core: runCore,
  datatypes: runDatatypes,
  persistence: runPersistence,
  replication: runReplication,
  eviction: runEviction,
  floor: runFloor,
};

const TOOLS = ["redis-server", "redis-cli", "redis-benchmark"];

function usage(): never {
  console.error(
    `usage: deno task bench [${
      Object.keys(SECTIONS).join("|")
    } …] [--quick] [--rounds N] [--keys N]`,
  );
  Deno.exit(2);
}

function parseArgs(args: string[]): { sections: string[]; opts: BenchOptions } {
  const sections: string[] = [];
  let quick = false;
  let rounds: number | undefined;
  let keys: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [name, inline] = arg.split("=", 2);
    const value = () => inline ?? args[++i];
    if (arg === "--quick") quick = true;
    else if (name === "--rounds") rounds = Number(value());
    else if (name === "--keys") keys = Number(value());
    else if (arg === "-h" || arg === "--help") usage();
    else if (arg in SECTIONS) sections.push(arg);
    else {
      console.error(`unknown argument: ${arg}`);
      usage();
    }
  }
  for (const n of [rounds, keys]) {
    if (n !== undefined && !(Number.isInteger(n) && n > 0)) usage();
  }
  return {
    sections: sections.length > 0 ? sections : Object.keys(SECTIONS),
    opts: {
      quick,
      rounds: rounds ?? (quick ? 1 : 3),
      keys: keys ?? (quick ? 100_000 : 1_000_000),
    },
  };
}

/** A section that runs longer than this is abandoned (its servers are then stopped). */
function sectionTimeoutMs(opts: BenchOptions): number {
  return (opts.quick ? 5 : 20) * 60_000 * Math.max(1, opts.keys / 1_000_000) *
    Math.max(1, opts.rounds / 3);
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function haveTool(tool: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("bash", {
      args: ["-c", `command -v ${tool}`],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

async function ensureTools(): Promise<void> {
  const missing = [];
  for (const tool of TOOLS) if (!await haveTool(tool)) missing.push(tool);
  if (missing.length === 0) return;
  progress(`missing ${missing.join(", ")}: running scripts/ensure_tools.sh`);
  const out = await new Deno.Command("bash", {
    args: [`${REPO_ROOT}scripts/ensure_tools.sh`],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("scripts/ensure_tools.sh failed");
}

async function versionLine(): Promise<string> {
  const out = await new Deno.Command("redis-server", { args: ["--version"], stdout: "piped" })
    .output();
  const redis = new TextDecoder().decode(out.stdout).trim().split(" ").slice(0, 3).join(" ");
  const cpus = Deno.readTextFileSync("/proc/cpuinfo").match(/^processor\s*:/gm)?.length ?? 0;
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  return `${redis} · Deno ${Deno.version.deno} · ${cpus} CPU(s) · load average ${load} · ${
    new Date().toISOString()
  }`;
}

async function main(): Promise<number> {
  const { sections, opts } = parseArgs(Deno.args);
  const onSignal = () => {
    progress("interrupted: stopping servers");
    cleanupAll().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let failures = 0;
  try {
    await ensureTools();
    console.log(`## Redeno vs Redis 7.0${opts.quick ? " (quick run)" : ""}\n`);
    console.log(`${await versionLine()} · rounds=${opts.rounds} · keys=${opts.keys}\n`);
    for (const section of sections) {
      const started = performance.now();
      progress(`section ${section}`);
      try {
        console.log(await withTimeout(SECTIONS[section](opts), sectionTimeoutMs(opts), section));
      } catch (err) {
        failures++;
        console.log(`### ${section}\n\nn/a — the section failed: ${(err as Error).message}`);
        progress(`section ${section} failed: ${(err as Error).stack}`);
      } finally {
        await cleanupAll();
      }
      console.log("");
      progress(`section ${section} took ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    await cleanupAll();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
  return failures > 0 ? 1 : 0;
}

Deno.exit(await main());
