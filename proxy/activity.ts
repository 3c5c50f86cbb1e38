/**
 * Activity, so idle culling works both ways: real user traffic (proxied requests, WebSocket data,
 * launcher use) marks the time; every interval (with ±10 % jitter) the runtime posts that true time to
 * the hub, only when it advanced since the last successful report. Failures are retried with
 * exponential backoff (1 s doubling to 15 s, at most 60 s), then left for the next interval; memory
 * stays constant because only one timestamp is ever pending.
 */
import type { Logger } from './log.ts';

export class ActivityTracker {
  private last = 0;

  /** Mark activity now. Cheap enough for every WebSocket chunk. */
  touch(now = Date.now()): void {
    if (now > this.last) this.last = now;
  }

  get lastActivity(): Date | null {
    return this.last === 0 ? null : new Date(this.last);
  }

  get lastActivityMs(): number {
    return this.last;
  }
}

/** Whether a request to an app counts, given the app's activity settings. */
export function countsAsActivity(path: string, enabled: boolean, exclude: readonly RegExp[]): boolean {
  if (!enabled) return false;
  for (const pattern of exclude) if (pattern.test(path)) return false;
  return true;
}

export interface ActivityReporterOptions {
  tracker: ActivityTracker;
  intervalSeconds: number;
  /** Posts one report; must give up when `signal` aborts (the cycle's retry budget ran out). */
  post: (lastActivity: Date, signal: AbortSignal) => Promise<void>;
  logger: Logger;
  /** Test seams; the defaults are real time. */
  random?: () => number;
  retry?: { firstDelayMs: number; maxDelayMs: number; giveUpAfterMs: number };
}

export class ActivityReporter {
  private readonly options: ActivityReporterOptions;
  private reported = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  /** Counters for metrics and tests. */
  readonly stats = { posted: 0, failed: 0, skipped: 0 };

  constructor(options: ActivityReporterOptions) {
    this.options = options;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The last activity time the hub has accepted from us. */
  get lastReported(): Date | null {
    return this.reported === 0 ? null : new Date(this.reported);
  }

  private schedule(): void {
    if (this.stopped) return;
    const jitter = 1 + ((this.options.random ?? Math.random)() * 0.2 - 0.1);
    const delay = Math.max(100, this.options.intervalSeconds * 1000 * jitter);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.reportOnce().finally(() => {
        this.running = null;
        this.schedule();
      });
    }, delay);
    this.timer.unref();
  }

  /** One report cycle: post if there is new activity, retrying within the cycle's budget. */
  async reportOnce(): Promise<void> {
    let last = this.options.tracker.lastActivityMs;
    if (last === 0 || last <= this.reported) {
      this.stats.skipped++;
      return;
    }
    const retry = this.options.retry ?? { firstDelayMs: 1000, maxDelayMs: 15_000, giveUpAfterMs: 60_000 };
    const started = Date.now();
    let delay = retry.firstDelayMs;
    for (;;) {
      // Each attempt gets only what is left of the cycle's budget: a hub that hangs cannot stretch it.
      const remaining = Math.max(1, retry.giveUpAfterMs - (Date.now() - started));
      const signal = AbortSignal.timeout(remaining);
      // Each retry sends the newest time: after an outage the hub catches up in one report.
      last = this.options.tracker.lastActivityMs;
      try {
        await this.options.post(new Date(last), signal);
        this.reported = last;
        this.stats.posted++;
        this.options.logger.debug('activity reported', { last_activity: new Date(last).toISOString() });
        return;
      } catch (error) {
        this.stats.failed++;
        this.options.logger.warn('activity report failed', {
          error: (error as Error).message,
          retry_in_ms: delay,
        });
        if (this.stopped || Date.now() - started + delay > retry.giveUpAfterMs) return;
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, retry.maxDelayMs);
      }
    }
  }

  /** Wait for a report in progress (used at shutdown). */
  async settle(): Promise<void> {
    await this.running;
  }
}
