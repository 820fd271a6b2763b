import type { LiveCall } from './call.js';
import { ProtocolError } from './protocol.js';

export type RegistryLimits = { maxCallsPerUser: number; maxCalls: number; gracePeriodMs: number };

/**
 * The calls running on this server. A call outlives its socket for the grace period, so a client
 * that lost its connection can come back (`call_start` with the same `interaction_id`) and carry
 * on; when nobody comes back the call is finalised as if the client had sent `call_end`.
 */
export class CallRegistry {
  private readonly calls = new Map<number, LiveCall>();
  private readonly graceTimers = new Map<number, NodeJS.Timeout>();

  constructor(
    private readonly limits: RegistryLimits,
    private readonly finalize: (call: LiveCall) => Promise<void>,
  ) {}

  get size(): number {
    return this.calls.size;
  }

  find(userId: number, interactionId: number): LiveCall | undefined {
    const call = this.calls.get(interactionId);
    return call && call.userId === userId && !call.ended ? call : undefined;
  }

  /** Checks the limits before a new call is created (so no interaction is made for nothing). */
  assertRoomFor(userId: number): void {
    if (this.calls.size >= this.limits.maxCalls)
      throw new ProtocolError('too_many_calls', 'The server is at its limit of live calls; try again later.');
    const mine = [...this.calls.values()].filter((c) => c.userId === userId).length;
    if (mine >= this.limits.maxCallsPerUser)
      throw new ProtocolError(
        'too_many_calls',
        `You already have ${mine} live calls running (the limit); end one first.`,
      );
  }

  add(call: LiveCall): void {
    this.calls.set(call.interactionId, call);
  }

  /** The client is back: the grace timer stops. */
  resume(call: LiveCall): void {
    clearTimeout(this.graceTimers.get(call.interactionId));
    this.graceTimers.delete(call.interactionId);
  }

  /** The socket went away without `call_end`: finalise after the grace period unless it returns. */
  orphan(call: LiveCall): void {
    call.detach();
    clearTimeout(this.graceTimers.get(call.interactionId));
    const timer = setTimeout(() => {
      this.graceTimers.delete(call.interactionId);
      void this.end(call);
    }, this.limits.gracePeriodMs);
    timer.unref();
    this.graceTimers.set(call.interactionId, timer);
  }

  async end(call: LiveCall): Promise<void> {
    clearTimeout(this.graceTimers.get(call.interactionId));
    this.graceTimers.delete(call.interactionId);
    try {
      await this.finalize(call);
    } finally {
      if (this.calls.get(call.interactionId) === call) this.calls.delete(call.interactionId);
    }
  }

  /** Server shutdown: every call still running is finalised, so nothing heard is lost. */
  async endAll(): Promise<void> {
    await Promise.allSettled([...this.calls.values()].map((call) => this.end(call)));
  }
}
