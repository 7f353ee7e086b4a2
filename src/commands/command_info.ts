/**
 * COMMAND and its subcommands (COUNT, LIST, INFO, DOCS, GETKEYS,
 * GETKEYSANDFLAGS, HELP), derived from the command table: only commands that
 * exist are listed, with the arity, flags, key positions and ACL categories
 * the dispatcher actually uses.
 *
 * What the table does not hold — documentation, command tips and key specs —
 * comes from command_docs.json, generated once from a real Redis 7.0.15 by
 * scripts/gen_command_docs.ts and kept with its RESP3 types, so it replays
 * exactly in RESP2 and RESP3.
 *
 * Also the per-command latency histograms (INFO latencystats, LATENCY
 * HISTOGRAM) and the two reply helpers every container command shares:
 * `replyHelp` (Redis's addReplyHelp) and `subcommandSyntaxError`.
 *
 * This module imports no value from src/server.ts, so the dispatcher may
 * import it without an import cycle.
 */
import type { CommandContext, CommandFlag, CommandSpec } from "./types.ts";
import type { ReplyWriter } from "../net/resp.ts";
import type { Server } from "../server.ts";
import { fail, ReplyError, SYNTAX_ERROR } from "../errors.ts";
import { allCommands, lookupCommand, lookupSubcommand } from "./table.ts";
import { globMatch } from "../util/glob.ts";
import { utf8ToLatin1 } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import commandDocs from "./command_docs.json" with { type: "json" };

// ---------------------------------------------------------------------------
// Shared reply helpers
// ---------------------------------------------------------------------------

/**
 * Redis's addReplyHelp: "<CMD> <subcommand> [<arg> [value] [opt] ...].
 * Subcommands are:", the lines, then HELP, as status replies.
 */
export function replyHelp(ctx: CommandContext, argv: string[], lines: readonly string[]): void {
  const reply = ctx.reply;
  reply.array(lines.length + 3);
  reply.simple(
    `${argv[0].toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`,
  );
  for (const line of lines) reply.simple(line);
  reply.simple("HELP");
  reply.simple("    Prints this help.");
}

/** Redis's addReplySubcommandSyntaxError, as an error to throw. */
export function subcommandSyntaxError(argv: string[]): ReplyError {
  return new ReplyError(
    `ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. ` +
      `Try ${argv[0].toUpperCase()} HELP.`,
  );
}

// ---------------------------------------------------------------------------
// Per-command latency histograms (Redis's hdr_histogram with 2 significant figures)
// ---------------------------------------------------------------------------

/** Redis records command latency in nanoseconds between these bounds (CMD_LATENCY_MIN/MAX_VALUE). */
const LATENCY_MIN_NS = 1;
const LATENCY_MAX_NS = 1_000_000_000;
/** hdr_histogram with 2 significant figures: 256 sub-buckets, half of them per bucket after the first. */
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = 7;
const SUB_BUCKET_MASK = 255;

/**
 * The HDR histogram Redis keeps per command (lowest 1, highest 1e9, 2
 * significant figures): values are kept at the resolution hdr_histogram
 * would keep them, so percentiles and the CDF come out as Redis prints them.
 */
export class LatencyHistogram {
  /** Count per recorded value's lowest equivalent value. */
  #counts = new Map<number, number>();
  #total = 0;

  get totalCount(): number {
    return this.#total;
  }

  /** Records one value in nanoseconds. */
  record(ns: number): void {
    const v = Math.min(LATENCY_MAX_NS, Math.max(LATENCY_MIN_NS, Math.round(ns)));
    const low = lowestEquivalent(v);
    this.#counts.set(low, (this.#counts.get(low) ?? 0) + 1);
    this.#total++;
  }

