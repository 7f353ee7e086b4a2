/**
 * INFO, field for field as Redis 7.0.15's genRedisInfoString prints it.
 *
 * Every figure is measured, never a constant standing in for one: memory from
 * the runtime (`Deno.memoryUsage()`, the V8 heap plus external buffers is our
 * "allocator"), CPU from /proc, stats from the server's counters. Fields that
 * describe machinery Redeno does not have (Lua, forks, io-threads, tracking,
 * defrag) print the value that is true for it: zero.
 *
 * Later layers add lines through `server.infoProviders` (section name → a
 * function returning [field, value] pairs):
 * - "persistence" and "replication": the provider's lines replace the
 *   section's built-in lines entirely (their fields vary with the state, e.g.
 *   a replica's master_host comes right after role);
 * - any other section: a provider's field replaces the built-in field of the
 *   same name in place, and new names are appended to the section.
 */
import type { CommandSpec } from "./types.ts";
import type { Client } from "../net/client.ts";
import type { Server } from "../server.ts";
import type { Db } from "../store/keyspace.ts";
import { hashSlots, REDENO_VERSION, REDIS_VERSION, usedMemory } from "../server.ts";
import { commandLatencyHistograms, resetCommandLatency } from "./command_info.ts";

/** Lines of one section: [field, value] in print order. */
export type InfoFields = Array<[string, string | number]>;

/** Sections INFO prints without arguments and for "default" (Redis's default_sections). */
const DEFAULT_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "module_list",
  "errorstats",
  "cluster",
  "keyspace",
];

/** Every section in print order with its header; "modules" prints the module list. */
const SECTION_ORDER: ReadonlyArray<[string, string]> = [
  ["server", "Server"],
  ["clients", "Clients"],
  ["memory", "Memory"],
  ["persistence", "Persistence"],
  ["stats", "Stats"],
  ["replication", "Replication"],
  ["cpu", "CPU"],
  ["module_list", "Modules"],
  ["commandstats", "Commandstats"],
  ["errorstats", "Errorstats"],
  ["latencystats", "Latencystats"],
  ["cluster", "Cluster"],
  ["keyspace", "Keyspace"],
];

/** Memory in use when this module was loaded, i.e. at process start-up (used_memory_startup). */
const STARTUP_MEMORY = usedMemory();

/** Redis's LRU_CLOCK_MAX and LRU_CLOCK_RESOLUTION (ms). */
const LRU_CLOCK_MAX = (1 << 24) - 1;
const LRU_CLOCK_RESOLUTION = 1000;

/** Redis's LRU clock (lru_clock in INFO, lru in DEBUG OBJECT). */
export function lruClock(nowMs = Date.now()): number {
  return Math.floor(nowMs / LRU_CLOCK_RESOLUTION) & LRU_CLOCK_MAX;
}

// ---------------------------------------------------------------------------
// Number formatting as C's printf does it
// ---------------------------------------------------------------------------

/**
 * printf("%.Nf"): like toFixed, but an exact tie rounds to even as glibc does
 * (toFixed rounds ties away from zero).
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? "inf" : x < 0 ? "-inf" : "nan";
  const scale = 10 ** digits;
  const scaled = x * scale;
  if (Math.abs(scaled) < 2 ** 52 && scaled / scale === x && !Number.isInteger(scaled)) {
    const floor = Math.floor(scaled);
    if (scaled - floor === 0.5) {
      const even = floor % 2 === 0 ? floor : floor + 1;
      return (even / scale).toFixed(digits);
    }
  }
  return x.toFixed(digits);
}

/** Redis's bytesToHuman: "912B", "1.02K", "1.00M", "23.54G" … */
export function bytesToHuman(n: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let scale = 1024;
  for (const unit of units) {
    if (n < scale * 1024) return formatFixed(n / scale, 2) + unit;
    scale *= 1024;
  }
  return `${n}B`;
}

/** A C float ("%.2f" of a float expression), as Redis computes some ratios. */
export function floatRatio(a: number, b: number): number {
  return Math.fround(Math.fround(a) / Math.fround(b));
}

