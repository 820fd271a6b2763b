/**
 * Per-socket rate limits. Synchronous on purpose: messages of one socket are handled in order, and
 * a limiter that awaited a store would let a burst through before the first answer came back.
 */

/** A token bucket: `ratePerSecond` sustained, bursts up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `cost` tokens if there are enough; false (and nothing taken) otherwise. */
  take(cost = 1): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (cost > this.tokens) return false;
    this.tokens -= cost;
    return true;
  }
}

/** Counts refused messages in a sliding window; a socket that keeps being refused is flooding. */
export class FloodGuard {
  private strikes: number[] = [];

  constructor(
    private readonly maxStrikes: number,
    private readonly windowMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records one refusal; true when the socket should be closed. */
  strike(): boolean {
    const now = this.now();
    this.strikes = this.strikes.filter((t) => now - t < this.windowMs);
    this.strikes.push(now);
    return this.strikes.length >= this.maxStrikes;
  }
}

export type SocketLimits = { maxMessagesPerSecond: number; maxBytesPerSecond: number; floodStrikes: number };

/** The limits of one socket: messages/s and bytes/s, and when refusals mean flooding. */
export class SocketLimiter {
  private readonly messages: TokenBucket;
  private readonly bytes: TokenBucket;
  private readonly flood: FloodGuard;

  constructor(limits: SocketLimits, now?: () => number) {
    this.messages = new TokenBucket(limits.maxMessagesPerSecond, limits.maxMessagesPerSecond * 2, now);
    this.bytes = new TokenBucket(limits.maxBytesPerSecond, limits.maxBytesPerSecond * 2, now);
    this.flood = new FloodGuard(limits.floodStrikes, 10_000, now);
  }

  /** 'ok', 'refuse' (answer with an error) or 'close' (flooding: close with 1008). */
  admit(size: number): 'ok' | 'refuse' | 'close' {
    if (this.messages.take(1) && this.bytes.take(size)) return 'ok';
    return this.refuse();
  }

  /** Counts a refusal made for another reason (e.g. an oversize message). */
  refuse(): 'refuse' | 'close' {
    return this.flood.strike() ? 'close' : 'refuse';
  }
}