  /** hdr_value_at_percentile: the highest equivalent value of the bucket holding the percentile. */
  valueAtPercentile(percentile: number): number {
    if (this.#total === 0) return 0;
    const p = Math.min(percentile, 100);
    const target = Math.max(1, Math.ceil((p / 100) * this.#total));
    let seen = 0;
    for (const value of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(value)!;
      if (seen >= target) return highestEquivalent(value);
    }
    return 0;
  }

  /**
   * The cumulative distribution LATENCY HISTOGRAM prints (hdr_iter_log_init
   * with 1024 ns and base 2): [µs bucket, cumulative count] for each bucket
   * where the count grew.
   */
  cdf(): Array<[number, number]> {
    const values = [...this.#counts.keys()].sort((a, b) => a - b);
    const out: Array<[number, number]> = [];
    let cumulative = 0;
    let previous = 0;
    let i = 0;
    for (let level = 1024; cumulative < this.#total; level *= 2) {
      const top = highestEquivalent(level);
      while (i < values.length && values[i] <= top) cumulative += this.#counts.get(values[i++])!;
      if (cumulative > previous) out.push([Math.floor(top / 1000), cumulative]);
      previous = cumulative;
    }
    return out;
  }
}

function bucketIndex(v: number): number {
  // pow2ceiling: bit length of (v | mask) minus the first bucket's magnitude.
  // Values are clamped to LATENCY_MAX_NS < 2^31, so 32-bit operations are exact.
  return 32 - Math.clz32(v | SUB_BUCKET_MASK) - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1);
}

function lowestEquivalent(v: number): number {
  const bucket = bucketIndex(v);
  const shift = 2 ** bucket;
  return Math.floor(v / shift) * shift;
}

function highestEquivalent(v: number): number {
  const bucket = bucketIndex(v);
  const sub = Math.floor(v / 2 ** bucket);
  const adjusted = sub >= 256 ? bucket + 1 : bucket;
  return lowestEquivalent(v) + 2 ** adjusted - 1;
}

/** Per server: histograms by full command name, and whether latency-tracking is on. */
interface LatencyState {
  histograms: Map<string, LatencyHistogram>;
  enabled: boolean;
}

const latencyStates = new WeakMap<Server, LatencyState>();
/** The server asked about last and its state: this runs per command, and a process has one server. */
let lastServer: Server | undefined;
let lastState: LatencyState | undefined;

function latencyState(server: Server): LatencyState {
  if (server === lastServer) return lastState!;
  let state = latencyStates.get(server);
  if (state === undefined) {
    const s: LatencyState = {
      histograms: new Map(),
      enabled: server.config.getBool("latency-tracking"),
    };
    server.config.onChange("latency-tracking", (v) => s.enabled = v === "yes");
    latencyStates.set(server, s);
    state = s;
  }
  lastServer = server;
  lastState = state;
  return state;
}

/**
 * Records a command's duration in its latency histogram (Redis's
 * updateCommandLatencyHistogram, when `latency-tracking` is yes). `name` is
 * the full name ("config|get"). The dispatcher calls this once per call.
 */
export function recordCommandLatency(server: Server, name: string, micros: number): void {
  const state = latencyState(server);
  if (!state.enabled) return;
  let histogram = state.histograms.get(name);
  if (histogram === undefined) {
    histogram = new LatencyHistogram();
    state.histograms.set(name, histogram);
  }
  histogram.record(micros * 1000);
}

/** The latency histograms by full command name (INFO latencystats, LATENCY HISTOGRAM). */
export function commandLatencyHistograms(server: Server): ReadonlyMap<string, LatencyHistogram> {
  return latencyState(server).histograms;
}

/** Drops every histogram (CONFIG RESETSTAT). */
export function resetCommandLatency(server: Server): void {
  latencyState(server).histograms.clear();
}

// ---------------------------------------------------------------------------
// The generated data
// ---------------------------------------------------------------------------

/** A reply with its RESP3 type, as scripts/gen_command_docs.ts stores it. */
export type TypedReply =
  | string
  | number
  | null
  | TypedReply[]
  | { "+": string }
  | { "%": TypedReply[] }
  | { "~": TypedReply[] };

interface DocEntry {
  docs: TypedReply;
  info: TypedReply[];
}

const DOCS = commandDocs as unknown as Record<string, DocEntry>;

/** Writes a typed reply; JSON strings (UTF-8 text) go out as their UTF-8 bytes. */
export function writeTyped(reply: ReplyWriter, value: TypedReply): void {
  if (value === null) {
    reply.nil();
  } else if (typeof value === "string") {
    reply.bulk(utf8ToLatin1(value));
  } else if (typeof value === "number") {
    reply.int(value);
  } else if (Array.isArray(value)) {
    reply.array(value.length);
    for (const item of value) writeTyped(reply, item);
  } else if ("+" in value) {
    reply.simple(value["+"]);
  } else if ("%" in value) {
    const items = value["%"];
    reply.map(items.length / 2);
    for (const item of items) writeTyped(reply, item);
  } else {
    const items = value["~"];
    reply.set(items.length);
    for (const item of items) writeTyped(reply, item);
  }
}

/** A typed map's value by key, or undefined. */
function field(map: TypedReply, key: string): TypedReply | undefined {
  if (map === null || typeof map !== "object" || !("%" in map)) return undefined;
  const items = map["%"];
  for (let i = 0; i < items.length; i += 2) if (items[i] === key) return items[i + 1];
  return undefined;
}

/** The elements of a typed set or array. */
function elements(value: TypedReply | undefined): TypedReply[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === "object" && "~" in value) return value["~"];
  return [];
}

function statusText(value: TypedReply): string {
  if (value !== null && typeof value === "object" && "+" in value) return value["+"];
  return String(value);
}

// ---------------------------------------------------------------------------
// Flags, ACL categories, key specs
// ---------------------------------------------------------------------------

/** The flags COMMAND INFO prints, in Redis 7.0.15's order (may_replicate, sentinel, protected hidden). */
const PRINTED_FLAGS: readonly CommandFlag[] = [
  "write",
  "readonly",
  "denyoom",
  "module",
  "admin",
  "pubsub",
  "noscript",
  "blocking",
  "loading",
  "stale",
  "skip_monitor",
  "skip_slowlog",
  "asking",
  "fast",
  "no_auth",
  "no_mandatory_keys",
  "no_async_loading",
  "no_multi",
  "movablekeys",
  "allow_busy",
];

/** Redis's ACL categories in bit order (ACLCommandCategories). */
const ACL_CATEGORIES = [
  "keyspace",
  "read",
  "write",
  "set",
  "sortedset",
  "list",
  "hash",
  "string",
  "bitmap",
  "hyperloglog",
  "geo",
  "stream",
  "pubsub",
  "admin",
  "fast",
  "slow",
  "blocking",
  "dangerous",
  "connection",
  "transaction",
  "scripting",
];

/** The printed flags of a command: its own, plus movablekeys when Redis derives it from the key specs. */
function commandFlags(cmd: CommandSpec): string[] {
  const redisFlags = elements(DOCS[cmd.name]?.info[2]).map(statusText);
  return PRINTED_FLAGS.filter((f) =>
    cmd.flags.includes(f) || (f === "movablekeys" && redisFlags.includes(f))
  );
}

/** ACL categories with Redis's implicit ones (setImplicitACLCategories), in bit order. */
export function aclCategories(cmd: CommandSpec): string[] {
  const cats = new Set(cmd.acl ?? []);
  const flags = cmd.flags;
  if (flags.includes("write")) cats.add("write");
  if (flags.includes("readonly") && !cats.has("scripting")) cats.add("read");
  if (flags.includes("admin")) {
    cats.add("admin");
    cats.add("dangerous");
  }
  if (flags.includes("pubsub")) cats.add("pubsub");
  if (flags.includes("fast")) cats.add("fast");
  if (flags.includes("blocking")) cats.add("blocking");
  if (!cats.has("fast")) cats.add("slow");
  return ACL_CATEGORIES.filter((c) => cats.has(c));
}

/** One key spec, parsed from the typed data. */
interface KeySpec {
  flags: string[];
  begin:
    | { type: "index"; index: number }
    | { type: "keyword"; keyword: string; startfrom: number }
    | {
      type: "unknown";
    };
  find:
    | { type: "range"; lastkey: number; keystep: number; limit: number }
    | { type: "keynum"; keynumidx: number; firstkey: number; keystep: number }
    | { type: "unknown" };
}

function parseKeySpec(raw: TypedReply): KeySpec {
  const flags = elements(field(raw, "flags")).map(statusText);
  const bs = field(raw, "begin_search");
  const bsSpec = field(bs!, "spec");
  const fk = field(raw, "find_keys");
  const fkSpec = field(fk!, "spec");
  const num = (m: TypedReply | undefined, key: string) => Number(field(m!, key) ?? 0);
  let begin: KeySpec["begin"];
  switch (field(bs!, "type")) {
    case "index":
      begin = { type: "index", index: num(bsSpec, "index") };
      break;
    case "keyword":
      begin = {
        type: "keyword",
        keyword: String(field(bsSpec!, "keyword")),
        startfrom: num(bsSpec, "startfrom"),
      };
      break;
    default:
      begin = { type: "unknown" };
  }
  let find: KeySpec["find"];
  switch (field(fk!, "type")) {
    case "range":
      find = {
        type: "range",
        lastkey: num(fkSpec, "lastkey"),
        keystep: num(fkSpec, "keystep"),
        limit: num(fkSpec, "limit"),
      };
      break;
    case "keynum":
      find = {
        type: "keynum",
        keynumidx: num(fkSpec, "keynumidx"),
        firstkey: num(fkSpec, "firstkey"),
        keystep: num(fkSpec, "keystep"),
      };
      break;
    default:
      find = { type: "unknown" };
  }
  return { flags, begin, find };
}

/** A command's key specs as typed data: Redis's, or one built from the table's first/last/step. */
function typedKeySpecs(cmd: CommandSpec): TypedReply {
  const redis = DOCS[cmd.name]?.info[8];
  if (redis !== undefined) return redis;
  const [first, last, step] = cmd.keys;
  if (first <= 0) return { "~": [] };
  return {
    "~": [{
      "%": [
        "flags",
        { "~": [] },
        "begin_search",
        { "%": ["type", "index", "spec", { "%": ["index", first] }] },
        "find_keys",
        {
          "%": [
            "type",
            "range",
            "spec",
            { "%": ["lastkey", last < 0 ? last : last - first, "keystep", step, "limit", 0] },
          ],
        },
      ],
    }],
  };
}

const keySpecCache = new Map<string, KeySpec[]>();

function keySpecs(cmd: CommandSpec): KeySpec[] {
  let specs = keySpecCache.get(cmd.name);
  if (specs === undefined) {
    specs = elements(typedKeySpecs(cmd)).map(parseKeySpec);
    keySpecCache.set(cmd.name, specs);
  }
  return specs;
}

/** A key found in a command's arguments, with its key-spec flags. */
export interface KeyReference {
  pos: number;
  flags: readonly string[];
}

/** Redis's getKeysUsingKeySpecs; undefined when a spec does not fit the arguments. */
function keysUsingSpecs(cmd: CommandSpec, argv: string[]): KeyReference[] | undefined {
  const argc = argv.length;
  const keys: KeyReference[] = [];
  for (const spec of keySpecs(cmd)) {
    if (spec.flags.includes("not_key")) continue;
    let first = 0;
    if (spec.begin.type === "index") {
      first = spec.begin.index;
    } else if (spec.begin.type === "keyword") {
      const { keyword, startfrom } = spec.begin;
      const start = startfrom > 0 ? startfrom : argc + startfrom;
      const end = startfrom > 0 ? argc - 1 : 0;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (argv[i].toLowerCase() === keyword.toLowerCase()) {
          first = i + 1;
          break;
        }
      }
      if (!first) continue;
    } else {
      return undefined;
    }
    let last: number;
    let step: number;
    const find = spec.find;
    if (find.type === "range") {
      step = find.keystep;
      if (find.lastkey >= 0) last = first + find.lastkey;
      else if (!find.limit) last = argc + find.lastkey;
      else last = first + (Math.trunc((argc - first) / find.limit) + find.lastkey);
    } else if (find.type === "keynum") {
      step = find.keystep;
      if (first + find.keynumidx >= argc) return undefined;
      const numkeys = parseInt64(argv[first + find.keynumidx]);
      if (numkeys === undefined || numkeys < 0n) return undefined;
      first += find.firstkey;
      last = first + Number(numkeys) - 1;
    } else {
      return undefined;
    }
    if (last >= argc || last < first || first >= argc) return undefined;
    for (let i = first; i <= last; i += step) keys.push({ pos: i, flags: spec.flags });
    if (spec.flags.includes("incomplete")) return undefined;
  }
  return keys;
}

const RW_ACCESS_UPDATE = ["RW", "access", "update"];
const RO_ACCESS = ["RO", "access"];
const OW_UPDATE = ["OW", "update"];

/** Redis's native getkeys procs, for the commands whose key specs cannot say it all. */
const NATIVE_GETKEYS: Record<string, (argv: string[]) => KeyReference[]> = {
  set(argv) {
    for (let i = 3; i < argv.length; i++) {
      if (argv[i].toLowerCase() === "get") return [{ pos: 1, flags: RW_ACCESS_UPDATE }];
    }
    return [{ pos: 1, flags: OW_UPDATE }];
  },
  bitfield(argv) {
    let readonly = true;
    for (let i = 2; i < argv.length; i++) {
      const remaining = argv.length - i - 1;
      const arg = argv[i].toLowerCase();
      if (arg === "get" && remaining >= 2) {
        i += 2;
      } else if ((arg === "set" || arg === "incrby") && remaining >= 3) {
        readonly = false;
        break;
      } else if (arg === "overflow" && remaining >= 1) {
        i += 1;
      } else {
        readonly = false;
        break;
      }
    }
    return [{ pos: 1, flags: readonly ? RO_ACCESS : RW_ACCESS_UPDATE }];
  },
  sort(argv) {
    const keys: KeyReference[] = [{ pos: 1, flags: RO_ACCESS }];
    let store: KeyReference | undefined;
    const skip: Record<string, number> = { limit: 2, get: 1, by: 1 };
    for (let i = 2; i < argv.length; i++) {
      const arg = argv[i].toLowerCase();
      if (arg in skip) i += skip[arg];
      else if (arg === "store" && i + 1 < argv.length) store = { pos: i + 1, flags: OW_UPDATE };
    }
    if (store) keys.push(store);
    return keys;
  },
  sort_ro() {
    return [{ pos: 1, flags: RO_ACCESS }];
  },
  migrate(argv) {
    let first = 3;
    let num = 1;
    const skip: Record<string, number> = { copy: 0, replace: 0, auth: 1, auth2: 2 };
    if (argv.length > 6) {
      for (let i = 6; i < argv.length; i++) {
        const arg = argv[i].toLowerCase();
        if (arg === "keys") {
          if (argv[3].length > 0) return [];
          first = i + 1;
          num = argv.length - first;
          break;
        }
        if (arg in skip) i += skip[arg];
      }
    }
    const flags = ["RW", "access", "delete"];
    return Array.from({ length: num }, (_, i) => ({ pos: first + i, flags }));
  },
};

/** Whether a command takes keys (Redis's doesCommandHaveKeys). */
function hasKeys(cmd: CommandSpec): boolean {
  return cmd.name in NATIVE_GETKEYS || keySpecs(cmd).some((s) => !s.flags.includes("not_key"));
}

/**
 * The keys of a full command line (Redis's getKeysFromCommandWithSpecs): key
 * specs when they are complete and their flags fixed, else the native proc.
 */
export function commandKeys(cmd: CommandSpec, argv: string[]): KeyReference[] {
  const specs = keySpecs(cmd);
  const hasKeyspec = specs.some((s) => !s.flags.includes("not_key"));
  const variableFlags = specs.some((s) => s.flags.includes("variable_flags"));
  if (hasKeyspec && !variableFlags) {
    const keys = keysUsingSpecs(cmd, argv);
    if (keys !== undefined) return keys;
  }
  return NATIVE_GETKEYS[cmd.name]?.(argv) ?? [];
}

// ---------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------

/** COMMAND INFO's entry for one command (Redis's addReplyCommandInfo). */
function replyCommandInfo(reply: ReplyWriter, cmd: CommandSpec): void {
  const [first, last, step] = cmd.keys;
  const tips = DOCS[cmd.name]?.info[7] ?? { "~": [] };
  reply.array(10);
  reply.bulk(cmd.name);
  reply.int(cmd.arity);
  const flags = commandFlags(cmd);
  reply.set(flags.length);
  for (const f of flags) reply.simple(f);
  reply.int(first);
  reply.int(last);
  reply.int(step);
  const cats = aclCategories(cmd);
  reply.set(cats.length);
  for (const c of cats) reply.simple("@" + c);
  writeTyped(reply, tips);
  writeTyped(reply, typedKeySpecs(cmd));
  const subs = cmd.subcommands ?? [];
  if (subs.length === 0) {
    reply.set(0);
  } else {
    reply.array(subs.length);
    for (const sub of subs) replyCommandInfo(reply, sub);
  }
}

/** COMMAND DOCS's map for one command (Redis's addReplyCommandDocs). */
function replyCommandDocs(reply: ReplyWriter, cmd: CommandSpec): void {
  const docs = DOCS[cmd.name]?.docs;
  const items = docs !== null && typeof docs === "object" && "%" in docs
    ? docs["%"]
    : ["group", "server"];
  const subs = cmd.subcommands ?? [];
  reply.map(items.length / 2 + (subs.length > 0 ? 1 : 0));
  for (const item of items) writeTyped(reply, item);
  if (subs.length > 0) {
    reply.bulk("subcommands");
    reply.map(subs.length);
    for (const sub of subs) {
      reply.bulk(sub.name);
      replyCommandDocs(reply, sub);
    }
  }
}

/** Finds "name" or "container|sub" (Redis's lookupCommandBySds). */
function lookupByFullName(name: string): CommandSpec | undefined {
  const bar = name.indexOf("|");
  if (bar === -1) return lookupCommand(name);
  const container = lookupCommand(name.slice(0, bar));
  if (container?.subcommands === undefined) return undefined;
  const rest = name.slice(bar + 1);
  if (rest.includes("|")) return undefined;
  return lookupSubcommand(container, rest);
}

/** Resolves a command line the way the dispatcher would (Redis's lookupCommand on argv). */
function lookupCommandLine(argv: string[]): CommandSpec | undefined {
  const base = lookupCommand(argv[0]);
  if (base === undefined || argv.length === 1 || base.subcommands === undefined) return base;
  return lookupSubcommand(base, argv[1]);
}

/** Full names of a command and its subcommands that pass `keep`, parents first. */
function listNames(cmds: readonly CommandSpec[], keep: (c: CommandSpec) => boolean): string[] {
  const out: string[] = [];
  for (const cmd of cmds) {
    if (keep(cmd)) out.push(cmd.name);
    if (cmd.subcommands) out.push(...listNames(cmd.subcommands, keep));
  }
  return out;
}

function commandList(ctx: CommandContext, argv: string[]): void {
  let keep: (c: CommandSpec) => boolean = () => true;
  for (let i = 2; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    if (argv[i].toLowerCase() !== "filterby" || more !== 2) fail(SYNTAX_ERROR);
    const type = argv[i + 1].toLowerCase();
    const arg = argv[i + 2];
    if (type === "module") {
      keep = () => false; // no modules are loaded
    } else if (type === "aclcat") {
      const cat = arg.toLowerCase();
      keep = ACL_CATEGORIES.includes(cat) ? (c) => aclCategories(c).includes(cat) : () => false;
    } else if (type === "pattern") {
      keep = (c) => globMatch(arg, c.name, true);
    } else {
      fail(SYNTAX_ERROR);
    }
    i += 2;
  }
  ctx.reply.bulkArray(listNames(allCommands(), keep));
}

function getKeys(ctx: CommandContext, argv: string[], withFlags: boolean): void {
  const line = argv.slice(2);
  const cmd = lookupCommandLine(line);
  if (cmd === undefined) fail("ERR Invalid command specified");
  if (!hasKeys(cmd)) fail("ERR The command has no key arguments");
  if ((cmd.arity > 0 && cmd.arity !== line.length) || line.length < -cmd.arity) {
    fail("ERR Invalid number of arguments specified for command");
  }
  const keys = commandKeys(cmd, line);
  if (keys.length === 0) {
    if (cmd.flags.includes("no_mandatory_keys")) {
      ctx.reply.array(0);
      return;
    }
    fail("ERR Invalid arguments specified for command");
  }
  ctx.reply.array(keys.length);
  for (const key of keys) {
    if (!withFlags) {
      ctx.reply.bulk(line[key.pos]);
      continue;
    }
    ctx.reply.array(2);
    ctx.reply.bulk(line[key.pos]);
    ctx.reply.set(key.flags.length);
    for (const f of key.flags) ctx.reply.simple(f);
  }
}

const COMMAND_HELP = [
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
];

function commandSub(
  sub: string,
  arity: number,
  run: (ctx: CommandContext, argv: string[]) => void,
): CommandSpec {
  return {
    name: `command|${sub}`,
    arity,
    flags: ["loading", "stale"],
    keys: [0, 0, 0],
    acl: ["slow", "connection"],
    run,
  };
}

/**
 * COMMAND — without a subcommand, every command's info. It is a container
 * that also runs by itself, so the dispatcher must not require a subcommand
 * when argv has one element (see the report to the lead).
 */
export const command: CommandSpec = {
  name: "command",
  arity: -1,
  flags: ["loading", "stale"],
  keys: [0, 0, 0],
  acl: ["slow", "connection"],
  run(ctx) {
    const cmds = allCommands();
    ctx.reply.array(cmds.length);
    for (const cmd of cmds) replyCommandInfo(ctx.reply, cmd);
  },
  subcommands: [
    commandSub("count", 2, (ctx) => ctx.reply.int(allCommands().length)),
    commandSub("list", -2, commandList),
    commandSub("info", -2, (ctx, argv) => {
      if (argv.length === 2) {
        const cmds = allCommands();
        ctx.reply.array(cmds.length);
        for (const cmd of cmds) replyCommandInfo(ctx.reply, cmd);
        return;
      }
      ctx.reply.array(argv.length - 2);
      for (let i = 2; i < argv.length; i++) {
        const cmd = lookupByFullName(argv[i]);
        if (cmd === undefined) ctx.reply.nil();
        else replyCommandInfo(ctx.reply, cmd);
      }
    }),
    commandSub("docs", -2, (ctx, argv) => {
      const cmds = argv.length === 2
        ? allCommands()
        : argv.slice(2).map(lookupByFullName).filter((c): c is CommandSpec => c !== undefined);
      ctx.reply.map(cmds.length);
      for (const cmd of cmds) {
        ctx.reply.bulk(cmd.name);
        replyCommandDocs(ctx.reply, cmd);
      }
    }),
    commandSub("getkeys", -4, (ctx, argv) => getKeys(ctx, argv, false)),
    commandSub("getkeysandflags", -4, (ctx, argv) => getKeys(ctx, argv, true)),
    commandSub("help", 2, (ctx, argv) => replyHelp(ctx, argv, COMMAND_HELP)),
  ],
};
