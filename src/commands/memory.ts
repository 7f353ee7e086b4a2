/**
 * MEMORY USAGE, STATS, PURGE, MALLOC-STATS, HELP. USAGE reports the
 * estimate the maxmemory accounting adds up (src/memory/size.ts), so its
 * figures are V8's layout, not jemalloc's: `SET k v` is 88 bytes here, 64 in
 * Redis. STATS gives INFO memory's figures in Redis's layout; DOCTOR is in
 * memory_doctor.ts.
 */
import { fail, NOT_AN_INTEGER, SYNTAX_ERROR } from "../errors.ts";
import { parseLongLong } from "../util/numbers.ts";
import { DEFAULT_SAMPLES, keyBytes } from "../memory/size.ts";
import { replyHelp } from "./command_info.ts";
import { dictOverheadOf, floatRatio, memoryFields } from "./info.ts";
import { formatDouble } from "../util/numbers.ts";
import { memoryDoctorReport } from "./memory_doctor.ts";
import type { CommandSpec } from "./types.ts";

const MEMORY_HELP = [
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
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
        // Redis's figure leaves the expires entry out.
        ctx.reply.int(keyBytes(argv[2], value, false, samples));
      },
    },
    {
      name: "memory|doctor",
      arity: 2,
      flags: [],
      keys: [0, 0, 0],
      acl: ["slow"],
      run: (ctx) => ctx.reply.verbatim(memoryDoctorReport(ctx.server)),
    },
    {
      name: "memory|stats",
      arity: 2,
      flags: [],
      keys: [0, 0, 0],
      acl: ["slow"],
      run(ctx) {
        const info = memoryFields(ctx.server);
        const n = (field: string) => Number(info.get(field) ?? 0);
        // A C float printed as Redis's addReplyDouble prints it.
        const ratio = (a: number, b: number) => formatDouble(floatRatio(a, b));
        const dbs = ctx.server.keyspace.dbs.filter((db) => db.dict.size > 0);
        const keys = dbs.reduce((sum, db) => sum + db.dict.size, 0);
        const used = n("used_memory");
        const netUsage = used > n("used_memory_startup") ? used - n("used_memory_startup") : 1;
        const allocated = n("allocator_allocated");
        const active = n("allocator_active");
        const resident = n("allocator_resident");
        const rss = n("used_memory_rss");
        const reply = ctx.reply;
        reply.map(27 + dbs.length);
        const int = (name: string, value: number) => {
          reply.bulk(name);
          reply.int(Math.trunc(value));
        };
        const double = (name: string, text: string) => {
          reply.bulk(name);
          reply.double(text);
        };
        int("peak.allocated", n("used_memory_peak"));
        int("total.allocated", used);
        int("startup.allocated", n("used_memory_startup"));
        int("replication.backlog", n("mem_replication_backlog"));
        int("clients.slaves", n("mem_clients_slaves"));
        int("clients.normal", n("mem_clients_normal"));
        int("cluster.links", n("mem_cluster_links"));
        int("aof.buffer", n("mem_aof_buffer"));
        int("lua.caches", 0);
        int("functions.caches", n("used_memory_functions"));
        for (const db of dbs) {
          const overhead = dictOverheadOf(db);
          reply.bulk(`db.${db.id}`);
          reply.map(3);
          int("overhead.hashtable.main", overhead.main);
          int("overhead.hashtable.expires", overhead.expires);
          int("overhead.hashtable.slot-to-keys", 0);
        }
        int("overhead.total", n("used_memory_overhead"));
        int("keys.count", keys);
        int("keys.bytes-per-key", keys === 0 ? 0 : netUsage / keys);
        int("dataset.bytes", n("used_memory_dataset"));
        double("dataset.percentage", ratio(n("used_memory_dataset") * 100, netUsage));
        double("peak.percentage", ratio(used * 100, n("used_memory_peak")));
        int("allocator.allocated", allocated);
        int("allocator.active", active);
        int("allocator.resident", resident);
        double("allocator-fragmentation.ratio", ratio(active, allocated));
        int("allocator-fragmentation.bytes", active - allocated);
        double("allocator-rss.ratio", ratio(resident, active));
        int("allocator-rss.bytes", resident - active);
        double("rss-overhead.ratio", ratio(rss, resident));
        int("rss-overhead.bytes", rss - resident);
        double("fragmentation", ratio(rss, used));
        int("fragmentation.bytes", rss - used);
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
