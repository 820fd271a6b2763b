/**
 * Publish/subscribe between the parts of Rapport (pipeline progress, live-call updates…).
 *
 * - `memory`: one process; listeners run synchronously inside `publish`.
 * - `redis` (REDIS_URL set): Redis pub/sub, so a listener on any process receives what any
 *   process publishes. At most once: a process that is not subscribed (or not connected) at the
 *   moment of publishing misses the event; use the job queue for anything that must not be lost.
 *
 * Events travel as JSON in both, so listeners see the same thing (dates as ISO strings, no
 * undefined fields, a fresh object per publish shared by that process' listeners: do not mutate).
 */

// biome-ignore lint/suspicious/noExplicitAny: events are JSON; each listener knows its own shape
export type EventListener = (event: any, channel: string) => void;

/** Call to unsubscribe; `ready` resolves once events published from elsewhere are received. */
export type Subscription = (() => void) & { ready: Promise<void> };

export interface EventBus {
  readonly kind: 'redis' | 'memory';
  publish(channel: string, event: object): Promise<void>;
  /**
   * `channel` is a name (`interaction:42`) or a pattern where `*` matches any characters
   * (`interaction:*`); other characters are literal.
   */
  subscribe(channel: string, listener: EventListener): Subscription;
  close(): Promise<void>;
}

export function isPattern(channel: string): boolean {
  return channel.includes('*');
}

/** The RegExp a `*` pattern stands for. */
export function patternRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

export function subscription(unsubscribe: () => void, ready: Promise<void>): Subscription {
  return Object.assign(unsubscribe, { ready });
}
