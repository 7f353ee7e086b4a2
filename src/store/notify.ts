/**
 * Keyspace notifications (Redis's notify.c). A command that changed a key
 * calls `notifyKeyspaceEvent(server, NOTIFY.LIST, "lpush", key, dbid)`; when
 * `notify-keyspace-events` enables the class, the event is published on
 * `__keyspace@<db>__:<key>` (message: the event) and/or
 * `__keyevent@<db>__:<event>` (message: the key).
 *
 * The store cannot publish (pub/sub lives in the command layer), so the
 * pub/sub layer registers a sink per keyspace (`setKeyspaceEventSink`) the
 * first time anyone subscribes; until then there is nobody to tell and the
 * call returns at once. Callers pass anything holding the keyspace (the
 * server, or `{ keyspace }`), so store code may notify too.
 *
 * @module
 */
import { NOTIFY } from "../config.ts";
import type { Keyspace } from "./keyspace.ts";

export { NOTIFY };

/** Where events go: the notify-keyspace-events flags and a publish function. */
export interface KeyspaceEventSink {
  /** The NOTIFY bits of notify-keyspace-events. */
  flags(): number;
  /** Publishes `message` on `channel` to subscribers (PUBLISH without the reply). */
  publish(channel: string, message: string): void;
}

const sinks = new WeakMap<Keyspace, KeyspaceEventSink>();

/** Installs the sink events of `keyspace` go to (the pub/sub layer does this). */
export function setKeyspaceEventSink(keyspace: Keyspace, sink: KeyspaceEventSink): void {
  sinks.set(keyspace, sink);
}

/** True when events of class `type` would be published (to skip building costly arguments). */
export function keyspaceEventsEnabled(holder: { keyspace: Keyspace }, type: number): boolean {
  const sink = sinks.get(holder.keyspace);
  return sink !== undefined && (sink.flags() & type) !== 0;
}

/**
 * Redis's notifyKeyspaceEvent: `type` is one NOTIFY class bit (NOTIFY.GENERIC,
 * NOTIFY.STRING, NOTIFY.LIST …), `event` the event name ("set", "lpush",
 * "expired" …), `key` the key it happened to and `dbid` its db.
 */
export function notifyKeyspaceEvent(
  holder: { keyspace: Keyspace },
  type: number,
  event: string,
  key: string,
  dbid: number,
): void {
  const sink = sinks.get(holder.keyspace);
  if (sink === undefined) return;
  const flags = sink.flags();
  if ((flags & type) === 0) return;
  if (flags & NOTIFY.KEYSPACE) sink.publish(`__keyspace@${dbid}__:${key}`, event);
  if (flags & NOTIFY.KEYEVENT) sink.publish(`__keyevent@${dbid}__:${event}`, key);
}
