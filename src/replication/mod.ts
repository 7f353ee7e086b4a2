/**
 * Replication state shared by both roles, and its wiring into the server:
 * the replication ids and offset, the backlog, the stream sink the
 * propagator writes to, the guards (READONLY, MASTERDOWN, NOREPLICAS), the
 * cron, INFO replication and ROLE.
 *
 * Offsets: `offset` is master_repl_offset, the number of stream bytes this
 * server produced (master) or applied (replica). A replica forwards exactly the
 * bytes it applied to its own backlog and sub-replicas, so ids and offsets are
 * the same all down a chain (PSYNC2).
 */
import type { Server } from "../server.ts";
import type { StreamSink } from "../propagator.ts";
import type { Client } from "../net/client.ts";
import { ReplicationBacklog } from "./backlog.ts";
import { Primary } from "./primary.ts";
import { Failover } from "./failover.ts";
import { MasterLink } from "./replica.ts";
import { log } from "../log.ts";
import { randomHex } from "../util/system.ts";
import { NULL_REPLID } from "./constants.ts";
import { commandMeta } from "../commands/types.ts";

export { NULL_REPLID };

/** The server's replication state. */
export class Replication {
  replid = randomHex(40);
  replid2 = NULL_REPLID;
  secondReplOffset = -1;
  /** master_repl_offset. */
  offset = 0;
  backlog: ReplicationBacklog | undefined;
  readonly primary: Primary;
  readonly failover: Failover;
  /** Our link to our master when we are a replica. */
  link: MasterLink | undefined;
  /**
   * Called with each new link to a master, before it starts (the AOF layer
   * adds its afterFullSync hook there: a replica rewrites its AOF after a full sync).
   */
  readonly onLinkCreated: Array<(link: MasterLink) => void> = [];
  #server: Server;
  #sink: StreamSink;
  #secondsTick = 0;
  #lastCronSecond = 0;
  /** When the backlog last had no replica (repl-backlog-ttl). */
  #noReplicasSince = Date.now();