/** What INFO keeps per server beyond the server's own counters. */
interface InfoState {
  memoryPeak: number;
}

const states = new WeakMap<Server, InfoState>();

function stateOf(server: Server): InfoState {
  let state = states.get(server);
  if (state === undefined) {
    const s: InfoState = { memoryPeak: usedMemory() };
    // Redis samples the peak in serverCron; so do we, from the first use on.
    server.cronJobs.push(() => updateMemoryPeak(s));
    states.set(server, s);
    state = s;
  }
  return state;
}

function updateMemoryPeak(state: InfoState): number {
  const used = usedMemory();
  if (used > state.memoryPeak) state.memoryPeak = used;
  return used;
}

/**
 * Starts sampling the memory peak in the cron (used_memory_peak); call once
 * at start-up so the peak covers the time before the first INFO. INFO starts
 * it anyway on first use.
 */
export function installInfoTracking(server: Server): void {
  stateOf(server);
}

/** CONFIG RESETSTAT's part here: the latency histograms and the memory peak. */
export function resetInfoStats(server: Server): void {
  resetCommandLatency(server);
  stateOf(server).memoryPeak = usedMemory();
}

// ---------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------

function isReplicaClient(c: Client): boolean {
  return c.flags.replica && !c.flags.monitor;
}

function serverSection(server: Server): InfoFields {
  const now = Date.now();
  const uptime = Math.floor((now - server.startedAt) / 1000);
  const hz = server.config.getNumber("hz");
  const usec = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return [
    ["redis_version", REDIS_VERSION],
    ["redis_git_sha1", "00000000"],
    ["redis_git_dirty", 0],
    ["redis_build_id", buildId()],
    ["redis_mode", "standalone"],
    ["os", osName()],
    ["arch_bits", 64],
    ["monotonic_clock", "POSIX clock_gettime"],
    ["multiplexing_api", Deno.build.os === "linux" ? "epoll" : "kqueue"],
    ["atomicvar_api", "c11-builtin"],
    // Redeno is not built by gcc; Redis prints 0.0.0 when __GNUC__ is undefined.
    ["gcc_version", "0.0.0"],
    ["process_id", Deno.pid],
    ["process_supervised", "no"],
    ["run_id", server.runId],
    ["tcp_port", server.boundPort],
    ["server_time_usec", usec],
    ["uptime_in_seconds", uptime],
    ["uptime_in_days", Math.floor(uptime / 86400)],
    ["hz", hz],
    ["configured_hz", hz],
    ["lru_clock", lruClock(now)],
    ["executable", executablePath()],
    ["config_file", server.config.configFile ?? ""],
    ["io_threads_active", 0],
  ];
}

let cachedBuildId: string | undefined;

/** A stable id of this build (Redis hashes its build flags; we hash the versions). */
function buildId(): string {
  if (cachedBuildId === undefined) {
    let h = 0xcbf29ce484222325n;
    for (const ch of `${REDENO_VERSION} ${Deno.version.deno} ${Deno.version.v8}`) {
      h = ((h ^ BigInt(ch.charCodeAt(0))) * 0x100000001b3n) & 0xffffffffffffffffn;
    }
    cachedBuildId = h.toString(16).slice(0, 15);
  }
  return cachedBuildId;
}

/** `uname -s -r -m`, as Redis prints it. */
function osName(): string {
  const sys = Deno.build.os === "linux"
    ? "Linux"
    : Deno.build.os === "darwin"
    ? "Darwin"
    : Deno.build.os;
  let release = "";
  try {
    release = Deno.osRelease();
  } catch {
    release = "unknown";
  }
  return `${sys} ${release} ${Deno.build.arch}`;
}

/** The server program: the compiled binary, or main.ts when run by `deno run`. */
function executablePath(): string {
  const exec = Deno.execPath();
  const base = exec.slice(exec.lastIndexOf("/") + 1);
  if (base !== "deno" && base !== "deno.exe") return exec;
  try {
    const url = new URL(Deno.mainModule);
    return url.protocol === "file:" ? decodeURIComponent(url.pathname) : Deno.mainModule;
  } catch {
    return exec;
  }
}

