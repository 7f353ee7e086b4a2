/**
 * Section "floor": how much of the PING gap to Redis is the runtime's own
 * I/O. Runs redis-benchmark PING_MBULK at -P 1 and -P 16 against Redis 7.0,
 * Redeno, and `ping_floor_server.ts` — a Deno server that only counts PINGs
 * and writes PONGs with Redeno's I/O pattern — alternating over rounds, with
 * server CPU per request. What the floor server cannot reach, no Deno server
 * written this way can.
 */
import { medianOfFinite } from "./side_by_side.ts";
import {
  type BenchOptions,
  fmtInt,
  fmtRatio,
  fmtUs,
  freePort,
  IMPL_NAME,
  markdownTable,
  newTempDir,
  progress,
  redisBenchmark,
  REPO_ROOT,
  ServerHandle,
  startServer,
} from "./util.ts";

/** A running floor server, measured like the real servers. */
async function startFloorServer(): Promise<ServerHandle> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${REPO_ROOT}scripts/bench/ping_floor_server.ts`, String(port)],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Labelled "redeno" only for the shared plumbing; the table names it.
  const server = new ServerHandle("redeno", port, await newTempDir("floor"), child, 0);
  await server.waitReady();
  return server;
}

/** Runs the floor section and returns its Markdown. */
export async function runFloor(opts: BenchOptions): Promise<string> {
  progress("floor: starting Redis 7.0, Redeno and the Deno I/O floor server");
  const names = ["Redis 7.0", "Redeno", "Deno I/O floor"];
  const servers: ServerHandle[] = [];
  const rows: string[][] = [];
  try {
    servers.push(await startServer("redis"), await startServer("redeno"), await startFloorServer());
    for (const pipeline of [1, 16]) {
      const requests = Math.round((pipeline === 1 ? 200_000 : 1_500_000) / (opts.quick ? 10 : 1));
      const rps: number[][] = servers.map(() => []);
      const cpu: number[][] = servers.map(() => []);
      for (let round = 0; round < opts.rounds; round++) {
        progress(`floor: -P ${pipeline} round ${round + 1}/${opts.rounds}`);
        const order = round % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
        for (const i of order) {
          const r = await redisBenchmark(servers[i], {
            test: "ping_mbulk",
            clients: 50,
            pipeline,
            requests,
          });
          rps[i].push(r.rps);
          cpu[i].push(r.cpuPerRequest);
        }
      }
      const medRps = rps.map(medianOfFinite);
      const medCpu = cpu.map(medianOfFinite);
      servers.forEach((_, i) => {
        rows.push([
          `PING_MBULK -P ${pipeline}`,
          names[i],
          fmtInt(medRps[i]),
          fmtRatio(medRps[i] / medRps[0]),
          fmtUs(medCpu[i]),
          fmtRatio(medCpu[i] / medCpu[0]),
        ]);
      });
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  return [
    `### floor — PING_MBULK, -c 50: ${IMPL_NAME.redis}, Redeno and a Deno server that does nothing but I/O`,
    "",
    markdownTable(
      ["test", "server", "req/s", "vs Redis", "CPU/request", "vs Redis"],
      rows,
    ),
    "",
    "The floor server (scripts/bench/ping_floor_server.ts) reads into one buffer, counts " +
    "request lines and writes one +PONG per PING in one write per read: no parsing, " +
    `dispatch or stats. Medians of ${opts.rounds} alternating rounds.`,
  ].join("\n");
}