  constructor(server: Server) {
    this.#server = server;
    this.primary = new Primary(server, this);
    this.failover = new Failover(server, this);
    this.#sink = {
      kind: "replication",
      selectedDb: -1,
      // A replica's own writes (replica-read-only no) stay local, as in Redis 7.
      write: (bytes) => {
        if (!this.isReplica) this.feed(bytes);
      },
    };
  }

  get isReplica(): boolean {
    return this.link !== undefined;
  }

  /** True when we are a replica whose link to its master is up. */
  get linkUp(): boolean {
    return this.link?.state === "connected";
  }

  /** Adds bytes to the stream: offset, backlog, replicas. */
  feed(bytes: Uint8Array): void {
    if (this.backlog === undefined) return;
    this.backlog.append(bytes);
    this.offset = this.backlog.masterOffset;
    this.#server.stats.netReplOutputBytes += bytes.length * this.primary.replicas.size;
    this.primary.feed(bytes);
  }

  /** Adds bytes that do not come from the propagator (PING, GETACK) without a SELECT. */
  feedRaw(bytes: Uint8Array): void {
    this.feed(bytes);
  }

  /** Forces a SELECT before the next propagated write (Redis's slaveseldb = -1). */
  resetSelectedDb(): void {
    this.#sink.selectedDb = -1;
  }

  /** A new replid and no replid2 (Redis's changeReplicationId and clearReplicationId2). */
  newHistory(): void {
    this.replid = randomHex(40);
    this.replid2 = NULL_REPLID;
    this.secondReplOffset = -1;
  }

  /**
   * Creates the backlog (Redis's createReplicationBacklog). A master that had
   * no replicas starts a new history: new replid, no replid2.
   */
  createBacklog(newHistory: boolean): void {
    if (newHistory) this.newHistory();
    this.backlog = new ReplicationBacklog(
      this.#server.config.getNumber("repl-backlog-size"),
      this.offset,
    );
    if (!this.#server.propagator.sinks.includes(this.#sink)) {
      this.#server.propagator.addSink(this.#sink);
    }
    this.resetSelectedDb();
    if (newHistory) {
      log.notice(
        `Replication backlog created, my new replication IDs are '${this.replid}' and '${this.replid2}'`,
      );
    }
  }

  /** Redis's shiftReplicationId: a new history that still accepts PSYNCs for the old one. */
  shiftReplicationId(): void {
    this.replid2 = this.replid;
    // A replica asking for the old id can continue up to the bytes we have (+1: the next byte).
    this.secondReplOffset = this.offset + 1;
    this.replid = randomHex(40);
    log.warning(
      `Setting secondary replication ID to ${this.replid2}, valid up to offset: ${this.secondReplOffset}. New replication ID is ${this.replid}`,
    );
  }

  /** Where the stream stands, for a snapshot's aux fields. */
  position(): { id: string; offset: number; streamDb: number; saveInfo: boolean } {
    const streamDb = this.link?.client?.dbIndex ?? Math.max(0, this.#sink.selectedDb);
    return {
      id: this.replid,
      offset: this.offset,
      streamDb,
      saveInfo: this.backlog !== undefined || this.isReplica,
    };
  }

  /**
   * A master restarted from an RDB that holds its replication id and offset
   * continues that history (Redis 7.0): its replicas can PSYNC with +CONTINUE.
   */
  restoreFromRdb(replid: string, offset: number): void {
    this.replid = replid;
    this.offset = offset;
    this.createBacklog(false);
  }

  /** REPLICAOF host port (or the config's replicaof at start-up). */
  becomeReplicaOf(
    host: string,
    port: number,
    opts: { startup?: boolean; cached?: { replid: string; offset: number } } = {},
  ): void {
    const wasMaster = !this.isReplica;
    let cached = opts.cached;
    this.link?.stop();
    // replicationSetMaster sets masterhost before it logs: the line is already an S line.
    log.role = "S";
    if (wasMaster && !opts.startup) {
      log.notice(
        "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
      );
      cached = { replid: this.replid, offset: this.offset };
    } else if (cached === undefined && this.link?.cached) {
      cached = this.link.cached;
    }
    this.link = new MasterLink(this.#server, this, host, port, cached);
    for (const hook of this.onLinkCreated) hook(this.link);
    this.link.start();
  }

  /** REPLICAOF NO ONE: keeps the data, starts a new history that old siblings can continue. */
  becomeMaster(): void {
    if (this.link === undefined) return;
    const link = this.link;
    this.link = undefined;
    log.role = "M";
    // replicationUnsetMaster frees the master client, which caches it
    // (freeClient), then discards the cached master.
    if (link.client !== undefined) {
      log.warning("Connection with master lost.");
      log.notice("Caching the disconnected master state.");
    }
    if (link.client !== undefined || link.hasCachedMaster) {
      log.notice("Discarding previously cached master state.");
    }
    link.stop();
    this.shiftReplicationId();
    if (this.backlog === undefined) this.createBacklog(false);
  }

  /** Called every cron tick; runs the once-a-second replication cron. */
  cron(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second === this.#lastCronSecond) return;
    this.#lastCronSecond = second;
    this.#secondsTick++;
    this.link?.cron(nowMs);
    this.primary.cron(nowMs, this.#secondsTick);
    this.#expireBacklog(nowMs);
  }

  /** repl-backlog-ttl: a master without replicas frees its backlog after a while. */
  #expireBacklog(nowMs: number): void {
    if (this.primary.replicas.size > 0 || this.isReplica) {
      this.#noReplicasSince = nowMs;
      return;
    }
    const ttl = this.#server.config.getNumber("repl-backlog-ttl");
    if (this.backlog !== undefined && ttl > 0 && nowMs - this.#noReplicasSince > ttl * 1000) {
      const seconds = Math.round((nowMs - this.#noReplicasSince) / 1000);
      this.#server.propagator.removeSink(this.#sink);
      this.backlog = undefined;
      // A new history begins next time: clear replid2 so nobody continues the old one.
      this.replid2 = NULL_REPLID;
      this.secondReplOffset = -1;
      log.notice(`Replication backlog freed after ${seconds} seconds without connected replicas.`);
    }
  }

  /** INFO replication, in Redis 7.0's order and format. */
  info(): Array<[string, string | number]> {
    const fields: Array<[string, string | number]> = [];
    const cfg = this.#server.config;
    const link = this.link;
    if (link === undefined) {
      fields.push(["role", "master"]);
    } else {
      fields.push(["role", "slave"], ["master_host", link.host], ["master_port", link.port]);
      fields.push(...link.infoFields());
      fields.push(
        ["slave_priority", cfg.getNumber("replica-priority")],
        ["slave_read_only", cfg.getBool("replica-read-only") ? 1 : 0],
        ["replica_announced", cfg.getBool("replica-announced") ? 1 : 0],
      );
    }
    const replicas = [...this.primary.replicas];
    fields.push(["connected_slaves", replicas.length]);
    const now = Date.now();
    replicas.forEach((conn, i) => {
      fields.push([
        `slave${i}`,
        `ip=${conn.ip},port=${conn.listeningPort},state=${conn.state},offset=${conn.ackOffset},lag=${
          Math.floor((now - conn.ackTime) / 1000)
        }`,
      ]);
    });
    const backlog = this.backlog;
    fields.push(
      ["master_failover_state", this.failover.state],
      ["master_replid", this.replid],
      ["master_replid2", this.replid2],
      ["master_repl_offset", this.offset],
      ["second_repl_offset", this.secondReplOffset],
      ["repl_backlog_active", backlog ? 1 : 0],
      ["repl_backlog_size", cfg.getNumber("repl-backlog-size")],
      ["repl_backlog_first_byte_offset", backlog ? backlog.firstByteOffset : 0],
      ["repl_backlog_histlen", backlog ? backlog.histlen : 0],
    );
    return fields;
  }

  /** ROLE's reply shape, as plain values. */
  roleReply(): Array<string | number | Array<string | number | string[]>> {
    if (this.link === undefined) {
      return [
        "master",
        this.offset,
        [...this.primary.replicas].filter((c) => c.state === "online").map((c) => [
          c.ip,
          String(c.listeningPort),
          String(c.ackOffset),
        ]) as unknown as string[],
      ];
    }
    return [
      "slave",
      this.link.host,
      this.link.port,
      this.link.roleState,
      this.link.connected ? this.offset : -1,
    ];
  }

  /** The replica's applied stream: our own backlog and sub-replicas get it verbatim. */
  proxy(bytes: Uint8Array): void {
    if (this.backlog === undefined) this.createBacklog(false);
    this.feed(bytes);
  }

  /** A client is our master's link (replies discarded, guards skipped). */
  isMasterClient(client: Client): boolean {
    return client.flags.master;
  }
}

/** Installs replication into a server: state, guards, cron, INFO, start-up link. */
export function installReplication(server: Server): Replication {
  const repl = new Replication(server);
  server.replication = repl;
  server.keyspace.isReplica = () => repl.isReplica;
  server.rdb.replicationPosition = () => repl.position();
  server.cronJobs.push((now) => repl.cron(now));
  server.cronJobs.push((now) => repl.failover.check(now));
  server.infoProviders.set("replication", () => repl.info());
  // A live backlog takes the new size at once, keeping its newest bytes.
  server.config.onChange("repl-backlog-size", (v) => repl.backlog?.resize(Number(v)));
  // Before the final save: give replicas up to shutdown-timeout to acknowledge
  // everything, so they can continue with a partial resync after our restart.
  server.shutdownHooks.unshift(async (opts) => {
    if (!opts.now) {
      await repl.primary.waitInSync(server.config.getNumber("shutdown-timeout") * 1000);
    }
    return true;
  });
  server.shutdownHooks.push(() => {
    // Stop following our master first, so its link going down is not logged as a loss.
    repl.link?.stop();
    return Promise.resolve(true);
  });
  server.guards.push((client, cmd) => {
    if (client.flags.master) return undefined;
    const cfg = server.config;
    const isWrite = commandMeta(cmd).write;
    if (repl.isReplica) {
      if (!repl.linkUp && !cfg.getBool("replica-serve-stale-data") && !commandMeta(cmd).stale) {
        return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
      }
      if (isWrite && cfg.getBool("replica-read-only")) {
        return "READONLY You can't write against a read only replica.";
      }
      return undefined;
    }
    const minReplicas = cfg.getNumber("min-replicas-to-write");
    if (isWrite && minReplicas > 0) {
      if (repl.primary.goodReplicas(cfg.getNumber("min-replicas-max-lag")) < minReplicas) {
        return "NOREPLICAS Not enough good replicas to write.";
      }
    }
    return undefined;
  });
  return repl;
}