function clientsSection(server: Server): InfoFields {
  let replicas = 0;
  let blocked = 0;
  let maxInput = 0;
  let maxOutput = 0;
  for (const c of server.clients.values()) {
    if (isReplicaClient(c)) replicas++;
    if (c.flags.blocked) blocked++;
    maxInput = Math.max(maxInput, c.queryBufferLength);
    maxOutput = Math.max(maxOutput, c.outputLength + c.heldOutputBytes);
  }
  return [
    ["connected_clients", server.clients.size - replicas],
    ["cluster_connections", 0],
    ["maxclients", server.config.getNumber("maxclients")],
    ["client_recent_max_input_buffer", maxInput],
    ["client_recent_max_output_buffer", maxOutput],
    ["blocked_clients", blocked],
    ["tracking_clients", 0],
    ["clients_in_timeout_table", blocked],
  ];
}

/** Memory a client holds: its read buffer and pending output (Redis's getClientMemoryUsage). */

/** A db's hash tables as Redis's getMemoryOverheadData counts them (entries and buckets). */
export function dictOverheadOf(db: Db): { main: number; expires: number } {
  const keys = db.dict.size;
  const expires = db.expires.size;
  return {
    main: keys * (24 + 16) + (keys ? hashSlots(keys) * 8 : 0),
    expires: expires * 24 + (expires ? hashSlots(expires) * 8 : 0),
  };
}

/** INFO memory's figures by field name (MEMORY STATS is built from them). */
export function memoryFields(server: Server): Map<string, string | number> {
  return new Map(memorySection(server, stateOf(server)));
}

function memorySection(server: Server, state: InfoState): InfoFields {
  const mem = Deno.memoryUsage();
  const used = mem.heapUsed + mem.external;
  if (used > state.memoryPeak) state.memoryPeak = used;
  const peak = state.memoryPeak;
  const rss = mem.rss;
  const active = mem.heapTotal + mem.external;
  let clientsNormal = 0;
  let clientsReplicas = 0;
  for (const c of server.clients.values()) {
    if (isReplicaClient(c)) clientsReplicas += c.bufferBytes;
    else clientsNormal += c.bufferBytes;
  }
  // Redis's getMemoryOverheadData: start-up memory, client buffers and the dicts' own structures.
  let dictOverhead = 0;
  for (const db of server.keyspace.dbs) {
    const { main, expires } = dictOverheadOf(db);
    dictOverhead += main + expires;
  }
  const startup = Math.min(STARTUP_MEMORY, used);
  const overhead = Math.min(used, startup + clientsNormal + clientsReplicas + dictOverhead);
  const dataset = used - overhead;
  const netUsage = used > startup ? used - startup : 1;
  let total = 0;
  try {
    total = Deno.systemMemoryInfo().total;
  } catch {
    total = 0;
  }
  const maxmemory = server.config.getNumber("maxmemory");
  const fields: InfoFields = [
    ["used_memory", used],
    ["used_memory_human", bytesToHuman(used)],
    ["used_memory_rss", rss],
    ["used_memory_rss_human", bytesToHuman(rss)],
    ["used_memory_peak", peak],
    ["used_memory_peak_human", bytesToHuman(peak)],
    ["used_memory_peak_perc", formatFixed(floatRatio(used * 100, peak), 2) + "%"],
    ["used_memory_overhead", overhead],
    ["used_memory_startup", startup],
    ["used_memory_dataset", dataset],
    ["used_memory_dataset_perc", formatFixed(floatRatio(dataset * 100, netUsage), 2) + "%"],
    ["allocator_allocated", used],
    ["allocator_active", active],
    ["allocator_resident", rss],
    ["total_system_memory", total],
    ["total_system_memory_human", bytesToHuman(total)],
    // No scripting engine: the Lua and function figures are all zero.
    ["used_memory_lua", 0],
    ["used_memory_vm_eval", 0],
    ["used_memory_lua_human", "0B"],
    ["used_memory_scripts_eval", 0],
    ["number_of_cached_scripts", 0],
    ["number_of_functions", 0],
    ["number_of_libraries", 0],
    ["used_memory_vm_functions", 0],
    ["used_memory_vm_total", 0],
    ["used_memory_vm_total_human", "0B"],
    ["used_memory_functions", 0],
    ["used_memory_scripts", 0],
    ["used_memory_scripts_human", "0B"],
    ["maxmemory", maxmemory],
    ["maxmemory_human", bytesToHuman(maxmemory)],
    ["maxmemory_policy", server.config.getString("maxmemory-policy")],
    ["allocator_frag_ratio", formatFixed(floatRatio(active, used), 2)],
    ["allocator_frag_bytes", active - used],
    ["allocator_rss_ratio", formatFixed(floatRatio(rss, active), 2)],
    ["allocator_rss_bytes", rss - active],
    ["rss_overhead_ratio", "1.00"],
    ["rss_overhead_bytes", 0],
    ["mem_fragmentation_ratio", formatFixed(floatRatio(rss, used), 2)],
    ["mem_fragmentation_bytes", rss - used],
    ["mem_not_counted_for_evict", clientsReplicas],
    ["mem_replication_backlog", 0],
    ["mem_total_replication_buffers", clientsReplicas],
    ["mem_clients_slaves", clientsReplicas],
    ["mem_clients_normal", clientsNormal],
    ["mem_cluster_links", 0],
    ["mem_aof_buffer", 0],
    ["mem_allocator", `v8-${Deno.version.v8}`],
    ["active_defrag_running", 0],
    ["lazyfree_pending_objects", 0],
    ["lazyfreed_objects", 0],
  ];
  return fields;
}

