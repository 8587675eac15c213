import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub } from '@graphql-yoga/subscription';
import { setMaxListeners } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { ModelChangeEvent, TelephonyInstructionEvent } from '../routing/vocabulary';
import { connectRedis, reportErrors, type RedisClient, type RedisTarget } from '../store/redis-client';
import { redisKeys } from '../store/redis-keys';

/**
 * The instruction kinds and the instruction as it travels are the core's vocabulary (src/routing/vocabulary.ts);
 * re-exported here for the modules that still take them from the bus. The bus carries the plain record, so
 * it crosses Redis unchanged.
 */
export { INSTRUCTION_KINDS, type TelephonyInstructionEvent } from '../routing/vocabulary';

type Channels = Record<string, [unknown]>;

/** An instruction addressed to one connector session (on whichever instance holds it). */
export type AddressedInstruction = TelephonyInstructionEvent & { sessionId: string };

/**
 * Carries events to subscribers: in-process on the embedded default, over Redis pub/sub (two connections)
 * in cluster mode, so a connector subscribed to any instance gets the instructions every instance issues.
 * On a Redis Cluster the same: PUBLISH reaches the subscribers of every node, and the subscriber connection
 * listens on one node of the cluster's choosing (decision 030).
 * Redis pub/sub is at-most-once: what makes instructions at-least-once is the instruction log in the system
 * of record, delivered again until acknowledged (decision 023), not the bus.
 */
export interface EventBus {
  /** The pub/sub underneath, for the schema's subscriptions. */
  readonly pubSub: PubSub<Channels>;
  publishInstruction(companyId: string, instruction: AddressedInstruction): void;
  /** Calls `handler` with each instruction of the company (for every session) until the returned function is called. */
  listenInstructions(companyId: string, handler: (instruction: AddressedInstruction) => void): () => void;
  /** A live update of one resource: to its own channel and to its kind's company-wide channel. */
  publishUpdate(companyId: string, kind: string, id: string, payload: unknown): void;
  /**
   * Calls `handler` with each update of the given resources, or of every resource of the kind (`ids` null),
   * until the returned function is called. Handlers are grouped by topic: one listener per channel and
   * instance however many handlers it has, and every handler of a channel gets the same payload object.
   */
  listenUpdates(companyId: string, kind: string, ids: readonly string[] | null, handler: (payload: unknown) => void): () => void;
  /**
   * A committed change of authority or configuration: handed to this instance's listeners (and awaited, so
   * the instance that made the change holds it before it answers) and published to every other instance.
   */
  publishModelChange(event: ModelChangeEvent): Promise<void>;
  listenModelChanges(handler: (event: ModelChangeEvent) => Promise<void> | void): () => void;
  /** Calls `handler` each time the bus's subscriber connection is back after a loss (what it missed is lost). */
  onReconnect(handler: () => void): () => void;
  /** Whether its Redis connections are up (always, in process): the readiness probe asks. */
  connected(): boolean;
  close(): Promise<void>;
}

/**
 * The two Redis connections as the event target uses them, with every command's failure handled: the
 * target fires publish/subscribe/unsubscribe without awaiting them, so a Redis outage (or a publish racing
 * shutdown) must not become an unhandled rejection. A lost publish is what pub/sub allows (at most once).
 */
function guarded(publisher: RedisClient, subscriber: RedisClient, onError: (err: unknown) => void): { publishClient: RedisClient; subscribeClient: RedisClient } {
  const publishClient = { publish: (channel: string, message: string) => publisher.publish(channel, message).catch(onError) };
  const subscribeClient = {
    on: (event: string, listener: (...args: unknown[]) => void) => subscriber.on(event, listener),
    subscribe: (channel: string) => subscriber.subscribe(channel).catch(onError),
    unsubscribe: (channel: string) => subscriber.unsubscribe(channel).catch(onError),
  };
  return { publishClient: publishClient as unknown as RedisClient, subscribeClient: subscribeClient as unknown as RedisClient };
}

