import type { Logger } from '../logging/logger.js';
import { type EventBus, type EventListener, isPattern, patternRegExp, subscription } from './event-bus.js';

type Entry = { listener: EventListener; match: (channel: string) => boolean };

/** Events within one process. */
export class InProcessEventBus implements EventBus {
  readonly kind = 'memory' as const;
  private readonly entries = new Set<Entry>();
  private closed = false;

  constructor(private readonly log?: Logger) {}

  async publish(channel: string, event: object): Promise<void> {
    if (this.closed) throw new Error('the event bus is closed');
    // The same JSON round trip as over Redis, so that listeners cannot tell the difference.
    const payload = JSON.parse(JSON.stringify(event));
    for (const entry of [...this.entries]) {
      if (!entry.match(channel)) continue;
      try {
        entry.listener(payload, channel);
      } catch (error) {
        this.log?.error({ err: error, channel }, 'event listener threw');
      }
    }
  }

  subscribe(channel: string, listener: EventListener) {
    const regExp = isPattern(channel) ? patternRegExp(channel) : undefined;
    const entry: Entry = { listener, match: regExp ? (c) => regExp.test(c) : (c) => c === channel };
    this.entries.add(entry);
    return subscription(() => {
      this.entries.delete(entry);
    }, Promise.resolve());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.entries.clear();
  }
}
