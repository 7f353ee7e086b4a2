/**
 * Pub/sub (Redis 7.0's pubsub.c): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE,
 * PUNSUBSCRIBE, PUBLISH, SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH and PUBSUB
 * CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP, plus the delivery
 * of keyspace notifications (src/store/notify.ts) to subscribers.
 *
 * The server-wide registry maps each channel to its subscribers and each
 * pattern to its subscribers, both in subscription order; a client's own
 * subscriptions are `client.channels` / `client.patterns`, which the
 * dispatcher reads for the RESP2 subscriber-mode restrictions and CLIENT LIST
 * for `sub=`/`psub=`. Messages are written into each receiver's reply buffer
 * as pushes (RESP3 `>`, RESP2 `*`) and flushed through `afterPush("pubsub")`,
 * which enforces `client-output-buffer-limit pubsub`: a subscriber that does
 * not read is disconnected.
 *
 * Sharded pub/sub (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, PUBSUB SHARDCHANNELS|
 * SHARDNUMSUB) is a second namespace of channels, as in a Redis without
 * cluster mode: its confirmations count shard subscriptions only, its
 * messages are "smessage" pushes, and patterns never match it.
 *
 * @module
 */
import type { CommandContext, CommandSpec } from "./types.ts";
import type { Client } from "../net/client.ts";
import type { Server } from "../server.ts";
import { compileGlob, globMatch } from "../util/glob.ts";
import { replyHelp, subcommandSyntaxError } from "./command_info.ts";
import { connectionResetHooks } from "./connection.ts";
import { NOTIFY, notifyKeyspaceEvent, setKeyspaceEventSink } from "../store/notify.ts";

/** Subscribers of one pattern, with its compiled matcher. */
interface PatternSubscribers {
  match: (channel: string) => boolean;
  clients: Set<Client>;
}

/** The server-wide registry (Redis's server.pubsub_channels / pubsub_patterns). */
class PubSubRegistry {
  readonly channels = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, PatternSubscribers>();
}

const registries = new WeakMap<Server, PubSubRegistry>();
/** Clients whose close hook (drop their subscriptions) is installed. */
const cleanupInstalled = new WeakSet<Client>();

/**
 * The registry of `server`, created on first use. Creating it also plugs
 * keyspace notifications in: the sink that publishes events, and the
 * keyspace hooks for the events the store itself causes ("expired" when
 * expiry deletes a key, "new" when a key is created).
 */
function registryOf(server: Server): PubSubRegistry {
  let registry = registries.get(server);
  if (registry !== undefined) return registry;
  registry = new PubSubRegistry();
  registries.set(server, registry);
  setKeyspaceEventSink(server.keyspace, {
    flags: () => server.config.keyspaceEventFlags(),
    publish: (channel, message) => {
      publish(server, channel, message);
    },
  });
  server.keyspace.hooks.add({
    beforeWrite(db, key) {
      // dbAdd's "new": the key is about to be created. (A key still present
      // but logically expired is being deleted by expiry, or overwritten by
      // Db.set without the "expired"/"new" pair Redis would emit.)
      if ((server.config.keyspaceEventFlags() & NOTIFY.NEW) === 0) return;
      if (db.dict.has(key)) return;
      notifyKeyspaceEvent(server, NOTIFY.NEW, "new", key, db.id);
    },
    keyModified() {},
    keyExpired(db, key) {
      notifyKeyspaceEvent(server, NOTIFY.EXPIRED, "expired", key, db.id);
    },
    beforeFlush() {},
  });
  return registry;
}

/**
 * Makes sure keyspace notifications and the registry exist for `server`.
 * Called at start-up by nothing: the first SUBSCRIBE/PSUBSCRIBE/PUBLISH does
 * it, since events with nobody subscribed go nowhere anyway.
 */
export function installPubSub(server: Server): void {
  registryOf(server);
}

/** Subscriptions of `client`: channels plus patterns (clientSubscriptionsCount). */
function subscriptionCount(client: Client): number {
  return client.channels.size + client.patterns.size;
}