function statsSection(server: Server): InfoFields {
  const s = server.stats;
  const ks = server.keyspace.stats;
  const channels = new Set<string>();
  const patterns = new Set<string>();
  const shardChannels = new Set<string>();
  for (const c of server.clients.values()) {
    for (const ch of c.channels) channels.add(ch);
    for (const p of c.patterns) patterns.add(p);
    for (const ch of c.shardChannels) shardChannels.add(ch);
  }
  // Redis's getInstantaneousMetric averages integer samples; kbps divide that by 1024.
  const exceeded = s.evictionExceededSince === 0 ? 0 : performance.now() - s.evictionExceededSince;
  const kbps = (rate: number) => formatFixed(Math.trunc(rate) / 1024, 2);
  return [
    ["total_connections_received", s.totalConnectionsReceived],
    ["total_commands_processed", s.totalCommandsProcessed],
    ["instantaneous_ops_per_sec", Math.trunc(s.samples.commands.perSecond)],
    ["total_net_input_bytes", s.netInputBytes],
    ["total_net_output_bytes", s.netOutputBytes],
    ["total_net_repl_input_bytes", s.netReplInputBytes],
    ["total_net_repl_output_bytes", s.netReplOutputBytes],
    ["instantaneous_input_kbps", kbps(s.samples.netInput.perSecond)],
    ["instantaneous_output_kbps", kbps(s.samples.netOutput.perSecond)],
    ["instantaneous_input_repl_kbps", kbps(s.samples.netReplInput.perSecond)],
    ["instantaneous_output_repl_kbps", kbps(s.samples.netReplOutput.perSecond)],
    ["rejected_connections", s.rejectedConnections],
    ["sync_full", s.syncFull],
    ["sync_partial_ok", s.syncPartialOk],
    ["sync_partial_err", s.syncPartialErr],
    ["expired_keys", ks.expiredKeys],
    ["expired_stale_perc", formatFixed(ks.expiredStalePerc * 100, 2)],
    ["expired_time_cap_reached_count", ks.expiredTimeCapReachedCount],
    ["expire_cycle_cpu_milliseconds", Math.floor(ks.expireCycleCpuMilliseconds)],
    ["evicted_keys", s.evictedKeys],
    ["evicted_clients", s.evictedClients],
    ["total_eviction_exceeded_time", Math.floor(s.evictionExceededMs + exceeded)],
    ["current_eviction_exceeded_time", Math.floor(exceeded)],
    ["keyspace_hits", ks.keyspaceHits],
    ["keyspace_misses", ks.keyspaceMisses],
    ["pubsub_channels", channels.size],
    ["pubsub_patterns", patterns.size],
    ["pubsubshard_channels", shardChannels.size],
    ["latest_fork_usec", 0],
    ["total_forks", s.totalForks],
    ["migrate_cached_sockets", 0],
    ["slave_expires_tracked_keys", 0],
    ["active_defrag_hits", 0],
    ["active_defrag_misses", 0],
    ["active_defrag_key_hits", 0],
    ["active_defrag_key_misses", 0],
    ["total_active_defrag_time", 0],
    ["current_active_defrag_time", 0],
    ["tracking_total_keys", 0],
    ["tracking_total_items", 0],
    ["tracking_total_prefixes", 0],
    ["unexpected_error_replies", 0],
    ["total_error_replies", s.totalErrorReplies],
    ["dump_payload_sanitizations", 0],
    ["total_reads_processed", s.ioReadsProcessed],
    ["total_writes_processed", s.ioWritesProcessed],
    ["io_threaded_reads_processed", 0],
    ["io_threaded_writes_processed", 0],
    ["reply_buffer_shrinks", 0],
    ["reply_buffer_expands", 0],
  ];
}

