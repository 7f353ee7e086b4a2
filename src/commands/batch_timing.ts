/**
 * Timing of fast commands in a pipelined batch.
 *
 * Reading the clock costs about as much as running a GET (~0.1 µs alone,
 * ~0.4 µs a call inside the server: a third of a pipelined SET's cost), and
 * Redis reads it twice per call. Within one batch of a client's input, fast
 * commands (Redis's @fast: O(1) or O(log N), plus the SET family, see
 * CommandMeta.sharedTiming) therefore share one reading: they are timed as
 * one stretch when the batch ends or another command begins, and each is
 * credited an equal share of it (commandstats usec, latency histograms, the
 * slow log and the latency monitor). Other commands keep their own readings.
 */
import type { CommandSpec } from "./types.ts";
import type { Client } from "../net/client.ts";

/** Called for each settled command with its share of the stretch, in microseconds. */
export type TimingSink = (client: Client, cmd: CommandSpec, argv: string[], micros: number) => void;

/** Fast calls of the current batch whose timing waits for the next clock reading. */
export class UntimedCalls {
  #clients: Array<Client | undefined> = [];
  #specs: CommandSpec[] = [];
  #argvs: Array<string[] | undefined> = [];
  #count = 0;
  /** performance.now() when the first of them started. */
  #since = 0;

  get count(): number {
    return this.#count;
  }

  add(client: Client, cmd: CommandSpec, argv: string[], start: number): void {
    const i = this.#count++;
    if (i === 0) this.#since = start;
    this.#clients[i] = client;
    this.#specs[i] = cmd;
    this.#argvs[i] = argv;
  }

  /** Times every pending call as an equal share of the stretch that ends at `now`, and forgets them. */
  settle(now: number, sink: TimingSink): void {
    const n = this.#count;
    if (n === 0) return;
    this.#count = 0;
    const micros = Math.round(((now - this.#since) * 1000) / n);
    for (let i = 0; i < n; i++) {
      sink(this.#clients[i]!, this.#specs[i], this.#argvs[i]!, micros);
      // Drop the references: a batch's argv must not outlive it.
      this.#argvs[i] = undefined;
      this.#clients[i] = undefined;
    }
  }
}