function ensureCleanup(client: Client): void {
  if (cleanupInstalled.has(client)) return;
  cleanupInstalled.add(client);
  client.onClose.push(() => unsubscribeAll(client, false));
}

/** Writes one subscribe/unsubscribe confirmation (addReplyPubsub(Un)Subscribed). */
function replySubscription(
  client: Client,
  kind: string,
  name: string | undefined,
  count = subscriptionCount(client),
): void {
  const r = client.reply;
  r.push(3);
  r.bulk(kind);
  if (name === undefined) r.nil();
  else r.bulk(name);
  r.int(count);
}

/** Plain channels or shard channels: where their subscriptions are kept and how they are confirmed. */
interface ChannelSpace {
  subscribeReply: string;
  unsubscribeReply: string;
  of(client: Client): Set<string>;
  in(registry: PubSubRegistry): Map<string, Set<Client>>;
  /** The count a confirmation carries. */
  count(client: Client): number;
}

const CHANNELS: ChannelSpace = {
  subscribeReply: "subscribe",
  unsubscribeReply: "unsubscribe",
  of: (client) => client.channels,
  in: (registry) => registry.channels,
  count: subscriptionCount,
};

const SHARD_CHANNELS: ChannelSpace = {
  subscribeReply: "ssubscribe",
  unsubscribeReply: "sunsubscribe",
  of: (client) => client.shardChannels,
  in: (registry) => registry.shardChannels,
  count: (client) => client.shardChannels.size,
};

function subscribeChannel(
  space: ChannelSpace,
  client: Client,
  registry: PubSubRegistry,
  channel: string,
): void {
  const own = space.of(client);
  if (!own.has(channel)) {
    own.add(channel);
    const channels = space.in(registry);
    let subscribers = channels.get(channel);
    if (subscribers === undefined) {
      subscribers = new Set();
      channels.set(channel, subscribers);
    }
    subscribers.add(client);
  }
  replySubscription(client, space.subscribeReply, channel, space.count(client));
}

function unsubscribeChannel(
  space: ChannelSpace,
  client: Client,
  registry: PubSubRegistry | undefined,
  channel: string,
  notify: boolean,
): void {
  if (space.of(client).delete(channel) && registry !== undefined) {
    const channels = space.in(registry);
    const subscribers = channels.get(channel);
    if (subscribers !== undefined) {
      subscribers.delete(client);
      if (subscribers.size === 0) channels.delete(channel);
    }
  }
  if (notify) replySubscription(client, space.unsubscribeReply, channel, space.count(client));
}

function subscribePattern(client: Client, registry: PubSubRegistry, pattern: string): void {
  if (!client.patterns.has(pattern)) {
    client.patterns.add(pattern);
    let entry = registry.patterns.get(pattern);
    if (entry === undefined) {
      entry = { match: compileGlob(pattern), clients: new Set() };
      registry.patterns.set(pattern, entry);
    }
    entry.clients.add(client);
  }
  replySubscription(client, "psubscribe", pattern);
}

function unsubscribePattern(
  client: Client,
  registry: PubSubRegistry | undefined,
  pattern: string,
  notify: boolean,
): void {
  if (client.patterns.delete(pattern) && registry !== undefined) {
    const entry = registry.patterns.get(pattern);
    if (entry !== undefined) {
      entry.clients.delete(client);
      if (entry.clients.size === 0) registry.patterns.delete(pattern);
    }
  }
  if (notify) replySubscription(client, "punsubscribe", pattern);
}

/**
 * Drops every subscription of `client` (pubsubUnsubscribeAllChannels and
 * …AllPatterns); with `notify` each one is confirmed, else silently (RESET,
 * disconnect).
 */
export function unsubscribeAll(client: Client, notify: boolean): void {
  const registry = registries.get(client.server);
  for (const space of [CHANNELS, SHARD_CHANNELS]) {
    for (const channel of [...space.of(client)]) {
      unsubscribeChannel(space, client, registry, channel, notify);
    }
  }
  for (const pattern of [...client.patterns]) unsubscribePattern(client, registry, pattern, notify);
}

connectionResetHooks.push((client) => unsubscribeAll(client, false));

