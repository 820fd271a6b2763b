import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import { type EventBus, type EventListener, isPattern, subscription } from './event-bus.js';

export type RedisEventBusOptions = {
  /** Prepended to every channel name in Redis (default `rapport:events:`); tests use their own. */
  prefix?: string;
  logger?: Logger;
};

type Topic = { listeners: Set<EventListener>; ready: Promise<void> };

/** Redis glob syntax: only our `*` is special, everything else is escaped. */
function redisPattern(prefix: string, pattern: string): string {
  const literal = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');
  return `${literal(prefix)}${pattern.split('*').map(literal).join('*')}`;
}

/**
 * Redis pub/sub: one connection publishes, a second one (subscriber mode) holds this process'
 * subscriptions: one Redis subscription per distinct channel or pattern, however many local
 * listeners. ioredis re-subscribes by itself after a reconnect.
 */
export class RedisEventBus implements EventBus {
  readonly kind = 'redis' as const;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly log: Logger | undefined;
  private readonly channels = new Map<string, Topic>();
  private readonly patterns = new Map<string, Topic>();
  private closing: Promise<void> | undefined;

  constructor(url: string, options: RedisEventBusOptions = {}) {
    this.prefix = options.prefix ?? 'rapport:events:';
    this.log = options.logger;
    this.publisher = new Redis(url, { lazyConnect: false });
    this.subscriber = new Redis(url, { lazyConnect: false });
    for (const connection of [this.publisher, this.subscriber]) {
      connection.on('error', (error) => this.log?.error({ err: error }, 'event bus Redis connection error'));
    }
    this.subscriber.on('message', (channel: string, message: string) => {
      this.dispatch(this.channels.get(channel), channel, message);
    });
    this.subscriber.on('pmessage', (pattern: string, channel: string, message: string) => {
      this.dispatch(this.patterns.get(pattern), channel, message);
    });
  }

  async publish(channel: string, event: object): Promise<void> {
    if (this.closing) throw new Error('the event bus is closed');
    await this.publisher.publish(this.prefix + channel, JSON.stringify(event));
  }

  subscribe(channel: string, listener: EventListener) {
    if (this.closing) throw new Error('the event bus is closed');
    const pattern = isPattern(channel);
    const key = pattern ? redisPattern(this.prefix, channel) : this.prefix + channel;
    const topics = pattern ? this.patterns : this.channels;
    let topic = topics.get(key);
    if (!topic) {
      const subscribed = pattern ? this.subscriber.psubscribe(key) : this.subscriber.subscribe(key);
      const ready = subscribed.then(
        () => {},
        (error) => {
          this.log?.error({ err: error, channel }, 'event bus subscription failed');
          throw error;
        },
      );
      ready.catch(() => {}); // reported above; `ready` still rejects for whoever awaits it
      topic = { listeners: new Set(), ready };
      topics.set(key, topic);
    }
    const current = topic;
    current.listeners.add(listener);
    return subscription(() => {
      if (!current.listeners.delete(listener) || current.listeners.size > 0) return;
      if (topics.get(key) !== current) return;
      topics.delete(key);
      if (this.closing) return;
      const unsubscribed = pattern ? this.subscriber.punsubscribe(key) : this.subscriber.unsubscribe(key);
      unsubscribed.catch((error) => this.log?.warn({ err: error, channel }, 'event bus unsubscribe failed'));
    }, current.ready);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.channels.clear();
      this.patterns.clear();
      await Promise.all(
        [this.subscriber, this.publisher].map((connection) =>
          connection.quit().then(
            () => {},
            () => connection.disconnect(),
          ),
        ),
      );
    })();
    return this.closing;
  }

  private dispatch(topic: Topic | undefined, redisChannel: string, message: string): void {
    if (!topic || topic.listeners.size === 0) return;
    const channel = redisChannel.startsWith(this.prefix)
      ? redisChannel.slice(this.prefix.length)
      : redisChannel;
    let event: unknown;
    try {
      event = JSON.parse(message);
    } catch (error) {
      this.log?.warn({ err: error, channel }, 'event bus message is not JSON; dropped');
      return;
    }
    for (const listener of [...topic.listeners]) {
      try {
        listener(event, channel);
      } catch (error) {
        this.log?.error({ err: error, channel }, 'event listener threw');
      }
    }
  }
}
