/**
 * Background workers (snapshot encoding, RDB loading) run at a lower priority
 * than the thread that serves clients. Linux applies setpriority to the
 * calling thread only, so each worker lowers itself.
 */
import { setPriority } from "node:os";

/**
 * The nice value of a background worker: on a busy machine the clients (and
 * their own processes) win the CPU; on a quiet one the worker still gets a
 * whole core.
 */
export const BACKGROUND_WORKER_NICE = 10;

/** Lowers the calling thread's priority to BACKGROUND_WORKER_NICE (quietly, where not permitted). */
export function lowerThreadPriority(): void {
  try {
    setPriority(0, BACKGROUND_WORKER_NICE);
  } catch {
    // Not permitted here: run at the normal priority.
  }
}
