/**
 * Moves V8's young-generation collection to a moment when nobody waits.
 *
 * After a burst of writes (a bulk load, a restore, a full sync) the young
 * generation still holds the burst's last values. V8 copies them out, about
 * a millisecond per MB, at the next scavenge, and the next allocation
 * triggers it: typically the first client request after the burst. After a
 * load of a million keys that request waited 15-20 ms, twice (survivors are
 * copied once, then promoted). Once the server has been quiet for a while,
 * this allocates short-lived garbage until two scavenges have run, so those
 * copies happen while no client is waiting.
 */
import { getHeapSpaceStatistics } from "node:v8";

/** Cron ticks without client work or allocation before the young generation is emptied. */
export const QUIET_TICKS = 2;
/**
 * Young-generation growth per tick that still counts as quiet. Work without
 * commands allocates too (a snapshot's walk, a replica loading its sync):
 * provoking scavenges then would copy its live objects once more for
 * nothing.
 */
export const QUIET_ALLOCATION_BYTES = 256 * 1024;
/** Commands per tick that still count as quiet (a monitoring probe, a replica's ping). */
export const QUIET_COMMANDS_PER_TICK = 10;
/** Young-generation bytes in use worth emptying: below this a scavenge costs well under a millisecond. */
export const SCAVENGE_WORTH_BYTES = 4 * 1024 * 1024;
/** Scavenges to provoke: the first copies the survivors, the second promotes them. */
const SCAVENGES = 2;
/** Garbage allocated per check of the young generation (about 256 KB). */
const OBJECTS_PER_CHECK = 1024;
/** Slots of one garbage array: about 256 bytes with V8's compressed pointers. */
const SLOTS_PER_OBJECT = 62;
const BYTES_PER_OBJECT = 256;

/** Short-lived arrays land here, so the compiler cannot drop them. */
const sink: unknown[] = new Array(OBJECTS_PER_CHECK);

/** V8's young generation: bytes in use and its current capacity. */
export function youngSpace(): { used: number; capacity: number } {
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === "new_space") {
      return { used: space.space_used_size, capacity: space.space_size };
    }
  }
  return { used: 0, capacity: 0 };
}

/**
 * Allocates garbage until `SCAVENGES` scavenges have run (seen as the young
 * generation's use dropping), at most a few times its capacity. Returns
 * the scavenges seen.
 */
export function provokeScavenges(): number {
  const start = youngSpace();
  const budget = 4 * SCAVENGES * Math.max(start.capacity, 1 << 20);
  let allocated = 0;
  let seen = 0;
  let used = start.used;
  while (seen < SCAVENGES && allocated < budget) {
    for (let i = 0; i < OBJECTS_PER_CHECK; i++) sink[i] = new Array(SLOTS_PER_OBJECT);
    allocated += OBJECTS_PER_CHECK * BYTES_PER_OBJECT;
    const now = youngSpace().used;
    if (now < used) seen++;
    used = now;
  }
  sink.fill(undefined);
  return seen;
}

/** Decides, once per cron tick, whether the server is quiet enough to empty the young generation. */
export class IdleScavenger {
  #lastCommands = 0;
  #lastYoung = 0;
  #quietTicks = 0;
  /**
   * Set when provoking did not empty the young generation (a collector
   * configured otherwise, say): trying again every quiet tick would only
   * burn the CPU of an idle server.
   */
  #gaveUp = false;

  /** `commands`: the server's total of commands processed so far. */
  tick(commands: number): void {
    if (this.#gaveUp) return;
    const served = commands - this.#lastCommands;
    this.#lastCommands = commands;
    const young = youngSpace().used;
    // A drop is a scavenge that just ran: its survivors are fresh, and the tick is not quiet.
    const grew = young - this.#lastYoung;
    this.#lastYoung = young;
    if (served > QUIET_COMMANDS_PER_TICK || grew < 0 || grew > QUIET_ALLOCATION_BYTES) {
      this.#quietTicks = 0;
      return;
    }
    if (++this.#quietTicks < QUIET_TICKS || young < SCAVENGE_WORTH_BYTES) return;
    const seen = provokeScavenges();
    this.#lastYoung = youngSpace().used;
    this.#quietTicks = 0;
    this.#gaveUp = seen < SCAVENGES || this.#lastYoung >= SCAVENGE_WORTH_BYTES;
  }
}
