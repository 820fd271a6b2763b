import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { AppConfig } from '../../infra/config/config.js';
import { throttled } from '../../infra/http/errors.js';

/**
 * Counts failed logins per username and per client IP inside a sliding window, so passwords
 * cannot be guessed at speed. A successful login clears the username's count.
 */
export class LoginThrottle {
  private readonly perUser: RateLimiterMemory;
  private readonly perIp: RateLimiterMemory;

  constructor(private readonly config: AppConfig['login']) {
    this.perUser = new RateLimiterMemory({
      points: config.maxFailuresPerUser,
      duration: config.windowSeconds,
    });
    this.perIp = new RateLimiterMemory({ points: config.maxFailuresPerIp, duration: config.windowSeconds });
  }

  /** Throws 429 with Retry-After when this username or IP has failed too often. */
  async check(username: string, ip: string): Promise<void> {
    const [user, address] = await Promise.all([this.perUser.get(userKey(username)), this.perIp.get(ip)]);
    const waits: number[] = [];
    if (user && user.consumedPoints >= this.config.maxFailuresPerUser) waits.push(user.msBeforeNext);
    if (address && address.consumedPoints >= this.config.maxFailuresPerIp) waits.push(address.msBeforeNext);
    if (waits.length > 0) throw throttled(Math.max(1, Math.ceil(Math.max(...waits) / 1000)));
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    // penalty() adds points without rejecting: check() decides when to refuse.
    await Promise.all([this.perUser.penalty(userKey(username)), this.perIp.penalty(ip)]);
  }

  async recordSuccess(username: string): Promise<void> {
    await this.perUser.delete(userKey(username));
  }
}

const userKey = (username: string) => username.trim().toLowerCase();
