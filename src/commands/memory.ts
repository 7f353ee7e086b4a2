/**
 * MEMORY USAGE, PURGE, MALLOC-STATS, HELP. USAGE reports the estimate the
 * maxmemory accounting adds up (src/memory/size.ts), so its figures are V8's
 * layout, not jemalloc's: `SET k v` is 88 bytes here, 64 in Redis.
 * MEMORY STATS and DOCTOR are not implemented (unknown subcommand).
 */
import { fail, NOT_AN_INTEGER, SYNTAX_ERROR } from "../errors.ts";
import { parseLongLong } from "../util/numbers.ts";
import { DEFAULT_SAMPLES, ENTRY_BYTES, stringBytes, valueBytes } from "../memory/size.ts";
import { replyHelp } from "./command_info.ts";
import type { CommandSpec } from "./types.ts";

const MEMORY_HELP = [
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
];

/** MEMORY USAGE's options, parsed before the key is looked at (as Redis does). */
function samplesOption(argv: string[]): number {
  let samples = DEFAULT_SAMPLES;
  for (let j = 3; j < argv.length; j++) {
    if (argv[j].toLowerCase() !== "samples" || j + 1 >= argv.length) fail(SYNTAX_ERROR);
    const n = parseLongLong(argv[++j]);
    if (n === undefined) fail(NOT_AN_INTEGER);
    if (n < 0) fail(SYNTAX_ERROR);
    samples = n;
  }
  return samples;
}

const memory: CommandSpec = {
  name: "memory",
  arity: -2,
  flags: [],
  keys: [0, 0, 0],
  acl: ["slow"],
  subcommands: [
    {
      name: "memory|usage",
      arity: -3,
      flags: ["readonly"],
      keys: [2, 2, 1],
      acl: ["read", "slow"],
      run(ctx, argv) {
        const samples = samplesOption(argv);
        // Redis's dbFind: no expiry check, no access recorded.
        const value = ctx.db.dict.get(argv[2]);
        if (value === undefined) {
          ctx.reply.nil();
          return;
        }
        ctx.reply.int(ENTRY_BYTES + stringBytes(argv[2].length) + valueBytes(value, samples));
      },
    },
    {
      name: "memory|purge",
      arity: 2,
      flags: [],
      keys: [0, 0, 0],
      acl: ["slow"],
      // V8 returns memory to the OS on its own; there is nothing to ask for.
      run: (ctx) => ctx.reply.ok(),
    },
    {
      name: "memory|malloc-stats",
      arity: 2,
      flags: [],
      keys: [0, 0, 0],
      acl: ["slow"],
      // Redis's reply when it is not built with jemalloc.
      run: (ctx) => ctx.reply.bulk("Stats not supported for the current allocator"),
    },
    {
      name: "memory|help",
      arity: 2,
      flags: ["loading", "stale"],
      keys: [0, 0, 0],
      acl: ["slow"],
      run: (ctx, argv) => replyHelp(ctx, argv, MEMORY_HELP),
    },
  ],
};

export const memoryCommands: CommandSpec[] = [memory];