/** Sends one message push to a subscriber (addReplyPubsubMessage / …PatMessage). */
function deliver(
  client: Client,
  pattern: string | undefined,
  channel: string,
  message: string,
  kind = "message",
) {
  if (client.closed) return;
  const r = client.reply;
  if (pattern === undefined) {
    r.push(3);
    r.bulk(kind);
  } else {
    r.push(4);
    r.bulk("pmessage");
    r.bulk(pattern);
  }
  r.bulk(channel);
  r.bulk(message);
  client.afterPush("pubsub");
}

/**
 * Publishes `message` on `channel` (pubsubPublishMessage): channel
 * subscribers first, then pattern subscribers. Returns how many deliveries
 * were made, which PUBLISH replies.
 */
export function publish(server: Server, channel: string, message: string): number {
  const registry = registries.get(server);
  if (registry === undefined) return 0;
  let receivers = 0;
  const subscribers = registry.channels.get(channel);
  if (subscribers !== undefined) {
    for (const client of [...subscribers]) {
      deliver(client, undefined, channel, message);
      receivers++;
    }
  }
  if (registry.patterns.size > 0) {
    for (const [pattern, entry] of [...registry.patterns]) {
      if (!entry.match(channel)) continue;
      for (const client of [...entry.clients]) {
        deliver(client, pattern, channel, message);
        receivers++;
      }
    }
  }
  return receivers;
}

/** SPUBLISH: the subscribers of the shard channel only (pubsubPublishMessage with sharded). */
function publishShard(server: Server, channel: string, message: string): number {
  const subscribers = registries.get(server)?.shardChannels.get(channel);
  if (subscribers === undefined) return 0;
  for (const client of [...subscribers]) deliver(client, undefined, channel, message, "smessage");
  return subscribers.size;
}

/** Flags shared by the (un)subscribe commands. */
const SUBSCRIBE_FLAGS = ["pubsub", "noscript", "loading", "stale"] as const;

/** SUBSCRIBE and PSUBSCRIBE: one generic handler, the subscription kind apart. */
function subscribeSpec(
  name: string,
  subscribeOne: (client: Client, registry: PubSubRegistry, name: string) => void,
  keys: readonly [number, number, number] = [0, 0, 0],
): CommandSpec {
  return {
    name,
    arity: -2,
    flags: SUBSCRIBE_FLAGS,
    keys,
    acl: ["pubsub", "slow"],
    run(ctx, argv) {
      const registry = registryOf(ctx.server);
      ensureCleanup(ctx.client);
      for (let i = 1; i < argv.length; i++) subscribeOne(ctx.client, registry, argv[i]);
    },
  };
}

/** UNSUBSCRIBE and PUNSUBSCRIBE: the named subscriptions, or all of that kind. */
function unsubscribeSpec(
  name: string,
  current: (client: Client) => Set<string>,
  unsubscribeOne: (
    client: Client,
    registry: PubSubRegistry | undefined,
    name: string,
    notify: boolean,
  ) => void,
  keys: readonly [number, number, number] = [0, 0, 0],
  count: (client: Client) => number = subscriptionCount,
): CommandSpec {
  return {
    name,
    arity: -1,
    flags: SUBSCRIBE_FLAGS,
    keys,
    acl: ["pubsub", "slow"],
    run(ctx, argv) {
      const client = ctx.client;
      const registry = registries.get(ctx.server);
      if (argv.length === 1) {
        const all = current(client);
        if (all.size === 0) return replySubscription(client, name, undefined, count(client));
        for (const one of [...all]) unsubscribeOne(client, registry, one, true);
        return;
      }
      for (let i = 1; i < argv.length; i++) unsubscribeOne(client, registry, argv[i], true);
    },
  };
}

/** The subscribe and unsubscribe commands of a channel space (named after its confirmations). */
function channelCommands(
  space: ChannelSpace,
  keys: readonly [number, number, number],
): [CommandSpec, CommandSpec] {
  return [
    subscribeSpec(space.subscribeReply, (...a) => subscribeChannel(space, ...a), keys),
    unsubscribeSpec(
      space.unsubscribeReply,
      space.of,
      (...a) => unsubscribeChannel(space, ...a),
      keys,
      space.count,
    ),
  ];
}