/** User and system CPU seconds of the main thread, from /proc/thread-self/stat. */
function mainThreadCpu(): { user: number; sys: number } | undefined {
  try {
    const stat = Deno.readTextFileSync("/proc/thread-self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { user: Number(fields[11]) / 100, sys: Number(fields[12]) / 100 };
  } catch {
    return undefined;
  }
}

function cpuSection(server: Server): InfoFields {
  const cpu = server.cpuTimes();
  const main = mainThreadCpu() ?? cpu;
  return [
    ["used_cpu_sys", formatFixed(cpu.sys, 6)],
    ["used_cpu_user", formatFixed(cpu.user, 6)],
    ["used_cpu_sys_children", "0.000000"],
    ["used_cpu_user_children", "0.000000"],
    ["used_cpu_sys_main_thread", formatFixed(main.sys, 6)],
    ["used_cpu_user_main_thread", formatFixed(main.user, 6)],
  ];
}

function commandstatsSection(server: Server): InfoFields {
  const fields: InfoFields = [];
  for (const [name, st] of server.allCommandStats()) {
    if (!st.calls && !st.failedCalls && !st.rejectedCalls) continue;
    const perCall = st.calls === 0 ? 0 : floatRatio(st.usec, st.calls);
    fields.push([
      `cmdstat_${name}`,
      `calls=${st.calls},usec=${st.usec},usec_per_call=${formatFixed(perCall, 2)},` +
      `rejected_calls=${st.rejectedCalls},failed_calls=${st.failedCalls}`,
    ]);
  }
  return fields;
}

function errorstatsSection(server: Server): InfoFields {
  // Redis keeps error codes in a radix tree: lexicographic order.
  const codes = [...server.stats.errorstats.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return codes.map((code) => [`errorstat_${code}`, `count=${server.stats.errorstats.get(code)}`]);
}

/** Redis's trimDoubleString("%f"): 50 → "50", 99.9 → "99.9". */
function percentileName(p: number): string {
  return String(Number(p.toFixed(6)));
}

function latencystatsSection(server: Server): InfoFields {
  if (!server.config.getBool("latency-tracking")) return [];
  const percentiles = server.config.latencyPercentiles();
  const fields: InfoFields = [];
  for (const [name, histogram] of commandLatencyHistograms(server)) {
    if (histogram.totalCount === 0) continue;
    const parts = percentiles.map((p) =>
      `p${percentileName(p)}=${formatFixed(histogram.valueAtPercentile(p) / 1000, 3)}`
    );
    fields.push([`latency_percentiles_usec_${name}`, parts.join(",")]);
  }
  return fields;
}

function keyspaceSection(server: Server): InfoFields {
  const fields: InfoFields = [];
  for (const db of server.keyspace.dbs) {
    const keys = db.dict.size;
    const expires = db.expires.size;
    if (keys || expires) {
      fields.push([
        `db${db.id}`,
        `keys=${keys},expires=${expires},avg_ttl=${Math.trunc(db.avgTtl)}`,
      ]);
    }
  }
  return fields;
}

/** Applies a provider's lines to a section (see the module comment). */
function withProvider(server: Server, section: string, builtIn: () => InfoFields): InfoFields {
  const provider = server.infoProviders.get(section);
  if (provider === undefined) return builtIn();
  const provided = provider();
  if (section === "persistence" || section === "replication") return provided;
  const fields = builtIn();
  for (const [name, value] of provided) {
    const i = fields.findIndex(([n]) => n === name);
    if (i === -1) fields.push([name, value]);
    else fields[i] = [name, value];
  }
  return fields;
}

/** The lines of one section, by its INFO name ("module_list" for # Modules). */
function sectionFields(server: Server, section: string, state: InfoState): InfoFields {
  switch (section) {
    case "server":
      return withProvider(server, section, () => serverSection(server));
    case "clients":
      return withProvider(server, section, () => clientsSection(server));
    case "memory":
      return withProvider(server, section, () => memorySection(server, state));
    case "persistence":
      // Provided by the persistence layer (src/persistence/mod.ts).
      return withProvider(server, section, () => []);
    case "stats":
      return withProvider(server, section, () => statsSection(server));
    case "replication":
      // Provided by the replication layer (src/replication/mod.ts).
      return withProvider(server, section, () => []);
    case "cpu":
      return withProvider(server, section, () => cpuSection(server));
    case "module_list":
      return [];
    case "commandstats":
      return commandstatsSection(server);
    case "errorstats":
      return errorstatsSection(server);
    case "latencystats":
      return latencystatsSection(server);
    case "cluster":
      return withProvider(server, section, () => [["cluster_enabled", 0]]);
    case "keyspace":
      return keyspaceSection(server);
  }
  return [];
}

/**
 * Which sections a list of INFO arguments asks for (Redis's
 * genInfoSectionDict): none → default; "default", "all", "everything", or
 * section names in any case. "modules" names the module list.
 */
export function selectSections(args: readonly string[]): Set<string> {
  const selected = new Set<string>();
  if (args.length === 0) {
    for (const s of DEFAULT_SECTIONS) selected.add(s);
    return selected;
  }
  for (const arg of args) {
    const lower = arg.toLowerCase();
    if (lower === "default") {
      for (const s of DEFAULT_SECTIONS) selected.add(s);
    } else if (lower === "all" || lower === "everything") {
      for (const [s] of SECTION_ORDER) selected.add(s);
    } else {
      selected.add(lower === "modules" ? "module_list" : lower);
    }
  }
  return selected;
}

/**
 * The INFO text for the given arguments: "# Section" headers, "field:value"
 * lines, CRLF line ends and a blank line between sections, as Redis.
 */
export function genInfoString(server: Server, args: readonly string[]): string {
  const state = stateOf(server);
  updateMemoryPeak(state);
  const selected = selectSections(args);
  let info = "";
  let sections = 0;
  for (const [name, header] of SECTION_ORDER) {
    if (!selected.has(name)) continue;
    if (sections++) info += "\r\n";
    info += `# ${header}\r\n`;
    for (const [field, value] of sectionFields(server, name, state)) {
      info += `${field}:${value}\r\n`;
    }
  }
  return info;
}

/** INFO [section …] — server information and statistics. */
export const info: CommandSpec = {
  name: "info",
  arity: -1,
  flags: ["loading", "stale"],
  keys: [0, 0, 0],
  acl: ["slow", "dangerous"],
  run(ctx, argv) {
    ctx.reply.verbatim(genInfoString(ctx.server, argv.slice(1)));
  },
};
