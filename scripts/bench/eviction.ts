/**
 * Section "eviction" (issue 5's "evictions as DEL"): redis-benchmark SET and
 * GET over a keyspace far larger than `maxmemory 32mb` with allkeys-lru, so
 * nearly every SET evicts, next to the same runs with maxmemory off; then
 * each server's DBSIZE, evicted_keys and RSS.
 */
import { alternate, type BenchCase, casesTable, summarize } from "./side_by_side.ts";
import { RespClient } from "./resp_client.ts";
import {
  type BenchOptions,
  fmtInt,
  fmtMiB,
  fmtRatio,
  type Impl,
  IMPLS,
  markdownTable,
  progress,
  rssBytes,
  type ServerHandle,
  startServer,
} from "./util.ts";

const LIMITED = ["--maxmemory", "32mb", "--maxmemory-policy", "allkeys-lru"];

function cases(quick: boolean): BenchCase[] {
  const list: BenchCase[] = [];
  for (const pipeline of [1, 16]) {
    const requests = Math.round((pipeline === 1 ? 200_000 : 1_000_000) / (quick ? 10 : 1));
    for (const test of ["set", "get"]) {
      list.push({
        label: `${test.toUpperCase()} -r 1M -d 100`,
        spec: { test, clients: 50, pipeline, requests, keyspace: 1_000_000, dataSize: 100 },
      });
    }
  }
  return list;
}

interface After {
  keys: number;
  evicted: number;
  rss: number;
}

async function after(server: ServerHandle): Promise<After> {
  const client = await RespClient.connect(server.port);
  try {
    const keys = Number(await client.command("DBSIZE"));
    const stats = String(await client.command("INFO", "stats"));
    const evicted = Number(/evicted_keys:(\d+)/.exec(stats)?.[1] ?? NaN);
    return { keys, evicted, rss: rssBytes(server.pid) };
  } finally {
    client.close();
  }
}

async function run(
  extraArgs: string[],
  opts: BenchOptions,
  what: string,
): Promise<{ table: string; after: Record<Impl, After>; ratios: number[] }> {
  progress(`eviction: ${what}`);
  const servers = {} as Record<Impl, ServerHandle>;
  try {
    for (const impl of IMPLS) servers[impl] = await startServer(impl, { extraArgs });
    const results = await alternate(servers, cases(opts.quick), opts.rounds);
    const state = {} as Record<Impl, After>;
    for (const impl of IMPLS) state[impl] = await after(servers[impl]);
    return {
      table: casesTable(results),
      after: state,
      ratios: results.map((r) => summarize(r).ratio),
    };
  } finally {
    for (const impl of IMPLS) await servers[impl]?.stop();
  }
}

/** Runs the eviction section and returns its Markdown. */
export async function runEviction(opts: BenchOptions): Promise<string> {
  const limited = await run(LIMITED, opts, "maxmemory 32mb allkeys-lru");
  const unlimited = await run([], opts, "maxmemory off");
  const row = (label: string, f: (a: After) => string) => [
    label,
    f(limited.after.redis),
    f(limited.after.redeno),
  ];
  return [
    `### eviction — maxmemory 32mb allkeys-lru, redis-benchmark -c 50, ${opts.rounds} round(s), medians`,
    "",
    limited.table,
    "",
    markdownTable(["after the runs", "Redis 7.0", "Redeno"], [
      row("keys (DBSIZE)", (a) => fmtInt(a.keys)),
      row("evicted_keys", (a) => fmtInt(a.evicted)),
      row("RSS", (a) => fmtMiB(a.rss)),
    ]),
    "",
    "Same runs with maxmemory off:",
    "",
    unlimited.table,
    "",
    markdownTable(
      [
        "Redeno/Redis throughput",
        ...cases(opts.quick).map((c) => `${c.label} -P ${c.spec.pipeline}`),
      ],
      [
        ["maxmemory 32mb", ...limited.ratios.map(fmtRatio)],
        ["maxmemory off", ...unlimited.ratios.map(fmtRatio)],
      ],
    ),
  ].join("\n");
}
