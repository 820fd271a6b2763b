import { monitorEventLoopDelay } from 'node:perf_hooks';

export type EventLoopDelay = { p50: number; p99: number; max: number; window_seconds: number };

/**
 * Event-loop delay of this process over fixed windows (default 10 s): how long a ready callback
 * waited. Health reports the last complete window, so a busy moment shows for a while and an old
 * one does not linger.
 */
export class EventLoopMonitor {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });
  private last: EventLoopDelay | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly windowMs = 10_000) {
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.last = this.snapshot();
      this.histogram.reset();
    }, windowMs);
    this.timer.unref();
  }

  private snapshot(): EventLoopDelay {
    const ms = (ns: number) => Math.round((ns / 1e6) * 10) / 10;
    return {
      p50: ms(this.histogram.percentile(50)),
      p99: ms(this.histogram.percentile(99)),
      max: ms(this.histogram.max),
      window_seconds: this.windowMs / 1000,
    };
  }

  read(): EventLoopDelay {
    return this.last ?? this.snapshot();
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