const [subscribe, unsubscribe] = channelCommands(CHANNELS, [0, 0, 0]);
const [ssubscribe, sunsubscribe] = channelCommands(SHARD_CHANNELS, [1, -1, 1]);
const psubscribe = subscribeSpec("psubscribe", subscribePattern);
const punsubscribe = unsubscribeSpec("punsubscribe", (c) => c.patterns, unsubscribePattern);

/**
 * PUBLISH and SPUBLISH channel message. Like Redis, replicas get them (their
 * own subscribers hear it); the AOF does not.
 */
function publishSpec(
  name: string,
  keys: readonly [number, number, number],
  deliverAll: (server: Server, channel: string, message: string) => number,
): CommandSpec {
  return {
    name,
    arity: 3,
    flags: ["pubsub", "loading", "stale", "fast"],
    keys,
    acl: ["pubsub", "fast"],
    run(ctx, argv) {
      ctx.reply.int(deliverAll(ctx.server, argv[1], argv[2]));
      ctx.server.propagator.add(ctx.db.id, argv, "replication");
    },
  };
}

const publishCommand = publishSpec("publish", [0, 0, 0], publish);
const spublish = publishSpec("spublish", [1, 1, 1], publishShard);

const PUBSUB_HELP = [
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
];

function pubsubSub(
  sub: string,
  arity: number,
  run: (ctx: CommandContext, argv: string[]) => void,
  pubsubFlag = true,
): CommandSpec {
  return {
    name: `pubsub|${sub}`,
    arity,
    flags: pubsubFlag ? ["pubsub", "loading", "stale"] : ["loading", "stale"],
    keys: [0, 0, 0],
    acl: pubsubFlag ? ["pubsub", "slow"] : ["slow"],
    run,
  };
}

/** PUBSUB CHANNELS|SHARDCHANNELS [pattern]. */
function channelList(ctx: CommandContext, argv: string[], space: ChannelSpace): void {
  if (argv.length > 3) throw subcommandSyntaxError(argv);
  const pattern = argv[2];
  const registry = registries.get(ctx.server);
  const names: string[] = [];
  for (const channel of registry === undefined ? [] : space.in(registry).keys()) {
    if (pattern === undefined || globMatch(pattern, channel)) names.push(channel);
  }
  ctx.reply.bulkArray(names);
}

/** PUBSUB NUMSUB|SHARDNUMSUB [channel …]. */
function subscriberCounts(ctx: CommandContext, argv: string[], space: ChannelSpace): void {
  const registry = registries.get(ctx.server);
  ctx.reply.array((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    ctx.reply.bulk(argv[i]);
    ctx.reply.int(registry === undefined ? 0 : space.in(registry).get(argv[i])?.size ?? 0);
  }
}

const pubsub: CommandSpec = {
  name: "pubsub",
  arity: -2,
  flags: [],
  keys: [0, 0, 0],
  acl: ["slow"],
  subcommands: [
    pubsubSub("channels", -2, (ctx, argv) => channelList(ctx, argv, CHANNELS)),
    pubsubSub("numsub", -2, (ctx, argv) => subscriberCounts(ctx, argv, CHANNELS)),
    pubsubSub("numpat", 2, (ctx) => {
      ctx.reply.int(registries.get(ctx.server)?.patterns.size ?? 0);
    }),
    pubsubSub("shardchannels", -2, (ctx, argv) => channelList(ctx, argv, SHARD_CHANNELS)),
    pubsubSub("shardnumsub", -2, (ctx, argv) => subscriberCounts(ctx, argv, SHARD_CHANNELS)),
    pubsubSub("help", 2, (ctx, argv) => replyHelp(ctx, argv, PUBSUB_HELP), false),
  ],
};

/** The pub/sub family. */
export const pubsubCommands: readonly CommandSpec[] = [
  subscribe,
  unsubscribe,
  psubscribe,
  punsubscribe,
  publishCommand,
  ssubscribe,
  sunsubscribe,
  spublish,
  pubsub,
];
