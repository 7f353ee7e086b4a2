/**
 * FAILOVER: a coordinated hand-over from this master to one of its replicas
 * (Redis 7.0's failoverCommand / updateFailoverStatus / abortFailover).
 *
 *   no-failover → FAILOVER → waiting-for-sync: writes are paused, and the
 *   first replica (or the one named by TO) whose ACK reaches our offset is the
 *   target → failover-in-progress: we become its replica and send it
 *   `PSYNC <replid> <offset> FAILOVER`, which makes it a master → its
 *   +CONTINUE or +FULLRESYNC ends the failover and the pause.
 *
 * A TIMEOUT aborts the wait (or, with FORCE, fails over anyway); FAILOVER
 * ABORT and a refused PSYNC go back to being the master.
 */
import type { Server } from "../server.ts";
import type { Replication } from "./mod.ts";
import type { ReplicaConn } from "./primary.ts";
import { log } from "../log.ts";
import { setFailoverPause } from "../commands/connection.ts";

/** INFO's master_failover_state. */
export type FailoverState = "no-failover" | "waiting-for-sync" | "failover-in-progress";

/** What FAILOVER asked for. */
export interface FailoverRequest {
  host?: string;
  port?: number;
  timeoutMs: number;
  force: boolean;
}

export class Failover {
  state: FailoverState = "no-failover";
  #server: Server;
  #repl: Replication;
  #host: string | undefined;
  #port = 0;
  /** When waiting-for-sync gives up (0: never). */
  #endMs = 0;
  #force = false;

  constructor(server: Server, repl: Replication) {
    this.#server = server;
    this.#repl = repl;
  }

  /**
   * Starts a failover; returns Redis's error text when it cannot (checked in
   * Redis's order), undefined when it started.
   */
  start(req: FailoverRequest): string | undefined {
    const repl = this.#repl;
    if (this.state !== "no-failover") return "ERR FAILOVER already in progress.";
    if (repl.isReplica) return "ERR FAILOVER is not valid when server is a replica.";
    if (repl.primary.replicas.size === 0) return "ERR FAILOVER requires connected replicas.";
    if (req.force && (req.timeoutMs === 0 || req.host === undefined)) {
      return "ERR FAILOVER with force option requires both a timeout and target HOST and IP.";
    }
    if (req.host !== undefined) {
      const target = this.#find(req.host, req.port!);
      if (target === undefined) return "ERR FAILOVER target HOST and PORT is not a replica.";
      if (target.state !== "online") return "ERR FAILOVER target replica is not online.";
      this.#host = req.host;
      this.#port = req.port!;
      log.notice(`FAILOVER requested to ${req.host}:${req.port}.`);
    } else {
      log.notice("FAILOVER requested to any replica.");
    }
    this.#endMs = req.timeoutMs > 0 ? Date.now() + req.timeoutMs : 0;
    this.#force = req.force;
    this.state = "waiting-for-sync";
    setFailoverPause(this.#server, true);
    // A replica already in sync is taken right after this command.
    this.checkSoon();
    return undefined;
  }

  /**
   * Checks once the current command is done, as Redis's beforeSleep does
   * (after FAILOVER, after an ACK): a hand-over drops our replicas' links.
   */
  checkSoon(): void {
    if (this.state === "waiting-for-sync") setTimeout(() => this.check(Date.now()), 0);
  }

  /** True while our PSYNC must carry FAILOVER (we are demoted, the target is not promoted yet). */
  get handingOver(): boolean {
    return this.state === "failover-in-progress";
  }

  /**
   * Redis's updateFailoverStatus: gives up or forces at the deadline, else
   * fails over to a replica that acknowledged everything we have.
   */
  check(nowMs: number): void {
    if (this.state !== "waiting-for-sync") return;
    if (this.#endMs !== 0 && this.#endMs <= nowMs) {
      if (this.#force) {
        log.notice(
          `FAILOVER to ${this.#host}:${this.#port} time out exceeded, failing over.`,
        );
        this.#handOver();
      } else {
        this.abort("Replica never caught up before timeout");
      }
      return;
    }
    const offset = this.#repl.offset;
    let target: ReplicaConn | undefined;
    if (this.#host !== undefined) {
      target = this.#find(this.#host, this.#port);
    } else {
      target = [...this.#repl.primary.replicas].find((c) =>
        c.state === "online" && !c.rdbOnly && c.ackOffset === offset
      );
      if (target !== undefined) {
        this.#host = target.ip;
        this.#port = target.listeningPort;
      }
    }
    if (target === undefined || target.ackOffset !== offset) return;
    log.notice(`Failover target ${this.#host}:${this.#port} is synced, failing over.`);
    this.#handOver();
  }

  /** Our PSYNC to the target was answered: accepted ends the failover, refused aborts it. */
  psyncAnswered(accepted: boolean): void {
    if (!this.handingOver) return;
    if (accepted) this.#clear();
    else this.abort("Failover target rejected psync request");
  }

  /** Redis's abortFailover: logs why; a demoted master becomes the master again. */
  abort(reason: string): void {
    if (this.state === "no-failover") return;
    log.notice(
      this.#host !== undefined
        ? `FAILOVER to ${this.#host}:${this.#port} aborted: ${reason}`
        : `FAILOVER to any replica aborted: ${reason}`,
    );
    if (this.handingOver) this.#repl.becomeMaster();
    this.#clear();
  }

  #handOver(): void {
    this.state = "failover-in-progress";
    this.#repl.becomeReplicaOf(this.#host!, this.#port);
  }

  #clear(): void {
    this.state = "no-failover";
    this.#host = undefined;
    this.#port = 0;
    this.#endMs = 0;
    this.#force = false;
    setFailoverPause(this.#server, false);
  }

  /** Redis's findReplica: the replica announced (or connected) at host:port. */
  #find(host: string, port: number): ReplicaConn | undefined {
    for (const conn of this.#repl.primary.replicas) {
      if (conn.ip.toLowerCase() === host.toLowerCase() && conn.listeningPort === port) return conn;
    }
    return undefined;
  }
}
