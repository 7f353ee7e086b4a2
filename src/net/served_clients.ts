/**
 * How many clients were served, each counted at most once between two marks.
 *
 * A snapshot's walk paces itself by how many clients wait for the thread
 * between its slices (src/persistence/snapshot.ts). Commands processed would
 * be the wrong count: a lone client doing one request at a time makes many
 * round trips while the walk rests, and the more it makes, the longer the
 * walk would rest for it: under a 1-client PING probe a BGSAVE of 1M mixed
 * keys took 1.57–2.05 s, against 0.92–1.19 s quiet. Counted once per
 * period (1.21–1.32 s under the probe), such a client asks for no rest,
 * while fifty clients that each send one request per reply count the same
 * as their commands.
 */

/** What a counted client carries: the period it was last counted in. */
export interface ServedClient {
  servedPeriod: number;
}

export class ServedClients {
  /** Clients counted so far (each at most once per period). */
  count = 0;
  #period = 1;

  /** Counts `client` unless it was counted in this period already. */
  served(client: ServedClient): void {
    if (client.servedPeriod === this.#period) return;
    client.servedPeriod = this.#period;
    this.count++;
  }

  /** Starts a new period: every client counts once more. */
  mark(): void {
    this.#period++;
  }
}