/** Opens the bus: in process without `redis`, else over Redis pub/sub (a URL, or the seed nodes of a Redis Cluster). */
export async function openEventBus(redis: RedisTarget | null, prefix: string, onError: (err: unknown) => void = () => undefined): Promise<EventBus> {
  const keys = redisKeys(prefix);
  let closed = false;
  let pubSub: PubSub<Channels>;
  let target: EventTarget;
  let clients: RedisClient[] = [];
  if (redis === null) {
    // Many subscribers share a channel (every connector of a company): no listener-count warning for that.
    target = new EventTarget();
    setMaxListeners(0, target);
    pubSub = createPubSub<Channels>({ eventTarget: target as never });
  } else {
    // Separate publisher and subscriber connections; reconnects back off up to 5 s and resubscribe by themselves.
    clients = [
      // Named, so an operator (and a fault test) can tell the connections apart in CLIENT LIST.
      connectRedis(redis, { name: `${prefix}-bus-publisher`, bounded: true }),
      connectRedis(redis, { name: `${prefix}-bus-subscriber` }),
    ];
    await Promise.all(clients.map((c) => c.connect()));
    for (const c of clients) reportErrors(c, onError);
    target = createRedisEventTarget(guarded(clients[0]!, clients[1]!, onError)) as unknown as EventTarget;
    pubSub = createPubSub<Channels>({ eventTarget: target as never });
  }
  /** The handlers of each update channel this instance listens to; the channel's one listener calls them. */
  const topics = new Map<string, { handlers: Set<(payload: unknown) => void>; listener: (event: Event) => void }>();
  const listen = (channel: string, handler: (payload: unknown) => void) => {
    let topic = topics.get(channel);
    if (topic === undefined) {
      const handlers = new Set<(payload: unknown) => void>();
      const listener = (event: Event) => {
        const payload = (event as CustomEvent).detail;
        for (const h of handlers) {
          try {
            h(payload);
          } catch (err) {
            onError(err);
          }
        }
      };
      topic = { handlers, listener };
      topics.set(channel, topic);
      target.addEventListener(channel, listener);
    }
    topic.handlers.add(handler);
    return () => {
      const t = topics.get(channel);
      if (t === undefined || !t.handlers.delete(handler) || t.handlers.size > 0) return;
      topics.delete(channel);
      target.removeEventListener(channel, t.listener);
    };
  };
  /** Model changes: this instance's handlers, and what other instances publish (never our own twice). */
  const origin = randomUUID();
  const changeHandlers = new Set<(event: ModelChangeEvent) => Promise<void> | void>();
  const deliverChange = (event: ModelChangeEvent) =>
    Promise.all([...changeHandlers].map(async (h) => {
      try {
        await h(event);
      } catch (err) {
        onError(err);
      }
    }));
  if (redis !== null) {
    listen(keys.modelChangesChannel(), (payload) => {
      const { origin: from, ...event } = payload as ModelChangeEvent & { origin?: string };
      if (from !== origin) void deliverChange(event);
    });
  }
  const reconnectHandlers = new Set<() => void>();
  clients[1]?.on('ready', () => {
    for (const h of reconnectHandlers) h();
  });
  return {
    pubSub,
    publishModelChange: async (event) => {
      if (closed) return;
      if (redis !== null) pubSub.publish(keys.modelChangesChannel(), { ...event, origin });
      await deliverChange(event);
    },
    listenModelChanges: (handler) => {
      changeHandlers.add(handler);
      return () => void changeHandlers.delete(handler);
    },
    onReconnect: (handler) => {
      reconnectHandlers.add(handler);
      return () => void reconnectHandlers.delete(handler);
    },
    publishInstruction: (companyId, instruction) => {
      if (!closed) pubSub.publish(keys.instructionChannel(companyId), instruction);
    },
    listenInstructions: (companyId, handler) => listen(keys.instructionChannel(companyId), handler as (payload: unknown) => void),
    publishUpdate: (companyId, kind, id, payload) => {
      if (closed) return;
      pubSub.publish(keys.updatesChannel(companyId, kind, id), payload);
      pubSub.publish(keys.updatesChannel(companyId, kind, '*'), payload);
    },
    listenUpdates: (companyId, kind, ids, handler) => {
      const offs = (ids ?? ['*']).map((id) => listen(keys.updatesChannel(companyId, kind, id), handler));
      return () => {
        for (const off of offs) off();
      };
    },
    connected: () => clients.every((c) => c.status === 'ready'),
    close: async () => {
      closed = true;
      await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
    },
  };
}
